//===- CPUPipeline.cpp - hymir-cpu-pipeline -------------------------------===//
//
// hymir on tensors -> LLVM dialect for the host CPU. Today the mixers take the
// sequential fallback; the chunk, tile, vectorize and parallelize stages of
// DESIGN §1 will slot in between stages 1 and 2.
//
// The order of the LLVM lowering is the one shared/TOOLCHAIN.md §2 measured,
// with one change: math ops are sent to libm *before* convert-math-to-llvm
// (by hymir-convert-math-to-libm, which unlike the upstream pass leaves the
// ops libm lacks, e.g. math.cttz, in place), because convert-math-to-llvm
// turns math.expm1 into exp(x) − 1 and math.log1p into log(1 + x), which lose
// the precision those ops exist for (RG-LRU's sqrt(−expm1(2 log a)),
// softplus). LLVM -O3 turns libm calls that have an intrinsic (sqrtf, fabsf,
// floorf, expf, ...) back into intrinsics.
//
//===----------------------------------------------------------------------===//

#include "hymir/Pipelines/Pipelines.h"

#include "hymir/Conversion/Passes.h"
#include "hymir/Dialect/Hymir/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// Canonicalize + CSE between stages.
static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hymir::buildHymirCPUPipeline(OpPassManager &pm,
                                  const CPUPipelineOptions &options) {
  // chunk-size, threads and fusion select among lowerings that do not exist
  // yet; every op takes the sequential fallback.
  (void)options;

  // 1. Hymir level: classify scans, then the sequential fallback lowering;
  //    element-wise arith/math on tensors (in step bodies and around the
  //    mixers) become linalg.generic so that everything bufferizes.
  pm.addPass(createNormalizePass());
  pm.addPass(createConvertHymirToLoopsPass());
  pm.addPass(createConvertElementwiseToLinalgPass());
  addCleanup(pm);

  // 2. Bufferize. Public functions become C entry points (set here, while the
  //    only functions are the user's): C wrappers, read-only arguments.
  //    Function boundaries use identity layouts, so results are plain malloc'd
  //    buffers the caller frees.
  pm.addPass(createPrepareEntryPointsPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops in user code may yield fresh tensors; the hymir lowering itself
  // always yields in place.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // 3. Loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  addCleanup(pm);

  // 4. LLVM dialect (TOOLCHAIN.md §2 order: expand-strided-metadata before
  //    lower-affine, scf before cf).
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(hymir::createConvertMathToLibmPass());
  ConvertMathToLLVMPassOptions mathToLLVM;
  mathToLLVM.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  addCleanup(pm);
}

void hymir::registerHymirCPUPipeline() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "hymir-cpu-pipeline",
      "Lower hymir on tensors to the LLVM dialect for the host CPU "
      "(sequential fallback for every mixer)",
      buildHymirCPUPipeline);
}

void hymir::registerCPUPipelineDialects(DialectRegistry &registry) {
  registry.insert<bufferization::BufferizationDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
}
