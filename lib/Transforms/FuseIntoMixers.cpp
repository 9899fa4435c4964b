//===- FuseIntoMixers.cpp - hymir-fuse-into-mixers ------------------------===//
//
// DESIGN §1 stage [3]: the per-token producers of a scan's or recurrence's
// inputs (gate activations, norms over the head dim, any element-wise map)
// move into its step body, so that their results are never written out as
// whole [B, T, H, d] tensors and read back. The cost model and what is left
// alone are in the pass description (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#define DEBUG_TYPE "hymir-fuse-into-mixers"

namespace hymir {
#define GEN_PASS_DEF_FUSEINTOMIXERSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;
using namespace hymir;

namespace {

/// Writing a producer's result and reading it back in the step, in
/// operation-equivalents per element: the work a fused producer may repeat
/// (GQA/GVA heads reading one q/k head each compute it once per head).
constexpr int64_t kMemoryCostPerElement = 8;
/// A transcendental (exp, log, tanh, ...) against one arithmetic op.
constexpr int64_t kTranscendentalCost = 8;

int64_t opCost(Operation *op) {
  if (isa<arith::ConstantOp>(op))
    return 0;
  if (isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp, math::Log1pOp,
          math::Log2Op, math::TanhOp, math::SinOp, math::CosOp, math::PowFOp,
          math::ErfOp, math::AtanOp, math::Atan2Op>(op))
    return kTranscendentalCost;
  if (isa<L2NormOp, RMSNormOp, LayerNormOp>(op))
    return 4; // a square and a sum per element, then a scale
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    int64_t cost = 0;
    for (Operation &inner : generic.getBody()->without_terminator())
      cost += opCost(&inner);
    return cost;
  }
  return 1;
}

/// What the step op's body sees of a value of type `type` with `lead`
/// leading (batch, time, head) dims.
Type stepTypeOf(Type type, unsigned lead) {
  return getStepType(cast<RankedTensorType>(type), lead);
}

/// A producer the step can compute from its per-step values.
struct Candidate {
  Operation *op = nullptr;
  /// Operands that become inputs of the step op (same shape as the fused
  /// input), and per-head or shared values that become params.
  SmallVector<Value> inputs;
  /// With `expand`, a value shared by every head, given to the step as
  /// [1, d...].
  SmallVector<std::pair<Value, bool>> params;
};

/// Why `producer`, which defines an input of `stepOp` whose per-step dims
/// start after `lead`, cannot be computed in the step; "" if it can.
/// Fills `c` on success.
std::string classify(Operation *producer, Value input, unsigned lead,
                     bool hasHeads, Candidate &c) {
  auto type = cast<RankedTensorType>(input.getType());
  c = Candidate{};
  c.op = producer;
  auto sameShape = [&](Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && t.getShape() == type.getShape() &&
           isa<FloatType>(t.getElementType());
  };

  // hymir.l2_norm / layer_norm / rms_norm over the last dim, which must be a
  // per-step dim (a norm over the heads reads other heads' steps).
  if (isa<L2NormOp, LayerNormOp, RMSNormOp>(producer)) {
    if (type.getRank() <= lead)
      return "a norm over a leading (batch, time or head) dim";
    c.inputs.push_back(producer->getOperand(0));
    if (auto rms = dyn_cast<RMSNormOp>(producer)) {
      if (type.getRank() != lead + 1)
        return "an RMS norm of a per-step value of rank > 1";
      c.params.push_back({rms.getWeight(), /*expand=*/hasHeads});
    }
    return "";
  }

  // Element-wise arith/math ops on tensors: every operand a tensor of the
  // input's shape, or a splat constant.
  if (producer->hasTrait<OpTrait::Elementwise>() &&
      isa<arith::ArithDialect, math::MathDialect>(producer->getDialect())) {
    for (Value v : producer->getOperands()) {
      DenseElementsAttr dense;
      if (matchPattern(v, m_Constant(&dense))) {
        if (!dense.isSplat())
          return "a constant operand that is not a splat";
        continue;
      }
      if (!sameShape(v))
        return "an operand of another shape or element type";
      c.inputs.push_back(v);
    }
    return "";
  }

  // linalg.generic: parallel loops over the input's dims, one result, an
  // unread init; operands read at the same point (identity map) or
  // broadcast over batch and time (a per-head [Hx, d...] or shared [d...]
  // value, which the step reads as a param).
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  if (!generic)
    return "not an element-wise op, a linalg.generic or a norm";
  if (generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() != generic.getNumParallelLoops() ||
      generic.hasIndexSemantics())
    return "a linalg.generic with reductions, indices or several results";
  if (generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
    return "a linalg.generic that reads its init";
  if (!generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity())
    return "a linalg.generic whose result is not written at its loop point";
  // Every value the payload uses is its own, a block argument or a constant.
  WalkResult captured = generic.getRegion().walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (v.getParentRegion() != &generic.getRegion() &&
          !matchPattern(v, m_Constant()))
        return WalkResult::interrupt();
    if (inner != generic.getBody()->getTerminator() &&
        !(isa<arith::ArithDialect, math::MathDialect>(inner->getDialect()) &&
          (inner->hasTrait<OpTrait::Elementwise>() ||
           isa<arith::ConstantOp>(inner))))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (captured.wasInterrupted())
    return "a linalg.generic whose payload is not element-wise arith/math on "
           "its arguments";
  unsigned rank = type.getRank();
  for (OpOperand *operand : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(operand);
    Value v = operand->get();
    if (map.isIdentity() && sameShape(v)) {
      c.inputs.push_back(v);
      continue;
    }
    // Broadcast over batch and time: (b, t, [h,] d...) -> ([h,] d...) or
    // -> ([h]): a per-head value [Hx, ...] or one shared by every head, read
    // by the step as a param (a scalar, or a vector of the step's shape).
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !isa<FloatType>(t.getElementType()) || !t.hasStaticShape() ||
        !map.isProjectedPermutation())
      return "a broadcast operand that is not a static float tensor";
    SmallVector<unsigned> dims;
    for (AffineExpr e : map.getResults())
      dims.push_back(cast<AffineDimExpr>(e).getPosition());
    if (!llvm::is_sorted(dims) || llvm::is_contained(dims, 0u) ||
        llvm::is_contained(dims, 1u))
      return "an operand read with a map other than the identity or a "
             "broadcast over batch and time";
    bool perHead = hasHeads && !dims.empty() && dims.front() == 2;
    ArrayRef<unsigned> rest = ArrayRef(dims).drop_front(perHead ? 1 : 0);
    if (!rest.empty() && rest.size() != rank - lead)
      return "a broadcast operand that covers part of the step's dims";
    if (!perHead && rest.empty())
      return "a broadcast of a single value (a scalar operand)";
    if (perHead && t.getDimSize(0) != type.getDimSize(2))
      return "a per-head operand with another number of heads";
    c.params.push_back({v, /*expand=*/hasHeads && !perHead});
  }
  return "";
}

/// Builds `op` (a scalar or element-wise op on tensors) again on per-step
/// operands `operands`, with the result type `resultType`.
Value rebuildOnStep(OpBuilder &b, Operation *op, ValueRange operands,
                    Type resultType) {
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(operands);
  state.addTypes(resultType);
  state.addAttributes(op->getAttrs());
  return b.create(state)->getResult(0);
}

/// A constant of per-step type `type` (scalar or tensor) from the splat or
/// scalar constant `v`.
Value stepConstant(OpBuilder &b, Location loc, Value v, Type type) {
  Attribute attr;
  matchPattern(v, m_Constant(&attr));
  TypedAttr scalar;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    scalar = dense.getSplatValue<TypedAttr>();
  else
    scalar = cast<TypedAttr>(attr);
  if (auto shaped = dyn_cast<RankedTensorType>(type))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(shaped, cast<Attribute>(scalar)));
  return arith::ConstantOp::create(b, loc, scalar);
}

