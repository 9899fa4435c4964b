//===- ChunkMatmulsToMMA.cpp - Chunk products on tensor cores -------------===//
//
// The chunked forms' matrix products (`hymir.chunk_matmul` generics: Q Kᵀ,
// the masked scores times V, Q S, Kᵀ V, the WY products) as warp-level
// m16n16k8 TF32 tensor-core tiles (`gpu.subgroup_mma_*`, lowered to
// `wmma.*` by convert-gpu-to-nvvm). Each 16 × 16 output tile is one
// iteration of an `scf.parallel` marked `hymir.warp_tiles`, which
// hymir-parallel-loops-to-gpu spreads over the warps of the block (every
// lane of a warp runs the same tile: WMMA is a warp-wide instruction).
//
// A product is rewritten only where the WMMA contract holds by
// construction: tile-aligned shapes, unit innermost strides, static leading
// dimensions that are multiples of 4 elements, and 32-byte aligned tile
// addresses (proved from the views' offsets); the rest stays FFMA loops.
//
//===----------------------------------------------------------------------===//

#include "hymir/Conversion/Passes.h"
#include "hymir/Transforms/ChunkProduct.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <numeric>

namespace hymir {
#define GEN_PASS_DEF_GPUCHUNKMATMULSTOMMAPASS
#define GEN_PASS_DEF_GPUALIGNWORKGROUPBUFFERSPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

// WMMA's TF32 shape: m16n16k8.
constexpr int64_t kTileM = 16, kTileN = 16, kTileK = 8;
// Tile addresses must be 32-byte aligned: 8 f32 elements.
constexpr int64_t kAlignElements = 8;
// A carried accumulator's product (over one chunk: 32 / 8 = 4 steps at the
// default chunk) is unrolled up to this many steps: 2 × 4 registers of
// fragments per step.
constexpr int64_t kMaxUnrolledSteps = 8;
// Other products load the fragments of this many steps before their
// products (2 × 4 registers each): Q S over K = 128 is 4 groups of 4.
constexpr int64_t kFragmentGroup = 4;

/// A product on buffers with f32 operands, and its operands.
struct Product {
  Value a, b, c;
  bool aTransposed, bTransposed;
  int64_t M, N, R;
};

static FailureOr<Product> recognise(linalg::GenericOp op) {
  if (!op->hasAttr("hymir.chunk_matmul") || !op.hasPureBufferSemantics())
    return failure();
  FailureOr<hymir::ChunkProduct> shape = hymir::recogniseChunkProduct(op);
  if (failed(shape) ||
      llvm::any_of(op.getRegion().front().getArguments(),
                   [](BlockArgument arg) { return !arg.getType().isF32(); }))
    return failure();
  return Product{op.getDpsInputOperand(0)->get(),
                 op.getDpsInputOperand(1)->get(),
                 op.getDpsInitOperand(0)->get(),
                 shape->lhsTransposed,
                 shape->rhsTransposed,
                 shape->M,
                 shape->N,
                 shape->R};
}

/// A divisor of `v` known from its definition (constants, sums, products);
/// 0 stands for the value 0, which every number divides.
static int64_t knownDivisor(Value v, int depth = 0) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return std::abs(*c);
  Operation *def = v.getDefiningOp();
  if (!def || depth > 8)
    return 1;
  if (isa<arith::MulIOp>(def)) {
    int64_t x = knownDivisor(def->getOperand(0), depth + 1);
    int64_t y = knownDivisor(def->getOperand(1), depth + 1);
    return x == 0 || y == 0 ? 0 : x * y;
  }
  if (isa<arith::AddIOp>(def))
    return std::gcd(knownDivisor(def->getOperand(0), depth + 1),
                    knownDivisor(def->getOperand(1), depth + 1));
  return 1;
}

