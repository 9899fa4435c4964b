//===- LoopsToGPU.cpp - Parallel loops and buffers for GPU kernels --------===//
//
// The three steps between bufferized loops and upstream's
// convert-parallel-loops-to-gpu / gpu-kernel-outlining (Passes.td has the
// contracts): copies become loops, every outermost scf.parallel gets its
// processors, and the temporaries inside kernels become stack buffers.
//
//===----------------------------------------------------------------------===//

#include "hymir/Conversion/Passes.h"
#include "ThreadOwnedBuffers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <functional>
#include <numeric>

namespace hymir {
#define GEN_PASS_DEF_MEMREFCOPYTOLINALGPASS
#define GEN_PASS_DEF_PARALLELLOOPSTOGPUPASS
#define GEN_PASS_DEF_GPUPRIVATEBUFFERSPASS
#define GEN_PASS_DEF_GPULOWERALLREDUCEPASS
#define GEN_PASS_DEF_PARALLELDIMSOUTERMOSTPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// hymir-memref-copy-to-linalg
//===----------------------------------------------------------------------===//

struct MemRefCopyToLinalgPass
    : public hymir::impl::MemRefCopyToLinalgPassBase<MemRefCopyToLinalgPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](memref::CopyOp copy) {
      // A buffer copied onto itself (bufferization's in-place result of an
      // insert into the tensor it was sliced from) would cost a kernel pass.
      if (copy.getSource() == copy.getTarget()) {
        rewriter.eraseOp(copy);
        return;
      }
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};

//===----------------------------------------------------------------------===//
// hymir-parallel-dims-outermost
//===----------------------------------------------------------------------===//

struct ParallelDimsOutermostPass
    : public hymir::impl::ParallelDimsOutermostPassBase<
          ParallelDimsOutermostPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      SmallVector<unsigned> order;
      auto iterators = op.getIteratorTypesArray();
      for (auto [i, kind] : llvm::enumerate(iterators))
        if (kind == utils::IteratorType::parallel)
          order.push_back(i);
      for (auto [i, kind] : llvm::enumerate(iterators))
        if (kind != utils::IteratorType::parallel)
          order.push_back(i);
      bool identity = llvm::all_of(llvm::enumerate(order), [](auto p) {
        return p.index() == p.value();
      });
      if (identity)
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitOpError("could not reorder its loops");
        return signalPassFailure();
      }
    }
  }
};

//===----------------------------------------------------------------------===//
// hymir-parallel-loops-to-gpu
//===----------------------------------------------------------------------===//

/// CUDA grid limits (x, y, z).
constexpr int64_t kMaxGrid[3] = {(int64_t{1} << 31) - 1, 65535, 65535};

struct StaticLoop {
  SmallVector<int64_t> lbs, steps, trips;
};

/// Bounds of `loop`, or a diagnostic if any bound or step is not a constant.
static FailureOr<StaticLoop> staticBounds(scf::ParallelOp loop) {
  StaticLoop r;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return loop.emitOpError(
          "has a dynamic bound or step; the CUDA pipeline compiles for static "
          "shapes (specialise the entry point's argument shapes first)");
    r.lbs.push_back(*l);
    r.steps.push_back(*s);
    r.trips.push_back(*u > *l ? (*u - *l + *s - 1) / *s : 0);
  }
  return r;
}

/// Whether `loop`'s body holds another loop (then it is a "heavy" nest).
static bool holdsLoops(scf::ParallelOp loop) {
  return loop.getBody()
      ->walk([](LoopLikeOpInterface) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Ops that stay in the host function: constants and other pure scalar ops,
/// buffer allocation and views, and the parallel loops that become kernels.
static bool staysOnHost(Operation *op) {
  if (isa<scf::ParallelOp, memref::AllocOp, memref::AllocaOp,
          memref::DeallocOp, ViewLikeOpInterface>(op))
    return true;
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

/// Wraps the host function's work that is not a parallel loop (a scan's time
/// loop once a unit batch × heads loop has folded away, a store, ...) into
/// one-iteration scf.parallel loops, so that it runs as a kernel too: the
/// host side of a CUDA artifact only allocates and launches.
static LogicalResult wrapHostWork(func::FuncOp func) {
  if (func.isExternal())
    return success();
  Block &body = func.getBody().front();
  SmallVector<SmallVector<Operation *>> groups;
  llvm::SmallPtrSet<Operation *, 16> wrapped;
  bool open = false;
  for (Operation &op : body.without_terminator()) {
    bool usesWrapped = llvm::any_of(op.getOperands(), [&](Value v) {
      return v.getDefiningOp() && wrapped.contains(v.getDefiningOp());
    });
    if (staysOnHost(&op) && !usesWrapped) {
      open = false;
      continue;
    }
    if (!open)
      groups.emplace_back();
    open = true;
    groups.back().push_back(&op);
    wrapped.insert(&op);
  }
  for (ArrayRef<Operation *> group : groups) {
    llvm::SmallPtrSet<Operation *, 16> members(group.begin(), group.end());
    for (Operation *op : group)
      for (Operation *user : op->getUsers())
        if (!members.contains(body.findAncestorOpInBlock(*user)))
          return op->emitOpError(
              "computes a value that the host uses; the CUDA pipeline runs "
              "all computation in kernels and the host only allocates and "
              "launches");
  }
  for (ArrayRef<Operation *> group : groups) {
    OpBuilder b(group.front());
    Location loc = group.front()->getLoc();
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ParallelOp::create(b, loc, ValueRange{c0},
                                        ValueRange{c1}, ValueRange{c1});
    for (Operation *op : group)
      op->moveBefore(loop.getBody()->getTerminator());
  }
  return success();
}

/// The deallocations of `alloc` (through views), or failure if a view of it
/// may outlive the iteration that allocated it.
static FailureOr<SmallVector<memref::DeallocOp>>
deallocsIfLocal(memref::AllocOp alloc) {
  SmallVector<memref::DeallocOp> deallocs;
  SmallVector<Value> views{alloc.getResult()};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        deallocs.push_back(d);
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          isa<CallOpInterface>(user))
        return failure();
      if (auto store = dyn_cast<memref::StoreOp>(user))
        if (store.getValueToStore() == view)
          return failure();
      if (auto viewLike = dyn_cast<ViewLikeOpInterface>(user))
        if (viewLike.getViewSource() == view)
          views.push_back(viewLike->getResult(0));
    }
  }
  return deallocs;
}


//===----------------------------------------------------------------------===//
// Threads inside a (batch, head) block
//===----------------------------------------------------------------------===//
//
// The body of a nest kernel is sequential code (a time loop) around parallel
// loops (the element-wise and reduction nests of a step). With N threads per
// block it runs SPMD: every thread executes the sequential code (all values
// it computes are uniform), each parallel loop is split across the threads
// (a strided loop over its linearized iterations), and every op that writes
// memory outside those loops runs in thread 0 only. A barrier precedes and
// follows each parallel loop and each thread-0 region, so a write is never
// concurrent with another thread's read of the same step. The step's
// temporaries become shared memory (one copy per block): static up to 48
// KiB, dynamic up to the `shared-memory` option, beyond that the largest of
// them slices of a global workspace. Parallel loops inside may have dynamic
// bounds (uniform values every thread computes alike). When a body does not
// fit this model (a write whose result other code uses, a parallel
// reduction) the block has one thread.

/// The fewest terms of a sum that SPMD code spreads over the block's threads
/// (below, every thread adding them alone is cheaper than the reduction).
constexpr int64_t kMinDistributedSum = 64;

/// Static shared memory a kernel may declare without opting in to more.
constexpr int64_t kStaticSharedLimit = 48 * 1024;
// Marks an scf.parallel whose iterations are warp-wide (tensor-core tiles).
constexpr llvm::StringLiteral kWarpTiles = "hymir.warp_tiles";
constexpr int64_t kWarp = 32;

/// Whether `op` (or an op nested in it) may write memory.
static bool mayWrite(Operation *op) {
  WalkResult r = op->walk([](Operation *nested) {
    if (auto effects = dyn_cast<MemoryEffectOpInterface>(nested)) {
      if (effects.hasEffect<MemoryEffects::Write>() ||
          effects.hasEffect<MemoryEffects::Free>())
        return WalkResult::interrupt();
      return WalkResult::advance();
    }
    if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        nested->hasTrait<OpTrait::IsTerminator>())
      return WalkResult::advance();
    return WalkResult::interrupt(); // unknown effects: assume a write
  });
  return r.wasInterrupted();
}

