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

static void rewrite(linalg::GenericOp op, const Product &p) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Type f32 = b.getF32Type();
  auto aType = gpu::MMAMatrixType::get({kTileM, kTileK}, f32, "AOp");
  auto bType = gpu::MMAMatrixType::get({kTileK, kTileN}, f32, "BOp");
  auto cType = gpu::MMAMatrixType::get({kTileM, kTileN}, f32, "COp");
  auto ld = [&](Value m) { return b.getIndexAttr(leadingDimension(m)); };
  UnitAttr aT = p.aTransposed ? b.getUnitAttr() : UnitAttr();
  UnitAttr bT = p.bTransposed ? b.getUnitAttr() : UnitAttr();

  Value zero = cst(0), one = cst(1);
  auto tiles = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero},
      ValueRange{cst(p.M / kTileM), cst(p.N / kTileN)}, ValueRange{one, one});
  tiles->setAttr("hymir.warp_tiles", UnitAttr::get(ctx));
  b.setInsertionPointToStart(tiles.getBody());
  Value i0 = arith::MulIOp::create(b, loc, tiles.getInductionVars()[0],
                                   cst(kTileM));
  Value j0 = arith::MulIOp::create(b, loc, tiles.getInductionVars()[1],
                                   cst(kTileN));
  Value acc = gpu::SubgroupMmaLoadMatrixOp::create(
      b, loc, cType, p.c, ValueRange{i0, j0}, ld(p.c), UnitAttr());
  auto steps = scf::ForOp::create(b, loc, cst(0), cst(p.R), cst(kTileK),
                                  ValueRange{acc});
  b.setInsertionPointToStart(steps.getBody());
  Value r0 = steps.getInductionVar();
  // A transposed WMMA operand is read column-major from its memory layout:
  // the indices name the tile's first element in memory order.
  Value aTile = gpu::SubgroupMmaLoadMatrixOp::create(
      b, loc, aType, p.a,
      p.aTransposed ? ValueRange{r0, i0} : ValueRange{i0, r0}, ld(p.a), aT);
  Value bTile = gpu::SubgroupMmaLoadMatrixOp::create(
      b, loc, bType, p.b,
      p.bTransposed ? ValueRange{j0, r0} : ValueRange{r0, j0}, ld(p.b), bT);
  Value sum = gpu::SubgroupMmaComputeOp::create(
      b, loc, aTile, bTile, steps.getRegionIterArgs()[0], aT, bT);
  scf::YieldOp::create(b, loc, sum);
  b.setInsertionPointAfter(steps);
  gpu::SubgroupMmaStoreMatrixOp::create(b, loc, steps.getResult(0), p.c,
                                        ValueRange{i0, j0}, ld(p.c),
                                        UnitAttr());
  op.erase();
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
    for (auto &[op, p] : products)
      rewrite(op, p);
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