/// Whether the first element of `memref` is `kAlignElements`-aligned:
/// allocations and arguments are (the runtime's buffers are 256-byte
/// aligned, shared memory is aligned by hymir-gpu-align-workgroup-buffers);
/// a subview is if its source is and every offset times its stride is a
/// multiple of the alignment.
static bool alignedStart(Value memref, int depth = 0) {
  auto type = cast<MemRefType>(memref.getType());
  if (type.getElementType() != Float32Type::get(memref.getContext()))
    return false;
  Operation *def = memref.getDefiningOp();
  if (!def)
    return true; // a function argument
  if (isa<memref::AllocOp, memref::AllocaOp>(def))
    return type.getLayout().isIdentity();
  auto view = dyn_cast<memref::SubViewOp>(def);
  if (!view || depth > 8 || !alignedStart(view.getSource(), depth + 1))
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(view.getSourceType().getStridesAndOffset(strides, offset)))
    return false;
  for (auto [stride, ofr] : llvm::zip(strides, view.getMixedOffsets())) {
    if (ShapedType::isDynamic(stride))
      return false;
    int64_t factor = 0;
    if (auto value = dyn_cast<Value>(ofr))
      factor = knownDivisor(value);
    else
      factor = std::abs(cast<IntegerAttr>(cast<Attribute>(ofr)).getInt());
    if (factor != 0 && (stride * factor) % kAlignElements != 0)
      return false;
  }
  return true;
}

/// The leading dimension (row stride) of a 2-D operand WMMA can read, or 0.
static int64_t leadingDimension(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (type.getRank() != 2 || failed(type.getStridesAndOffset(strides, offset)) ||
      strides[1] != 1 || ShapedType::isDynamic(strides[0]) ||
      strides[0] % 4 != 0 || !alignedStart(memref))
    return 0;
  return strides[0];
}

/// The buffer `v` is a view of.
static Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

static bool fitsTensorCores(const Product &p) {
  return p.M % kTileM == 0 && p.N % kTileN == 0 && p.R % kTileK == 0 &&
         leadingDimension(p.a) && leadingDimension(p.b) &&
         leadingDimension(p.c) && rootOf(p.a) != rootOf(p.c) &&
         rootOf(p.b) != rootOf(p.c);
}

/// What a product's rewrite needs: the builder at the warp tile, the tile's
/// first row and column, and a constant-index helper.
struct TileBuilder {
  OpBuilder &b;
  Location loc;
  Value i0, j0;

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  IntegerAttr ld(Value m) { return b.getIndexAttr(leadingDimension(m)); }
  gpu::MMAMatrixType accType() {
    return gpu::MMAMatrixType::get({kTileM, kTileN}, b.getF32Type(), "COp");
  }
  Value load(Value m) {
    return gpu::SubgroupMmaLoadMatrixOp::create(
        b, loc, accType(), m, ValueRange{i0, j0}, ld(m), UnitAttr());
  }
  void store(Value acc, Value m) {
    gpu::SubgroupMmaStoreMatrixOp::create(b, loc, acc, m, ValueRange{i0, j0},
                                          ld(m), UnitAttr());
  }

  /// The A and B fragments of the reduction step at `r0` of `p`, whose
  /// operands are `a` and `bm` at this point. A transposed WMMA operand is
  /// read column-major from its memory layout: the indices name the tile's
  /// first element in memory order.
  std::pair<Value, Value> fragments(const Product &p, Value a, Value bm,
                                    Value r0) {
    Type f32 = b.getF32Type();
    auto aType = gpu::MMAMatrixType::get({kTileM, kTileK}, f32, "AOp");
    auto bType = gpu::MMAMatrixType::get({kTileK, kTileN}, f32, "BOp");
    Value aTile = gpu::SubgroupMmaLoadMatrixOp::create(
        b, loc, aType, a, p.aTransposed ? ValueRange{r0, i0} : ValueRange{i0, r0},
        ld(a), p.aTransposed ? b.getUnitAttr() : UnitAttr());
    Value bTile = gpu::SubgroupMmaLoadMatrixOp::create(
        b, loc, bType, bm,
        p.bTransposed ? ValueRange{j0, r0} : ValueRange{r0, j0}, ld(bm),
        p.bTransposed ? b.getUnitAttr() : UnitAttr());
    return {aTile, bTile};
  }

