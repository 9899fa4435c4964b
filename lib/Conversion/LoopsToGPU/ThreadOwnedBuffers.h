//===- ThreadOwnedBuffers.h - Shared buffers each thread keeps to itself --===//
//
// A step of hymir-parallel-loops-to-gpu (ThreadOwnedBuffers.cpp explains the
// rule and its proof).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_CONVERSION_LOOPSTOGPU_THREADOWNEDBUFFERS_H
#define HYMIR_CONVERSION_LOOPSTOGPU_THREADOWNEDBUFFERS_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Value.h"

namespace hymir {

/// Replaces each of `sharedBuffers` (shared-memory temporaries of the SPMD
/// kernel body `body`, whose thread index is `tid` below `threads`) whose
/// elements every thread touches only its own of, in rounds that unroll,
/// by a per-thread stack array indexed by constants; unrolls those rounds.
/// Returns how many buffers it replaced.
int64_t keepThreadOwnedBuffersInRegisters(mlir::Block &body, mlir::Value tid,
                                          int64_t threads,
                                          llvm::ArrayRef<mlir::Value> sharedBuffers);

} // namespace hymir

#endif // HYMIR_CONVERSION_LOOPSTOGPU_THREADOWNEDBUFFERS_H
