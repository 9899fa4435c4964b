//===- ScanAnalysis.cpp - Linearity proof and transition classes ----------===//

#include "hymir/Dialect/Hymir/IR/ScanAnalysis.h"
#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace hymir;

namespace {

//===----------------------------------------------------------------------===//
// Degrees
//===----------------------------------------------------------------------===//

/// How a value depends on one state group.
enum class Degree : uint8_t { Independent = 0, Affine = 1, NonLinear = 2 };

/// Per-value degrees, one per group, and for each non-linear degree the op
/// where the non-linearity entered (the op a diagnostic points at).
struct DegreeInfo {
  SmallVector<Degree> deg;
  SmallVector<Operation *> origin;
};

/// How an op combines the degrees of its operands.
enum class Rule { Linear, Product, Quotient, Select, Opaque };

Rule ruleFor(Operation *op) {
  if (isa<arith::AddFOp, arith::SubFOp, arith::NegFOp, arith::ExtFOp,
          arith::TruncFOp, SumOp, tensor::ExtractSliceOp, tensor::InsertSliceOp,
          tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ExtractOp,
          tensor::FromElementsOp, tensor::SplatOp, tensor::CastOp,
          tensor::ConcatOp, tensor::InsertOp>(op))
    return Rule::Linear;
  if (isa<arith::MulFOp, ScaleOp, OuterOp, ReadOp, DotOp, MixOp>(op))
    return Rule::Product;
  if (isa<arith::DivFOp>(op))
    return Rule::Quotient;
  if (isa<arith::SelectOp>(op))
    return Rule::Select;
  // A comparison is not affine, but its i1 result reaches a float only
  // through an arith.select (the Select rule, which then names the select) or
  // a cast or region op (opaque): let it carry the dependence that far.
  if (isa<arith::CmpFOp>(op))
    return Rule::Linear;
  return Rule::Opaque;
}

class DegreeAnalysis {
public:
  /// `groupOf[i]` is the group of state component `i`.
  DegreeAnalysis(ScanOp scan, ArrayRef<unsigned> groupOf, unsigned numGroups)
      : numGroups(numGroups) {
    for (auto [i, arg] : llvm::enumerate(scan.getStateArgs())) {
      DegreeInfo &info = init(arg);
      info.deg[groupOf[i]] = Degree::Affine;
    }
    scan.getBodyBlock().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op->getParentOp() != scan.getOperation())
        return op->getNumRegions() ? WalkResult::skip() : WalkResult::advance();
      visit(op);
      return op->getNumRegions() ? WalkResult::skip() : WalkResult::advance();
    });
  }

  const DegreeInfo &get(Value v) {
    auto it = infos.find(v);
    if (it != infos.end())
      return it->second;
    return init(v); // Values defined outside the body are independent.
  }