  /// The fragments of `count` steps from `r0` on, in step order.
  SmallVector<std::pair<Value, Value>> fragments(const Product &p, Value a,
                                                 Value bm, Value r0,
                                                 int64_t count) {
    SmallVector<std::pair<Value, Value>> all;
    for (int64_t r = 0; r < count; ++r) {
      Value at = r == 0 ? r0
                        : arith::AddIOp::create(b, loc, r0, cst(r * kTileK))
                              .getResult();
      all.push_back(fragments(p, a, bm, at));
    }
    return all;
  }

  /// `acc` plus the products of loaded fragments, in order.
  Value multiply(const Product &p, ArrayRef<std::pair<Value, Value>> frags,
                 Value acc) {
    UnitAttr aT = p.aTransposed ? b.getUnitAttr() : UnitAttr();
    UnitAttr bT = p.bTransposed ? b.getUnitAttr() : UnitAttr();
    for (auto [aTile, bTile] : frags)
      acc = gpu::SubgroupMmaComputeOp::create(b, loc, aTile, bTile, acc, aT,
                                              bT);
    return acc;
  }

  /// The product's tile added to `acc` over the reduction, 8 at a time;
  /// `a` and `bm` are its operands as values at this point. The fragments
  /// of `group` steps are loaded before their products, so that the loads'
  /// latencies overlap instead of adding up (a loop of single steps waits
  /// for each); a group of all steps unrolls the product.
  Value accumulate(const Product &p, Value a, Value bm, Value acc,
                   int64_t group) {
    int64_t stepsTotal = p.R / kTileK;
    if (group >= stepsTotal)
      return multiply(p, fragments(p, a, bm, cst(0), stepsTotal), acc);
    // Groups must tile the reduction; otherwise single steps.
    if (stepsTotal % group != 0)
      group = 1;
    auto loop = scf::ForOp::create(b, loc, cst(0), cst(p.R),
                                   cst(kTileK * group), ValueRange{acc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, loc,
        multiply(p, fragments(p, a, bm, loop.getInductionVar(), group),
                 loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  }
};

/// An `scf.parallel` over the 16 × 16 output tiles of an M × N product,
/// marked for one warp per tile; the builder is left at the start of its
/// body, and the tile's first row and column are returned.
static std::pair<Value, Value> createWarpTiles(OpBuilder &b, Location loc,
                                               int64_t M, int64_t N) {
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zero = cst(0), one = cst(1);
  auto tiles = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero},
      ValueRange{cst(M / kTileM), cst(N / kTileN)}, ValueRange{one, one});
  tiles->setAttr("hymir.warp_tiles", UnitAttr::get(b.getContext()));
  b.setInsertionPointToStart(tiles.getBody());
  Value i0 =
      arith::MulIOp::create(b, loc, tiles.getInductionVars()[0], cst(kTileM));
  Value j0 =
      arith::MulIOp::create(b, loc, tiles.getInductionVars()[1], cst(kTileN));
  return {i0, j0};
}

//===----------------------------------------------------------------------===//
// Products that share an accumulator
//===----------------------------------------------------------------------===//
//
// A chunk's outputs are two products into one zero-filled buffer:
//
//   fill 0 -> O;  O += Q̂ S;  O += P V
//
// Rewritten one by one, each warp stores its tile of O to memory (global
// memory: O is the output's slice) and loads it back, and the fill is a
// pass of its own. Instead, a run of products into the same buffer becomes
// one warp-tile loop whose accumulator starts at zero when a zero fill of
// exactly that buffer comes before the first (with nothing in between that
// names the buffer: the products overwrite all of it, so the fill goes),
// and is stored once after the last.

/// Whether `op`, or an op nested in it, names a view of `root`.
static bool namesBuffer(Operation *op, Value root) {
  return op
      ->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          if (isa<MemRefType>(v.getType()) && rootOf(v) == root)
            return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

/// Ops that neither touch memory nor hold regions (views, index math):
/// a run of products may step over them.
static bool isInert(Operation *op) {
  return op->getNumRegions() == 0 && isMemoryEffectFree(op);
}

/// The zero fill of exactly `c` that `op` (the first product into `c`)
/// makes dead, or null.
static linalg::FillOp deadZeroFill(Operation *op, Value c) {
  Value root = rootOf(c);
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev))
      if (fill.hasPureBufferSemantics() &&
          fill.getDpsInitOperand(0)->get() == c &&
          matchPattern(fill.getDpsInputOperand(0)->get(), m_AnyZeroFloat()))
        return fill;
    if (!isInert(prev) && namesBuffer(prev, root))
      return nullptr;
  }
  return nullptr;
}

