//===- NarrowInputs.cpp - hymir-narrow-inputs -----------------------------===//
//
// Takes the float activations of public functions in bf16 (or f16) while the
// recurrent states stay f32 (see the pass description in Passes.td). The
// widening is pushed to where each value is used, so that the lowered code
// loads narrow elements and widens them one step at a time.
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "hymir/Dialect/Hymir/IR/HymirDialect.h"
#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "hymir-narrow-inputs"

namespace hymir {
#define GEN_PASS_DEF_NARROWINPUTSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;
using namespace hymir;

namespace {

/// `type` with element type `elem` (a scalar float type becomes `elem`).
Type withElementType(Type type, Type elem) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.clone(elem);
  return elem;
}

bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

/// Whether `arg` reaches an `inits` operand of a scan or recurrence through
/// float values: a recurrent state, which stays f32. (Sizes read from an
/// activation, `tensor.dim`, do not make it a state.)
bool feedsState(BlockArgument arg) {
  SmallVector<Value> worklist{arg};
  llvm::SmallPtrSet<Value, 16> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto scan = dyn_cast<ScanOp>(user)) {
        if (llvm::is_contained(scan.getInits(), v))
          return true;
        continue;
      }
      if (auto rec = dyn_cast<RecurrenceOp>(user)) {
        if (llvm::is_contained(rec.getInits(), v))
          return true;
        continue;
      }
      for (Value r : user->getResults())
        if (isa<FloatType>(getElementTypeOrSelf(r.getType())))
          worklist.push_back(r);
    }
  }
  return false;
}

/// Moves the widening of `narrow` (used through `use`, an `ins` operand of a
/// scan or recurrence) into the body: the operand becomes the narrow tensor,
/// its block argument narrow, widened at the top of the body. Parameters
/// (per-head weights, read at every step) stay widened once, outside.
template <typename StepOp>
bool sinkIntoStep(StepOp op, OpOperand &use, Value narrow) {
  unsigned index = use.getOperandNumber();
  if (index >= op.getInputs().size())
    return false;
  BlockArgument arg = op.getInputArgs()[index];
  Type elem = getElementTypeOrSelf(narrow.getType());
  Type wideType = arg.getType();
  use.set(narrow);
  arg.setType(withElementType(wideType, elem));
  // After the widenings already there, so that they stay in argument order.
  Block *body = arg.getOwner();
  auto it = body->begin();
  while (it != body->end() && isa<arith::ExtFOp>(*it) &&
         isa<BlockArgument>(it->getOperand(0)))
    ++it;
  OpBuilder b(body, it);
  Value wide = arith::ExtFOp::create(b, arg.getLoc(), wideType, arg);
  arg.replaceAllUsesExcept(wide, wide.getDefiningOp());
  return true;
}

/// Recreates the hymir op `op` (not a scan or recurrence) on narrow operands
/// when every float tensor operand is a widened narrow value; its results
/// become narrow and are widened for their users. False if the op does not
/// take that form (it then keeps reading the widened tensors).
bool narrowOp(Operation *op, Type narrowElem) {
  SmallVector<Value> operands;
  for (Value v : op->getOperands()) {
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    if (isF32Tensor(v.getType()) && ext &&
        getElementTypeOrSelf(ext.getIn().getType()) == narrowElem) {
      operands.push_back(ext.getIn());
      continue;
    }
    if (isa<FloatType>(getElementTypeOrSelf(v.getType())))
      return false;
    operands.push_back(v);
  }
  if (!llvm::all_of(op->getResultTypes(), isF32Tensor))
    return false;
  OpBuilder b(op);
  Operation *clone = b.clone(*op);
  clone->setOperands(operands);
  for (OpResult r : clone->getResults())
    r.setType(withElementType(r.getType(), narrowElem));
  if (failed(verify(clone, /*verifyRecursively=*/false))) {
    clone->erase();
    return false;
  }
  b.setInsertionPointAfter(clone);
  for (auto [old, narrowResult] :
       llvm::zip(op->getResults(), clone->getResults()))
    old.replaceAllUsesWith(arith::ExtFOp::create(
        b, op->getLoc(), old.getType(), narrowResult));
  op->erase();
  return true;
}

struct NarrowInputsPass
    : public hymir::impl::NarrowInputsPassBase<NarrowInputsPass> {
  using Base::Base;

  void runOnOperation() override {
    Type narrowElem;
    if (elementType == "bf16")
      narrowElem = BFloat16Type::get(&getContext());
    else if (elementType == "f16")
      narrowElem = Float16Type::get(&getContext());
    else {
      getOperation().emitError("hymir-narrow-inputs: element-type must be "
                               "bf16 or f16, got '")
          << elementType << "'";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        narrowFunction(func, narrowElem);
  }

  void narrowFunction(func::FuncOp func, Type narrowElem) {
    Block &entry = func.getBody().front();
    SmallVector<Type> inputs;
    SmallVector<Value> widened;
    for (BlockArgument arg : entry.getArguments()) {
      if (!isF32Tensor(arg.getType()) || feedsState(arg)) {
        inputs.push_back(arg.getType());
        continue;
      }
      Type wideType = arg.getType();
      arg.setType(withElementType(wideType, narrowElem));
      inputs.push_back(arg.getType());
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      Value wide = arith::ExtFOp::create(b, arg.getLoc(), wideType, arg);
      arg.replaceAllUsesExcept(wide, wide.getDefiningOp());
      widened.push_back(wide);
    }
    func.setFunctionType(FunctionType::get(
        func.getContext(), inputs, func.getFunctionType().getResults()));

    // Sizes and reshapes of the narrow tensors instead of the wide ones;
    // per-step widening inside scans and recurrences.
    for (size_t i = 0; i < widened.size(); ++i) {
      Value wide = widened[i];
      Value narrow = wide.getDefiningOp<arith::ExtFOp>().getIn();
      for (OpOperand &use : llvm::make_early_inc_range(wide.getUses())) {
        Operation *user = use.getOwner();
        if (isa<tensor::DimOp>(user)) {
          use.set(narrow);
        } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user) &&
                   use.getOperandNumber() == 0) {
          OpBuilder b(user);
          Operation *reshape = b.clone(*user);
          reshape->setOperand(0, narrow);
          Value result = reshape->getResult(0);
          Type wideType = result.getType();
          result.setType(withElementType(wideType, narrowElem));
          Value rewide =
              arith::ExtFOp::create(b, user->getLoc(), wideType, result);
          user->getResult(0).replaceAllUsesWith(rewide);
          user->erase();
          widened.push_back(rewide);
        } else if (auto scan = dyn_cast<ScanOp>(user)) {
          sinkIntoStep(scan, use, narrow);
        } else if (auto rec = dyn_cast<RecurrenceOp>(user)) {
          sinkIntoStep(rec, use, narrow);
        }
      }
    }
    // Other hymir ops on narrow operands.
    llvm::SetVector<Operation *> users;
    for (Value wide : widened)
      for (Operation *user : wide.getUsers())
        if (isa<HymirDialect>(user->getDialect()) &&
            !isa<ScanOp, RecurrenceOp>(user))
          users.insert(user);
    for (Operation *user : users)
      narrowOp(user, narrowElem);
    for (Value wide : widened)
      if (wide.use_empty())
        wide.getDefiningOp()->erase();
  }
};

} // namespace