private:
  DegreeInfo &init(Value v) {
    DegreeInfo &info = infos[v];
    info.deg.assign(numGroups, Degree::Independent);
    info.origin.assign(numGroups, nullptr);
    return info;
  }

  void visit(Operation *op) {
    SmallVector<Value> operands(op->getOperands());
    // Values captured by nested regions count as operands of an opaque op.
    if (op->getNumRegions()) {
      llvm::SetVector<Value> captured;
      getUsedValuesDefinedAbove(op->getRegions(), captured);
      operands.append(captured.begin(), captured.end());
    }
    Rule rule = op->getNumRegions() ? Rule::Opaque : ruleFor(op);
    for (Value result : op->getResults()) {
      // Built in a local: combine() may insert operands defined above the
      // scan into `infos`, which would invalidate a reference into it.
      DegreeInfo out;
      out.deg.assign(numGroups, Degree::Independent);
      out.origin.assign(numGroups, nullptr);
      for (unsigned g = 0; g < numGroups; ++g)
        combine(op, rule, operands, g, out);
      infos[result] = std::move(out);
    }
  }

  void combine(Operation *op, Rule rule, ArrayRef<Value> operands, unsigned g,
               DegreeInfo &out) {
    Degree maxDeg = Degree::Independent;
    Operation *inherited = nullptr;
    unsigned dependent = 0;
    for (Value v : operands) {
      const DegreeInfo &in = get(v);
      if (in.deg[g] != Degree::Independent)
        ++dependent;
      if (in.deg[g] > maxDeg)
        maxDeg = in.deg[g];
      if (in.deg[g] == Degree::NonLinear && !inherited)
        inherited = in.origin[g];
    }
    if (maxDeg == Degree::Independent)
      return;
    if (maxDeg == Degree::NonLinear) {
      out.deg[g] = Degree::NonLinear;
      out.origin[g] = inherited;
      return;
    }
    bool affine = false;
    switch (rule) {
    case Rule::Linear:
      affine = true;
      break;
    case Rule::Product:
      affine = dependent == 1;
      break;
    case Rule::Quotient:
      affine = get(operands[1]).deg[g] == Degree::Independent;
      break;
    case Rule::Select:
      affine = get(operands[0]).deg[g] == Degree::Independent;
      break;
    case Rule::Opaque:
      affine = false;
      break;
    }
    out.deg[g] = affine ? Degree::Affine : Degree::NonLinear;
    out.origin[g] = affine ? nullptr : op;
  }

  unsigned numGroups;
  DenseMap<Value, DegreeInfo> infos;
};

/// Why `op` turned an affine value into a non-linear one.
std::string reason(Operation *op) {
  switch (ruleFor(op)) {
  case Rule::Product:
    return "'" + op->getName().getStringRef().str() +
           "' multiplies two state-dependent values";
  case Rule::Quotient:
    return "'" + op->getName().getStringRef().str() +
           "' divides by a state-dependent value";
  case Rule::Select:
    return "'" + op->getName().getStringRef().str() +
           "' selects on a state-dependent condition";
  default:
    return "'" + op->getName().getStringRef().str() +
           "' of a state-dependent value is not affine";
  }
}

//===----------------------------------------------------------------------===//
// Component graph
//===----------------------------------------------------------------------===//

/// The dependency graph of the state components and its strongly connected
/// groups, from a first analysis with one group per component.
struct ComponentGraph {
  unsigned n = 0;
  /// dependsOn[i][j]: the update of component i reads component j.
  SmallVector<SmallVector<bool>> dependsOn;
  /// Transitive closure of dependsOn (reflexive).
  SmallVector<SmallVector<bool>> reaches;
  SmallVector<unsigned> groupOf;
  unsigned numGroups = 0;

  explicit ComponentGraph(ScanOp scan) {
    n = scan.getInits().size();
    SmallVector<unsigned> identity;
    for (unsigned i = 0; i < n; ++i)
      identity.push_back(i);
    DegreeAnalysis single(scan, identity, n);
    dependsOn.assign(n, SmallVector<bool>(n, false));
    for (auto [i, y] : llvm::enumerate(scan.getYieldedStates()))
      for (unsigned j = 0; j < n; ++j)
        dependsOn[i][j] = single.get(y).deg[j] != Degree::Independent;
    reaches = dependsOn;
    for (unsigned i = 0; i < n; ++i)
      reaches[i][i] = true;
    for (unsigned k = 0; k < n; ++k)
      for (unsigned i = 0; i < n; ++i)
        for (unsigned j = 0; j < n; ++j)
          if (reaches[i][k] && reaches[k][j])
            reaches[i][j] = true;
    groupOf.assign(n, ~0u);
    for (unsigned i = 0; i < n; ++i) {
      if (groupOf[i] != ~0u)
        continue;
      for (unsigned j = i; j < n; ++j)
        if (reaches[i][j] && reaches[j][i])
          groupOf[j] = numGroups;
      ++numGroups;
    }
  }

  unsigned groupSize(unsigned g) const {
    return llvm::count(groupOf, g);
  }
};

//===----------------------------------------------------------------------===//
// Associative prefix forms
//===----------------------------------------------------------------------===//

