//===- ChunkScans.cpp - hymir-chunk-scans ---------------------------------===//
//
// The chunked (masked-matmul) form of identity-, scalar- and delta-rule scans,
// derived from the declarative body (see the pass description in Passes.td
// and OPS.md §18.3). Per (batch, head) and chunk of C steps, with G the
// in-chunk cumulative log-decay:
//
//   O = ((Q Kᵀ) ∘ M) V + diag(e^G) Q S + E,  M[i, j] = e^{G_i − G_j} (j ≤ i)
//   S ← e^{G_{C−1}} S + (diag(e^{G_{C−1} − G}) K)ᵀ V
//
// The delta rule (dplr class, decay none or scalar: DeltaNet, Gated DeltaNet)
// takes the same form with V replaced by the chunk's pseudo-values
// V' = U − W S of the UT/WY transform (`deltaValues`). A per-key decay
// (diagonal class: GLA, RWKV-6) builds the scores with the decay inside the
// sum, by halving with reference rows (`diagonalAlgebra`); the delta rule
// with a per-key decay (KDA) is the UT/WY transform on such scores
// (`diagonalDeltaValues`). Both need vector rows (the CPU).
//
// The body is split in two: the ops that depend on the state (the decay of
// S, the update, the read, the output's sum) are recognised and replaced by
// the chunk algebra; every other op is cloned into a per-step prepare loop
// that fills the chunk's Q, K, V, g and E rows.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "PolynomialMath.h"
#include "TensorBuilders.h"

#include "hymir/Dialect/Hymir/IR/ColumnAnalysis.h"
#include "hymir/Dialect/Hymir/IR/HymirAttrs.h"
#include "hymir/Dialect/Hymir/IR/HymirOps.h"
#include "hymir/Transforms/ChunkProduct.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "hymir-chunk-scans"

namespace hymir {
#define GEN_PASS_DEF_CHUNKSCANSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;
using namespace hymir;

namespace {

/// What the chunked form needs from a scan body: body values that do not
/// depend on the state.
struct ChunkPlan {
  Value key, value, query; // k_t [K], v_t [V], q_t [K]
  Value extra;             // e_t [V] added to the read, or null
  Value logDecay;          // x_t of a_t = exp(x_t), or null
  Value decay;             // a_t whose log is taken (a positive constant)
  bool hasDecay = false;   // false: identity class
  bool delta = false;      // the delta rule (dplr class)
  Value beta;              // its β_t, or null for β = 1
  llvm::SmallPtrSet<Operation *, 8> stateOps; // replaced by the chunk algebra
  int64_t keyDim = 0, valueDim = 0;
  /// Rows as vector<N> (the CPU: one vector load/store, vectorized masks) or
  /// as tensor ops (the GPU: parallel loops its kernels spread over threads).
  bool vectorRows = true;
  /// With tensor rows: the delta rule's triangular inverse by doubling
  /// blocks (unitLowerInverseBlocked) where C is a power of two.
  bool blockedInverse = false;
  /// Value columns are split into this many independent tiles (V' = U − W S,
  /// the output and the state are column-separable): more, smaller
  /// (batch, head, tile) iterations for a GPU grid.
  int64_t valueTiles = 1;
  /// The diagonal class (GLA, RWKV-6): logDecay is a vector x_t [K] of
  /// diag(exp(x_t)); `preRead`: the output reads S_{t−1} (then e_t may hold
  /// RWKV-6's state-independent bonus).
  bool diagonal = false;
  bool preRead = false;
  /// The general diagonal-plus-low-rank transition (RWKV-7), a diagonal
  /// scan whose state also takes a rank-1 correction
  ///   S_t = diag(exp(x_t)) S_{t−1} + b_t ⊗ (Sᵀ a_t) + k_t ⊗ v_t
  /// with S = S_{t−1} (or the decayed state where `lowRankReadsDecayed`):
  /// a_t = lowRankRead, b_t = lowRankWrite [K], independent of the state.
  Value lowRankRead, lowRankWrite;
  bool lowRankReadsDecayed = false;
};

/// A positive float constant: a literal in the body, or a scan parameter
/// given by a constant whose every element is positive.
static bool isPositiveConstant(ScanOp op, Value v) {
  if (auto cst = v.getDefiningOp<arith::ConstantOp>())
    if (auto f = dyn_cast<FloatAttr>(cst.getValue()))
      return f.getValueAsDouble() > 0;
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &op.getBodyBlock())
    return false;
  for (auto [param, paramArg] : llvm::zip(op.getParams(), op.getParamArgs())) {
    if (paramArg != arg)
      continue;
    DenseFPElementsAttr values;
    if (auto cst = param.getDefiningOp<arith::ConstantOp>())
      values = dyn_cast<DenseFPElementsAttr>(cst.getValue());
    return values && llvm::all_of(values.getValues<APFloat>(),
                                  [](const APFloat &x) {
                                    return !x.isNegative() && !x.isZero() &&
                                           !x.isNaN();
                                  });
  }
  return false;
}

static bool isF32Vector(Value v, int64_t size) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 1 && type.getDimSize(0) == size &&
         type.getElementType().isF32();
}

static std::string analyzeDiagonal(ScanOp op, TransitionAttr transition,
                                   ChunkPlan &plan);
static std::optional<std::string>
analyzeLowRank(ScanOp op, Value state,
               const llvm::SmallPtrSet<Value, 8> &dependent, ChunkPlan &plan);

/// Records in `plan.stateOps` the body ops that (transitively) read `state`
/// and returns the values they define, with `state` itself.
static llvm::SmallPtrSet<Value, 8> stateDependents(ScanOp op, Value state,
                                                   ChunkPlan &plan) {
  llvm::SmallPtrSet<Value, 8> dependent{state};
  for (Operation &inner : op.getBodyBlock().without_terminator()) {
    bool reads = false;
    inner.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        reads |= dependent.contains(operand);
    });
    if (!reads)
      continue;
    plan.stateOps.insert(&inner);
    for (Value result : inner.getResults())
      dependent.insert(result);
  }
  return dependent;
}

/// The read of an output 'Sᵀ q [+ e]' with e independent of the state: the
/// `hymir.read` (null if `out` has another shape), and the sum and e where
/// there is an addend.
static ReadOp matchOutputRead(Value out,
                              const llvm::SmallPtrSet<Value, 8> &dependent,
                              arith::AddFOp &sum, Value &extra) {
  if (auto read = out.getDefiningOp<ReadOp>())
    return read;
  sum = out.getDefiningOp<arith::AddFOp>();
  if (!sum)
    return {};
  for (auto [r, e] : {std::pair(sum.getLhs(), sum.getRhs()),
                      std::pair(sum.getRhs(), sum.getLhs())}) {
    auto candidate = r.getDefiningOp<ReadOp>();
    if (candidate && !dependent.contains(e)) {
      extra = e;
      return candidate;
    }
  }
  return {};
}

/// The output's query is itself a read of the state (possible where K = V:
/// the recognised correction read as the query): the chunk rows could not
/// hold it.
constexpr const char *kStateQuery =
    "the output's query depends on the state";

/// Fills the plan's per-key decay from `scale` = diag(exp(x_t)) S (a
/// `hymir.scale` along rows of `state` by `math.exp` of an f32 vector [K]);
/// "" on success, else why not.
static std::string perKeyDecay(ScaleOp scale, Value state, ChunkPlan &plan) {
  if (!scale || scale.getInput() != state || scale.getAxis() != Axis::rows ||
      !isF32Vector(scale.getFactor(), plan.keyDim))
    return "the transition is not a per-key scale of the state along rows";
  auto exp = scale.getFactor().getDefiningOp<math::ExpOp>();
  if (!exp)
    return "the per-key decay is not exp(x) (its logarithm may not exist)";
  plan.logDecay = exp.getOperand();
  plan.hasDecay = true;
  plan.diagonal = true;
  return {};
}

/// "" when the ops that read the state are exactly `expected` (the
/// recognised update and read, which the chunk algebra replaces), else why
/// not: any other reader would be lost.
static std::string
onlyRecognisedReaders(const ChunkPlan &plan,
                      const llvm::SmallPtrSet<Operation *, 8> &expected) {
  for (Operation *stateOp : plan.stateOps)
    if (!expected.contains(stateOp))
      return ("'" + stateOp->getName().getStringRef() +
              "' reads the state outside the recognised update and read")
          .str();
  if (plan.stateOps.size() != expected.size())
    return "the recognised update and read do not depend on the state";
  return {};
}

/// Fills `plan` and returns "" when `op` has the chunkable shape; else why
/// not.
static std::string analyze(ScanOp op, ChunkPlan &plan) {
  auto transition = op->getAttrOfType<TransitionAttr>("transition");
  if (!transition)
    return "no transition attribute (hymir-normalize has not run)";
  TransitionClass kind = transition.getKind();
  if (kind == TransitionClass::diagonal)
    return analyzeDiagonal(op, transition, plan);
  bool delta = kind == TransitionClass::dplr;
  if (kind != TransitionClass::identity && kind != TransitionClass::scalar &&
      !delta)
    return ("class '" + stringifyTransitionClass(kind) +
            "' has no chunked form yet")
        .str();
  // A per-key decay (KDA) takes the diagonal form's scores: vector rows.
  bool perKey = delta && transition.getDecay() == Decay::rows;
  if (delta && transition.getDecay() != Decay::none &&
      transition.getDecay() != Decay::scalar && !perKey)
    return ("a dplr transition with decay '" +
            stringifyDecay(transition.getDecay()) +
            "' has no chunked form yet (only none, scalar or rows)")
        .str();
  if (perKey && !plan.vectorRows)
    return "the per-key-decay chunked forms (delta rule, diagonal plus low "
           "rank) are built for the CPU (vector rows) only";
  if (delta && transition.getCorrectionRank() != 1)
    return "a dplr transition of correction rank " +
           std::to_string(transition.getCorrectionRank()) +
           " has no chunked form yet";
  if (op.getStateArgs().size() != 1)
    return "a tuple state of " + std::to_string(op.getStateArgs().size()) +
           " components is not chunked yet";
  if (op.getYieldedOutputs().size() != 1)
    return "only a scan with exactly one output is chunked";
  if (transition.getLevels() > 0)
    return "a state of " + std::to_string(transition.getLevels()) +
           " levels is not chunked yet";
  if (transition.getRead() != ReadPoint::post)
    return "the output does not read the updated state";
  // A decode step: one partial chunk would cost C² for one token.
  if (auto time = dyn_cast<RankedTensorType>(op.getInputs().front().getType());
      time && time.getRank() > 1 && time.getDimSize(1) == 1)
    return "a single step (static T = 1) is cheaper sequentially";

  BlockArgument state = op.getStateArgs()[0];
  auto stateType = dyn_cast<RankedTensorType>(state.getType());
  if (!stateType || stateType.getRank() != 2 ||
      !stateType.getElementType().isF32())
    return "the state is not an f32 matrix";
  if (perKey && !stateType.hasStaticShape())
    return "the state is not a static f32 matrix";
  plan.keyDim = stateType.getDimSize(0);
  plan.valueDim = stateType.getDimSize(1);

  // The ops that (transitively) read the state.
  llvm::SmallPtrSet<Value, 8> dependent = stateDependents(op, state, plan);
  if (perKey)
    if (std::optional<std::string> why =
            analyzeLowRank(op, state, dependent, plan))
      return *why;

  // S_t = [a_t ·] S_{t−1} + k_t ⊗ v_t, or for the delta rule
  // S_t = S' + k_t ⊗ β_t (v_t − S'ᵀ k_t) with S' = [a_t ·] S_{t−1}.
  const char *shape =
      perKey ? "the new state is not 'S' + k ⊗ β (v − S'ᵀ k)' with "
               "S' = diag(exp(x)) S"
      : delta ? "the new state is not 'S' + k ⊗ β (v − S'ᵀ k)' "
                "with S' = [a ·] S"
              : "the new state is not '[a ·] S + k ⊗ v'";
  Value next = op.getYieldedStates()[0];
  auto update = next.getDefiningOp<arith::AddFOp>();
  if (!update)
    return shape;
  OuterOp outer;
  Value direct;
  for (auto [u, d] : {std::pair(update.getRhs(), update.getLhs()),
                      std::pair(update.getLhs(), update.getRhs())}) {
    auto candidate = u.getDefiningOp<OuterOp>();
    if (candidate && dependent.contains(u) == delta) {
      outer = candidate;
      direct = d;
      break;
    }
  }
  if (!outer)
    return shape;
  if (!isF32Vector(outer.getLhs(), plan.keyDim) ||
      !isF32Vector(outer.getRhs(), plan.valueDim))
    return "the update is not a rank-1 outer product of f32 vectors";
  plan.key = outer.getLhs();
  plan.value = outer.getRhs();
  ScaleOp scale;
  if (perKey) {
    // S' = diag(exp(x_t)) S: the diagonal form's decay rows.
    scale = direct.getDefiningOp<ScaleOp>();
    if (std::string why = perKeyDecay(scale, state, plan); !why.empty())
      return why;
  } else if (direct == state) {
    plan.hasDecay = false;
  } else if ((scale = direct.getDefiningOp<ScaleOp>()) &&
             scale.getInput() == state && !scale.getAxis() &&
             scale.getFactor().getType().isF32()) {
    plan.hasDecay = true;
    Value a = scale.getFactor();
    if (auto exp = a.getDefiningOp<math::ExpOp>())
      plan.logDecay = exp.getOperand();
    else if (isPositiveConstant(op, a))
      plan.decay = a;
    else
      return "the decay factor is neither exp(x) nor a positive constant "
             "(its logarithm may not exist)";
  } else {
    return "the transition of the state is not S or a · S with a scalar a";
  }

  // The delta rule's correction: u_t = β_t (v_t − S'ᵀ k_t), the read of the
  // same (decayed) state S' with the same key as the update's.
  llvm::SmallPtrSet<Operation *, 8> expected;
  if (delta) {
    if (dependent.contains(plan.key))
      return "the update's key depends on the state";
    // β (v − S'ᵀ k), or v − S'ᵀ k (β = 1).
    auto correction = plan.value.getDefiningOp<ScaleOp>();
    if (correction && (correction.getAxis() ||
                       !correction.getFactor().getType().isF32() ||
                       dependent.contains(correction.getFactor())))
      return "the update's value is not 'β (v − S'ᵀ k)' with a scalar β "
             "independent of the state";
    auto error = (correction ? correction.getInput() : plan.value)
                     .getDefiningOp<arith::SubFOp>();
    auto predict =
        error ? error.getRhs().getDefiningOp<ReadOp>() : ReadOp();
    if (!error || !predict || dependent.contains(error.getLhs()))
      return "the update's value is not 'β (v − S'ᵀ k)' with v independent "
             "of the state";
    if (predict.getState() != direct || predict.getAxis() != Axis::rows)
      return "the correction does not read the decayed state S' along rows";
    if (predict.getVector() != plan.key)
      return "the correction reads the state with another vector than the "
             "update's key (general dplr)";
    plan.delta = true;
    if (correction) {
      plan.beta = correction.getFactor();
      expected.insert(correction);
    }
    plan.value = error.getLhs();
    if (!isF32Vector(plan.value, plan.valueDim))
      return "the delta rule's value is not an f32 vector";
    expected.insert({outer, error, predict});
  }

  // o_t = S_tᵀ q_t [+ e_t]
  arith::AddFOp sum;
  ReadOp read = matchOutputRead(op.getYieldedOutputs()[0], dependent, sum,
                                plan.extra);
  if (!read || read.getState() != update.getResult() ||
      read.getAxis() != Axis::rows)
    return "the output is not 'S_tᵀ q [+ e]' of the updated state";
  plan.query = read.getVector();
  if (dependent.contains(plan.query))
    return kStateQuery;
  if (!isF32Vector(plan.query, plan.keyDim) ||
      (plan.extra && !isF32Vector(plan.extra, plan.valueDim)))
    return "the read's query or the output's addend is not an f32 vector";

  // Nothing else may read the state: those ops would be lost.
  expected.insert({update, read});
  if (scale)
    expected.insert(scale);
  if (sum)
    expected.insert(sum);
  return onlyRecognisedReaders(plan, expected);
}