static bool holdsParallel(Operation *op) {
  return op->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Whether `block` (the kernel body or a region of uniform control flow in
/// it) can run SPMD.
static bool canRunSPMD(Block &block) {
  for (Operation &op : block) {
    if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
      // Its bounds are uniform (sequential code computes them), so they
      // need not be constants.
      if (loop.getNumReductions())
        return false;
      continue;
    }
    if (op.getNumRegions() && holdsParallel(&op)) {
      if (!isa<scf::ForOp, scf::IfOp>(op))
        return false;
      for (Region &region : op.getRegions())
        for (Block &inner : region)
          if (!canRunSPMD(inner))
            return false;
      continue;
    }
    if (mayWrite(&op) && op.getNumResults() != 0)
      return false;
  }
  return true;
}

struct SPMDBuilder {
  Value tid, zero;
  int64_t threads;

  void barrierBefore(Operation *op) {
    if (isa_and_nonnull<gpu::BarrierOp>(op->getPrevNode()))
      return;
    OpBuilder b(op);
    gpu::BarrierOp::create(b, op->getLoc());
  }
  void barrierAfter(Operation *op) {
    if (isa_and_nonnull<gpu::BarrierOp>(op->getNextNode()))
      return;
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    gpu::BarrierOp::create(b, op->getLoc());
  }

  /// scf.parallel -> for (lin = tid; lin < total; lin += threads). Bounds
  /// may be dynamic (uniform values); constant ones fold as they are built.
  /// Warp tiles (hymir-gpu-chunk-matmuls-to-mma) are split over warps
  /// instead: for (lin = tid / 32; lin < total; lin += threads / 32), so that
  /// all lanes of a warp run the same tile.
  void splitLoop(scf::ParallelOp loop) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    bool perWarp = loop->hasAttr(kWarpTiles);
    size_t rank = loop.getNumLoops();
    SmallVector<Value> trips;
    Value total = cst(1);
    for (size_t d = 0; d < rank; ++d) {
      Value span = b.createOrFold<arith::SubIOp>(
          loc, loop.getUpperBound()[d], loop.getLowerBound()[d]);
      trips.push_back(
          b.createOrFold<arith::CeilDivUIOp>(loc, span, loop.getStep()[d]));
      total = b.createOrFold<arith::MulIOp>(loc, total, trips.back());
    }
    Value first = perWarp ? b.createOrFold<arith::DivUIOp>(loc, tid, cst(kWarp))
                          : tid;
    auto strided = scf::ForOp::create(b, loc, first, total,
                                      cst(perWarp ? threads / kWarp : threads));
    b.setInsertionPoint(strided.getBody()->getTerminator());
    Value linear = strided.getInductionVar();
    SmallVector<Value> ivs(rank);
    Value stride = cst(1);
    for (size_t d = rank; d-- > 0;) {
      Value id = b.createOrFold<arith::DivUIOp>(loc, linear, stride);
      if (d != 0)
        id = b.createOrFold<arith::RemUIOp>(loc, id, trips[d]);
      id = b.createOrFold<arith::MulIOp>(loc, id, loop.getStep()[d]);
      id = b.createOrFold<arith::AddIOp>(loc, id, loop.getLowerBound()[d]);
      ivs[d] = id;
      stride = b.createOrFold<arith::MulIOp>(loc, stride, trips[d]);
    }
    Block *body = loop.getBody();
    body->getTerminator()->erase();
    for (auto [arg, iv] : llvm::zip(body->getArguments(), ivs))
      arg.replaceAllUsesWith(iv);
    strided.getBody()->getOperations().splice(
        Block::iterator(strided.getBody()->getTerminator()),
        body->getOperations());
    loop.erase();
    barrierBefore(strided);
    barrierAfter(strided);
  }

  /// Whether `loop` (sequential code every thread would run) is a sum that
  /// may be reordered: one f32 result, `acc + x` with reassociation allowed
  /// and `x` independent of `acc`, no writes, and enough iterations to pay
  /// for a block-wide reduction.
  static bool isDistributableSum(scf::ForOp loop) {
    if (loop.getNumResults() != 1 || !loop.getResult(0).getType().isF32() ||
        mayWrite(loop) || holdsParallel(loop))
      return false;
    std::optional<APInt> trips = loop.getStaticTripCount();
    if (!trips || trips->getSExtValue() < kMinDistributedSum)
      return false;
    Value acc = loop.getRegionIterArgs()[0];
    auto add = loop.getBody()->getTerminator()->getOperand(0)
                   .getDefiningOp<arith::AddFOp>();
    if (!add || !acc.hasOneUse() ||
        !bitEnumContainsAll(add.getFastmath(), arith::FastMathFlags::reassoc))
      return false;
    return add.getLhs() == acc || add.getRhs() == acc;
  }

  /// A sum every thread would compute alone becomes each thread's share of
  /// the terms (a strided loop) and a block-wide `gpu.all_reduce`.
  void distributeSum(scf::ForOp loop) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value threadsValue = arith::ConstantIndexOp::create(b, loc, threads);
    Value start = arith::AddIOp::create(
        b, loc, loop.getLowerBound(),
        arith::MulIOp::create(b, loc, tid, loop.getStep()));
    Value step = arith::MulIOp::create(b, loc, loop.getStep(), threadsValue);
    Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    auto add = loop.getBody()->getTerminator()->getOperand(0)
                   .getDefiningOp<arith::AddFOp>();
    auto share = scf::ForOp::create(b, loc, start, loop.getUpperBound(), step,
                                    ValueRange{zeroF});
    IRMapping map;
    map.map(loop.getInductionVar(), share.getInductionVar());
    map.map(loop.getRegionIterArgs()[0], share.getRegionIterArgs()[0]);
    b.setInsertionPointToStart(share.getBody());
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    scf::YieldOp::create(b, loc, map.lookup(add.getResult()));
    b.setInsertionPointAfter(share);
    Value total = gpu::AllReduceOp::create(
        b, loc, share.getResult(0),
        gpu::AllReduceOperationAttr::get(b.getContext(),
                                         gpu::AllReduceOperation::ADD),
        /*uniform=*/true);
    Value result = arith::AddFOp::create(b, loc, loop.getInitArgs()[0], total,
                                         add.getFastmathAttr());
    loop.getResult(0).replaceAllUsesWith(result);
    loop.erase();
  }

  /// Moves `ops` (consecutive, no results used) under `if (tid == 0)`.
  void threadZero(ArrayRef<Operation *> ops) {
    OpBuilder b(ops.front());
    Location loc = ops.front()->getLoc();
    Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid,
                                         zero);
    auto guard = scf::IfOp::create(b, loc, isZero, /*withElse=*/false);
    for (Operation *op : ops)
      op->moveBefore(guard.getThenRegion().front().getTerminator());
    barrierBefore(guard);
    barrierAfter(guard);
  }

  void run(Block &block) {
    SmallVector<Operation *> pending; // consecutive writes for thread 0
    auto flush = [&] {
      if (!pending.empty())
        threadZero(pending);
      pending.clear();
    };
    for (Operation &op : llvm::make_early_inc_range(block)) {
      if (op.hasTrait<OpTrait::IsTerminator>())
        break;
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        flush();
        splitLoop(loop);
      } else if (op.getNumRegions() && holdsParallel(&op)) {
        flush();
        for (Region &region : op.getRegions())
          for (Block &inner : region)
            run(inner);
      } else if (auto loop = dyn_cast<scf::ForOp>(op);
                 loop && isDistributableSum(loop)) {
        flush();
        distributeSum(loop);
      } else if (mayWrite(&op)) {
        pending.push_back(&op);
      } else {
        flush();
      }
    }
    flush();
  }
};

//===----------------------------------------------------------------------===//
// Barrier elimination
//===----------------------------------------------------------------------===//
//
// The SPMD builder puts a barrier on both sides of every split loop and
// thread-0 region. Between two barriers of the same block, every thread runs
// the ops in order; a barrier between segments P and N (each bounded by
// another barrier of the same block) is needed only if a thread of N may
// touch memory that another thread of P wrote, or write memory another
// thread of P read. That is decided per buffer (the allocation, workgroup
// buffer or argument a view comes from), with one refinement: two split
// loops with the same iteration space that access a buffer through the same
// memref at equal index expressions meet in the same thread.

/// Marks the `memref.view`s that give a kernel's temporaries disjoint slices
/// of the dynamic shared memory or of a global workspace: each is a buffer of
/// its own.
constexpr llvm::StringLiteral kDisjointSlice = "hymir.disjoint_slice";

/// The buffer `v` is a view of.
static Value bufferRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (def->hasAttr(kDisjointSlice))
      break;
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      v = view.getViewSource();
      continue;
    }
    if (auto cast = dyn_cast<memref::MemorySpaceCastOp>(def)) {
      v = cast.getSource();
      continue;
    }
    break;
  }
  return v;
}

/// Whether two buffer roots may be the same memory: distinct allocations and
/// workgroup buffers are distinct; anything else (arguments, views of a
/// shared workspace) may alias.
static bool mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  auto isDistinct = [](Value v) {
    Operation *def = v.getDefiningOp();
    if (isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(def) ||
        (def && def->hasAttr(kDisjointSlice)))
      return true;
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && isa<gpu::LaunchOp>(arg.getOwner()->getParentOp());
  };
  return !isDistinct(a) && !isDistinct(b) ? true : false;
}

namespace {
struct Access {
  Operation *op;   // the load or store
  Value memref;    // as accessed
  Value root;
  bool write;
};

/// The split loop (`for (i = tid; ...; i += threads)`) that directly holds
/// `op`, if any.
static scf::ForOp splitLoopHolding(Operation *op, Value tid) {
  auto loop = dyn_cast_or_null<scf::ForOp>(op->getParentOp());
  if (loop && loop.getLowerBound() == tid && loop.getNumResults() == 0)
    return loop;
  return nullptr;
}
} // namespace

