//===- InterpreterImpl.h - Reference interpreter internals ------*- C++ -*-===//
//
// Private to lib/Reference: the executor shared by the op handlers of
// HymirOps.cpp and UpstreamOps.cpp.
//
// Design: every function gets a numbering of all SSA values it defines (block
// arguments and op results, nested regions included) and each activation of
// it a `Frame`: one `Tensor` slot per value. Slots live as long as the frame
// and keep their storage, so running a region many times (a scan body per
// step, a linalg body per element) reuses the buffers of the previous run.
// Ops are dispatched through a table from op name to handler; a handler reads
// its operands from the frame, writes its results into their slots and runs
// nested regions through `Interpreter::runBlock`.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_REFERENCE_INTERPRETERIMPL_H
#define HYMIR_LIB_REFERENCE_INTERPRETERIMPL_H

#include "hymir/Reference/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <memory>

namespace hymir {
namespace ref {
namespace detail {

class Interpreter;

/// The slots of one function activation.
class Frame {
public:
  Frame(const llvm::DenseMap<mlir::Value, unsigned> &index, unsigned numSlots)
      : index(&index), slots(numSlots) {}

  /// The tensor of an SSA value defined in this function. Values not yet
  /// computed read as a float scalar 0; the executor never reads those.
  const Tensor &get(mlir::Value v) const { return slots[lookup(v)]; }
  /// The slot that receives the value `v`.
  Tensor &slot(mlir::Value v) { return slots[lookup(v)]; }

private:
  unsigned lookup(mlir::Value v) const {
    auto it = index->find(v);
    // Every value of the function is numbered; slot 0 is a spare for
    // values of other functions, which well-formed IR never reads.
    return it == index->end() ? 0 : it->second;
  }

  const llvm::DenseMap<mlir::Value, unsigned> *index;
  std::vector<Tensor> slots;
};

/// A handler executes one op: it reads operands through `frame.get`, writes
/// each result into `frame.slot(result)` and reports failures with
/// `interp.emitError(op)`.
using OpHandler = mlir::LogicalResult (*)(Interpreter &interp,
                                          mlir::Operation *op, Frame &frame);
using HandlerTable = llvm::StringMap<OpHandler>;

void registerUpstreamHandlers(HandlerTable &table);
void registerHymirHandlers(HandlerTable &table);
/// The handler of ops matched by interface rather than by name: every linalg
/// structured op (linalg.generic, matmul, fill, transpose, conv, ...).
OpHandler getFallbackHandler(mlir::Operation *op);

/// Where the executor currently is inside an op that iterates (a scan step,
/// an attention row, a linalg element, a call): attached as a note to every
/// error raised below it. `values` points at the iterating op's live loop
/// counters, so pushing a context costs nothing per iteration.
struct ExecContext {
  mlir::Operation *op;
  /// What is iterated ("step", "element", ...); with no `names`, the whole
  /// note ("called from here").
  llvm::StringRef what;
  llvm::ArrayRef<llvm::StringRef> names; // one per value
  llvm::ArrayRef<int64_t> values;
};

class Interpreter {
public:
  explicit Interpreter(mlir::ModuleOp module,
                       const WeightMap *weights = nullptr,
                       uint64_t maxTensorBytes = 0);

  /// Checks, before it is allocated, that a tensor of `shape` (8 bytes per
  /// element) that `op` creates fits the memory limit; emits an error at
  /// `op` naming `what` ("result", "output #1", ...) otherwise.
  mlir::LogicalResult checkAllocation(mlir::Operation *op,
                                      llvm::ArrayRef<int64_t> shape,
                                      llvm::StringRef what);

  /// The weights bound to external globals (null: none).
  const WeightMap *getWeights() const { return weights; }

  /// Checks that every op of `func` and of the functions it calls has a
  /// handler, so that an unsupported op fails before any work is done.
  mlir::LogicalResult checkSupported(mlir::func::FuncOp func);

  /// Calls `func` with `args`; on success calls `onResults` with the results,
  /// which stay valid only during the callback.
  mlir::LogicalResult
  callFunction(mlir::func::FuncOp func, llvm::ArrayRef<const Tensor *> args,
               llvm::function_ref<void(llvm::ArrayRef<const Tensor *>)>
                   onResults);

  /// Runs the ops of `block`, whose arguments the caller has already set in
  /// `frame`. On success `yielded` (if given) receives the tensors of the
  /// terminator's operands, valid until the frame's slots change.
  mlir::LogicalResult
  runBlock(mlir::Block &block, Frame &frame,
           llvm::SmallVectorImpl<const Tensor *> *yielded);