/// `x` is `s + a` or `a + s` with `a` independent of the group of `s`.
bool isStatePlusTerm(Value x, Value s, unsigned g, DegreeAnalysis &da) {
  auto add = x.getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value other;
  if (add.getLhs() == s)
    other = add.getRhs();
  else if (add.getRhs() == s)
    other = add.getLhs();
  else
    return false;
  return da.get(other).deg[g] == Degree::Independent;
}

/// max(s + a, b) or max(b, s + a): the max-plus semiring's affine map.
bool isMaxPlus(Value y, Value s, unsigned g, DegreeAnalysis &da) {
  Operation *op = y.getDefiningOp();
  if (!isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(op))
    return false;
  Value a = op->getOperand(0), b = op->getOperand(1);
  return (isStatePlusTerm(a, s, g, da) &&
          da.get(b).deg[g] == Degree::Independent) ||
         (isStatePlusTerm(b, s, g, da) &&
          da.get(a).deg[g] == Degree::Independent);
}

/// The value of a scalar or splat float constant.
std::optional<APFloat> getConstantFloat(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValue();
  if (auto splat = dyn_cast<SplatElementsAttr>(attr))
    if (isa<FloatType>(splat.getElementType()))
      return splat.getSplatValue<APFloat>();
  return std::nullopt;
}

