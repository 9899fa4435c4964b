//===- CPUPipeline.cpp - hymir-cpu-pipeline -------------------------------===//
//
// hymir on tensors -> LLVM dialect for the host CPU. Today the mixers take the
// sequential fallback (its (batch, head) loops are scf.forall: run in order
// for threads = 1, else by OpenMP); the chunk and tile stages of DESIGN §1
// will slot in between stages 1 and 2.
//
// Three small passes of lib/Transforms make the fallback's scan steps cheap:
// hymir-fuse-elementwise (one loop nest per step for the element-wise state
// update), hymir-fold-state-copies (that loop nest writes the carried state
// in place) and hymir-hoist-loop-buffers (the step's temporaries are
// allocated once per (batch, head), not once per step). The arithmetic the
// fallback generates carries `contract` (and, on contiguous inner reductions,
// `reassoc`) fast-math flags so that LLVM forms FMAs and vectorizes
// (LoweringUtils.h); the user's own ops keep their flags.
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
#include "hymir/Transforms/Passes.h"

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
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

/// Weights (docs/models.md "Compiled models"): external ml_program globals
/// become public, uninitialized memref.globals the caller fills; globals with
/// a value become private constant memref.globals; loads read them through
/// `bufferization.to_tensor restrict` (not writable: bufferization copies
/// before anything would write into a weight).
struct WeightsToMemRefGlobals
    : PassWrapper<WeightsToMemRefGlobals, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(WeightsToMemRefGlobals)
  StringRef getArgument() const override {
    return "hymir-weights-to-memref-globals";
  }
  StringRef getDescription() const override {
    return "Turn ml_program globals into memref.globals: external ones "
           "(weights) public and uninitialized, filled by the caller";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<memref::MemRefDialect, bufferization::BufferizationDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<std::pair<memref::GlobalOp, MemRefType>> converted;
    OpBuilder b(module.getContext());
    for (auto global :
         llvm::make_early_inc_range(module.getOps<ml_program::GlobalOp>())) {
      auto type = dyn_cast<RankedTensorType>(global.getType());
      if (!type || !type.hasStaticShape()) {
        global.emitError("hymir-cpu-pipeline: a global must be a tensor of "
                         "static shape, not ")
            << global.getType();
        return signalPassFailure();
      }
      if (global.getIsMutable()) {
        global.emitError("hymir-cpu-pipeline: mutable ml_program globals "
                         "are not supported (weights are immutable)");
        return signalPassFailure();
      }
      auto memrefType =
          MemRefType::get(type.getShape(), type.getElementType());
      b.setInsertionPoint(global);
      Attribute value = global.getValueAttr();
      memref::GlobalOp replacement;
      if (!value || isa<ml_program::ExternAttr>(value)) {
        // Public and mutable: its storage is the caller's to fill (a constant
        // with an undefined value would let LLVM fold its loads away).
        replacement = memref::GlobalOp::create(
            b, global.getLoc(), hymir::weightSymbolName(global.getSymName()),
            b.getStringAttr("public"), memrefType, b.getUnitAttr(),
            /*constant=*/false, b.getI64IntegerAttr(64));
      } else if (auto dense = dyn_cast<ElementsAttr>(value)) {
        replacement = memref::GlobalOp::create(
            b, global.getLoc(), ("hymir.constant." + global.getSymName()).str(),
            b.getStringAttr("private"), memrefType, dense, /*constant=*/true,
            b.getI64IntegerAttr(64));
      } else {
        global.emitError("hymir-cpu-pipeline: unsupported global value ")
            << value;
        return signalPassFailure();
      }
      converted[global.getSymName()] = {replacement, memrefType};
      global.erase();
    }
    if (converted.empty())
      return;
    WalkResult result = module.walk([&](Operation *op) -> WalkResult {
      StringAttr symbol;
      if (auto load = dyn_cast<ml_program::GlobalLoadConstOp>(op))
        symbol = load.getGlobalAttr().getLeafReference();
      else if (auto load = dyn_cast<ml_program::GlobalLoadOp>(op))
        symbol = load.getGlobalAttr().getLeafReference();
      else if (isa<ml_program::MLProgramDialect>(op->getDialect()) &&
               !isa<ml_program::GlobalOp>(op))
        return op->emitError("hymir-cpu-pipeline: unsupported op ")
               << op->getName();
      else
        return WalkResult::advance();
      auto it = converted.find(symbol.getValue());
      if (it == converted.end())
        return op->emitError("hymir-cpu-pipeline: unknown global ") << symbol;
      OpBuilder rb(op);
      auto [global, memrefType] = it->second;
      Value memref = memref::GetGlobalOp::create(rb, op->getLoc(), memrefType,
                                                 global.getSymName());
      Value tensor = bufferization::ToTensorOp::create(
          rb, op->getLoc(), op->getResult(0).getType(), memref,
          /*restrict=*/true, /*writable=*/false);
      op->getResult(0).replaceAllUsesWith(tensor);
      op->erase();
      return WalkResult::skip();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

/// Parallel (b, h) loops with fewer than two iterations run in order: an
/// OpenMP region costs a fork/join, and the outlined body is optimized worse
/// (its buffers arrive as pointers through the region's context), which made
/// the tiny models' prefill at 2 threads about half as fast as at 1 (their
/// Mamba scans parallelize over the batch only, B = 1). A forall with a
/// static trip count of 0 or 1 becomes an scf.for; one with dynamic bounds is
/// versioned, `scf.if (trips >= 2) {forall} else {for}`. Runs on bufferized
/// code (foralls without results), before forall-to-parallel.
struct SequentialSmallForalls
    : PassWrapper<SequentialSmallForalls, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SequentialSmallForalls)
  StringRef getArgument() const override {
    return "hymir-sequential-small-foralls";
  }
  StringRef getDescription() const override {
    return "Run scf.foralls of fewer than two iterations as scf.for (a "
           "runtime check where the trip count is dynamic)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, scf::SCFDialect>();
  }

  void runOnOperation() override {
    SmallVector<scf::ForallOp> foralls;
    // Outermost only: nested foralls run inside their parent's iteration.
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ForallOp forall) {
      if (forall.getNumResults() == 0)
        foralls.push_back(forall);
      return WalkResult::skip();
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp forall : foralls) {
      ArrayRef<int64_t> lbs = forall.getStaticLowerBound();
      ArrayRef<int64_t> ubs = forall.getStaticUpperBound();
      ArrayRef<int64_t> steps = forall.getStaticStep();
      auto isStatic = [](ArrayRef<int64_t> values) {
        return llvm::none_of(values, ShapedType::isDynamic);
      };
      if (isStatic(lbs) && isStatic(ubs) && isStatic(steps)) {
        int64_t trips = 1;
        for (auto [lb, ub, step] : llvm::zip(lbs, ubs, steps))
          trips *= ub > lb ? llvm::divideCeil(ub - lb, step) : 0;
        if (trips < 2 && failed(scf::forallToForLoop(rewriter, forall)))
          return signalPassFailure();
        continue;
      }
      Location loc = forall.getLoc();
      rewriter.setInsertionPoint(forall);
      Value trips = arith::ConstantIndexOp::create(rewriter, loc, 1);
      for (auto [lb, ub, step] :
           llvm::zip(forall.getLowerBound(rewriter),
                     forall.getUpperBound(rewriter), forall.getStep(rewriter))) {
        Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
        Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
        span = arith::MaxSIOp::create(rewriter, loc, span, zero);
        Value n = arith::CeilDivSIOp::create(rewriter, loc, span, step);
        trips = arith::MulIOp::create(rewriter, loc, trips, n);
      }
      Value two = arith::ConstantIndexOp::create(rewriter, loc, 2);
      Value many = arith::CmpIOp::create(rewriter, loc,
                                         arith::CmpIPredicate::sge, trips, two);
      auto branch = scf::IfOp::create(rewriter, loc, many,
                                      /*withElseRegion=*/true);
      rewriter.moveOpBefore(forall, branch.thenBlock()->getTerminator());
      rewriter.setInsertionPoint(branch.elseBlock()->getTerminator());
      auto sequential = cast<scf::ForallOp>(rewriter.clone(*forall));
      if (failed(scf::forallToForLoop(rewriter, sequential)))
        return signalPassFailure();
    }
  }
};

} // namespace