/// The diagonal class (GLA, HGRN2, RWKV-6), a per-key decay:
///   S_t = diag(exp(x_t)) S_{t−1} + k_t ⊗ v_t
///   o_t = S_tᵀ q_t [+ e_t]   or (read before the update)   S_{t−1}ᵀ q_t [+ e_t]
/// with x_t, k_t, q_t [K], v_t, e_t [V] independent of the state (RWKV-6's
/// bonus (q·(u∘k)) v is such an e_t).
static std::string analyzeDiagonal(ScanOp op, TransitionAttr transition,
                                   ChunkPlan &plan) {
  if (!plan.vectorRows)
    return "the diagonal chunked form is built for the CPU (vector rows) only";
  if (transition.getDecay() != Decay::rows)
    return ("a diagonal transition with decay '" +
            stringifyDecay(transition.getDecay()) +
            "' has no chunked form yet (only rows: a per-key decay)")
        .str();
  if (op.getStateArgs().size() != 1)
    return "a tuple state of " + std::to_string(op.getStateArgs().size()) +
           " components is not chunked yet";
  if (op.getYieldedOutputs().size() != 1)
    return "only a scan with exactly one output is chunked";
  if (transition.getLevels() > 0)
    return "a state of " + std::to_string(transition.getLevels()) +
           " levels is not chunked yet";
  if (auto time = dyn_cast<RankedTensorType>(op.getInputs().front().getType());
      time && time.getRank() > 1 && time.getDimSize(1) == 1)
    return "a single step (static T = 1) is cheaper sequentially";
  BlockArgument state = op.getStateArgs()[0];
  auto stateType = dyn_cast<RankedTensorType>(state.getType());
  if (!stateType || stateType.getRank() != 2 ||
      !stateType.getElementType().isF32() || !stateType.hasStaticShape())
    return "the state is not a static f32 matrix";
  plan.keyDim = stateType.getDimSize(0);
  plan.valueDim = stateType.getDimSize(1);

  llvm::SmallPtrSet<Value, 8> dependent = stateDependents(op, state, plan);

  // S_t = diag(exp(x_t)) S_{t−1} + k_t ⊗ v_t
  const char *shape = "the new state is not 'diag(exp(x)) S + k ⊗ v'";
  auto update = op.getYieldedStates()[0].getDefiningOp<arith::AddFOp>();
  if (!update)
    return shape;
  OuterOp outer;
  ScaleOp scale;
  for (auto [u, d] : {std::pair(update.getRhs(), update.getLhs()),
                      std::pair(update.getLhs(), update.getRhs())}) {
    auto o = u.getDefiningOp<OuterOp>();
    auto s = d.getDefiningOp<ScaleOp>();
    if (o && s && !dependent.contains(u)) {
      outer = o;
      scale = s;
      break;
    }
  }
  if (!outer)
    return shape;
  if (!isF32Vector(outer.getLhs(), plan.keyDim) ||
      !isF32Vector(outer.getRhs(), plan.valueDim))
    return "the update is not a rank-1 outer product of f32 vectors";
  if (std::string why = perKeyDecay(scale, state, plan); !why.empty())
    return why;
  plan.key = outer.getLhs();
  plan.value = outer.getRhs();

  // o_t = S_tᵀ q_t [+ e_t] or S_{t−1}ᵀ q_t [+ e_t]
  arith::AddFOp sum;
  ReadOp read = matchOutputRead(op.getYieldedOutputs()[0], dependent, sum,
                                plan.extra);
  if (!read || read.getAxis() != Axis::rows ||
      (read.getState() != update.getResult() && read.getState() != state))
    return "the output is not 'Sᵀ q [+ e]' of the updated or the previous "
           "state";
  plan.preRead = read.getState() == state;
  plan.query = read.getVector();
  if (dependent.contains(plan.query))
    return kStateQuery;
  if (!isF32Vector(plan.query, plan.keyDim) ||
      (plan.extra && !isF32Vector(plan.extra, plan.valueDim)))
    return "the read's query or the output's addend is not an f32 vector";

  llvm::SmallPtrSet<Operation *, 8> expected{update, scale, read};
  if (sum)
    expected.insert(sum);
  return onlyRecognisedReaders(plan, expected);
}

/// The general diagonal-plus-low-rank transition (RWKV-7):
///   S_t = diag(exp(x_t)) S_{t−1} + b_t ⊗ (Sᵀ a_t) + k_t ⊗ v_t,
///   o_t = S_tᵀ q_t [+ e_t],
/// where the correction reads S = S_{t−1} (RWKV-7) or the decayed state,
/// as a sum of three terms in any order. nullopt where the new state is not
/// such a sum (the delta rule's shape is tried next); else "" when `op` has
/// this shape, or why not.
static std::optional<std::string>
analyzeLowRank(ScanOp op, Value state,
               const llvm::SmallPtrSet<Value, 8> &dependent, ChunkPlan &plan) {
  // The terms of the state-dependent sum that yields the new state.
  SmallVector<arith::AddFOp> sums;
  SmallVector<Value> terms;
  SmallVector<Value> work{op.getYieldedStates()[0]};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    auto add = v.getDefiningOp<arith::AddFOp>();
    if (add && dependent.contains(v)) {
      sums.push_back(add);
      work.append({add.getRhs(), add.getLhs()});
      continue;
    }
    terms.push_back(v);
  }
  if (terms.size() != 3)
    return std::nullopt;

  const char *shape = "the new state is not 'diag(exp(x)) S + b ⊗ (Sᵀ a) + "
                      "k ⊗ v' (general dplr)";
  ScaleOp scale;
  OuterOp correction, write;
  for (Value term : terms) {
    if (auto s = term.getDefiningOp<ScaleOp>(); s && !scale)
      scale = s;
    else if (auto o = term.getDefiningOp<OuterOp>();
             o && dependent.contains(term) && !correction)
      correction = o;
    else if (o && !dependent.contains(term) && !write)
      write = o;
    else
      return std::string(shape);
  }
  if (!scale || !correction || !write)
    return std::string(shape);
  if (std::string why = perKeyDecay(scale, state, plan); !why.empty())
    return why;
  for (OuterOp outer : {correction, write})
    if (!isF32Vector(outer.getLhs(), plan.keyDim) ||
        !isF32Vector(outer.getRhs(), plan.valueDim))
      return std::string(
          "the update is not a sum of rank-1 outer products of f32 vectors");
  auto lowRank = correction.getRhs().getDefiningOp<ReadOp>();
  if (!lowRank || dependent.contains(correction.getLhs()) ||
      lowRank.getAxis() != Axis::rows ||
      (lowRank.getState() != state &&
       lowRank.getState() != scale.getResult()) ||
      dependent.contains(lowRank.getVector()))
    return std::string("the low-rank correction is not 'b ⊗ (Sᵀ a)' with a "
                       "and b independent of the state and S the previous "
                       "or the decayed state");
  plan.lowRankRead = lowRank.getVector();
  plan.lowRankWrite = correction.getLhs();
  plan.lowRankReadsDecayed = lowRank.getState() == scale.getResult();
  plan.key = write.getLhs();
  plan.value = write.getRhs();

  arith::AddFOp sum;
  ReadOp read = matchOutputRead(op.getYieldedOutputs()[0], dependent, sum,
                                plan.extra);
  if (!read || read.getState() != op.getYieldedStates()[0] ||
      read.getAxis() != Axis::rows)
    return std::string("the output is not 'S_tᵀ q [+ e]' of the updated state");
  plan.query = read.getVector();
  if (dependent.contains(plan.query))
    return std::string(kStateQuery);
  if (!isF32Vector(plan.query, plan.keyDim) ||
      (plan.extra && !isF32Vector(plan.extra, plan.valueDim)))
    return std::string(
        "the read's query or the output's addend is not an f32 vector");

  llvm::SmallPtrSet<Operation *, 8> expected{scale, correction, lowRank, read};
  for (arith::AddFOp add : sums)
    expected.insert(add);
  if (sum)
    expected.insert(sum);
  return onlyRecognisedReaders(plan, expected);
}

//===----------------------------------------------------------------------===//
// IR building
//===----------------------------------------------------------------------===//

constexpr arith::FastMathFlags kContract = arith::FastMathFlags::contract;
constexpr arith::FastMathFlags kReduce =
    arith::FastMathFlags::contract | arith::FastMathFlags::reassoc;

/// `tensor.empty` of `type` whose leading dynamic dims are `leading`.
static Value emptyWithLeading(OpBuilder &b, Location loc,
                              RankedTensorType type, ArrayRef<Value> leading) {
  SmallVector<Value> dynamic;
  for (auto [i, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      dynamic.push_back(leading[i]);
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

/// Offsets, sizes and rank-reduced type of the slice of `source` at the
/// leading positions `leading` (a null entry keeps that whole dim).
struct Slice {
  SmallVector<OpFoldResult> offsets, sizes, strides;
  RankedTensorType type;
};
static Slice sliceAt(OpBuilder &b, Location loc, Value source,
                     ArrayRef<Value> leading) {
  auto type = cast<RankedTensorType>(source.getType());
  Slice s;
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> mixed = tensor::getMixedSizes(b, loc, source);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool fixed = d < static_cast<int64_t>(leading.size()) && leading[d];
    s.offsets.push_back(fixed ? OpFoldResult(leading[d])
                              : OpFoldResult(b.getIndexAttr(0)));
    s.sizes.push_back(fixed ? OpFoldResult(b.getIndexAttr(1)) : mixed[d]);
    s.strides.push_back(b.getIndexAttr(1));
    if (!fixed)
      shape.push_back(type.getDimSize(d));
  }
  s.type = RankedTensorType::get(shape, type.getElementType());
  return s;
}

/// The slice of `source` at `leading`: `tensor.extract` when nothing remains.
static Value extractAt(OpBuilder &b, Location loc, Value source,
                       ArrayRef<Value> leading) {
  auto type = cast<RankedTensorType>(source.getType());
  if (static_cast<int64_t>(leading.size()) == type.getRank() &&
      llvm::all_of(leading, [](Value v) { return bool(v); }))
    return tensor::ExtractOp::create(b, loc, source, leading);
  Slice s = sliceAt(b, loc, source, leading);
  return tensor::ExtractSliceOp::create(b, loc, s.type, source, s.offsets,
                                        s.sizes, s.strides);
}

/// Writes the vector `row` into row `i` of the matrix `dest`, as one vector
/// (a vector load and store once bufferized, not a memref.copy), or as a
/// slice (a copy loop) without `vectorRows`.
static Value insertRow(OpBuilder &b, Location loc, Value row, Value dest,
                       Value i, bool vectorRows) {
  auto type = cast<RankedTensorType>(row.getType());
  if (!vectorRows) {
    int64_t n = type.getDimSize(0);
    return tensor::InsertSliceOp::create(
        b, loc, row, dest, ArrayRef<OpFoldResult>{i, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  auto vecType = VectorType::get(type.getShape(), type.getElementType());
  Value zero = indexConst(b, loc, 0);
  Value pad = f32Const(b, loc, 0.0);
  Value v = vector::TransferReadOp::create(b, loc, vecType, row,
                                           ValueRange{zero}, pad,
                                           ArrayRef<bool>{true});
  return vector::TransferWriteOp::create(b, loc, v, dest, ValueRange{i, zero},
                                         ArrayRef<bool>{true})
      .getResult();
}

/// `math.exp` of the chunk algebra: marked so that the pass can give it the
/// vectorizable polynomial form (the user's own ops keep libm's).
static Value fastExp(OpBuilder &b, Location loc, Value x) {
  auto exp = math::ExpOp::create(b, loc, x);
  exp->setAttr("hymir.chunk_exp", b.getUnitAttr());
  return exp;
}

static AffineMap map(MLIRContext *ctx, unsigned numDims,
                     ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

using PayloadFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

static Value generic(OpBuilder &b, Location loc, ValueRange inputs, Value init,
                     ArrayRef<AffineMap> maps,
                     ArrayRef<utils::IteratorType> iterators,
                     PayloadFn payload) {
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, payload(b, loc, args));
      });
  return op.getResult(0);
}

/// `init[x, z] += Σ_y lhs[...] · rhs[...]` as a generic over the loops
/// (d0, d1, d2) with the given operand maps (the reduction loop is the one
/// absent from the init's map). Tagged for the CPU pipeline's vectorization.
static Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                    Value init, AffineMap lhsMap, AffineMap rhsMap,
                    AffineMap initMap, unsigned reductionDim,
                    StringRef triangular = {}) {
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators[reductionDim] = utils::IteratorType::reduction;
  // Contiguous reductions (the innermost loop) may be reassociated, so that
  // LLVM keeps vector partial sums; others need only contraction into FMAs.
  arith::FastMathFlags flags = reductionDim == 2 ? kReduce : kContract;
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
      ValueRange{init}, ArrayRef<AffineMap>{lhsMap, rhsMap, initMap},
      iterators, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value m = arith::MulFOp::create(b, loc, args[0], args[1], flags);
        Value s = arith::AddFOp::create(b, loc, args[2], m, flags);
        linalg::YieldOp::create(b, loc, s);
      });
  op->setAttr("hymir.chunk_matmul", b.getUnitAttr());
  if (!triangular.empty())
    op->setAttr(triangular, b.getUnitAttr());
  return op.getResult(0);
}

/// The in-chunk cumulative log-decay: G[i] = Σ_{s ≤ i} g[s], e^G and
/// G[C − 1]; all null without a decay.
struct ChunkDecay {
  Value cumulative, expCumulative, last;
};

static ChunkDecay chunkDecay(OpBuilder &b, Location loc, int64_t C, Value g,
                             bool vectorRows) {
  ChunkDecay d;
  if (!g)
    return d;
  MLIRContext *ctx = b.getContext();
  if (vectorRows) {
    // A running sum over the chunk, in order.
    Value zeroIndex = indexConst(b, loc, 0), oneIndex = indexConst(b, loc, 1);
    auto prefix = scf::ForOp::create(
        b, loc, zeroIndex, indexConst(b, loc, C), oneIndex,
        ValueRange{f32Const(b, loc, 0.0),
                   tensor::EmptyOp::create(b, loc, {C}, b.getF32Type())},
        [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
          Value gi = tensor::ExtractOp::create(b, loc, g, ValueRange{i});
          Value sum = arith::AddFOp::create(b, loc, acc[0], gi);
          Value dst = tensor::InsertOp::create(b, loc, sum, acc[1],
                                               ValueRange{i});
          scf::YieldOp::create(b, loc, ValueRange{sum, dst});
        });
    d.cumulative = prefix.getResult(1);
  } else {
    // Each G[i] its own sum over j ≤ i (loops i, j): parallel over i, no
    // loop-carried scalar, which a GPU block could not share.
    d.cumulative = generic(
        b, loc, g, zeros(b, loc, {C}), {map(ctx, 2, {1}), map(ctx, 2, {0})},
        {utils::IteratorType::parallel, utils::IteratorType::reduction},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value i = linalg::IndexOp::create(b, loc, 0);
          Value j = linalg::IndexOp::create(b, loc, 1);
          Value before =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, j, i);
          Value term = arith::SelectOp::create(b, loc, before, args[0],
                                               f32Const(b, loc, 0.0));
          return arith::AddFOp::create(b, loc, args[1], term).getResult();
        });
  }
  AffineMap id1 = map(ctx, 1, {0});
  d.expCumulative = generic(
      b, loc, d.cumulative,
      tensor::EmptyOp::create(b, loc, {C}, b.getF32Type()), {id1, id1},
      {utils::IteratorType::parallel},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return fastExp(b, loc, args[0]);
      });
  d.last = tensor::ExtractOp::create(b, loc, d.cumulative,
                                     ValueRange{indexConst(b, loc, C - 1)});
  return d;
}

