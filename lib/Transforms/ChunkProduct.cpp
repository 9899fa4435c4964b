//===- ChunkProduct.cpp - The products of the chunked forms ---------------===//

#include "hymir/Transforms/ChunkProduct.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

FailureOr<hymir::ChunkProduct>
hymir::recogniseChunkProduct(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1)
    return failure();
  // Payload: out + in0 · in1.
  Block &block = op.getRegion().front();
  if (block.getOperations().size() != 3)
    return failure();
  auto mul = dyn_cast<arith::MulFOp>(&block.front());
  auto add = dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  if (!mul || !add || mul.getLhs() != block.getArgument(0) ||
      mul.getRhs() != block.getArgument(1) ||
      !((add.getLhs() == block.getArgument(2) && add.getRhs() == mul) ||
        (add.getRhs() == block.getArgument(2) && add.getLhs() == mul)))
    return failure();
  if (!block.getArgument(2).getType().isF32())
    return failure();

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto dims = [](AffineMap m) -> SmallVector<unsigned> {
    SmallVector<unsigned> d;
    if (!m.isProjectedPermutation(/*allowZeroInResults=*/false) ||
        m.getNumResults() != 2)
      return {};
    for (AffineExpr e : m.getResults())
      d.push_back(cast<AffineDimExpr>(e).getPosition());
    return d;
  };
  SmallVector<unsigned> a = dims(maps[0]), b = dims(maps[1]), c = dims(maps[2]);
  if (a.empty() || b.empty() || c.empty())
    return failure();
  ChunkProduct p;
  p.i = c[0];
  p.j = c[1];
  p.r = 3 - p.i - p.j;
  if (op.getIteratorTypesArray()[p.r] != utils::IteratorType::reduction)
    return failure();
  if (a == SmallVector<unsigned>{p.i, p.r})
    p.lhsTransposed = false;
  else if (a == SmallVector<unsigned>{p.r, p.i})
    p.lhsTransposed = true;
  else
    return failure();
  if (b == SmallVector<unsigned>{p.r, p.j})
    p.rhsTransposed = false;
  else if (b == SmallVector<unsigned>{p.j, p.r})
    p.rhsTransposed = true;
  else
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return failure();
  p.M = ranges[p.i];
  p.N = ranges[p.j];
  p.R = ranges[p.r];
  return p;
}

bool hymir::takesNarrowFloats(func::FuncOp func) {
  return llvm::any_of(func.getArgumentTypes(), [](Type t) {
    Type element = getElementTypeOrSelf(t);
    return element.isBF16() || element.isF16();
  });
}