/// The memory accesses of `op` and the ops nested in it, or failure if some
/// op's effects are unknown.
static LogicalResult collectAccesses(Operation *op,
                                     SmallVectorImpl<Access> &out) {
  WalkResult r = op->walk([&](Operation *nested) {
    if (isa<gpu::BarrierOp>(nested))
      return WalkResult::interrupt();
    if (auto load = dyn_cast<memref::LoadOp>(nested)) {
      out.push_back({nested, load.getMemRef(), bufferRoot(load.getMemRef()),
                     false});
      return WalkResult::advance();
    }
    if (auto store = dyn_cast<memref::StoreOp>(nested)) {
      out.push_back({nested, store.getMemRef(), bufferRoot(store.getMemRef()),
                     true});
      return WalkResult::advance();
    }
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects)
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
                     nested->hasTrait<OpTrait::IsTerminator>()
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (auto &e : list) {
      // A fresh buffer conflicts with nothing yet.
      if (isa<MemoryEffects::Allocate>(e.getEffect()))
        continue;
      Value v = e.getValue();
      if (!v || !isa<BaseMemRefType>(v.getType()))
        return WalkResult::interrupt();
      out.push_back({nested, v, bufferRoot(v),
                     !isa<MemoryEffects::Read>(e.getEffect())});
    }
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

/// Whether `a` (in a loop with induction variable `ivA`) and `b` (`ivB`)
/// compute the same value: both defined outside the loops and equal, the
/// induction variables, or pure ops of one kind over such operands.
static bool sameValue(Value a, Value b, Value ivA, Value ivB, int depth = 0) {
  if (a == ivA || b == ivB)
    return a == ivA && b == ivB;
  if (a == b)
    return true;
  if (depth > 16)
    return false;
  Operation *x = a.getDefiningOp(), *y = b.getDefiningOp();
  if (!x || !y || x->getName() != y->getName() ||
      x->getAttrDictionary() != y->getAttrDictionary() ||
      x->getNumOperands() != y->getNumOperands() || x->getNumRegions() ||
      !isMemoryEffectFree(x) ||
      cast<OpResult>(a).getResultNumber() != cast<OpResult>(b).getResultNumber())
    return false;
  for (auto [p, q] : llvm::zip(x->getOperands(), y->getOperands()))
    if (!sameValue(p, q, ivA, ivB, depth + 1))
      return false;
  return true;
}

/// Whether `a` is to a stack buffer, which in a kernel is the thread's own.
static bool threadPrivate(const Access &a) {
  return isa_and_nonnull<memref::AllocaOp>(a.root.getDefiningOp());
}

static bool conflicts(const Access &p, const Access &n, Value tid) {
  if (!p.write && !n.write)
    return false;
  if (threadPrivate(p) || threadPrivate(n))
    return false;
  if (!mayAlias(p.root, n.root))
    return false;
  // The same element in the same thread: loads or stores directly in split
  // loops of equal iteration spaces, through the same memref, at equal
  // indices.
  scf::ForOp pLoop = splitLoopHolding(p.op, tid);
  scf::ForOp nLoop = splitLoopHolding(n.op, tid);
  if (!pLoop || !nLoop || p.memref != n.memref ||
      !sameValue(pLoop.getUpperBound(), nLoop.getUpperBound(), {}, {}) ||
      !sameValue(pLoop.getStep(), nLoop.getStep(), {}, {}))
    return true;
  auto indices = [](Operation *op) -> ValueRange {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      return load.getIndices();
    if (auto store = dyn_cast<memref::StoreOp>(op))
      return store.getIndices();
    return {};
  };
  if (!isa<memref::LoadOp, memref::StoreOp>(p.op) ||
      !isa<memref::LoadOp, memref::StoreOp>(n.op))
    return true;
  ValueRange pi = indices(p.op), ni = indices(n.op);
  for (auto [x, y] : llvm::zip(pi, ni))
    if (!sameValue(x, y, pLoop.getInductionVar(), nLoop.getInductionVar()))
      return true;
  return false;
}

/// Whether `v` is computed from `iv` and values defined outside `loop` only
/// (pure ops in between).
static bool onlyFrom(Value v, Value iv, scf::ForOp loop, int depth = 0) {
  if (v == iv || loop.isDefinedOutsideOfLoop(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || depth > 16 || def->getNumRegions() || !isMemoryEffectFree(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return onlyFrom(operand, iv, loop, depth + 1);
  });
}

/// The slice of a buffer that `a` touches in one iteration of `loop`, when
/// iterations touch disjoint slices: (buffer, d) for an access through a
/// view `subview %buffer[..., iv, ...] [..., 1, ...]` (iv at dimension d,
/// size 1), or for `%buffer[..., iv, ...]`, with %buffer defined outside the
/// loop.
static std::optional<std::pair<Value, unsigned>>
iterationSlice(const Access &a, scf::ForOp loop) {
  Value iv = loop.getInductionVar();
  Value m = a.memref;
  if (auto cast = m.getDefiningOp<memref::MemorySpaceCastOp>())
    m = cast.getSource();
  if (auto view = m.getDefiningOp<memref::SubViewOp>()) {
    if (!loop.isDefinedOutsideOfLoop(view.getSource()))
      return std::nullopt;
    for (auto [d, offset, size] : llvm::enumerate(view.getMixedOffsets(),
                                                  view.getMixedSizes()))
      if (llvm::dyn_cast_if_present<Value>(offset) == iv &&
          isConstantIntValue(size, 1))
        return std::make_pair(view.getSource(), static_cast<unsigned>(d));
    return std::nullopt;
  }
  if (!loop.isDefinedOutsideOfLoop(a.memref))
    return std::nullopt;
  ValueRange indices;
  if (auto load = dyn_cast<memref::LoadOp>(a.op))
    indices = load.getIndices();
  else if (auto store = dyn_cast<memref::StoreOp>(a.op))
    indices = store.getIndices();
  for (auto [d, index] : llvm::enumerate(indices))
    if (index == iv)
      return std::make_pair(a.memref, static_cast<unsigned>(d));
  return std::nullopt;
}

/// Whether `p` in one iteration of `loop` and `n` in another never touch
/// the same element from different threads, one of them writing.
static bool independentAcrossIterations(const Access &p, const Access &n,
                                        scf::ForOp loop, Value tid) {
  if ((!p.write && !n.write) || !mayAlias(p.root, n.root) ||
      threadPrivate(p) || threadPrivate(n))
    return true;
  // Disjoint slices per iteration.
  auto ps = iterationSlice(p, loop), ns = iterationSlice(n, loop);
  if (ps && ns && *ps == *ns)
    return true;
  // The same thread: the same-element rule of `conflicts`, with the memref
  // and the indices the same in every iteration.
  if (!loop.isDefinedOutsideOfLoop(p.memref) || conflicts(p, n, tid))
    return false;
  scf::ForOp pLoop = splitLoopHolding(p.op, tid);
  scf::ForOp nLoop = splitLoopHolding(n.op, tid);
  auto invariant = [&](const Access &a, scf::ForOp split) {
    return llvm::all_of(a.op->getOperands(), [&](Value v) {
      return isa<BaseMemRefType>(v.getType()) ||
             onlyFrom(v, split.getInductionVar(), loop) ||
             !isa<IndexType>(v.getType());
    });
  };
  return invariant(p, pLoop) && invariant(n, nLoop);
}

/// The ops between two barriers and their accesses.
struct Segment {
  SmallVector<Access> accesses;
  bool unknown = false;
};

static Segment segmentOf(ArrayRef<Operation *> ops) {
  Segment s;
  for (Operation *op : ops)
    if (failed(collectAccesses(op, s.accesses)))
      s.unknown = true;
  return s;
}

static bool needsBarrier(const Segment &p, const Segment &n, Value tid) {
  if (p.unknown || n.unknown)
    return true;
  for (const Access &a : p.accesses)
    for (const Access &b : n.accesses)
      if (conflicts(a, b, tid))
        return true;
  return false;
}

/// The ops of `loop`'s body other than barriers and the terminator.
static Segment bodySegment(scf::ForOp loop) {
  SmallVector<Operation *> ops;
  for (Operation &inner : loop.getBody()->without_terminator())
    if (!isa<gpu::BarrierOp>(inner))
      ops.push_back(&inner);
  return segmentOf(ops);
}

/// A loop body that ends with a barrier and whose first barrier comes after
/// reads only (of memory the loop does not write) meets the next
/// iteration's first barrier right after its last one: the first barrier is
/// needed only before the first iteration, so it moves before the loop.
static void hoistLeadingBarrier(scf::ForOp loop) {
  Block *body = loop.getBody();
  auto last = dyn_cast_or_null<gpu::BarrierOp>(
      body->getTerminator()->getPrevNode());
  gpu::BarrierOp first;
  SmallVector<Operation *> prefix;
  for (Operation &inner : *body) {
    if ((first = dyn_cast<gpu::BarrierOp>(inner)))
      break;
    prefix.push_back(&inner);
  }
  if (!last || !first || first == last)
    return;
  Segment reads = segmentOf(prefix), all = bodySegment(loop);
  if (reads.unknown || all.unknown)
    return;
  for (const Access &r : reads.accesses)
    for (const Access &w : all.accesses)
      if (r.write || (w.write && mayAlias(r.root, w.root)))
        return;
  if (isa_and_nonnull<gpu::BarrierOp>(loop->getPrevNode()))
    first.erase();
  else
    first->moveBefore(loop);
}

/// A loop body left with one barrier, its last op, whose iterations are
/// independent across threads (each writes its own slice, or threads touch
/// only what they themselves wrote): that barrier is needed after the last
/// iteration only.
static void sinkTrailingBarrier(scf::ForOp loop, Value tid) {
  Block *body = loop.getBody();
  auto last = dyn_cast_or_null<gpu::BarrierOp>(
      body->getTerminator()->getPrevNode());
  if (!last ||
      llvm::count_if(*body, [](Operation &o) { return isa<gpu::BarrierOp>(o); }) != 1)
    return;
  Segment all = bodySegment(loop);
  if (all.unknown)
    return;
  for (const Access &a : all.accesses)
    for (const Access &b : all.accesses)
      if (!independentAcrossIterations(a, b, loop, tid))
        return;
  if (isa_and_nonnull<gpu::BarrierOp>(loop->getNextNode()))
    last.erase();
  else
    last->moveAfter(loop);
}

/// Removes the barriers of `block` (and of the blocks nested in it) that
/// separate segments without a cross-thread dependence.
static void eliminateBarriers(Block &block, Value tid) {
  for (Operation &op : block)
    for (Region &region : op.getRegions())
      for (Block &inner : region)
        eliminateBarriers(inner, tid);
  for (Operation &op : block) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      hoistLeadingBarrier(loop);
      sinkTrailingBarrier(loop, tid);
    }
  }
  SmallVector<gpu::BarrierOp> barriers;
  for (Operation &op : block)
    if (auto barrier = dyn_cast<gpu::BarrierOp>(op))
      barriers.push_back(barrier);
  // Each barrier with another barrier of this block on both sides: the
  // segments it separates start and end at block-wide synchronisation. A
  // removed barrier merges its two segments.
  if (barriers.size() < 3)
    return;
  Operation *start = barriers.front();
  for (size_t i = 1; i + 1 < barriers.size(); ++i) {
    SmallVector<Operation *> before, after;
    for (Operation *op = start->getNextNode(); op != barriers[i];
         op = op->getNextNode())
      before.push_back(op);
    for (Operation *op = barriers[i]->getNextNode(); op != barriers[i + 1];
         op = op->getNextNode())
      after.push_back(op);
    if (needsBarrier(segmentOf(before), segmentOf(after), tid)) {
      start = barriers[i];
      continue;
    }
    barriers[i].erase();
  }
}

//===----------------------------------------------------------------------===//
// Rounds
//===----------------------------------------------------------------------===//

/// The most rounds a split loop may have to be counted: unrolled, more
/// rounds hold more loads in registers. Gated DeltaNet decode (B = 64, 128
/// threads, 16 rounds over a 128 × 16 state tile) took 64 registers instead
/// of 32, half the resident blocks, and ran 0.108 instead of 0.083 ms on an
/// H200; at 8 it keeps 32.
constexpr int64_t kMaxRounds = 8;

/// Split loops with constant bounds as loops over the thread's rounds:
/// `for (i = first; i < n; i += s)`, with `first` the thread (or warp) index
/// below `s`, becomes `for (r = 0; r < ⌈n / s⌉; ++r) { i = first + r · s;
/// if (i < n) ... }` (no guard where s divides n; no loop for one round:
/// `if (first < n)`, or nothing where n = s), for at most `kMaxRounds`
/// rounds. The trip count is then a constant, which LLVM unrolls, so a
/// thread issues the loads of all its rounds before it waits for the first:
/// f32 Gated DeltaNet prefill at T = 4K (chunk loop per block) 8.90 -> 8.26
/// ms on an H200. Runs after barrier elimination, which recognises split
/// loops by their lower bound.
static void countRounds(Block &body, Value tid, int64_t threads) {
  SmallVector<scf::ForOp> loops;
  body.walk([&](scf::ForOp loop) {
    Value first = loop.getLowerBound();
    bool perThread = first == tid;
    auto warp = first.getDefiningOp<arith::DivUIOp>();
    bool perWarp = warp && warp.getLhs() == tid &&
                   getConstantIntValue(warp.getRhs()) == kWarp;
    std::optional<int64_t> n = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if ((perThread || perWarp) && n && step && loop.getNumResults() == 0 &&
        *step == (perWarp ? threads / kWarp : threads) &&
        (*n + *step - 1) / *step <= kMaxRounds)
      loops.push_back(loop);
  });
  for (scf::ForOp loop : loops) {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    int64_t n = *getConstantIntValue(loop.getUpperBound());
    int64_t step = *getConstantIntValue(loop.getStep());
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // One round needs no loop: i = first.
    Value i = loop.getLowerBound();
    Operation *dest = loop;
    if (n > step) {
      auto rounds = scf::ForOp::create(b, loc, cst(0),
                                       cst((n + step - 1) / step), cst(1));
      b.setInsertionPointToStart(rounds.getBody());
      i = arith::AddIOp::create(
          b, loc, i,
          arith::MulIOp::create(b, loc, rounds.getInductionVar(), cst(step)));
      dest = rounds.getBody()->getTerminator();
    }
    if (n % step != 0) {
      Value inRange = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ult, i, cst(n));
      auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
      dest = guard.getThenRegion().front().getTerminator();
    }
    loop.getInductionVar().replaceAllUsesWith(i);
    Block *old = loop.getBody();
    old->getTerminator()->erase();
    dest->getBlock()->getOperations().splice(Block::iterator(dest),
                                             old->getOperations());
    loop.erase();
  }
}

