//===- UpstreamOps.cpp - Reference semantics of upstream ops --------------===//
//
// func, arith, math, tensor, linalg (and the structured scf ops), ml_program
// constant global loads, on tensors
// and scalars, in float64 / int64. Element-wise ops apply to scalars and to
// tensors of equal shape alike. Every runtime shape and index is checked;
// anything the IR leaves undefined (an out-of-range slice, an integer
// division by zero, a shift by the bit width or more, a float-to-int
// conversion out of range) is an error, never a guess.
//
//===----------------------------------------------------------------------===//

#include "InterpreterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace hymir::ref;
using namespace hymir::ref::detail;

using Kind = Tensor::Kind;

namespace {

//===----------------------------------------------------------------------===//
// Element-wise helpers
//===----------------------------------------------------------------------===//

/// Checks that the operands of an element-wise op have one runtime shape.
LogicalResult checkSameShapes(Interpreter &interp, Operation *op,
                              ArrayRef<const Tensor *> operands) {
  for (const Tensor *t : operands.drop_front())
    if (t->getShape() != operands.front()->getShape())
      return interp.emitError(op)
             << "'" << op->getName() << "' operands have different shapes at "
             << "run time: " << operands.front()->getShapeString() << " and "
             << t->getShapeString();
  return success();
}

template <typename Fn>
LogicalResult floatUnary(Interpreter &, Operation *op, Frame &frame, Fn fn) {
  const Tensor &a = frame.get(op->getOperand(0));
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, a.getShape());
  const double *ap = a.getFloats().data();
  double *rp = r.getFloats().data();
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i)
    rp[i] = fn(ap[i]);
  return success();
}

template <typename Fn>
LogicalResult floatBinary(Interpreter &interp, Operation *op, Frame &frame,
                          Fn fn) {
  const Tensor &a = frame.get(op->getOperand(0));
  const Tensor &b = frame.get(op->getOperand(1));
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, a.getShape());
  const double *ap = a.getFloats().data(), *bp = b.getFloats().data();
  double *rp = r.getFloats().data();
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i)
    rp[i] = fn(ap[i], bp[i]);
  return success();
}

/// Integer element-wise op: `fn(a, b, width, error)` returns the result
/// (before wrapping to the result width) or sets `error`.
template <typename Fn>
LogicalResult intBinary(Interpreter &interp, Operation *op, Frame &frame,
                        Fn fn) {
  const Tensor &a = frame.get(op->getOperand(0));
  const Tensor &b = frame.get(op->getOperand(1));
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  unsigned width = getIntWidth(op->getResult(0).getType());
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Int, a.getShape());
  const int64_t *ap = a.getInts().data(), *bp = b.getInts().data();
  int64_t *rp = r.getInts().data();
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i) {
    const char *error = nullptr;
    int64_t v = fn(ap[i], bp[i], width, error);
    if (error)
      return interp.emitError(op)
             << "'" << op->getName() << "': " << error << " (operands "
             << ap[i] << " and " << bp[i] << ")";
    rp[i] = wrapInt(v, width);
  }
  return success();
}

template <typename Fn>
LogicalResult intUnary(Interpreter &, Operation *op, Frame &frame, Fn fn) {
  const Tensor &a = frame.get(op->getOperand(0));
  unsigned width = getIntWidth(op->getResult(0).getType());
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i)
    r.getInts()[i] = wrapInt(fn(a.getInts()[i], width), width);
  return success();
}

/// Float predicate to i1.
template <typename Fn>
LogicalResult floatTest(Interpreter &, Operation *op, Frame &frame, Fn fn) {
  const Tensor &a = frame.get(op->getOperand(0));
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i)
    r.getInts()[i] = fn(a.getFloats()[i]) ? 1 : 0;
  return success();
}

int64_t addWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) +
                              static_cast<uint64_t>(b));
}
int64_t subWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}
int64_t mulWrap(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) *
                              static_cast<uint64_t>(b));
}

/// Signed division helpers: `error` on division by zero or overflow.
bool signedDivInvalid(int64_t a, int64_t b, unsigned width,
                      const char *&error) {
  if (b == 0) {
    error = "division by zero";
    return true;
  }
  int64_t minValue = width >= 64 ? std::numeric_limits<int64_t>::min()
                                 : -(int64_t(1) << (width - 1));
  if (b == -1 && a == minValue) {
    error = "signed division overflow";
    return true;
  }
  return false;
}

double maximumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double minimumF(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

//===----------------------------------------------------------------------===//
// func
//===----------------------------------------------------------------------===//

LogicalResult runCall(Interpreter &interp, Operation *op, Frame &frame) {
  auto call = cast<func::CallOp>(op);
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      op, call.getCalleeAttr());
  if (!callee)
    return interp.emitError(op)
           << "call to unknown function '" << call.getCallee() << "'";
  SmallVector<const Tensor *> args;
  for (Value v : call.getOperands())
    args.push_back(&frame.get(v));
  interp.pushContext({op, "called from here", {}, {}});
  LogicalResult result = interp.callFunction(
      callee, args, [&](ArrayRef<const Tensor *> results) {
        for (auto [r, t] : llvm::zip(call.getResults(), results))
          frame.slot(r) = *t;
      });
  interp.popContext();
  return result;
}

//===----------------------------------------------------------------------===//
// arith
//===----------------------------------------------------------------------===//

double apFloatToDouble(APFloat v) {
  bool losesInfo = false;
  v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return v.convertToDouble();
}

int64_t apIntToInt(const APInt &v) {
  unsigned width = v.getBitWidth();
  if (width == 1)
    return v.getBoolValue() ? 1 : 0;
  if (width > 64)
    return v.trunc(64).getSExtValue();
  return v.getSExtValue();
}

/// Converts a constant attribute to a tensor of `type`.
FailureOr<Tensor> attrToTensor(Interpreter &interp, Operation *op,
                               Attribute attr, Type type) {
  if (auto f = dyn_cast<FloatAttr>(attr))
    return Tensor::getScalar(apFloatToDouble(f.getValue()));
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return Tensor::getIntScalar(apIntToInt(i.getValue()));
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  auto rt = dyn_cast<RankedTensorType>(type);
  if (!dense || !rt || !rt.hasStaticShape())
    return interp.emitError(op)
           << "constant attribute " << attr
           << " is not supported by the reference interpreter";
  int64_t n = rt.getNumElements();
  if (isa<FloatType>(rt.getElementType())) {
    std::vector<double> data;
    if (dense.isSplat()) {
      data.assign(n, apFloatToDouble(dense.getSplatValue<APFloat>()));
    } else {
      data.reserve(n);
      for (APFloat v : dense.getValues<APFloat>())
        data.push_back(apFloatToDouble(v));
    }
    return Tensor::getFloat(rt.getShape(), std::move(data));
  }
  if (isa<IntegerType, IndexType>(rt.getElementType())) {
    std::vector<int64_t> data;
    if (dense.isSplat()) {
      data.assign(n, apIntToInt(dense.getSplatValue<APInt>()));
    } else {
      data.reserve(n);
      for (APInt v : dense.getValues<APInt>())
        data.push_back(apIntToInt(v));
    }
    return Tensor::getInt(rt.getShape(), std::move(data));
  }
  return interp.emitError(op) << "constant of type " << type
                              << " is not supported by the reference "
                                 "interpreter";
}

LogicalResult runConstant(Interpreter &interp, Operation *op, Frame &frame) {
  auto cst = cast<arith::ConstantOp>(op);
  Attribute attr = cst.getValue();
  Tensor &r = frame.slot(cst.getResult());
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    r.setScalar(apFloatToDouble(f.getValue()));
    return success();
  }
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    r.setIntScalar(apIntToInt(i.getValue()));
    return success();
  }
  // Tensor constants are converted once and copied afterwards.
  Tensor *cached = interp.getCachedConstant(op);
  if (!cached) {
    FailureOr<Tensor> t = attrToTensor(interp, op, attr, cst.getType());
    if (failed(t))
      return failure();
    cached = interp.cacheConstant(op, std::move(*t));
  }
  r = *cached;
  return success();
}

