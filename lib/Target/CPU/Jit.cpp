//===- Jit.cpp - JIT-compile and run a function on the host CPU -----------===//
//
// Calling convention (convert-func-to-llvm with llvm.emit_c_interface, see
// the `hymir-prepare-entry-points` pass): `_mlir_ciface_<entry>` takes
//   * first, when the function has results, a pointer to where it stores them:
//     one memref descriptor, or a struct of descriptors for several results;
//   * then one pointer to a memref descriptor per tensor argument, or the value
//     itself for a scalar argument.
// A ranked memref descriptor is {allocated ptr, aligned ptr, i64 offset,
// i64 sizes[rank], i64 strides[rank]}: all fields are 8 bytes, so a struct of
// descriptors is their concatenation without padding. The engine's packed
// wrapper `_mlir__mlir_ciface_<entry>(void **)` takes a pointer to each of
// these parameters. Results are allocated by the compiled code and freed here.
//
// LLVM's -O3 pipeline runs with the host's TargetMachine, so that the loop and
// SLP vectorizers see the host's vector registers (without one they see no
// vector unit at all); it is the AOT path's (optimizeLLVMModule, Emit.cpp),
// with glibc's libmvec as the vector library, which the JIT then loads. Code
// compiled with `threads` != 1 calls the OpenMP runtime (__kmpc_*), which the
// JIT loads from LLVM's libomp and starts (its worker threads) once compiled,
// not on the first call.
//
// Compiled code allocates with `aligned_alloc` (and `malloc`) and frees with
// `free`, which the JIT binds to the process's BufferCache (large blocks are
// kept for the next call, BufferCache.h) behind checked wrappers: if an
// allocation fails, the process prints "error: out of memory: compiled code
// could not allocate N bytes" and exits with status 1 (hymir-run's status for
// a failed run) rather than writing through a null pointer. Results go back
// to the same cache once copied out.
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CPU/Jit.h"
#include "hymir/Target/CPU/BufferCache.h"
#include "hymir/Target/CPU/Emit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <unistd.h>

using namespace mlir;
using hymir::CpuTensor;

int64_t CpuTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// Number of 8-byte words of a ranked memref descriptor.
size_t descriptorWords(int64_t rank) {
  return 3 + 2 * static_cast<size_t>(rank);
}

void initializeNativeTarget() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// Whether `type` is a tensor of i32 or i64 elements (token ids).
bool isIntTensor(Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  return tensorType && (tensorType.getElementType().isSignlessInteger(32) ||
                        tensorType.getElementType().isSignlessInteger(64));
}

/// Whether `type` is a tensor of bf16 elements (activations a model passes
/// in bf16; the compiled code widens them to f32 where it loads them).
bool isBf16Tensor(Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  return tensorType && tensorType.getElementType().isBF16();
}

/// Whether `type` is a tensor of f32 or bf16 elements.
bool isFloatTensor(Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  return tensorType && (tensorType.getElementType().isF32() ||
                        tensorType.getElementType().isBF16());
}

/// `x` rounded to bf16 (round to nearest, ties to even; NaN stays NaN).
uint16_t floatToBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if (std::isnan(x))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

/// Checks the entry's signature: f32 or bf16 tensor, f32 scalar or i32/i64
/// tensor arguments, f32, bf16 or i32/i64 (a model's KV-cache lengths) tensor
/// results.
LogicalResult checkSignature(func::FuncOp func) {
  FunctionType type = func.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    if (argType.isF32() || isIntTensor(argType) || isFloatTensor(argType))
      continue;
    return func.emitError("runOnCpu: argument #")
           << i << " has type " << argType
           << "; only f32 or bf16 tensors, f32 scalars and i32/i64 tensors "
              "are supported";
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    if (!isFloatTensor(resultType) && !isIntTensor(resultType))
      return func.emitError("runOnCpu: result #")
             << i << " has type " << resultType
             << "; only f32, bf16 and i32/i64 tensor results are supported";
  }
  return success();
}

