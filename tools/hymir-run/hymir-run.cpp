//===- hymir-run.cpp - Run a Hymir function on .npy inputs ----------------===//
//
// The end-to-end driver (DESIGN.md §5, EXAMPLES.md §0): parses a module,
// checks the .npy inputs against the entry function's signature, runs it and
// writes one .npy per result. A plain driver, not JitRunnerMain (which cannot
// pass tensors). `--reference` runs the float64 interpreter, `--target=cpu`
// compiled code (JIT); `--target=cuda` compiles a CUDA artifact and runs it
// with the runtime's hymir-rt-run (RunCUDA.cpp).
// Models (docs/models.md) get their external `ml_program.global` weights from
// a safetensors file (`--weights`), on the reference and the CPU target alike
// (compiled code gets them copied into its `hymir.weight.<name>` buffers), can
// be given deterministic random weights (`--random-weights`), and run greedy
// generation (`--generate`). `--check` runs the CPU target and the reference
// and compares every result.
//
// Every failure is one `error: ...` line on stderr (parse, verify and
// interpreter errors come with their source location) and a non-zero exit
// status; the output protocol guarantees that a failed run leaves no
// out*.npy behind and a successful one leaves exactly its results.
//
//===----------------------------------------------------------------------===//

#include "RunCUDA.h"

#include "hymir/InitAll.h"
#include "hymir/Reference/Interpreter.h"
#include "hymir/Target/CPU/Jit.h"
#include "hymir/Tools/ThreadsOption.h"

#include "hymir_rt/array.h"
#include "hymir_rt/npy.h"
#include "hymir_rt/safetensors.h"
#include "hymir_rt/status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;
using hymir::ref::Tensor;

namespace {

/// Exit status: 1 for a failed run (bad input, parse/verify/runtime error),
/// 2 for a bad command line or an unavailable target.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char kOverview[] = R"(hymir-run: run a function of a Hymir module on .npy inputs

  hymir-run FILE.mlir [--entry=NAME] --input=A0.npy --input=A1.npy ...
            --output=DIR --reference [--output-dtype=f32|f64]
            [--allow-nonfinite]

Inputs. One --input per argument of the entry function, in argument order.
Each is a .npy file (format 1.0, 2.0 or 3.0), little-endian, C order. A
float argument (bf16/f16/f32/f64 elements) takes '<f4' or '<f8' data, which
is widened to float64; a bf16 or f16 argument's values are first rounded to
its type (to nearest, ties to even, straight from the file's value, in every
mode), and a value beyond the largest finite value of the argument's type
(bf16, f16 or f32) is an error. An integer or index argument takes '<i4' or
'<i8' data whose values must fit the declared width. A scalar argument takes a
rank-0 array. Before anything runs, each argument is checked against the
signature: rank, every static dim, and the dynamic dims by Hymir's
convention:

  * a '?' at position i of an argument's type stands for the same size in
    every argument that has a '?' at position i (position 0 is the batch B
    of every argument, position 1 the time T of every sequence, ...);
  * a dynamic dim must not be 0 (an empty batch or sequence is an error);
  * NaN and Inf inputs are rejected unless --allow-nonfinite is given.

A violation is reported as one line naming the argument by index (counted
from 0) and its file, with what was expected.

Outputs. DIR (created if missing) receives out0.npy, out1.npy, ... one per
result in result order, C order: float results as float32 '<f4' (rounded
to nearest; a bf16/f16 result rounded to its type first, so the file holds
its values exactly) or, with --output-dtype=f64, the reference's float64 values
'<f8' unrounded; integer results as '<i4' (widths up to 32) or '<i8'.
Stale out*.npy files in DIR are removed first; results are written under
temporary names and renamed into place only after all of them were
written, so a failed run leaves no out*.npy in DIR and a successful one
leaves exactly its results.

Modes. --reference runs Hymir's float64 reference interpreter (every hymir
op as its token-by-token definition, upstream arith/math/tensor/linalg/func
ops in float64). --target=cpu compiles the module with hymir-cpu-pipeline,
JIT-compiles it for the host and runs it in f32 (the default mode).
--target=cuda compiles the entry point for the inputs' shapes with
hymir-cuda-pipeline and runs it with the runtime's hymir-rt-run (next to
hymir-run or on PATH): it needs a machine with an NVIDIA driver.

Threads. --threads=N (compiled code only) runs the (batch, head) loops of compiled code on N
OpenMP threads (default 0: one per core, or OMP_NUM_THREADS). Results are
bit-identical at any thread count.