/// The causal decay mask as one element-wise generic over (i, j), for
/// targets without `vectorRows` (see maskScores).
static Value maskScoresGeneric(OpBuilder &b, Location loc, int64_t C,
                               Value scores, const ChunkDecay &decay,
                               bool strict, Value rowScale) {
  MLIRContext *ctx = b.getContext();
  AffineMap id2 = map(ctx, 2, {0, 1}), rowOf = map(ctx, 2, {0}),
            colOf = map(ctx, 2, {1});
  SmallVector<Value> inputs{scores};
  SmallVector<AffineMap> maps{id2};
  if (decay.cumulative) {
    inputs.append({decay.cumulative, decay.cumulative});
    maps.append({rowOf, colOf});
  }
  if (rowScale) {
    inputs.push_back(rowScale);
    maps.push_back(rowOf);
  }
  maps.push_back(id2);
  auto par = utils::IteratorType::parallel;
  return generic(
      b, loc, inputs, tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type()),
      maps, {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value i = linalg::IndexOp::create(b, loc, 0);
        Value j = linalg::IndexOp::create(b, loc, 1);
        Value causal = arith::CmpIOp::create(
            b, loc, strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule,
            j, i);
        Value zero = f32Const(b, loc, 0.0);
        Value x = args[0];
        unsigned n = 1;
        if (decay.cumulative) {
          Value diff = arith::SubFOp::create(b, loc, args[n], args[n + 1]);
          n += 2;
          Value safe = arith::SelectOp::create(b, loc, causal, diff, zero);
          x = arith::MulFOp::create(b, loc, x, fastExp(b, loc, safe));
        }
        if (rowScale)
          x = arith::MulFOp::create(b, loc, x, args[n++]);
        return arith::SelectOp::create(b, loc, causal, x, zero).getResult();
      });
}

/// The causal decay mask applied to the C × C `scores`, row by row as
/// vector<C> (vectorized exponentials, no scalar loop):
///   out[i, :] = select(j ≤ i (j < i if strict), A[i, :] · e^{G_i − G}, 0)
/// times `rowScale[i]` when given.
static Value maskScores(OpBuilder &b, Location loc, int64_t C, Value scores,
                        const ChunkDecay &decay, bool strict, bool vectorRows,
                        Value rowScale = {}) {
  if (!vectorRows)
    return maskScoresGeneric(b, loc, C, scores, decay, strict, rowScale);
  auto rowType = VectorType::get({C}, b.getF32Type());
  auto laneType = VectorType::get({C}, b.getI32Type());
  SmallVector<int32_t> lanes;
  for (int64_t j = 0; j < C; ++j)
    lanes.push_back(static_cast<int32_t>(j));
  Value laneIds = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(laneType, lanes));
  Value zeroIndex = indexConst(b, loc, 0);
  Value zeroRow = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(0.0)));
  Value pad = f32Const(b, loc, 0.0);
  Value cumulativeRow;
  if (decay.cumulative)
    cumulativeRow = vector::TransferReadOp::create(
        b, loc, rowType, decay.cumulative, ValueRange{zeroIndex}, pad,
        ArrayRef<bool>{true});
  auto maskLoop = scf::ForOp::create(
      b, loc, zeroIndex, indexConst(b, loc, C), indexConst(b, loc, 1),
      ValueRange{tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type())},
      [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
        Value row = vector::TransferReadOp::create(
            b, loc, rowType, scores, ValueRange{i, zeroIndex}, pad,
            ArrayRef<bool>{true});
        Value i32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), i);
        Value iSplat = vector::BroadcastOp::create(b, loc, laneType, i32);
        Value causal = arith::CmpIOp::create(
            b, loc, strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule,
            laneIds, iSplat);
        if (decay.cumulative) {
          // exp of a masked-out (positive) difference could overflow; the
          // select keeps it out of the result either way.
          Value gi = tensor::ExtractOp::create(b, loc, decay.cumulative,
                                               ValueRange{i});
          Value giSplat = vector::BroadcastOp::create(b, loc, rowType, gi);
          Value diff = arith::SubFOp::create(b, loc, giSplat, cumulativeRow);
          Value safe = arith::SelectOp::create(b, loc, causal, diff, zeroRow);
          row = arith::MulFOp::create(b, loc, row, fastExp(b, loc, safe));
        }
        if (rowScale) {
          Value si = tensor::ExtractOp::create(b, loc, rowScale, ValueRange{i});
          row = arith::MulFOp::create(
              b, loc, row, vector::BroadcastOp::create(b, loc, rowType, si));
        }
        row = arith::SelectOp::create(b, loc, causal, row, zeroRow);
        Value dst = vector::TransferWriteOp::create(
                        b, loc, row, acc[0], ValueRange{i, zeroIndex},
                        ArrayRef<bool>{true})
                        .getResult();
        scf::YieldOp::create(b, loc, dst);
      });
  return maskLoop.getResult(0);
}

/// L = (I + A)⁻¹ of the strictly lower `a` by forward substitution, row by
/// row as vector<C>: L[i, :] = e_i − Σ_{j < i} A[i, j] L[j, :]. Rows j < i
/// of L are zero past column j, so L is lower triangular.
static Value unitLowerInverseRows(OpBuilder &b, Location loc, int64_t C,
                                  Value a) {
  auto rowType = VectorType::get({C}, b.getF32Type());
  auto laneType = VectorType::get({C}, b.getI32Type());
  SmallVector<int32_t> lanes;
  for (int64_t j = 0; j < C; ++j)
    lanes.push_back(static_cast<int32_t>(j));
  Value laneIds = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(laneType, lanes));
  Value zeroRow = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(0.0)));
  Value oneRow = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(1.0)));
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  Value pad = f32Const(b, loc, 0.0);
  auto solve = scf::ForOp::create(
      b, loc, zero, indexConst(b, loc, C), one,
      ValueRange{tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type())},
      [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
        Value i32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), i);
        Value iSplat = vector::BroadcastOp::create(b, loc, laneType, i32);
        Value diagonal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                               laneIds, iSplat);
        Value unit = arith::SelectOp::create(b, loc, diagonal, oneRow, zeroRow);
        auto sum = scf::ForOp::create(
            b, loc, zero, i, one, ValueRange{unit},
            [&](OpBuilder &b, Location loc, Value j, ValueRange row) {
              Value aij = tensor::ExtractOp::create(b, loc, a, ValueRange{i, j});
              Value neg = arith::NegFOp::create(b, loc, aij);
              Value lj = vector::TransferReadOp::create(
                  b, loc, rowType, acc[0], ValueRange{j, zero}, pad,
                  ArrayRef<bool>{true});
              Value splat = vector::BroadcastOp::create(b, loc, rowType, neg);
              scf::YieldOp::create(
                  b, loc,
                  ValueRange{vector::FMAOp::create(b, loc, splat, lj, row[0])});
            });
        Value dst = vector::TransferWriteOp::create(
                        b, loc, sum.getResult(0), acc[0], ValueRange{i, zero},
                        ArrayRef<bool>{true})
                        .getResult();
        scf::YieldOp::create(b, loc, dst);
      });
  return solve.getResult(0);
}

/// The same forward substitution with tensor ops: each row a generic over
/// (column, j) on a zero-initialised L (A[i, j] = 0 for j ≥ i, and rows of
/// L past i are still zero), so every column's sum is a parallel iteration.
static Value unitLowerInverseGeneric(OpBuilder &b, Location loc, int64_t C,
                                     Value a) {
  MLIRContext *ctx = b.getContext();
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  auto solve = scf::ForOp::create(
      b, loc, zero, indexConst(b, loc, C), one,
      ValueRange{zeros(b, loc, {C, C})},
      [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
        auto rowType = RankedTensorType::get({C}, b.getF32Type());
        Value aRow = tensor::ExtractSliceOp::create(
            b, loc, rowType, a, ArrayRef<OpFoldResult>{i, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(C)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
        Value unit = generic(
            b, loc, ValueRange{},
            tensor::EmptyOp::create(b, loc, {C}, b.getF32Type()),
            {map(ctx, 1, {0})}, {utils::IteratorType::parallel},
            [&](OpBuilder &b, Location loc, ValueRange) {
              Value c = linalg::IndexOp::create(b, loc, 0);
              Value diagonal =
                  arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, c, i);
              return arith::SelectOp::create(b, loc, diagonal,
                                             f32Const(b, loc, 1.0),
                                             f32Const(b, loc, 0.0))
                  .getResult();
            });
        // row[c] = unit[c] − Σ_j A[i, j] L[j, c]   (loops c, j)
        Value row = generic(
            b, loc, ValueRange{aRow, acc[0]}, unit,
            {map(ctx, 2, {1}), map(ctx, 2, {1, 0}), map(ctx, 2, {0})},
            {utils::IteratorType::parallel, utils::IteratorType::reduction},
            [&](OpBuilder &b, Location loc, ValueRange args) {
              Value m = arith::MulFOp::create(b, loc, args[0], args[1],
                                              kContract);
              return arith::SubFOp::create(b, loc, args[2], m, kContract)
                  .getResult();
            });
        scf::YieldOp::create(b, loc,
                             insertRow(b, loc, row, acc[0], i,
                                       /*vectorRows=*/false));
      });
  return solve.getResult(0);
}

/// The same L = (I + A)⁻¹ by doubling diagonal blocks, for C a power of
/// two: L starts as I (blocks of 1); at level s (1, 2, 4, … C/2) every pair
/// of inverted diagonal blocks [[L₁₁, 0], [A₂₁, L₂₂]] of a 2s-block gets
/// its lower-left block L₂₁ = −L₂₂ (A₂₁ L₁₁). Each level is two products
/// over all of L's C × C entries with reductions of length s (entries
/// outside the pairs' lower-left blocks compute values nobody reads) and a
/// select that keeps L there: 3 log₂ C steps a GPU block's threads share
/// instead of C dependent rows; the critical path is 2(C − 1) FMAs.
/// Blockwise inversion is as stable as the substitution; a power series in
/// A would not be (its terms grow like binomials where neighbouring keys
/// align: check_chunked_delta.py's "aligned" regime).
static Value unitLowerInverseBlocked(OpBuilder &b, Location loc, int64_t C,
                                     Value a) {
  MLIRContext *ctx = b.getContext();
  auto par = utils::IteratorType::parallel;
  auto red = utils::IteratorType::reduction;
  AffineExpr r = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto map3 = [&](AffineExpr row, AffineExpr col) {
    return AffineMap::get(3, 0, {row, col}, ctx);
  };
  Value inverse = generic(
      b, loc, ValueRange{}, tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type()),
      {map(ctx, 2, {0, 1})}, {par, par},
      [&](OpBuilder &b, Location loc, ValueRange) {
        Value i = linalg::IndexOp::create(b, loc, 0);
        Value j = linalg::IndexOp::create(b, loc, 1);
        Value diagonal =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i, j);
        return arith::SelectOp::create(b, loc, diagonal, f32Const(b, loc, 1.0),
                                       f32Const(b, loc, 0.0))
            .getResult();
      });
  for (int64_t s = 1; s < C; s *= 2) {
    // The first row/column of the row's 2s-block, and of its second half.
    AffineExpr block = r.floorDiv(2 * s) * (2 * s);
    AffineExpr second = block + s;
    // No operand is indexed by k alone: an unread [s] operand gives linalg
    // the reduction's extent.
    Value extent = zeros(b, loc, {s});
    AffineMap kMap = AffineMap::get(3, 0, {k}, ctx);
    // T[r, c] = Σ_{k<s} A[r, block + k] L[block + k, c]: A₂₁ L₁₁ where r is
    // in a second half and c in the same block's first half.
    Value t = generic(
        b, loc, ValueRange{a, inverse, extent}, zeros(b, loc, {C, C}),
        {map3(r, block + k), map3(block + k, c), kMap, map3(r, c)},
        {par, par, red},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value m = arith::MulFOp::create(b, loc, args[0], args[1], kContract);
          return arith::AddFOp::create(b, loc, args[3], m, kContract)
              .getResult();
        });
    // L[r, c] −= Σ_{k<s} L[r, second + k] T[second + k, c] on the pairs'
    // lower-left blocks (where L is still zero); elsewhere L is kept.
    Value lower = generic(
        b, loc, ValueRange{inverse, t, extent}, zeros(b, loc, {C, C}),
        {map3(r, second + k), map3(second + k, c), kMap, map3(r, c)},
        {par, par, red}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value m = arith::MulFOp::create(b, loc, args[0], args[1], kContract);
          return arith::SubFOp::create(b, loc, args[3], m, kContract)
              .getResult();
        });
    inverse = generic(
        b, loc, ValueRange{lower, inverse},
        tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type()),
        {map(ctx, 2, {0, 1}), map(ctx, 2, {0, 1}), map(ctx, 2, {0, 1})},
        {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value i = linalg::IndexOp::create(b, loc, 0);
          Value j = linalg::IndexOp::create(b, loc, 1);
          Value twoS = indexConst(b, loc, 2 * s), sV = indexConst(b, loc, s);
          auto ge = arith::CmpIPredicate::uge, lt = arith::CmpIPredicate::ult;
          Value iIn = arith::RemUIOp::create(b, loc, i, twoS);
          Value jIn = arith::RemUIOp::create(b, loc, j, twoS);
          Value sameBlock = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq,
              arith::DivUIOp::create(b, loc, i, twoS),
              arith::DivUIOp::create(b, loc, j, twoS));
          Value target = arith::AndIOp::create(
              b, loc, sameBlock,
              arith::AndIOp::create(
                  b, loc, arith::CmpIOp::create(b, loc, ge, iIn, sV),
                  arith::CmpIOp::create(b, loc, lt, jIn, sV)));
          return arith::SelectOp::create(b, loc, target, args[0], args[1])
              .getResult();
        });
  }
  return inverse;
}

/// Scores `lhs rhsᵀ` of two C-row matrices (loops i, j, k: contiguous dot
/// products), lower triangle only (the mask discards the rest).
static Value chunkScores(OpBuilder &b, Location loc, int64_t C, Value lhs,
                         Value rhs) {
  MLIRContext *ctx = b.getContext();
  return matmul(b, loc, lhs, rhs, zeros(b, loc, {C, C}), map(ctx, 3, {0, 2}),
                map(ctx, 3, {1, 2}), map(ctx, 3, {0, 1}), 2,
                "hymir.lower_triangular_result");
}