//===----------------------------------------------------------------------===//
// ml_program
//===----------------------------------------------------------------------===//

/// `ml_program.global_load_const`: an external global reads the weight bound
/// to its symbol name (runFunction checked every binding before running), a
/// global with a dense value reads that value.
LogicalResult runGlobalLoadConst(Interpreter &interp, Operation *op,
                                 Frame &frame) {
  auto load = cast<ml_program::GlobalLoadConstOp>(op);
  auto global = SymbolTable::lookupNearestSymbolFrom<ml_program::GlobalOp>(
      op, load.getGlobalAttr());
  if (!global)
    return interp.emitError(op)
           << "reference to unknown global " << load.getGlobalAttr();
  Tensor &r = frame.slot(load.getResult());
  Attribute value = global.getValueAttr();
  if (!value || isa<ml_program::ExternAttr>(value)) {
    const WeightMap *weights = interp.getWeights();
    if (weights) {
      auto it = weights->find(global.getSymName());
      if (it != weights->end()) {
        r = it->second;
        return success();
      }
    }
    return interp.emitError(op) << "no weight bound to global @\""
                                << global.getSymName() << "\"";
  }
  Tensor *cached = interp.getCachedConstant(global);
  if (!cached) {
    FailureOr<Tensor> t = attrToTensor(interp, op, value, global.getType());
    if (failed(t))
      return failure();
    cached = interp.cacheConstant(global, std::move(*t));
  }
  r = *cached;
  return success();
}

bool compareFloat(arith::CmpFPredicate p, double a, double b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (p) {
  case arith::CmpFPredicate::AlwaysFalse:
    return false;
  case arith::CmpFPredicate::OEQ:
    return !unordered && a == b;
  case arith::CmpFPredicate::OGT:
    return !unordered && a > b;
  case arith::CmpFPredicate::OGE:
    return !unordered && a >= b;
  case arith::CmpFPredicate::OLT:
    return !unordered && a < b;
  case arith::CmpFPredicate::OLE:
    return !unordered && a <= b;
  case arith::CmpFPredicate::ONE:
    return !unordered && a != b;
  case arith::CmpFPredicate::ORD:
    return !unordered;
  case arith::CmpFPredicate::UEQ:
    return unordered || a == b;
  case arith::CmpFPredicate::UGT:
    return unordered || a > b;
  case arith::CmpFPredicate::UGE:
    return unordered || a >= b;
  case arith::CmpFPredicate::ULT:
    return unordered || a < b;
  case arith::CmpFPredicate::ULE:
    return unordered || a <= b;
  case arith::CmpFPredicate::UNE:
    return unordered || a != b;
  case arith::CmpFPredicate::UNO:
    return unordered;
  case arith::CmpFPredicate::AlwaysTrue:
    return true;
  }
  return false;
}

LogicalResult runCmpF(Interpreter &interp, Operation *op, Frame &frame) {
  auto cmp = cast<arith::CmpFOp>(op);
  const Tensor &a = frame.get(cmp.getLhs());
  const Tensor &b = frame.get(cmp.getRhs());
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  arith::CmpFPredicate p = cmp.getPredicate();
  Tensor &r = frame.slot(cmp.getResult());
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i)
    r.getInts()[i] = compareFloat(p, a.getFloats()[i], b.getFloats()[i]);
  return success();
}

LogicalResult runCmpI(Interpreter &interp, Operation *op, Frame &frame) {
  auto cmp = cast<arith::CmpIOp>(op);
  const Tensor &a = frame.get(cmp.getLhs());
  const Tensor &b = frame.get(cmp.getRhs());
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  unsigned w = getIntWidth(cmp.getLhs().getType());
  arith::CmpIPredicate p = cmp.getPredicate();
  Tensor &r = frame.slot(cmp.getResult());
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i) {
    int64_t x = a.getInts()[i], y = b.getInts()[i];
    int64_t sx = asSigned(x, w), sy = asSigned(y, w);
    uint64_t ux = asUnsigned(x, w), uy = asUnsigned(y, w);
    bool v = false;
    switch (p) {
    case arith::CmpIPredicate::eq:
      v = x == y;
      break;
    case arith::CmpIPredicate::ne:
      v = x != y;
      break;
    case arith::CmpIPredicate::slt:
      v = sx < sy;
      break;
    case arith::CmpIPredicate::sle:
      v = sx <= sy;
      break;
    case arith::CmpIPredicate::sgt:
      v = sx > sy;
      break;
    case arith::CmpIPredicate::sge:
      v = sx >= sy;
      break;
    case arith::CmpIPredicate::ult:
      v = ux < uy;
      break;
    case arith::CmpIPredicate::ule:
      v = ux <= uy;
      break;
    case arith::CmpIPredicate::ugt:
      v = ux > uy;
      break;
    case arith::CmpIPredicate::uge:
      v = ux >= uy;
      break;
    }
    r.getInts()[i] = v ? 1 : 0;
  }
  return success();
}

LogicalResult runSelect(Interpreter &interp, Operation *op, Frame &frame) {
  auto sel = cast<arith::SelectOp>(op);
  const Tensor &c = frame.get(sel.getCondition());
  const Tensor &a = frame.get(sel.getTrueValue());
  const Tensor &b = frame.get(sel.getFalseValue());
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  bool scalarCond = c.getRank() == 0;
  if (!scalarCond && c.getShape() != a.getShape())
    return interp.emitError(op)
           << "'arith.select' condition shape " << c.getShapeString()
           << " differs from the value shape " << a.getShapeString();
  Tensor &r = frame.slot(sel.getResult());
  if (scalarCond) {
    r = c.getInts()[0] ? a : b;
    return success();
  }
  r.reset(a.getKind(), a.getShape());
  for (size_t i = 0, n = c.getInts().size(); i < n; ++i) {
    const Tensor &src = c.getInts()[i] ? a : b;
    if (a.isFloat())
      r.getFloats()[i] = src.getFloats()[i];
    else
      r.getInts()[i] = src.getInts()[i];
  }
  return success();
}

/// int -> float (`isSigned`: sitofp, else uitofp).
LogicalResult intToFloat(Interpreter &, Operation *op, Frame &frame,
                         bool isSigned) {
  const Tensor &a = frame.get(op->getOperand(0));
  unsigned w = getIntWidth(op->getOperand(0).getType());
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, a.getShape());
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i) {
    int64_t v = a.getInts()[i];
    r.getFloats()[i] = isSigned ? static_cast<double>(asSigned(v, w))
                                : static_cast<double>(asUnsigned(v, w));
  }
  return success();
}

/// float -> int, truncating toward zero; out of range (or NaN) is an error.
LogicalResult floatToInt(Interpreter &interp, Operation *op, Frame &frame,
                         bool isSigned) {
  const Tensor &a = frame.get(op->getOperand(0));
  unsigned w = getIntWidth(op->getResult(0).getType());
  double lo, hi; // the valid range is [lo, hi)
  if (isSigned) {
    lo = -std::ldexp(1.0, static_cast<int>(w) - 1);
    hi = std::ldexp(1.0, static_cast<int>(w) - 1);
  } else {
    lo = 0.0;
    hi = std::ldexp(1.0, static_cast<int>(w));
  }
  if (w == 1 && isSigned) {
    lo = -1.0;
    hi = 1.0;
  }
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i) {
    double v = std::trunc(a.getFloats()[i]);
    if (!(v >= lo && v < hi))
      return interp.emitError(op)
             << "'" << op->getName() << "': " << a.getFloats()[i]
             << " is out of range for " << getElementTypeOrSelf(op->getResult(0));
    int64_t x = isSigned ? static_cast<int64_t>(v)
                         : static_cast<int64_t>(static_cast<uint64_t>(v));
    r.getInts()[i] = wrapInt(x, w);
  }
  return success();
}

