//===- Jit.h - JIT-compile and run a function on the host CPU ---*- C++ -*-===//
//
// The library form of `hymir-run --target=cpu`: compile a module with
// hymir-cpu-pipeline, JIT it with mlir::ExecutionEngine and call one function
// on host tensors.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TARGET_CPU_JIT_H
#define HYMIR_TARGET_CPU_JIT_H

#include "hymir/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <vector>

namespace hymir {

/// A dense f32 tensor, row-major (C order). A rank-0 tensor (empty shape, one
/// element) also passes an `f32` scalar argument.
struct CpuTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  /// Product of the shape (1 for rank 0).
  int64_t numElements() const;
};

/// Compiles a clone of `module` with `buildHymirCPUPipeline(options)`, JITs it
/// (LLVM -O3, host CPU) and calls the public function `entry` with `args`, one
/// per function argument (f32 tensors of matching rank and static dims, or
/// f32 scalars). Returns one tensor per result (results must be f32 tensors).
///
/// `module` itself is not modified, but the dialects and interfaces the
/// pipeline and the LLVM translation need are registered on its context.
/// Every error (bad signature or arguments, pipeline or JIT failure) is
/// reported as a diagnostic on that context and returns failure().
mlir::FailureOr<llvm::SmallVector<CpuTensor>>
runOnCpu(mlir::ModuleOp module, llvm::StringRef entry,
         llvm::ArrayRef<CpuTensor> args, const CPUPipelineOptions &options);

} // namespace hymir

#endif // HYMIR_TARGET_CPU_JIT_H
