//===- Pipelines.h - Hymir pass pipelines -----------------------*- C++ -*-===//
//
// Pipeline builders and their option structs (DESIGN §1: knobs are options,
// never global flags).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_PIPELINES_PIPELINES_H
#define HYMIR_PIPELINES_PIPELINES_H

#include "hymir/Transforms/Passes.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace hymir {

/// Options of `hymir-cpu-pipeline`. `chunk-size` sets the chunk length of
/// the chunked scans (`hymir-chunk-scans`; 0 forces the sequential fallback,
/// `hymir-convert-hymir-to-loops`, for every scan); `threads` sets how the
/// parallel (batch × heads) loops run; `fusion` pulls the per-token
/// producers of scan and recurrence inputs into their step bodies
/// (`hymir-fuse-into-mixers`).
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk length of the chunked form of identity- and "
                     "scalar-class scans (hymir-chunk-scans); 0 runs every "
                     "scan through the sequential fallback. 16: measured "
                     "fastest at the CPU bench shape (docs/chunked-scans.md)"),
      llvm::cl::init(16)};
  Option<int64_t> diagonalChunkSize{
      *this, "diagonal-chunk-size",
      llvm::cl::desc("Chunk length of the diagonal forms (GLA, RWKV-6, KDA); "
                     "0: chunk-size. 8: measured fastest at the CPU bench "
                     "shape, 1.07x over 16 for GLA, 1.1x for KDA "
                     "(docs/chunked-scans.md). The tools set it to 0 when "
                     "given --chunk-size, so that one chunk length applies"),
      llvm::cl::init(8)};
  Option<bool> tileAttention{
      *this, "tile-attention",
      llvm::cl::desc("FlashAttention-style tiled form of f32 attention "
                     "(hymir-tile-attention); false keeps the "
                     "token-sequential online-softmax loop for every "
                     "attention op"),
      llvm::cl::init(true)};
  Option<bool> polynomialMath{
      *this, "polynomial-math",
      llvm::cl::desc("f32 exp, expm1, log, log1p and tanh as polynomials "
                     "(hymir-polynomial-math): the same bits in vector and "
                     "scalar loop copies, at any thread count; false calls "
                     "libm and libmvec instead (bench/results/"
                     "models-2026-11-28-fe4fb20-polynomial-math.txt)"),
      llvm::cl::init(true)};
  Option<bool> gpuChunkForms{
      *this, "gpu-chunk-forms",
      llvm::cl::desc("Build the chunked scans as hymir-cuda-pipeline does "
                     "(rows, masks and the forward substitution as tensor "
                     "ops, libm exponentials): a way to check the GPU's "
                     "chunk algebra on the CPU"),
      llvm::cl::init(false)};
  Option<bool> parallelChunks{
      *this, "parallel-chunks",
      llvm::cl::desc("With gpu-chunk-forms: the CUDA pipeline's "
                     "parallel-chunks form (a state pass, then every "
                     "chunk's output in parallel)"),
      llvm::cl::init(false)};
  Option<BlockedInverse> blockedInverse{
      *this, "blocked-inverse",
      llvm::cl::desc("With gpu-chunk-forms: where the delta rule's "
                     "triangular inverse is built by doubling blocks "
                     "(hymir-chunk-scans blocked-inverse; default as the "
                     "CUDA pipeline's)"),
      llvm::cl::init(BlockedInverse::Sequential), blockedInverseValues()};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Worker threads of the generated code: 1 runs the "
                     "(batch, head) loops of scans, recurrences and attention "
                     "in order; N > 1 as OpenMP loops on N threads (the JIT "
                     "loads LLVM's libomp); 0 = the OpenMP default, one per "
                     "core (OMP_NUM_THREADS). Results are bit-identical at any "
                     "count: each (batch, head) is computed by one thread"),
      llvm::cl::init(1)};
  Option<int64_t> valueTile{
      *this, "value-tile",
      llvm::cl::desc("Value columns per (batch, head, tile) iteration of "
                     "column-separable scans in the sequential fallback "
                     "(decode, T = 1; hymir-convert-hymir-to-loops "
                     "value-tile): the state tile stays in cache for all of "
                     "a step's uses. 0: one iteration per (batch, head)"),
      llvm::cl::init(0)};
  Option<bool> fusion{
      *this, "fusion",
      llvm::cl::desc("Pull the per-token producers of scan and recurrence "
                     "inputs (gate activations, norms, element-wise maps) "
                     "into the step bodies (hymir-fuse-into-mixers); "
                     "consumers stay outside for now"),
      llvm::cl::init(true)};

  /// An explicit chunk length (the tools' --chunk-size) for every chunked
  /// form: the diagonal forms' own default then no longer applies.
  void setChunkSizeForAllForms(int64_t size) {
    chunkSize = size;
    diagonalChunkSize = 0;
  }
};

