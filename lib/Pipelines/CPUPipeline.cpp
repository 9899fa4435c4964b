//===- CPUPipeline.cpp - hymir-cpu-pipeline -------------------------------===//
//
// hymir on tensors -> LLVM dialect for the host CPU. Today the mixers take the
// sequential fallback (its (batch, head) loops are scf.forall: run in order
// for threads = 1, else by OpenMP); the chunk and tile stages of DESIGN §1
// will slot in between stages 1 and 2.
//
// Three small passes of this file make the fallback's scan steps cheap:
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
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

/// Hoists the buffers of loop bodies out of sequential loops: an allocation
/// with static sizes in an `scf.for` body that is freed, unconditionally, at
/// the end of that same body (what bufferization makes of the temporaries of
/// a scan step) is allocated once before the loop and freed after it. Each
/// iteration then reuses one buffer: a fresh allocation has undefined
/// contents anyway, and the buffer is dead between iterations (no view of it
/// is yielded). Repeated up to the first enclosing op that is not an scf.for
/// (the scf.forall of the (b, h) loop, a function): buffers never leave the
/// parallel iteration that owns them.
struct HoistLoopBuffers
    : PassWrapper<HoistLoopBuffers, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(HoistLoopBuffers)
  StringRef getArgument() const override { return "hymir-hoist-loop-buffers"; }
  StringRef getDescription() const override {
    return "Allocate the static-size buffers that scf.for bodies allocate and "
           "free once per loop instead of once per iteration (up to the "
           "first enclosing op that is not an scf.for)";
  }

  /// The unconditional dealloc of `alloc` in its own block, or null.
  static memref::DeallocOp soleDealloc(memref::AllocOp alloc) {
    memref::DeallocOp dealloc;
    SmallVector<Value> views{alloc.getResult()};
    while (!views.empty()) {
      Value view = views.pop_back_val();
      for (Operation *user : view.getUsers()) {
        if (auto d = dyn_cast<memref::DeallocOp>(user)) {
          if (dealloc || view != alloc.getResult() ||
              d->getBlock() != alloc->getBlock())
            return {};
          dealloc = d;
          continue;
        }
        if (user->hasTrait<OpTrait::IsTerminator>() ||
            isa<func::CallOp>(user))
          return {};
        if (auto viewLike = dyn_cast<ViewLikeOpInterface>(user))
          if (viewLike.getViewSource() == view)
            views.push_back(viewLike->getResult(0));
      }
    }
    return dealloc;
  }

  void runOnOperation() override {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<memref::AllocOp> candidates;
      getOperation().walk([&](memref::AllocOp alloc) {
        if (alloc.getDynamicSizes().empty() && alloc.getSymbolOperands().empty() &&
            isa<scf::ForOp>(alloc->getParentOp()) && soleDealloc(alloc))
          candidates.push_back(alloc);
      });
      for (memref::AllocOp alloc : candidates) {
        memref::DeallocOp dealloc = soleDealloc(alloc);
        Operation *loop = alloc->getParentOp();
        alloc->moveBefore(loop);
        dealloc->moveAfter(loop);
        changed = true;
      }
    }
  }
};

