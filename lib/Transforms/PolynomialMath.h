//===- PolynomialMath.h - Vectorizable transcendentals ---------*- C++ -*-===//
//
// Shared by hymir-chunk-scans and hymir-tile-attention (the exponentials of
// their algebra) and hymir-polynomial-math (every f32 exp, expm1, log, log1p
// and tanh): MLIR's polynomial approximations, which LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_TRANSFORMS_POLYNOMIALMATH_H
#define HYMIR_LIB_TRANSFORMS_POLYNOMIALMATH_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace hymir {

/// The math ops approximateMathOps rewrites.
inline constexpr llvm::StringLiteral kPolynomialMathOps[] = {
    "math.exp", "math.expm1", "math.log", "math.log1p", "math.tanh"};

/// Rewrites `ops` (math ops named in kPolynomialMathOps; others, and types
/// without an approximation such as f64, are left alone) into MLIR's
/// polynomial approximations, with the polynomials' fma and floor as LLVM
/// intrinsics right away: the CPU pipeline sends math ops to libm, and scalar
/// fmaf/floorf calls would keep LLVM from vectorizing the loops.
mlir::LogicalResult approximateMathOps(llvm::ArrayRef<mlir::Operation *> ops);

/// approximateMathOps of every `math.exp` under `root` that carries the unit
/// attribute `tag`.
mlir::LogicalResult approximateTaggedExps(mlir::Operation *root,
                                          llvm::StringRef tag);

} // namespace hymir

#endif // HYMIR_LIB_TRANSFORMS_POLYNOMIALMATH_H