/// Scores `lhs rhsᵀ` under the causal decay mask (see maskScores).
static Value maskedScores(OpBuilder &b, Location loc, int64_t C, Value lhs,
                          Value rhs, const ChunkDecay &decay, bool strict,
                          bool vectorRows, Value rowScale = {}) {
  return maskScores(b, loc, C, chunkScores(b, loc, C, lhs, rhs), decay, strict,
                    vectorRows, rowScale);
}

/// The UT/WY transform's state-independent part from the strictly lower
/// `a` = A (β already in its rows) and the keys as the corrections read the
/// incoming state, `k` times `rowDecay` (e^G, [C]) where given:
///   L = (I + A)⁻¹,  U = L diag(β) V,  −W = −L diag(β [e^G]) K.
/// (The per-key-decay form passes K ∘ e^G as `k`.)
static std::pair<Value, Value> wyTransform(OpBuilder &b, Location loc,
                                           const ChunkPlan &plan, int64_t C,
                                           Value a, Value k, Value rowDecay,
                                           Value v, Value beta) {
  MLIRContext *ctx = b.getContext();
  int64_t K = plan.keyDim, V = plan.valueDim;
  auto par = utils::IteratorType::parallel;
  AffineMap id2 = map(ctx, 2, {0, 1}), row2 = map(ctx, 2, {0});

  Value inverse =
      plan.vectorRows ? unitLowerInverseRows(b, loc, C, a)
      : plan.blockedInverse && llvm::isPowerOf2_64(C)
          ? unitLowerInverseBlocked(b, loc, C, a)
          : unitLowerInverseGeneric(b, loc, C, a);

  // diag(β) V and −diag(β [e^G]) K, then through L (lower-triangular lhs).
  Value betaV = generic(
      b, loc, {v, beta}, tensor::EmptyOp::create(b, loc, {C, V}, b.getF32Type()),
      {id2, row2, id2}, {par, par},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::MulFOp::create(b, loc, args[0], args[1]).getResult();
      });
  SmallVector<Value> kScaleInputs{k, beta};
  SmallVector<AffineMap> kScaleMaps{id2, row2};
  if (rowDecay) {
    kScaleInputs.push_back(rowDecay);
    kScaleMaps.push_back(row2);
  }
  kScaleMaps.push_back(id2);
  Value betaK = generic(
      b, loc, kScaleInputs,
      tensor::EmptyOp::create(b, loc, {C, K}, b.getF32Type()), kScaleMaps,
      {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = arith::MulFOp::create(b, loc, args[0], args[1]);
        if (args.size() > 3)
          x = arith::MulFOp::create(b, loc, x, args[2]);
        return arith::NegFOp::create(b, loc, x).getResult();
      });
  Value u = matmul(b, loc, inverse, betaV, zeros(b, loc, {C, V}),
                   map(ctx, 3, {0, 1}), map(ctx, 3, {1, 2}),
                   map(ctx, 3, {0, 2}), 1, "hymir.lower_triangular_lhs");
  Value w = matmul(b, loc, inverse, betaK, zeros(b, loc, {C, K}),
                   map(ctx, 3, {0, 1}), map(ctx, 3, {1, 2}),
                   map(ctx, 3, {0, 2}), 1, "hymir.lower_triangular_lhs");
  return {u, w};
}

/// The delta rule's pseudo-values of one chunk (the UT/WY transform):
///   A  = strictly-lower(diag(β) (K Kᵀ ∘ D)),  D[i, j] = e^{G_i − G_j}
///   L  = (I + A)⁻¹                             (forward substitution)
///   V' = L diag(β) V − L diag(β e^G) K S
/// V' replaces V in the update and read of a plain (decayed) rank-1 scan:
/// O = ((Q Kᵀ) ∘ M) V' + diag(e^G) Q S,  S ← e^{G_{C−1}} S + (...K)ᵀ V'.
/// The state-independent part: U = L diag(β) V and −W = −L diag(β e^G) K.
/// `keyScores`, where given, is K Kᵀ computed once for the heads of a
/// query/key group.
static std::pair<Value, Value> deltaTransform(OpBuilder &b, Location loc,
                                              const ChunkPlan &plan, int64_t C,
                                              Value k, Value v, Value beta,
                                              const ChunkDecay &decay,
                                              Value keyScores = {}) {
  Value a = keyScores ? maskScores(b, loc, C, keyScores, decay,
                                   /*strict=*/true, plan.vectorRows, beta)
                      : maskedScores(b, loc, C, k, k, decay, /*strict=*/true,
                                     plan.vectorRows, beta);
  return wyTransform(b, loc, plan, C, a, k, decay.expCumulative, v, beta);
}

/// V' = U + (−W) S.
static Value applyDelta(OpBuilder &b, Location loc, Value u, Value negW,
                        Value state) {
  MLIRContext *ctx = b.getContext();
  return matmul(b, loc, negW, state, u, map(ctx, 3, {0, 1}),
                map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1);
}

static Value deltaValues(OpBuilder &b, Location loc, const ChunkPlan &plan,
                         int64_t C, Value k, Value v, Value beta,
                         const ChunkDecay &decay, Value state,
                         Value keyScores = {}) {
  auto [u, negW] =
      deltaTransform(b, loc, plan, C, k, v, beta, decay, keyScores);
  return applyDelta(b, loc, u, negW, state);
}

/// The output rows of one chunk from its incoming state:
/// O = ((Q Kᵀ) ∘ M) V + diag(e^G) Q S (+ E). `scores`, where given, is
/// Q Kᵀ computed once for the heads of a query/key group.
static Value chunkOutput(OpBuilder &b, Location loc, const ChunkPlan &plan,
                         int64_t C, Value q, Value k, Value v,
                         const ChunkDecay &decay, Value e, Value state,
                         Value scores = {}) {
  MLIRContext *ctx = b.getContext();
  int64_t K = plan.keyDim, V = plan.valueDim;
  auto par = utils::IteratorType::parallel;
  AffineMap id2 = map(ctx, 2, {0, 1}), row2 = map(ctx, 2, {0});

  Value masked =
      scores ? maskScores(b, loc, C, scores, decay, /*strict=*/false,
                          plan.vectorRows)
             : maskedScores(b, loc, C, q, k, decay, /*strict=*/false,
                            plan.vectorRows);

  // Inter-chunk part: O = diag(e^G) Q S (+ E), loops i, k, v.
  Value qDecayed = q;
  if (decay.cumulative)
    qDecayed = generic(
        b, loc, {q, decay.expCumulative},
        tensor::EmptyOp::create(b, loc, {C, K}, b.getF32Type()),
        {id2, row2, id2}, {par, par},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return arith::MulFOp::create(b, loc, args[0], args[1]).getResult();
        });
  Value out = e ? e : zeros(b, loc, {C, V});
  out = matmul(b, loc, qDecayed, state, out, map(ctx, 3, {0, 1}),
               map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1);
  // Intra-chunk part: O += (A ∘ M) V, loops i, j, v.
  return matmul(b, loc, masked, v, out, map(ctx, 3, {0, 1}),
                map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1,
                "hymir.lower_triangular_lhs");
}

/// The keys as the state update weighs them: diag(e^{G_last − G}) K (K
/// itself without a decay).
static Value decayKeys(OpBuilder &b, Location loc, const ChunkPlan &plan,
                       int64_t C, Value k, const ChunkDecay &decay) {
  if (!decay.cumulative)
    return k;
  MLIRContext *ctx = b.getContext();
  auto par = utils::IteratorType::parallel;
  AffineMap id2 = map(ctx, 2, {0, 1}), row2 = map(ctx, 2, {0});
  Value last = decay.last;
  return generic(b, loc, {k, decay.cumulative},
                 tensor::EmptyOp::create(b, loc, {C, plan.keyDim},
                                         b.getF32Type()),
                 {id2, row2, id2}, {par, par},
                 [&](OpBuilder &b, Location loc, ValueRange args) {
                   Value diff = arith::SubFOp::create(b, loc, last, args[1]);
                   Value decay = fastExp(b, loc, diff);
                   return arith::MulFOp::create(b, loc, args[0], decay)
                       .getResult();
                 });
}

/// S ← total · S + decayedKeysᵀ V (loops k, j, v); `total` null: 1.
static Value updateState(OpBuilder &b, Location loc, Value decayedKeys,
                         Value total, Value v, Value state) {
  MLIRContext *ctx = b.getContext();
  auto par = utils::IteratorType::parallel;
  Value decayedState = state;
  if (total)
    decayedState = generic(
        b, loc, ValueRange{}, state, {map(ctx, 2, {0, 1})}, {par, par},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return arith::MulFOp::create(b, loc, args[0], total).getResult();
        });
  return matmul(b, loc, decayedKeys, v, decayedState, map(ctx, 3, {1, 0}),
                map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1);
}

/// The state after one chunk:
/// S ← e^{G_last} S + (diag(e^{G_last − G}) K)ᵀ V.
static Value chunkNextState(OpBuilder &b, Location loc, const ChunkPlan &plan,
                            int64_t C, Value k, Value v,
                            const ChunkDecay &decay, Value state) {
  Value decayedKeys = decayKeys(b, loc, plan, C, k, decay);
  Value total =
      decay.cumulative ? fastExp(b, loc, decay.last) : Value();
  return updateState(b, loc, decayedKeys, total, v, state);
}

//===----------------------------------------------------------------------===//
// The diagonal class: sub-chunks with reference points
//===----------------------------------------------------------------------===//

/// The diagonal form's largest chunk.
constexpr int64_t kDiagonalChunk = 32;

/// The diagonal-plus-low-rank form's largest chunk: its scores are one
/// element-wise block (an exponential per term), no halving levels. At the
/// bench shape (H = 16, K = V = 128) chunks of 8 were 1.09× faster than 16
/// and 1.24× than 32 at 1 thread (1.04× than 16 at 2 threads).
constexpr int64_t kLowRankChunk = 8;

/// The diagonal form's sub-chunk (the blocks whose scores take an
/// exponential per term): C halved while it is even and above 8.
static int64_t subChunkSize(int64_t C) {
  while (C > 8 && C % 2 == 0)
    C /= 2;
  return C;
}