/// int -> int of another width (`isSigned`: sign-extend the source).
LogicalResult intToInt(Interpreter &, Operation *op, Frame &frame,
                       bool isSigned) {
  const Tensor &a = frame.get(op->getOperand(0));
  unsigned from = getIntWidth(op->getOperand(0).getType());
  unsigned to = getIntWidth(op->getResult(0).getType());
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Int, a.getShape());
  for (size_t i = 0, n = r.getInts().size(); i < n; ++i) {
    int64_t v = a.getInts()[i];
    int64_t ext = isSigned ? asSigned(v, from)
                           : static_cast<int64_t>(asUnsigned(v, from));
    r.getInts()[i] = wrapInt(ext, to);
  }
  return success();
}

/// extf / truncf: every float is a double here; the value is unchanged.
LogicalResult floatToFloat(Interpreter &, Operation *op, Frame &frame) {
  frame.slot(op->getResult(0)) = frame.get(op->getOperand(0));
  return success();
}

//===----------------------------------------------------------------------===//
// math
//===----------------------------------------------------------------------===//

int64_t countLeadingZeros(int64_t v, unsigned w) {
  uint64_t u = asUnsigned(v, w);
  unsigned n = 0;
  for (int bit = static_cast<int>(w) - 1; bit >= 0 && !((u >> bit) & 1); --bit)
    ++n;
  return n;
}

int64_t countTrailingZeros(int64_t v, unsigned w) {
  uint64_t u = asUnsigned(v, w);
  unsigned n = 0;
  while (n < w && !((u >> n) & 1))
    ++n;
  return n;
}

int64_t countOnes(int64_t v, unsigned w) {
  uint64_t u = asUnsigned(v, w);
  int64_t n = 0;
  for (; u; u &= u - 1)
    ++n;
  return n;
}

LogicalResult runFma(Interpreter &interp, Operation *op, Frame &frame) {
  const Tensor &a = frame.get(op->getOperand(0));
  const Tensor &b = frame.get(op->getOperand(1));
  const Tensor &c = frame.get(op->getOperand(2));
  if (failed(checkSameShapes(interp, op, {&a, &b, &c})))
    return failure();
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, a.getShape());
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i)
    r.getFloats()[i] =
        std::fma(a.getFloats()[i], b.getFloats()[i], c.getFloats()[i]);
  return success();
}

LogicalResult runClampF(Interpreter &interp, Operation *op, Frame &frame) {
  const Tensor &x = frame.get(op->getOperand(0));
  const Tensor &lo = frame.get(op->getOperand(1));
  const Tensor &hi = frame.get(op->getOperand(2));
  if (failed(checkSameShapes(interp, op, {&x, &lo, &hi})))
    return failure();
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, x.getShape());
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i)
    r.getFloats()[i] =
        minimumF(maximumF(x.getFloats()[i], lo.getFloats()[i]), hi.getFloats()[i]);
  return success();
}

LogicalResult runFPowI(Interpreter &interp, Operation *op, Frame &frame) {
  const Tensor &a = frame.get(op->getOperand(0));
  const Tensor &b = frame.get(op->getOperand(1));
  if (failed(checkSameShapes(interp, op, {&a, &b})))
    return failure();
  unsigned w = getIntWidth(op->getOperand(1).getType());
  Tensor &r = frame.slot(op->getResult(0));
  r.reset(Kind::Float, a.getShape());
  for (size_t i = 0, n = r.getFloats().size(); i < n; ++i)
    r.getFloats()[i] = std::pow(a.getFloats()[i],
                                static_cast<double>(asSigned(b.getInts()[i], w)));
  return success();
}

LogicalResult runIPowI(Interpreter &interp, Operation *op, Frame &frame) {
  return intBinary(interp, op, frame,
                   [](int64_t a, int64_t b, unsigned w, const char *&error) {
                     int64_t e = asSigned(b, w), base = asSigned(a, w);
                     if (e < 0) {
                       // Integer semantics of math.ipowi: 1/a^|e| truncated.
                       if (base == 0) {
                         error = "zero raised to a negative power";
                         return int64_t(0);
                       }
                       if (base == 1)
                         return int64_t(1);
                       if (base == -1)
                         return (e & 1) ? int64_t(-1) : int64_t(1);
                       return int64_t(0);
                     }
                     int64_t result = 1;
                     for (; e > 0; e >>= 1, base = mulWrap(base, base))
                       if (e & 1)
                         result = mulWrap(result, base);
                     return result;
                   });
}

//===----------------------------------------------------------------------===//
// tensor
//===----------------------------------------------------------------------===//

/// The value of a mixed static/dynamic size, offset or stride.
int64_t foldValue(OpFoldResult ofr, Frame &frame) {
  if (auto attr = dyn_cast<Attribute>(ofr))
    return cast<IntegerAttr>(attr).getInt();
  return getIndexValue(frame.get(cast<Value>(ofr)));
}

SmallVector<int64_t, 4> foldValues(ArrayRef<OpFoldResult> ofrs, Frame &frame) {
  SmallVector<int64_t, 4> values;
  for (OpFoldResult ofr : ofrs)
    values.push_back(foldValue(ofr, frame));
  return values;
}

SmallVector<int64_t, 4> indexValues(ValueRange values, Frame &frame) {
  SmallVector<int64_t, 4> result;
  for (Value v : values)
    result.push_back(getIndexValue(frame.get(v)));
  return result;
}

/// Calls `fn(index)` for every index of `sizes` in row-major order.
template <typename Fn>
void forEachIndex(ArrayRef<int64_t> sizes, Fn fn) {
  for (int64_t s : sizes)
    if (s <= 0)
      return;
  SmallVector<int64_t, 4> idx(sizes.size(), 0);
  while (true) {
    fn(ArrayRef<int64_t>(idx));
    int64_t d = static_cast<int64_t>(sizes.size()) - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < sizes[d])
        break;
      idx[d] = 0;
    }
    if (d < 0)
      return;
  }
}

/// Copies element `from` of `src` to element `to` of `dst` (same kind).
inline void copyElement(Tensor &dst, int64_t to, const Tensor &src,
                        int64_t from) {
  if (src.isFloat())
    dst.getFloats()[to] = src.getFloats()[from];
  else
    dst.getInts()[to] = src.getInts()[from];
}

/// Largest tensor a shape computed at run time may ask for (16 GiB of
/// doubles): a size from the inputs must not turn into an abort in malloc.
constexpr int64_t kMaxElements = int64_t(1) << 31;

/// Checks a shape computed at run time: no negative dim, and an element
/// count the interpreter can allocate.
LogicalResult checkShape(Interpreter &interp, Operation *op,
                         ArrayRef<int64_t> sizes) {
  int64_t n = 1;
  for (auto [i, s] : llvm::enumerate(sizes)) {
    if (s < 0)
      return interp.emitError(op) << "'" << op->getName() << "': size " << s
                                  << " of dim " << i << " is negative";
    if (s > 0 && n > kMaxElements / s)
      return interp.emitError(op)
             << "'" << op->getName() << "': shape " << formatShape(sizes)
             << " has more than " << kMaxElements << " elements";
    n *= s;
  }
  return interp.checkAllocation(op, sizes, "result");
}

LogicalResult runEmpty(Interpreter &interp, Operation *op, Frame &frame) {
  auto empty = cast<tensor::EmptyOp>(op);
  SmallVector<int64_t, 4> shape = getShapeWithDynamic(
      empty.getType(), indexValues(empty.getDynamicSizes(), frame));
  if (failed(checkShape(interp, op, shape)))
    return failure();
  // tensor.empty has unspecified contents; zeros make runs reproducible.
  frame.slot(empty.getResult()) =
      Tensor::getZeros(*getTensorKind(empty.getType()), shape);
  return success();
}

LogicalResult runSplat(Interpreter &interp, Operation *op, Frame &frame) {
  auto splat = cast<tensor::SplatOp>(op);
  SmallVector<int64_t, 4> shape = getShapeWithDynamic(
      splat.getType(), indexValues(splat.getDynamicSizes(), frame));
  if (failed(checkShape(interp, op, shape)))
    return failure();
  const Tensor &v = frame.get(splat.getInput());
  Tensor &r = frame.slot(splat.getResult());
  r.reset(v.getKind(), shape);
  if (v.isFloat())
    std::fill(r.getFloats().begin(), r.getFloats().end(), v.getFloats()[0]);
  else
    std::fill(r.getInts().begin(), r.getInts().end(), v.getInts()[0]);
  return success();
}

