//===- Interpreter.cpp - Float64 reference interpreter --------------------===//
//
// The executor: tensors, value numbering, frames, dispatch, function calls
// and the public `runFunction`. Op semantics live in HymirOps.cpp and
// UpstreamOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "InterpreterImpl.h"

#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <iterator>

#include <sys/resource.h>
#include <unistd.h>

using namespace mlir;
using namespace hymir::ref;
using namespace hymir::ref::detail;

//===----------------------------------------------------------------------===//
// Memory limit
//===----------------------------------------------------------------------===//

uint64_t hymir::ref::getDefaultMemoryLimit() {
  uint64_t limit = UINT64_MAX;
  long pages = sysconf(_SC_PHYS_PAGES);
  long pageSize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && pageSize > 0 &&
      static_cast<uint64_t>(pages) <= UINT64_MAX / pageSize)
    limit = static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit rl;
    if (getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        static_cast<uint64_t>(rl.rlim_cur) < limit)
      limit = static_cast<uint64_t>(rl.rlim_cur);
  }
  return limit;
}

std::string hymir::ref::formatBytes(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " bytes";
  static const char *const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB",
                                       "EiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.1f ", value) << kUnits[unit];
  return s;
}

LogicalResult Interpreter::checkAllocation(Operation *op,
                                           ArrayRef<int64_t> shape,
                                           StringRef what) {
  // Bytes at 8 per element, saturating: an overflow needs more than any limit.
  uint64_t bytes = 8;
  for (int64_t d : shape) {
    if (d <= 0) {
      bytes = 0;
      break;
    }
  }
  for (int64_t d : shape) {
    if (bytes == 0)
      break;
    uint64_t ud = static_cast<uint64_t>(d);
    bytes = bytes > UINT64_MAX / ud ? UINT64_MAX : bytes * ud;
  }
  if (bytes <= maxTensorBytes)
    return success();
  return emitError(op) << "'" << op->getName() << "': " << what
                       << " of shape " << formatShape(shape) << " needs "
                       << (bytes == UINT64_MAX ? std::string("more than 16 EiB")
                                               : formatBytes(bytes))
                       << ", more than the memory limit of "
                       << formatBytes(maxTensorBytes)
                       << " (float64 reference)";
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

Tensor Tensor::getFloat(ArrayRef<int64_t> shape, std::vector<double> data) {
  Tensor t;
  t.kind = Kind::Float;
  t.shape.assign(shape.begin(), shape.end());
  t.floats = std::move(data);
  return t;
}

Tensor Tensor::getInt(ArrayRef<int64_t> shape, std::vector<int64_t> data) {
  Tensor t;
  t.kind = Kind::Int;
  t.shape.assign(shape.begin(), shape.end());
  t.floats.clear();
  t.ints = std::move(data);
  return t;
}

Tensor Tensor::getZeros(Kind kind, ArrayRef<int64_t> shape) {
  Tensor t;
  t.reset(kind, shape);
  if (kind == Kind::Float)
    std::fill(t.floats.begin(), t.floats.end(), 0.0);
  else
    std::fill(t.ints.begin(), t.ints.end(), 0);
  return t;
}

int64_t Tensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool Tensor::isValid() const {
  // As numpy: the product of the non-zero dims, in bytes (8 per element),
  // must fit in int64 even for an empty tensor, since strides and sizes are
  // computed from them.
  int64_t nonZero = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonZero > INT64_MAX / 8 / d)
      return false;
    nonZero *= d;
  }
  int64_t n = empty ? 0 : nonZero;
  size_t size = isFloat() ? floats.size() : ints.size();
  return static_cast<int64_t>(size) == n;
}

void Tensor::reset(Kind newKind, ArrayRef<int64_t> newShape) {
  kind = newKind;
  shape.assign(newShape.begin(), newShape.end());
  int64_t n = getNumElements();
  if (kind == Kind::Float)
    floats.resize(n);
  else
    ints.resize(n);
}

std::string Tensor::getShapeString() const {
  return shape.empty() ? std::string("scalar") : formatShape(shape);
}

std::optional<Tensor::Kind> hymir::ref::getTensorKind(Type type) {
  Type elem = getElementTypeOrSelf(type);
  if (isa<FloatType>(elem))
    return Tensor::Kind::Float;
  if (isa<IndexType>(elem) ||
      (isa<IntegerType>(elem) && cast<IntegerType>(elem).getWidth() <= 64))
    return Tensor::Kind::Int;
  return std::nullopt;
}