/// Rewrites `run`, products into the same buffer in program order with only
/// inert ops between them, as one warp-tile loop at the last of them.
static void rewriteRun(ArrayRef<std::pair<linalg::GenericOp, Product>> run) {
  linalg::GenericOp last = run.back().first;
  const Product &first = run.front().second;
  linalg::FillOp fill = deadZeroFill(run.front().first, first.c);
  OpBuilder b(last);
  Location loc = last.getLoc();
  auto [i0, j0] = createWarpTiles(b, loc, first.M, first.N);
  TileBuilder tile{b, loc, i0, j0};
  Value acc = fill ? gpu::SubgroupMmaConstantMatrixOp::create(
                         b, loc, tile.accType(),
                         fill.getDpsInputOperand(0)->get())
                         .getResult()
                   : tile.load(first.c);
  for (auto &[op, p] : run)
    acc = tile.accumulate(p, p.a, p.b, acc, kFragmentGroup);
  tile.store(acc, first.c);
  for (auto [op, p] : run)
    op.erase();
  if (fill)
    fill.erase();
}

/// Whether `next` can join a run that ends with `prev`: the same output
/// buffer and tile grid, with only inert ops between the two.
static bool continuesRun(linalg::GenericOp prev, const Product &p,
                         linalg::GenericOp next, const Product &q) {
  if (q.c != p.c || q.M != p.M || q.N != p.N ||
      prev->getBlock() != next->getBlock() || !prev->isBeforeInBlock(next))
    return false;
  for (Operation *op = prev->getNextNode(); op != next.getOperation();
       op = op->getNextNode())
    if (!isInert(op))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Accumulators carried by a sequential loop
//===----------------------------------------------------------------------===//
//
// The state pass of the parallel-chunks form (hymir-chunk-scans, `scalar`
// and `identity` classes) keeps the state of a (batch, head, value tile) in
// a buffer through its loop over the chunks:
//
//   scf.for c { copy S -> states[c];  S *= g[c];  S += A_cᵀ B_c }
//
// Tile by tile, each 16 × 16 tile of S depends only on itself, so the loop
// can run inside the warp tiles with the tile as a WMMA accumulator carried
// by the loop: S is loaded once before it and stored once after it, and each
// chunk costs one fragment store (the copy), a fragment scale and the
// product, with no block barrier. Before, every chunk loaded and stored S
// from global memory three times between barriers (the copy, the scale and
// the product's accumulator), which made the state pass latency-bound.
//
// The loop qualifies when S is defined outside it and every op of its body
// is the product, a whole copy of S into a buffer the loop does not read,
// an in-place scale of S by a value defined outside the scale, or an op
// that writes no memory and reads none of S and the copies' buffers.

/// One op of a carried loop's body, as the tile sees it: `value` is the
/// copy's target (CopyOut) or the scale's factor (Scale).
struct CarriedStep {
  enum Kind { Clone, CopyOut, Scale, Accumulate } kind;
  Operation *op;
  Value value = {};
};

/// The scale of `s` in place by a value defined outside the generic, or null.
static Value scaleFactor(linalg::GenericOp g, Value s) {
  if (g.getNumDpsInputs() != 0 || g.getNumDpsInits() != 1 ||
      g.getDpsInitOperand(0)->get() != s || !g.hasPureBufferSemantics() ||
      g.getNumReductionLoops() != 0 ||
      !g.getIndexingMapsArray()[0].isIdentity())
    return nullptr;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return nullptr;
  auto mul = dyn_cast<arith::MulFOp>(body.front());
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!mul || yield.getNumOperands() != 1 || yield.getOperand(0) != mul)
    return nullptr;
  Value out = body.getArgument(0), other;
  if (mul.getLhs() == out)
    other = mul.getRhs();
  else if (mul.getRhs() == out)
    other = mul.getLhs();
  if (!other || g->isAncestor(other.getParentBlock()->getParentOp()))
    return nullptr;
  return other;
}

