//===- Pipelines.h - Hymir pass pipelines -----------------------*- C++ -*-===//
//
// Pipeline builders and their option structs (DESIGN §1: knobs are options,
// never global flags).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_PIPELINES_PIPELINES_H
#define HYMIR_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace hymir {

/// Options of `hymir-cpu-pipeline`. `chunk-size` sets the chunk length of
/// the chunked scans (`hymir-chunk-scans`; 0 forces the sequential fallback,
/// `hymir-convert-hymir-to-loops`, for every scan); `threads` sets how the
/// parallel (batch × heads) loops run; fusion is accepted and recorded but
/// does not change the generated code yet.
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk length of the chunked form of identity- and "
                     "scalar-class scans (hymir-chunk-scans); 0 runs every "
                     "scan through the sequential fallback"),
      llvm::cl::init(64)};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Worker threads of the generated code: 1 runs the "
                     "(batch, head) loops of scans, recurrences and attention "
                     "in order; N > 1 as OpenMP loops on N threads (the JIT "
                     "loads LLVM's libomp); 0 = the OpenMP default, one per "
                     "core (OMP_NUM_THREADS). Results are bit-identical at any "
                     "count: each (batch, head) is computed by one thread"),
      llvm::cl::init(1)};
  Option<bool> fusion{
      *this, "fusion",
      llvm::cl::desc("Fuse producers and consumers into the mixers (unused "
                     "for now: no fusion stage exists yet)"),
      llvm::cl::init(true)};
};

/// hymir dialect on tensors -> LLVM dialect, for the host CPU. Every public
/// function with a body gets a `_mlir_ciface_<name>` C wrapper; returned
/// memrefs are malloc'd and owned by the caller.
void buildHymirCPUPipeline(mlir::OpPassManager &pm,
                           const CPUPipelineOptions &options);

/// Registers `hymir-cpu-pipeline` with the pass registry.
void registerHymirCPUPipeline();

/// The dialect extensions (bufferization and deallocation interface models)
/// the CPU pipeline needs on its context; the pass manager loads the dialects
/// themselves.
void registerCPUPipelineDialects(mlir::DialectRegistry &registry);

} // namespace hymir

#endif // HYMIR_PIPELINES_PIPELINES_H
