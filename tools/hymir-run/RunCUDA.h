//===- RunCUDA.h - hymir-run --target=cuda ----------------------*- C++ -*-===//
//
// On a machine with both the compiler and a GPU: compile the entry point for
// the inputs' shapes into a temporary CUDA artifact and run it with the
// runtime's hymir-rt-run (next to hymir-run, else on PATH). The runner
// applies the same .npy contract and writes the outputs.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TOOLS_HYMIR_RUN_RUNCUDA_H
#define HYMIR_TOOLS_HYMIR_RUN_RUNCUDA_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace hymir {

/// Returns the runner's exit status (0 on success); 1 with a diagnostic on
/// stderr when compilation fails or no hymir-rt-run is found.
/// `weightsPath` (may be empty) is passed to the runner, which binds the
/// plan's weights by name.
int runOnCuda(mlir::ModuleOp module, llvm::StringRef entry,
              llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
              llvm::ArrayRef<std::string> inputPaths, llvm::StringRef outputDir,
              llvm::StringRef weightsPath, const char *argv0);

/// --generate on the GPU: compiles a model artifact for batch 1, the
/// prompt's length and a KV capacity of prompt + N - 1, then runs
/// `hymir-rt-run MODEL --weights --prompt-ids --generate=N`, which prints
/// the ids and the throughput. Returns the runner's exit status.
int generateOnCuda(mlir::ModuleOp module, llvm::StringRef weightsPath,
                   llvm::ArrayRef<int64_t> promptIds, unsigned generate,
                   const char *argv0);

} // namespace hymir

#endif // HYMIR_TOOLS_HYMIR_RUN_RUNCUDA_H