template <typename StepOp>
struct Fuser {
  StepOp op;
  bool remarks;
  /// Producers already reported as left alone (each fusion rescans inputs).
  DenseSet<Operation *> reported = {};

  unsigned leadDims() {
    return op.getHeadsAttr() ? 3 : 2;
  }

  /// The factor by which the step recomputes a fused input: H / Hx.
  int64_t recomputation(Value input) {
    IntegerAttr heads = op.getHeadsAttr();
    if (!heads)
      return 1;
    int64_t hx = cast<RankedTensorType>(input.getType()).getDimSize(2);
    return hx > 0 ? heads.getInt() / hx : 1;
  }

  /// Fuses the producer of one input; returns the new op, or null when no
  /// input's producer qualifies.
  StepOp fuseOne() {
    for (auto [index, input] : llvm::enumerate(op.getInputs())) {
      Operation *producer = input.getDefiningOp();
      if (!producer || producer->getNumResults() != 1 ||
          isa<arith::ConstantOp>(producer))
        continue;
      Candidate c;
      std::string why =
          classify(producer, input, leadDims(), bool(op.getHeadsAttr()), c);
      if (why.empty() && !input.hasOneUse())
        why = "its result has other users (fusing would compute it twice)";
      if (why.empty()) {
        int64_t r = recomputation(input);
        int64_t cost = opCost(producer);
        if (r > 1 && cost * (r - 1) > kMemoryCostPerElement)
          why = "the step would compute it " + std::to_string(r) +
                " times (heads per input head), " + std::to_string(cost) +
                " ops per element each";
      }
      if (!why.empty()) {
        // Remarks only on what the pass considers (not projections, convs,
        // reshapes or other mixers).
        bool considered =
            isa<L2NormOp, LayerNormOp, RMSNormOp, linalg::GenericOp>(
                producer) ||
            (producer->hasTrait<OpTrait::Elementwise>() &&
             isa<arith::ArithDialect, math::MathDialect>(
                 producer->getDialect()));
        if (remarks && considered && reported.insert(producer).second)
          producer->emitRemark("not fused into ")
              << op->getName() << " (input #" << index << "): " << why;
        continue;
      }
      // The step op's batch and time come from its inputs: a producer of
      // constants and per-head values alone, fused into the only input,
      // would leave none.
      if (c.inputs.empty() && op.getInputs().size() == 1) {
        if (remarks && reported.insert(producer).second)
          producer->emitRemark("not fused into ")
              << op->getName() << " (input #" << index
              << "): no operand that varies per step";
        continue;
      }
      return fuse(index, c);
    }
    return nullptr;
  }

