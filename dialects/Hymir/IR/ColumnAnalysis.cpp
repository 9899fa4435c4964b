//===- ColumnAnalysis.cpp - Value-column separability of step bodies ------===//

#include "hymir/Dialect/Hymir/IR/ColumnAnalysis.h"
#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

using namespace mlir;
using namespace hymir;

namespace {

/// An op's operands and result as iteration dims: `operands[i][d]` is the
/// iteration dim that dim d of operand i runs along (empty for scalars).
/// Iteration dims missing from `result` are reduced.
struct IterationDims {
  SmallVector<SmallVector<int>> operands;
  SmallVector<int> result;
};

SmallVector<int> identityDims(Type type) {
  SmallVector<int> dims;
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    for (int d = 0, e = tensor.getRank(); d < e; ++d)
      dims.push_back(d);
  return dims;
}

/// The ops a column-separable body may apply to column values; nullopt for
/// every other op.
std::optional<IterationDims> iterationDims(Operation *op) {
  IterationDims dims;
  if (auto scale = dyn_cast<ScaleOp>(op)) {
    dims.operands.push_back(identityDims(scale.getInput().getType()));
    if (isa<RankedTensorType>(scale.getFactor().getType()))
      dims.operands.push_back({scale.getAxis() == Axis::cols ? 1 : 0});
    else
      dims.operands.push_back({});
    dims.result = identityDims(scale.getType());
    return dims;
  }
  if (auto outer = dyn_cast<OuterOp>(op)) {
    // y[i, j] = a[i] b[j], or Σ_r a[r, i] b[r, j] (r = iteration dim 2).
    if (cast<RankedTensorType>(outer.getLhs().getType()).getRank() == 1)
      dims.operands = {{0}, {1}};
    else
      dims.operands = {{2, 0}, {2, 1}};
    dims.result = {0, 1};
    return dims;
  }
  if (auto read = dyn_cast<ReadOp>(op)) {
    // S[i, j]; rows contracts i (y[j]), cols contracts j (y[i]).
    bool rows = read.getAxis() == Axis::rows;
    dims.operands = {{0, 1}, {rows ? 0 : 1}};
    dims.result = {rows ? 1 : 0};
    return dims;
  }
  if (op->hasTrait<OpTrait::Elementwise>() && op->getNumResults() == 1 &&
      isa<RankedTensorType>(op->getResult(0).getType())) {
    for (Value operand : op->getOperands())
      dims.operands.push_back(identityDims(operand.getType()));
    dims.result = identityDims(op->getResult(0).getType());
    return dims;
  }
  return std::nullopt;
}

std::string opName(Operation *op) {
  return "'" + op->getName().getStringRef().str() + "'";
}

template <typename OpTy>
std::string analyze(OpTy op, ColumnPlan &plan) {
  auto states = op.getStateArgs();
  if (states.empty())
    return "the body has no state";
  for (BlockArgument state : states) {
    auto type = dyn_cast<RankedTensorType>(state.getType());
    if (!type || type.getRank() == 0 ||
        ShapedType::isDynamic(type.getShape().back()))
      return "state #" + std::to_string(state.getArgNumber()) +
             " is not a tensor with a static last dim";
    int64_t last = type.getShape().back();
    if (plan.valueDim && plan.valueDim != last)
      return "the states' last dims differ";
    plan.valueDim = last;
    plan.columnDim[state] = type.getRank() - 1;
  }
  int64_t V = plan.valueDim;

  // A free operand read along the column dim is sliced: it must span V.
  auto sliceFree = [&](OpOperand &operand, unsigned dim) -> std::string {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || type.getDimSize(dim) != V)
      return opName(operand.getOwner()) + " reads operand #" +
             std::to_string(operand.getOperandNumber()) +
             " along the value columns, but its dim " + std::to_string(dim) +
             " is not V = " + std::to_string(V);
    plan.slicedOperands[&operand] = dim;
    return {};
  };

  for (Operation &inner : op.getBodyBlock().without_terminator()) {
    bool readsColumns = false;
    for (Value operand : inner.getOperands())
      readsColumns |= plan.columnDim.count(operand) != 0;
    if (!readsColumns) {
      // A free op; one whose regions use a column value cannot be sliced.
      WalkResult nested = inner.walk([&](Operation *nestedOp) {
        for (Value operand : nestedOp->getOperands())
          if (plan.columnDim.count(operand))
            return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (nested.wasInterrupted())
        return opName(&inner) + " uses a state-dependent value in a region";
      continue;
    }
    std::optional<IterationDims> dims = iterationDims(&inner);
    if (!dims || inner.getNumRegions() != 0)
      return opName(&inner) + " is not column-separable";
    // The column operands must run along one iteration dim ...
    int iter = -1;
    for (OpOperand &operand : inner.getOpOperands()) {
      auto it = plan.columnDim.find(operand.get());
      if (it == plan.columnDim.end())
        continue;
      int along = dims->operands[operand.getOperandNumber()][it->second];
      if (iter >= 0 && along != iter)
        return opName(&inner) +
               " combines value columns of its operands along different dims";
      iter = along;
    }
    // ... that its result keeps (not a reduction over value columns).
    auto pos = llvm::find(dims->result, iter);
    if (pos == dims->result.end())
      return opName(&inner) + " reduces over the value columns";
    for (OpOperand &operand : inner.getOpOperands()) {
      if (plan.columnDim.count(operand.get()))
        continue;
      ArrayRef<int> operandDims = dims->operands[operand.getOperandNumber()];
      auto at = llvm::find(operandDims, iter);
      if (at == operandDims.end())
        continue;
      std::string why = sliceFree(operand, at - operandDims.begin());
      if (!why.empty())
        return why;
    }
    if (cast<RankedTensorType>(inner.getResult(0).getType())
            .getDimSize(pos - dims->result.begin()) != V)
      return opName(&inner) + "'s result does not span the value columns";
    plan.columnDim[inner.getResult(0)] = pos - dims->result.begin();
  }

  Operation *yield = op.getBodyBlock().getTerminator();
  size_t numOutputs = op.getYieldedOutputs().size();
  for (OpOperand &operand : yield->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    if (i < numOutputs) {
      if (!plan.columnDim.count(operand.get()))
        return "output #" + std::to_string(i) +
               " does not depend on the state (every value tile would "
               "write all of it)";
      continue;
    }
    unsigned last =
        cast<RankedTensorType>(operand.get().getType()).getRank() - 1;
    auto it = plan.columnDim.find(operand.get());
    if (it == plan.columnDim.end()) {
      std::string why = sliceFree(operand, last);
      if (!why.empty())
        return why;
    } else if (it->second != last) {
      return "the new state #" + std::to_string(i - numOutputs) +
             " has its value columns along another dim than the state";
    }
  }
  return {};
}

} // namespace

std::string hymir::analyzeValueColumns(Operation *stepOp, ColumnPlan &plan) {
  plan = ColumnPlan();
  if (auto scan = dyn_cast<ScanOp>(stepOp))
    return analyze(scan, plan);
  if (auto recurrence = dyn_cast<RecurrenceOp>(stepOp))
    return analyze(recurrence, plan);
  return "not a step op";
}

int64_t hymir::valueTileCount(int64_t valueDim, int64_t tile) {
  if (tile <= 0 || valueDim <= tile)
    return 1;
  int64_t n = (valueDim + tile - 1) / tile;
  while (valueDim % n != 0)
    --n;
  return n;
}