/// x − c·floor(x / c) with x = s + a and a positive constant c (a scalar, or
/// a splat for a vector state such as Mamba-3's angles): a modular sum.
bool isModularSum(Value y, Value s, unsigned g, DegreeAnalysis &da) {
  auto sub = y.getDefiningOp<arith::SubFOp>();
  if (!sub)
    return false;
  Value x = sub.getLhs();
  if (!isStatePlusTerm(x, s, g, da))
    return false;
  auto mul = sub.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  for (auto [c, f] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())}) {
    auto floor = f.getDefiningOp<math::FloorOp>();
    if (!floor)
      continue;
    auto div = floor.getOperand().getDefiningOp<arith::DivFOp>();
    if (!div || div.getLhs() != x)
      continue;
    std::optional<APFloat> c1 = getConstantFloat(c);
    std::optional<APFloat> c2 = getConstantFloat(div.getRhs());
    if (c1 && c2 && c1->bitwiseIsEqual(*c2) && c1->isFiniteNonZero() &&
        !c1->isNegative())
      return true;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Transition structure
//===----------------------------------------------------------------------===//

/// How the old state appears directly (not through a read) in a value. The
/// lattice is Absent < Identity < Scalar < {Rows, Cols} < Full < Other.
enum class Direct { Absent, Identity, Scalar, Rows, Cols, Full, Other };

Direct join(Direct a, Direct b) {
  if (a == Direct::Absent)
    return b;
  if (b == Direct::Absent)
    return a;
  if ((a == Direct::Rows && b == Direct::Cols) ||
      (a == Direct::Cols && b == Direct::Rows))
    return Direct::Full;
  return std::max(a, b);
}

/// Applies a decay factor of the given shape to the direct part.
Direct applyFactor(Direct d, Direct factor) {
  if (d == Direct::Absent)
    return d;
  if (d == Direct::Identity)
    return factor;
  return join(d, factor);
}

/// The direct part of a sum of two terms: two direct parts add up to at least
/// a scalar multiple of the state (S + S = 2 S).
Direct joinSum(Direct a, Direct b) {
  if (a == Direct::Absent)
    return b;
  if (b == Direct::Absent)
    return a;
  return join(join(a, b), Direct::Scalar);
}

/// The direct part of a negated term: −S is a scalar multiple of S.
Direct negate(Direct d) { return applyFactor(d, Direct::Scalar); }

/// True if an extract_slice takes its whole source (a no-op).
bool isFullSlice(tensor::ExtractSliceOp op) {
  RankedTensorType src = op.getSourceType();
  return src.hasStaticShape() && src == op.getResultType() &&
         llvm::all_of(op.getStaticOffsets(),
                      [](int64_t o) { return o == 0; }) &&
         llvm::all_of(op.getStaticStrides(), [](int64_t s) { return s == 1; });
}

/// The structure of a value that is affine in the primary state group.
struct Structure {
  Direct direct = Direct::Absent;
  int64_t corrections = 0;   // rank-1 terms that read the state
  int64_t updateRank = 0;    // rank of state-independent terms folded in
  bool projection = false;   // a read of the state (Sᵀa, S x, a dot)
  bool hasConstant = false;  // has a state-independent additive part
  bool levels = false;       // went through hymir.mix
};

class StructureAnalysis {
public:
  StructureAnalysis(ScanOp scan, unsigned primaryGroup, DegreeAnalysis &da)
      : g(primaryGroup), da(da) {
    for (auto [i, arg] : llvm::enumerate(scan.getStateArgs()))
      if (da.get(arg).deg[g] == Degree::Affine)
        structs[arg] = Structure{Direct::Identity};
    for (Operation &op : scan.getBodyBlock().without_terminator())
      for (Value r : op.getResults())
        if (dep(r))
          structs[r] = visit(&op);
  }

  Structure get(Value v) const {
    auto it = structs.find(v);
    return it == structs.end() ? Structure{} : it->second;
  }

private:
  bool dep(Value v) { return da.get(v).deg[g] == Degree::Affine; }

  /// Rank of a state-independent update term (outer products count R).
  static int64_t updateRankOf(Value v) {
    // Rank counts the rank-1 terms of a matrix update; a vector or scalar
    // update is one term however it was computed (a ⊙ x + (1 − a) ⊙ x).
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() < 2)
      return 1;
    Operation *op = v.getDefiningOp();
    if (auto outer = dyn_cast_or_null<OuterOp>(op)) {
      auto t = cast<RankedTensorType>(outer.getLhs().getType());
      return t.getRank() == 2 ? t.getDimSize(0) : 1;
    }
    if (isa_and_nonnull<ScaleOp, arith::NegFOp>(op))
      return updateRankOf(op->getOperand(0));
    if (isa_and_nonnull<arith::MulFOp>(op))
      return std::max(updateRankOf(op->getOperand(0)),
                      updateRankOf(op->getOperand(1)));
    if (isa_and_nonnull<arith::AddFOp, arith::SubFOp>(op))
      return updateRankOf(op->getOperand(0)) + updateRankOf(op->getOperand(1));
    return 1;
  }

  Direct factorShape(ScaleOp op) {
    if (!isa<RankedTensorType>(op.getFactor().getType()))
      return Direct::Scalar;
    return op.getAxis() == Axis::rows ? Direct::Rows : Direct::Cols;
  }

  Structure other() { return Structure{Direct::Other}; }

  Structure visit(Operation *op) {
    auto operandDep = [&](unsigned i) { return dep(op->getOperand(i)); };
    auto in = [&](unsigned i) { return get(op->getOperand(i)); };

    if (auto scale = dyn_cast<ScaleOp>(op)) {
      if (!operandDep(0))
        return in(1).projection ? in(1) : other();
      Structure s = in(0);
      if (!s.projection)
        s.direct = applyFactor(s.direct, factorShape(scale));
      return s;
    }
    if (isa<arith::MulFOp>(op)) {
      unsigned d = operandDep(0) ? 0 : 1;
      Structure s = in(d);
      if (!s.projection)
        s.direct = applyFactor(s.direct, Direct::Full);
      return s;
    }
    if (isa<arith::AddFOp, arith::SubFOp>(op)) {
      bool negatesRhs = isa<arith::SubFOp>(op);
      if (operandDep(0) && operandDep(1)) {
        Structure a = in(0), b = in(1);
        Structure s;
        s.direct = joinSum(a.direct, negatesRhs ? negate(b.direct) : b.direct);
        s.corrections = a.corrections + b.corrections;
        s.updateRank = a.updateRank + b.updateRank;
        s.projection = a.projection || b.projection;
        s.hasConstant = a.hasConstant || b.hasConstant;
        s.levels = a.levels || b.levels;
        return s;
      }
      unsigned d = operandDep(0) ? 0 : 1;
      Structure s = in(d);
      if (negatesRhs && d == 1)
        s.direct = negate(s.direct);
      s.hasConstant = true;
      if (!s.projection && isa<RankedTensorType>(op->getResult(0).getType()))
        s.updateRank += updateRankOf(op->getOperand(1 - d));
      return s;
    }
    if (isa<arith::NegFOp>(op)) {
      Structure s = in(0);
      s.direct = negate(s.direct);
      return s;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      // A part of the state moved elsewhere (a shift, a row mix) is no
      // structured transition.
      Structure s = in(0);
      if (!isFullSlice(slice) && s.direct != Direct::Absent)
        s.direct = Direct::Other;
      return s;
    }
    if (isa<arith::ExtFOp, arith::TruncFOp, tensor::CastOp,
            tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op))
      return in(0);
    if (auto ins = dyn_cast<tensor::InsertSliceOp>(op)) {
      Structure s = operandDep(1) ? in(1) : in(0);
      if (operandDep(0) && operandDep(1))
        s.direct = join(s.direct, in(0).direct);
      // An independent block written into the state is an update term (the
      // new token's k ⊗ v entering level 0 of log-linear attention).
      if (!operandDep(0) && operandDep(1) && !s.projection) {
        s.hasConstant = true;
        s.updateRank += updateRankOf(ins.getSource());
      }
      return s;
    }
    if (isa<ReadOp, DotOp, SumOp>(op)) {
      Structure s;
      s.projection = true;
      for (unsigned i = 0; i < op->getNumOperands(); ++i)
        if (operandDep(i))
          s.hasConstant |= in(i).hasConstant;
      return s;
    }
    if (auto outer = dyn_cast<OuterOp>(op)) {
      unsigned d = operandDep(0) ? 0 : 1;
      Structure p = in(d);
      if (!p.projection)
        return other();
      auto t = cast<RankedTensorType>(outer.getLhs().getType());
      int64_t rank = t.getRank() == 2 ? t.getDimSize(0) : 1;
      Structure s;
      s.corrections = rank;
      // A delta-rule correction β(v − Sᵀk) also carries the update k ⊗ βv.
      s.updateRank = p.hasConstant ? rank : 0;
      return s;
    }
    if (auto mix = dyn_cast<MixOp>(op)) {
      if (operandDep(0))
        return other();
      Structure s = in(1);
      s.levels = true;
      return s;
    }
    if (auto select = dyn_cast<arith::SelectOp>(op)) {
      // c ? A : B = c·A + (1 − c)·B with c independent of the state (C9):
      // unless both branches have the same direct part, each is masked by c,
      // a scalar or (for a tensor condition) a full factor.
      Structure a = in(1), b = in(2);
      if (a.direct != b.direct) {
        Direct mask = isa<RankedTensorType>(select.getCondition().getType())
                          ? Direct::Full
                          : Direct::Scalar;
        a.direct =
            join(applyFactor(a.direct, mask), applyFactor(b.direct, mask));
      }
      a.corrections = std::max(a.corrections, b.corrections);
      return a;
    }
    return other();
  }

  unsigned g;
  DegreeAnalysis &da;
  DenseMap<Value, Structure> structs;
};