/// Rows [offset, offset + n) of the static matrix `m`.
static Value rowBlock(OpBuilder &b, Location loc, Value m, int64_t offset,
                      int64_t n) {
  auto type = cast<RankedTensorType>(m.getType());
  int64_t width = type.getDimSize(1);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({n, width}, type.getElementType()), m,
      ArrayRef<OpFoldResult>{b.getIndexAttr(offset), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(n), b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// Row `r` of the static matrix `m` as a vector tensor.
static Value rowAt(OpBuilder &b, Location loc, Value m, int64_t r) {
  auto type = cast<RankedTensorType>(m.getType());
  int64_t width = type.getDimSize(1);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({width}, type.getElementType()), m,
      ArrayRef<OpFoldResult>{b.getIndexAttr(r), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// `block` written into `dest` at (row, col).
static Value insertBlock(OpBuilder &b, Location loc, Value block, Value dest,
                         int64_t row, int64_t col) {
  auto type = cast<RankedTensorType>(block.getType());
  return tensor::InsertSliceOp::create(
      b, loc, block, dest,
      ArrayRef<OpFoldResult>{b.getIndexAttr(row), b.getIndexAttr(col)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(type.getDimSize(0)),
                             b.getIndexAttr(type.getDimSize(1))},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// out[i, k] = x[i, k] · e^{a − s}, where `a` and `s` are each a matrix like
/// x (element-wise), a row [K] (the same for every i) or null (0).
static Value decayRows(OpBuilder &b, Location loc, Value x, Value a,
                       Value s) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  AffineMap id2 = map(ctx, 2, {0, 1}), col2 = map(ctx, 2, {1});
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{id2};
  for (Value operand : {a, s}) {
    if (!operand)
      continue;
    inputs.push_back(operand);
    maps.push_back(
        cast<RankedTensorType>(operand.getType()).getRank() == 2 ? id2 : col2);
  }
  maps.push_back(id2);
  auto par = utils::IteratorType::parallel;
  return generic(
      b, loc, inputs,
      tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type()), maps,
      {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        unsigned n = 1;
        Value exponent = a ? args[n++] : f32Const(b, loc, 0.0);
        if (s)
          exponent = arith::SubFOp::create(b, loc, exponent, args[n++]);
        return arith::MulFOp::create(b, loc, args[0],
                                     fastExp(b, loc, exponent))
            .getResult();
      });
}

/// The scores of a block of C rows, one lhs against several rhs under the
/// same exponents, with the decay inside the sum:
///   A_r[i, j] = Σ_k x_ik y_r,jk e^{Gx_ik − G_jk}  for j ≤ i (j < i if
///   `strict`), else 0,
/// as one generic with an output per rhs and one exponential per term (the
/// diagonal form's sub-chunk leaves; the low-rank form's whole chunk). Every
/// exponent used is ≤ 0; the masked ones are replaced by 0 before the exp,
/// so nothing overflows.
static SmallVector<Value> diagonalScoresShared(OpBuilder &b, Location loc,
                                               int64_t C, Value x, Value gx,
                                               ArrayRef<Value> ys, Value g,
                                               bool strict) {
  MLIRContext *ctx = b.getContext();
  size_t m = ys.size();
  AffineMap rowK = map(ctx, 3, {0, 2}), colK = map(ctx, 3, {1, 2}),
            out = map(ctx, 3, {0, 1});
  SmallVector<Value> inputs{x, gx, g};
  SmallVector<AffineMap> maps{rowK, rowK, colK};
  SmallVector<Value> inits;
  SmallVector<Type> types;
  for (Value y : ys) {
    inputs.push_back(y);
    maps.push_back(colK);
  }
  for (size_t r = 0; r < m; ++r) {
    inits.push_back(zeros(b, loc, {C, C}));
    types.push_back(RankedTensorType::get({C, C}, b.getF32Type()));
    maps.push_back(out);
  }
  auto par = utils::IteratorType::parallel;
  auto scores = linalg::GenericOp::create(
      b, loc, types, inputs, inits, maps,
      ArrayRef<utils::IteratorType>{par, par, utils::IteratorType::reduction},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value i = linalg::IndexOp::create(b, loc, 0);
        Value j = linalg::IndexOp::create(b, loc, 1);
        Value causal = arith::CmpIOp::create(
            b, loc,
            strict ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule, j,
            i);
        Value zero = f32Const(b, loc, 0.0);
        Value diff = arith::SubFOp::create(b, loc, args[1], args[2]);
        Value e = fastExp(
            b, loc, arith::SelectOp::create(b, loc, causal, diff, zero));
        Value xe = arith::MulFOp::create(b, loc, args[0], e, kContract);
        SmallVector<Value> sums;
        for (size_t r = 0; r < m; ++r) {
          Value term =
              arith::MulFOp::create(b, loc, xe, args[3 + r], kContract);
          term = arith::SelectOp::create(b, loc, causal, term, zero);
          sums.push_back(
              arith::AddFOp::create(b, loc, args[3 + m + r], term, kReduce));
        }
        linalg::YieldOp::create(b, loc, sums);
      });
  return SmallVector<Value>(scores.getResults());
}

/// The scores A of rows and columns [lo, lo + n) into `scores`, halving the
/// block down to subChunkSize: each lower-left quadrant (rows [lo + h, lo + n),
/// columns [lo, lo + h)) is one product with the reference row r = lo + h − 1,
///   (Q ∘ e^{Gq − G_r}) (K ∘ e^{G_r − G})ᵀ,
/// whose exponents are both ≤ 0 (i > r ≥ j and G does not increase); the
/// diagonal leaves take an exponential per term (diagonalScoresShared).
/// Halving keeps the exponentials at C K per level plus C c K for the leaves.
static Value diagonalScores(OpBuilder &b, Location loc, Value q, Value k,
                            Value gq, Value g, bool strict, int64_t lo,
                            int64_t n, Value scores) {
  MLIRContext *ctx = b.getContext();
  if (n <= 8 || n % 2) {
    Value block = diagonalScoresShared(
        b, loc, n, rowBlock(b, loc, q, lo, n), rowBlock(b, loc, gq, lo, n),
        {rowBlock(b, loc, k, lo, n)}, rowBlock(b, loc, g, lo, n), strict)[0];
    return insertBlock(b, loc, block, scores, lo, lo);
  }
  int64_t h = n / 2;
  scores = diagonalScores(b, loc, q, k, gq, g, strict, lo, h, scores);
  scores = diagonalScores(b, loc, q, k, gq, g, strict, lo + h, h, scores);
  Value reference = rowAt(b, loc, g, lo + h - 1);
  Value qRef = decayRows(b, loc, rowBlock(b, loc, q, lo + h, h),
                         rowBlock(b, loc, gq, lo + h, h), reference);
  Value kRef = decayRows(b, loc, rowBlock(b, loc, k, lo, h), reference,
                         rowBlock(b, loc, g, lo, h));
  Value left = matmul(b, loc, qRef, kRef, zeros(b, loc, {h, h}),
                      map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}),
                      map(ctx, 3, {0, 1}), 2);
  return insertBlock(b, loc, left, scores, lo + h, lo);
}

/// KDA's two score matrices from one halving pass: with the output reading
/// the updated state (Gq = G),
///   Aq[i, j] = Σ_k q_ik k_jk e^{G_ik − G_jk}  (j ≤ i)
///   Ak[i, j] = Σ_k k_ik k_jk e^{G_ik − G_jk}  (j < i)
/// share every exponential of the leaves (one per term instead of two) and,
/// in each quadrant, the reference-scaled key columns (K ∘ e^{G_r − G}).
static std::pair<Value, Value> diagonalScorePair(OpBuilder &b, Location loc,
                                                 Value q, Value k, Value g,
                                                 int64_t lo, int64_t n,
                                                 Value qScores, Value kScores) {
  MLIRContext *ctx = b.getContext();
  if (n <= 8 || n % 2) {
    Value qRows = rowBlock(b, loc, q, lo, n), kRows = rowBlock(b, loc, k, lo, n),
          gRows = rowBlock(b, loc, g, lo, n);
    AffineMap rowK = map(ctx, 3, {0, 2}), colK = map(ctx, 3, {1, 2}),
              out = map(ctx, 3, {0, 1});
    auto par = utils::IteratorType::parallel;
    auto blockType = RankedTensorType::get({n, n}, b.getF32Type());
    auto leaves = linalg::GenericOp::create(
        b, loc, TypeRange{blockType, blockType},
        ValueRange{qRows, kRows, kRows, gRows, gRows},
        ValueRange{zeros(b, loc, {n, n}), zeros(b, loc, {n, n})},
        ArrayRef<AffineMap>{rowK, rowK, colK, rowK, colK, out, out},
        ArrayRef<utils::IteratorType>{par, par,
                                      utils::IteratorType::reduction},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value i = linalg::IndexOp::create(b, loc, 0);
          Value j = linalg::IndexOp::create(b, loc, 1);
          Value upTo = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                             j, i);
          Value below = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, j, i);
          Value zero = f32Const(b, loc, 0.0);
          Value diff = arith::SubFOp::create(b, loc, args[3], args[4]);
          Value e = fastExp(
              b, loc, arith::SelectOp::create(b, loc, upTo, diff, zero));
          Value ke = arith::MulFOp::create(b, loc, args[2], e, kContract);
          Value tq = arith::MulFOp::create(b, loc, args[0], ke, kContract);
          Value tk = arith::MulFOp::create(b, loc, args[1], ke, kContract);
          tq = arith::SelectOp::create(b, loc, upTo, tq, zero);
          tk = arith::SelectOp::create(b, loc, below, tk, zero);
          linalg::YieldOp::create(
              b, loc,
              ValueRange{
                  arith::AddFOp::create(b, loc, args[5], tq, kReduce),
                  arith::AddFOp::create(b, loc, args[6], tk, kReduce)});
        });
    return {insertBlock(b, loc, leaves.getResult(0), qScores, lo, lo),
            insertBlock(b, loc, leaves.getResult(1), kScores, lo, lo)};
  }
  int64_t h = n / 2;
  std::tie(qScores, kScores) =
      diagonalScorePair(b, loc, q, k, g, lo, h, qScores, kScores);
  std::tie(qScores, kScores) =
      diagonalScorePair(b, loc, q, k, g, lo + h, h, qScores, kScores);
  Value reference = rowAt(b, loc, g, lo + h - 1);
  Value gRows = rowBlock(b, loc, g, lo + h, h);
  Value qRef = decayRows(b, loc, rowBlock(b, loc, q, lo + h, h), gRows,
                         reference);
  Value kRowRef = decayRows(b, loc, rowBlock(b, loc, k, lo + h, h), gRows,
                            reference);
  Value kRef = decayRows(b, loc, rowBlock(b, loc, k, lo, h), reference,
                         rowBlock(b, loc, g, lo, h));
  auto product = [&](Value lhs) {
    return matmul(b, loc, lhs, kRef, zeros(b, loc, {h, h}),
                  map(ctx, 3, {0, 2}), map(ctx, 3, {1, 2}),
                  map(ctx, 3, {0, 1}), 2);
  };
  return {insertBlock(b, loc, product(qRef), qScores, lo + h, lo),
          insertBlock(b, loc, product(kRowRef), kScores, lo + h, lo)};
}

/// A diagonal chunk's running log-decay: G[i] = Σ_{s ≤ i} g[s] ([C, K]) and
/// the one the output's exponents use, Gq: G, or with `exclusive` (the
/// output reads S_{t−1}) G − g.
struct DiagonalDecay {
  Value cumulative, queryLog;
};
static DiagonalDecay diagonalDecay(OpBuilder &b, Location loc,
                                   const ChunkPlan &plan, int64_t C, Value g,
                                   bool exclusive) {
  int64_t K = plan.keyDim;
  // G and Gq: running sums of the rows of g, in order, as vector<K>.
  auto rowType = VectorType::get({K}, b.getF32Type());
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  Value pad = f32Const(b, loc, 0.0);
  SmallVector<Value> init{
      arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(0.0))),
      tensor::EmptyOp::create(b, loc, {C, K}, b.getF32Type())};
  if (exclusive)
    init.push_back(tensor::EmptyOp::create(b, loc, {C, K}, b.getF32Type()));
  auto prefix = scf::ForOp::create(
      b, loc, zero, indexConst(b, loc, C), one, init,
      [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
        Value gi = vector::TransferReadOp::create(
            b, loc, rowType, g, ValueRange{i, zero}, pad, ArrayRef<bool>{true});
        Value sum = arith::AddFOp::create(b, loc, acc[0], gi);
        SmallVector<Value> next{
            sum, vector::TransferWriteOp::create(b, loc, sum, acc[1],
                                                 ValueRange{i, zero},
                                                 ArrayRef<bool>{true})
                     .getResult()};
        if (exclusive)
          next.push_back(vector::TransferWriteOp::create(
                             b, loc, acc[0], acc[2], ValueRange{i, zero},
                             ArrayRef<bool>{true})
                             .getResult());
        scf::YieldOp::create(b, loc, next);
      });
  Value cumulative = prefix.getResult(1);
  return {cumulative, exclusive ? prefix.getResult(2) : cumulative};
}


/// The per-key-decay delta rule's pseudo-values (KDA): the UT/WY transform
/// with the diagonal form's scores,
///   A[i, j] = β_i Σ_k k_ik k_jk e^{G_ik − G_jk}  (j < i),
///   V' = L diag(β) V − L diag(β) (K ∘ e^G) S,   L = (I + A)⁻¹.
/// With S'_t = diag(e^{G_t}) S + Σ_{s<t} diag(e^{G_t − G_s}) k_s u_sᵀ inside
/// the chunk, the corrections u_t = β_t (v_t − S'_tᵀ k_t) solve
/// (I + A) U = diag(β) V − diag(β) (K ∘ e^G) S, and the chunk is the
/// diagonal scan's with values U. Every exponent is ≤ 0.
/// `scores` is the strictly lower Σ_k k_ik k_jk e^{G_ik − G_jk}
/// (diagonalScorePair).
static Value diagonalDeltaValues(OpBuilder &b, Location loc,
                                 const ChunkPlan &plan, int64_t C, Value k,
                                 Value v, Value beta,
                                 const DiagonalDecay &decay, Value scores,
                                 Value state) {
  MLIRContext *ctx = b.getContext();
  auto par = utils::IteratorType::parallel;
  Value a = generic(
      b, loc, {scores, beta},
      tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type()),
      {map(ctx, 2, {0, 1}), map(ctx, 2, {0}), map(ctx, 2, {0, 1})},
      {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::MulFOp::create(b, loc, args[0], args[1]).getResult();
      });
  Value kDecayed = decayRows(b, loc, k, decay.cumulative, Value());
  auto [u, negW] =
      wyTransform(b, loc, plan, C, a, kDecayed, Value(), v, beta);
  return applyDelta(b, loc, u, negW, state);
}

/// The output rows and the new state of one chunk of a diagonal scan, with
/// g the chunk's log-decay rows [C, K] and G their running sum
/// (Gq = G, or G − g when the output reads S_{t−1}):
///   O = E + (Q ∘ e^{Gq}) S + A V
///   S ← diag(e^{G_{C−1}}) S + (K ∘ e^{G_{C−1} − G})ᵀ V
/// A[i, j] = Σ_k q_ik k_jk e^{Gq_ik − G_jk} (j ≤ i, or j < i) is built per
/// sub-chunk of c rows: its diagonal block element-wise in the exponent, the
/// block left of it as one product with the reference row r = (first row of
/// the sub-chunk) − 1: (Q_m ∘ e^{Gq − G_r}) (K_{<m} ∘ e^{G_r − G})ᵀ. Both
/// factors' exponents are ≤ 0 (G does not increase along the chunk and
/// i > r ≥ j), so nothing overflows however strong the decay; a decay near 0
/// underflows to an exact 0.
static std::pair<Value, Value>
diagonalAlgebra(OpBuilder &b, Location loc, const ChunkPlan &plan, int64_t C,
                Value q, Value k, Value v, const DiagonalDecay &decay, Value e,
                Value state, Value scores = {}) {
  MLIRContext *ctx = b.getContext();
  int64_t V = plan.valueDim;
  Value cumulative = decay.cumulative, queryLog = decay.queryLog;

  // A (blocks right of the diagonal stay 0), unless given.
  if (!scores)
    scores = diagonalScores(b, loc, q, k, queryLog, cumulative, plan.preRead,
                            0, C, zeros(b, loc, {C, C}));

  // O = E + (Q ∘ e^{Gq}) S + A V.
  Value out = e ? e : zeros(b, loc, {C, V});
  out = matmul(b, loc, decayRows(b, loc, q, queryLog, Value()), state, out,
               map(ctx, 3, {0, 1}), map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}),
               1);
  out = matmul(b, loc, scores, v, out, map(ctx, 3, {0, 1}),
               map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1,
               "hymir.lower_triangular_lhs");

  // S ← diag(e^{G_last}) S + (K ∘ e^{G_last − G})ᵀ V.
  Value last = rowAt(b, loc, cumulative, C - 1);
  Value kDecayed = decayRows(b, loc, k, last, cumulative);
  auto par = utils::IteratorType::parallel;
  // e^{G_last} once per key (K exponentials), then the row scaling: inside
  // the [K, V] generic it would be one per element of the state.
  int64_t K = cast<RankedTensorType>(last.getType()).getDimSize(0);
  AffineMap id1 = map(ctx, 1, {0});
  Value lastExp = generic(
      b, loc, last, tensor::EmptyOp::create(b, loc, {K}, b.getF32Type()),
      {id1, id1}, {par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        return fastExp(b, loc, args[0]);
      });
  Value decayedState = generic(
      b, loc, lastExp, state, {map(ctx, 2, {0}), map(ctx, 2, {0, 1})},
      {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::MulFOp::create(b, loc, args[1], args[0]).getResult();
      });
  Value next = matmul(b, loc, kDecayed, v, decayedState, map(ctx, 3, {1, 0}),
                      map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1);
  return {out, next};
}

/// The output rows and the new state of one chunk of the general dplr
/// form (RWKV-7), with G the running log-decay and Ga the one the
/// correction's reads see (G − g for S_{t−1}, G for the decayed state):
/// inside the chunk
///   S_t = diag(e^{G_t}) S + Σ_{s ≤ t} diag(e^{G_t − G_s}) (k_s v_sᵀ + b_s u_sᵀ)
/// with the corrections u_t = (read of S at t)ᵀ a_t, so that U [C, V] solves
///   (I − A_ab) U = A_ak V + (A ∘ e^{Ga}) S,
///   A_xy[i, j] = Σ_k x_ik y_jk e^{Ga_ik − G_jk}   (j < i),
/// by L = (I − A_ab)⁻¹ (forward substitution): U = L A_ak V + L (A ∘ e^{Ga}) S.
/// Then, with A_qx[i, j] = Σ_k q_ik x_jk e^{G_ik − G_jk} (j ≤ i),
///   O = E + (Q ∘ e^G) S + A_qk V + A_qb U
///   S ← diag(e^{G_{C−1}}) S + (K ∘ e^{G_{C−1} − G})ᵀ V
///                           + (B ∘ e^{G_{C−1} − G})ᵀ U.
/// Every exponent is ≤ 0, as in diagonalAlgebra.
static std::pair<Value, Value>
lowRankAlgebra(OpBuilder &b, Location loc, const ChunkPlan &plan, int64_t C,
               Value q, Value k, Value v, Value e, Value lowRankRead,
               Value lowRankWrite, const DiagonalDecay &decay, Value state) {
  MLIRContext *ctx = b.getContext();
  int64_t K = plan.keyDim, V = plan.valueDim;
  Value g = decay.cumulative, ga = decay.queryLog;
  // The scores in two generics, each sharing its exponentials between the
  // columns of K and B: the corrections' (strict, exponent Ga) and the
  // output's. Chunks of at most 8 rows need no reference rows.
  auto scorePair = [&](Value x, Value gx, bool strict) {
    return diagonalScoresShared(b, loc, C, x, gx, {k, lowRankWrite}, g,
                                strict);
  };
  SmallVector<Value> corrections = scorePair(lowRankRead, ga, true);
  SmallVector<Value> outputs = scorePair(q, g, false);
  Value ak = corrections[0], ab = corrections[1];
  auto par = utils::IteratorType::parallel;
  AffineMap id2 = map(ctx, 2, {0, 1});
  Value negAb = generic(
      b, loc, ab, tensor::EmptyOp::create(b, loc, {C, C}, b.getF32Type()),
      {id2, id2}, {par, par}, [&](OpBuilder &b, Location loc, ValueRange args) {
        return arith::NegFOp::create(b, loc, args[0]).getResult();
      });
  Value inverse = unitLowerInverseRows(b, loc, C, negAb);
  auto lowerProduct = [&](Value lower, Value rhs, int64_t n) {
    return matmul(b, loc, lower, rhs, zeros(b, loc, {C, n}),
                  map(ctx, 3, {0, 1}), map(ctx, 3, {1, 2}),
                  map(ctx, 3, {0, 2}), 1, "hymir.lower_triangular_lhs");
  };
  // U = L (A_ak V) + L (A ∘ e^{Ga}) S.
  Value u = lowerProduct(inverse, lowerProduct(ak, v, V), V);
  Value w = lowerProduct(inverse, decayRows(b, loc, lowRankRead, ga, Value()),
                         K);
  u = applyDelta(b, loc, u, w, state);

  // The diagonal scan of (K, V) with the output reading S_t, plus the
  // corrections' columns (B, U).
  auto [out, next] =
      diagonalAlgebra(b, loc, plan, C, q, k, v, DiagonalDecay{g, g},
                      e, state, outputs[0]);
  out = matmul(b, loc, outputs[1], u,
               out, map(ctx, 3, {0, 1}), map(ctx, 3, {1, 2}),
               map(ctx, 3, {0, 2}), 1, "hymir.lower_triangular_lhs");
  Value bDecayed =
      decayRows(b, loc, lowRankWrite, rowAt(b, loc, g, C - 1), g);
  next = matmul(b, loc, bDecayed, u, next, map(ctx, 3, {1, 0}),
                map(ctx, 3, {1, 2}), map(ctx, 3, {0, 2}), 1);
  return {out, next};
}