  /// Emits an error at `op`, with notes for the enclosing execution contexts.
  mlir::InFlightDiagnostic emitError(mlir::Operation *op);

  /// Pushes / pops an execution context (see ExecContext).
  void pushContext(const ExecContext &ctx) { contexts.push_back(ctx); }
  void popContext() { contexts.pop_back(); }

  /// Loop indices of the innermost linalg op being executed (read by
  /// linalg.index); empty outside linalg bodies.
  llvm::ArrayRef<int64_t> getLinalgIndices() const {
    return linalgIndices.empty() ? llvm::ArrayRef<int64_t>()
                                 : linalgIndices.back();
  }
  void pushLinalgIndices(llvm::ArrayRef<int64_t> iv) {
    linalgIndices.push_back(iv);
  }
  void popLinalgIndices() { linalgIndices.pop_back(); }

  /// The handler of `op`, or null if the op is not supported.
  OpHandler getHandler(mlir::Operation *op);

  /// Runs one op through its handler and checks that every result conforms
  /// to its type.
  mlir::LogicalResult runOp(mlir::Operation *op, Frame &frame);
  /// Same, with the handler already looked up (hot loops).
  mlir::LogicalResult runOp(mlir::Operation *op, OpHandler handler,
                            Frame &frame);

  mlir::ModuleOp getModule() { return module; }

  /// Tensor constants are converted from their attribute once per op.
  Tensor *getCachedConstant(mlir::Operation *op) {
    auto it = constants.find(op);
    return it == constants.end() ? nullptr : it->second.get();
  }
  Tensor *cacheConstant(mlir::Operation *op, Tensor value) {
    std::unique_ptr<Tensor> &slot = constants[op];
    slot = std::make_unique<Tensor>(std::move(value));
    return slot.get();
  }

private:
  struct FuncInfo {
    llvm::DenseMap<mlir::Value, unsigned> index;
    unsigned numSlots = 1;
    /// Frames of the activations, reused by depth (recursion gets more).
    std::vector<std::unique_ptr<Frame>> frames;
    unsigned depth = 0;
  };
  FuncInfo &getFuncInfo(mlir::func::FuncOp func);
  mlir::LogicalResult checkResults(mlir::Operation *op, Frame &frame);

  mlir::ModuleOp module;
  const WeightMap *weights;
  uint64_t maxTensorBytes;
  HandlerTable handlers;
  llvm::DenseMap<void *, OpHandler> handlerCache;
  llvm::DenseMap<mlir::Operation *, std::unique_ptr<FuncInfo>> funcInfos;
  llvm::DenseMap<mlir::Operation *, std::unique_ptr<Tensor>> constants;
  llvm::SmallVector<ExecContext, 8> contexts;
  llvm::SmallVector<llvm::ArrayRef<int64_t>, 2> linalgIndices;
  unsigned callDepth = 0;
};

//===----------------------------------------------------------------------===//
// Helpers shared by the handlers
//===----------------------------------------------------------------------===//

/// The bit width of an integer or index element type (index: 64).
unsigned getIntWidth(mlir::Type type);
/// Wraps `v` to `width` bits: i1 becomes 0 or 1, narrower widths are
/// sign-extended from their top bit, 64 is unchanged.
int64_t wrapInt(int64_t v, unsigned width);
/// The value of a canonical `width`-bit integer read as unsigned.
uint64_t asUnsigned(int64_t v, unsigned width);
/// The value of a canonical `width`-bit integer read as signed (i1 true = -1).
int64_t asSigned(int64_t v, unsigned width);

/// Sets a block argument's slot from `count` consecutive elements of `src`
/// starting at `offset`, shaped as `arg`'s type (a scalar for non-tensor
/// types).
void setSlice(Tensor &dst, mlir::Type type, const Tensor &src, int64_t offset);

/// Row-major strides of a shape.
llvm::SmallVector<int64_t, 4> getStrides(llvm::ArrayRef<int64_t> shape);

/// The shape of a result of type `type`, with the dynamic dims taken in order
/// from `dynamicSizes`.
llvm::SmallVector<int64_t, 4> getShapeWithDynamic(mlir::Type type,
                                                  llvm::ArrayRef<int64_t> dynamicSizes);

/// Formats a shape as "2x3x4".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Reads an index or integer scalar operand.
inline int64_t getIndexValue(const Tensor &t) { return t.getInts()[0]; }

} // namespace detail
} // namespace ref
} // namespace hymir

#endif // HYMIR_LIB_REFERENCE_INTERPRETERIMPL_H