/// hymir dialect on tensors -> LLVM dialect, for the host CPU. Every public
/// function with a body gets a `_mlir_ciface_<name>` C wrapper; returned
/// memrefs are malloc'd and owned by the caller.
void buildHymirCPUPipeline(mlir::OpPassManager &pm,
                           const CPUPipelineOptions &options);

/// Stage 2 of both pipelines: public functions get the entry-point ABI
/// (hymir-prepare-entry-points: read-only arguments) and one-shot
/// bufferization runs across function boundaries with identity layouts.
void addEntryPointBufferization(mlir::OpPassManager &pm);

/// Registers `hymir-cpu-pipeline` with the pass registry.
void registerHymirCPUPipeline();

/// The dialect extensions (bufferization and deallocation interface models)
/// the CPU pipeline needs on its context; the pass manager loads the dialects
/// themselves.
void registerCPUPipelineDialects(mlir::DialectRegistry &registry);

/// Models (docs/models.md): the first pass of hymir-cpu-pipeline turns every
/// external `ml_program.global` (a weight) into a public, uninitialized,
/// mutable `memref.global` named `weightSymbolName(<global>)`, which the
/// caller fills before calling an entry point (CompiledModule::bindWeight;
/// dlsym in a shared library); a global with a value becomes a private
/// constant memref.global. Loads become `memref.get_global` +
/// `bufferization.to_tensor restrict` (read-only: nothing writes a weight).
std::string weightSymbolName(llvm::StringRef globalName);


/// Options of `hymir-cuda-pipeline`. Entry points must have static shapes
/// (the CUDA target specialises them per shape, see lib/Target/CUDA).
/// Where the CUDA pipeline puts the chunked forms' products on tensor cores.
enum class TensorCores { Auto, TF32, Off };

/// Where the CUDA pipeline builds the parallel-chunks form of chunked scans.
enum class ParallelChunks { Auto, On, Off };