LogicalResult runDim(Interpreter &interp, Operation *op, Frame &frame) {
  auto dim = cast<tensor::DimOp>(op);
  const Tensor &src = frame.get(dim.getSource());
  int64_t i = getIndexValue(frame.get(dim.getIndex()));
  if (i < 0 || i >= src.getRank())
    return interp.emitError(op) << "'tensor.dim' index " << i
                                << " is out of range for a tensor of rank "
                                << src.getRank();
  frame.slot(dim.getResult()).setIntScalar(src.getDimSize(i));
  return success();
}

LogicalResult runRank(Interpreter &, Operation *op, Frame &frame) {
  frame.slot(op->getResult(0))
      .setIntScalar(frame.get(op->getOperand(0)).getRank());
  return success();
}

/// Checks `indices` against `shape` and returns the row-major offset.
FailureOr<int64_t> linearIndex(Interpreter &interp, Operation *op,
                               ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> indices) {
  if (indices.size() != shape.size())
    return interp.emitError(op) << "'" << op->getName() << "' has "
                                << indices.size() << " indices for rank "
                                << shape.size();
  int64_t offset = 0;
  for (auto [d, pair] : llvm::enumerate(llvm::zip(indices, shape))) {
    auto [i, n] = pair;
    if (i < 0 || i >= n)
      return interp.emitError(op)
             << "'" << op->getName() << "' index " << i
             << " is out of bounds for dim " << d << " of size " << n;
    offset = offset * n + i;
  }
  return offset;
}

LogicalResult runExtract(Interpreter &interp, Operation *op, Frame &frame) {
  auto ex = cast<tensor::ExtractOp>(op);
  const Tensor &src = frame.get(ex.getTensor());
  FailureOr<int64_t> at = linearIndex(interp, op, src.getShape(),
                                      indexValues(ex.getIndices(), frame));
  if (failed(at))
    return failure();
  Tensor &r = frame.slot(ex.getResult());
  if (src.isFloat())
    r.setScalar(src.getFloats()[*at]);
  else
    r.setIntScalar(src.getInts()[*at]);
  return success();
}

LogicalResult runInsert(Interpreter &interp, Operation *op, Frame &frame) {
  auto ins = cast<tensor::InsertOp>(op);
  const Tensor &dest = frame.get(ins.getDest());
  FailureOr<int64_t> at = linearIndex(interp, op, dest.getShape(),
                                      indexValues(ins.getIndices(), frame));
  if (failed(at))
    return failure();
  Tensor &r = frame.slot(ins.getResult());
  r = dest;
  copyElement(r, *at, frame.get(ins.getScalar()), 0);
  return success();
}

LogicalResult runFromElements(Interpreter &, Operation *op, Frame &frame) {
  auto fe = cast<tensor::FromElementsOp>(op);
  Tensor &r = frame.slot(fe.getResult());
  r.reset(*getTensorKind(fe.getType()), fe.getType().getShape());
  for (auto [i, v] : llvm::enumerate(fe.getElements()))
    copyElement(r, i, frame.get(v), 0);
  return success();
}

LogicalResult runCast(Interpreter &, Operation *op, Frame &frame) {
  // Static dims of the result are checked against the value by the executor.
  frame.slot(op->getResult(0)) = frame.get(op->getOperand(0));
  return success();
}

/// Checks a slice of `shape` and returns its full (unreduced) sizes.
LogicalResult checkSlice(Interpreter &interp, Operation *op,
                         ArrayRef<int64_t> shape, ArrayRef<int64_t> offsets,
                         ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  if (offsets.size() != shape.size() || sizes.size() != shape.size() ||
      strides.size() != shape.size())
    return interp.emitError(op) << "'" << op->getName()
                                << "' slice rank differs from the tensor rank "
                                << shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t off = offsets[d], size = sizes[d], stride = strides[d];
    if (size < 0)
      return interp.emitError(op) << "'" << op->getName() << "' size " << size
                                  << " of dim " << d << " is negative";
    if (size == 0)
      continue;
    if (stride < 1 && size > 1)
      return interp.emitError(op) << "'" << op->getName() << "' stride "
                                  << stride << " of dim " << d
                                  << " is not positive";
    int64_t last = off + (size - 1) * stride;
    if (off < 0 || last >= shape[d])
      return interp.emitError(op)
             << "'" << op->getName() << "' slice of dim " << d
             << " (offset " << off << ", size " << size << ", stride "
             << stride << ") is out of bounds for size " << shape[d];
  }
  return success();
}

LogicalResult runExtractSlice(Interpreter &interp, Operation *op,
                              Frame &frame) {
  auto sl = cast<tensor::ExtractSliceOp>(op);
  const Tensor &src = frame.get(sl.getSource());
  SmallVector<int64_t, 4> offsets = foldValues(sl.getMixedOffsets(), frame);
  SmallVector<int64_t, 4> sizes = foldValues(sl.getMixedSizes(), frame);
  SmallVector<int64_t, 4> strides = foldValues(sl.getMixedStrides(), frame);
  if (failed(checkSlice(interp, op, src.getShape(), offsets, sizes, strides)))
    return failure();
  llvm::SmallBitVector dropped = sl.getDroppedDims();
  SmallVector<int64_t, 4> shape;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (!dropped.test(d))
      shape.push_back(sizes[d]);
  SmallVector<int64_t, 4> srcStrides = getStrides(src.getShape());
  Tensor &r = frame.slot(sl.getResult());
  r.reset(src.getKind(), shape);
  int64_t k = 0;
  forEachIndex(sizes, [&](ArrayRef<int64_t> idx) {
    int64_t from = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      from += (offsets[d] + idx[d] * strides[d]) * srcStrides[d];
    copyElement(r, k++, src, from);
  });
  return success();
}

LogicalResult runInsertSlice(Interpreter &interp, Operation *op,
                             Frame &frame) {
  auto sl = cast<tensor::InsertSliceOp>(op);
  const Tensor &src = frame.get(sl.getSource());
  const Tensor &dest = frame.get(sl.getDest());
  SmallVector<int64_t, 4> offsets = foldValues(sl.getMixedOffsets(), frame);
  SmallVector<int64_t, 4> sizes = foldValues(sl.getMixedSizes(), frame);
  SmallVector<int64_t, 4> strides = foldValues(sl.getMixedStrides(), frame);
  if (failed(checkSlice(interp, op, dest.getShape(), offsets, sizes, strides)))
    return failure();
  llvm::SmallBitVector dropped = sl.getDroppedDims();
  SmallVector<int64_t, 4> expected;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (!dropped.test(d))
      expected.push_back(sizes[d]);
  if (ArrayRef<int64_t>(expected) != src.getShape())
    return interp.emitError(op)
           << "'tensor.insert_slice' source of shape " << src.getShapeString()
           << " does not match the slice sizes " << formatShape(sizes);
  SmallVector<int64_t, 4> destStrides = getStrides(dest.getShape());
  Tensor &r = frame.slot(sl.getResult());
  r = dest;
  int64_t k = 0;
  forEachIndex(sizes, [&](ArrayRef<int64_t> idx) {
    int64_t to = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      to += (offsets[d] + idx[d] * strides[d]) * destStrides[d];
    copyElement(r, to, src, k++);
  });
  return success();
}

LogicalResult runExpandShape(Interpreter &interp, Operation *op,
                             Frame &frame) {
  auto ex = cast<tensor::ExpandShapeOp>(op);
  const Tensor &src = frame.get(ex.getSrc());
  SmallVector<int64_t, 4> shape = foldValues(ex.getMixedOutputShape(), frame);
  for (auto [g, group] : llvm::enumerate(ex.getReassociationIndices())) {
    int64_t product = 1;
    for (int64_t d : group)
      product *= shape[d];
    if (g >= static_cast<size_t>(src.getRank()) ||
        product != src.getDimSize(g))
      return interp.emitError(op)
             << "'tensor.expand_shape' output shape " << formatShape(shape)
             << " does not expand the source shape " << src.getShapeString();
  }
  Tensor &r = frame.slot(ex.getResult());
  r = src;
  r.reset(src.getKind(), shape); // same element count: the data is kept
  return success();
}

