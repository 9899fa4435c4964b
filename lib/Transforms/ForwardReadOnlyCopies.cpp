//===- ForwardReadOnlyCopies.cpp - hymir-forward-read-only-copies ---------===//
//
// A tensor copy that is only read and then overwritten whole goes away (see
// the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#define DEBUG_TYPE "hymir-forward-read-only-copies"

namespace hymir {
#define GEN_PASS_DEF_FORWARDREADONLYCOPIESPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// Whether `use` is the init of a linalg op that writes every element of it
/// without reading it: a copy, or an element-wise generic with an identity
/// output map whose payload ignores the init.
bool isWholeOverwrite(OpOperand &use) {
  if (auto copy = dyn_cast<linalg::CopyOp>(use.getOwner()))
    return copy.isDpsInit(&use);
  auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
  return generic && generic.isDpsInit(&use) &&
         generic.getNumReductionLoops() == 0 &&
         generic.getMatchingIndexingMap(&use).isIdentity() &&
         !generic.payloadUsesValueFromOperand(&use);
}

/// Rewrites `%c = linalg.copy ins(%x) outs(%y)` when every use of `%c` is a
/// linalg input or a whole overwrite; returns whether it did.
bool forward(linalg::CopyOp copy) {
  Value result = copy.getResult(0);
  if (result.use_empty())
    return false;
  for (OpOperand &use : result.getUses()) {
    auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (!user || (!user.isDpsInput(&use) && !isWholeOverwrite(use)))
      return false;
  }
  Value source = copy.getInputs()[0], dest = copy.getOutputs()[0];
  for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
    bool reads = cast<linalg::LinalgOp>(use.getOwner()).isDpsInput(&use);
    use.set(reads ? source : dest);
  }
  copy.erase();
  return true;
}

struct ForwardReadOnlyCopiesPass
    : public hymir::impl::ForwardReadOnlyCopiesPassBase<
          ForwardReadOnlyCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](linalg::CopyOp copy) {
      if (copy.hasPureTensorSemantics())
        forward(copy);
    });
  }
};

} // namespace