std::string hymir::ref::describeTypeMismatch(Type type, const Tensor &value) {
  std::string msg;
  llvm::raw_string_ostream os(msg);
  std::optional<Tensor::Kind> kind = getTensorKind(type);
  if (!kind || (!isa<RankedTensorType>(type) && !type.isIntOrIndexOrFloat())) {
    os << "type " << type << " is not supported by the reference interpreter";
    return msg;
  }
  if (*kind != value.getKind()) {
    os << (value.isFloat() ? "float" : "integer") << " data for a value of type "
       << type;
    return msg;
  }
  ArrayRef<int64_t> expected;
  if (auto rt = dyn_cast<RankedTensorType>(type))
    expected = rt.getShape();
  ArrayRef<int64_t> shape = value.getShape();
  if (expected.size() != shape.size()) {
    os << "rank " << shape.size() << " (shape " << value.getShapeString()
       << "), expected rank " << expected.size() << " (" << type << ")";
    return msg;
  }
  for (auto [i, pair] : llvm::enumerate(llvm::zip(expected, shape))) {
    auto [e, s] = pair;
    if (!ShapedType::isDynamic(e) && e != s) {
      os << "shape " << value.getShapeString() << " has size " << s
         << " in dim " << i << ", expected " << e << " (" << type << ")";
      return msg;
    }
  }
  if (!value.isValid())
    os << "malformed tensor data (shape " << value.getShapeString() << ")";
  return msg;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

unsigned hymir::ref::detail::getIntWidth(Type type) {
  Type elem = getElementTypeOrSelf(type);
  if (auto it = dyn_cast<IntegerType>(elem))
    return it.getWidth();
  return 64; // index
}

int64_t hymir::ref::detail::wrapInt(int64_t v, unsigned width) {
  if (width >= 64)
    return v;
  if (width == 0)
    return 0;
  if (width == 1)
    return v & 1;
  unsigned shift = 64 - width;
  return static_cast<int64_t>(static_cast<uint64_t>(v) << shift) >> shift;
}

uint64_t hymir::ref::detail::asUnsigned(int64_t v, unsigned width) {
  if (width >= 64)
    return static_cast<uint64_t>(v);
  return static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
}

int64_t hymir::ref::detail::asSigned(int64_t v, unsigned width) {
  if (width == 1)
    return -(v & 1);
  return v;
}

SmallVector<int64_t, 4> hymir::ref::detail::getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t, 4> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

SmallVector<int64_t, 4>
hymir::ref::detail::getShapeWithDynamic(Type type,
                                        ArrayRef<int64_t> dynamicSizes) {
  SmallVector<int64_t, 4> shape;
  auto rt = dyn_cast<RankedTensorType>(type);
  if (!rt)
    return shape;
  unsigned next = 0;
  for (int64_t d : rt.getShape()) {
    if (ShapedType::isDynamic(d))
      shape.push_back(next < dynamicSizes.size() ? dynamicSizes[next++] : -1);
    else
      shape.push_back(d);
  }
  return shape;
}

std::string hymir::ref::detail::formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

void hymir::ref::detail::setSlice(Tensor &dst, Type type, const Tensor &src,
                                  int64_t offset) {
  ArrayRef<int64_t> shape;
  if (auto rt = dyn_cast<RankedTensorType>(type))
    shape = rt.getShape();
  dst.reset(src.getKind(), shape);
  if (src.isFloat()) {
    const double *p = src.getFloats().data() + offset;
    std::copy(p, p + dst.getFloats().size(), dst.getFloats().begin());
  } else {
    const int64_t *p = src.getInts().data() + offset;
    std::copy(p, p + dst.getInts().size(), dst.getInts().begin());
  }
}

//===----------------------------------------------------------------------===//
// Interpreter
//===----------------------------------------------------------------------===//

/// Deep enough for any helper-function nesting a model uses, shallow enough
/// that the host stack never overflows.
static constexpr unsigned kMaxCallDepth = 256;

Interpreter::Interpreter(ModuleOp module, const WeightMap *weights,
                         uint64_t maxTensorBytes)
    : module(module), weights(weights),
      maxTensorBytes(maxTensorBytes ? maxTensorBytes
                                    : getDefaultMemoryLimit()) {
  registerUpstreamHandlers(handlers);
  registerHymirHandlers(handlers);
}

OpHandler Interpreter::getHandler(Operation *op) {
  void *key = op->getName().getAsOpaquePointer();
  auto it = handlerCache.find(key);
  if (it != handlerCache.end())
    return it->second;
  OpHandler h = handlers.lookup(op->getName().getStringRef());
  if (!h)
    h = getFallbackHandler(op);
  handlerCache[key] = h;
  return h;
}

InFlightDiagnostic Interpreter::emitError(Operation *op) {
  InFlightDiagnostic diag = op->emitError();
  for (const ExecContext &ctx : llvm::reverse(contexts)) {
    Diagnostic &note = diag.attachNote(ctx.op->getLoc());
    if (ctx.names.empty()) {
      note << ctx.what;
      continue;
    }
    note << "while executing " << ctx.what << " (";
    for (auto [i, name] : llvm::enumerate(ctx.names)) {
      if (i)
        note << ", ";
      note << name << " = " << ctx.values[i];
    }
    note << ") of '" << ctx.op->getName() << "'";
  }
  return diag;
}

Interpreter::FuncInfo &Interpreter::getFuncInfo(func::FuncOp func) {
  std::unique_ptr<FuncInfo> &info = funcInfos[func.getOperation()];
  if (info)
    return *info;
  info = std::make_unique<FuncInfo>();
  unsigned next = 1; // slot 0 is the spare
  func.getOperation()->walk([&](Block *block) {
    for (BlockArgument arg : block->getArguments())
      info->index[arg] = next++;
    for (Operation &op : *block)
      for (Value r : op.getResults())
        info->index[r] = next++;
  });
  info->numSlots = next;
  return *info;
}

/// Terminators the executor understands: they end a region and hand their
/// operands to the op that runs the region.
static bool isKnownTerminator(Operation *op) {
  StringRef name = op->getName().getStringRef();
  return name == "func.return" || name == "hymir.yield" ||
         name == "linalg.yield" || name == "tensor.yield" ||
         name == "scf.yield";
}

LogicalResult Interpreter::checkSupported(func::FuncOp entry) {
  llvm::SmallPtrSet<Operation *, 8> seen;
  SmallVector<func::FuncOp> worklist{entry};
  seen.insert(entry);
  while (!worklist.empty()) {
    func::FuncOp func = worklist.pop_back_val();
    if (func.isExternal())
      return func.emitError("function '")
             << func.getSymName()
             << "' has no body: the reference interpreter cannot call it";
    WalkResult result = func.getBody().walk([&](Operation *op) {
      if (isKnownTerminator(op))
        return WalkResult::advance();
      if (!getHandler(op)) {
        op->emitError("'") << op->getName()
                           << "' is not supported by the reference interpreter";
        return WalkResult::interrupt();
      }
      if (auto call = dyn_cast<func::CallOp>(op)) {
        auto callee =
            SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                op, call.getCalleeAttr());
        if (!callee) {
          op->emitError("call to unknown function '")
              << call.getCallee() << "'";
          return WalkResult::interrupt();
        }
        if (seen.insert(callee).second)
          worklist.push_back(callee);
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
  }
  return success();
}

LogicalResult Interpreter::checkResults(Operation *op, Frame &frame) {
  for (OpResult r : op->getResults()) {
    const Tensor &t = frame.get(r);
    // Fast path: the common conforming case without building a message.
    if (auto rt = dyn_cast<RankedTensorType>(r.getType())) {
      ArrayRef<int64_t> expected = rt.getShape();
      ArrayRef<int64_t> shape = t.getShape();
      bool ok = expected.size() == shape.size() && t.isValid() &&
                getTensorKind(rt.getElementType()) == t.getKind();
      for (size_t i = 0; ok && i < shape.size(); ++i)
        ok = ShapedType::isDynamic(expected[i]) || expected[i] == shape[i];
      if (ok)
        continue;
    } else if (t.getRank() == 0 && t.isValid() &&
               getTensorKind(r.getType()) == t.getKind()) {
      continue;
    }
    std::string why = describeTypeMismatch(r.getType(), t);
    return emitError(op) << "'" << op->getName() << "' produced "
                         << (why.empty() ? "a malformed value" : why)
                         << " for result #" << r.getResultNumber();
  }
  return success();
}

LogicalResult Interpreter::runOp(Operation *op, Frame &frame) {
  OpHandler handler = getHandler(op);
  if (!handler)
    return emitError(op) << "'" << op->getName()
                         << "' is not supported by the reference interpreter";
  return runOp(op, handler, frame);
}

LogicalResult Interpreter::runOp(Operation *op, OpHandler handler,
                                 Frame &frame) {
  if (failed(handler(*this, op, frame)))
    return failure();
  return checkResults(op, frame);
}

LogicalResult Interpreter::runBlock(Block &block, Frame &frame,
                                    SmallVectorImpl<const Tensor *> *yielded) {
  if (yielded)
    yielded->clear();
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      if (!isKnownTerminator(&op))
        return emitError(&op) << "'" << op.getName()
                              << "' is not supported by the reference "
                                 "interpreter";
      if (yielded)
        for (Value v : op.getOperands())
          yielded->push_back(&frame.get(v));
      return success();
    }
    if (failed(runOp(&op, frame)))
      return failure();
  }
  // A block without a terminator (graph regions) yields nothing.
  return success();
}

LogicalResult Interpreter::callFunction(
    func::FuncOp func, ArrayRef<const Tensor *> args,
    llvm::function_ref<void(ArrayRef<const Tensor *>)> onResults) {
  if (func.isExternal())
    return func.emitError("function '")
           << func.getSymName()
           << "' has no body: the reference interpreter cannot call it";
  if (!func.getBody().hasOneBlock())
    return func.emitError("function '")
           << func.getSymName()
           << "' has several blocks: the reference interpreter runs only "
              "single-block functions";
  if (callDepth >= kMaxCallDepth)
    return func.emitError("call depth exceeds ")
           << kMaxCallDepth << " (unbounded recursion?)";
  Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return func.emitError("function '")
           << func.getSymName() << "' takes " << body.getNumArguments()
           << " arguments, got " << args.size();

  FuncInfo &info = getFuncInfo(func);
  if (info.frames.size() <= info.depth)
    info.frames.push_back(std::make_unique<Frame>(info.index, info.numSlots));
  Frame &frame = *info.frames[info.depth];
  ++info.depth;
  ++callDepth;
  llvm::scope_exit restore([&] {
    --info.depth;
    --callDepth;
  });

  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    frame.slot(arg) = *value;
  SmallVector<const Tensor *> results;
  if (failed(runBlock(body, frame, &results)))
    return failure();
  onResults(results);
  return success();
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

LogicalResult hymir::ref::checkWeights(ModuleOp module,
                                       const WeightMap &weights) {
  for (auto global : module.getOps<ml_program::GlobalOp>()) {
    if (!isa_and_nonnull<ml_program::ExternAttr>(global.getValueAttr()))
      continue;
    Type type = global.getType();
    auto it = weights.find(global.getSymName());
    if (it == weights.end())
      return global.emitError("no weight bound to global @\"")
             << global.getSymName() << "\" of type " << type;
    const Tensor &value = it->second;
    if (!isa<RankedTensorType>(type) || !getTensorKind(type))
      return global.emitError("global @\"")
             << global.getSymName() << "\" has type " << type
             << ", which the reference interpreter does not support";
    if (value.getKind() != *getTensorKind(type))
      return global.emitError("weight '")
             << global.getSymName() << "' has "
             << (value.isFloat() ? "float" : "integer")
             << " elements but the global is " << type;
    std::string why = describeTypeMismatch(type, value);
    if (!why.empty())
      return global.emitError("weight '")
             << global.getSymName() << "' does not fit its global: " << why;
  }
  return success();
}

FailureOr<SmallVector<Tensor>>
hymir::ref::runFunction(ModuleOp module, StringRef entry,
                        ArrayRef<Tensor> args, const WeightMap *weights,
                        uint64_t maxTensorBytes) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return module.emitError("no function named '") << entry << "'";
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != args.size())
    return func.emitError("function '")
           << entry << "' takes " << type.getNumInputs() << " arguments, got "
           << args.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getInputs(), args))) {
    auto [argType, value] = pair;
    std::string why = describeTypeMismatch(argType, value);
    if (!why.empty())
      return func.emitError("argument #") << i << ": " << why;
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults()))
    if (!getTensorKind(resultType) ||
        (!isa<RankedTensorType>(resultType) && !resultType.isIntOrIndexOrFloat()))
      return func.emitError("result #")
             << i << " has type " << resultType
             << ", which the reference interpreter does not support";

  static const WeightMap kNoWeights;
  if (failed(checkWeights(module, weights ? *weights : kNoWeights)))
    return failure();

  Interpreter interp(module, weights, maxTensorBytes);
  if (failed(interp.checkSupported(func)))
    return failure();
  SmallVector<const Tensor *> argPtrs;
  for (const Tensor &t : args)
    argPtrs.push_back(&t);
  SmallVector<Tensor> results;
  if (failed(interp.callFunction(func, argPtrs,
                                 [&](ArrayRef<const Tensor *> values) {
                                   for (const Tensor *t : values)
                                     results.push_back(*t);
                                 })))
    return failure();
  return results;
}
