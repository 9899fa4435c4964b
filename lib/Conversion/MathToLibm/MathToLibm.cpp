//===- MathToLibm.cpp - libm calls for the math ops libm implements -------===//

#include "hymir/Conversion/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "hymir-convert-math-to-libm"

namespace hymir {
#define GEN_PASS_DEF_CONVERTMATHTOLIBMPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {
struct ConvertMathToLibmPass
    : public hymir::impl::ConvertMathToLibmPassBase<ConvertMathToLibmPass> {
  using Base::Base;

  void runOnOperation() override {
    // The upstream patterns, driven without a legality target so that ops
    // without a libm function stay for convert-math-to-llvm.
    RewritePatternSet patterns(&getContext());
    populateMathToLibmConversionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