Memory. Before anything is allocated, every buffer hymir-run can size in
advance is checked against the memory limit (--max-memory=SIZE; default: the
physical memory, lowered to the process's RLIMIT_AS/RLIMIT_DATA): each .npy
input (checked from its header, before its data is read), each weight, the
inputs and results together (results sized from the entry's result types,
their '?' dims by the convention above), and each intermediate tensor of the
reference interpreter. A violation is one error line with the bytes needed
and the limit. Running out of memory anyway is the error line 'out of
memory', exit status 1, never a crash.

Models (docs/models.md). Weights are ml_program.global symbols with
external values, bound by name from a safetensors file:

  hymir-run MODEL.mlir --reference|--target=cpu --weights=W.safetensors
            --entry=prefill --input=TOKENS.npy --output=DIR
  hymir-run MODEL.mlir --reference|--target=cpu|--target=cuda
            --weights=W.safetensors --prompt-ids=1,2,3 --generate=N
  hymir-run MODEL.mlir --random-weights=W.safetensors [--seed=S]

--weights reads the tensor named like each external global (its symbol
name), checks its shape and converts it to the global's element type;
every global is bound before anything runs, and a missing tensor, a shape
or dtype mismatch or a malformed file is one error line naming the file
and the tensor. A model must be of format 2 (module attribute
hymir.model_format = 2: a preallocated KV cache, docs/models.md), and an
entry with KV-cache arguments is refused when a lengths[b] is not a row of
its caches. --generate runs @prefill on the prompt (batch 1), grows its KV
caches (the states marked {hymir.kv_cache}) along axis 1 to prompt + N
rows, then greedy @decode steps carrying the states, and prints the N
generated ids
(the first from @prefill's last logits, the others from N-1 decode steps)
on one line, then the prefill and decode throughput. With --target=cuda
it compiles a model artifact (batch 1, the prompt's length, KV capacity
prompt + N - 1; docs/cuda-artifacts.md) and runs it with hymir-rt-run, which
binds the weights by name and keeps every state on the GPU. --random-weights
writes deterministic random values for every external global (normal,
std 1/sqrt(last dim), per tensor seeded from --seed and the name; A_log:
log(uniform(1, 16)); other 1-D tensors: 1 + normal(0, 0.1)) and exits.

Checking. --check runs the entry twice on the same inputs (and weights):
compiled for the CPU (--target=cpu, the default) and on the float64
reference, and prints per result its relative RMS error
sqrt(sum((cpu - ref)^2) / sum(ref^2)) (the absolute RMS where the reference
is all zeros), then a summary line. It fails with exit status 1 when a
result's error is above 1e-4 or its shape differs. --output=DIR is optional
with --check: it receives the compiled code's results.

Exit status: 0 on success; 1 on bad input or a parse, verify or run-time
error; 2 on a bad command line or an unavailable target.
)";

enum class OutputDType { F32, F64 };

struct Options {
  cl::OptionCategory category{"hymir-run options"};
  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<FILE.mlir>"),
                                 cl::cat(category)};
  cl::opt<std::string> entry{"entry", cl::desc("Function to run"),
                             cl::value_desc("NAME"), cl::init("main"),
                             cl::cat(category)};
  cl::list<std::string> inputs{
      "input", cl::desc("Input .npy file, one per argument, in order"),
      cl::value_desc("PATH.npy"), cl::cat(category)};
  cl::opt<std::string> output{
      "output", cl::desc("Directory for out0.npy, out1.npy, ..."),
      cl::value_desc("DIR"), cl::cat(category)};
  cl::opt<bool> reference{
      "reference", cl::desc("Run the float64 reference interpreter"),
      cl::cat(category)};
  cl::opt<std::string> target{
      "target", cl::desc("Compile and run for a target: cpu or cuda"),
      cl::value_desc("cpu|cuda"), cl::cat(category)};
  cl::opt<OutputDType> outputDType{
      "output-dtype", cl::desc("Element type of float results"),
      cl::values(clEnumValN(OutputDType::F32, "f32", "float32 (default)"),
                 clEnumValN(OutputDType::F64, "f64",
                            "float64, the reference's values unrounded")),
      cl::init(OutputDType::F32), cl::cat(category)};
  cl::opt<int64_t> chunkSize{
      "chunk-size",
      cl::desc("--target=cpu: chunk length of every chunked form (default: "
               "hymir-cpu-pipeline's, 16, and 8 for the diagonal forms); 0 "
               "runs every scan through the sequential fallback"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<int64_t> valueTile{
      "value-tile",
      cl::desc("--target=cpu: value columns per (batch, head, tile) "
               "iteration of column-separable scans in the sequential "
               "fallback (default: hymir-cpu-pipeline's); 0: no tiles"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<bool> tileAttention{
      "tile-attention",
      cl::desc("--target=cpu: FlashAttention-style tiled attention (default "
               "true); false keeps the token-sequential lowering"),
      cl::init(true), cl::cat(category)};
  cl::opt<bool> polynomialMath{
      "polynomial-math",
      cl::desc("--target=cpu: f32 exp, expm1, log, log1p, tanh as "
               "polynomials (default true: the same bits at any thread "
               "count); false calls libm and libmvec"),
      cl::init(true), cl::cat(category)};
  cl::opt<bool> fusion{
      "fusion",
      cl::desc("--target=cpu: pull the per-token producers of scan and "
               "recurrence inputs into their step bodies "
               "(hymir-fuse-into-mixers; default true)"),
      cl::init(true), cl::cat(category)};
  cl::opt<bool> gpuChunkForms{
      "gpu-chunk-forms",
      cl::desc("--target=cpu: build the chunked scans as the CUDA pipeline "
               "does (tensor-level rows and masks), to check them here"),
      cl::init(false), cl::cat(category)};
  cl::opt<bool> parallelChunks{
      "parallel-chunks",
      cl::desc("--target=cpu with --gpu-chunk-forms: the CUDA pipeline's "
               "parallel-chunks form (state pass, then every chunk's output "
               "in parallel)"),
      cl::init(false), cl::cat(category)};
  cl::opt<hymir::BlockedInverse> blockedInverse{
      "blocked-inverse",
      cl::desc("--target=cpu with --gpu-chunk-forms: where the delta rule's "
               "triangular inverse is built by doubling blocks"),
      cl::init(hymir::BlockedInverse::Sequential),
      hymir::blockedInverseValues(),
      cl::cat(category)};
  /// --threads=N, parsed by `hymir::extractThreads` (libLLVM registers a
  /// hidden, unrelated global option named "threads").
  unsigned threads = 0;
  cl::opt<std::string> maxMemory{
      "max-memory",
      cl::desc("Refuse inputs, intermediates and results that need more "
               "memory than this (bytes, or with a K, M, G, T suffix; "
               "default: the physical memory)"),
      cl::value_desc("SIZE"), cl::cat(category)};
  cl::opt<bool> allowNonfinite{
      "allow-nonfinite", cl::desc("Accept NaN and Inf input values"),
      cl::cat(category)};
  cl::opt<std::string> weights{
      "weights",
      cl::desc("Bind the external ml_program globals from a safetensors file"),
      cl::value_desc("W.safetensors"), cl::cat(category)};
  cl::opt<std::string> randomWeights{
      "random-weights",
      cl::desc("Write deterministic random values for every external global "
               "to a safetensors file and exit"),
      cl::value_desc("W.safetensors"), cl::cat(category)};
  cl::opt<uint64_t> seed{"seed", cl::desc("Seed of --random-weights"),
                         cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::list<int64_t> promptIds{
      "prompt-ids", cl::desc("Prompt token ids of --generate"),
      cl::value_desc("ID,ID,..."), cl::CommaSeparated, cl::cat(category)};
  cl::opt<bool> check{
      "check",
      cl::desc("Run the compiled CPU code and the reference on the same "
               "inputs and compare every result (relative RMS <= 1e-4)"),
      cl::cat(category)};
  cl::opt<unsigned> generate{
      "generate",
      cl::desc("Generate N tokens greedily with @prefill and @decode"),
      cl::value_desc("N"), cl::init(0), cl::cat(category)};
};

llvm::raw_ostream &error() { return llvm::WithColor::error(llvm::errs()); }

/// An owned hymir_rt_array.
struct NpyArray {
  hymir_rt_array array{};
  NpyArray() = default;
  NpyArray(const NpyArray &) = delete;
  NpyArray &operator=(const NpyArray &) = delete;
  NpyArray(NpyArray &&other) noexcept : array(other.array) {
    other.array = hymir_rt_array{};
  }
  ~NpyArray() { hymir_rt_array_free(&array); }
};

/// Weights in the element types of their globals, by name (module order).
using RawWeights = std::vector<std::pair<std::string, NpyArray>>;

std::string describeDType(hymir_rt_dtype dtype) {
  const char *descr = hymir_rt_npy_descr(dtype);
  std::string s = descr ? std::string("'") + descr + "'" : "";
  s += std::string(s.empty() ? "" : " (") + hymir_rt_dtype_name(dtype) +
       (s.empty() ? "" : ")");
  return s;
}

std::string formatDims(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The multi-index of row-major element `flat` of `shape`, as "[i, j, k]".
std::string formatIndex(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  llvm::SmallVector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(idx, os);
  os << "]";
  return s;
}

/// Where dynamic dims were first seen: position -> (size, argument index).
using DynamicDims = std::map<unsigned, std::pair<int64_t, unsigned>>;

/// A float format narrower than float64 that arguments are rounded to.
struct FloatFormat {
  const char *name;
  int precision;    // significand bits, the implicit one included
  int minExponent;  // of the smallest normal number
  double maxFinite;
  bool round;       // whether inputs are rounded to it (not for f32)
};

std::optional<FloatFormat> getFloatFormat(Type elem) {
  if (elem.isBF16())
    return FloatFormat{"bf16", 8, -126, 0x1.fep127, true};
  if (elem.isF16())
    return FloatFormat{"f16", 11, -14, 65504.0, true};
  if (elem.isF32())
    return FloatFormat{"f32", 24, -126, 0x1.fffffep127, false};
  return std::nullopt;
}

/// `x` rounded to the nearest value of `format` (ties to even), subnormals
/// included; beyond the largest finite value it is ±Inf. NaN stays NaN.
double roundToFormat(double x, const FloatFormat &format) {
  if (!std::isfinite(x) || x == 0)
    return x;
  int exponent;
  std::frexp(x, &exponent); // x = f 2^exponent, 0.5 <= |f| < 1
  int ulp = std::max(exponent - format.precision,
                     format.minExponent - format.precision + 1);
  // Exact scaling by powers of two; nearbyint rounds ties to even.
  double r = std::ldexp(std::nearbyint(std::ldexp(x, -ulp)), ulp);
  if (std::fabs(r) > format.maxFinite)
    return std::copysign(INFINITY, x);
  return r;
}

/// Checks input `array` (from `path`) against argument `index` of type
/// `type` and converts it. Prints the error line and returns failure on a
/// mismatch.
FailureOr<Tensor> checkAndConvert(unsigned index, StringRef path, Type type,
                                  const hymir_rt_array &array,
                                  DynamicDims &dynamicDims,
                                  bool allowNonfinite) {
  auto fail = [&]() -> llvm::raw_ostream & {
    return error() << "argument #" << index << " (" << path << "): ";
  };
  auto tensorType = dyn_cast<RankedTensorType>(type);
  Type elem = tensorType ? tensorType.getElementType() : type;
  llvm::ArrayRef<int64_t> expected =
      tensorType ? tensorType.getShape() : llvm::ArrayRef<int64_t>();
  llvm::ArrayRef<int64_t> shape(array.shape, array.rank);

  // Element type.
  bool isFloat = isa<FloatType>(elem);
  bool isInt = isa<IntegerType, IndexType>(elem);
  if (!isFloat && !isInt) {
    fail() << "hymir-run cannot pass an argument of type " << typeString(type)
           << "\n";
    return failure();
  }
  bool dtypeOk = isFloat ? (array.dtype == HYMIR_RT_DTYPE_F32 ||
                            array.dtype == HYMIR_RT_DTYPE_F64)
                         : (array.dtype == HYMIR_RT_DTYPE_I32 ||
                            array.dtype == HYMIR_RT_DTYPE_I64);
  if (!dtypeOk) {
    fail() << "dtype " << describeDType(array.dtype) << " does not fit "
           << typeString(type) << " (expected "
           << (isFloat ? "'<f4' or '<f8'" : "'<i4' or '<i8'") << ")\n";
    return failure();
  }

  // Rank and static dims.
  if (shape.size() != expected.size()) {
    fail() << "rank " << shape.size() << " (shape " << formatDims(shape)
           << ") does not fit " << typeString(type) << " (expected rank "
           << expected.size() << ")\n";
    return failure();
  }
  for (auto [d, pair] : llvm::enumerate(llvm::zip(expected, shape))) {
    auto [e, s] = pair;
    if (!ShapedType::isDynamic(e) && e != s) {
      fail() << "shape " << formatDims(shape) << " has size " << s
             << " in dim " << d << " where " << typeString(type)
             << " needs " << e << "\n";
      return failure();
    }
  }
  // Dynamic dims: non-zero and equal across arguments at the same position.
  for (auto [d, pair] : llvm::enumerate(llvm::zip(expected, shape))) {
    auto [e, s] = pair;
    if (!ShapedType::isDynamic(e))
      continue;
    if (s == 0) {
      fail() << "dynamic dim " << d << " of " << typeString(type)
             << " is 0 (empty batch or sequence)\n";
      return failure();
    }
    auto [it, inserted] =
        dynamicDims.insert({static_cast<unsigned>(d), {s, index}});
    if (!inserted && it->second.first != s) {
      fail() << "dynamic dim " << d << " is " << s << " but argument #"
             << it->second.second << " has " << it->second.first
             << " there (a '?' at the same position must have the same size "
                "in every argument)\n";
      return failure();
    }
  }

  // Values.
  int64_t n = hymir_rt_array_numel(&array);
  if (isFloat) {
    // A bf16 or f16 argument takes its values rounded to nearest even, in
    // every mode, so that the reference sees what compiled code sees; a
    // value beyond the largest finite one of the argument's type is an error.
    std::optional<FloatFormat> format = getFloatFormat(elem);
    std::vector<double> data(n);
    for (int64_t i = 0; i < n; ++i) {
      data[i] = array.dtype == HYMIR_RT_DTYPE_F32
                    ? static_cast<double>(static_cast<const float *>(array.data)[i])
                    : static_cast<const double *>(array.data)[i];
      if (!allowNonfinite && !std::isfinite(data[i])) {
        fail() << "element " << formatIndex(shape, i) << " is "
               << (std::isnan(data[i]) ? "NaN" : data[i] > 0 ? "+Inf" : "-Inf")
               << " (pass --allow-nonfinite to accept non-finite inputs)\n";
        return failure();
      }
      if (!format)
        continue;
      double rounded = roundToFormat(data[i], *format);
      if (!allowNonfinite && std::isinf(rounded) && std::isfinite(data[i])) {
        fail() << "element " << formatIndex(shape, i) << " = " << data[i]
               << " is out of the range of " << format->name
               << " (largest finite value " << format->maxFinite
               << "; pass --allow-nonfinite to accept it as "
               << (data[i] > 0 ? "+Inf" : "-Inf") << ")\n";
        return failure();
      }
      if (format->round)
        data[i] = rounded;
    }
    return Tensor::getFloat(shape, std::move(data));
  }
  unsigned width = isa<IndexType>(elem) ? 64 : cast<IntegerType>(elem).getWidth();
  int64_t lo = width >= 64 ? INT64_MIN : width == 1 ? 0 : -(int64_t(1) << (width - 1));
  int64_t hi = width >= 64 ? INT64_MAX : width == 1 ? 1 : (int64_t(1) << (width - 1)) - 1;
  std::vector<int64_t> data(n);
  for (int64_t i = 0; i < n; ++i) {
    data[i] = array.dtype == HYMIR_RT_DTYPE_I32
                  ? static_cast<const int32_t *>(array.data)[i]
                  : static_cast<const int64_t *>(array.data)[i];
    if (data[i] < lo || data[i] > hi) {
      fail() << "element " << formatIndex(shape, i) << " = " << data[i]
             << " does not fit " << typeString(elem) << "\n";
      return failure();
    }
  }
  return Tensor::getInt(shape, std::move(data));
}

/// Parses --max-memory: a byte count, optionally with a binary suffix K, M,
/// G or T (also KiB, KB, ...). Returns nullopt for anything else or 0.
std::optional<uint64_t> parseMemorySize(StringRef text) {
  StringRef digits = text.take_while(llvm::isDigit);
  std::string u = text.drop_front(digits.size()).lower();
  uint64_t value;
  if (digits.empty() || digits.getAsInteger(10, value) || value == 0)
    return std::nullopt;
  unsigned shift;
  if (u.empty() || u == "b")
    shift = 0;
  else if (u == "k" || u == "kb" || u == "kib")
    shift = 10;
  else if (u == "m" || u == "mb" || u == "mib")
    shift = 20;
  else if (u == "g" || u == "gb" || u == "gib")
    shift = 30;
  else if (u == "t" || u == "tb" || u == "tib")
    shift = 40;
  else
    return std::nullopt;
  if (shift && value > (UINT64_MAX >> shift))
    return std::nullopt;
  return value << shift;
}

/// Bytes of `numel` elements of `bytesPerElement`, saturating.
uint64_t saturatingBytes(uint64_t numel, uint64_t bytesPerElement) {
  return numel > UINT64_MAX / bytesPerElement ? UINT64_MAX
                                              : numel * bytesPerElement;
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

std::string bytesString(uint64_t bytes) {
  return bytes == UINT64_MAX ? std::string("more than 16 EiB")
                             : hymir::ref::formatBytes(bytes);
}

/// The element count of result `type` with its '?' dims taken from the
/// inputs by the dynamic-dim convention (saturating), or nullopt if a '?'
/// has no input at its position.
std::optional<uint64_t> resultElements(Type type,
                                       const DynamicDims &dynamicDims) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return 1;
  uint64_t n = 1;
  for (auto [d, staticSize] : llvm::enumerate(tensorType.getShape())) {
    int64_t size = staticSize;
    if (ShapedType::isDynamic(size)) {
      auto it = dynamicDims.find(static_cast<unsigned>(d));
      if (it == dynamicDims.end())
        return std::nullopt;
      size = it->second.first;
    }
    if (size == 0)
      return 0;
    uint64_t u = static_cast<uint64_t>(size);
    n = n > UINT64_MAX / u ? UINT64_MAX : n * u;
  }
  return n;
}

bool isOutputName(StringRef name) {
  return name.starts_with("out") && name.ends_with(".npy");
}

/// Removes every out*.npy file (and our temporaries) from `dir`. Prints an
/// error and returns false if one cannot be removed.
bool removeOutputs(StringRef dir, StringRef tempPrefix) {
  if (dir.empty() || !llvm::sys::fs::is_directory(dir))
    return true;
  std::error_code ec;
  std::vector<std::string> doomed;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    if (isOutputName(name) || (!tempPrefix.empty() && name.starts_with(tempPrefix)))
      doomed.push_back(it->path());
  }
  if (ec) {
    error() << "cannot list " << dir << ": " << ec.message() << "\n";
    return false;
  }
  bool ok = true;
  for (const std::string &path : doomed) {
    if (llvm::sys::fs::is_directory(path))
      continue;
    if (std::error_code rc = llvm::sys::fs::remove(path)) {
      error() << "cannot remove " << path << ": " << rc.message() << "\n";
      ok = false;
    }
  }
  return ok;
}

/// Converts a result to an array of the output dtype.
bool resultToArray(const Tensor &t, Type type, OutputDType dtype,
                   NpyArray &out, unsigned index, unsigned &nonfinite) {
  hymir_rt_dtype dt;
  if (t.isFloat())
    dt = dtype == OutputDType::F64 ? HYMIR_RT_DTYPE_F64 : HYMIR_RT_DTYPE_F32;
  else
    dt = getElementTypeOrSelf(type).getIntOrFloatBitWidth() <= 32 &&
                 !isa<IndexType>(getElementTypeOrSelf(type))
             ? HYMIR_RT_DTYPE_I32
             : HYMIR_RT_DTYPE_I64;
  hymir_rt_error err{};
  llvm::ArrayRef<int64_t> shape = t.getShape();
  if (shape.size() > HYMIR_RT_MAX_RANK) {
    error() << "result #" << index << " has rank " << shape.size()
            << ", more than .npy output supports (" << HYMIR_RT_MAX_RANK
            << ")\n";
    return false;
  }
  if (hymir_rt_array_alloc(dt, static_cast<int>(shape.size()), shape.data(),
                           &out.array, &err)) {
    error() << "result #" << index << ": " << err.message << "\n";
    return false;
  }
  int64_t n = t.getNumElements();
  std::optional<FloatFormat> narrow =
      getFloatFormat(getElementTypeOrSelf(type));
  nonfinite = 0;
  for (int64_t i = 0; i < n; ++i) {
    switch (dt) {
    case HYMIR_RT_DTYPE_F32: {
      // A bf16/f16 result is rounded to its type first (exact in f32).
      double x = t.getFloats()[i];
      if (narrow && narrow->round)
        x = roundToFormat(x, *narrow);
      float v = static_cast<float>(x);
      nonfinite += !std::isfinite(v);
      static_cast<float *>(out.array.data)[i] = v;
      break;
    }
    case HYMIR_RT_DTYPE_F64:
      nonfinite += !std::isfinite(t.getFloats()[i]);
      static_cast<double *>(out.array.data)[i] = t.getFloats()[i];
      break;
    case HYMIR_RT_DTYPE_I32:
      static_cast<int32_t *>(out.array.data)[i] =
          static_cast<int32_t>(t.getInts()[i]);
      break;
    default:
      static_cast<int64_t *>(out.array.data)[i] = t.getInts()[i];
      break;
    }
  }
  return true;
}

/// The output protocol: stale out*.npy removed, every result written to a
/// temporary name, then all renamed into place. On failure nothing named
/// out*.npy is left in `dir`.
bool writeOutputs(StringRef dir, llvm::ArrayRef<Tensor> results,
                  TypeRange types, OutputDType dtype) {
  std::string tempPrefix =
      (".hymir-run." + llvm::Twine(llvm::sys::Process::getProcessId()) + ".")
          .str();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    error() << "cannot create output directory " << dir << ": "
            << ec.message() << "\n";
    return false;
  }
  if (!removeOutputs(dir, ""))
    return false;

  std::vector<std::string> temps, finals;
  auto cleanup = [&] {
    for (const std::string &p : temps)
      llvm::sys::fs::remove(p);
    removeOutputs(dir, tempPrefix);
  };
  for (auto [i, t] : llvm::enumerate(results)) {
    NpyArray array;
    unsigned nonfinite = 0;
    if (!resultToArray(t, types[i], dtype, array, i, nonfinite)) {
      cleanup();
      return false;
    }
    if (nonfinite)
      llvm::WithColor::warning(llvm::errs())
          << "result #" << i << " has " << nonfinite
          << " non-finite value(s)\n";
    llvm::SmallString<256> temp(dir), final(dir);
    llvm::sys::path::append(temp, tempPrefix + "out" + std::to_string(i) +
                                      ".npy.tmp");
    llvm::sys::path::append(final, "out" + std::to_string(i) + ".npy");
    hymir_rt_error err{};
    temps.push_back(std::string(temp));
    finals.push_back(std::string(final));
    if (hymir_rt_npy_write(temp.c_str(), &array.array, &err)) {
      error() << "cannot write result #" << i << ": " << err.message << "\n";
      cleanup();
      return false;
    }
  }
  for (auto [temp, final] : llvm::zip(temps, finals)) {
    if (std::error_code ec = llvm::sys::fs::rename(temp, final)) {
      error() << "cannot rename " << temp << " to " << final << ": "
              << ec.message() << "\n";
      cleanup();
      return false;
    }
  }
  return true;
}

/// Compiled entry points of a module on the CPU target, with its weights
/// bound. Compiled code computes in f32: float inputs are rounded to f32 on
/// the way in; integer inputs (token ids) are passed as they are.
class CpuRunner {
public:
  CpuRunner(ModuleOp module, const RawWeights &weights,
            const hymir::CPUPipelineOptions &options)
      : module(module), weights(weights), options(options) {}

  /// Compiles `entry` (once) and binds every weight.
  LogicalResult prepare(StringRef entry) {
    if (compiled.count(entry))
      return success();
    FailureOr<hymir::CompiledModule> c =
        hymir::CompiledModule::compile(module, entry, options);
    if (failed(c))
      return failure();
    for (const auto &[name, array] : weights)
      if (failed(c->bindWeight(name, array.array.data,
                               hymir_rt_array_nbytes(&array.array))))
        return failure();
    compiled.try_emplace(entry, std::move(*c));
    return success();
  }

  FailureOr<llvm::SmallVector<Tensor>> run(StringRef entry,
                                           ArrayRef<Tensor> args) {
    if (failed(prepare(entry)))
      return failure();
    std::vector<hymir::CpuTensor> cpuArgs;
    for (const Tensor &t : args) {
      hymir::CpuTensor c;
      c.shape.assign(t.getShape().begin(), t.getShape().end());
      if (t.isFloat()) {
        c.data.reserve(t.getNumElements());
        for (double v : t.getFloats())
          c.data.push_back(static_cast<float>(v));
      } else {
        c.ints.assign(t.getInts().begin(), t.getInts().end());
      }
      cpuArgs.push_back(std::move(c));
    }
    FailureOr<llvm::SmallVector<hymir::CpuTensor>> out =
        compiled.find(entry)->second.call(cpuArgs);
    if (failed(out))
      return failure();
    llvm::SmallVector<Tensor> results;
    // Integer results (a model's KV-cache lengths) come back in `ints`.
    FunctionType type =
        module.lookupSymbol<func::FuncOp>(entry).getFunctionType();
    for (auto [c, t] : llvm::zip(*out, type.getResults()))
      results.push_back(
          isa<IntegerType>(getElementTypeOrSelf(t))
              ? Tensor::getInt(c.shape, c.ints)
              : Tensor::getFloat(c.shape, std::vector<double>(c.data.begin(),
                                                              c.data.end())));
    return results;
  }

private:
  ModuleOp module;
  const RawWeights &weights;
  const hymir::CPUPipelineOptions &options;
  llvm::StringMap<hymir::CompiledModule> compiled;
};

//===----------------------------------------------------------------------===//
// Models: weights and generation
//===----------------------------------------------------------------------===//

/// The external globals of a module: the weights a model binds by name.
llvm::SmallVector<ml_program::GlobalOp> getExternalGlobals(ModuleOp module) {
  llvm::SmallVector<ml_program::GlobalOp> globals;
  for (auto g : module.getOps<ml_program::GlobalOp>())
    if (isa_and_nonnull<ml_program::ExternAttr>(g.getValueAttr()))
      globals.push_back(g);
  return globals;
}

/// The runtime dtype of a global's elements, or INVALID.
hymir_rt_dtype getRuntimeDType(Type elem) {
  if (elem.isF32())
    return HYMIR_RT_DTYPE_F32;
  if (elem.isF64())
    return HYMIR_RT_DTYPE_F64;
  if (elem.isF16())
    return HYMIR_RT_DTYPE_F16;
  if (elem.isBF16())
    return HYMIR_RT_DTYPE_BF16;
  if (elem.isSignlessInteger(8))
    return HYMIR_RT_DTYPE_I8;
  if (elem.isSignlessInteger(32))
    return HYMIR_RT_DTYPE_I32;
  if (elem.isSignlessInteger(64))
    return HYMIR_RT_DTYPE_I64;
  return HYMIR_RT_DTYPE_INVALID;
}

/// A global's type as the weights need it: a static tensor of a runtime
/// dtype. Prints an error naming the global otherwise.
bool getWeightType(ml_program::GlobalOp global, hymir_rt_dtype &dtype,
                   llvm::ArrayRef<int64_t> &shape) {
  auto type = dyn_cast<RankedTensorType>(global.getType());
  dtype = type ? getRuntimeDType(type.getElementType())
               : HYMIR_RT_DTYPE_INVALID;
  if (!type || !type.hasStaticShape() || dtype == HYMIR_RT_DTYPE_INVALID ||
      type.getRank() > HYMIR_RT_MAX_RANK) {
    error() << "global @\"" << global.getSymName() << "\" has type "
            << typeString(global.getType())
            << ": a weight must be a static tensor of f32, f64, f16, bf16, "
               "i8, i32 or i64\n";
    return false;
  }
  shape = type.getShape();
  return true;
}

/// Reads every external global of `module` from the safetensors file `path`
/// into `weights` (float64 / int64, for the reference) and, if `raw` is
/// given, into `raw` (the global's own element type, for compiled code).
/// Prints one error line and fails on the first problem (the runtime's
/// messages name the file and the tensor); the checks are the same whoever
/// runs the model.
LogicalResult loadWeights(ModuleOp module, StringRef path,
                          hymir::ref::WeightMap &weights,
                          RawWeights *raw = nullptr) {
  hymir_rt_safetensors *st = nullptr;
  hymir_rt_error err{};
  if (hymir_rt_safetensors_open(path.str().c_str(), &st, &err)) {
    error() << err.message << "\n";
    return failure();
  }
  llvm::scope_exit closeFile([&] { hymir_rt_safetensors_close(st); });
  // The weights are held as float64 (int64) tensors: check their total
  // against the memory limit before each is loaded.
  uint64_t limit = hymir_rt_memory_limit(), total = 0;
  for (ml_program::GlobalOp global : getExternalGlobals(module)) {
    hymir_rt_dtype dtype;
    llvm::ArrayRef<int64_t> shape;
    if (!getWeightType(global, dtype, shape))
      return failure();
    std::string name = global.getSymName().str();
    uint64_t numel = 1;
    for (int64_t d : shape)
      numel = d <= 0 ? 0 : saturatingBytes(numel, static_cast<uint64_t>(d));
    total = saturatingAdd(total, saturatingBytes(numel, 8));
    if (total > limit) {
      error() << path << ": the weights up to tensor '" << name << "' need "
              << bytesString(total)
              << " as float64, more than the memory limit of "
              << bytesString(limit) << "\n";
      return failure();
    }
    NpyArray loaded, wide;
    if (hymir_rt_safetensors_load(st, name.c_str(), dtype,
                                  static_cast<int>(shape.size()), shape.data(),
                                  &loaded.array, &err)) {
      error() << err.message << "\n";
      return failure();
    }
    bool isFloat = dtype == HYMIR_RT_DTYPE_F32 || dtype == HYMIR_RT_DTYPE_F64 ||
                   dtype == HYMIR_RT_DTYPE_F16 || dtype == HYMIR_RT_DTYPE_BF16;
    if (hymir_rt_array_convert(&loaded.array,
                               isFloat ? HYMIR_RT_DTYPE_F64 : HYMIR_RT_DTYPE_I64,
                               &wide.array, &err)) {
      error() << path << ": tensor '" << name << "': " << err.message << "\n";
      return failure();
    }
    int64_t n = hymir_rt_array_numel(&wide.array);
    if (raw)
      raw->emplace_back(name, std::move(loaded));
    if (isFloat) {
      const double *p = static_cast<const double *>(wide.array.data);
      weights[name] = Tensor::getFloat(shape, std::vector<double>(p, p + n));
    } else {
      const int64_t *p = static_cast<const int64_t *>(wide.array.data);
      weights[name] = Tensor::getInt(shape, std::vector<int64_t>(p, p + n));
    }
  }
  return success();
}

/// splitmix64: a small, portable generator (std::normal_distribution is not
/// reproducible across standard libraries).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in (0, 1).
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Standard normal (Box-Muller).
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
};

/// Writes deterministic random values for every external global of `module`
/// to `path` (see the overview for the distributions).
int writeRandomWeights(ModuleOp module, StringRef path, uint64_t seed) {
  llvm::SmallVector<ml_program::GlobalOp> globals = getExternalGlobals(module);
  if (globals.empty()) {
    error() << "the module has no external ml_program.global to give "
               "weights to\n";
    return kExitFailure;
  }
  std::vector<NpyArray> arrays(globals.size());
  std::vector<std::string> names;
  for (auto [i, global] : llvm::enumerate(globals)) {
    hymir_rt_dtype dtype;
    llvm::ArrayRef<int64_t> shape;
    if (!getWeightType(global, dtype, shape))
      return kExitFailure;
    std::string name = global.getSymName().str();
    // One stream per tensor, from the seed and the name (FNV-1a): a tensor's
    // values do not depend on the other globals of the module.
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (unsigned char c : name)
      h = (h ^ c) * 0x100000001b3ULL;
    SplitMix64 rng{h};
    NpyArray wide;
    hymir_rt_error err{};
    if (hymir_rt_array_alloc(HYMIR_RT_DTYPE_F64, static_cast<int>(shape.size()),
                             shape.data(), &wide.array, &err)) {
      error() << "tensor '" << name << "': " << err.message << "\n";
      return kExitFailure;
    }
    double *p = static_cast<double *>(wide.array.data);
    int64_t n = hymir_rt_array_numel(&wide.array);
    bool isInt = dtype == HYMIR_RT_DTYPE_I8 || dtype == HYMIR_RT_DTYPE_I32 ||
                 dtype == HYMIR_RT_DTYPE_I64;
    StringRef ref(name);
    for (int64_t j = 0; j < n; ++j) {
      if (isInt)
        p[j] = 0.0;
      else if (ref.ends_with("A_log"))
        p[j] = std::log(1.0 + 15.0 * rng.uniform());
      else if (shape.size() <= 1)
        p[j] = 1.0 + 0.1 * rng.normal();
      else
        p[j] = rng.normal() / std::sqrt(static_cast<double>(shape.back()));
    }
    if (hymir_rt_array_convert(&wide.array, dtype, &arrays[i].array, &err)) {
      error() << "tensor '" << name << "': " << err.message << "\n";
      return kExitFailure;
    }
    names.push_back(std::move(name));
  }
  std::vector<const char *> namePtrs;
  std::vector<const hymir_rt_array *> arrayPtrs;
  for (auto [name, array] : llvm::zip(names, arrays)) {
    namePtrs.push_back(name.c_str());
    arrayPtrs.push_back(&array.array);
  }
  hymir_rt_error err{};
  if (hymir_rt_safetensors_write(path.str().c_str(), names.size(),
                                 namePtrs.data(), arrayPtrs.data(), &err)) {
    error() << err.message << "\n";
    return kExitFailure;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Models: format 2, the preallocated KV cache (docs/models.md)
//===----------------------------------------------------------------------===//

constexpr int64_t kModelFormat = 2;
constexpr StringLiteral kModelFormatAttr = "hymir.model_format";
constexpr StringLiteral kKvCacheAttr = "hymir.kv_cache";
constexpr StringLiteral kKvLengthsAttr = "hymir.kv_lengths";

/// Whether `module` is a model: it has a public @prefill or @decode.
bool isModel(ModuleOp module) {
  for (StringRef name : {"prefill", "decode"})
    if (auto f = module.lookupSymbol<func::FuncOp>(name); f && f.isPublic())
      return true;
  return false;
}

/// A model records the format it was written in; hymir-run reads format 2
/// only (a format-1 model's growing cache would be silently misread).
LogicalResult checkModelFormat(ModuleOp module) {
  if (!isModel(module))
    return success();
  auto format = module->getAttrOfType<IntegerAttr>(kModelFormatAttr);
  if (!format)
    return module.emitError("a model (a module with @prefill / @decode) must "
                            "record its format: this one has no module "
                            "attribute 'hymir.model_format' (format 1, the "
                            "growing KV cache, is no longer read); re-import "
                            "it or port it to format 2 (docs/models.md)");
  if (format.getInt() != kModelFormat)
    return module.emitError("model format ")
           << format.getInt() << " is not supported (hymir-run reads "
           << "'hymir.model_format = " << kModelFormat
           << "', docs/models.md)";
  return success();
}

/// The KV-cache arguments of `func` (marked {hymir.kv_cache}) and their
/// lengths ({hymir.kv_lengths}), in argument order.
struct KvArguments {
  llvm::SmallVector<unsigned> caches, lengths;
};

KvArguments getKvArguments(func::FuncOp func) {
  KvArguments kv;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    if (func.getArgAttr(i, kKvCacheAttr))
      kv.caches.push_back(i);
    if (func.getArgAttr(i, kKvLengthsAttr))
      kv.lengths.push_back(i);
  }
  return kv;
}

/// Compiled code does not check its writes: before an entry with KV-cache
/// arguments runs, every lengths[b] must be a row of every cache, or the
/// token's key and value would land outside it. (The reference checks the
/// write itself; this says why, on every target.)
LogicalResult checkKvLengths(func::FuncOp func, ArrayRef<Tensor> args,
                             ArrayRef<std::string> names) {
  KvArguments kv = getKvArguments(func);
  auto name = [&](unsigned i) {
    return i < names.size() ? " (" + names[i] + ")" : std::string();
  };
  for (unsigned l : kv.lengths) {
    const Tensor &lengths = args[l];
    for (unsigned c : kv.caches) {
      const Tensor &cache = args[c];
      if (cache.getRank() < 2 || lengths.getRank() != 1 ||
          lengths.getDimSize(0) != cache.getDimSize(0))
        continue; // the signature checks catch these
      int64_t capacity = cache.getDimSize(1);
      for (int64_t b = 0, e = lengths.getDimSize(0); b < e; ++b) {
        int64_t len = lengths.getInts()[b];
        if (len >= 0 && len < capacity)
          continue;
        error() << "argument #" << l << name(l) << ": lengths[" << b
                << "] = " << len << " is not a free row of the KV cache "
                << "argument #" << c << name(c) << " of capacity " << capacity
                << " (@" << func.getSymName()
                << " writes the token at row lengths[b]; grow the cache along "
                << "axis 1 first)\n";
        return failure();
      }
    }
  }
  return success();
}

/// `cache` [B, C, ...] copied into a zero-filled [B, capacity, ...] (the
/// runner's growth along axis 1, before the first decode step).
Tensor growKvCache(const Tensor &cache, int64_t capacity) {
  llvm::SmallVector<int64_t> shape(cache.getShape());
  int64_t rows = shape[1];
  shape[1] = capacity;
  Tensor grown = Tensor::getZeros(Tensor::Kind::Float, shape);
  int64_t row = 1; // elements per row
  for (int64_t d : ArrayRef<int64_t>(shape).drop_front(2))
    row *= d;
  for (int64_t b = 0; b < shape[0]; ++b)
    std::copy_n(cache.getFloats().begin() + b * rows * row, rows * row,
                grown.getFloats().begin() + b * capacity * row);
  return grown;
}

/// Greedy generation: @prefill on the prompt (batch 1), then @decode steps
/// carrying the states. Prints the generated ids on one line, then the
/// throughput of both phases.
using EntryRunner = llvm::function_ref<FailureOr<llvm::SmallVector<Tensor>>(
    StringRef entry, ArrayRef<Tensor> args)>;

/// `prepare` (may be null) compiles the entry points before the clock runs;
/// `runEntry` runs one.
int runGeneration(ModuleOp module, const Options &opts,
                  llvm::function_ref<LogicalResult(StringRef)> prepare,
                  EntryRunner runEntry) {
  auto prefill = module.lookupSymbol<func::FuncOp>("prefill");
  auto decode = module.lookupSymbol<func::FuncOp>("decode");
  if (!prefill || !decode || prefill.isExternal() || decode.isExternal()) {
    error() << "--generate needs functions @prefill and @decode with bodies "
               "(docs/models.md)\n";
    return kExitFailure;
  }
  FunctionType pt = prefill.getFunctionType(), dt = decode.getFunctionType();
  unsigned numStates = pt.getNumResults() ? pt.getNumResults() - 1 : 0;
  auto isIntTensor = [](Type t, int64_t rank) {
    auto rt = dyn_cast<RankedTensorType>(t);
    return rt && rt.getRank() == rank && isa<IntegerType>(rt.getElementType());
  };
  auto isLogits = [](Type t, int64_t rank) {
    auto rt = dyn_cast<RankedTensorType>(t);
    return rt && rt.getRank() == rank && isa<FloatType>(rt.getElementType());
  };
  if (pt.getNumInputs() != 1 || !isIntTensor(pt.getInput(0), 2) ||
      pt.getNumResults() < 1 || !isLogits(pt.getResult(0), 3) ||
      dt.getNumInputs() != numStates + 1 || !isIntTensor(dt.getInput(0), 1) ||
      dt.getNumResults() != numStates + 1 || !isLogits(dt.getResult(0), 2)) {
    error() << "--generate needs @prefill(tokens [B, T]) -> (logits [B, T, V], "
               "states...) and @decode(tokens [B], states...) -> (logits [B, "
               "V], states...) with the same states (docs/models.md)\n";
    return kExitFailure;
  }
  // The KV caches: the same states marked on @prefill's results and
  // @decode's arguments (docs/models.md).
  llvm::SmallVector<unsigned> caches;
  for (unsigned i = 1; i <= numStates; ++i) {
    bool onPrefill = static_cast<bool>(prefill.getResultAttr(i, kKvCacheAttr)),
         onDecode = static_cast<bool>(decode.getArgAttr(i, kKvCacheAttr));
    bool lengthsPrefill =
             static_cast<bool>(prefill.getResultAttr(i, kKvLengthsAttr)),
         lengthsDecode = static_cast<bool>(decode.getArgAttr(i, kKvLengthsAttr));
    auto rt = dyn_cast<RankedTensorType>(pt.getResult(i));
    if (onPrefill != onDecode || lengthsPrefill != lengthsDecode ||
        (onPrefill && (!rt || rt.getRank() < 2))) {
      emitError(decode.getLoc(), "--generate: state #")
          << i - 1 << " (@decode's argument #" << i
          << ") must carry the same {hymir.kv_cache} / {hymir.kv_lengths} "
             "marks as @prefill's result #"
          << i << ", and a KV cache has rank >= 2 (docs/models.md)";
      return kExitFailure;
    }
    if (onPrefill)
      caches.push_back(i);
  }
  if (opts.promptIds.empty()) {
    error() << "--generate needs a non-empty --prompt-ids=ID,ID,...\n";
    return kExitUsage;
  }
  // Compiled code does not check its gathers: an id out of the vocabulary
  // (the logits' last dim) is an error before anything runs.
  int64_t vocab = cast<RankedTensorType>(pt.getResult(0)).getShape().back();
  if (!ShapedType::isDynamic(vocab))
    for (int64_t id : opts.promptIds)
      if (id < 0 || id >= vocab) {
        error() << "--prompt-ids: id " << id << " is not in [0, " << vocab
                << ") (the vocabulary of @prefill's logits)\n";
        return kExitFailure;
      }
  if (prepare && (failed(prepare("prefill")) || failed(prepare("decode"))))
    return kExitFailure;
  auto argmaxRow = [](const Tensor &logits, int64_t row) {
    int64_t v = logits.getShape().back();
    const double *p = logits.getFloats().data() + row * v;
    int64_t best = 0;
    for (int64_t j = 1; j < v; ++j)
      if (p[j] > p[best])
        best = j;
    return best;
  };
  using Clock = std::chrono::steady_clock;
  int64_t promptLen = static_cast<int64_t>(opts.promptIds.size());
  Tensor tokens = Tensor::getInt(
      {1, promptLen},
      std::vector<int64_t>(opts.promptIds.begin(), opts.promptIds.end()));
  auto t0 = Clock::now();
  FailureOr<llvm::SmallVector<Tensor>> out = runEntry("prefill", {tokens});
  if (failed(out))
    return kExitFailure;
  double prefillSeconds =
      std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<int64_t> generated{argmaxRow((*out)[0], promptLen - 1)};
  // Grow the caches once to what the decode steps need (prompt + N rows);
  // each step then writes its token in place, with no shape change.
  int64_t capacity = promptLen + opts.generate;
  if (opts.generate > 1)
    for (unsigned i : caches)
      (*out)[i] = growKvCache((*out)[i], capacity);

  auto t1 = Clock::now();
  for (unsigned step = 1; step < opts.generate; ++step) {
    llvm::SmallVector<Tensor> args;
    args.push_back(Tensor::getInt({1}, {generated.back()}));
    for (unsigned i = 1; i <= numStates; ++i)
      args.push_back(std::move((*out)[i]));
    out = runEntry("decode", args);
    if (failed(out))
      return kExitFailure;
    generated.push_back(argmaxRow((*out)[0], 0));
  }
  double decodeSeconds =
      std::chrono::duration<double>(Clock::now() - t1).count();

  llvm::outs() << llvm::join(llvm::map_range(generated,
                                             [](int64_t id) {
                                               return std::to_string(id);
                                             }),
                             ",")
               << "\n";
  llvm::outs() << llvm::format("prefill: %lld tokens in %.3f s (%.1f tokens/s)\n",
                               static_cast<long long>(promptLen),
                               prefillSeconds, promptLen / prefillSeconds);
  unsigned decoded = opts.generate - 1;
  if (decoded)
    llvm::outs() << llvm::format(
        "decode: %u tokens in %.3f s (%.1f tokens/s)\n", decoded,
        decodeSeconds, decoded / decodeSeconds);
  else
    llvm::outs() << "decode: 0 tokens (--generate=1 needs no decode step)\n";
  return 0;
}

/// --check: the compiled code and the reference on the same inputs; prints
/// the relative RMS error of every result and fails above 1e-4. Writes the
/// compiled code's results to --output if given.
int runCheck(const Options &opts, FunctionType type, ArrayRef<Tensor> args,
             EntryRunner compiled, EntryRunner reference) {
  constexpr double kTolerance = 1e-4;
  FailureOr<llvm::SmallVector<Tensor>> got = compiled(opts.entry, args);
  if (failed(got))
    return kExitFailure;
  FailureOr<llvm::SmallVector<Tensor>> want = reference(opts.entry, args);
  if (failed(want))
    return kExitFailure;
  if (got->size() != want->size()) {
    error() << "check: the compiled code returned " << got->size()
            << " result(s), the reference " << want->size() << "\n";
    return kExitFailure;
  }
  double worst = 0;
  unsigned worstIndex = 0;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*got, *want))) {
    auto &[g, w] = pair;
    if (g.getShape() != w.getShape()) {
      error() << "check: result #" << i << " has shape "
              << formatDims(g.getShape()) << " but the reference's is "
              << formatDims(w.getShape()) << "\n";
      return kExitFailure;
    }
    double num = 0, den = 0;
    for (int64_t j = 0, e = w.getNumElements(); j < e; ++j) {
      double a = g.getAsDouble(j), b = w.getAsDouble(j);
      num += (a - b) * (a - b);
      den += b * b;
    }
    double err = std::sqrt(den > 0 ? num / den
                                   : num / std::max<int64_t>(
                                               1, w.getNumElements()));
    if (std::isnan(err))
      err = INFINITY;
    llvm::outs() << llvm::format("result #%u (%s): relative RMS %.3g\n",
                                 static_cast<unsigned>(i),
                                 formatDims(w.getShape()).c_str(), err);
    if (i == 0 || err > worst) {
      worst = err;
      worstIndex = i;
    }
  }
  if (!(worst <= kTolerance)) {
    error() << llvm::format("check: result #%u differs from the reference: "
                            "relative RMS %.3g > %.0e\n",
                            worstIndex, worst, kTolerance);
    return kExitFailure;
  }
  llvm::outs() << llvm::format(
      "check: OK, %u result(s), max relative RMS %.3g <= %.0e\n",
      static_cast<unsigned>(got->size()), worst, kTolerance);
  if (!opts.output.empty() &&
      !writeOutputs(opts.output, *got, type.getResults(), opts.outputDType))
    return kExitFailure;
  return 0;
}

int run(Options &opts, const char *argv0) {
  // Whatever fails from here on leaves no out*.npy in the output directory.
  auto failRun = [&](int code) {
    removeOutputs(opts.output, "");
    return code;
  };

  if (opts.inputFile.empty()) {
    error() << "no input file: pass FILE.mlir (see --help)\n";
    return kExitUsage;
  }
  bool randomWeights = opts.randomWeights.getNumOccurrences() != 0;
  bool generate = opts.generate.getNumOccurrences() != 0;
  if (randomWeights) {
    if (!opts.inputs.empty() || generate || !opts.weights.empty() ||
        !opts.output.empty() || opts.reference ||
        opts.target.getNumOccurrences()) {
      error() << "--random-weights writes weights and exits: it takes no "
                 "option but --seed\n";
      return kExitUsage;
    }
  } else if (generate) {
    if (!opts.inputs.empty() || !opts.output.empty() ||
        opts.entry.getNumOccurrences()) {
      error() << "--generate takes the prompt from --prompt-ids and runs "
                 "@prefill and @decode: --input, --output and --entry do not "
                 "apply\n";
      return kExitUsage;
    }
    if (opts.generate == 0) {
      error() << "--generate=N needs N >= 1\n";
      return kExitUsage;
    }
  } else if (opts.output.empty() && !opts.check) {
    error() << "--output=DIR is required\n";
    return kExitUsage;
  }
  if (opts.check && (opts.reference || generate || randomWeights ||
                     (opts.target.getNumOccurrences() && opts.target != "cpu"))) {
    error() << "--check compares --target=cpu with the reference on --input "
               "files: it does not combine with --reference, --target=cuda, "
               "--generate or --random-weights\n";
    return kExitUsage;
  }
  if (!opts.promptIds.empty() && !generate) {
    error() << "--prompt-ids is the prompt of --generate\n";
    return kExitUsage;
  }
  if (opts.target.getNumOccurrences() && opts.reference) {
    error() << "--reference and --target are exclusive\n";
    return failRun(kExitUsage);
  }
  if (!opts.reference && !randomWeights) {
    StringRef target = opts.target.empty() ? StringRef("cpu") : opts.target;
    if (target != "cpu" && target != "cuda") {
      error() << "unknown --target=" << target << " (expected cpu or cuda)\n";
      return failRun(kExitUsage);
    }
    if (opts.outputDType == OutputDType::F64) {
      error() << "--output-dtype=f64 needs --reference (compiled code "
                 "computes in f32)\n";
      return failRun(kExitUsage);
    }
  }

  // The memory limit applies to everything read or allocated from here on.
  uint64_t memoryLimit = hymir_rt_default_memory_limit();
  if (opts.maxMemory.getNumOccurrences()) {
    std::optional<uint64_t> limit = parseMemorySize(opts.maxMemory);
    if (!limit) {
      error() << "--max-memory=" << opts.maxMemory
              << " is not a size (expected bytes > 0, optionally with a K, "
                 "M, G or T suffix)\n";
      return failRun(kExitUsage);
    }
    memoryLimit = *limit;
    hymir_rt_set_memory_limit(memoryLimit);
  }
  auto limitString = [&] {
    return bytesString(memoryLimit) +
           (opts.maxMemory.getNumOccurrences() ? " (--max-memory)"
                                               : " (the physical memory; "
                                                 "see --max-memory)");
  };

  // Parse and verify the module; diagnostics carry source locations.
  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // The source line is shown; the generic form of the op would be noise.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(opts.inputFile);
  if (std::error_code ec = buffer.getError()) {
    error() << "cannot open " << opts.inputFile << ": " << ec.message() << "\n";
    return failRun(kExitFailure);
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(checkModelFormat(*module)))
    return failRun(kExitFailure);

  // Models: random weights, bound weights, generation.
  if (randomWeights)
    return writeRandomWeights(*module, opts.randomWeights, opts.seed);
  bool onCpu = !opts.reference && opts.target != "cuda";
  hymir::ref::WeightMap weights;
  RawWeights rawWeights;
  if (!opts.weights.empty() &&
      failed(loadWeights(*module, opts.weights, weights,
                         onCpu ? &rawWeights : nullptr)))
    return failRun(kExitFailure);
  if (!opts.reference && opts.weights.empty() &&
      !getExternalGlobals(*module).empty()) {
    error() << "the module has external weights (ml_program.global): pass "
               "--weights=W.safetensors\n";
    return failRun(kExitUsage);
  }
  // --target=cuda: the runner binds the weights (checked above with the
  // reference's messages) by name from the same file.
  if (generate && !opts.reference && !onCpu) {
    if (opts.promptIds.empty()) {
      error() << "--generate needs a non-empty --prompt-ids=ID,ID,...\n";
      return kExitUsage;
    }
    std::vector<int64_t> ids(opts.promptIds.begin(), opts.promptIds.end());
    return hymir::generateOnCuda(*module, opts.weights, ids, opts.generate,
                                 argv0) == 0
               ? 0
               : kExitFailure;
  }
  hymir::CPUPipelineOptions cpuOptions;
  if (opts.chunkSize >= 0)
    cpuOptions.setChunkSizeForAllForms(opts.chunkSize);
  if (opts.valueTile >= 0)
    cpuOptions.valueTile = opts.valueTile;
  cpuOptions.tileAttention = opts.tileAttention;
  cpuOptions.gpuChunkForms = opts.gpuChunkForms;
  cpuOptions.polynomialMath = opts.polynomialMath;
  cpuOptions.fusion = opts.fusion;
  cpuOptions.parallelChunks = opts.parallelChunks;
  cpuOptions.blockedInverse = opts.blockedInverse;
  cpuOptions.threads = opts.threads;
  CpuRunner cpu(*module, rawWeights, cpuOptions);
  auto runReference = [&](StringRef entry, ArrayRef<Tensor> args) {
    return hymir::ref::runFunction(*module, entry, args, &weights, memoryLimit);
  };
  auto runCpu = [&](StringRef entry, ArrayRef<Tensor> args) {
    return cpu.run(entry, args);
  };
  if (generate) {
    if (opts.reference)
      return runGeneration(*module, opts, nullptr, runReference);
    return runGeneration(
        *module, opts, [&](StringRef entry) { return cpu.prepare(entry); },
        runCpu);
  }

  // The entry function.
  auto func = module->lookupSymbol<func::FuncOp>(opts.entry);
  if (!func || !func.isPublic() || func.isExternal()) {
    std::vector<std::string> names;
    for (auto f : module->getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        names.push_back("@" + f.getSymName().str());
    auto &os = error() << "no public function @" << opts.entry << " in "
                       << opts.inputFile;
    if (names.empty())
      os << " (it has no public function with a body)\n";
    else
      os << "; available: " << llvm::join(names, ", ") << "\n";
    return failRun(kExitFailure);
  }
  FunctionType type = func.getFunctionType();
  if (opts.inputs.size() != type.getNumInputs()) {
    auto &os = error() << "@" << opts.entry << " takes " << type.getNumInputs()
                       << " argument(s) but " << opts.inputs.size()
                       << " --input file(s) were given";
    if (opts.inputs.size() < type.getNumInputs())
      os << " (argument #" << opts.inputs.size() << " of type "
         << typeString(type.getInput(opts.inputs.size())) << " has none)";
    os << "\n";
    return failRun(kExitFailure);
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults()))
    if (!hymir::ref::getTensorKind(resultType) ||
        (!isa<RankedTensorType>(resultType) &&
         !resultType.isIntOrIndexOrFloat())) {
      error() << "result #" << i << " of @" << opts.entry << " has type "
              << typeString(resultType) << ", which hymir-run cannot write\n";
      return failRun(kExitFailure);
    }

  // Read and check every input before anything runs. Each value is held as
  // a float64 (or int64) tensor, plus an f32 copy for compiled code.
  bool compiled = !opts.reference;
  uint64_t perInputElement = compiled ? 12 : 8;
  uint64_t inputBytes = 0;
  std::vector<Tensor> args;
  DynamicDims dynamicDims;
  for (auto [i, path] : llvm::enumerate(opts.inputs)) {
    NpyArray array;
    hymir_rt_error err{};
    if (hymir_rt_npy_read(path.c_str(), &array.array, &err)) {
      error() << "argument #" << i << ": " << err.message << "\n";
      return failRun(kExitFailure);
    }
    inputBytes = saturatingAdd(
        inputBytes,
        saturatingBytes(static_cast<uint64_t>(std::max<int64_t>(
                            hymir_rt_array_numel(&array.array), 0)),
                        perInputElement));
    if (inputBytes > memoryLimit) {
      error() << "argument #" << i << " (" << path
              << "): the arguments so far need " << bytesString(inputBytes)
              << " once converted, more than the memory limit of "
              << limitString() << "\n";
      return failRun(kExitFailure);
    }
    FailureOr<Tensor> t =
        checkAndConvert(i, path, type.getInput(i), array.array, dynamicDims,
                        opts.allowNonfinite);
    if (failed(t))
      return failRun(kExitFailure);
    args.push_back(std::move(*t));
  }

  if (failed(checkKvLengths(func, args, opts.inputs)))
    return failRun(kExitFailure);

  if (!opts.reference && opts.target == "cuda") {
    llvm::SmallVector<llvm::SmallVector<int64_t>> shapes;
    for (const Tensor &t : args)
      shapes.emplace_back(t.getShape().begin(), t.getShape().end());
    if (!removeOutputs(opts.output, ""))
      return failRun(kExitFailure);
    int status = hymir::runOnCuda(*module, opts.entry, shapes, opts.inputs,
                                  opts.output, opts.weights, argv0);
    return status == 0 ? 0 : failRun(kExitFailure);
  }

  // The results, sized from the entry's result types (a '?' by the
  // dynamic-dim convention): float64 tensors, plus the buffers of compiled
  // code and their f32 copies.
  uint64_t resultBytes = 0;
  for (Type t : type.getResults())
    if (std::optional<uint64_t> n = resultElements(t, dynamicDims))
      resultBytes =
          saturatingAdd(resultBytes, saturatingBytes(*n, compiled ? 16 : 8));
  if (saturatingAdd(inputBytes, resultBytes) > memoryLimit) {
    error() << "@" << opts.entry << " needs at least "
            << bytesString(saturatingAdd(inputBytes, resultBytes))
            << " for its arguments (" << bytesString(inputBytes)
            << ") and results (" << bytesString(resultBytes)
            << "), more than the memory limit of " << limitString() << "\n";
    return failRun(kExitFailure);
  }

  // Stale outputs go before the run, so that a run that ends abruptly (out
  // of memory, see onOutOfMemory) leaves none behind either.
  if (!removeOutputs(opts.output, ""))
    return failRun(kExitFailure);

  if (opts.check)
    return runCheck(opts, type, args, runCpu, runReference) == 0
               ? 0
               : failRun(kExitFailure);

  FailureOr<llvm::SmallVector<Tensor>> results =
      opts.reference ? runReference(opts.entry, args)
                     : runCpu(opts.entry, args);
  if (failed(results))
    return failRun(kExitFailure);
  if (!writeOutputs(opts.output, *results, type.getResults(),
                    opts.outputDType))
    return failRun(kExitFailure);
  return 0;
}

/// Running out of memory (operator new, LLVM's allocators) anyway: one error
/// line and exit status 1, not an abort. Only async-signal-safe calls: the
/// heap is exhausted.
void onOutOfMemory(void *, const char *reason, bool) {
  static const char kPrefix[] = "error: out of memory";
  ssize_t ignored = ::write(2, kPrefix, sizeof(kPrefix) - 1);
  if (reason && *reason) {
    ignored = ::write(2, " (", 2);
    ignored = ::write(2, reason, std::strlen(reason));
    ignored = ::write(2, ")", 1);
  }
  static const char kHint[] =
      "; lower the sizes or raise the memory available (--max-memory "
      "refuses what is known to be too large before it is allocated)\n";
  ignored = ::write(2, kHint, sizeof(kHint) - 1);
  (void)ignored;
  std::_Exit(kExitFailure);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::install_bad_alloc_error_handler(onOutOfMemory);
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  std::vector<char *> args(argv, argv + argc);
  bool threadsGiven;
  if (std::optional<std::string> bad =
          hymir::extractThreads(args, opts.threads, threadsGiven)) {
    error() << "--threads=" << *bad
            << " is not a thread count (expected 0 to " << hymir::kMaxThreads
            << "; 0 = one per core)\n";
    return kExitUsage;
  }
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   kOverview, &llvm::errs()))
    return kExitUsage;
  return run(opts, argv[0]);
}