LogicalResult runCollapseShape(Interpreter &, Operation *op, Frame &frame) {
  auto co = cast<tensor::CollapseShapeOp>(op);
  const Tensor &src = frame.get(co.getSrc());
  SmallVector<int64_t, 4> shape;
  for (const ReassociationIndices &group : co.getReassociationIndices()) {
    int64_t product = 1;
    for (int64_t d : group)
      product *= src.getDimSize(d);
    shape.push_back(product);
  }
  Tensor &r = frame.slot(co.getResult());
  r = src;
  r.reset(src.getKind(), shape);
  return success();
}

LogicalResult runReshape(Interpreter &interp, Operation *op, Frame &frame) {
  auto re = cast<tensor::ReshapeOp>(op);
  const Tensor &src = frame.get(re.getSource());
  const Tensor &shapeT = frame.get(re.getShape());
  SmallVector<int64_t, 4> shape(shapeT.getInts().begin(),
                                shapeT.getInts().end());
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return interp.emitError(op) << "'tensor.reshape' shape "
                                  << formatShape(shape) << " has a negative dim";
    n *= d;
  }
  if (n != src.getNumElements())
    return interp.emitError(op)
           << "'tensor.reshape' cannot reshape " << src.getShapeString()
           << " (" << src.getNumElements() << " elements) to "
           << formatShape(shape);
  Tensor &r = frame.slot(re.getResult());
  r = src;
  r.reset(src.getKind(), shape);
  return success();
}

LogicalResult runConcat(Interpreter &interp, Operation *op, Frame &frame) {
  auto cc = cast<tensor::ConcatOp>(op);
  int64_t axis = static_cast<int64_t>(cc.getDim());
  SmallVector<const Tensor *> inputs;
  for (Value v : cc.getInputs())
    inputs.push_back(&frame.get(v));
  SmallVector<int64_t, 4> shape(inputs.front()->getShape());
  shape[axis] = 0;
  for (auto [k, t] : llvm::enumerate(inputs)) {
    for (int64_t d = 0; d < t->getRank(); ++d)
      if (d != axis && t->getDimSize(d) != shape[d])
        return interp.emitError(op)
               << "'tensor.concat' input #" << k << " of shape "
               << t->getShapeString() << " differs from input #0 of shape "
               << inputs.front()->getShapeString() << " in dim " << d;
    shape[axis] += t->getDimSize(axis);
  }
  Tensor &r = frame.slot(cc.getResult());
  r.reset(inputs.front()->getKind(), shape);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *t : inputs) {
      int64_t chunk = t->getDimSize(axis) * inner;
      for (int64_t i = 0; i < chunk; ++i)
        copyElement(r, to++, *t, o * chunk + i);
    }
  return success();
}

/// Runs a single-block region with index arguments per element of `shape`
/// (tensor.generate, the padding of tensor.pad) and stores its yield.
LogicalResult runIndexRegion(Interpreter &interp, Operation *op, Frame &frame,
                             Block &body, ArrayRef<int64_t> idx, Tensor &r,
                             int64_t to) {
  for (auto [arg, i] : llvm::zip(body.getArguments(), idx))
    frame.slot(arg).setIntScalar(i);
  SmallVector<const Tensor *, 1> yielded;
  if (failed(interp.runBlock(body, frame, &yielded)))
    return failure();
  if (yielded.size() != 1)
    return interp.emitError(op) << "'" << op->getName()
                                << "' region must yield one value";
  copyElement(r, to, *yielded[0], 0);
  return success();
}

LogicalResult runGenerate(Interpreter &interp, Operation *op, Frame &frame) {
  auto gen = cast<tensor::GenerateOp>(op);
  SmallVector<int64_t, 4> shape = getShapeWithDynamic(
      gen.getType(), indexValues(gen.getDynamicExtents(), frame));
  if (failed(checkShape(interp, op, shape)))
    return failure();
  Tensor result = Tensor::getZeros(*getTensorKind(gen.getType()), shape);
  Block &body = gen.getBody().front();
  int64_t k = 0;
  LogicalResult status = success();
  forEachIndex(shape, [&](ArrayRef<int64_t> idx) {
    if (failed(status))
      return;
    status = runIndexRegion(interp, op, frame, body, idx, result, k++);
  });
  if (failed(status))
    return failure();
  frame.slot(gen.getResult()) = std::move(result);
  return success();
}

LogicalResult runPad(Interpreter &interp, Operation *op, Frame &frame) {
  auto pad = cast<tensor::PadOp>(op);
  const Tensor &src = frame.get(pad.getSource());
  SmallVector<int64_t, 4> low = foldValues(pad.getMixedLowPad(), frame);
  SmallVector<int64_t, 4> high = foldValues(pad.getMixedHighPad(), frame);
  SmallVector<int64_t, 4> shape;
  for (int64_t d = 0; d < src.getRank(); ++d) {
    if (low[d] < 0 || high[d] < 0)
      return interp.emitError(op) << "'tensor.pad' padding of dim " << d
                                  << " is negative";
    shape.push_back(low[d] + src.getDimSize(d) + high[d]);
  }
  if (failed(checkShape(interp, op, shape)))
    return failure();
  Tensor result = Tensor::getZeros(src.getKind(), shape);
  SmallVector<int64_t, 4> srcStrides = getStrides(src.getShape());
  Block &body = pad.getRegion().front();
  int64_t k = 0;
  LogicalResult status = success();
  forEachIndex(shape, [&](ArrayRef<int64_t> idx) {
    if (failed(status))
      return;
    int64_t from = 0;
    bool inside = true;
    for (size_t d = 0; d < idx.size() && inside; ++d) {
      int64_t s = idx[d] - low[d];
      inside = s >= 0 && s < src.getDimSize(d);
      from += s * srcStrides[d];
    }
    if (inside)
      copyElement(result, k, src, from);
    else
      status = runIndexRegion(interp, op, frame, body, idx, result, k);
    ++k;
  });
  if (failed(status))
    return failure();
  frame.slot(pad.getResult()) = std::move(result);
  return success();
}

//===----------------------------------------------------------------------===//
// linalg
//===----------------------------------------------------------------------===//

/// An indexing-map result as `c + Σ_d coef[d] · iv[d]`; false if the
/// expression is not linear in the loop dims (mod, div, symbols).
bool linearize(AffineExpr e, int64_t mult, MutableArrayRef<int64_t> coef,
               int64_t &c) {
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    coef[d.getPosition()] += mult;
    return true;
  }
  if (auto k = dyn_cast<AffineConstantExpr>(e)) {
    c += mult * k.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (e.getKind() == AffineExprKind::Add)
    return linearize(bin.getLHS(), mult, coef, c) &&
           linearize(bin.getRHS(), mult, coef, c);
  if (e.getKind() == AffineExprKind::Mul) {
    if (auto k = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearize(bin.getLHS(), mult * k.getValue(), coef, c);
    if (auto k = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearize(bin.getRHS(), mult * k.getValue(), coef, c);
  }
  return false;
}

/// Evaluates an affine expression of the loop dims (no symbols).
std::optional<int64_t> evalAffine(AffineExpr e, ArrayRef<int64_t> iv) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return iv[d.getPosition()];
  if (auto k = dyn_cast<AffineConstantExpr>(e))
    return k.getValue();
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  std::optional<int64_t> l = evalAffine(bin.getLHS(), iv);
  std::optional<int64_t> r = evalAffine(bin.getRHS(), iv);
  if (!l || !r)
    return std::nullopt;
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return *l + *r;
  case AffineExprKind::Mul:
    return *l * *r;
  case AffineExprKind::Mod:
    if (*r <= 0)
      return std::nullopt;
    return ((*l % *r) + *r) % *r;
  case AffineExprKind::FloorDiv:
    if (*r <= 0)
      return std::nullopt;
    return *l >= 0 ? *l / *r : -((-*l + *r - 1) / *r);
  case AffineExprKind::CeilDiv:
    if (*r <= 0)
      return std::nullopt;
    return *l >= 0 ? (*l + *r - 1) / *r : -((-*l) / *r);
  default:
    return std::nullopt;
  }
}