/// The steps of `op`'s enclosing loop if it carries the product's
/// accumulator as described above.
static FailureOr<SmallVector<CarriedStep>> carriedSteps(linalg::GenericOp op,
                                                        const Product &p) {
  auto loop = dyn_cast<scf::ForOp>(op->getParentOp());
  Value s = p.c;
  if (!loop || loop.getNumResults() != 0 || !loop.isDefinedOutsideOfLoop(s))
    return failure();
  auto sType = cast<MemRefType>(s.getType());
  Value sRoot = rootOf(s);
  SmallVector<CarriedStep> steps;
  SmallVector<Value> copyRoots;
  for (Operation &inner : loop.getBody()->without_terminator()) {
    if (&inner == op.getOperation()) {
      steps.push_back({CarriedStep::Accumulate, &inner});
      continue;
    }
    if (auto copy = dyn_cast<linalg::CopyOp>(inner)) {
      Value target = copy.getDpsInitOperand(0)->get();
      if (copy.getDpsInputOperand(0)->get() != s ||
          cast<MemRefType>(target.getType()).getShape() != sType.getShape() ||
          rootOf(target) == sRoot || !leadingDimension(target))
        return failure();
      copyRoots.push_back(rootOf(target));
      steps.push_back({CarriedStep::CopyOut, &inner, target});
      continue;
    }
    if (auto scale = dyn_cast<linalg::GenericOp>(inner)) {
      Value factor = scaleFactor(scale, s);
      if (!factor)
        return failure();
      steps.push_back({CarriedStep::Scale, &inner, factor});
      continue;
    }
    if (inner.getNumRegions() != 0 ||
        !(isMemoryEffectFree(&inner) || isa<memref::LoadOp>(inner)))
      return failure();
    steps.push_back({CarriedStep::Clone, &inner});
  }
  // Nothing else in the loop may look at S or at what the copies wrote.
  for (CarriedStep &step : steps) {
    auto load = dyn_cast<memref::LoadOp>(step.op);
    if (load && (rootOf(load.getMemRef()) == sRoot ||
                 llvm::is_contained(copyRoots, rootOf(load.getMemRef()))))
      return failure();
    if (step.kind == CarriedStep::Clone &&
        llvm::any_of(step.op->getOperands(), [&](Value v) { return v == s; }))
      return failure();
  }
  for (Value root : {rootOf(p.a), rootOf(p.b)})
    if (llvm::is_contained(copyRoots, root))
      return failure();
  return steps;
}