/// Checks `args` against the signature `type` (already known to pass
/// checkSignature) of the function @`name` at `loc`.
LogicalResult checkArguments(Location loc, StringRef name, FunctionType type,
                             ArrayRef<CpuTensor> args) {
  if (type.getNumInputs() != args.size())
    return emitError(loc, "runOnCpu: @")
           << name << " takes " << type.getNumInputs() << " arguments, got "
           << args.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getInputs(), args))) {
    auto [argType, arg] = pair;
    if (llvm::any_of(arg.shape, [](int64_t d) { return d < 0; }))
      return emitError(loc, "runOnCpu: argument #")
             << i << " has a negative size";
    size_t values = isIntTensor(argType) ? arg.ints.size()
                    : isBf16Tensor(argType) && !arg.bf16.empty()
                        ? arg.bf16.size()
                        : arg.data.size();
    if (arg.numElements() != static_cast<int64_t>(values))
      return emitError(loc, "runOnCpu: argument #")
             << i << " has " << values << " values for a shape of "
             << arg.numElements() << " elements";
    if (argType.isF32()) {
      if (!arg.shape.empty())
        return emitError(loc, "runOnCpu: argument #")
               << i << " is an f32 scalar; pass a rank-0 tensor";
      continue;
    }
    auto tensorType = cast<RankedTensorType>(argType);
    if (tensorType.getRank() != static_cast<int64_t>(arg.shape.size()))
      return emitError(loc, "runOnCpu: argument #")
             << i << " has rank " << arg.shape.size() << ", expected "
             << tensorType.getRank();
    for (auto [d, size] : llvm::enumerate(tensorType.getShape())) {
      if (!ShapedType::isDynamic(size) && size != arg.shape[d])
        return emitError(loc, "runOnCpu: argument #")
               << i << " has size " << arg.shape[d] << " in dim " << d
               << ", expected " << size;
    }
  }
  return success();
}

/// Copies the strided memref of `T` elements at `words` into `out` (sized to
/// its number of elements), row-major.
template <typename T, typename U>
void readElements(const int64_t *words, int64_t rank, std::vector<U> &out) {
  const auto *aligned = reinterpret_cast<const T *>(words[1]);
  int64_t offset = words[2];
  const int64_t *sizes = words + 3;
  const int64_t *strides = words + 3 + rank;
  if (out.empty())
    return;
  // Row-major and dense (the usual case): one pass.
  bool dense = true;
  int64_t expected = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (sizes[d] != 1 && strides[d] != expected)
      dense = false;
    expected *= sizes[d];
  }
  if (dense) {
    std::copy(aligned + offset, aligned + offset + out.size(), out.begin());
    return;
  }
  // Odometer over the index space, in row-major order.
  std::vector<int64_t> index(rank, 0);
  for (U &value : out) {
    int64_t at = offset;
    for (int64_t d = 0; d < rank; ++d)
      at += index[d] * strides[d];
    value = aligned[at];
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

/// A dense copy of the result of `type` at `words`: f32 values in `data`,
/// integer ones in `ints`.
CpuTensor readResult(const int64_t *words, RankedTensorType type) {
  int64_t rank = type.getRank();
  CpuTensor result;
  result.shape.assign(words + 3, words + 3 + rank);
  Type elem = type.getElementType();
  if (elem.isSignlessInteger(32) || elem.isSignlessInteger(64)) {
    result.ints.resize(result.numElements());
    if (elem.isSignlessInteger(32))
      readElements<int32_t>(words, rank, result.ints);
    else
      readElements<int64_t>(words, rank, result.ints);
    return result;
  }
  result.data.resize(result.numElements());
  if (elem.isBF16()) {
    // Widened exactly.
    std::vector<uint16_t> narrow(result.data.size());
    readElements<uint16_t>(words, rank, narrow);
    llvm::transform(narrow, result.data.begin(), bf16ToFloat);
    return result;
  }
  readElements<float>(words, rank, result.data);
  return result;
}

/// A TargetMachine for the host CPU (its name and features detected).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>> hostTargetMachine() {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder->createTargetMachine();
}