/// How one operand of a linalg op is addressed at a loop point.
struct OperandAccess {
  const Tensor *data = nullptr; // the input, or the output being built
  AffineMap map;
  SmallVector<int64_t, 4> shape;
  SmallVector<int64_t, 4> strides;
  bool linear = true;
  SmallVector<int64_t, 4> coef; // per loop: element offset increment
  int64_t base = 0;
};

/// C += A·B for the default maps of linalg.matmul / batch_matmul on floats
/// (their body is `out + a·b`; every float is a double here).
LogicalResult runMatmulFast(Interpreter &interp, Operation *op, Frame &frame,
                            bool batched) {
  auto lop = cast<linalg::LinalgOp>(op);
  const Tensor &a = frame.get(lop.getDpsInputs()[0]);
  const Tensor &b = frame.get(lop.getDpsInputs()[1]);
  const Tensor &c = frame.get(lop.getDpsInits()[0]);
  unsigned o = batched ? 1 : 0;
  int64_t nb = batched ? a.getDimSize(0) : 1;
  int64_t m = a.getDimSize(o), k = a.getDimSize(o + 1), n = b.getDimSize(o + 1);
  if ((batched && (b.getDimSize(0) != nb || c.getDimSize(0) != nb)) ||
      b.getDimSize(o) != k || c.getDimSize(o) != m || c.getDimSize(o + 1) != n)
    return interp.emitError(op)
           << "'" << op->getName() << "' operand shapes "
           << a.getShapeString() << ", " << b.getShapeString() << " -> "
           << c.getShapeString() << " do not agree";
  Tensor &r = frame.slot(op->getResult(0));
  r = c;
  const double *ap = a.getFloats().data(), *bp = b.getFloats().data();
  double *rp = r.getFloats().data();
  for (int64_t q = 0; q < nb; ++q)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = rp[(q * m + i) * n + j];
        for (int64_t l = 0; l < k; ++l)
          acc += ap[(q * m + i) * k + l] * bp[(q * k + l) * n + j];
        rp[(q * m + i) * n + j] = acc;
      }
  return success();
}

LogicalResult runLinalg(Interpreter &interp, Operation *op, Frame &frame) {
  auto lop = dyn_cast<linalg::LinalgOp>(op);
  if (!lop)
    return interp.emitError(op) << "'" << op->getName()
                                << "' is not a structured linalg op";
  if (!lop.hasPureTensorSemantics())
    return interp.emitError(op) << "'" << op->getName()
                                << "' on memrefs is not supported by the "
                                   "reference interpreter";

  bool allFloat = llvm::all_of(op->getOperandTypes(), [](Type t) {
    return isa<FloatType>(getElementTypeOrSelf(t));
  });
  if (allFloat && isa<linalg::MatmulOp>(op) &&
      !cast<linalg::MatmulOp>(op).hasUserDefinedMaps())
    return runMatmulFast(interp, op, frame, /*batched=*/false);
  if (allFloat && isa<linalg::BatchMatmulOp>(op) &&
      !cast<linalg::BatchMatmulOp>(op).hasUserDefinedMaps())
    return runMatmulFast(interp, op, frame, /*batched=*/true);

  SmallVector<AffineMap> maps = lop.getIndexingMapsArray();
  unsigned numLoops = lop.getNumLoops();
  unsigned numInputs = lop.getNumDpsInputs();
  unsigned numOperands = op->getNumOperands();
  if (maps.size() != numOperands)
    return interp.emitError(op) << "'" << op->getName()
                                << "' has " << maps.size()
                                << " indexing maps for " << numOperands
                                << " operands";

  // Results start as copies of the inits (destination-passing style).
  SmallVector<Tensor, 2> outputs;
  for (Value init : lop.getDpsInits())
    outputs.push_back(frame.get(init));

  SmallVector<OperandAccess, 4> access(numOperands);
  for (unsigned k = 0; k < numOperands; ++k) {
    OperandAccess &acc = access[k];
    acc.data = k < numInputs ? &frame.get(op->getOperand(k))
                             : &outputs[k - numInputs];
    acc.map = maps[k];
    acc.shape.assign(acc.data->getShape().begin(), acc.data->getShape().end());
    if (acc.map.getNumSymbols() != 0 || acc.map.getNumDims() != numLoops ||
        acc.map.getNumResults() != acc.shape.size())
      return interp.emitError(op) << "'" << op->getName()
                                  << "': indexing map #" << k
                                  << " does not fit an operand of shape "
                                  << acc.data->getShapeString();
  }

  // Loop extents come from operand dims indexed by a plain loop dim.
  SmallVector<int64_t, 4> extent(numLoops, -1);
  for (OperandAccess &acc : access)
    for (auto [p, e] : llvm::enumerate(acc.map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(e))
        if (extent[d.getPosition()] < 0)
          extent[d.getPosition()] = acc.shape[p];
  for (auto [d, n] : llvm::enumerate(extent))
    if (n < 0)
      return interp.emitError(op) << "'" << op->getName()
                                  << "': cannot infer the extent of loop d"
                                  << d << " from the operand shapes";
  bool empty = llvm::any_of(extent, [](int64_t n) { return n == 0; });

  // Addressing: linear maps get offset coefficients and a bounds check over
  // the whole iteration box; other maps are evaluated and checked per point.
  for (auto [k, acc] : llvm::enumerate(access)) {
    acc.strides = getStrides(acc.shape);
    acc.coef.assign(numLoops, 0);
    for (auto [p, e] : llvm::enumerate(acc.map.getResults())) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        if (acc.shape[p] != extent[d.getPosition()])
          return interp.emitError(op)
                 << "'" << op->getName() << "': operand #" << k
                 << " has size " << acc.shape[p] << " in dim " << p
                 << " but loop d" << d.getPosition() << " runs "
                 << extent[d.getPosition()] << " times";
      }
      SmallVector<int64_t, 4> coef(numLoops, 0);
      int64_t c = 0;
      if (!linearize(e, 1, coef, c)) {
        acc.linear = false;
        continue;
      }
      if (!empty) {
        int64_t lo = c, hi = c;
        for (unsigned d = 0; d < numLoops; ++d) {
          int64_t span = coef[d] * (extent[d] - 1);
          (span < 0 ? lo : hi) += span;
        }
        if (lo < 0 || hi >= acc.shape[p])
          return interp.emitError(op)
                 << "'" << op->getName() << "': operand #" << k
                 << " is accessed at [" << lo << ", " << hi << "] in dim " << p
                 << " of size " << acc.shape[p];
      }
      for (unsigned d = 0; d < numLoops; ++d)
        acc.coef[d] += coef[d] * acc.strides[p];
      acc.base += c * acc.strides[p];
    }
  }

  Block &body = op->getRegion(0).front();
  if (body.getNumArguments() > numOperands)
    return interp.emitError(op) << "'" << op->getName() << "' body takes "
                                << body.getNumArguments()
                                << " arguments for " << numOperands
                                << " operands";
  SmallVector<Tensor *, 4> argSlots;
  for (BlockArgument arg : body.getArguments())
    argSlots.push_back(&frame.slot(arg));
  SmallVector<std::pair<Operation *, OpHandler>, 8> bodyOps;
  for (Operation &inner : body.without_terminator()) {
    OpHandler h = interp.getHandler(&inner);
    if (!h)
      return interp.emitError(&inner)
             << "'" << inner.getName()
             << "' is not supported by the reference interpreter";
    bodyOps.push_back({&inner, h});
  }
  Operation *yield = body.getTerminator();
  if (yield->getNumOperands() != outputs.size())
    return interp.emitError(yield) << "'linalg.yield' yields "
                                   << yield->getNumOperands()
                                   << " values for " << outputs.size()
                                   << " outputs";

  SmallVector<int64_t, 4> iv(numLoops, 0);
  SmallVector<int64_t, 4> offsets(numOperands, 0);
  SmallVector<StringRef, 4> names;
  static const char *const kLoopNames[] = {"d0", "d1", "d2", "d3", "d4",
                                           "d5", "d6", "d7", "d8", "d9"};
  for (unsigned d = 0; d < numLoops; ++d)
    names.push_back(d < 10 ? kLoopNames[d] : "d");
  interp.pushContext({op, "element", names, iv});
  interp.pushLinalgIndices(iv);
  llvm::scope_exit popAll([&] {
    interp.popLinalgIndices();
    interp.popContext();
  });

  while (!empty) {
    // Offsets of this point.
    for (auto [k, acc] : llvm::enumerate(access)) {
      int64_t off = 0;
      if (acc.linear) {
        off = acc.base;
        for (unsigned d = 0; d < numLoops; ++d)
          off += acc.coef[d] * iv[d];
      } else {
        for (auto [p, e] : llvm::enumerate(acc.map.getResults())) {
          std::optional<int64_t> i = evalAffine(e, iv);
          if (!i || *i < 0 || *i >= acc.shape[p])
            return interp.emitError(op)
                   << "'" << op->getName() << "': operand #" << k
                   << " index in dim " << p << " is out of bounds";
          off += *i * acc.strides[p];
        }
      }
      offsets[k] = off;
    }
    for (auto [k, slot] : llvm::enumerate(argSlots)) {
      const Tensor &t = *access[k].data;
      if (t.isFloat())
        slot->setScalar(t.getFloats()[offsets[k]]);
      else
        slot->setIntScalar(t.getInts()[offsets[k]]);
    }
    for (auto [inner, h] : bodyOps)
      if (failed(interp.runOp(inner, h, frame)))
        return failure();
    for (auto [j, v] : llvm::enumerate(yield->getOperands()))
      copyElement(outputs[j], offsets[numInputs + j], frame.get(v), 0);

    int64_t d = static_cast<int64_t>(numLoops) - 1;
    for (; d >= 0; --d) {
      if (++iv[d] < extent[d])
        break;
      iv[d] = 0;
    }
    if (d < 0)
      break;
  }

  for (auto [r, t] : llvm::zip(op->getResults(), outputs))
    frame.slot(r) = std::move(t);
  return success();
}

