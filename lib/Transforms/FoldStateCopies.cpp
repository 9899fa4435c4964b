//===- FoldStateCopies.cpp - hymir-fold-state-copies ----------------------===//
//
// The new state of a scan step is computed into the carried state instead of
// a temporary that is then copied (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#define DEBUG_TYPE "hymir-fold-state-copies"

namespace hymir {
#define GEN_PASS_DEF_FOLDSTATECOPIESPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

struct FoldStateCopiesPass
    : public hymir::impl::FoldStateCopiesPassBase<FoldStateCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](linalg::CopyOp copy) {
      if (!copy.hasPureTensorSemantics())
        return;
      auto state = dyn_cast<BlockArgument>(copy.getOutputs()[0]);
      if (!state || !isa<scf::ForOp>(state.getOwner()->getParentOp()))
        return;
      auto generic = copy.getInputs()[0].getDefiningOp<linalg::GenericOp>();
      if (!generic || generic->getNumResults() != 1 ||
          generic->getBlock() != copy->getBlock() ||
          generic.getNumReductionLoops() != 0 ||
          !generic.getIndexingMapsArray().back().isIdentity() ||
          generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
        return;
      generic.getDpsInitOperand(0)->set(state);
      copy.getResult(0).replaceAllUsesWith(generic.getResult(0));
      copy.erase();
    });
  }
};

} // namespace
