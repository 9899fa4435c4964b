//===- Artifact.h - CUDA artifacts: cubins + launch plan ---------*- C++ -*-===//
//
// The library form of `hymir-compile --target=cuda` (DESIGN §4-§5). A CUDA
// artifact is data the runtime executes: one binary per kernel module and a
// launch plan (runtime/include/hymir_rt/cuda_plan.h defines the format).
// Shapes are specialised per artifact: an entry point is compiled for the
// static shapes of its arguments, so grids, buffer sizes and kernel
// parameters are constants in the plan (a cache keyed by shape is the
// caller's; docs/cuda-artifacts.md).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TARGET_CUDA_ARTIFACT_H
#define HYMIR_TARGET_CUDA_ARTIFACT_H

#include "hymir/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace hymir {

/// Prepares a model's entry point for the CUDA target (docs/cuda-artifacts.md
/// "Model artifacts"): records the roles of its arguments and results
/// (`hymir.kv_cache`, `hymir.kv_lengths`) for the plan, inlines the calls
/// (a plan's host function only launches kernels) and turns every external
/// `ml_program.global` it loads into an argument after its own, which the
/// plan declares as a weight bound by the global's name. Globals with a
/// dense value become constants. A module without globals or calls is left
/// as it is.
mlir::LogicalResult prepareModelEntry(mlir::ModuleOp module,
                                      llvm::StringRef entry);

/// Gives the public function `entry` of `module` static argument types:
/// `shapes[i]` replaces argument i's shape (ranks must agree, static
/// dimensions must match, every argument must be a ranked tensor), and the
/// results take the static types the body then infers. Keeps `entry` the
/// only public function with a body (others become private, so the CUDA
/// pipeline compiles one entry point). Diagnostics name the argument.
mlir::LogicalResult
specializeEntryShapes(mlir::ModuleOp module, llvm::StringRef entry,
                      llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);

/// One kernel module's binary.
struct CUDABinary {
  std::string module; ///< symbol of the gpu.binary
  std::string file;   ///< file name inside the artifact directory
  std::string bytes;
};

struct CUDAArtifact {
  std::string plan; ///< plan.txt
  llvm::SmallVector<CUDABinary> binaries;
};

/// Reads the launch plan of `entry` off a module that hymir-cuda-pipeline
/// has lowered: its host function may only allocate, take views with static
/// layouts, launch kernels with constant grids and operands, and return
/// buffers. Anything else is an error at the op.
mlir::FailureOr<CUDAArtifact> extractCUDAArtifact(mlir::ModuleOp module,
                                                  llvm::StringRef entry,
                                                  llvm::StringRef chip);

/// prepareModelEntry + specializeEntryShapes (`shapes` for the entry's own
/// arguments) + hymir-cuda-pipeline + extractCUDAArtifact.
mlir::FailureOr<CUDAArtifact>
compileCUDAArtifact(mlir::ModuleOp module, llvm::StringRef entry,
                    llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
                    const CUDAPipelineOptions &options);

/// Writes `artifact` into directory `dir` (created if needed): plan.txt and
/// the binaries, each under a temporary name renamed into place.
mlir::LogicalResult writeCUDAArtifact(const CUDAArtifact &artifact,
                                      llvm::StringRef dir,
                                      std::string &errorMessage);

/// The shapes a model artifact is compiled for: @prefill at tokens
/// [batch, promptLen], @decode at tokens [batch] with KV caches of
/// `capacity` rows (needed when the model has a KV cache).
struct CUDAModelShape {
  int64_t batch = 1;
  int64_t promptLen = 1;
  std::optional<int64_t> capacity;
};

/// A model artifact: the plans of @prefill and @decode, whose weights with
/// the same name the runtime binds to one device buffer.
struct CUDAModelArtifact {
  CUDAArtifact prefill, decode;
};

/// Compiles @prefill and @decode of a model module (docs/models.md) for
/// `shape`: @decode's state shapes are the results of @prefill, KV caches
/// (`hymir.kv_cache`) at the capacity along axis 1. Fails, at @decode, when
/// a state would not come back with the shape it went in. `module` is not
/// modified.
mlir::FailureOr<CUDAModelArtifact>
compileCUDAModel(mlir::ModuleOp module, const CUDAModelShape &shape,
                 const CUDAPipelineOptions &options);

/// Writes DIR/prefill and DIR/decode (each a plan directory).
mlir::LogicalResult writeCUDAModelArtifact(const CUDAModelArtifact &artifact,
                                           llvm::StringRef dir,
                                           std::string &errorMessage);

} // namespace hymir

#endif // HYMIR_TARGET_CUDA_ARTIFACT_H
