//===- LoweringUtils.cpp - Shared helpers of HymirToLoops -----------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value hymir::loops::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value hymir::loops::floatConst(OpBuilder &b, Location loc, Type type,
                               double v) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, v));
}

Value hymir::loops::dimSize(OpBuilder &b, Location loc, Value v, int64_t dim) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(dim))
    return indexConst(b, loc, type.getDimSize(dim));
  return tensor::DimOp::create(b, loc, v, dim);
}

Value hymir::loops::dimAsFloat(OpBuilder &b, Location loc, Value v, int64_t dim,
                               Type type) {
  auto tensorType = cast<RankedTensorType>(v.getType());
  if (!tensorType.isDynamicDim(dim))
    return floatConst(b, loc, type,
                      static_cast<double>(tensorType.getDimSize(dim)));
  Value size = tensor::DimOp::create(b, loc, v, dim);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), size);
  return arith::SIToFPOp::create(b, loc, type, asInt);
}

FloatType hymir::loops::accumulatorType(Type elementType) {
  auto type = cast<FloatType>(elementType);
  if (type.getWidth() < 32)
    return Float32Type::get(type.getContext());
  return type;
}

Value hymir::loops::convertFloat(OpBuilder &b, Location loc, Value v, Type to) {
  auto from = cast<FloatType>(v.getType());
  auto target = cast<FloatType>(to);
  if (from == target)
    return v;
  if (from.getWidth() < target.getWidth())
    return arith::ExtFOp::create(b, loc, target, v);
  if (from.getWidth() > target.getWidth())
    return arith::TruncFOp::create(b, loc, target, v);
  // Two different types of one width (bf16 <-> f16): go through f32.
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return arith::TruncFOp::create(b, loc, target, wide);
}

Value hymir::loops::emptyLike(OpBuilder &b, Location loc, Value like,
                              Type elementType) {
  auto type = cast<RankedTensorType>(like.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, like);
  return tensor::EmptyOp::create(
      b, loc, sizes, elementType ? elementType : type.getElementType());
}

Value hymir::loops::emptyWithLeading(OpBuilder &b, Location loc,
                                     RankedTensorType type,
                                     ArrayRef<Value> leading) {
  SmallVector<Value> dynamic;
  for (auto [i, size] : llvm::enumerate(type.getShape())) {
    if (!ShapedType::isDynamic(size))
      continue;
    if (i >= leading.size())
      return {};
    dynamic.push_back(leading[i]);
  }
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

Value hymir::loops::extractStep(OpBuilder &b, Location loc, Value source,
                                ValueRange indices, Type stepType) {
  auto type = cast<RankedTensorType>(source.getType());
  if (!isa<RankedTensorType>(stepType)) {
    assert(indices.size() == static_cast<size_t>(type.getRank()) &&
           "a scalar step needs one index per dim");
    return tensor::ExtractOp::create(b, loc, source, indices);
  }
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (Value index : indices) {
    offsets.push_back(index);
    sizes.push_back(b.getIndexAttr(1));
  }
  for (int64_t size : type.getShape().drop_front(indices.size())) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(size));
  }
  strides.assign(type.getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc,
                                        cast<RankedTensorType>(stepType),
                                        source, offsets, sizes, strides);
}

Value hymir::loops::insertStep(OpBuilder &b, Location loc, Value step,
                               Value dest, ValueRange indices) {
  auto type = cast<RankedTensorType>(dest.getType());
  if (!isa<RankedTensorType>(step.getType()))
    return tensor::InsertOp::create(b, loc, step, dest, indices);
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (Value index : indices) {
    offsets.push_back(index);
    sizes.push_back(b.getIndexAttr(1));
  }
  for (OpFoldResult size : tensor::getMixedSizes(b, loc, step)) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(size);
  }
  strides.assign(type.getRank(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, step, dest, offsets, sizes,
                                       strides);
}