/// Rewrites the loop around `op` so that each warp tile carries its tile of
/// the accumulator through it (see above).
static void rewriteCarried(linalg::GenericOp op, const Product &p,
                           ArrayRef<CarriedStep> steps) {
  auto loop = cast<scf::ForOp>(op->getParentOp());
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  auto [i0, j0] = createWarpTiles(b, loc, p.M, p.N);
  TileBuilder tile{b, loc, i0, j0};
  auto carried =
      scf::ForOp::create(b, loc, loop.getLowerBound(), loop.getUpperBound(),
                         loop.getStep(), ValueRange{tile.load(p.c)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(carried.getBody());
    IRMapping map;
    map.map(loop.getInductionVar(), carried.getInductionVar());
    Value acc = carried.getRegionIterArgs()[0];
    for (const CarriedStep &step : steps) {
      switch (step.kind) {
      case CarriedStep::Clone:
        b.clone(*step.op, map);
        break;
      case CarriedStep::CopyOut:
        tile.store(acc, map.lookupOrDefault(step.value));
        break;
      case CarriedStep::Scale: {
        Value splat = gpu::SubgroupMmaConstantMatrixOp::create(
            b, loc, tile.accType(), map.lookupOrDefault(step.value));
        acc = gpu::SubgroupMmaElementwiseOp::create(
            b, loc, tile.accType(), ValueRange{acc, splat},
            gpu::MMAElementwiseOp::MULF);
        break;
      }
      case CarriedStep::Accumulate:
        acc = tile.accumulate(
            p, map.lookupOrDefault(p.a), map.lookupOrDefault(p.b), acc,
            /*group=*/p.R / kTileK <= kMaxUnrolledSteps ? p.R / kTileK : 1);
        break;
      }
    }
    scf::YieldOp::create(b, loc, acc);
  }
  tile.store(carried.getResult(0), p.c);
  loop.erase();
}

struct GPUChunkMatmulsToMMAPass
    : public hymir::impl::GPUChunkMatmulsToMMAPassBase<
          GPUChunkMatmulsToMMAPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (onlyNarrowInputs && !hymir::takesNarrowFloats(func))
      return;
    SmallVector<std::pair<linalg::GenericOp, Product>> products;
    func.walk([&](linalg::GenericOp op) {
      // Only inside a batch × heads nest, whose block of threads the
      // warp tiles share.
      if (!op->getParentOfType<scf::ParallelOp>() &&
          !op->getParentOfType<scf::ForallOp>())
        return;
      FailureOr<Product> p = recognise(op);
      if (succeeded(p) && fitsTensorCores(*p))
        products.push_back({op, *p});
    });
    SmallVector<SmallVector<std::pair<linalg::GenericOp, Product>>> runs;
    for (auto &[op, p] : products) {
      FailureOr<SmallVector<CarriedStep>> steps = carriedSteps(op, p);
      if (succeeded(steps)) {
        rewriteCarried(op, p, *steps);
        continue;
      }
      if (!runs.empty() && continuesRun(runs.back().back().first,
                                        runs.back().back().second, op, p))
        runs.back().push_back({op, p});
      else
        runs.push_back({{op, p}});
    }
    for (auto &run : runs)
      rewriteRun(run);
  }
};

struct GPUAlignWorkgroupBuffersPass
    : public hymir::impl::GPUAlignWorkgroupBuffersPassBase<
          GPUAlignWorkgroupBuffersPass> {
  void runOnOperation() override {
    constexpr int64_t kAlign = 128;
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    getOperation().walk([&](gpu::GPUFuncOp func) {
      Builder b(func.getContext());
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i) {
        auto old = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, name));
        if (!old || old.getInt() < kAlign)
          func.setWorkgroupAttributionAttr(i, name,
                                           b.getI64IntegerAttr(kAlign));
      }
    });
    getOperation().walk([&](LLVM::GlobalOp global) {
      if (global.getAddrSpace() != NVVM::NVVMMemorySpace::Shared)
        return;
      if (global.getAlignment().value_or(0) < kAlign)
        global.setAlignment(kAlign);
      // The dynamic shared memory, a zero-sized array, must be external
      // (`.extern .shared ... []` in PTX): NVPTX demotes an internal one to
      // a one-byte function-local variable, which ptxas sizes statically.
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (array && array.getNumElements() == 0)
        global.setLinkage(LLVM::Linkage::External);
    });
  }
};

} // namespace
