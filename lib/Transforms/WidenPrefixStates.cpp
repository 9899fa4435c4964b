//===- WidenPrefixStates.cpp - hymir-widen-prefix-states ------------------===//
//
// Carries the associative prefix components of a scan's state (mLSTM's
// max-plus stabiliser, Mamba-3's modular angle sum) in f64 (see the pass
// description in Passes.td for why).
//
//===----------------------------------------------------------------------===//

#include "hymir/Transforms/Passes.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "hymir-widen-prefix-states"

namespace hymir {
#define GEN_PASS_DEF_WIDENPREFIXSTATESPASS
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {

/// `v` is computed (inside `body`) from `s`.
bool dependsOn(Value v, Value s, Block *body) {
  SmallVector<Value> work{v};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (x == s)
      return true;
    if (!seen.insert(x).second)
      continue;
    Operation *op = x.getDefiningOp();
    if (!op || op->getBlock() != body)
      continue;
    llvm::append_range(work, op->getOperands());
  }
  return false;
}

/// `x` is `s + a` or `a + s` with `a` not computed from `s`.
bool isStatePlusTerm(Value x, Value s, Block *body) {
  auto add = x.getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  if (add.getLhs() == s)
    return !dependsOn(add.getRhs(), s, body);
  if (add.getRhs() == s)
    return !dependsOn(add.getLhs(), s, body);
  return false;
}

/// `y` is the max-plus update `max(s + a, b)` (either operand order).
bool isMaxPlus(Value y, Value s, Block *body) {
  Operation *op = y.getDefiningOp();
  if (!isa_and_nonnull<arith::MaximumFOp, arith::MaxNumFOp>(op))
    return false;
  Value a = op->getOperand(0), b = op->getOperand(1);
  return (isStatePlusTerm(a, s, body) && !dependsOn(b, s, body)) ||
         (isStatePlusTerm(b, s, body) && !dependsOn(a, s, body));
}

/// `y` is the modular sum `x − c·floor(x / c)` with `x = s + a`.
bool isModularSum(Value y, Value s, Block *body) {
  auto sub = y.getDefiningOp<arith::SubFOp>();
  if (!sub || !isStatePlusTerm(sub.getLhs(), s, body))
    return false;
  auto mul = sub.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  for (Value f : {mul.getLhs(), mul.getRhs()})
    if (auto floor = f.getDefiningOp<math::FloorOp>())
      if (auto div = floor.getOperand().getDefiningOp<arith::DivFOp>())
        if (div.getLhs() == sub.getLhs())
          return true;
  return false;
}

/// Ops that compute exactly as well in f64 and whose f64 result feeds the
/// chain on: the arithmetic of the prefix forms and of what uses them.
bool isWidenable(Operation *op) {
  return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp, math::FloorOp>(op);
}

/// `type` with an f64 element (or f64 for a scalar).
Type widened(Type type) {
  Builder b(type.getContext());
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(b.getF64Type());
  return b.getF64Type();
}

bool isF32Like(Type type) { return getElementTypeOrSelf(type).isF32(); }

/// `v` in f64: a float constant becomes an f64 constant (so that the scan
/// analysis still sees, e.g., the modulus of a modular sum as a constant),
/// anything else an `arith.extf`.
Value extend(OpBuilder &b, Location loc, Value v) {
  Type wide = widened(v.getType());
  Attribute attr;
  if (matchPattern(v, m_Constant(&attr))) {
    if (auto f = dyn_cast<FloatAttr>(attr))
      return arith::ConstantOp::create(
          b, loc, b.getF64FloatAttr(f.getValueAsDouble()));
    if (auto dense = dyn_cast<DenseFPElementsAttr>(attr))
      return arith::ConstantOp::create(
          b, loc,
          cast<DenseElementsAttr>(dense.mapValues(
              b.getF64Type(), [](const APFloat &x) {
                APFloat y = x;
                bool lost;
                y.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                          &lost); // exact: f32 ⊂ f64
                return y.bitcastToAPInt();
              })));
  }
  return arith::ExtFOp::create(b, loc, wide, v);
}

struct WidenPrefixStatesPass
    : public hymir::impl::WidenPrefixStatesPassBase<WidenPrefixStatesPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](hymir::ScanOp scan) { widenScan(scan); });
  }

  static void widenScan(hymir::ScanOp scan) {
    Block *body = &scan.getBodyBlock();
    auto states = scan.getStateArgs();
    auto yielded = scan.getYieldedStates();
    for (unsigned i = 0; i < states.size(); ++i) {
      BlockArgument s = states[i];
      Value next = yielded[i];
      if (!isF32Like(s.getType()) ||
          !(isMaxPlus(next, s, body) || isModularSum(next, s, body)))
        continue;
      widenState(scan, i);
    }
  }

  /// Carries state `i` of `scan` in f64: the init is extended, the final
  /// state truncated, and inside the body every widenable op computed from
  /// the state runs in f64; other users get the value truncated to f32.
  static void widenState(hymir::ScanOp scan, unsigned i) {
    Block *body = &scan.getBodyBlock();
    BlockArgument s = scan.getStateArgs()[i];
    OpOperand &init = scan.getInitsMutable()[i];
    OpResult final = scan.getFinals()[i];
    Type narrowInit = init.get().getType();

    OpBuilder b(scan);
    Location loc = scan.getLoc();
    init.set(arith::ExtFOp::create(b, loc, widened(narrowInit), init.get()));
    b.setInsertionPointAfter(scan);
    final.setType(widened(narrowInit));
    auto trunc = arith::TruncFOp::create(b, loc, narrowInit, final);
    final.replaceAllUsesExcept(trunc, trunc);
    s.setType(widened(s.getType()));

    // Forward over the body in order: a widenable op with a wide operand
    // becomes wide (its other f32 operands extended); every other use of a
    // wide value reads it truncated back to f32.
    llvm::SetVector<Value> wide;
    wide.insert(s);
    Operation *yield = body->getTerminator();
    for (Operation &op : llvm::make_early_inc_range(*body)) {
      bool hasWide = llvm::any_of(op.getOperands(),
                                  [&](Value v) { return wide.contains(v); });
      if (!hasWide)
        continue;
      b.setInsertionPoint(&op);
      if (isWidenable(&op) && op.getNumResults() == 1 &&
          isF32Like(op.getResult(0).getType())) {
        for (OpOperand &operand : op.getOpOperands())
          if (!wide.contains(operand.get()))
            operand.set(extend(b, op.getLoc(), operand.get()));
        op.getResult(0).setType(widened(op.getResult(0).getType()));
        wide.insert(op.getResult(0));
        continue;
      }
      unsigned stateOperand =
          scan.getYieldedOutputs().size() + i; // the yield's slot for s
      for (OpOperand &operand : op.getOpOperands()) {
        if (!wide.contains(operand.get()))
          continue;
        if (&op == yield && operand.getOperandNumber() == stateOperand)
          continue;
        Type narrow = operand.get().getType();
        narrow = isa<ShapedType>(narrow)
                     ? cast<ShapedType>(narrow).clone(b.getF32Type())
                     : Type(b.getF32Type());
        operand.set(
            arith::TruncFOp::create(b, op.getLoc(), narrow, operand.get()));
      }
    }
    // The new state is wide whatever computed it.
    OpOperand &next = yield->getOpOperand(scan.getYieldedOutputs().size() + i);
    if (!wide.contains(next.get())) {
      b.setInsertionPoint(yield);
      next.set(extend(b, yield->getLoc(), next.get()));
    }
  }
};

} // namespace
