//===- CUDAPipeline.cpp - hymir-cuda-pipeline -----------------------------===//
//
// hymir on tensors (static shapes) -> a host function that only allocates
// buffers and launches kernels, plus one `gpu.binary` (cubin or PTX) per
// kernel. lib/Target/CUDA reads that host function into the launch plan of
// the artifact, so no host code is ever compiled for the GPU path: the
// runtime executes the plan (DESIGN §4).
//
// Identity-, scalar- and delta-rule scans take the chunked form of
// hymir-chunk-scans, built with tensor-level rows (no vector<C> code, which
// one GPU thread would run alone); every other mixer the sequential fallback.
// Either way a block per (batch, head) runs the step or chunk loop with its
// parallel loops spread over the block's threads (hymir-parallel-loops-to-gpu),
// and element-wise work outside the mixers becomes kernels of
// `threads-per-block` threads. The chunked forms' products run on tensor
// cores (TF32 WMMA tiles, one per warp) where `tensor-cores` allows.
//
//===----------------------------------------------------------------------===//

#include "hymir/Pipelines/Pipelines.h"

#include "hymir/Conversion/Passes.h"
#include "hymir/Dialect/Hymir/Transforms/Passes.h"
#include "hymir/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// Shared memory per block of nest kernels on `chip`: a little under half
/// an SM's, so that two blocks share an SM with the 1 KiB each reserves
/// (228 KiB per SM on sm_90, 164 on sm_80; CUDA C Programming Guide,
/// "Technical Specifications per Compute Capability").
/// Measured on an H200: bf16 Gated DeltaNet at T = 4K 4.32 ms at 110 KiB,
/// 4.64 at the static 48 KiB (bench/results/gpu-2026-11-28-5bf8cef.txt) and
/// 4.73 at the per-block limit of 227 KiB, where its chunk-terms kernel
/// takes 206 KiB, one block per SM
/// (bench/results/gpu-2026-11-28-5bf8cef-explore.txt).
static int64_t defaultSharedMemory(llvm::StringRef chip) {
  if (chip.starts_with("sm_90") || chip.starts_with("sm_100"))
    return 110 * 1024;
  if (chip == "sm_80" || chip == "sm_87")
    return 81 * 1024;
  return 48 * 1024;
}

int64_t hymir::maxSharedMemoryPerBlock(llvm::StringRef chip) {
  if (chip.starts_with("sm_90") || chip.starts_with("sm_100"))
    return 227 * 1024;
  if (chip == "sm_80" || chip == "sm_87")
    return 163 * 1024;
  if (chip.starts_with("sm_8"))
    return 99 * 1024;
  return 48 * 1024;
}

