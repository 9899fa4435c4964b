//===- ChunkProduct.h - The products of the chunked forms -------*- C++ -*-===//
//
// The chunked forms' matrix products are `linalg.generic`s tagged
// `hymir.chunk_matmul`; the CPU (hymir-vectorize-chunk-matmuls, on tensors)
// and the GPU (hymir-gpu-chunk-matmuls-to-mma, on buffers) both lower them
// from this description.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TRANSFORMS_CHUNKPRODUCT_H
#define HYMIR_TRANSFORMS_CHUNKPRODUCT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace hymir {

/// `C[i, j] += Σ_r A[i, r] · B[r, j]`: which loop is which, and the operand
/// layouts.
struct ChunkProduct {
  unsigned i, j, r;   // loop positions of rows, columns, reduction
  bool lhsTransposed; // A is read as A[r, i] (else A[i, r])
  bool rhsTransposed; // B is read as B[j, r] (else B[r, j])
  int64_t M, N, R;
};

/// `op` as a product with an f32 accumulator and static loop ranges (on
/// tensors or buffers: callers check which they take), or failure.
mlir::FailureOr<ChunkProduct> recogniseChunkProduct(mlir::linalg::GenericOp op);

/// Whether `func` takes bf16 or f16 arguments: where TF32 tensor cores keep
/// the data's precision, so the CUDA pipeline's `tensor-cores=auto` puts the
/// chunk products on them and `parallel-chunks=auto` picks the form they
/// speed up.
bool takesNarrowFloats(mlir::func::FuncOp func);

} // namespace hymir

#endif // HYMIR_TRANSFORMS_CHUNKPRODUCT_H