/// A failed allocation of compiled code (buffers of results and
/// intermediates, see the file comment): an error line and exit status 1
/// instead of a null pointer the code would write through (a segmentation
/// fault). Compiled code has no way to report an error to its caller, and may
/// be running on OpenMP worker threads.
[[noreturn]] void outOfMemory(size_t bytes) {
  char line[200];
  int n = std::snprintf(line, sizeof(line),
                        "error: out of memory: compiled code could not "
                        "allocate %zu bytes\n",
                        bytes);
  if (n > 0) {
    ssize_t ignored = ::write(2, line, std::min<size_t>(n, sizeof(line) - 1));
    (void)ignored;
  }
  std::_Exit(1);
}

/// The `malloc` of compiled code: the buffer cache's (which passes small
/// blocks on to the C library), checked.
void *checkedMalloc(size_t bytes) {
  void *p = hymir::cpu::compiledCodeBuffers().allocate(
      alignof(std::max_align_t), bytes);
  if (!p && bytes != 0)
    outOfMemory(bytes);
  return p;
}

/// memref.alloc's allocator (hymir-cpu-pipeline lowers it to aligned_alloc),
/// checked the same way.
void *checkedAlignedAlloc(size_t alignment, size_t bytes) {
  void *p = hymir::cpu::compiledCodeBuffers().allocate(alignment, bytes);
  if (!p && bytes != 0)
    outOfMemory(bytes);
  return p;
}

/// memref.dealloc's `free`: large blocks stay mapped for the next call.
void cachedFree(void *p) { hymir::cpu::compiledCodeBuffers().release(p); }

/// The OpenMP runtime's source location argument (kmp.h's ident_t).
struct OpenMPIdent {
  int32_t reserved1;
  int32_t flags;
  int32_t reserved2;
  int32_t reserved3;
  const char *source;
};

void emptyMicrotask(int32_t *, int32_t *) {}

/// Starts the OpenMP runtime and its `threads` worker threads (0: the
/// runtime's default) with an empty parallel region, as the compiled code's
/// regions would (__kmpc_push_num_threads, then __kmpc_fork_call). The
/// runtime initializes itself and creates its threads in the first region a
/// process opens: done on the first call, that took ~5 ms, several times a
/// tiny model's whole prefill at 2 threads. Later regions reuse the threads.
/// Does nothing if `engine` does not resolve the runtime's entry points.
void startOpenMPThreads(ExecutionEngine &engine, unsigned threads) {
  auto lookup = [&](StringRef name) -> void * {
    auto address = engine.lookup(name);
    if (!address) {
      llvm::consumeError(address.takeError());
      return nullptr;
    }
    return *address;
  };
  auto *threadNum = reinterpret_cast<int32_t (*)(OpenMPIdent *)>(
      lookup("__kmpc_global_thread_num"));
  auto *pushNumThreads = reinterpret_cast<void (*)(OpenMPIdent *, int32_t,
                                                   int32_t)>(
      lookup("__kmpc_push_num_threads"));
  auto *forkCall = reinterpret_cast<void (*)(
      OpenMPIdent *, int32_t, void (*)(int32_t *, int32_t *), ...)>(
      lookup("__kmpc_fork_call"));
  if (!threadNum || !pushNumThreads || !forkCall)
    return;
  // flags = KMP_IDENT_KMPC, as the OpenMP IR builder sets it.
  static OpenMPIdent ident = {0, 2, 0, 0, ";unknown;unknown;0;0;;"};
  if (threads > 0)
    pushNumThreads(&ident, threadNum(&ident), static_cast<int32_t>(threads));
  forkCall(&ident, 0, emptyMicrotask);
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

} // namespace

struct hymir::CompiledModule::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  void (*function)(void **) = nullptr;
  Location loc;
  std::string name;
  FunctionType type;
  double pipelineSeconds = 0, llvmSeconds = 0;
  /// The weights: name and size, and where the compiled code keeps them.
  std::vector<std::pair<std::string, size_t>> weights;
  std::vector<void *> weightAddresses;
  std::vector<bool> weightBound;

  Impl(Location loc, StringRef name, FunctionType type)
      : loc(loc), name(name.str()), type(type) {}

  /// Runs the entry; `onResult(words, rank, bf16)` sees each result descriptor
  /// before its buffer is freed.
  LogicalResult
  invoke(ArrayRef<CpuTensor> args,
         llvm::function_ref<void(const int64_t *, int64_t, bool)> onResult) const;
};