//===----------------------------------------------------------------------===//
// Early loads
//===----------------------------------------------------------------------===//

/// Moves each load at the top level of a kernel body from a buffer defined
/// outside the kernel that nothing in it writes up to just after its
/// operands, with the pure ops that compute them. Barriers order shared
/// memory, not reads of memory no thread writes, so the decode step's state
/// loads issue at the start of the kernel and their latency overlaps the
/// q and k norms' reductions instead of following them.
static void issueReadOnlyLoadsEarly(Block &body) {
  SmallVector<Access> accesses;
  for (Operation &op : body) {
    // A barrier or a block reduction (`gpu.all_reduce add`, no body)
    // accesses nothing.
    auto reduce = dyn_cast<gpu::AllReduceOp>(op);
    if (isa<gpu::BarrierOp>(op) || (reduce && reduce.getBody().empty()))
      continue;
    if (failed(collectAccesses(&op, accesses)))
      return;
  }
  Region &kernel = *body.getParent();
  auto readOnly = [&](Value root) {
    if (kernel.isAncestor(root.getParentRegion()))
      return false; // shared memory or a buffer of the kernel's own
    return llvm::none_of(accesses, [&](const Access &a) {
      return a.write && mayAlias(a.root, root);
    });
  };
  // Moved ops keep their order: each goes after the last one moved (or
  // after its latest operand, if that comes later); none moves down.
  Operation *frontier = nullptr;
  std::function<void(Operation *)> hoist = [&](Operation *op) {
    Operation *after = frontier;
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (!def || def->getBlock() != &body)
        continue;
      if (def->getNumRegions() == 0 && isMemoryEffectFree(def))
        hoist(def);
      if (!after || after->isBeforeInBlock(def))
        after = def;
    }
    if (after && (after == op || op->isBeforeInBlock(after)))
      return; // already there or earlier (an operand of an earlier load)
    if (after)
      op->moveAfter(after);
    else
      op->moveBefore(&body.front());
    frontier = op;
  };
  SmallVector<memref::LoadOp> loads;
  for (Operation &op : body)
    if (auto load = dyn_cast<memref::LoadOp>(op))
      if (readOnly(bufferRoot(load.getMemRef())))
        loads.push_back(load);
  for (memref::LoadOp load : loads)
    hoist(load);
}

//===----------------------------------------------------------------------===//
// Independent loops as parallel loops
//===----------------------------------------------------------------------===//
//
// A chunked scan gathers its chunk row by row: a sequential loop over the
// chunk's steps whose body widens or scales each input row into the row of
// a chunk buffer (parallel loops over 128 columns) and stores the step's
// gate. Run SPMD as it is, the block's threads cover one row at a time (three
// quarters of 512 idle) and each thread waits out a global-memory latency
// per row. Every iteration writes its own rows, though, and reads nothing
// the loop writes: the loop is parallel. Distributed over its body, each
// parallel loop and each store becomes one parallel loop over (step, its own
// dimensions), which the SPMD builder splits over all the block's threads.

/// The constant or outside-defined value `v`, materialized before `loop`;
/// null if it is computed inside.
static Value boundOutside(Value v, scf::ForOp loop, OpBuilder &b) {
  if (loop.isDefinedOutsideOfLoop(v))
    return v;
  if (auto cst = v.getDefiningOp<arith::ConstantOp>())
    return b.clone(*cst)->getResult(0);
  return {};
}

/// The most iterations `loop` runs: its static trip count, or c for a
/// loop from 0 by 1 to `min(x, c)` (a chunk's `min(T - t0, C)` rows).
static std::optional<int64_t> maxTripCount(scf::ForOp loop) {
  if (std::optional<APInt> trips = loop.getStaticTripCount())
    return trips->getSExtValue();
  if (!isConstantIntValue(loop.getLowerBound(), 0) ||
      !isConstantIntValue(loop.getStep(), 1))
    return std::nullopt;
  auto min = loop.getUpperBound().getDefiningOp<arith::MinUIOp>();
  if (!min)
    return std::nullopt;
  for (Value side : {min.getLhs(), min.getRhs()})
    if (std::optional<int64_t> c = getConstantIntValue(side))
      return *c;
  return std::nullopt;
}

/// Static allocations of `loop`'s body used only by loads, stores and
/// deallocations in it: temporaries of one iteration.
static SmallVector<memref::AllocOp> iterationTemporaries(scf::ForOp loop) {
  SmallVector<memref::AllocOp> temporaries;
  for (auto alloc : loop.getBody()->getOps<memref::AllocOp>()) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      continue;
    bool local = llvm::all_of(alloc->getUsers(), [&](Operation *user) {
      if (!loop->isProperAncestor(user))
        return false;
      if (auto store = dyn_cast<memref::StoreOp>(user))
        return store.getMemRef() == alloc.getResult() &&
               store.getValueToStore() != alloc.getResult();
      return isa<memref::LoadOp, memref::DeallocOp>(user);
    });
    if (local)
      temporaries.push_back(alloc);
  }
  return temporaries;
}

