//===- Interpreter.h - Float64 reference interpreter ------------*- C++ -*-===//
//
// The reference executor of Hymir (DESIGN.md §6): runs a function of a module
// on the CPU straight from the IR, in float64, op by op. Every hymir op is
// executed as its token-by-token definition in HymirOps.td (a scan by running
// its body step by step, a recurrence by running its step function, attention
// by materialising the masked score matrix), together with the upstream ops
// that model descriptions use (func, arith, math, tensor, linalg on tensors,
// ml_program globals).
//
// Model weights are `ml_program.global`s with external values
// (`#ml_program.extern`), read with `ml_program.global_load_const`; the caller
// binds them by symbol name with a `WeightMap` (docs/models.md). A global
// with a dense initial value is read from its attribute.
//
// All floating-point values are held and computed in double whatever their
// declared type (bf16, f16 and f32 constants are taken at their exact value);
// integer, index and i1 values are held as int64, wrapped to their bit width.
//
// Errors (an unsupported op, a runtime shape that contradicts the IR, an
// out-of-range slice or index, an integer division by zero, ...) are reported
// as MLIR diagnostics at the location of the op that failed, with notes that
// locate the failing step of any enclosing scan, recurrence, attention or
// linalg op and the call stack. The interpreter never asserts on its input.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_REFERENCE_INTERPRETER_H
#define HYMIR_REFERENCE_INTERPRETER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hymir {
namespace ref {

/// A dense, row-major host tensor of float64 or int64 elements. A scalar (an
/// `f32` or `index` SSA value, or a `tensor<f32>`) is a tensor of rank 0 with
/// one element. Float tensors keep their elements in `getFloats()`, integer
/// tensors (any integer width, index, i1) in `getInts()`; the other vector is
/// unused.
class Tensor {
public:
  enum class Kind : uint8_t { Float, Int };

  /// A float scalar 0.
  Tensor() : floats(1, 0.0) {}

  /// A float tensor of the given shape; `data` must hold the product of the
  /// dims elements (checked by `isValid`).
  static Tensor getFloat(llvm::ArrayRef<int64_t> shape,
                         std::vector<double> data);
  /// An integer tensor of the given shape.
  static Tensor getInt(llvm::ArrayRef<int64_t> shape,
                       std::vector<int64_t> data);
  /// A float or integer tensor of the given shape filled with zeros.
  static Tensor getZeros(Kind kind, llvm::ArrayRef<int64_t> shape);
  static Tensor getScalar(double value) { return getFloat({}, {value}); }
  static Tensor getIntScalar(int64_t value) { return getInt({}, {value}); }

  Kind getKind() const { return kind; }
  bool isFloat() const { return kind == Kind::Float; }
  bool isInt() const { return kind == Kind::Int; }

  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return static_cast<int64_t>(shape.size()); }
  int64_t getDimSize(unsigned i) const { return shape[i]; }
  /// Product of the dims (1 for rank 0).
  int64_t getNumElements() const;
  /// True if the dims are non-negative and the data vector of the tensor's
  /// kind holds exactly `getNumElements()` elements.
  bool isValid() const;

  std::vector<double> &getFloats() { return floats; }
  const std::vector<double> &getFloats() const { return floats; }
  std::vector<int64_t> &getInts() { return ints; }
  const std::vector<int64_t> &getInts() const { return ints; }

  /// Element `i` in row-major order as a double (integers are converted).
  double getAsDouble(int64_t i) const {
    return isFloat() ? floats[i] : static_cast<double>(ints[i]);
  }

  /// Turns this tensor into one of the given kind and shape, reusing the
  /// allocated storage. The element values are unspecified afterwards.
  void reset(Kind newKind, llvm::ArrayRef<int64_t> newShape);
  /// Turns this tensor into a float / integer scalar, reusing storage.
  void setScalar(double value) {
    kind = Kind::Float;
    shape.clear();
    floats.resize(1);
    floats[0] = value;
  }
  void setIntScalar(int64_t value) {
    kind = Kind::Int;
    shape.clear();
    ints.resize(1);
    ints[0] = value;
  }

  /// The shape as "2x3x4" ("scalar" for rank 0).
  std::string getShapeString() const;

private:
  Kind kind = Kind::Float;
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<double> floats;
  std::vector<int64_t> ints;
};

/// The kind of tensor that holds values of `type`'s element type (float for
/// bf16/f16/f32/f64, int for integers and index), or nullopt for element
/// types the interpreter does not support.
std::optional<Tensor::Kind> getTensorKind(mlir::Type type);

/// Checks that `value` can stand for an SSA value of `type`: same kind, same
/// rank, equal static dims. Returns an empty string if it can, else a
/// description of the mismatch ("rank 3 (shape 2x5x7), expected rank 4").
std::string describeTypeMismatch(mlir::Type type, const Tensor &value);

/// The values of a module's external `ml_program.global`s, keyed by the
/// global's symbol name (the checkpoint's tensor name, e.g.
/// "model.layers.0.linear_attn.A_log").
using WeightMap = llvm::StringMap<Tensor>;

/// Checks that every `ml_program.global` of `module` with an external value
/// has a weight in `weights` of its kind (float / integer), rank and static
/// shape. Fails, after emitting a diagnostic at the global that names it
/// ("no weight bound to global @\"model.norm.weight\" (tensor<32xf32>)"),
/// on the first one that does not. Weights that no global names are ignored
/// (a checkpoint may hold more tensors than a model uses).
mlir::LogicalResult checkWeights(mlir::ModuleOp module,
                                 const WeightMap &weights);

/// Runs the function `entry` of `module` on `args` and returns its results in
/// order. Fails, after emitting a diagnostic on the module's context, if the
/// function does not exist, the arguments do not fit its signature, a weight
/// is missing or does not fit its global (`checkWeights`, before anything
/// runs), or any op fails or is not supported. `weights` may be null for a
/// module without external globals; it is read, never copied, and must stay
/// alive during the call.
///
/// `maxTensorBytes` bounds every tensor the interpreter creates (8 bytes per
/// element): an op whose result would need more fails with a diagnostic at
/// the op ("... needs 16.0 GiB, more than the memory limit of 8.0 GiB")
/// before allocating it. 0 selects the default, the machine's physical
/// memory (`getDefaultMemoryLimit`).
llvm::FailureOr<llvm::SmallVector<Tensor>>
runFunction(mlir::ModuleOp module, llvm::StringRef entry,
            llvm::ArrayRef<Tensor> args, const WeightMap *weights = nullptr,
            uint64_t maxTensorBytes = 0);

/// The physical memory of the machine, lowered to the process's RLIMIT_AS
/// and RLIMIT_DATA where set (the runtime's `hymir_rt_default_memory_limit`).
uint64_t getDefaultMemoryLimit();

/// `bytes` for a message: "123 bytes", "1.5 KiB", ..., "2.0 TiB".
std::string formatBytes(uint64_t bytes);

} // namespace ref
} // namespace hymir

#endif // HYMIR_REFERENCE_INTERPRETER_H
