//===- Alignment.cpp - What the GPU lowering knows of addresses -----------===//

#include "Alignment.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <numeric>

using namespace mlir;

static int64_t knownDivisorAt(Value v, int depth) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return std::abs(*c);
  Operation *def = v.getDefiningOp();
  if (!def || depth > 8)
    return 1;
  if (isa<arith::MulIOp>(def)) {
    int64_t x = knownDivisorAt(def->getOperand(0), depth + 1);
    int64_t y = knownDivisorAt(def->getOperand(1), depth + 1);
    return x == 0 || y == 0 ? 0 : x * y;
  }
  if (isa<arith::AddIOp>(def))
    return std::gcd(knownDivisorAt(def->getOperand(0), depth + 1),
                    knownDivisorAt(def->getOperand(1), depth + 1));
  return 1;
}

int64_t hymir::gpu::knownDivisor(Value v) { return knownDivisorAt(v, 0); }

static bool alignedStartAt(Value memref, int64_t elements, int depth) {
  auto type = cast<MemRefType>(memref.getType());
  if (type.getElementType() != Float32Type::get(memref.getContext()))
    return false;
  Operation *def = memref.getDefiningOp();
  if (!def) { // an argument: its layout's offset, if static
    SmallVector<int64_t> strides;
    int64_t offset;
    return succeeded(type.getStridesAndOffset(strides, offset)) &&
           !ShapedType::isDynamic(offset) && offset % elements == 0;
  }
  if (isa<memref::AllocOp, memref::AllocaOp>(def))
    return type.getLayout().isIdentity();
  auto view = dyn_cast<memref::SubViewOp>(def);
  if (!view || depth > 8 ||
      !alignedStartAt(view.getSource(), elements, depth + 1))
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
      factor = hymir::gpu::knownDivisor(value);
    else
      factor = std::abs(cast<IntegerAttr>(cast<Attribute>(ofr)).getInt());
    if (factor != 0 && (stride * factor) % elements != 0)
      return false;
  }
  return true;
}

bool hymir::gpu::alignedStart(Value memref, int64_t elements) {
  return alignedStartAt(memref, elements, 0);
}
