//===- PolynomialMath.cpp - hymir-polynomial-math -------------------------===//
//
// Transcendentals as MLIR's polynomials: the exponentials that
// hymir-chunk-scans and hymir-tile-attention tag, and every f32 exp, expm1,
// log, log1p and tanh of compiled CPU code (hymir-polynomial-math; see the
// pass description in Passes.td): one rounding for a loop's vector and
// scalar copies, and no call in the way of the vectorizer.
//
//===----------------------------------------------------------------------===//

#include "PolynomialMath.h"

#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "hymir-polynomial-math"

namespace hymir {
#define GEN_PASS_DEF_POLYNOMIALMATHPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {
/// The math.fma / math.floor ops the polynomial patterns create (and have
/// not erased since): the rewrite may erase whole dead ops around the
/// exponentials, so the ops are tracked rather than looked up afterwards.
struct HelperTracker : RewriterBase::Listener {
  llvm::SetVector<Operation *> helpers;
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    if (isa<math::FmaOp, math::FloorOp>(op))
      helpers.insert(op);
  }
  void notifyOperationErased(Operation *op) override {
    op->walk([&](Operation *nested) { helpers.remove(nested); });
  }
};
} // namespace

LogicalResult hymir::approximateMathOps(ArrayRef<Operation *> ops) {
  if (ops.empty())
    return success();
  RewritePatternSet patterns(ops.front()->getContext());
  // The names of the ops to rewrite, and of those their expansions create
  // (expm1 and log1p expand through exp and log).
  populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
    return llvm::is_contained(kPolynomialMathOps, name);
  });
  HelperTracker tracker;
  if (failed(applyOpPatternsGreedily(
          ops, std::move(patterns),
          GreedyRewriteConfig().setListener(&tracker))))
    return failure();
  for (Operation *op : tracker.helpers) {
    OpBuilder b(op);
    Value replacement;
    if (auto fma = dyn_cast<math::FmaOp>(op))
      replacement = LLVM::FMAOp::create(b, op->getLoc(), fma.getA(),
                                        fma.getB(), fma.getC());
    else
      replacement =
          LLVM::FFloorOp::create(b, op->getLoc(), op->getOperand(0));
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }
  return success();
}

LogicalResult hymir::approximateTaggedExps(Operation *root, StringRef tag) {
  SmallVector<Operation *> exps;
  root->walk([&](math::ExpOp exp) {
    if (exp->hasAttr(tag))
      exps.push_back(exp);
  });
  return approximateMathOps(exps);
}

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