  StepOp fuse(unsigned index, Candidate &c) {
    Operation *producer = c.op;
    Location loc = producer->getLoc();
    Block &block = op.getBodyBlock();
    unsigned leading = op.hasTimeIndex() ? 1 : 0;
    unsigned lead = leadDims();
    bool hasHeads = bool(op.getHeadsAttr());

    SmallVector<Value> inputs(op.getInputs());
    SmallVector<Value> params(op.getParams());
    IRMapping step; // producer operands -> per-step values

    // New inputs after the old ones (an operand that already is an input
    // reuses its argument), then new params after the old ones.
    for (Value v : c.inputs) {
      if (step.contains(v))
        continue;
      auto it = llvm::find(inputs, v);
      if (it != inputs.end() && unsigned(it - inputs.begin()) != index) {
        step.map(v, block.getArgument(leading + (it - inputs.begin())));
        continue;
      }
      inputs.push_back(v);
      step.map(v, block.insertArgument(leading + inputs.size() - 1,
                                       stepTypeOf(v.getType(), lead), loc));
    }
    OpBuilder outside(op);
    for (auto [v, expand] : c.params) {
      if (step.contains(v))
        continue;
      auto t = cast<RankedTensorType>(v.getType());
      Value param = v;
      if (expand) {
        SmallVector<int64_t> shape{1};
        llvm::append_range(shape, t.getShape());
        SmallVector<ReassociationIndices> reassoc{{0, 1}};
        for (int64_t d = 1; d < t.getRank(); ++d)
          reassoc.push_back({d + 1});
        param = tensor::ExpandShapeOp::create(
            outside, loc, RankedTensorType::get(shape, t.getElementType()), v,
            reassoc);
      }
      params.push_back(param);
      step.map(v, block.insertArgument(
                      leading + inputs.size() + params.size() - 1,
                      stepTypeOf(param.getType(), hasHeads ? 1 : 0), loc));
    }

    // The producer on per-step values, at the start of the body.
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    Type resultType = stepTypeOf(producer->getResult(0).getType(), lead);
    auto perStep = [&](Value v, Type type) -> Value {
      if (step.contains(v))
        return step.lookup(v);
      return stepConstant(b, loc, v, type);
    };
    Value result;
    if (auto generic = dyn_cast<linalg::GenericOp>(producer)) {
      Block *payload = generic.getBody();
      IRMapping inner;
      for (OpOperand *operand : generic.getDpsInputOperands())
        inner.map(payload->getArgument(operand->getOperandNumber()),
                  step.lookup(operand->get()));
      auto shapeOf = [&](Type elem) -> Type {
        if (auto t = dyn_cast<RankedTensorType>(resultType))
          return RankedTensorType::get(t.getShape(), elem);
        return elem;
      };
      for (Operation &o : payload->without_terminator()) {
        SmallVector<Value> operands;
        for (Value v : o.getOperands()) {
          Type want = shapeOf(v.getType());
          if (!inner.contains(v)) {
            operands.push_back(stepConstant(b, loc, v, want));
            continue;
          }
          // A per-head scalar param read by a vector step: splat it.
          Value x = inner.lookup(v);
          if (x.getType() != want)
            x = tensor::SplatOp::create(b, loc, want, x);
          operands.push_back(x);
        }
        Value r;
        if (isa<arith::ConstantOp>(o))
          r = stepConstant(b, loc, o.getResult(0),
                           shapeOf(o.getResult(0).getType()));
        else
          r = rebuildOnStep(b, &o, operands, shapeOf(o.getResult(0).getType()));
        inner.map(o.getResult(0), r);
      }
      Value yielded = payload->getTerminator()->getOperand(0);
      result = inner.contains(yielded)
                   ? inner.lookup(yielded)
                   : stepConstant(b, loc, yielded, shapeOf(yielded.getType()));
      if (result.getType() != resultType) // the payload yields a param
        result = tensor::SplatOp::create(b, loc, resultType, result);
    } else {
      SmallVector<Value> operands;
      for (Value v : producer->getOperands())
        operands.push_back(perStep(v, stepTypeOf(v.getType(), lead)));
      result = rebuildOnStep(b, producer, operands, resultType);
    }

    // The fused input's argument now reads the computed value.
    BlockArgument old = block.getArgument(leading + index);
    old.replaceAllUsesWith(result);
    block.eraseArgument(leading + index);
    inputs.erase(inputs.begin() + index);

    std::optional<int64_t> heads;
    if (IntegerAttr h = op.getHeadsAttr())
      heads = h.getInt();
    SmallVector<Type> outputTypes(op.getOutputs().getTypes());
    auto fused = StepOp::create(outside, op.getLoc(), outputTypes, inputs,
                                params, op.getInits(), heads);
    fused->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    fused.getBody().takeBody(op.getBody());
    if (remarks)
      producer->emitRemark("fused into the step of ")
          << op->getName() << " (input #" << index << ")";
    op->replaceAllUsesWith(fused->getResults());
    op->erase();
    producer->erase();
    return fused;
  }
};

struct FuseIntoMixersPass final
    : hymir::impl::FuseIntoMixersPassBase<FuseIntoMixersPass> {
  using FuseIntoMixersPassBase::FuseIntoMixersPassBase;

  template <typename StepOp> void fuseAll(StepOp op) {
    Fuser<StepOp> fuser{op, remarks};
    while (StepOp next = fuser.fuseOne())
      fuser.op = next;
  }

  void runOnOperation() override {
    SmallVector<Operation *> stepOps;
    getOperation()->walk([&](Operation *op) {
      if (isa<ScanOp, RecurrenceOp>(op))
        stepOps.push_back(op);
    });
    for (Operation *op : stepOps) {
      if (auto scan = dyn_cast<ScanOp>(op))
        fuseAll(scan);
      else
        fuseAll(cast<RecurrenceOp>(op));
    }
  }
};

} // namespace
