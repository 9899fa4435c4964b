//===- MathToLibm.cpp - libm calls for the math ops libm implements -------===//

#include "hymir/Conversion/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
    // without a libm function stay for convert-math-to-llvm. Ops that IEEE
    // 754 defines exactly (fma, sqrt, rounding to integers) stay too: their
    // LLVM intrinsics give the same results and vectorize into instructions,
    // while a call of fmaf (which LLVM does not turn back into llvm.fma)
    // keeps a whole loop scalar, every other op of it included.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()) &&
          !isa<math::FmaOp, math::SqrtOp, math::FloorOp, math::CeilOp,
               math::TruncOp, math::RoundOp, math::RoundEvenOp>(op))
        ops.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    populateMathToLibmConversionPatterns(patterns);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