LogicalResult runLinalgIndex(Interpreter &interp, Operation *op,
                             Frame &frame) {
  auto idx = cast<linalg::IndexOp>(op);
  ArrayRef<int64_t> iv = interp.getLinalgIndices();
  uint64_t d = idx.getDim();
  if (d >= iv.size())
    return interp.emitError(op) << "'linalg.index' dimension " << d
                                << " is not a loop of the enclosing op";
  frame.slot(idx.getResult()).setIntScalar(iv[d]);
  return success();
}

//===----------------------------------------------------------------------===//
// scf
//===----------------------------------------------------------------------===//

LogicalResult runFor(Interpreter &interp, Operation *op, Frame &frame) {
  auto loop = cast<scf::ForOp>(op);
  unsigned w = getIntWidth(loop.getInductionVar().getType());
  int64_t lb = asSigned(getIndexValue(frame.get(loop.getLowerBound())), w);
  int64_t ub = asSigned(getIndexValue(frame.get(loop.getUpperBound())), w);
  int64_t step = asSigned(getIndexValue(frame.get(loop.getStep())), w);
  if (loop.getUnsignedCmp()) {
    lb = static_cast<int64_t>(asUnsigned(lb, w));
    ub = static_cast<int64_t>(asUnsigned(ub, w));
  }
  if (step <= 0)
    return interp.emitError(op) << "'scf.for' step " << step
                                << " is not positive";
  Block &body = *loop.getBody();
  SmallVector<Tensor, 4> carried;
  for (Value v : loop.getInitArgs())
    carried.push_back(frame.get(v));
  int64_t iter = 0;
  StringRef name = "iv";
  interp.pushContext({op, "iteration", name, iter});
  llvm::scope_exit pop([&] { interp.popContext(); });
  SmallVector<const Tensor *, 4> yielded;
  for (int64_t i = lb; i < ub; i += step) {
    iter = i;
    frame.slot(loop.getInductionVar()).setIntScalar(i);
    for (auto [arg, t] : llvm::zip(loop.getRegionIterArgs(), carried))
      std::swap(frame.slot(arg), t);
    if (failed(interp.runBlock(body, frame, &yielded)))
      return failure();
    for (auto [t, y] : llvm::zip(carried, yielded))
      t = *y;
  }
  for (auto [r, t] : llvm::zip(loop.getResults(), carried))
    frame.slot(r) = std::move(t);
  return success();
}

