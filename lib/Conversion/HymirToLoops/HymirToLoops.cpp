//===- HymirToLoops.cpp - The sequential fallback lowering pass -----------===//
//
// Rewrites every hymir op into loops on tensors (see the pass description in
// include/hymir/Conversion/Passes.td). The patterns live in one file per op
// family; this file assembles them and runs the greedy driver, which also
// lowers the per-step ops that cloning a scan body creates.
//
//===----------------------------------------------------------------------===//

#include "hymir/Conversion/Passes.h"

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "hymir-convert-hymir-to-loops"

namespace hymir {
#define GEN_PASS_DEF_CONVERTHYMIRTOLOOPSPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

void hymir::populateHymirToLoopsPatterns(RewritePatternSet &patterns,
                                         int64_t valueTile,
                                         bool parallelValueTiles) {
  loops::populateStepOpPatterns(patterns, valueTile, parallelValueTiles);
  loops::populateAttentionPatterns(patterns);
  loops::populateCausalConvPatterns(patterns);
  loops::populateStateAlgebraPatterns(patterns);
}

namespace {
struct ConvertHymirToLoopsPass
    : public hymir::impl::ConvertHymirToLoopsPassBase<ConvertHymirToLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    auto isHymir = [](Operation *op) {
      return isa<hymir::HymirDialect>(op->getDialect());
    };
    // Count the ops of the input (step bodies included) for the statistic;
    // yields go away with their parents.
    root->walk([&](Operation *op) {
      if (isHymir(op) && !isa<hymir::YieldOp>(op))
        ++numLowered;
    });

    RewritePatternSet patterns(&getContext());
    if (valueTile < 0) {
      root->emitError("hymir-convert-hymir-to-loops: value-tile must be >= 0");
      return signalPassFailure();
    }
    // Scans and recurrences first: their value tiles are decided on the
    // hymir ops of their bodies, before those are lowered.
    if (valueTile > 0) {
      RewritePatternSet stepPatterns(&getContext());
      hymir::loops::populateStepOpPatterns(stepPatterns, valueTile,
                                           parallelValueTiles);
      if (failed(applyPatternsGreedily(root, std::move(stepPatterns)))) {
        root->emitError("hymir-convert-hymir-to-loops did not converge");
        return signalPassFailure();
      }
    }
    hymir::populateHymirToLoopsPatterns(patterns, valueTile,
                                        parallelValueTiles);
    if (failed(applyPatternsGreedily(root, std::move(patterns)))) {
      root->emitError("hymir-convert-hymir-to-loops did not converge");
      return signalPassFailure();
    }

    // Every op has a pattern; one that stayed was rejected by its pattern
    // (e.g. a dynamic per-step dim). Report the outermost such op only.
    bool failedAny = false;
    root->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (!isHymir(op))
        return WalkResult::advance();
      std::string reason = hymir::loops::unsupportedReason(op);
      op->emitOpError("cannot be lowered to loops")
          << (reason.empty() ? std::string() : ": " + reason);
      failedAny = true;
      return WalkResult::skip();
    });
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