/// Gives each iteration of `loop` its own copy of the temporaries: one
/// allocation before the loop with a leading dimension of `trips`, accessed
/// at the iteration's index.
static void privatize(scf::ForOp loop, ArrayRef<memref::AllocOp> temporaries,
                      int64_t trips) {
  Value iv = loop.getInductionVar();
  for (memref::AllocOp alloc : temporaries) {
    OpBuilder b(loop);
    MemRefType type = alloc.getType();
    SmallVector<int64_t> shape{trips};
    llvm::append_range(shape, type.getShape());
    auto all = memref::AllocOp::create(
        b, alloc.getLoc(), MemRefType::get(shape, type.getElementType()));
    b.setInsertionPointAfter(loop);
    memref::DeallocOp::create(b, alloc.getLoc(), all);
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
      OpBuilder at(user);
      if (auto load = dyn_cast<memref::LoadOp>(user)) {
        SmallVector<Value> indices{iv};
        llvm::append_range(indices, load.getIndices());
        load.replaceAllUsesWith(
            memref::LoadOp::create(at, load.getLoc(), all, indices).getResult());
        load.erase();
      } else if (auto store = dyn_cast<memref::StoreOp>(user)) {
        SmallVector<Value> indices{iv};
        llvm::append_range(indices, store.getIndices());
        memref::StoreOp::create(at, store.getLoc(), store.getValueToStore(),
                                all, indices);
        store.erase();
      } else {
        user->erase(); // a dealloc
      }
    }
    alloc.erase();
  }
}

/// Whether `loop`'s iterations touch disjoint memory: every write goes to
/// the iteration's own slice of a buffer and nothing the loop writes is read
/// in it, except the temporaries allocated in its body (`privates`), which
/// are the iteration's own.
static bool hasIndependentIterations(scf::ForOp loop,
                                     ArrayRef<Value> privates) {
  SmallVector<Access> accesses;
  if (failed(collectAccesses(loop, accesses)))
    return false;
  auto isPrivate = [&](Value root) { return llvm::is_contained(privates, root); };
  for (const Access &w : accesses) {
    if (!w.write || isPrivate(w.root))
      continue;
    if (!iterationSlice(w, loop))
      return false;
    for (const Access &r : accesses)
      if (!r.write && mayAlias(r.root, w.root))
        return false;
  }
  // Writes to one buffer must slice it along the same dimension.
  for (const Access &w : accesses)
    for (const Access &v : accesses)
      if (w.write && v.write && !isPrivate(w.root) && mayAlias(w.root, v.root) &&
          iterationSlice(w, loop) != iterationSlice(v, loop))
        return false;
  return true;
}

/// Whether `op` may be cloned into the distributed loops that need its
/// results: pure ops, loads, and loops that only compute (sums).
static bool isCloneable(Operation *op) {
  if (isa<memref::LoadOp>(op))
    return true;
  if (auto inner = dyn_cast<scf::ForOp>(op))
    return inner.getNumResults() != 0 && !mayWrite(op) && !holdsParallel(op);
  return !op->getNumRegions() && isMemoryEffectFree(op);
}

/// The ops of `body` that `item` depends on, in order.
static SmallVector<Operation *> neededBy(Operation *item, Block *body) {
  llvm::SetVector<Operation *> needed;
  std::function<void(Value)> need = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getBlock() != body || needed.contains(def))
      return;
    for (Value operand : def->getOperands())
      need(operand);
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(def->getRegions(), above);
    for (Value inner : above)
      need(inner);
    needed.insert(def);
  };
  for (Value operand : item->getOperands())
    need(operand);
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(item->getRegions(), above);
  for (Value v : above)
    need(v);
  SmallVector<Operation *> ordered(needed.begin(), needed.end());
  llvm::sort(ordered, [](Operation *x, Operation *y) {
    return x->isBeforeInBlock(y);
  });
  return ordered;
}

/// The ops distribution turns into parallel loops: parallel loops and
/// stores, in order.
static SmallVector<Operation *> distributedItems(Block *body) {
  SmallVector<Operation *> items;
  for (Operation &op : body->without_terminator())
    if (isa<scf::ParallelOp, memref::StoreOp>(op))
      items.push_back(&op);
  return items;
}

/// Whether every load cloned into an item still reads what it read in the
/// loop: no item between the load and the one that needs it writes the
/// loaded temporary, and one that does itself is a store (a single thread
/// per step, which loads first).
static bool keepsLoadOrder(Block *body, ArrayRef<Operation *> items,
                           ArrayRef<Value> privates) {
  auto writes = [&](Operation *item, Value root) {
    SmallVector<Access> accesses;
    if (failed(collectAccesses(item, accesses)))
      return true;
    return llvm::any_of(accesses, [&](const Access &a) {
      return a.write && a.root == root;
    });
  };
  for (Operation *item : items)
    for (Operation *op : neededBy(item, body)) {
      SmallVector<memref::LoadOp> loads;
      op->walk([&](memref::LoadOp load) { loads.push_back(load); });
      for (memref::LoadOp load : loads) {
        Value root = bufferRoot(load.getMemRef());
        if (!llvm::is_contained(privates, root))
          continue;
        if (isa<scf::ParallelOp>(item) && writes(item, root))
          return false;
        for (Operation *other : items)
          if (op->isBeforeInBlock(other) && other->isBeforeInBlock(item) &&
              writes(other, root))
            return false;
      }
    }
  return true;
}

/// Distributes `loop` (see above) if its body is only cloneable ops,
/// parallel loops with bounds fixed across iterations, stores, and
/// temporaries of one iteration, which become a copy per iteration (so the
/// trip count needs a bound).
static bool distributeIndependentLoop(scf::ForOp loop) {
  if (loop.getNumResults() != 0)
    return false;
  Block *body = loop.getBody();
  bool anyParallel = false;
  for (Operation &op : body->without_terminator()) {
    if (auto par = dyn_cast<scf::ParallelOp>(op)) {
      if (par.getNumReductions() || par->hasAttr(kWarpTiles))
        return false;
      for (Value v : llvm::concat<Value>(par.getLowerBound(),
                                         par.getUpperBound(), par.getStep()))
        if (!loop.isDefinedOutsideOfLoop(v) &&
            !v.getDefiningOp<arith::ConstantOp>())
          return false;
      anyParallel = true;
    } else if (!isa<memref::StoreOp, memref::AllocOp, memref::DeallocOp>(op) &&
               !isCloneable(&op)) {
      return false;
    }
  }
  if (!anyParallel)
    return false;
  SmallVector<memref::AllocOp> temporaries = iterationTemporaries(loop);
  if (static_cast<int64_t>(temporaries.size()) !=
      llvm::count_if(*body, [](Operation &op) { return isa<memref::AllocOp>(op); }))
    return false;
  std::optional<int64_t> trips = maxTripCount(loop);
  if (!temporaries.empty() && !trips)
    return false;
  SmallVector<Value> privates;
  for (memref::AllocOp alloc : temporaries)
    privates.push_back(alloc.getResult());
  if (!hasIndependentIterations(loop, privates) ||
      !keepsLoadOrder(body, distributedItems(body), privates))
    return false;
  // A loop (a sum) cloned into a parallel item would run once per element:
  // only stores (one thread per step) may need one.
  for (Operation *item : distributedItems(body))
    if (isa<scf::ParallelOp>(item) &&
        llvm::any_of(neededBy(item, body),
                     [](Operation *op) { return op->getNumRegions() != 0; }))
      return false;
  privatize(loop, temporaries, trips.value_or(0));

  OpBuilder b(loop);
  Location loc = loop.getLoc();
  for (Operation *item : distributedItems(body)) {
    SmallVector<Operation *> ordered = neededBy(item, body);
    SmallVector<Value> lbs{loop.getLowerBound()}, ubs{loop.getUpperBound()},
        steps{loop.getStep()};
    auto par = dyn_cast<scf::ParallelOp>(item);
    if (par)
      for (size_t d = 0; d < par.getNumLoops(); ++d) {
        lbs.push_back(boundOutside(par.getLowerBound()[d], loop, b));
        ubs.push_back(boundOutside(par.getUpperBound()[d], loop, b));
        steps.push_back(boundOutside(par.getStep()[d], loop, b));
      }
    auto merged = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
    OpBuilder inner = OpBuilder::atBlockTerminator(merged.getBody());
    IRMapping map;
    map.map(loop.getInductionVar(), merged.getInductionVars()[0]);
    for (Operation *op : ordered)
      inner.clone(*op, map);
    if (par) {
      for (auto [from, to] :
           llvm::zip(par.getInductionVars(),
                     ValueRange(merged.getInductionVars()).drop_front()))
        map.map(from, to);
      for (Operation &op : par.getBody()->without_terminator())
        inner.clone(op, map);
    } else {
      inner.clone(*item, map);
    }
  }
  loop.erase();
  return true;
}

/// Distributes every independent loop of the SPMD body `block` (not inside
/// a parallel loop, whose iterations are one thread's).
static void distributeIndependentLoops(Block &block) {
  SmallVector<scf::ForOp> loops;
  block.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<scf::ParallelOp>(op))
      return WalkResult::skip();
    if (auto loop = dyn_cast<scf::ForOp>(op))
      loops.push_back(loop);
    return WalkResult::advance();
  });
  // Innermost first: a distributed inner loop may make its parent
  // distributable.
  for (scf::ForOp loop : llvm::reverse(loops))
    distributeIndependentLoop(loop);
}

//===----------------------------------------------------------------------===//
// Padded tensor-core operands
//===----------------------------------------------------------------------===//
//
// A tensor-core fragment load reads rows of a tile at the buffer's row
// stride. When a row is a multiple of 128 bytes (the 32 banks of shared
// memory), every row of the tile starts in the same bank: the 8 rows a
// TF32 fragment load touches at once conflict 8 ways (Nsight Compute on the
// bf16 simple GLA outputs kernel: 7.2-way conflicts on average, 85% of its
// shared-memory wavefronts). Padding each row by 4 elements (16 bytes)
// shifts consecutive rows by 4 banks, so 8 rows cover all 32. Tile
// addresses stay 32-byte aligned: tiles start at rows that are multiples
// of 8, and 8 padded rows are a multiple of 32 bytes.