LogicalResult runIf(Interpreter &interp, Operation *op, Frame &frame) {
  auto ifOp = cast<scf::IfOp>(op);
  bool cond = frame.get(ifOp.getCondition()).getInts()[0] != 0;
  Region &region = cond ? ifOp.getThenRegion() : ifOp.getElseRegion();
  if (region.empty())
    return success(); // no results without an else region
  SmallVector<const Tensor *, 4> yielded;
  if (failed(interp.runBlock(region.front(), frame, &yielded)))
    return failure();
  SmallVector<Tensor, 4> values;
  for (const Tensor *t : yielded)
    values.push_back(*t);
  for (auto [r, t] : llvm::zip(ifOp.getResults(), values))
    frame.slot(r) = std::move(t);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

#define FLOAT_UNARY(NAME, EXPR)                                                \
  table[NAME] = [](Interpreter &i, Operation *op, Frame &f) {                  \
    return floatUnary(i, op, f, [](double x) { return EXPR; });                \
  }
#define FLOAT_BINARY(NAME, EXPR)                                               \
  table[NAME] = [](Interpreter &i, Operation *op, Frame &f) {                  \
    return floatBinary(i, op, f, [](double a, double b) { return EXPR; });     \
  }
#define INT_BINARY(NAME, ...)                                                  \
  table[NAME] = [](Interpreter &i, Operation *op, Frame &f) {                  \
    return intBinary(i, op, f,                                                 \
                     [](int64_t a, int64_t b, unsigned w,                      \
                        const char *&error) -> int64_t {                       \
                       (void)w;                                                \
                       (void)error;                                            \
                       __VA_ARGS__                                             \
                     });                                                       \
  }
#define INT_UNARY(NAME, EXPR)                                                  \
  table[NAME] = [](Interpreter &i, Operation *op, Frame &f) {                  \
    return intUnary(i, op, f, [](int64_t a, unsigned w) -> int64_t {           \
      (void)w;                                                                 \
      return EXPR;                                                             \
    });                                                                        \
  }
#define FLOAT_TEST(NAME, EXPR)                                                 \
  table[NAME] = [](Interpreter &i, Operation *op, Frame &f) {                  \
    return floatTest(i, op, f, [](double x) { return EXPR; });                 \
  }

OpHandler hymir::ref::detail::getFallbackHandler(Operation *op) {
  if (isa<linalg::LinalgOp>(op))
    return runLinalg;
  return nullptr;
}

void hymir::ref::detail::registerUpstreamHandlers(HandlerTable &table) {
  // func
  table["func.call"] = runCall;

  // arith: constants, float arithmetic
  table["arith.constant"] = runConstant;
  FLOAT_BINARY("arith.addf", a + b);
  FLOAT_BINARY("arith.subf", a - b);
  FLOAT_BINARY("arith.mulf", a * b);
  FLOAT_BINARY("arith.divf", a / b);
  FLOAT_BINARY("arith.remf", std::fmod(a, b));
  FLOAT_BINARY("arith.maximumf", maximumF(a, b));
  FLOAT_BINARY("arith.minimumf", minimumF(a, b));
  FLOAT_BINARY("arith.maxnumf", std::fmax(a, b));
  FLOAT_BINARY("arith.minnumf", std::fmin(a, b));
  FLOAT_UNARY("arith.negf", -x);
  table["arith.cmpf"] = runCmpF;
  table["arith.select"] = runSelect;

  // arith: integers
  INT_BINARY("arith.addi", return addWrap(a, b););
  INT_BINARY("arith.subi", return subWrap(a, b););
  INT_BINARY("arith.muli", return mulWrap(asSigned(a, w), asSigned(b, w)););
  INT_BINARY("arith.andi", return a & b;);
  INT_BINARY("arith.ori", return a | b;);
  INT_BINARY("arith.xori", return a ^ b;);
  INT_BINARY("arith.maxsi", return std::max(asSigned(a, w), asSigned(b, w)););
  INT_BINARY("arith.minsi", return std::min(asSigned(a, w), asSigned(b, w)););
  INT_BINARY("arith.maxui",
             return static_cast<int64_t>(
                 std::max(asUnsigned(a, w), asUnsigned(b, w))););
  INT_BINARY("arith.minui",
             return static_cast<int64_t>(
                 std::min(asUnsigned(a, w), asUnsigned(b, w))););
  INT_BINARY("arith.divsi", {
    int64_t x = asSigned(a, w), y = asSigned(b, w);
    if (signedDivInvalid(x, y, w, error))
      return 0;
    return x / y;
  });
  INT_BINARY("arith.remsi", {
    int64_t x = asSigned(a, w), y = asSigned(b, w);
    if (signedDivInvalid(x, y, w, error))
      return 0;
    return x % y;
  });
  INT_BINARY("arith.floordivsi", {
    int64_t x = asSigned(a, w), y = asSigned(b, w);
    if (signedDivInvalid(x, y, w, error))
      return 0;
    int64_t q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  });
  INT_BINARY("arith.ceildivsi", {
    int64_t x = asSigned(a, w), y = asSigned(b, w);
    if (signedDivInvalid(x, y, w, error))
      return 0;
    int64_t q = x / y;
    return (x % y != 0 && ((x < 0) == (y < 0))) ? q + 1 : q;
  });
  INT_BINARY("arith.divui", {
    uint64_t x = asUnsigned(a, w), y = asUnsigned(b, w);
    if (y == 0) {
      error = "division by zero";
      return 0;
    }
    return static_cast<int64_t>(x / y);
  });
  INT_BINARY("arith.remui", {
    uint64_t x = asUnsigned(a, w), y = asUnsigned(b, w);
    if (y == 0) {
      error = "division by zero";
      return 0;
    }
    return static_cast<int64_t>(x % y);
  });
  INT_BINARY("arith.shli", {
    uint64_t s = asUnsigned(b, w);
    if (s >= w) {
      error = "shift amount is not less than the bit width";
      return 0;
    }
    return static_cast<int64_t>(asUnsigned(a, w) << s);
  });
  INT_BINARY("arith.shrui", {
    uint64_t s = asUnsigned(b, w);
    if (s >= w) {
      error = "shift amount is not less than the bit width";
      return 0;
    }
    return static_cast<int64_t>(asUnsigned(a, w) >> s);
  });
  INT_BINARY("arith.shrsi", {
    uint64_t s = asUnsigned(b, w);
    if (s >= w) {
      error = "shift amount is not less than the bit width";
      return 0;
    }
    return asSigned(a, w) >> s;
  });
  table["arith.cmpi"] = runCmpI;

  // arith: conversions
  table["arith.sitofp"] = [](Interpreter &i, Operation *op, Frame &f) {
    return intToFloat(i, op, f, /*isSigned=*/true);
  };
  table["arith.uitofp"] = [](Interpreter &i, Operation *op, Frame &f) {
    return intToFloat(i, op, f, /*isSigned=*/false);
  };
  table["arith.fptosi"] = [](Interpreter &i, Operation *op, Frame &f) {
    return floatToInt(i, op, f, /*isSigned=*/true);
  };
  table["arith.fptoui"] = [](Interpreter &i, Operation *op, Frame &f) {
    return floatToInt(i, op, f, /*isSigned=*/false);
  };
  for (const char *name : {"arith.index_cast", "arith.extsi", "arith.trunci"})
    table[name] = [](Interpreter &i, Operation *op, Frame &f) {
      return intToInt(i, op, f, /*isSigned=*/true);
    };
  for (const char *name : {"arith.index_castui", "arith.extui"})
    table[name] = [](Interpreter &i, Operation *op, Frame &f) {
      return intToInt(i, op, f, /*isSigned=*/false);
    };
  table["arith.extf"] = floatToFloat;
  table["arith.truncf"] = floatToFloat;

  // math
  FLOAT_UNARY("math.exp", std::exp(x));
  FLOAT_UNARY("math.exp2", std::exp2(x));
  FLOAT_UNARY("math.expm1", std::expm1(x));
  FLOAT_UNARY("math.log", std::log(x));
  FLOAT_UNARY("math.log1p", std::log1p(x));
  FLOAT_UNARY("math.log2", std::log2(x));
  FLOAT_UNARY("math.log10", std::log10(x));
  FLOAT_UNARY("math.tanh", std::tanh(x));
  FLOAT_UNARY("math.sinh", std::sinh(x));
  FLOAT_UNARY("math.cosh", std::cosh(x));
  FLOAT_UNARY("math.sqrt", std::sqrt(x));
  FLOAT_UNARY("math.rsqrt", 1.0 / std::sqrt(x));
  FLOAT_UNARY("math.cbrt", std::cbrt(x));
  FLOAT_UNARY("math.absf", std::fabs(x));
  FLOAT_UNARY("math.floor", std::floor(x));
  FLOAT_UNARY("math.ceil", std::ceil(x));
  FLOAT_UNARY("math.trunc", std::trunc(x));
  FLOAT_UNARY("math.round", std::round(x));
  FLOAT_UNARY("math.roundeven", std::nearbyint(x));
  FLOAT_UNARY("math.cos", std::cos(x));
  FLOAT_UNARY("math.sin", std::sin(x));
  FLOAT_UNARY("math.tan", std::tan(x));
  FLOAT_UNARY("math.acos", std::acos(x));
  FLOAT_UNARY("math.asin", std::asin(x));
  FLOAT_UNARY("math.atan", std::atan(x));
  FLOAT_UNARY("math.acosh", std::acosh(x));
  FLOAT_UNARY("math.asinh", std::asinh(x));
  FLOAT_UNARY("math.atanh", std::atanh(x));
  FLOAT_UNARY("math.erf", std::erf(x));
  FLOAT_UNARY("math.erfc", std::erfc(x));
  FLOAT_BINARY("math.powf", std::pow(a, b));
  FLOAT_BINARY("math.atan2", std::atan2(a, b));
  FLOAT_BINARY("math.copysign", std::copysign(a, b));
  table["math.fma"] = runFma;
  table["math.clampf"] = runClampF;
  table["math.fpowi"] = runFPowI;
  table["math.ipowi"] = runIPowI;
  FLOAT_TEST("math.isnan", std::isnan(x));
  FLOAT_TEST("math.isinf", std::isinf(x));
  FLOAT_TEST("math.isfinite", std::isfinite(x));
  FLOAT_TEST("math.isnormal", std::isnormal(x));
  INT_UNARY("math.absi", asSigned(a, w) < 0 ? -asSigned(a, w) : a);
  INT_UNARY("math.ctlz", countLeadingZeros(a, w));
  INT_UNARY("math.cttz", countTrailingZeros(a, w));
  INT_UNARY("math.ctpop", countOnes(a, w));

  // tensor
  table["tensor.empty"] = runEmpty;
  table["tensor.splat"] = runSplat;
  table["tensor.dim"] = runDim;
  table["tensor.rank"] = runRank;
  table["tensor.extract"] = runExtract;
  table["tensor.insert"] = runInsert;
  table["tensor.from_elements"] = runFromElements;
  table["tensor.cast"] = runCast;
  table["tensor.extract_slice"] = runExtractSlice;
  table["tensor.insert_slice"] = runInsertSlice;
  table["tensor.expand_shape"] = runExpandShape;
  table["tensor.collapse_shape"] = runCollapseShape;
  table["tensor.reshape"] = runReshape;
  table["tensor.concat"] = runConcat;
  table["tensor.generate"] = runGenerate;
  table["tensor.pad"] = runPad;

  // linalg: every structured op (named or generic) runs through its
  // indexing maps and body; see getFallbackHandler.
  table["linalg.index"] = runLinalgIndex;

  // ml_program
  table["ml_program.global_load_const"] = runGlobalLoadConst;

  // scf
  table["scf.for"] = runFor;
  table["scf.if"] = runIf;
}
