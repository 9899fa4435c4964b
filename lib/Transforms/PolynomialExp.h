//===- PolynomialExp.h - Vectorizable exponentials ------------*- C++ -*-===//
//
// Shared by hymir-chunk-scans and hymir-tile-attention: the exponentials of
// their algebra as polynomials that LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_TRANSFORMS_POLYNOMIALEXP_H
#define HYMIR_LIB_TRANSFORMS_POLYNOMIALEXP_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace hymir {

/// Rewrites every `math.exp` under `root` that carries the unit attribute
/// `tag` into MLIR's polynomial approximation (a few ulp), with the
/// polynomial's fma and floor as LLVM intrinsics right away: the CPU pipeline
/// sends math ops to libm, and scalar fmaf/floorf calls would keep LLVM from
/// vectorizing the loops.
mlir::LogicalResult approximateTaggedExps(mlir::Operation *root,
                                          llvm::StringRef tag);

} // namespace hymir

#endif // HYMIR_LIB_TRANSFORMS_POLYNOMIALEXP_H