/// The primary component: the state of highest rank (the first on ties).
unsigned primaryComponent(ScanOp scan) {
  unsigned best = 0;
  int64_t bestRank = -1;
  for (auto [i, arg] : llvm::enumerate(scan.getStateArgs())) {
    auto t = dyn_cast<RankedTensorType>(arg.getType());
    int64_t rank = t ? t.getRank() : 0;
    if (rank > bestRank)
      best = i, bestRank = rank;
  }
  return best;
}

/// True if `target` is in the backward slice of `v` inside the body.
bool dependsOnValue(Value v, Value target, DenseSet<Value> &seen) {
  if (v == target)
    return true;
  if (!seen.insert(v).second)
    return false;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  for (Value operand : op->getOperands())
    if (dependsOnValue(operand, target, seen))
      return true;
  return false;
}

} // namespace

LogicalResult hymir::verifyScanLinearity(ScanOp scan) {
  ComponentGraph graph(scan);
  DegreeAnalysis grouped(scan, graph.groupOf, graph.numGroups);
  for (auto [i, y] : llvm::enumerate(scan.getYieldedStates())) {
    unsigned g = graph.groupOf[i];
    const DegreeInfo &info = grouped.get(y);
    if (info.deg[g] != Degree::NonLinear)
      continue;
    Value s = scan.getStateArgs()[i];
    if (graph.groupSize(g) == 1 &&
        (isMaxPlus(y, s, g, grouped) || isModularSum(y, s, g, grouped)))
      continue;
    Operation *at = info.origin[g];
    InFlightDiagnostic diag =
        (at ? at : scan.getBodyBlock().getTerminator())
            ->emitError("C9: the update of state #")
        << i << " is not affine in the state";
    if (at)
      diag << ": " << reason(at);
    diag.attachNote(scan.getLoc()) << "in this hymir.scan; use "
                                      "hymir.recurrence for a non-linear step";
    return diag;
  }
  return success();
}