/// Narrows the last (value) dim of `s` to the `width` columns at `column`.
static void narrowColumns(OpBuilder &b, Slice &s, Value column,
                          int64_t width) {
  s.offsets.back() = column;
  s.sizes.back() = b.getIndexAttr(width);
  SmallVector<int64_t> shape(s.type.getShape());
  shape.back() = width;
  s.type = RankedTensorType::get(shape, s.type.getElementType());
}

static Value extractSlice(OpBuilder &b, Location loc, Value source,
                          const Slice &s) {
  return tensor::ExtractSliceOp::create(b, loc, s.type, source, s.offsets,
                                        s.sizes, s.strides);
}

namespace {
/// The shape of one scan's chunked form: what every iteration shares.
struct ChunkedForm {
  ScanOp op;
  ChunkPlan plan; // with the value tile's columns (plan.valueDim)
  int64_t C, tiles;
  std::optional<int64_t> heads;
  Value batch, time;

  ChunkedForm(OpBuilder &b, Location loc, ScanOp op, const ChunkPlan &fullPlan,
              int64_t C)
      : op(op), plan(fullPlan), C(C), tiles(fullPlan.valueTiles) {
    // With value tiles, each (batch, head, tile) iteration computes `V`
    // columns of the output and the state; the plan's algebra sees only
    // those.
    plan.valueDim = fullPlan.valueDim / tiles;
    if (auto attr = op.getHeadsAttr())
      heads = attr.getInt();
    Value first = op.getInputs().front();
    batch = dimSize(b, loc, first, 0);
    time = dimSize(b, loc, first, 1);
  }

  /// The (batch, head, tile) iteration space.
  SmallVector<OpFoldResult> iterationBounds(OpBuilder &b) const {
    SmallVector<OpFoldResult> ubs{batch};
    if (heads)
      ubs.push_back(b.getIndexAttr(*heads));
    if (tiles > 1)
      ubs.push_back(b.getIndexAttr(tiles));
    return ubs;
  }
};

/// What the chunks of one (batch, head, tile) iteration share.
struct Iteration {
  Value batch, head; // head: null without `heads`
  Value column;      // the tile's first value column, or null
  IRMapping params;  // the body's parameter arguments
  SmallVector<Value> inputHeads;

  /// The leading indices (batch, [time,] head) of a per-head tensor.
  SmallVector<Value> leading(bool withTime) const {
    SmallVector<Value> l{batch};
    if (withTime)
      l.push_back(Value());
    if (head)
      l.push_back(head);
    return l;
  }
  /// `s` narrowed to the iteration's value columns.
  Slice columnsOf(OpBuilder &b, Slice s, int64_t V) const {
    if (column)
      narrowColumns(b, s, column, V);
    return s;
  }
};

/// The chunk rows of hymir-chunk-scans' prepare (null where not built).
struct ChunkRows {
  Value q, k, v, g, e, beta;
  Value lowRankRead, lowRankWrite; // a and b of the general dplr form
};
} // namespace

static Iteration beginIteration(OpBuilder &b, Location loc,
                                const ChunkedForm &form, ValueRange ivs) {
  Iteration it;
  it.batch = ivs[0];
  if (form.heads)
    it.head = ivs[1];
  if (form.tiles > 1)
    it.column = arith::MulIOp::create(
        b, loc, ivs[form.heads ? 2 : 1], indexConst(b, loc, form.plan.valueDim));
  // Block head mapping, as in the sequential fallback.
  auto headOf = [&](Value operand, unsigned dim) -> Value {
    int64_t count = cast<RankedTensorType>(operand.getType()).getDimSize(dim);
    int64_t ratio = *form.heads / count;
    if (ratio == 1)
      return it.head;
    return arith::DivUIOp::create(b, loc, it.head, indexConst(b, loc, ratio));
  };
  ScanOp op = form.op;
  for (auto [param, arg] : llvm::zip(op.getParams(), op.getParamArgs())) {
    SmallVector<Value> leading;
    if (form.heads)
      leading.push_back(headOf(param, 0));
    for (int64_t d = leading.size(),
                 e = cast<RankedTensorType>(param.getType()).getRank();
         d < e; ++d)
      leading.push_back(Value());
    it.params.map(arg, extractAt(b, loc, param, leading));
  }
  if (form.heads)
    for (Value input : op.getInputs())
      it.inputHeads.push_back(headOf(input, 2));
  return it;
}