/// Elements added to each row of a padded buffer.
constexpr int64_t kRowPad = 4;

/// Whether the uses of `v` (transitively through subviews and memory space
/// casts) are only loads, stores, tensor-core loads and stores and
/// deallocations, at least one of them a tensor-core op: a buffer that can
/// take another row stride, and one that gains from it.
static bool onlyStridedUses(Value v, bool &feedsTensorCores) {
  for (Operation *user : v.getUsers()) {
    if (isa<gpu::SubgroupMmaLoadMatrixOp, gpu::SubgroupMmaStoreMatrixOp>(
            user)) {
      feedsTensorCores = true;
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(user);
        store && store.getValueToStore() == v)
      return false;
    if (isa<memref::LoadOp, memref::StoreOp, memref::DeallocOp>(user))
      continue;
    if (isa<memref::SubViewOp, memref::MemorySpaceCastOp>(user)) {
      if (!onlyStridedUses(user->getResult(0), feedsTensorCores))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

/// `view`'s slice taken of `source` instead of its own source (the same
/// elements with other strides or in another memory space).
static Value subviewOf(OpBuilder &b, memref::SubViewOp view, Value source) {
  auto resultType = memref::SubViewOp::inferRankReducedResultType(
      view.getType().getShape(), cast<MemRefType>(source.getType()),
      view.getMixedOffsets(), view.getMixedSizes(), view.getMixedStrides());
  return memref::SubViewOp::create(b, view.getLoc(),
                                   cast<MemRefType>(resultType), source,
                                   view.getMixedOffsets(), view.getMixedSizes(),
                                   view.getMixedStrides());
}

/// Makes `replacement` (a view of the same elements with other strides)
/// stand for `old` in every use, rebuilding the subviews and casts in
/// between and each tensor-core op's leading dimension.
static void replaceWithStrided(Value old, Value replacement) {
  for (OpOperand &use : llvm::make_early_inc_range(old.getUses())) {
    Operation *user = use.getOwner();
    OpBuilder b(user);
    if (auto view = dyn_cast<memref::SubViewOp>(user)) {
      replaceWithStrided(view.getResult(), subviewOf(b, view, replacement));
      view.erase();
      continue;
    }
    if (auto spaceCast = dyn_cast<memref::MemorySpaceCastOp>(user)) {
      auto type = cast<MemRefType>(replacement.getType());
      auto target = MemRefType::get(type.getShape(), type.getElementType(),
                                    type.getLayout(),
                                    spaceCast.getType().getMemorySpace());
      auto rebuilt = memref::MemorySpaceCastOp::create(
          b, spaceCast.getLoc(), target, replacement);
      replaceWithStrided(spaceCast.getResult(), rebuilt.getResult());
      spaceCast.erase();
      continue;
    }
    use.set(replacement);
    auto type = cast<MemRefType>(replacement.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (type.getRank() < 2 || failed(type.getStridesAndOffset(strides, offset)))
      continue;
    IntegerAttr lead = b.getIndexAttr(strides[type.getRank() - 2]);
    if (auto load = dyn_cast<gpu::SubgroupMmaLoadMatrixOp>(user))
      load.setLeadDimensionAttr(lead);
    if (auto store = dyn_cast<gpu::SubgroupMmaStoreMatrixOp>(user))
      store.setLeadDimensionAttr(lead);
  }
}

/// The block's 2-D f32 temporaries that feed tensor cores and whose rows
/// are a multiple of 32 elements: those whose rows padding would help.
static llvm::SmallPtrSet<Operation *, 8> paddableBuffers(Block &body) {
  llvm::SmallPtrSet<Operation *, 8> paddable;
  body.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    bool feedsTensorCores = false;
    if (type.getRank() == 2 && type.hasStaticShape() &&
        type.getLayout().isIdentity() && type.getElementType().isF32() &&
        type.getDimSize(1) % 32 == 0 &&
        onlyStridedUses(alloc.getResult(), feedsTensorCores) &&
        feedsTensorCores)
      paddable.insert(alloc);
  });
  return paddable;
}

static MemRefType paddedType(MemRefType type) {
  return MemRefType::get({type.getDimSize(0), type.getDimSize(1) + kRowPad},
                         type.getElementType(), MemRefLayoutAttrInterface(),
                         type.getMemorySpace());
}

/// Replaces `alloc` by a buffer with padded rows, its users by the view of
/// the unpadded columns; returns the new buffer.
static memref::AllocOp padRows(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  OpBuilder b(alloc);
  Location loc = alloc.getLoc();
  auto padded = memref::AllocOp::create(b, loc, paddedType(type),
                                        alloc.getAlignmentAttr());
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  auto view = memref::SubViewOp::create(
      b, loc, padded, ArrayRef<OpFoldResult>{index(0), index(0)},
      ArrayRef<OpFoldResult>{index(type.getDimSize(0)),
                             index(type.getDimSize(1))},
      ArrayRef<OpFoldResult>{index(1), index(1)});
  // Deallocations free the padded buffer itself.
  for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses()))
    if (isa<memref::DeallocOp>(use.getOwner()))
      use.set(padded);
  replaceWithStrided(alloc.getResult(), view.getResult());
  alloc.erase();
  return padded;
}

/// Tensor-core loads and stores of shared memory through the workgroup
/// address space: every temporary is used through a generic-space cast
/// (loads and stores get their space back from LLVM's address-space
/// inference, which does not reach the WMMA intrinsics), so a fragment
/// load compiled to generic loads (`LD.E`) that wait like global ones.
/// Rebuilds the subviews between an MMA op and the cast on the workgroup
/// buffer itself, so the op gets `wmma.load...shared`.
static void tensorCoreOperandsInWorkgroupSpace(Block &body) {
  auto rebuild = [](Value v, auto &self) -> Value {
    if (auto spaceCast = v.getDefiningOp<memref::MemorySpaceCastOp>()) {
      auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(
          spaceCast.getSource().getType().getMemorySpace());
      return space && space.getValue() == gpu::AddressSpace::Workgroup
                 ? spaceCast.getSource()
                 : Value();
    }
    auto view = v.getDefiningOp<memref::SubViewOp>();
    if (!view)
      return Value();
    Value source = self(view.getSource(), self);
    if (!source)
      return Value();
    OpBuilder b(view);
    return subviewOf(b, view, source);
  };
  body.walk([&](Operation *op) {
    OpOperand *memref = nullptr;
    if (auto load = dyn_cast<gpu::SubgroupMmaLoadMatrixOp>(op))
      memref = &load.getSrcMemrefMutable();
    else if (auto store = dyn_cast<gpu::SubgroupMmaStoreMatrixOp>(op))
      memref = &store.getDstMemrefMutable();
    if (!memref)
      return;
    if (Value workgroup = rebuild(memref->get(), rebuild))
      memref->set(workgroup);
  });
}