std::string hymir::weightSymbolName(StringRef globalName) {
  return ("hymir.weight." + globalName).str();
}

/// Canonicalize + CSE between stages.
static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void hymir::buildHymirCPUPipeline(OpPassManager &pm,
                                  const CPUPipelineOptions &options) {
  // chunk-size selects the chunked form of identity/scalar scans (0: the
  // sequential fallback for every scan); `fusion` pulls the per-token
  // producers of scan and recurrence inputs into their step bodies.
  // `threads` sets how the parallel (b, h) loops run.

  // 1. Hymir level: classify scans, then the sequential fallback lowering
  //    (scan, recurrence and attention as an scf.forall over batch × heads
  //    around sequential loops); element-wise arith/math on tensors (in step
  //    bodies and around the mixers) become linalg.generic so that everything
  //    bufferizes. Model weights (ml_program globals) become memref globals
  //    first.
  pm.addPass(std::make_unique<WeightsToMemRefGlobals>());
  pm.addPass(createNormalizePass());
  // DESIGN §1 stage [3]: gate activations, norms and other per-token
  // producers computed in the step, not as whole tensors.
  if (options.fusion)
    pm.addPass(hymir::createFuseIntoMixersPass());
  // Associative prefix states (stabilisers, angle sums) in f64: in f32 their
  // small increments vanish at length (docs/numerics-at-length.md).
  pm.addPass(hymir::createWidenPrefixStatesPass());
  // 1b. Chunked forms (DESIGN §1 stage [4]): identity- and scalar-class scans
  //     become per-chunk masked matmuls; every other scan, and every scan
  //     with chunk-size = 0, keeps the sequential fallback below.
  if (options.chunkSize > 0) {
    ChunkScansPassOptions chunk;
    chunk.chunkSize = options.chunkSize;
    chunk.diagonalChunkSize = options.diagonalChunkSize;
    chunk.vectorRows = !options.gpuChunkForms;
    chunk.polynomialExp = !options.gpuChunkForms;
    // Narrow value tiles, so that the gallery's small V (20, 40) is split
    // too when this checks the GPU's algebra.
    if (options.gpuChunkForms)
      chunk.valueTile = 8;
    chunk.parallelChunks = options.gpuChunkForms && options.parallelChunks;
    chunk.shareGroupScores = !options.gpuChunkForms;
    chunk.blockedInverse = options.gpuChunkForms
                               ? options.blockedInverse.getValue()
                               : BlockedInverse::Off;
    pm.addPass(createChunkScansPass(chunk));
  }
  // 1c. Attention as FlashAttention-style tiles (docs/attention-cpu.md);
  //     what the tiled form cannot do keeps the sequential lowering.
  if (options.tileAttention)
    pm.addPass(createTileAttentionPass());
  // The matrix products of both as register-tiled vector FMAs.
  if (options.chunkSize > 0 || options.tileAttention)
    pm.addNestedPass<func::FuncOp>(createVectorizeChunkMatmulsPass());
  // Column-separable scans left sequential (decode) in value tiles.
  ConvertHymirToLoopsPassOptions toLoops;
  toLoops.valueTile = options.valueTile;
  pm.addPass(createConvertHymirToLoopsPass(toLoops));
  pm.addPass(createConvertElementwiseToLinalgPass());
  addCleanup(pm);
  FuseElementwisePassOptions fuse;
  fuse.sharedCheap = true;
  pm.addNestedPass<func::FuncOp>(hymir::createFuseElementwisePass(fuse));
  pm.addNestedPass<func::FuncOp>(hymir::createFoldStateCopiesPass());
  pm.addNestedPass<func::FuncOp>(hymir::createForwardReadOnlyCopiesPass());
  // The decode step's new state computed into the result, not a temporary.
  CopyIntoProducersPassOptions intoResult;
  intoResult.inPlace = true;
  pm.addNestedPass<func::FuncOp>(hymir::createCopyIntoProducersPass(intoResult));
  // ... and read (S_newᵀq) in the same pass over the state.
  pm.addNestedPass<func::FuncOp>(hymir::createFuseStateReadsPass());
  pm.addNestedPass<func::FuncOp>(hymir::createVectorizeValueTilesPass());
  addCleanup(pm);

  // 2. Bufferize. Public functions become C entry points (set here, while the
  //    only functions are the user's): C wrappers, read-only arguments.
  //    Function boundaries use identity layouts, so results are plain malloc'd
  //    buffers the caller frees.
  addEntryPointBufferization(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Per-step temporaries: one buffer per (b, h), not one malloc per step.
  pm.addNestedPass<func::FuncOp>(hymir::createHoistLoopBuffersPass());
  // The models' linear projections as register-tiled vector FMAs over a
  // transposed copy of the weight (LLVM would gather down W's columns).
  pm.addNestedPass<func::FuncOp>(hymir::createVectorizeProjectionsPass());
  // The chunked scans' prepare loops: the next chunk's rows, a chunk ahead.
  pm.addNestedPass<func::FuncOp>(hymir::createPrefetchChunkRowsPass());

  // 3. Loops. The (b, h) foralls run in order with one thread, else as
  //    OpenMP work-sharing loops (static schedule: each (b, h) is computed
  //    by exactly one thread, so results do not depend on the thread count);
  //    foralls of fewer than two iterations stay sequential.
  bool parallel = options.threads != 1;
  if (parallel) {
    pm.addNestedPass<func::FuncOp>(std::make_unique<SequentialSmallForalls>());
    pm.addPass(createForallToParallelLoopPass());
  }
  else {
    pm.addPass(createForallToForLoopPass());
    // One thread: the (b, h) loops are plain loops now, so their
    // temporaries (a decode step's Sᵀk row) become one buffer for all of
    // them instead of a malloc and free per head.
    pm.addNestedPass<func::FuncOp>(hymir::createHoistLoopBuffersPass());
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  addCleanup(pm);
  if (parallel) {
    ConvertSCFToOpenMPPassOptions openmp;
    openmp.numThreads = options.threads; // 0: the OpenMP default (all cores)
    pm.addPass(createConvertSCFToOpenMPPass(openmp));
  }

  // 4. LLVM dialect (TOOLCHAIN.md §2 order: expand-strided-metadata before
  //    lower-affine; memref before scf → cf, which cannot lower the
  //    memref.alloca_scope that convert-scf-to-openmp creates).
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  // aligned_alloc, not malloc + pointer arithmetic: LLVM then sees every
  // buffer as its own allocation. Otherwise the loop vectorizer guards loops
  // with run-time checks of the distance between buffers, which the heap
  // layout decides, and a loop's vector and scalar copies round differently
  // (`reassoc` sums): two runs of one model could differ in the last bits.
  // The checks that remain compare address ranges, which distinct buffers
  // never share.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createSCFToControlFlowPass());
  // exp, expm1, log, log1p, tanh as polynomials: libmvec's vector variants
  // round differently from libm, so a loop's result would depend on whether
  // its vector or its scalar copy ran (thread count, loop tails).
  if (options.polynomialMath)
    pm.addPass(hymir::createPolynomialMathPass());
  pm.addPass(hymir::createConvertMathToLibmPass());
  ConvertMathToLLVMPassOptions mathToLLVM;
  mathToLLVM.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  addCleanup(pm);
}

void hymir::addEntryPointBufferization(OpPassManager &pm) {
  pm.addPass(createPrepareEntryPointsPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops in user code may yield fresh tensors; the hymir lowering itself
  // always yields in place.
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void hymir::registerHymirCPUPipeline() {
  PassRegistration<WeightsToMemRefGlobals>();
  PassRegistration<SequentialSmallForalls>();
  PassPipelineRegistration<CPUPipelineOptions>(
      "hymir-cpu-pipeline",
      "Lower hymir on tensors to the LLVM dialect for the host CPU "
      "(chunked identity/scalar scans, sequential fallback for the rest)",
      buildHymirCPUPipeline);
}

void hymir::registerCPUPipelineDialects(DialectRegistry &registry) {
  registry.insert<bufferization::BufferizationDialect, memref::MemRefDialect>();
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
  vector::registerBufferizableOpInterfaceExternalModels(registry);
}
