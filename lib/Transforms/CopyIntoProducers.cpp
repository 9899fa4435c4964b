//===- CopyIntoProducers.cpp - hymir-copy-into-producers ------------------===//
//
// An element-wise result that is copied into a slice of a parallel loop's
// result is written there by its producer as a second output (see the pass
// description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"

#define DEBUG_TYPE "hymir-copy-into-producers"

namespace hymir {
#define GEN_PASS_DEF_COPYINTOPRODUCERSPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Whether `dest` is a slice of an `scf.forall`'s shared output: memory the
/// loop's result owns, so writing it earlier bufferizes in place (any
/// earlier reader of `dest` is still given the old value: bufferization
/// copies where it must, so this is about speed, not correctness).
bool isResultSlice(Value dest) {
  auto slice = dest.getDefiningOp<tensor::ExtractSliceOp>();
  auto arg = slice ? dyn_cast<BlockArgument>(slice.getSource()) : nullptr;
  return arg && isa<scf::ForallOp>(arg.getOwner()->getParentOp());
}

/// Rewrites `copy` when its source is an element-wise generic's only result;
/// returns whether it did. With `inPlace`, a producer whose init is a
/// `tensor.empty` writes the slice instead of it (one output, no second
/// store).
bool copyIntoProducer(linalg::CopyOp copy, DominanceInfo &dominance,
                      bool inPlace) {
  Value dest = copy.getOutputs()[0];
  auto producer = copy.getInputs()[0].getDefiningOp<linalg::GenericOp>();
  if (!producer || producer->getNumResults() != 1 ||
      producer->getBlock() != copy->getBlock() || !isResultSlice(dest) ||
      !dominance.properlyDominates(dest, producer) ||
      producer.getNumReductionLoops() != 0 ||
      !producer.getIndexingMapsArray().back().isIdentity() ||
      llvm::is_contained(producer.getDpsInputs(), dest))
    return false;
  OpOperand *initOperand = producer.getDpsInitOperand(0);
  if (auto empty = initOperand->get().getDefiningOp<tensor::EmptyOp>();
      inPlace && empty) {
    initOperand->set(dest);
    copy.getResult(0).replaceAllUsesWith(producer.getResult(0));
    copy.erase();
    if (empty->use_empty())
      empty.erase();
    return true;
  }
  OpBuilder b(producer);
  SmallVector<AffineMap> maps = producer.getIndexingMapsArray();
  maps.push_back(maps.back());
  Value init = producer.getDpsInitOperand(0)->get();
  auto fused = linalg::GenericOp::create(
      b, producer.getLoc(), TypeRange{init.getType(), dest.getType()},
      producer.getDpsInputs(), ValueRange{init, dest}, maps,
      producer.getIteratorTypesArray());
  fused->setDiscardableAttrs(producer->getDiscardableAttrDictionary());
  fused.getRegion().takeBody(producer.getRegion());
  Block &body = fused.getRegion().front();
  body.addArgument(getElementTypeOrSelf(dest.getType()), copy.getLoc());
  Operation *yield = body.getTerminator();
  yield->insertOperands(1, yield->getOperand(0));
  producer.getResult(0).replaceAllUsesWith(fused.getResult(0));
  copy.getResult(0).replaceAllUsesWith(fused.getResult(1));
  copy.erase();
  producer.erase();
  return true;
}

struct CopyIntoProducersPass
    : public hymir::impl::CopyIntoProducersPassBase<CopyIntoProducersPass> {
  using Base::Base;

  void runOnOperation() override {
    DominanceInfo dominance(getOperation());
    SmallVector<linalg::CopyOp> copies;
    getOperation().walk([&](linalg::CopyOp copy) {
      if (copy.hasPureTensorSemantics())
        copies.push_back(copy);
    });
    for (linalg::CopyOp copy : copies)
      copyIntoProducer(copy, dominance, inPlace);
  }
};

} // namespace