/// Which of a block's temporaries (their sizes in bytes, in program order)
/// go to a global workspace: the largest first (ties in program order)
/// while the rest exceeds the static 48 KiB and, as 256-byte aligned slices
/// of the dynamic shared memory, `limit` bytes.
static llvm::SmallDenseSet<size_t> spilledToWorkspace(ArrayRef<int64_t> bytes,
                                                      int64_t limit) {
  SmallVector<size_t> order(bytes.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::sort(order, [&](size_t x, size_t y) {
    return bytes[x] != bytes[y] ? bytes[x] > bytes[y] : x < y;
  });
  auto aligned = [](int64_t n) { return (n + 255) / 256 * 256; };
  int64_t total = 0, dynamic = 0;
  for (int64_t n : bytes) {
    total += n;
    dynamic += aligned(n);
  }
  llvm::SmallDenseSet<size_t> spilled;
  for (size_t i : order) {
    if (total <= kStaticSharedLimit || dynamic <= limit)
      break;
    spilled.insert(i);
    total -= bytes[i];
    dynamic -= aligned(bytes[i]);
  }
  return spilled;
}

/// Runs the body of `launch` (block x = `threads`) SPMD if it can, else
/// makes the block one thread. Fails on warp tiles it cannot give warps.
static LogicalResult runNestSPMD(gpu::LaunchOp launch, int64_t threads,
                                 int64_t sharedLimit, bool threadPrivate) {
  Block &body = launch.getBody().front();
  MLIRContext *ctx = launch.getContext();
  OpBuilder b(&body, body.begin());
  Location loc = launch.getLoc();
  Value tid = launch.getThreadIds().x;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);

  // Independent step loops become parallel loops first: their temporaries
  // gain a dimension per step before they are given shared memory.
  if (threads > 1 && canRunSPMD(body))
    distributeIndependentLoops(body);
  llvm::SmallPtrSet<Operation *, 8> paddable = paddableBuffers(body);

  // Temporaries outside the parallel loops are per block: shared memory.
  SmallVector<memref::AllocOp> shared;
  bool fits = true;
  body.walk([&](memref::AllocOp alloc) {
    if (alloc->getParentOfType<scf::ParallelOp>() &&
        launch->isProperAncestor(alloc->getParentOfType<scf::ParallelOp>()))
      return;
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        failed(deallocsIfLocal(alloc)) ||
        !type.getElementType().isIntOrFloat()) {
      fits = false;
      return;
    }
    shared.push_back(alloc);
  });
  bool spmd = threads > 1 && fits && canRunSPMD(body);
  scf::ParallelOp warpTiles;
  body.walk([&](scf::ParallelOp loop) {
    if (loop->hasAttr(kWarpTiles))
      warpTiles = loop;
  });
  if (warpTiles && (!spmd || threads % kWarp != 0)) {
    zero.getDefiningOp()->erase();
    return warpTiles.emitOpError()
           << "holds tensor-core tiles, which need the kernel's block to run "
              "SPMD in whole warps (nest-threads = "
           << threads << (spmd ? "" : ", body not SPMD")
           << "); compile without tensor cores (tensor-cores=off)";
  }
  if (!spmd) {
    // The block's single thread runs the body.
    zero.getDefiningOp()->erase();
    b.setInsertionPoint(launch);
    launch.getBlockSizeXMutable().assign(
        arith::ConstantIndexOp::create(b, loc, 1));
    return success();
  }
  // The largest temporaries go to a global workspace (one slice per block)
  // until the rest fits the block's shared memory (`spilledToWorkspace`).
  // Tensor-core operands get padded rows only where that moves no other
  // temporary there: bf16 Gated DeltaNet at T = 4K ran 4.91 ms with every
  // operand padded, its chunk terms' workspace grown from 805 to 977 MB,
  // against 4.40 unpadded; simple GLA, all of it in shared memory either
  // way, 1.50 against 1.94 (bench/results/gpu-2026-11-28-a21c838-padding.txt).
  auto bytesOf = [](MemRefType type) {
    return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
  };
  int64_t limit = std::max(sharedLimit, kStaticSharedLimit);
  SmallVector<int64_t> plainBytes, paddedBytes;
  for (memref::AllocOp alloc : shared) {
    plainBytes.push_back(bytesOf(alloc.getType()));
    paddedBytes.push_back(paddable.contains(alloc)
                              ? bytesOf(paddedType(alloc.getType()))
                              : plainBytes.back());
  }
  llvm::SmallDenseSet<size_t> spilled = spilledToWorkspace(plainBytes, limit);
  // Above the static limit the block's temporaries are slices of dynamic
  // shared memory. Both layouts for tensor cores (padded rows here, fragment
  // ops on the workgroup buffer below) only in such blocks (padding never
  // makes a block dynamic). In bf16 Gated DeltaNet's state pass (4 KiB of static
  // shared memory) they cost: 2.07 ms with neither, 2.99 with the
  // workgroup-space fragments alone, 3.33 with the padding alone, 2.74 with
  // both; its other kernels and simple GLA's outputs kernel (dynamic shared
  // memory) gain or are unchanged (T = 4K, ncu,
  // bench/results/gpu-2026-11-28-9ddb85f-explore.txt).
  int64_t keptBytes = 0;
  for (auto [i, bytes] : llvm::enumerate(plainBytes))
    if (!spilled.contains(i))
      keptBytes += bytes;
  bool dynamicShared = keptBytes > kStaticSharedLimit;
  if (dynamicShared &&
      spilled == spilledToWorkspace(paddedBytes, limit)) {
    for (size_t i = 0; i < shared.size(); ++i)
      if (paddable.contains(shared[i]) && !spilled.contains(i))
        shared[i] = padRows(shared[i]);
  }
  SmallVector<memref::AllocOp> global, kept;
  for (auto [i, alloc] : llvm::enumerate(shared)) {
    if (spilled.contains(i)) {
      global.push_back(alloc);
      continue;
    }
    kept.push_back(alloc);
  }
  // In the workspace and in shared memory, largest first (ties in program
  // order): the layout `spilledToWorkspace` assumed.
  auto largestFirst = [&](SmallVector<memref::AllocOp> &allocs) {
    SmallVector<std::pair<int64_t, size_t>> order;
    for (auto [i, alloc] : llvm::enumerate(allocs))
      order.push_back({-bytesOf(alloc.getType()), i});
    llvm::sort(order);
    SmallVector<memref::AllocOp> sorted;
    for (auto [negBytes, i] : order)
      sorted.push_back(allocs[i]);
    allocs = std::move(sorted);
  };
  largestFirst(global);
  largestFirst(kept);
  shared = std::move(kept);
  // Above the static limit every buffer is a 256-byte aligned slice of the
  // dynamic shared memory (alignment counted in).
  auto dynamicBytes = [&] {
    int64_t total = 0;
    for (memref::AllocOp alloc : shared)
      total += (bytesOf(alloc.getType()) + 255) / 256 * 256;
    return total;
  };
  b.setInsertionPointAfter(zero.getDefiningOp());
  SmallVector<memref::AllocOp> replaced;
  if (!global.empty()) {
    // Per block: each buffer at a 256-byte aligned offset.
    SmallVector<int64_t> offsets;
    int64_t perBlock = 0;
    for (memref::AllocOp alloc : global) {
      offsets.push_back(perBlock);
      perBlock += (bytesOf(alloc.getType()) + 255) / 256 * 256;
    }
    int64_t grid[3];
    Value gridValues[3] = {launch.getGridSizeX(), launch.getGridSizeY(),
                           launch.getGridSizeZ()};
    for (int i = 0; i < 3; ++i)
      grid[i] = *getConstantIntValue(gridValues[i]);
    OpBuilder host(launch);
    auto wsType = MemRefType::get({grid[0] * grid[1] * grid[2] * perBlock},
                                  host.getI8Type());
    Value workspace = memref::AllocOp::create(host, loc, wsType,
                                              host.getI64IntegerAttr(256));
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    // linear block id = bx + gx * (by + gy * bz)
    Value linear = arith::AddIOp::create(
        b, loc, launch.getBlockIds().x,
        arith::MulIOp::create(
            b, loc, cst(grid[0]),
            arith::AddIOp::create(
                b, loc, launch.getBlockIds().y,
                arith::MulIOp::create(b, loc, cst(grid[1]),
                                      launch.getBlockIds().z))));
    Value base = arith::MulIOp::create(b, loc, linear, cst(perBlock));
    for (auto [alloc, offset] : llvm::zip(global, offsets)) {
      Value at = arith::AddIOp::create(b, loc, base, cst(offset));
      Value view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(),
                                          workspace, at, ValueRange{});
      view.getDefiningOp()->setAttr(kDisjointSlice, b.getUnitAttr());
      // Bound to a name: a range-for over `*deallocsIfLocal(...)` would
      // iterate a destroyed temporary.
      FailureOr<SmallVector<memref::DeallocOp>> deallocs =
          deallocsIfLocal(alloc);
      for (memref::DeallocOp d : *deallocs)
        d.erase();
      alloc.replaceAllUsesWith(view);
      replaced.push_back(alloc);
    }
  }
  Attribute workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value dynamicBase;
  int64_t dynamicOffset = 0;
  if (dynamicShared) {
    dynamicBase = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                        MemRefLayoutAttrInterface(), workgroup));
    OpBuilder host(launch);
    launch.getDynamicSharedMemorySizeMutable().assign(
        arith::ConstantOp::create(host, loc,
                                  host.getI32IntegerAttr(dynamicBytes())));
  }
  SmallVector<Value> sharedBuffers;
  for (memref::AllocOp alloc : shared) {
    MemRefType type = alloc.getType();
    auto sharedType = MemRefType::get(type.getShape(), type.getElementType(),
                                      MemRefLayoutAttrInterface(), workgroup);
    Value buffer;
    if (dynamicShared) {
      buffer = memref::ViewOp::create(
          b, alloc.getLoc(), sharedType, dynamicBase,
          arith::ConstantIndexOp::create(b, loc, dynamicOffset), ValueRange{});
      buffer.getDefiningOp()->setAttr(kDisjointSlice, b.getUnitAttr());
      dynamicOffset += (bytesOf(type) + 255) / 256 * 256;
    } else {
      buffer = launch.addWorkgroupAttribution(sharedType, alloc.getLoc());
    }
    sharedBuffers.push_back(buffer);
    Value generic =
        memref::MemorySpaceCastOp::create(b, alloc.getLoc(), type, buffer);
    FailureOr<SmallVector<memref::DeallocOp>> deallocs = deallocsIfLocal(alloc);
    for (memref::DeallocOp d : *deallocs)
      d.erase();
    alloc.replaceAllUsesWith(generic);
    replaced.push_back(alloc);
  }
  // Erased last: the builder inserts before the op that followed `zero`,
  // which may be one of them.
  for (memref::AllocOp alloc : replaced)
    alloc.erase();
  if (dynamicShared)
    tensorCoreOperandsInWorkgroupSpace(body);
  SPMDBuilder{tid, zero, threads}.run(body);
  if (threadPrivate && threads > 1)
    hymir::keepThreadOwnedBuffersInRegisters(body, tid, threads,
                                             sharedBuffers);
  eliminateBarriers(body, tid);
  countRounds(body, tid, threads);
  issueReadOnlyLoadsEarly(body);
  return success();
}