struct CUDAPipelineOptions
    : public mlir::PassPipelineOptions<CUDAPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90a, ...)"),
                           llvm::cl::init("sm_90a")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features; sm_90a needs +ptx80 or newer"),
      llvm::cl::init("+ptx80")};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("LLVM and ptxas optimization level"),
                            llvm::cl::init(3)};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary format: bin (cubin, runs ptxas), isa "
                     "(PTX text) or fatbin"),
      llvm::cl::init("bin")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root (ptxas, nvvm/libdevice)"),
      llvm::cl::init("/usr/local/cuda")};
  Option<int64_t> threadsPerBlock{
      *this, "threads-per-block",
      llvm::cl::desc("Threads per block of element-wise kernels"),
      llvm::cl::init(256)};
  Option<int64_t> nestThreads{
      *this, "nest-threads",
      llvm::cl::desc("Threads per (batch, head) block of scan, recurrence "
                     "and attention kernels"),
      llvm::cl::init(256)};
  Option<int64_t> chunkSize{
      *this, "chunk-size",
      llvm::cl::desc("Chunk length of the chunked scans (hymir-chunk-scans "
                     "with tensor-level rows); 0 runs every scan through the "
                     "sequential fallback. 16: measured fastest for today's "
                     "block-per-(batch, head) kernels (docs/cuda-artifacts.md)"),
      llvm::cl::init(16)};
  Option<int64_t> valueTile{
      *this, "value-tile",
      llvm::cl::desc("Value columns per (batch, head, tile) block of the "
                     "chunked scans (hymir-chunk-scans value-tile); 0: one "
                     "block per (batch, head)"),
      llvm::cl::init(32)};
  Option<ParallelChunks> parallelChunks{
      *this, "parallel-chunks",
      llvm::cl::desc("Chunked scans as three kernels: the chunk terms and "
                     "the outputs a block per chunk, only the state pass "
                     "sequential (hymir-chunk-scans parallel-chunks)"),
      llvm::cl::init(ParallelChunks::Auto),
      llvm::cl::values(
          clEnumValN(ParallelChunks::Auto, "auto",
                     "where the chunk products run on tensor cores "
                     "(tensor-cores): bf16 simple GLA at T = 4096 1.6x, GDN "
                     "2.2x faster; on FFMA it is slower "
                     "(docs/cuda-artifacts.md)"),
          clEnumValN(ParallelChunks::On, "on", "in every function"),
          clEnumValN(ParallelChunks::Off, "off",
                     "a block per (batch, head, tile) loops over the "
                     "chunks"))};
  Option<int64_t> parallelChunkSize{
      *this, "parallel-chunk-size",
      llvm::cl::desc("Chunk length of the scans that take the "
                     "parallel-chunks form (0: chunk-size). 32: measured "
                     "fastest for bf16 at T = 1K and 4K "
                     "(docs/cuda-artifacts.md)"),
      llvm::cl::init(32)};
  Option<bool> narrowStates{
      *this, "narrow-states",
      llvm::cl::desc("Parallel-chunks form in functions with bf16/f16 "
                     "arguments: the per-chunk states the state pass records "
                     "for the outputs in bf16, not f32 (hymir-chunk-scans "
                     "narrow-states). Off: with TF32 products the outputs "
                     "widen each state into shared memory first, and bf16 "
                     "Mamba-2 at T = 4096 ran 1.16x slower on an H200 "
                     "(docs/cuda-artifacts.md)"),
      llvm::cl::init(false)};
  Option<bool> threadPrivate{
      *this, "thread-private",
      llvm::cl::desc("Shared temporaries of a kernel that each thread only "
                     "touches its own elements of become per-thread arrays "
                     "in registers (hymir-parallel-loops-to-gpu "
                     "thread-private): the decode step's state tile"),
      llvm::cl::init(true)};
  Option<bool> splitReductions{
      *this, "split-reductions",
      llvm::cl::desc("Long reductions with few outputs as partial sums the "
                     "block's threads share (hymir-gpu-split-reductions)"),
      llvm::cl::init(true)};
  Option<BlockedInverse> blockedInverse{
      *this, "blocked-inverse",
      llvm::cl::desc("Where the delta rule's triangular inverse (I + A)^-1 "
                     "is built by doubling diagonal blocks (3 log2(C) steps "
                     "the block's threads share) instead of C rows of "
                     "forward substitution (hymir-chunk-scans "
                     "blocked-inverse). sequential: f32 Gated DeltaNet at "
                     "T = 4096 13% faster on an H200; the parallel-chunks "
                     "terms kernel (chunk 32) is 9% faster with the "
                     "substitution (docs/cuda-artifacts.md)"),
      llvm::cl::init(BlockedInverse::Sequential), blockedInverseValues()};
  Option<int64_t> outputValueTile{
      *this, "output-value-tile",
      llvm::cl::desc("Value columns per output block of the parallel-chunks "
                     "form (0: all, measured fastest; -1: value-tile's)"),
      llvm::cl::init(0)};
  Option<int64_t> sequentialValueTile{
      *this, "sequential-value-tile",
      llvm::cl::desc("Value columns per (batch, head, tile) block of "
                     "column-separable scans that take the sequential "
                     "fallback (decode; hymir-convert-hymir-to-loops "
                     "value-tile); 0: one block per (batch, head). 16: "
                     "Gated DeltaNet decode at B = 64 runs 2.2x faster "
                     "than untiled on an H200 (docs/cuda-artifacts.md)"),
      llvm::cl::init(16)};
  Option<int64_t> sharedMemory{
      *this, "shared-memory",
      llvm::cl::desc("Shared memory a scan, recurrence or attention block "
                     "may take, in bytes (above 48 KiB as dynamic shared "
                     "memory); the rest of its temporaries go to a global "
                     "workspace. -1: half an SM's, so two blocks share one "
                     "(110 KiB on sm_90 and sm_100, 81 KiB on sm_80 and "
                     "sm_87, else 48 KiB); the chip's per-block limit is "
                     "the most (227 KiB on sm_90)"),
      llvm::cl::init(-1)};
  Option<TensorCores> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Chunk products on tensor cores (TF32 WMMA tiles, "
                     "hymir-gpu-chunk-matmuls-to-mma)"),
      llvm::cl::init(TensorCores::Auto),
      llvm::cl::values(
          clEnumValN(TensorCores::Auto, "auto",
                     "in functions with bf16/f16 arguments, whose precision "
                     "TF32 keeps"),
          clEnumValN(TensorCores::TF32, "tf32",
                     "everywhere (about 1e-3 relative error on f32 data)"),
          clEnumValN(TensorCores::Off, "off", "FFMA loops only"))};
  Option<bool> fusion{
      *this, "fusion",
      llvm::cl::desc("Pull the per-token producers of scan and recurrence "
                     "inputs into the step bodies (hymir-fuse-into-mixers)"),
      llvm::cl::init(true)};
};

/// The most shared memory one block may take on `chip` (sm_XY), in bytes.
int64_t maxSharedMemoryPerBlock(llvm::StringRef chip);

/// hymir dialect on tensors -> host function of allocations and
/// `gpu.launch_func`s + one `gpu.binary` per kernel.
void buildHymirCUDAPipeline(mlir::OpPassManager &pm,
                            const CUDAPipelineOptions &options);

/// Registers `hymir-cuda-pipeline` with the pass registry.
void registerHymirCUDAPipeline();

/// Dialects, interfaces and LLVM IR translations the CUDA pipeline needs.
void registerCUDAPipelineDialects(mlir::DialectRegistry &registry);

} // namespace hymir

#endif // HYMIR_PIPELINES_PIPELINES_H
