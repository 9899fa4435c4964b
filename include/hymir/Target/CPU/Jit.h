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
#include <memory>
#include <vector>

namespace hymir {

/// A dense f32 tensor, row-major (C order); bf16 results are widened to it
/// exactly. A rank-0 tensor (empty shape, one
/// element) also passes an `f32` scalar argument. An argument of integer
/// elements (i32 or i64 tensors: a model's token ids) takes its values from
/// `ints` instead of `data`.
struct CpuTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::vector<int64_t> ints = {};
  /// For a bf16 argument: its elements as bf16 bit patterns, passed as they
  /// are (what a caller holding bf16 data does). Left empty, `data` is
  /// rounded to bf16 (to nearest, ties to even) at every call instead.
  std::vector<uint16_t> bf16 = {};

  /// Product of the shape (1 for rank 0).
  int64_t numElements() const;
};

/// A module compiled once by `buildHymirCPUPipeline(options)` and JIT-compiled
/// (LLVM -O3 for the host CPU, its vector extensions included), whose entry
/// can then be called any number of times (benchmarks, repeated decode steps).
///
/// The compiled code does not refer to the module it came from; errors of
/// `compile` and `call` are reported as diagnostics on the module's context,
/// which must outlive the CompiledModule.
class CompiledModule {
public:
  /// Compiles a clone of `module` for its public function `entry` (arguments:
  /// f32 tensors, f32 scalars or i32/i64 tensors; results: f32 tensors).
  /// `module` itself is not modified, but the dialects and interfaces the
  /// pipeline and the LLVM translation need are registered on its context.
  /// A model's external `ml_program.global`s (its weights, docs/models.md)
  /// become buffers of the compiled code that `bindWeight` fills; `call`
  /// fails until every one of them is bound.
  static mlir::FailureOr<CompiledModule>
  compile(mlir::ModuleOp module, llvm::StringRef entry,
          const CPUPipelineOptions &options);

  CompiledModule(CompiledModule &&) noexcept;
  CompiledModule &operator=(CompiledModule &&) noexcept;
  ~CompiledModule();

  /// Calls the entry with `args`, one per function argument (f32 tensors of
  /// matching rank and static dims, or rank-0 tensors for f32 scalars), and
  /// returns one tensor per result. The arguments are read in place, never
  /// written. Safe to call from several threads at once.
  mlir::FailureOr<llvm::SmallVector<CpuTensor>>
  call(llvm::ArrayRef<CpuTensor> args) const;

  /// The external globals (weights) of the module, by symbol name, in module
  /// order, with the number of bytes each holds (elements of the global's
  /// type, row-major).
  llvm::ArrayRef<std::pair<std::string, size_t>> weights() const;

  /// Copies `bytes` bytes at `data` (row-major elements of the global's
  /// element type) into the weight @`name`. Fails, with a diagnostic naming
  /// the weight, for an unknown name or a size that is not the global's.
  /// Not thread-safe with `call`.
  mlir::LogicalResult bindWeight(llvm::StringRef name, const void *data,
                                 size_t bytes);

  /// Like `call`, but frees the results without copying them out (timing).
  mlir::LogicalResult callDiscardingResults(llvm::ArrayRef<CpuTensor> args) const;

  /// Wall-clock seconds spent in hymir-cpu-pipeline and in LLVM (translation,
  /// -O3 and machine code generation) by `compile`.
  double pipelineSeconds() const;
  double llvmSeconds() const;

private:
  struct Impl;
  explicit CompiledModule(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Compiles `module` with `CompiledModule::compile(module, entry, options)`
/// and calls it once with `args`. Every error (bad signature or arguments,
/// pipeline or JIT failure) is reported as a diagnostic on the module's
/// context and returns failure().
mlir::FailureOr<llvm::SmallVector<CpuTensor>>
runOnCpu(mlir::ModuleOp module, llvm::StringRef entry,
         llvm::ArrayRef<CpuTensor> args, const CPUPipelineOptions &options);

} // namespace hymir

#endif // HYMIR_TARGET_CPU_JIT_H