hymir::CompiledModule::CompiledModule(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
hymir::CompiledModule::CompiledModule(CompiledModule &&) noexcept = default;
hymir::CompiledModule &
hymir::CompiledModule::operator=(CompiledModule &&) noexcept = default;
hymir::CompiledModule::~CompiledModule() = default;

double hymir::CompiledModule::pipelineSeconds() const {
  return impl->pipelineSeconds;
}
double hymir::CompiledModule::llvmSeconds() const { return impl->llvmSeconds; }

FailureOr<hymir::CompiledModule>
hymir::CompiledModule::compile(ModuleOp module, StringRef entry,
                               const CPUPipelineOptions &options) {
  MLIRContext *ctx = module.getContext();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal() || !func.isPublic())
    return module.emitError("runOnCpu: no public function @")
           << entry << " with a body";
  if (failed(checkSignature(func)))
    return failure();
  auto impl =
      std::make_unique<Impl>(func.getLoc(), entry, func.getFunctionType());
  for (auto global : module.getOps<ml_program::GlobalOp>()) {
    if (!isa_and_nonnull<ml_program::ExternAttr>(global.getValueAttr()))
      continue;
    auto type = dyn_cast<RankedTensorType>(global.getType());
    if (!type || !type.hasStaticShape() ||
        !type.getElementType().isIntOrFloat() ||
        type.getElementTypeBitWidth() % 8 != 0)
      return global.emitError("runOnCpu: weight @\"")
             << global.getSymName() << "\" has type " << global.getType()
             << "; a weight must be a static tensor of a byte-sized type";
    impl->weights.emplace_back(global.getSymName().str(),
                               static_cast<size_t>(type.getNumElements()) *
                                   (type.getElementTypeBitWidth() / 8));
  }

  // Compile a clone down to the LLVM dialect.
  auto start = std::chrono::steady_clock::now();
  DialectRegistry registry;
  registerCPUPipelineDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);

  OwningOpRef<ModuleOp> clone = module.clone();
  PassManager pm(ctx, ModuleOp::getOperationName());
  buildHymirCPUPipeline(pm, options);
  if (failed(pm.run(*clone)))
    return module.emitError("runOnCpu: hymir-cpu-pipeline failed");
  impl->pipelineSeconds = secondsSince(start);

  // JIT it: -O3 with the host's TargetMachine, then machine code.
  start = std::chrono::steady_clock::now();
  initializeNativeTarget();
  auto optimizerTM = hostTargetMachine();
  if (!optimizerTM)
    return module.emitError("runOnCpu: no target machine for the host: ")
           << llvm::toString(optimizerTM.takeError());
  auto engineTM = hostTargetMachine();
  if (!engineTM)
    return module.emitError("runOnCpu: no target machine for the host: ")
           << llvm::toString(engineTM.takeError());
  // The AOT path's optimizer (Emit.cpp): -O3 with libmvec as the vector
  // library, so that loops calling expf/logf vectorize.
  llvm::TargetMachine *optimizer = optimizerTM->get();
  auto transformer = [optimizer](llvm::Module *llvmModule) {
    optimizeLLVMModule(*llvmModule, *optimizer, /*optLevel=*/3);
    return llvm::Error::success();
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // HYMIR_PERF_JIT=1 writes a jitdump for `perf record -k 1` + `perf inject
  // --jit` (symbols of the compiled functions in profiles).
  engineOptions.enablePerfNotificationListener =
      std::getenv("HYMIR_PERF_JIT") != nullptr;
  // memref.copy between non-contiguous views lowers to a call to memrefCopy
  // from the C runner utils; parallel loops call the OpenMP runtime.
  SmallVector<StringRef, 2> libraries;
#ifdef HYMIR_MLIR_C_RUNNER_UTILS
  if (llvm::sys::fs::exists(HYMIR_MLIR_C_RUNNER_UTILS))
    libraries.push_back(HYMIR_MLIR_C_RUNNER_UTILS);
#endif
  // The vector variants of libm functions that vectorized loops call.
  if (hymir::hasVectorLibm())
    libraries.push_back(hymir::vectorLibmPath());
  if (options.threads != 1) {
#ifdef HYMIR_OPENMP_RUNTIME
    if (!llvm::sys::fs::exists(HYMIR_OPENMP_RUNTIME))
      return module.emitError("runOnCpu: threads = ")
             << options.threads.getValue() << " needs the OpenMP runtime "
             << HYMIR_OPENMP_RUNTIME << " (Debian package libomp-22-dev)";
    libraries.push_back(HYMIR_OPENMP_RUNTIME);
#else
    return module.emitError("runOnCpu: threads = ")
           << options.threads.getValue()
           << " needs the OpenMP runtime, which this build does not know";
#endif
  }
  engineOptions.sharedLibPaths = libraries;
  auto engine =
      ExecutionEngine::create(*clone, engineOptions, std::move(*engineTM));
  if (!engine)
    return module.emitError("runOnCpu: JIT compilation failed: ")
           << llvm::toString(engine.takeError());
  // Compiled code allocates through checkedAlignedAlloc and checkedMalloc and
  // frees through cachedFree (defined in the main JITDylib, so they win over
  // the process's).
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("malloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&checkedMalloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("aligned_alloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&checkedAlignedAlloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("free")] = {llvm::orc::ExecutorAddr::fromPtr(&cachedFree),
                                 llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  std::string wrapper = ("_mlir_ciface_" + entry).str();
  // The lookup materializes (code-generates) the module.
  auto function = (*engine)->lookupPacked(wrapper);
  if (!function)
    return module.emitError("runOnCpu: cannot find ")
           << wrapper << ": " << llvm::toString(function.takeError());
  (*engine)->initialize();
  if (options.threads != 1)
    startOpenMPThreads(**engine, options.threads);
  for (const auto &[weight, bytes] : impl->weights) {
    auto address = (*engine)->lookup(weightSymbolName(weight));
    if (!address)
      return module.emitError("runOnCpu: cannot find the buffer of weight '")
             << weight << "': " << llvm::toString(address.takeError());
    impl->weightAddresses.push_back(*address);
  }
  impl->weightBound.assign(impl->weights.size(), false);
  impl->function = *function;
  impl->engine = std::move(*engine);
  impl->llvmSeconds = secondsSince(start);
  return CompiledModule(std::move(impl));
}

LogicalResult hymir::CompiledModule::Impl::invoke(
    ArrayRef<CpuTensor> args,
    llvm::function_ref<void(const int64_t *, int64_t, bool)> onResult) const {
  if (failed(checkArguments(loc, name, type, args)))
    return failure();
  for (auto [i, bound] : llvm::enumerate(weightBound))
    if (!bound)
      return emitError(loc, "runOnCpu: weight '")
             << weights[i].first << "' is not bound (" << weights.size()
             << " weight(s) must be bound before a call)";

  // Pack the arguments. Entry points never write their tensor arguments
  // (hymir-prepare-entry-points makes them read-only for bufferization), so
  // the descriptors point at the callers' data directly.
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers(args.size());
  std::vector<float> scalars(args.size());
  // Integer arguments in the width of their element type, bf16 arguments
  // rounded to nearest even.
  std::vector<std::vector<int32_t>> ints32;
  ints32.reserve(args.size());
  std::vector<std::vector<uint16_t>> bf16s;
  bf16s.reserve(args.size());
  descriptors.reserve(args.size());
  SmallVector<void *> packed;

  size_t resultWords = 0;
  for (Type t : type.getResults())
    resultWords += descriptorWords(cast<RankedTensorType>(t).getRank());
  std::vector<int64_t> results(resultWords, 0);
  void *resultPtr = results.data();
  if (type.getNumResults() > 0)
    packed.push_back(&resultPtr);

  for (auto [i, arg] : llvm::enumerate(args)) {
    if (type.getInput(i).isF32()) {
      scalars[i] = arg.data.front();
      packed.push_back(&scalars[i]);
      continue;
    }
    int64_t rank = arg.shape.size();
    std::vector<int64_t> &desc =
        descriptors.emplace_back(descriptorWords(rank));
    const void *data = arg.data.data();
    if (isIntTensor(type.getInput(i))) {
      if (getElementTypeOrSelf(type.getInput(i)).isSignlessInteger(32))
        data = ints32.emplace_back(arg.ints.begin(), arg.ints.end()).data();
      else
        data = arg.ints.data();
    } else if (isBf16Tensor(type.getInput(i)) && !arg.bf16.empty()) {
      data = arg.bf16.data();
    } else if (isBf16Tensor(type.getInput(i))) {
      std::vector<uint16_t> &narrow = bf16s.emplace_back(arg.data.size());
      for (auto [x, h] : llvm::zip(arg.data, narrow))
        h = floatToBf16(x);
      data = narrow.data();
    }
    desc[0] = desc[1] = reinterpret_cast<int64_t>(data);
    desc[2] = 0;
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      desc[3 + d] = arg.shape[d];
      desc[3 + rank + d] = stride;
      stride *= arg.shape[d];
    }
    pointers[i] = desc.data();
    packed.push_back(&pointers[i]);
  }

  function(packed.data());

  // Hand the results out and free their buffers. Ownership-based deallocation
  // returns a fresh buffer per result, but guard against results that share
  // an allocation or alias an argument all the same.
  llvm::SmallPtrSet<const void *, 8> freed;
  for (const CpuTensor &arg : args) {
    freed.insert(arg.data.data());
    freed.insert(arg.ints.data());
    freed.insert(arg.bf16.data());
  }
  for (const std::vector<int32_t> &v : ints32)
    freed.insert(v.data());
  for (const std::vector<uint16_t> &v : bf16s)
    freed.insert(v.data());
  size_t at = 0;
  for (Type t : type.getResults()) {
    int64_t rank = cast<RankedTensorType>(t).getRank();
    onResult(&results[at], rank, isBf16Tensor(t));
    auto *allocated = reinterpret_cast<void *>(results[at]);
    if (allocated && freed.insert(allocated).second)
      hymir::cpu::compiledCodeBuffers().release(allocated);
    at += descriptorWords(rank);
  }
  return success();
}