TransitionAttr hymir::classifyScan(ScanOp scan) {
  MLIRContext *ctx = scan.getContext();
  ComponentGraph graph(scan);
  DegreeAnalysis grouped(scan, graph.groupOf, graph.numGroups);
  unsigned p = primaryComponent(scan);
  unsigned g = graph.groupOf[p];
  StructureAnalysis structure(scan, g, grouped);
  Value newState = scan.getYieldedStates()[p];
  Structure s = structure.get(newState);
  if (grouped.get(newState).deg[g] == Degree::Independent)
    s = Structure{}; // The state is overwritten each step.

  auto stateType = dyn_cast<RankedTensorType>(scan.getStateArgs()[p].getType());
  int64_t rank = stateType ? stateType.getRank() : 0;
  int64_t levels = s.levels && stateType ? stateType.getDimSize(0) : 0;
  int64_t matrixRank = levels ? rank - 1 : rank;

  // Absent: the old state does not survive as such (no D in D + u wᵀ).
  TransitionClass kind;
  if (s.direct == Direct::Other || s.direct == Direct::Absent)
    kind = TransitionClass::general;
  else if (s.corrections > 1)
    kind = TransitionClass::rank_n;
  else if (s.corrections == 1)
    kind = TransitionClass::dplr;
  else if (s.direct == Direct::Identity)
    kind = TransitionClass::identity;
  else if (matrixRank <= 1)
    kind = TransitionClass::vector;
  else if (s.direct == Direct::Scalar)
    kind = TransitionClass::scalar;
  else if (s.direct == Direct::Rows || s.direct == Direct::Cols)
    kind = TransitionClass::diagonal;
  else
    kind = TransitionClass::elementwise;

  Decay decay = Decay::none;
  switch (s.direct) {
  case Direct::Scalar: decay = Decay::scalar; break;
  case Direct::Rows: decay = Decay::rows; break;
  case Direct::Cols: decay = Decay::cols; break;
  case Direct::Full: decay = Decay::full; break;
  default: break;
  }

  // Read point: do the outputs see the updated state or the old one?
  ReadPoint read = ReadPoint::none;
  Value oldState = scan.getStateArgs()[p];
  for (Value out : scan.getYieldedOutputs()) {
    DenseSet<Value> seen;
    if (dependsOnValue(out, newState, seen)) {
      read = ReadPoint::post;
      break;
    }
    seen.clear();
    if (dependsOnValue(out, oldState, seen))
      read = ReadPoint::pre;
  }

  int64_t prefix = 0;
  for (unsigned j = 0; j < graph.n; ++j)
    if (graph.groupOf[j] != g && graph.reaches[p][j])
      ++prefix;

  return TransitionAttr::get(ctx, kind, decay, s.corrections, s.updateRank,
                             read, levels, prefix);
}