/// 1. Prepare: the state-independent part of the body, step by step, into
/// the chunk rows of steps [t0, t0 + length) (rows past the end of the
/// sequence are zero: no decay, no update, output discarded). Keys and the
/// decay are always built; queries, values (with β) and E on request.
static ChunkRows prepareRows(OpBuilder &b, Location loc,
                             const ChunkedForm &form, const Iteration &it,
                             Value t0, Value length, bool query, bool value,
                             bool extra) {
  const ChunkPlan &plan = form.plan;
  ScanOp op = form.op;
  Block &body = op.getBodyBlock();
  int64_t C = form.C, K = plan.keyDim, V = plan.valueDim;
  extra = extra && plan.extra;
  bool beta = value && plan.delta;
  bool lowRank = value && plan.lowRankRead;
  // With vector rows (the CPU) only the rows past `length` are zeroed,
  // after the loop: a full chunk writes every row, so zero-filling them
  // first would be a wasted pass per chunk. Where every chunk is whole
  // (a static T that C divides: `length` is the constant C) nothing is.
  // On the GPU the zero-filled rows were worse than a pass: bufferization
  // gave each its own copy of one zero-filled buffer, read back per block.
  bool wholeChunks = getConstantIntValue(length) == C;
  auto rowsOf = [&](ArrayRef<int64_t> shape) -> Value {
    if (plan.vectorRows || wholeChunks)
      return tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
    return zeros(b, loc, shape);
  };
  SmallVector<Value> rows;
  if (query)
    rows.push_back(rowsOf({C, K}));
  rows.push_back(rowsOf({C, K}));
  if (value)
    rows.push_back(rowsOf({C, V}));
  if (plan.hasDecay)
    rows.push_back(plan.diagonal ? rowsOf({C, K}) : rowsOf({C}));
  if (extra)
    rows.push_back(rowsOf({C, V}));
  if (beta)
    rows.push_back(rowsOf({C}));
  if (lowRank) {
    rows.push_back(rowsOf({C, K}));
    rows.push_back(rowsOf({C, K}));
  }
  auto valueRow = [&](Value row) -> Value {
    if (!it.column)
      return row;
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({V}, b.getF32Type()), row,
        ArrayRef<OpFoldResult>{it.column},
        ArrayRef<OpFoldResult>{b.getIndexAttr(V)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  };
  Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
  auto stepLoop = scf::ForOp::create(
      b, loc, zero, length, one, rows,
      [&](OpBuilder &b, Location loc, Value i, ValueRange acc) {
        Value t = arith::AddIOp::create(b, loc, t0, i);
        IRMapping step = it.params;
        if (op.hasTimeIndex())
          step.map(body.getArgument(0), t);
        for (auto [n, input, arg] :
             llvm::enumerate(op.getInputs(), op.getInputArgs())) {
          SmallVector<Value> leading{it.batch, t};
          if (form.heads)
            leading.push_back(it.inputHeads[n]);
          auto rank = cast<RankedTensorType>(input.getType()).getRank();
          while (static_cast<int64_t>(leading.size()) < rank)
            leading.push_back(Value());
          step.map(arg, extractAt(b, loc, input, leading));
        }
        for (Operation &inner : body.without_terminator())
          if (!plan.stateOps.contains(&inner))
            b.clone(inner, step);
        SmallVector<Value> next;
        unsigned n = 0;
        auto row = [&](Value v) {
          next.push_back(
              insertRow(b, loc, step.lookupOrDefault(v), acc[n++], i,
                        plan.vectorRows));
        };
        auto scalar = [&](Value x) {
          next.push_back(
              tensor::InsertOp::create(b, loc, x, acc[n++], ValueRange{i}));
        };
        if (query)
          row(plan.query);
        row(plan.key);
        if (value)
          next.push_back(insertRow(b, loc,
                                   valueRow(step.lookupOrDefault(plan.value)),
                                   acc[n++], i, plan.vectorRows));
        if (plan.hasDecay) {
          Value g = plan.logDecay
                        ? step.lookupOrDefault(plan.logDecay)
                        : math::LogOp::create(b, loc,
                                              step.lookupOrDefault(plan.decay))
                              .getResult();
          if (plan.diagonal)
            next.push_back(
                insertRow(b, loc, g, acc[n++], i, plan.vectorRows));
          else
            scalar(g);
        }
        if (extra)
          next.push_back(insertRow(b, loc,
                                   valueRow(step.lookupOrDefault(plan.extra)),
                                   acc[n++], i, plan.vectorRows));
        if (beta)
          scalar(plan.beta ? step.lookupOrDefault(plan.beta)
                           : f32Const(b, loc, 1.0));
        if (lowRank) {
          row(plan.lowRankRead);
          row(plan.lowRankWrite);
        }
        scf::YieldOp::create(b, loc, next);
      });
  // The CPU prefetches the next chunk's rows in this loop
  // (hymir-prefetch-chunk-rows); the GPU path is left as it was.
  if (plan.vectorRows)
    stepLoop->setAttr("hymir.chunk_prepare", b.getI64IntegerAttr(C));
  SmallVector<Value> r(stepLoop.getResults());
  if (plan.vectorRows && !wholeChunks) {
    Value tail = arith::SubIOp::create(b, loc, indexConst(b, loc, C), length);
    for (Value &rowsOut : r) {
      auto type = cast<RankedTensorType>(rowsOut.getType());
      SmallVector<OpFoldResult> offsets{length}, sizes{tail},
          strides(type.getRank(), b.getIndexAttr(1));
      for (int64_t d = 1; d < type.getRank(); ++d) {
        offsets.push_back(b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
      }
      Value past = tensor::ExtractSliceOp::create(b, loc, rowsOut, offsets,
                                                  sizes, strides);
      Value zero =
          linalg::FillOp::create(b, loc, f32Const(b, loc, 0.0), past)
              .getResult(0);
      rowsOut = tensor::InsertSliceOp::create(b, loc, zero, rowsOut, offsets,
                                              sizes, strides);
    }
  }
  ChunkRows rowsOut;
  unsigned n = 0;
  if (query)
    rowsOut.q = r[n++];
  rowsOut.k = r[n++];
  if (value)
    rowsOut.v = r[n++];
  if (plan.hasDecay)
    rowsOut.g = r[n++];
  if (extra)
    rowsOut.e = r[n++];
  if (beta)
    rowsOut.beta = r[n++];
  if (lowRank) {
    rowsOut.lowRankRead = r[n++];
    rowsOut.lowRankWrite = r[n++];
  }
  return rowsOut;
}

/// The steps [t0, t0 + length) of chunk `c` (the last chunk may be short).
struct ChunkSpan {
  Value t0, length;
};
static ChunkSpan chunkSpan(OpBuilder &b, Location loc, Value c, Value chunk,
                           Value time) {
  Value t0 = arith::MulIOp::create(b, loc, c, chunk);
  // Every chunk is whole where C divides a static T: a constant length
  // keeps the row loops' trip counts constant (unrolled on the GPU).
  std::optional<int64_t> t = getConstantIntValue(time);
  std::optional<int64_t> cs = getConstantIntValue(chunk);
  if (t && cs && *cs > 0 && *t % *cs == 0)
    return {t0, chunk};
  Value rest = arith::SubIOp::create(b, loc, time, t0);
  return {t0, arith::MinUIOp::create(b, loc, rest, chunk)};
}

/// The iteration's initial state, copied into its slice `finalS` of the
/// final-state destination (where the carried state then lives).
static Value initialState(OpBuilder &b, Location loc, ScanOp op,
                          const Iteration &it, Value finalDest,
                          const Slice &finalS, int64_t V) {
  Value inits = op.getInits()[0];
  Value init = extractSlice(
      b, loc, inits,
      it.columnsOf(b, sliceAt(b, loc, inits, it.leading(false)), V));
  return linalg::CopyOp::create(b, loc, init,
                                extractSlice(b, loc, finalDest, finalS))
      .getResult(0);
}

/// Rows [0, length) of the [C, V] chunk output as a [?, V] slice.
static Value leadingRows(OpBuilder &b, Location loc, Value out, Value length,
                         int64_t V) {
  auto rowsType =
      RankedTensorType::get({ShapedType::kDynamic, V}, b.getF32Type());
  return tensor::ExtractSliceOp::create(
      b, loc, rowsType, out,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{length, b.getIndexAttr(V)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

/// How many heads read each query/key group: r > 1 where the body's q_t and
/// k_t depend only on inputs that r consecutive heads share (block mapping:
/// Mamba-2's B and C, grouped-value attention's q and k), on the time index
/// and on values from outside the body; then Q Kᵀ (and the delta rule's
/// K Kᵀ, before its per-head β and decay) is the same for the r heads of a
/// group. 1 otherwise, and for the diagonal class, whose scores carry the
/// per-key decay inside the product.
static int64_t queryKeyGroupSize(ScanOp op, const ChunkPlan &plan) {
  auto headsAttr = op.getHeadsAttr();
  if (!headsAttr || plan.diagonal || !plan.query || !plan.key)
    return 1;
  int64_t heads = headsAttr.getInt(), ratio = 0;
  Block &body = op.getBodyBlock();
  SmallVector<Value> work{plan.query, plan.key};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &body)
        return 1;
      if (op.hasTimeIndex() && arg == body.getArgument(0))
        continue;
      auto inputArgs = op.getInputArgs();
      auto it = llvm::find(inputArgs, arg);
      if (it == inputArgs.end())
        return 1; // a per-head parameter or the state
      auto type = cast<RankedTensorType>(
          op.getInputs()[std::distance(inputArgs.begin(), it)].getType());
      int64_t count = type.getDimSize(2);
      if (ShapedType::isDynamic(count) || count >= heads ||
          heads % count != 0 || (ratio && ratio != heads / count))
        return 1;
      ratio = heads / count;
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!op->isProperAncestor(def))
      continue; // defined outside the scan: the same for every head
    if (def->getNumRegions() != 0 || !isPure(def))
      return 1;
    llvm::append_range(work, def->getOperands());
  }
  return ratio > 1 ? ratio : 1;
}

/// The scores that the heads of a query/key group share: Q Kᵀ, and K Kᵀ
/// for the delta rule (null otherwise), each [B, groups, ⌈T / C⌉, C, C].
struct GroupScores {
  Value query, key;
};

/// The group scores of every chunk, once per query/key group of `ratio`
/// heads, computed for all chunks in parallel before the per-head chunk
/// loops, which then read their group's tiles instead of each computing
/// them (Mamba-2 with one B/C group: one product for 32 heads instead of
/// 32).
static GroupScores groupScores(OpBuilder &b, Location loc,
                               const ChunkedForm &form, int64_t ratio) {
  int64_t C = form.C, groups = *form.heads / ratio;
  Value chunk = indexConst(b, loc, C);
  Value numChunks = arith::CeilDivUIOp::create(b, loc, form.time, chunk);
  auto type = RankedTensorType::get(
      {ShapedType::kDynamic, groups, ShapedType::kDynamic, C, C},
      b.getF32Type());
  SmallVector<Value> dests;
  for (int n = form.plan.delta ? 2 : 1; n > 0; --n)
    dests.push_back(tensor::EmptyOp::create(b, loc, type,
                                            ValueRange{form.batch, numChunks}));
  SmallVector<OpFoldResult> ubs{form.batch, b.getIndexAttr(groups), numChunks};
  // Only q and k rows: without the decay rows, the body's per-head ops
  // that the prepare loop clones are dead (canonicalization drops them).
  ChunkedForm rowsForm = form;
  rowsForm.plan.hasDecay = false;
  auto forall = scf::ForallOp::create(
      b, loc, ubs, dests, /*mapping=*/std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        // The group's first head stands for all of them: q and k read only
        // the group's inputs.
        Value head =
            arith::MulIOp::create(b, loc, args[1], indexConst(b, loc, ratio));
        Iteration it =
            beginIteration(b, loc, rowsForm, ValueRange{args[0], head});
        ChunkSpan span = chunkSpan(b, loc, args[2], chunk, form.time);
        ChunkRows r = prepareRows(b, loc, rowsForm, it, span.t0, span.length,
                                  /*query=*/true, /*value=*/false,
                                  /*extra=*/false);
        SmallVector<Value> scores{chunkScores(b, loc, C, r.q, r.k)};
        if (form.plan.delta)
          scores.push_back(chunkScores(b, loc, C, r.k, r.k));
        Slice s = sliceAt(b, loc, args[3], {args[0], args[1], args[2]});
        auto inParallel = scf::InParallelOp::create(b, loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inParallel.getBody());
        for (auto [tile, dest] : llvm::zip(scores, args.drop_front(3)))
          tensor::ParallelInsertSliceOp::create(b, loc, tile, dest, s.offsets,
                                                s.sizes, s.strides);
      });
  GroupScores shared{forall.getResult(0), {}};
  if (form.plan.delta)
    shared.key = forall.getResult(1);
  return shared;
}

/// The sequential chunked form: per (batch, head, tile) iteration, a loop
/// over the chunks that carries the state.
///
/// `groupSize` > 1: the scores once per query/key group (groupScores).
static void rewrite(ScanOp op, const ChunkPlan &fullPlan, int64_t C,
                    int64_t groupSize) {
  OpBuilder rewriter(op);
  Location loc = op.getLoc();
  ChunkedForm form(rewriter, loc, op, fullPlan, C);
  const ChunkPlan &plan = form.plan;
  int64_t V = plan.valueDim;

  Value output = op.getOutputs()[0], final = op.getFinals()[0];
  SmallVector<Value> destinations{
      emptyWithLeading(rewriter, loc,
                       cast<RankedTensorType>(output.getType()),
                       {form.batch, form.time}),
      emptyWithLeading(rewriter, loc, cast<RankedTensorType>(final.getType()),
                       {form.batch})};
  SmallVector<OpFoldResult> ubs = form.iterationBounds(rewriter);
  GroupScores shared;
  if (groupSize > 1)
    shared = groupScores(rewriter, loc, form, groupSize);

  auto bodyBuilder = [&](OpBuilder &b, Location loc, ValueRange args) {
    unsigned numIvs = ubs.size();
    Iteration it = beginIteration(b, loc, form, args.take_front(numIvs));
    Value group;
    if (shared.query)
      group = arith::DivUIOp::create(b, loc, it.head,
                                     indexConst(b, loc, groupSize));
    Value outDest = args[numIvs], finalDest = args[numIvs + 1];
    Slice outS = it.columnsOf(b, sliceAt(b, loc, outDest, it.leading(true)), V);
    Slice finalS =
        it.columnsOf(b, sliceAt(b, loc, finalDest, it.leading(false)), V);
    Value outSlice = extractSlice(b, loc, outDest, outS);
    Value state = initialState(b, loc, op, it, finalDest, finalS, V);

    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1),
          chunk = indexConst(b, loc, C);
    Value numChunks = arith::CeilDivUIOp::create(b, loc, form.time, chunk);
    auto chunkLoop = scf::ForOp::create(
        b, loc, zero, numChunks, one, ValueRange{state, outSlice},
        [&](OpBuilder &b, Location loc, Value c, ValueRange carried) {
          ChunkSpan span = chunkSpan(b, loc, c, chunk, form.time);
          Value t0 = span.t0, length = span.length;
          ChunkRows r = prepareRows(b, loc, form, it, t0, length,
                                    /*query=*/true, /*value=*/true,
                                    /*extra=*/true);

          // 2./3. Output rows and the next state; the delta rule's
          //       pseudo-values V' stand in for V.
          ChunkDecay decay;
          DiagonalDecay keyDecay;
          if (plan.diagonal)
            keyDecay = diagonalDecay(b, loc, plan, C, r.g,
                                     plan.preRead || (plan.lowRankRead &&
                                                      !plan.lowRankReadsDecayed));
          else
            decay = chunkDecay(b, loc, C, r.g, plan.vectorRows);
          Value v = r.v;
          Value queryScores;
          if (r.beta && plan.diagonal) {
            // KDA reads the updated state (Gq = G): both score matrices
            // from one pass.
            Value keyScores;
            std::tie(queryScores, keyScores) = diagonalScorePair(
                b, loc, r.q, r.k, keyDecay.cumulative, 0, C,
                zeros(b, loc, {C, C}), zeros(b, loc, {C, C}));
            v = diagonalDeltaValues(b, loc, plan, C, r.k, v, r.beta, keyDecay,
                                    keyScores, carried[0]);
          } else if (r.beta)
            v = deltaValues(
                b, loc, plan, C, r.k, v, r.beta, decay, carried[0],
                shared.key ? extractAt(b, loc, shared.key, {it.batch, group, c})
                           : Value());
          Value out, next;
          if (plan.lowRankRead) {
            std::tie(out, next) =
                lowRankAlgebra(b, loc, plan, C, r.q, r.k, r.v, r.e,
                               r.lowRankRead, r.lowRankWrite, keyDecay,
                               carried[0]);
          } else if (plan.diagonal) {
            std::tie(out, next) =
                diagonalAlgebra(b, loc, plan, C, r.q, r.k, v, keyDecay, r.e,
                                carried[0], queryScores);
          } else {
            Value scores;
            if (shared.query)
              scores = extractAt(b, loc, shared.query, {it.batch, group, c});
            out = chunkOutput(b, loc, plan, C, r.q, r.k, v, decay, r.e,
                              carried[0], scores);
            next = chunkNextState(b, loc, plan, C, r.k, v, decay, carried[0]);
          }

          // The chunk's first `length` output rows: row by row as vectors,
          // or as one slice.
          if (!plan.vectorRows) {
            Value written = tensor::InsertSliceOp::create(
                b, loc, leadingRows(b, loc, out, length, V), carried[1],
                ArrayRef<OpFoldResult>{t0, b.getIndexAttr(0)},
                ArrayRef<OpFoldResult>{length, b.getIndexAttr(V)},
                ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
            scf::YieldOp::create(b, loc, ValueRange{next, written});
            return;
          }
          auto copyOut = scf::ForOp::create(
              b, loc, zero, length, one, ValueRange{carried[1]},
              [&](OpBuilder &b, Location loc, Value i, ValueRange dest) {
                auto vecType = VectorType::get({V}, b.getF32Type());
                Value row = vector::TransferReadOp::create(
                    b, loc, vecType, out, ValueRange{i, zero},
                    f32Const(b, loc, 0.0), ArrayRef<bool>{true});
                Value t = arith::AddIOp::create(b, loc, t0, i);
                Value w = vector::TransferWriteOp::create(
                              b, loc, row, dest[0], ValueRange{t, zero},
                              ArrayRef<bool>{true})
                              .getResult();
                scf::YieldOp::create(b, loc, w);
              });
          Value written = copyOut.getResult(0);
          scf::YieldOp::create(b, loc, ValueRange{next, written});
        });

    auto inParallel = scf::InParallelOp::create(b, loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(inParallel.getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, chunkLoop.getResult(1),
                                          outDest, outS.offsets, outS.sizes,
                                          outS.strides);
    tensor::ParallelInsertSliceOp::create(b, loc, chunkLoop.getResult(0),
                                          finalDest, finalS.offsets,
                                          finalS.sizes, finalS.strides);
  };

  auto forall = scf::ForallOp::create(rewriter, loc, ubs, destinations,
                                      /*mapping=*/std::nullopt, bodyBuilder);
  op->replaceAllUsesWith(forall.getResults());
  op->erase();
}

/// `value` with its elements converted to `element` (arith.truncf or
/// arith.extf), as an element-wise generic into `init` (a fresh tensor
/// where null).
static Value convertElements(OpBuilder &b, Location loc, Value value,
                             Type element, Value init = nullptr) {
  auto type = cast<RankedTensorType>(value.getType());
  auto resultType = RankedTensorType::get(type.getShape(), element);
  if (!init)
    init = tensor::EmptyOp::create(b, loc, resultType, ValueRange{});
  auto identity = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return generic(b, loc, value, init, {identity, identity}, iterators,
                 [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                   if (element.getIntOrFloatBitWidth() <
                       args[0].getType().getIntOrFloatBitWidth())
                     return arith::TruncFOp::create(b, loc, element, args[0]);
                   return arith::ExtFOp::create(b, loc, element, args[0]);
                 });
}

/// The parallel-chunks form (`parallel-chunks`, tensor rows only): three
/// loop nests instead of one loop over the chunks.
///
///   1. Chunk terms, per (batch, head, chunk), all in parallel: the prepare
///      of K, V, g (and β), the decayed keys diag(e^{G_last − G}) K, the
///      chunk's total decay e^{G_last}, and the delta rule's U and −W
///      (the forward substitution).
///   2. State pass, per (batch, head, tile): a loop over the chunks with
///      only S ← e^{G_last} S + K_dᵀ V (V' = U − W S first for the delta
///      rule). It records each chunk's incoming state S_c (in bf16 with
///      `narrowStates`), and V'.
///   3. Outputs, per (batch, head, tile, chunk), all in parallel:
///      O_c = ((Q Kᵀ) ∘ M) V + diag(e^G) Q S_c + E, reading S_c (and V').
///
/// Only the products that carry the state stay sequential, on a GPU grid of
/// (batch, head, tile) blocks; the rest runs on (batch, head, [tile,]
/// chunk) blocks. The cost is workspaces: one K × V state per chunk, and
/// per step the decayed keys, U (or V), −W and V'.
static void rewriteParallelChunks(ScanOp op, const ChunkPlan &fullPlan,
                                  int64_t C, int64_t outputTiles,
                                  bool narrowStates) {
  OpBuilder rewriter(op);
  Location loc = op.getLoc();
  ChunkedForm form(rewriter, loc, op, fullPlan, C);
  const ChunkPlan &plan = form.plan;
  int64_t K = plan.keyDim, V = plan.valueDim;
  int64_t fullV = fullPlan.valueDim;
  Type f32 = rewriter.getF32Type();
  unsigned timeDim = form.heads ? 2 : 1; // of a per-head workspace

  Value chunk = indexConst(rewriter, loc, C);
  Value numChunks = arith::CeilDivUIOp::create(rewriter, loc, form.time, chunk);
  Value padded = arith::MulIOp::create(rewriter, loc, numChunks, chunk);
  // Per-head workspaces [B, (H,) rows, inner...].
  auto perHead = [&](Value rows, ArrayRef<int64_t> inner,
                     Type element = nullptr) {
    SmallVector<int64_t> shape{ShapedType::kDynamic};
    if (form.heads)
      shape.push_back(*form.heads);
    shape.push_back(ShapedType::kDynamic);
    shape.append(inner.begin(), inner.end());
    return tensor::EmptyOp::create(rewriter, loc, shape,
                                   element ? element : f32,
                                   ValueRange{form.batch, rows})
        .getResult();
  };
  // The slice of a per-head workspace at (batch, head), rows
  // [row, row + count) of its time dim, and (with `columns`) the
  // iteration's value columns; `type` is what remains.
  auto workspaceRows = [&](OpBuilder &b, const Iteration &it, Value ws,
                           OpFoldResult row, OpFoldResult count,
                           bool columns, int64_t width,
                           ArrayRef<int64_t> type) {
    Slice s = sliceAt(b, loc, ws, it.leading(false));
    if (columns)
      s = it.columnsOf(b, s, width);
    s.offsets[timeDim] = row;
    s.sizes[timeDim] = count;
    s.type = RankedTensorType::get(type, getElementTypeOrSelf(ws.getType()));
    return s;
  };

  // 1. Chunk terms: full value width, a chunk per iteration.
  ChunkPlan termPlan = fullPlan;
  termPlan.valueTiles = 1;
  ChunkedForm termForm(rewriter, loc, op, termPlan, C);
  SmallVector<Value> termOuts{perHead(padded, {K}), perHead(padded, {fullV})};
  if (plan.delta)
    termOuts.push_back(perHead(padded, {K}));
  if (plan.hasDecay)
    termOuts.push_back(perHead(numChunks, {}));
  SmallVector<OpFoldResult> termUbs = termForm.iterationBounds(rewriter);
  unsigned termIvs = termUbs.size();
  termUbs.push_back(numChunks);
  auto terms = scf::ForallOp::create(
      rewriter, loc, termUbs, termOuts, /*mapping=*/std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Iteration it =
            beginIteration(b, loc, termForm, args.take_front(termIvs));
        Value c = args[termIvs];
        ValueRange dests = args.drop_front(termIvs + 1);
        ChunkSpan span = chunkSpan(b, loc, c, chunk, form.time);
        Value t0 = span.t0, length = span.length;
        // Rows past the end are 0 (so are their decayed keys, U and −W).
        ChunkRows r = prepareRows(b, loc, termForm, it, t0, length,
                                  /*query=*/false, /*value=*/true,
                                  /*extra=*/false);
        ChunkDecay decay = chunkDecay(b, loc, C, r.g, plan.vectorRows);
        SmallVector<Value> values{
            decayKeys(b, loc, termForm.plan, C, r.k, decay), r.v};
        if (r.beta) {
          auto [u, negW] = deltaTransform(b, loc, termForm.plan, C, r.k, r.v,
                                          r.beta, decay);
          values[1] = u;
          values.push_back(negW);
        }
        SmallVector<Slice> slices;
        for (auto [n, value] : llvm::enumerate(values)) {
          auto shape = cast<RankedTensorType>(value.getType()).getShape();
          slices.push_back(workspaceRows(b, it, dests[n], t0,
                                         b.getIndexAttr(C), false, 0, shape));
        }
        if (decay.cumulative) {
          values.push_back(tensor::FromElementsOp::create(
              b, loc, RankedTensorType::get({1}, f32),
              ValueRange{fastExp(b, loc, decay.last)}));
          slices.push_back(workspaceRows(b, it, dests.back(), c,
                                         b.getIndexAttr(1), false, 0, {1}));
        }
        // Each term leaves through its own fresh buffer. Without it, one-shot
        // bufferization (after eliminate-empty-tensors and CSE, which merge
        // the identical zero-filled inits of U and −W when K = V) computed
        // −W in U's slice and let U's parallel insert overwrite it before
        // −W's was read: MLIR 22 does not order the parallel inserts of one
        // in_parallel against each other's sources.
        for (Value &value : values) {
          auto type = cast<RankedTensorType>(value.getType());
          Value fresh = bufferization::AllocTensorOp::create(
              b, loc, type, ValueRange{});
          value = linalg::CopyOp::create(b, loc, value, fresh).getResult(0);
        }
        auto inParallel = scf::InParallelOp::create(b, loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inParallel.getBody());
        for (auto [n, value] : llvm::enumerate(values))
          tensor::ParallelInsertSliceOp::create(b, loc, value, dests[n],
                                                slices[n].offsets,
                                                slices[n].sizes,
                                                slices[n].strides);
      });
  Value decayedKeys = terms.getResult(0), termValues = terms.getResult(1);
  Value negW = plan.delta ? terms.getResult(2) : Value();
  Value totals = plan.hasDecay ? terms.getResults().back() : Value();

  // 2. The state pass.
  Value output = op.getOutputs()[0], final = op.getFinals()[0];
  SmallVector<Value> stateOuts{
      emptyWithLeading(rewriter, loc, cast<RankedTensorType>(final.getType()),
                       {form.batch}),
      perHead(numChunks, {K, fullV},
              narrowStates ? rewriter.getBF16Type() : Type())};
  if (plan.delta)
    stateOuts.push_back(perHead(padded, {fullV}));
  SmallVector<OpFoldResult> ubs = form.iterationBounds(rewriter);
  unsigned numIvs = ubs.size();
  auto statePass = scf::ForallOp::create(
      rewriter, loc, ubs, stateOuts, /*mapping=*/std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Iteration it = beginIteration(b, loc, form, args.take_front(numIvs));
        Value finalDest = args[numIvs];
        Slice finalS =
            it.columnsOf(b, sliceAt(b, loc, finalDest, it.leading(false)), V);
        // The carried state lives in the final-state destination (global
        // memory on the GPU). A buffer of its own, which a block keeps in
        // shared memory, measured slower on an H200: bf16 Gated DeltaNet at
        // T = 4K 5.60 against 4.73 ms
        // (bench/results/gpu-2026-11-28-5bf8cef-explore.txt).
        Value state = initialState(b, loc, op, it, finalDest, finalS, V);
        // Carried: the state and this iteration's slices of S_c (and V').
        SmallVector<Slice> wsSlices;
        SmallVector<Value> carried{state};
        for (Value ws : args.drop_front(numIvs + 1)) {
          wsSlices.push_back(
              it.columnsOf(b, sliceAt(b, loc, ws, it.leading(false)), V));
          carried.push_back(extractSlice(b, loc, ws, wsSlices.back()));
        }
        Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
        auto chunkLoop = scf::ForOp::create(
            b, loc, zero, numChunks, one, carried,
            [&](OpBuilder &b, Location loc, Value c, ValueRange acc) {
              Value t0 = arith::MulIOp::create(b, loc, c, chunk);
              OpFoldResult rows = b.getIndexAttr(C);
              auto read = [&](Value ws, bool columns, int64_t width) {
                return extractSlice(b, loc, ws,
                                    workspaceRows(b, it, ws, t0, rows,
                                                  columns, width, {C, width}));
              };
              Value s = acc[0];
              auto ones = [&](int64_t n) {
                return SmallVector<OpFoldResult>(n, b.getIndexAttr(1));
              };
              SmallVector<OpFoldResult> at{c, b.getIndexAttr(0),
                                           b.getIndexAttr(0)};
              SmallVector<OpFoldResult> size{
                  b.getIndexAttr(1), b.getIndexAttr(K), b.getIndexAttr(V)};
              // A bf16 record is converted straight into its workspace
              // slice (destination-passing: no temporary between them).
              Value recorded = s;
              if (narrowStates) {
                Value slot = tensor::ExtractSliceOp::create(
                    b, loc,
                    RankedTensorType::get({K, V}, b.getBF16Type()), acc[1],
                    at, size, ones(3));
                recorded = convertElements(b, loc, s, b.getBF16Type(), slot);
              }
              SmallVector<Value> next{
                  Value(), tensor::InsertSliceOp::create(b, loc, recorded,
                                                         acc[1], at, size,
                                                         ones(3))};
              Value v = read(termValues, true, V);
              if (negW) {
                v = applyDelta(b, loc, v, read(negW, false, K), s);
                next.push_back(tensor::InsertSliceOp::create(
                    b, loc, v, acc[2], {t0, b.getIndexAttr(0)},
                    {rows, b.getIndexAttr(V)}, ones(2)));
              }
              Value total;
              if (totals) {
                Slice at = workspaceRows(b, it, totals, c, b.getIndexAttr(1),
                                         false, 0, {});
                SmallVector<Value> index;
                for (OpFoldResult o : at.offsets)
                  index.push_back(getValueOrCreateConstantIndexOp(b, loc, o));
                total = tensor::ExtractOp::create(b, loc, totals, index);
              }
              next[0] = updateState(b, loc, read(decayedKeys, false, K), total,
                                    v, s);
              scf::YieldOp::create(b, loc, next);
            });
        auto inParallel = scf::InParallelOp::create(b, loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, chunkLoop.getResult(0),
                                              finalDest, finalS.offsets,
                                              finalS.sizes, finalS.strides);
        for (auto [n, s] : llvm::enumerate(wsSlices))
          tensor::ParallelInsertSliceOp::create(
              b, loc, chunkLoop.getResult(n + 1), args[numIvs + 1 + n],
              s.offsets, s.sizes, s.strides);
      });
  Value states = statePass.getResult(1);
  Value deltaRows = plan.delta ? statePass.getResult(2) : Value();

  // 3. The outputs, a chunk per iteration, in their own value tiles (fewer
  //    tiles: less recomputed prepare and Q Kᵀ per chunk).
  ChunkPlan outPlan = fullPlan;
  outPlan.valueTiles = outputTiles;
  ChunkedForm outForm(rewriter, loc, op, outPlan, C);
  V = outForm.plan.valueDim;
  SmallVector<OpFoldResult> outUbs = outForm.iterationBounds(rewriter);
  numIvs = outUbs.size();
  outUbs.push_back(numChunks);
  Value outInit = emptyWithLeading(
      rewriter, loc, cast<RankedTensorType>(output.getType()),
      {form.batch, form.time});
  auto outputs = scf::ForallOp::create(
      rewriter, loc, outUbs, ValueRange{outInit}, /*mapping=*/std::nullopt,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Iteration it =
            beginIteration(b, loc, outForm, args.take_front(numIvs));
        Value c = args[numIvs], outDest = args[numIvs + 1];
        ChunkSpan span = chunkSpan(b, loc, c, chunk, form.time);
        Value t0 = span.t0, length = span.length;
        ChunkRows r = prepareRows(b, loc, outForm, it, t0, length,
                                  /*query=*/true, /*value=*/!plan.delta,
                                  /*extra=*/true);
        ChunkDecay decay = chunkDecay(b, loc, C, r.g, plan.vectorRows);
        // S_c and V' of this chunk from the workspaces.
        Value state = extractSlice(
            b, loc, states,
            workspaceRows(b, it, states, c, b.getIndexAttr(1), true, V,
                          {K, V}));
        if (narrowStates)
          state = convertElements(b, loc, state, f32);
        Value v = r.v;
        if (deltaRows)
          v = extractSlice(b, loc, deltaRows,
                           workspaceRows(b, it, deltaRows, t0,
                                         b.getIndexAttr(C), true, V, {C, V}));
        Value out = chunkOutput(b, loc, outForm.plan, C, r.q, r.k, v, decay,
                                r.e, state);
        Slice outS =
            it.columnsOf(b, sliceAt(b, loc, outDest, it.leading(true)), V);
        outS.offsets[1] = t0;
        outS.sizes[1] = length;
        Value rows = leadingRows(b, loc, out, length, V);
        auto inParallel = scf::InParallelOp::create(b, loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, rows, outDest,
                                              outS.offsets, outS.sizes,
                                              outS.strides);
      });
  op->replaceAllUsesWith(
      ValueRange{outputs.getResult(0), statePass.getResult(0)});
  op->erase();
}

