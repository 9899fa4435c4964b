//===- PolynomialExp.cpp - Vectorizable exponentials ----------------------===//

#include "PolynomialExp.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

LogicalResult hymir::approximateTaggedExps(Operation *root, StringRef tag) {
  SmallVector<Operation *> exps;
  root->walk([&](math::ExpOp exp) {
    if (exp->hasAttr(tag))
      exps.push_back(exp);
  });
  if (exps.empty())
    return success();
  llvm::SmallPtrSet<Block *, 8> blocks;
  for (Operation *exp : exps)
    blocks.insert(exp->getBlock());
  RewritePatternSet patterns(root->getContext());
  populateMathPolynomialApproximationPatterns(
      patterns, [](StringRef name) { return name == "math.exp"; });
  if (failed(applyOpPatternsGreedily(exps, std::move(patterns))))
    return failure();
  SmallVector<Operation *> helpers;
  for (Block *block : blocks)
    for (Operation &op : *block)
      if (isa<math::FmaOp, math::FloorOp>(op))
        helpers.push_back(&op);
  for (Operation *op : helpers) {
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