struct ParallelLoopsToGPUPass
    : public hymir::impl::ParallelLoopsToGPUPassBase<ParallelLoopsToGPUPass> {
  using Base::Base;

  /// Moves `loop`'s body to the builder's insertion point with its induction
  /// variables replaced by `ivs`, and erases `loop`.
  static void inlineBody(OpBuilder &b, scf::ParallelOp loop, ValueRange ivs) {
    Block *body = loop.getBody();
    body->getTerminator()->erase(); // scf.reduce without operands
    Block *dest = b.getInsertionBlock();
    for (auto [arg, iv] : llvm::zip(body->getArguments(), ivs))
      arg.replaceAllUsesWith(iv);
    dest->getOperations().splice(b.getInsertionPoint(), body->getOperations());
    loop.erase();
  }

  static Value index(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// lb + id * step.
  static Value affineIv(OpBuilder &b, Location loc, Value id, int64_t lb,
                        int64_t step) {
    Value v = id;
    if (step != 1)
      v = arith::MulIOp::create(b, loc, v, index(b, loc, step));
    if (lb != 0)
      v = arith::AddIOp::create(b, loc, v, index(b, loc, lb));
    return v;
  }

  /// An element-wise nest: one thread per iteration, `threadsPerBlock` per
  /// block, the linear thread index delinearized into the loop's dimensions.
  LogicalResult convertElementwise(scf::ParallelOp loop,
                                   const StaticLoop &bounds) {
    int64_t total = 1;
    for (int64_t t : bounds.trips) {
      if (t == 0) {
        loop.erase();
        return success();
      }
      if (total > (int64_t{1} << 40) / t)
        return loop.emitOpError("has more than 2^40 iterations");
      total *= t;
    }
    int64_t threads = std::min<int64_t>(threadsPerBlock, total);
    int64_t blocks = (total + threads - 1) / threads;
    if (blocks > kMaxGrid[0])
      return loop.emitOpError("needs more blocks than the grid's x limit");
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value one = index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, index(b, loc, blocks), one, one,
                                        index(b, loc, threads), one, one);
    Block &kernel = launch.getBody().front();
    b.setInsertionPointToStart(&kernel);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(&kernel);
    // linear = blockIdx.x * threads + threadIdx.x; guarded by linear < total.
    Value linear = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                              index(b, loc, threads)),
        launch.getThreadIds().x);
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, linear,
                              index(b, loc, total));
    auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
    SmallVector<Value> ivs(bounds.trips.size());
    int64_t stride = 1;
    for (size_t d = bounds.trips.size(); d-- > 0;) {
      Value id = linear;
      if (stride != 1)
        id = arith::DivUIOp::create(b, loc, id, index(b, loc, stride));
      if (d != 0)
        id = arith::RemUIOp::create(b, loc, id,
                                    index(b, loc, bounds.trips[d]));
      ivs[d] = affineIv(b, loc, id, bounds.lbs[d], bounds.steps[d]);
      stride *= bounds.trips[d];
    }
    inlineBody(b, loop, ivs);
    return success();
  }

  /// A nest with loops inside: up to three innermost dimensions on block
  /// x, y, z (within the grid limits), the others as sequential loops in the
  /// block's single thread; nested parallel loops stay scf.parallel and run
  /// sequentially (scf-to-cf lowers them to loops).
  LogicalResult convertNest(scf::ParallelOp loop, const StaticLoop &bounds) {
    unsigned n = bounds.trips.size();
    for (int64_t t : bounds.trips)
      if (t == 0) {
        loop.erase();
        return success();
      }
    SmallVector<int> gridDim(n, -1);
    int64_t grid[3] = {1, 1, 1};
    unsigned next = 0;
    for (unsigned i = n; i-- > 0 && next < 3;) {
      if (bounds.trips[i] > kMaxGrid[next])
        continue;
      gridDim[i] = next;
      grid[next++] = bounds.trips[i];
    }
    // More than three dims (the parallel-chunks outputs: batch, head, tile,
    // chunk): the outer ones share block z, delinearized, where their
    // product fits, instead of running in turn in each block.
    unsigned shared = 0; // dims [0, shared) on block z
    if (n > 3 && gridDim[n - 1] == 0 && gridDim[n - 2] == 1 &&
        gridDim[n - 3] == 2) {
      int64_t product = 1;
      for (unsigned i = 0; i < n - 2; ++i)
        product *= bounds.trips[i];
      if (product <= kMaxGrid[2]) {
        shared = n - 2;
        grid[2] = product;
      }
    }
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value one = index(b, loc, 1);
    auto launch = gpu::LaunchOp::create(
        b, loc, index(b, loc, grid[0]), index(b, loc, grid[1]),
        index(b, loc, grid[2]), index(b, loc, nestThreads), one, one);
    Block &kernel = launch.getBody().front();
    b.setInsertionPointToStart(&kernel);
    gpu::TerminatorOp::create(b, loc);
    b.setInsertionPointToStart(&kernel);
    Value blockIds[3] = {launch.getBlockIds().x, launch.getBlockIds().y,
                         launch.getBlockIds().z};
    SmallVector<Value> ivs(n);
    Value z = blockIds[2];
    for (unsigned i = shared; i-- > 0;) {
      Value id = z;
      if (i != 0) {
        id = arith::RemUIOp::create(b, loc, z, index(b, loc, bounds.trips[i]));
        z = arith::DivUIOp::create(b, loc, z, index(b, loc, bounds.trips[i]));
      }
      ivs[i] = affineIv(b, loc, id, bounds.lbs[i], bounds.steps[i]);
    }
    for (unsigned i = shared; i < n; ++i) {
      if (gridDim[i] >= 0) {
        ivs[i] = affineIv(b, loc, blockIds[gridDim[i]], bounds.lbs[i],
                          bounds.steps[i]);
        continue;
      }
      auto seq = scf::ForOp::create(
          b, loc, index(b, loc, bounds.lbs[i]),
          index(b, loc, bounds.lbs[i] + bounds.trips[i] * bounds.steps[i]),
          index(b, loc, bounds.steps[i]));
      ivs[i] = seq.getInductionVar();
      b.setInsertionPoint(seq.getBody()->getTerminator());
    }
    inlineBody(b, loop, ivs);
    return runNestSPMD(launch, nestThreads, sharedMemory, threadPrivate);
  }

  void runOnOperation() override {
    if (threadsPerBlock < 1 || threadsPerBlock > 1024 || nestThreads < 1 ||
        nestThreads > 1024) {
      getOperation().emitError("threads-per-block and nest-threads must be in "
                               "[1, 1024], got ")
          << threadsPerBlock << " and " << nestThreads;
      return signalPassFailure();
    }
    if (failed(wrapHostWork(getOperation())))
      return signalPassFailure();
    SmallVector<scf::ParallelOp> roots;
    for (auto loop : getOperation().getBody().getOps<scf::ParallelOp>())
      roots.push_back(loop);
    for (scf::ParallelOp loop : roots) {
      if (loop.getNumReductions() != 0) {
        loop.emitOpError("with reductions is not supported by the CUDA "
                         "pipeline yet");
        return signalPassFailure();
      }
      FailureOr<StaticLoop> bounds = staticBounds(loop);
      if (failed(bounds))
        return signalPassFailure();
      LogicalResult converted = holdsLoops(loop)
                                    ? convertNest(loop, *bounds)
                                    : convertElementwise(loop, *bounds);
      if (failed(converted))
        return signalPassFailure();
    }
    // Constant tensors bufferize to memref.global: a kernel reads its own
    // copy (gpu-kernel-outlining clones the global into the kernel module).
    getOperation().walk([](gpu::LaunchOp launch) {
      llvm::SetVector<Value> above;
      getUsedValuesDefinedAbove(launch.getBody(), above);
      OpBuilder b(&launch.getBody().front(),
                  launch.getBody().front().begin());
      for (Value v : above)
        if (auto global = v.getDefiningOp<memref::GetGlobalOp>()) {
          Operation *copy = b.clone(*global);
          replaceAllUsesInRegionWith(v, copy->getResult(0), launch.getBody());
        }
    });
    // Parallel loops left outside kernels (inside host control flow) would
    // run on the host.
    WalkResult left = getOperation().walk([](scf::ParallelOp loop) {
      if (loop->getParentOfType<gpu::LaunchOp>())
        return WalkResult::advance();
      loop.emitOpError("is nested in host control flow; the CUDA pipeline "
                       "needs every kernel at the top level of its function");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

//===----------------------------------------------------------------------===//
// hymir-gpu-private-buffers
//===----------------------------------------------------------------------===//

struct GPUPrivateBuffersPass
    : public hymir::impl::GPUPrivateBuffersPassBase<GPUPrivateBuffersPass> {
  void runOnOperation() override {
    bool failedAny = false;
    getOperation().walk([&](gpu::LaunchOp launch) {
      SmallVector<memref::AllocOp> allocs;
      launch.getBody().walk([&](memref::AllocOp a) { allocs.push_back(a); });
      Block &entry = launch.getBody().front();
      OpBuilder builder(&entry, entry.begin());
      for (memref::AllocOp alloc : allocs) {
        if (!alloc.getDynamicSizes().empty() ||
            !alloc.getSymbolOperands().empty()) {
          alloc.emitOpError("inside a GPU kernel has a dynamic size; kernels "
                            "can only hold static buffers");
          failedAny = true;
          continue;
        }
        FailureOr<SmallVector<memref::DeallocOp>> deallocs =
            deallocsIfLocal(alloc);
        if (failed(deallocs)) {
          alloc.emitOpError("inside a GPU kernel outlives the loop iteration "
                            "that allocates it (yielded, returned, stored or "
                            "passed to a call); not supported by the CUDA "
                            "pipeline");
          failedAny = true;
          continue;
        }
        for (memref::DeallocOp d : *deallocs)
          d.erase();
        auto alloca = memref::AllocaOp::create(
            builder, alloc.getLoc(), alloc.getType(), ValueRange{},
            alloc.getAlignmentAttr());
        alloc.replaceAllUsesWith(alloca.getResult());
        alloc.erase();
      }
    });
    if (failedAny)
      signalPassFailure();
  }
};

//===----------------------------------------------------------------------===//
// hymir-gpu-lower-all-reduce
//===----------------------------------------------------------------------===//

struct GPULowerAllReducePass
    : public hymir::impl::GPULowerAllReducePassBase<GPULowerAllReducePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateGpuAllReducePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