ArrayRef<std::pair<std::string, size_t>>
hymir::CompiledModule::weights() const {
  return impl->weights;
}

LogicalResult hymir::CompiledModule::bindWeight(StringRef name,
                                                const void *data,
                                                size_t bytes) {
  for (auto [i, weight] : llvm::enumerate(impl->weights)) {
    if (weight.first != name)
      continue;
    if (bytes != weight.second)
      return emitError(impl->loc, "runOnCpu: weight '")
             << name << "' holds " << weight.second << " bytes, got "
             << bytes;
    std::memcpy(impl->weightAddresses[i], data, bytes);
    impl->weightBound[i] = true;
    return success();
  }
  return emitError(impl->loc, "runOnCpu: the module has no weight '")
         << name << "'";
}

FailureOr<SmallVector<CpuTensor>>
hymir::CompiledModule::call(ArrayRef<CpuTensor> args) const {
  SmallVector<CpuTensor> outputs;
  if (failed(impl->invoke(args, [&](const int64_t *words, int64_t rank,
                                    bool) {
        (void)rank;
        outputs.push_back(readResult(
            words, cast<RankedTensorType>(
                       impl->type.getResult(outputs.size()))));
      })))
    return failure();
  return outputs;
}

LogicalResult
hymir::CompiledModule::callDiscardingResults(ArrayRef<CpuTensor> args) const {
  return impl->invoke(args, [](const int64_t *, int64_t, bool) {});
}

FailureOr<SmallVector<CpuTensor>>
hymir::runOnCpu(ModuleOp module, StringRef entry, ArrayRef<CpuTensor> args,
                const CPUPipelineOptions &options) {
  // Check the call before compiling anything.
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal() || !func.isPublic())
    return module.emitError("runOnCpu: no public function @")
           << entry << " with a body";
  if (failed(checkSignature(func)) ||
      failed(checkArguments(func.getLoc(), entry, func.getFunctionType(),
                            args)))
    return failure();
  FailureOr<CompiledModule> compiled =
      CompiledModule::compile(module, entry, options);
  if (failed(compiled))
    return failure();
  return compiled->call(args);
}
