//===- SplitReductions.cpp - Partial sums a block's threads share ---------===//
//
// Long reductions with few outputs (S'ᵀk on a value tile of the sequential
// fallback) split into partial sums over a parallel dimension (see the pass
// description in Passes.td), with upstream linalg::splitReduction.
//
//===----------------------------------------------------------------------===//

#include "hymir/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace hymir {
#define GEN_PASS_DEF_GPUSPLITREDUCTIONSPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

// Fewer terms than this per partial sum would not pay for the second pass.
constexpr int64_t kMinTermsPerPartial = 8;
// Shorter reductions are short chains already.
constexpr int64_t kMinTerms = 64;

/// The split ratio for `op`, or 0 to leave it alone.
static int64_t splitRatio(linalg::GenericOp op, int64_t threads) {
  // linalg::splitReduction renumbers the loops but leaves the payload's
  // linalg.index ops as they were: a causal mask (j <= i, the in-chunk
  // cumulative sum) would compare the partial-sum loop's index instead of
  // the term's and silently sum the wrong terms.
  if (op->hasAttr("hymir.chunk_matmul") || !op.hasPureTensorSemantics() ||
      op.hasIndexSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1)
    return 0;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t outputs = 1, terms = 0;
  for (auto [range, iterator] : llvm::zip(ranges, op.getIteratorTypesArray())) {
    if (ShapedType::isDynamic(range))
      return 0;
    if (iterator == utils::IteratorType::reduction)
      terms = range;
    else
      outputs *= range;
  }
  // A single sum is a block-wide sum already (gpu.all_reduce).
  if (outputs < 2 || outputs * 4 > threads || terms < kMinTerms)
    return 0;
  int64_t ratio = 1;
  while (outputs * ratio * 2 <= threads &&
         terms / (ratio * 2) >= kMinTermsPerPartial && terms % (ratio * 2) == 0)
    ratio *= 2;
  return ratio > 1 ? ratio : 0;
}

struct GPUSplitReductionsPass
    : hymir::impl::GPUSplitReductionsPassBase<GPUSplitReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, int64_t>> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (int64_t ratio = splitRatio(op, threads))
        work.push_back({op, ratio});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, ratio] : work) {
      rewriter.setInsertionPoint(op);
      // The partials' dimension goes last among the parallel ones: the
      // SPMD mapping gives consecutive threads consecutive partials.
      int64_t outputRank =
          cast<ShapedType>(op.getDpsInitOperand(0)->get().getType()).getRank();
      linalg::SplitReductionOptions options{ratio, unsigned(outputRank),
                                            /*innerParallel=*/true};
      linalg::ControlSplitReductionFn control = [&](linalg::LinalgOp) {
        return options;
      };
      // A payload splitReduction cannot combine stays as it is.
      (void)linalg::splitReduction(rewriter, op, control);
    }
  }
};

} // namespace
