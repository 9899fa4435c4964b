//===- TensorBuilders.h - Small IR builders of the CPU forms ---*- C++ -*-===//
//
// Constants, sizes and zero tensors, shared by hymir-chunk-scans and
// hymir-tile-attention.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_TRANSFORMS_TENSORBUILDERS_H
#define HYMIR_LIB_TRANSFORMS_TENSORBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace hymir {

inline mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc,
                              int64_t v) {
  return mlir::arith::ConstantIndexOp::create(b, loc, v);
}

inline mlir::Value f32Const(mlir::OpBuilder &b, mlir::Location loc, double v) {
  return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Size `dim` of the ranked tensor `v`: a constant where it is static.
inline mlir::Value dimSize(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, int64_t dim) {
  auto type = mlir::cast<mlir::RankedTensorType>(v.getType());
  if (!type.isDynamicDim(dim))
    return indexConst(b, loc, type.getDimSize(dim));
  return mlir::tensor::DimOp::create(b, loc, v, dim);
}

/// A zero-filled static f32 tensor.
inline mlir::Value zeros(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape) {
  mlir::Value empty =
      mlir::tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  return mlir::linalg::FillOp::create(b, loc, f32Const(b, loc, 0.0), empty)
      .getResult(0);
}

} // namespace hymir

#endif // HYMIR_LIB_TRANSFORMS_TENSORBUILDERS_H