static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hymir::buildHymirCUDAPipeline(OpPassManager &pm,
                                   const CUDAPipelineOptions &options) {
  // 1. Hymir level, as on the CPU: classify, chunked forms, sequential
  //    fallback, element-wise tensor ops as linalg.generic.
  pm.addPass(createNormalizePass());
  if (options.fusion)
    pm.addPass(hymir::createFuseIntoMixersPass());
  pm.addPass(hymir::createWidenPrefixStatesPass());
  // Chunked forms with tensor-level rows, masks and forward substitution
  // (parallel loops the block's threads share) and libdevice's exp.
  if (options.chunkSize > 0) {
    ChunkScansPassOptions chunk;
    chunk.chunkSize = options.chunkSize;
    chunk.polynomialExp = false;
    chunk.vectorRows = false;
    chunk.valueTile = options.valueTile;
    // The parallel form pays where the products run on tensor cores.
    chunk.parallelChunks =
        options.parallelChunks == ParallelChunks::On ||
        (options.parallelChunks == ParallelChunks::Auto &&
         options.tensorCores != TensorCores::Off);
    chunk.onlyNarrowInputs = options.parallelChunks == ParallelChunks::Auto &&
                             options.tensorCores == TensorCores::Auto;
    chunk.parallelChunkSize = options.parallelChunkSize;
    chunk.narrowStates = options.narrowStates;
    chunk.blockedInverse = options.blockedInverse;
    chunk.outputValueTile = options.outputValueTile;
    pm.addPass(createChunkScansPass(chunk));
  }
  ConvertHymirToLoopsPassOptions toLoops;
  toLoops.valueTile = options.sequentialValueTile;
  toLoops.parallelValueTiles = true;
  pm.addPass(createConvertHymirToLoopsPass(toLoops));
  pm.addPass(createConvertElementwiseToLinalgPass());
  addCleanup(pm);
  // One loop nest per element-wise step update. hymir-fold-state-copies is
  // left out for now: it can make bufferization yield fresh buffers from
  // time loops, which kernels cannot allocate. A decode step reads its
  // initial state where it is instead of copying it into the result first,
  // and writes the new state to the result in the loop that computes it.
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  pm.addNestedPass<func::FuncOp>(hymir::createForwardReadOnlyCopiesPass());
  pm.addNestedPass<func::FuncOp>(hymir::createCopyIntoProducersPass());
  pm.addNestedPass<func::FuncOp>(hymir::createBubbleUpSlicesPass());
  // Long reductions with few outputs as partial sums over more threads.
  if (options.splitReductions) {
    GPUSplitReductionsPassOptions split;
    split.threads = options.nestThreads;
    pm.addNestedPass<func::FuncOp>(createGPUSplitReductionsPass(split));
  }
  addCleanup(pm);

  // 2. Bufferize. Entry-point arguments are read-only; results are fresh
  //    device buffers. No deallocation pipeline: the runtime owns the host
  //    level buffers (freed after the call) and hymir-gpu-private-buffers
  //    turns kernel temporaries into stack buffers.
  // Step results computed straight into the chunk rows they are inserted
  // into, instead of a temporary and a copy.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  addEntryPointBufferization(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  addCleanup(pm);

  // 3. Parallel loops -> kernels. No canonicalization between the loop
  //    conversion and the mapping: it would fold unit-trip parallel loops
  //    into the host function.
  pm.addPass(createMemRefCopyToLinalgPass());
  pm.addPass(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createParallelDimsOutermostPass());
  // Chunk products on tensor cores: warp tiles the SPMD mapping gives to
  // whole warps.
  if (options.tensorCores != TensorCores::Off) {
    GPUChunkMatmulsToMMAPassOptions mma;
    mma.onlyNarrowInputs = options.tensorCores == TensorCores::Auto;
    pm.addNestedPass<func::FuncOp>(createGPUChunkMatmulsToMMAPass(mma));
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  // Reduction accumulators in registers, decided while every temporary is
  // still its own allocation.
  pm.addNestedPass<func::FuncOp>(hymir::createPromoteLoopAccumulatorsPass());
  ParallelLoopsToGPUPassOptions toGPU;
  toGPU.threadsPerBlock = options.threadsPerBlock;
  toGPU.nestThreads = options.nestThreads;
  toGPU.threadPrivate = options.threadPrivate;
  toGPU.sharedMemory = options.sharedMemory >= 0
                           ? options.sharedMemory
                           : defaultSharedMemory(options.chip);
  pm.addNestedPass<func::FuncOp>(createParallelLoopsToGPUPass(toGPU));
  pm.addNestedPass<func::FuncOp>(createGPUPrivateBuffersPass());
  pm.addPass(createLowerAffinePass());
  addCleanup(pm);

  // 4. Kernels -> NVVM -> cubin / PTX (TOOLCHAIN.md §3: +ptx80 or newer for
  //    sm_90a; libdevice and ptxas from the toolkit).
  // Constants (and dims) into the kernels first: outlined as parameters they
  // made every loop bound, stride and index a run-time value (no unrolling,
  // 64-bit divisions by a parameter).
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  target.linkLibs.push_back(options.toolkit + "/nvvm/libdevice/libdevice.10.bc");
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  // Block-wide sums of SPMD kernels (branches by now, which the lowering's
  // block splitting needs).
  kernels.addPass(hymir::createGPULowerAllReducePass());
  // wmma.load needs 32-byte aligned shared memory.
  kernels.addPass(hymir::createGPUAlignWorkgroupBuffersPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  // The dynamic shared memory's global, which the conversion made.
  kernels.addPass(hymir::createGPUAlignWorkgroupBuffersPass());
  // What libdevice has no function for (math.cttz, ctpop, ...) becomes LLVM
  // intrinsics, which NVPTX lowers.
  kernels.addPass(createConvertMathToLLVMPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkit;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void hymir::registerHymirCUDAPipeline() {
  PassPipelineRegistration<CUDAPipelineOptions>(
      "hymir-cuda-pipeline",
      "Lower hymir on tensors with static shapes to kernels for NVIDIA GPUs "
      "(gpu.binary) and a host function that only allocates and launches",
      buildHymirCUDAPipeline);
}

void hymir::registerCUDAPipelineDialects(DialectRegistry &registry) {
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect>();
  // Lowering interfaces (convert-gpu-to-nvvm lowers every dialect a kernel
  // holds through them), the NVVM target and the LLVM IR translations that
  // gpu-module-to-binary serializes with (TOOLCHAIN.md §1.8).
  registerAllExtensions(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
}
