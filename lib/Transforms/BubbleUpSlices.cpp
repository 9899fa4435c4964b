//===- BubbleUpSlices.cpp - hymir-bubble-up-slices ------------------------===//
//
// Slices of element-wise results become element-wise ops on slices, so that
// a value tile of a chunked scan widens only its own columns (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace hymir {
#define GEN_PASS_DEF_BUBBLEUPSLICESPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {
struct BubbleUpSlicesPass
    : public hymir::impl::BubbleUpSlicesPassBase<BubbleUpSlicesPass> {
  void runOnOperation() override {
    // Element-wise producers only: slicing a product's result (a reduction)
    // would also slice its accumulator, which bufferization then no longer
    // updates in place.
    SmallVector<Operation *> slices;
    getOperation().walk([&](tensor::ExtractSliceOp slice) {
      auto producer = slice.getSource().getDefiningOp<linalg::GenericOp>();
      if (producer && producer.getNumLoops() == producer.getNumParallelLoops())
        slices.push_back(slice);
    });
    RewritePatternSet patterns(&getContext());
    linalg::populateBubbleUpExtractSliceOpPatterns(patterns);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    (void)applyOpPatternsGreedily(slices, std::move(patterns), config);
    // The slices of `tensor.empty` the bubbled ops write into become smaller
    // empty tensors, which eliminate-empty-tensors can then replace.
    RewritePatternSet empties(&getContext());
    tensor::populateFoldTensorEmptyPatterns(empties);
    if (failed(applyPatternsGreedily(getOperation(), std::move(empties))))
      signalPassFailure();
  }
};
} // namespace
