//===- FuseStateReads.cpp - hymir-fuse-state-reads ------------------------===//
//
// A point-wise read of an element-wise result (the decode step's S_newᵀq)
// is computed in the loop nest that produces it, as a second output (see the
// pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"

#define DEBUG_TYPE "hymir-fuse-state-reads"

namespace hymir {
#define GEN_PASS_DEF_FUSESTATEREADSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// A two-loop generic on tensors with one output and no loop indices: the
/// shapes both halves of a fusion must have.
bool isPlain(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
         op.getNumLoops() == 2 && !op.hasIndexSemantics();
}

/// The element-wise producer of `read`'s operand `use` that can join it:
/// all-parallel (d0, d1) with an identity output map, in the same block
/// before `read`, and every other use of its result after `read`.
linalg::GenericOp fusableProducer(linalg::GenericOp read, OpOperand &use) {
  auto update = use.get().getDefiningOp<linalg::GenericOp>();
  if (!update || !isPlain(update) || update->getNumResults() != 1 ||
      update.getNumReductionLoops() != 0 ||
      !update.getIndexingMapsArray().back().isIdentity() ||
      !read.getMatchingIndexingMap(&use).isIdentity() ||
      update->getBlock() != read->getBlock() ||
      !update->isBeforeInBlock(read))
    return nullptr;
  for (OpOperand &other : update->getResult(0).getUses()) {
    if (&other == &use)
      continue;
    Operation *user =
        read->getBlock()->findAncestorOpInBlock(*other.getOwner());
    if (!user || user == read.getOperation() || !read->isBeforeInBlock(user))
      return nullptr;
  }
  return update;
}

/// Fuses `update` and `read` (which reads it through `use`) into one
/// generic with `read`'s loops and both outputs.
void fuse(linalg::GenericOp update, linalg::GenericOp read, OpOperand &use) {
  SmallVector<Value> inputs(update.getDpsInputs());
  SmallVector<AffineMap> maps;
  for (OpOperand *in : update.getDpsInputOperands())
    maps.push_back(update.getMatchingIndexingMap(in));
  for (OpOperand *in : read.getDpsInputOperands()) {
    if (in == &use)
      continue;
    inputs.push_back(in->get());
    maps.push_back(read.getMatchingIndexingMap(in));
  }
  OpOperand *updateInit = update.getDpsInitOperand(0);
  OpOperand *readInit = read.getDpsInitOperand(0);
  maps.push_back(update.getMatchingIndexingMap(updateInit));
  maps.push_back(read.getMatchingIndexingMap(readInit));

  OpBuilder b(read);
  auto fused = linalg::GenericOp::create(
      b, read.getLoc(),
      TypeRange{updateInit->get().getType(), readInit->get().getType()},
      inputs, ValueRange{updateInit->get(), readInit->get()}, maps,
      read.getIteratorTypesArray());
  fused->setDiscardableAttrs(read->getDiscardableAttrDictionary());

  // Block arguments: the update's inputs, the read's other inputs, then the
  // two inits.
  Block *body = b.createBlock(&fused.getRegion());
  Location loc = read.getLoc();
  for (Value v : inputs)
    body->addArgument(getElementTypeOrSelf(v.getType()), loc);
  body->addArgument(getElementTypeOrSelf(updateInit->get().getType()), loc);
  body->addArgument(getElementTypeOrSelf(readInit->get().getType()), loc);

  IRMapping map;
  Block &updateBody = update.getRegion().front();
  unsigned next = 0;
  for (OpOperand *in : update.getDpsInputOperands())
    map.map(updateBody.getArgument(in->getOperandNumber()),
            body->getArgument(next++));
  map.map(updateBody.getArgument(updateInit->getOperandNumber()),
          body->getArgument(inputs.size()));
  b.setInsertionPointToEnd(body);
  for (Operation &op : updateBody.without_terminator())
    b.clone(op, map);
  Value computed = map.lookupOrDefault(updateBody.getTerminator()->getOperand(0));

  Block &readBody = read.getRegion().front();
  for (OpOperand *in : read.getDpsInputOperands())
    map.map(readBody.getArgument(in->getOperandNumber()),
            in == &use ? computed : body->getArgument(next++));
  map.map(readBody.getArgument(readInit->getOperandNumber()),
          body->getArgument(inputs.size() + 1));
  for (Operation &op : readBody.without_terminator())
    b.clone(op, map);
  Value accumulated =
      map.lookupOrDefault(readBody.getTerminator()->getOperand(0));
  linalg::YieldOp::create(b, loc, ValueRange{computed, accumulated});

  update->getResult(0).replaceAllUsesExcept(fused.getResult(0), read);
  read->getResult(0).replaceAllUsesWith(fused.getResult(1));
  read.erase();
  update.erase();
}

struct FuseStateReadsPass
    : public hymir::impl::FuseStateReadsPassBase<FuseStateReadsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reads;
    getOperation().walk([&](linalg::GenericOp read) {
      auto iters = read.getIteratorTypesArray();
      if (isPlain(read) && read->getNumResults() == 1 &&
          iters[0] == utils::IteratorType::reduction &&
          iters[1] == utils::IteratorType::parallel)
        reads.push_back(read);
    });
    for (linalg::GenericOp read : reads)
      for (OpOperand *use : read.getDpsInputOperands())
        if (linalg::GenericOp update = fusableProducer(read, *use)) {
          fuse(update, read, *use);
          break;
        }
  }
};

} // namespace