/// Fuses element-wise linalg.generic producers into their consumers when the
/// consumer is the producer's only user (upstream's elementwise fusion
/// patterns with that control): in a scan step, `exp(g) S + k ⊗ v` becomes
/// one loop nest over the state instead of three, with no temporaries. The
/// arithmetic of every element is unchanged (same ops, same order), so the
/// results are bit-identical to the unfused code.
struct FuseElementwise
    : PassWrapper<FuseElementwise, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FuseElementwise)
  StringRef getArgument() const override { return "hymir-fuse-elementwise"; }
  StringRef getDescription() const override {
    return "Fuse single-use element-wise linalg.generic producers into their "
           "consumers";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect, affine::AffineDialect>();
  }
  /// Only into the single user: fusing into several users would recompute
  /// the producer in each, and a user that recomputes the state update from
  /// the old state after it was updated in place forces bufferization to
  /// keep a copy of the old state.
  static bool shouldFuse(OpOperand *fused) {
    Operation *producer = fused->get().getDefiningOp();
    return producer && producer->hasOneUse();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

/// Lets the last op of a scan step write the new state straight into the
/// carried one: `linalg.copy ins(%x) outs(%state)` (how the fallback
/// lowering hands a new state back to the time loop) where %x is an
/// element-wise linalg.generic that never reads its own init becomes that
/// generic with %state as its init. Both forms have the same values; the
/// second lets bufferization update the state in place (or, where the old
/// state is still read afterwards, copy as before) instead of computing into a
/// temporary and copying it over.
struct FoldStateCopies
    : PassWrapper<FoldStateCopies, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FoldStateCopies)
  StringRef getArgument() const override { return "hymir-fold-state-copies"; }
  StringRef getDescription() const override {
    return "Make element-wise producers of a loop-carried state write into "
           "the carried tensor instead of being copied into it";
  }
  void runOnOperation() override {
    getOperation().walk([](linalg::CopyOp copy) {
      if (!copy.hasPureTensorSemantics())
        return;
      auto state = dyn_cast<BlockArgument>(copy.getOutputs()[0]);
      if (!state || !isa<scf::ForOp>(state.getOwner()->getParentOp()))
        return;
      auto generic =
          copy.getInputs()[0].getDefiningOp<linalg::GenericOp>();
      if (!generic || generic->getNumResults() != 1 ||
          generic->getBlock() != copy->getBlock() ||
          generic.getNumReductionLoops() != 0 ||
          !generic.getIndexingMapsArray().back().isIdentity() ||
          generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
        return;
      generic.getDpsInitOperand(0)->set(state);
      copy.getResult(0).replaceAllUsesWith(generic.getResult(0));
      copy.erase();
    });
  }
};

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
  // chunk-size and fusion select among lowerings that do not exist yet;
  // every op takes the sequential fallback. `threads` sets how the parallel
  // (b, h) loops of the fallback run.

  // 1. Hymir level: classify scans, then the sequential fallback lowering
  //    (scan, recurrence and attention as an scf.forall over batch × heads
  //    around sequential loops); element-wise arith/math on tensors (in step
  //    bodies and around the mixers) become linalg.generic so that everything
  //    bufferizes. Model weights (ml_program globals) become memref globals
  //    first.
  pm.addPass(std::make_unique<WeightsToMemRefGlobals>());
  pm.addPass(createNormalizePass());
  pm.addPass(createConvertHymirToLoopsPass());
  pm.addPass(createConvertElementwiseToLinalgPass());
  addCleanup(pm);
  pm.addNestedPass<func::FuncOp>(std::make_unique<FuseElementwise>());
  pm.addNestedPass<func::FuncOp>(std::make_unique<FoldStateCopies>());
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
  // Per-step temporaries: one buffer per (b, h), not one malloc per step.
  pm.addNestedPass<func::FuncOp>(std::make_unique<HoistLoopBuffers>());

  // 3. Loops. The (b, h) foralls run in order with one thread, else as
  //    OpenMP work-sharing loops (static schedule: each (b, h) is computed
  //    by exactly one thread, so results do not depend on the thread count).
  bool parallel = options.threads != 1;
  if (parallel)
    pm.addPass(createForallToParallelLoopPass());
  else
    pm.addPass(createForallToForLoopPass());
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
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
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

void hymir::addStepFusionPasses(OpPassManager &pm, bool foldStateCopies) {
  pm.addNestedPass<func::FuncOp>(std::make_unique<FuseElementwise>());
  if (foldStateCopies)
    pm.addNestedPass<func::FuncOp>(std::make_unique<FoldStateCopies>());
}

void hymir::registerHymirCPUPipeline() {
  PassRegistration<WeightsToMemRefGlobals>();
  PassRegistration<HoistLoopBuffers>();
  PassRegistration<FuseElementwise>();
  PassRegistration<FoldStateCopies>();
  PassPipelineRegistration<CPUPipelineOptions>(
      "hymir-cpu-pipeline",
      "Lower hymir on tensors to the LLVM dialect for the host CPU "
      "(sequential fallback for every mixer)",
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
}
