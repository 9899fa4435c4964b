//===- PolynomialMath.cpp - hymir-polynomial-math -------------------------===//
//
// The transcendentals of compiled CPU code as polynomials (see the pass
// description in Passes.td): one rounding for a loop's vector and scalar
// copies, and no call in the way of the vectorizer.
//
//===----------------------------------------------------------------------===//

#include "PolynomialExp.h"

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/STLExtras.h"

#define DEBUG_TYPE "hymir-polynomial-math"

namespace hymir {
#define GEN_PASS_DEF_POLYNOMIALMATHPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {
struct PolynomialMathPass
    : public hymir::impl::PolynomialMathPassBase<PolynomialMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (llvm::is_contained(hymir::kPolynomialMathOps,
                             op->getName().getStringRef()))
        ops.push_back(op);
    });
    if (failed(hymir::approximateMathOps(ops)))
      signalPassFailure();
  }
};
} // namespace
