//===- LoweringUtils.h - Shared helpers of HymirToLoops ---------*- C++ -*-===//
//
// Private to lib/Conversion/HymirToLoops: IR-building helpers shared by the
// patterns of the sequential fallback, and the per-file populate functions.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_CONVERSION_HYMIRTOLOOPS_LOWERINGUTILS_H
#define HYMIR_LIB_CONVERSION_HYMIRTOLOOPS_LOWERINGUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

#include <string>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace hymir::loops {

/// Fast-math flags of the arithmetic this lowering generates itself (never
/// added to the user's ops): `contract` lets LLVM fuse a·b + c into one FMA
/// (one rounding instead of two). Reductions whose innermost loop walks
/// contiguous memory also get `reassoc`, so that the loop vectorizer may keep
/// vector partial sums. Either way the order of the operations is fixed by the
/// compiled code alone, so results do not depend on the thread count; both
/// stay far inside the 1e-4 tolerance against the float64 oracle.
constexpr mlir::arith::FastMathFlags kContract =
    mlir::arith::FastMathFlags::contract;
constexpr mlir::arith::FastMathFlags kReduce =
    mlir::arith::FastMathFlags::contract | mlir::arith::FastMathFlags::reassoc;

/// `arith.constant <v> : index`.
mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc, int64_t v);

/// `arith.constant <v> : <type>` for a float type.
mlir::Value floatConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                       double v);

/// Size of dimension `dim` of the ranked tensor `v`: a constant when static,
/// else `tensor.dim`.
mlir::Value dimSize(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                    int64_t dim);

/// Size of dimension `dim` of `v` converted to the float type `type` (for means
/// and default scales).
mlir::Value dimAsFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       int64_t dim, mlir::Type type);

/// The type reductions and softmax statistics are accumulated in: f32 for
/// narrower float types (bf16, f16), else the type itself (DESIGN §2).
mlir::FloatType accumulatorType(mlir::Type elementType);

/// Converts a float scalar to `to` (`arith.extf` / `arith.truncf`, through f32
/// between two 16-bit types); returns `v` when the types agree.
mlir::Value convertFloat(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                         mlir::Type to);

/// `tensor.empty` with the shape of the ranked tensor `like` (dynamic dims from
/// `tensor.dim`) and element type `elementType` (default: that of `like`).
mlir::Value emptyLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like,
                      mlir::Type elementType = {});

/// `tensor.empty` of `type` whose leading dynamic dims take the sizes in
/// `leading`. Returns a null value when a dynamic dim past them remains.
mlir::Value emptyWithLeading(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType type,
                             mlir::ArrayRef<mlir::Value> leading);

/// The per-step piece of `source` at the leading `indices` (one per dropped
/// dim): `tensor.extract` when no dim remains, else a rank-reducing
/// `tensor.extract_slice` with result type `stepType`.
mlir::Value extractStep(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value source, mlir::ValueRange indices,
                        mlir::Type stepType);

/// Inverse of `extractStep`: writes `step` into `dest` at the leading
/// `indices` (`tensor.insert` for a scalar, else `tensor.insert_slice`).
mlir::Value insertStep(mlir::OpBuilder &b, mlir::Location loc, mlir::Value step,
                       mlir::Value dest, mlir::ValueRange indices);

/// Why the sequential fallback cannot lower `op` (empty when it can). Patterns
/// check it before creating IR; the pass reports it for ops left over.
std::string unsupportedReason(mlir::Operation *op);

// Pattern sets of the individual files.
/// `valueTile` > 0: column-separable step bodies with a matrix state work on
/// value tiles of about that many columns, as (batch, head, tile) iterations
/// of the forall (`parallelTiles`) or as a loop over tiles in each step.
void populateStepOpPatterns(mlir::RewritePatternSet &patterns,
                            int64_t valueTile, bool parallelTiles);
void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
void populateCausalConvPatterns(mlir::RewritePatternSet &patterns);
void populateStateAlgebraPatterns(mlir::RewritePatternSet &patterns);

} // namespace hymir::loops

#endif // HYMIR_LIB_CONVERSION_HYMIRTOLOOPS_LOWERINGUTILS_H