/// For targets without `vectorRows` (the GPU): a product that contracts the
/// contiguous dimension of both operands (`A Bᵀ`: Q Kᵀ, K Kᵀ) reads its rhs
/// through a transposed copy, so that the threads of a warp, which take
/// consecutive output columns j, read consecutive addresses Bᵀ[k, j] instead
/// of addresses a row apart.
static void transposeContractedRhs(Operation *root) {
  SmallVector<linalg::GenericOp> products;
  root->walk([&](linalg::GenericOp op) {
    if (op->hasAttr("hymir.chunk_matmul") && op.getNumLoops() == 3 &&
        op.getIndexingMapsArray()[1] == map(op.getContext(), 3, {1, 2}) &&
        op.getIteratorTypesArray()[2] == utils::IteratorType::reduction)
      products.push_back(op);
  });
  for (linalg::GenericOp op : products) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Value rhs = op.getDpsInputOperand(1)->get();
    auto type = cast<RankedTensorType>(rhs.getType());
    Value transposed = generic(
        b, loc, rhs,
        tensor::EmptyOp::create(b, loc, {type.getDimSize(1), type.getDimSize(0)},
                                type.getElementType()),
        {map(ctx, 2, {1, 0}), map(ctx, 2, {0, 1})},
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    op.getDpsInputOperand(1)->set(transposed);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps[1] = map(ctx, 3, {2, 1});
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  }
}

struct ChunkScansPass
    : public hymir::impl::ChunkScansPassBase<ChunkScansPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunkSize < 0 || parallelChunkSize < 0) {
      getOperation()->emitError("hymir-chunk-scans: ")
          << (chunkSize < 0 ? "chunk-size" : "parallel-chunk-size")
          << " must be >= 0";
      return signalPassFailure();
    }
    SmallVector<ScanOp> scans;
    getOperation()->walk([&](ScanOp scan) { scans.push_back(scan); });
    for (ScanOp scan : scans) {
      if (chunkSize == 0) {
        if (remarks)
          scan.emitRemark("sequential fallback: chunk-size = 0");
        continue;
      }
      ChunkPlan plan;
      plan.vectorRows = vectorRows;
      std::string why = analyze(scan, plan);
      if (!why.empty()) {
        if (remarks)
          scan.emitRemark("sequential fallback: ") << why;
        continue;
      }
      // Value tiles of about `value-tile` columns (the most tiles, up to
      // ⌈V / value-tile⌉, that divide V evenly) where the body is
      // column-separable, as every recognised form is (ColumnAnalysis.h).
      ColumnPlan columns;
      if (valueTile > 0 && analyzeValueColumns(scan, columns).empty())
        plan.valueTiles = valueTileCount(plan.valueDim, valueTile);
      // The diagonal form's scores cost grows with C (halving levels,
      // leaves' exponentials): chunks of at most 32 are the faster.
      int64_t diagonalC =
          diagonalChunkSize > 0 ? int64_t(diagonalChunkSize) : chunkSize;
      int64_t C = plan.lowRankRead
                      ? std::min<int64_t>(chunkSize, kLowRankChunk)
                  : plan.diagonal
                      ? std::min<int64_t>(diagonalC, kDiagonalChunk)
                      : int64_t(chunkSize);
      // The parallel-chunks form, where asked for (only-narrow-inputs: in
      // the functions whose products run on tensor cores), with its own
      // chunk length.
      auto func = scan->getParentOfType<func::FuncOp>();
      bool parallel = parallelChunks && !vectorRows && !plan.diagonal &&
                      (!onlyNarrowInputs || (func && takesNarrowFloats(func)));
      if (parallel && parallelChunkSize > 0)
        C = parallelChunkSize;
      bool narrow =
          parallel && narrowStates && func && takesNarrowFloats(func);
      plan.blockedInverse =
          blockedInverse == BlockedInverse::On ||
          (blockedInverse == BlockedInverse::Sequential && !parallel);
      // Heads that share their queries and keys share Q Kᵀ.
      int64_t groupSize = shareGroupScores && !parallel &&
                                  plan.valueTiles == 1
                              ? queryKeyGroupSize(scan, plan)
                              : 1;
      if (remarks && plan.lowRankRead)
        scan.emitRemark("chunked (diagonal plus low rank, C = ")
            << C
            << "): per-key decay, rank-1 correction reading the "
            << (plan.lowRankReadsDecayed ? "decayed" : "previous")
            << " state, read" << (plan.extra ? " + skip" : "");
      else if (remarks && plan.diagonal)
        scan.emitRemark(plan.delta ? "chunked (diagonal UT/WY, sub-chunks of "
                                   : "chunked (diagonal, sub-chunks of ")
            << subChunkSize(C) << ", C = " << C << "): per-key decay, "
            << (plan.delta ? "delta rule" : "rank-1 update")
            << (plan.preRead ? ", read of the previous state" : ", read")
            << (plan.extra ? " + skip" : "");
      else if (remarks)
        scan.emitRemark(plan.delta ? "chunked (UT/WY, C = "
                                  : "chunked (masked matmul, C = ")
            << C << (parallel ? ", parallel chunks" : "")
            << (narrow ? ", bf16 states" : "") << "): "
            << (plan.hasDecay ? "scalar decay" : "no decay")
            << (plan.delta ? ", delta rule" : ", rank-1 update")
            << (plan.extra ? ", read + skip" : ", read")
            << (groupSize > 1
                    ? std::string(plan.delta ? ", Q Kᵀ and K Kᵀ"
                                             : ", Q Kᵀ") +
                          " shared by groups of " +
                          std::to_string(groupSize) + " heads"
                    : std::string());
      if (parallel) {
        int64_t outputTiles = plan.valueTiles;
        if (outputValueTile == 0)
          outputTiles = 1;
        else if (outputValueTile > 0 &&
                 analyzeValueColumns(scan, columns).empty())
          outputTiles = valueTileCount(plan.valueDim, outputValueTile);
        rewriteParallelChunks(scan, plan, C, outputTiles, narrow);
      }
      else
        rewrite(scan, plan, C, groupSize);
      ++numChunked;
    }
    if (!vectorRows)
      transposeContractedRhs(getOperation());
    // The exponentials of the chunk algebra (C² per chunk for the decay
    // mask) as polynomials that LLVM vectorizes, instead of scalar libm
    // calls; their relative error (a few ulp) is far inside the 1e-4
    // tolerance against the float64 oracle.
    if (polynomialExp &&
        failed(hymir::approximateTaggedExps(getOperation(), "hymir.chunk_exp")))
      return signalPassFailure();
  }
};

} // namespace
