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
// these parameters. Results are malloc'd by the compiled code and freed here.
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CPU/Jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

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

/// Checks `args` against the entry's signature.
LogicalResult checkArguments(func::FuncOp func, ArrayRef<CpuTensor> args) {
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != args.size())
    return func.emitError("runOnCpu: @")
           << func.getName() << " takes " << type.getNumInputs()
           << " arguments, got " << args.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(type.getInputs(), args))) {
    auto [argType, arg] = pair;
    if (arg.numElements() != static_cast<int64_t>(arg.data.size()))
      return func.emitError("runOnCpu: argument #")
             << i << " has " << arg.data.size() << " values for a shape of "
             << arg.numElements() << " elements";
    if (argType.isF32()) {
      if (!arg.shape.empty())
        return func.emitError("runOnCpu: argument #")
               << i << " is an f32 scalar; pass a rank-0 tensor";
      continue;
    }
    auto tensorType = dyn_cast<RankedTensorType>(argType);
    if (!tensorType || !tensorType.getElementType().isF32())
      return func.emitError("runOnCpu: argument #")
             << i << " has type " << argType
             << "; only f32 tensors and f32 scalars are supported";
    if (tensorType.getRank() != static_cast<int64_t>(arg.shape.size()))
      return func.emitError("runOnCpu: argument #")
             << i << " has rank " << arg.shape.size() << ", expected "
             << tensorType.getRank();
    for (auto [d, size] : llvm::enumerate(tensorType.getShape())) {
      if (arg.shape[d] < 0)
        return func.emitError("runOnCpu: argument #")
               << i << " has a negative size";
      if (!ShapedType::isDynamic(size) && size != arg.shape[d])
        return func.emitError("runOnCpu: argument #")
               << i << " has size " << arg.shape[d] << " in dim " << d
               << ", expected " << size;
    }
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    auto tensorType = dyn_cast<RankedTensorType>(resultType);
    if (!tensorType || !tensorType.getElementType().isF32())
      return func.emitError("runOnCpu: result #")
             << i << " has type " << resultType
             << "; only f32 tensor results are supported";
  }
  return success();
}

/// Copies the strided memref at `words` into a dense tensor.
CpuTensor readResult(const int64_t *words, int64_t rank) {
  const auto *aligned = reinterpret_cast<const float *>(words[1]);
  int64_t offset = words[2];
  const int64_t *sizes = words + 3;
  const int64_t *strides = words + 3 + rank;
  CpuTensor result;
  result.shape.assign(sizes, sizes + rank);
  result.data.resize(result.numElements());
  if (result.data.empty())
    return result;
  // Odometer over the index space, in row-major order.
  std::vector<int64_t> index(rank, 0);
  for (float &out : result.data) {
    int64_t at = offset;
    for (int64_t d = 0; d < rank; ++d)
      at += index[d] * strides[d];
    out = aligned[at];
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

} // namespace

FailureOr<SmallVector<CpuTensor>>
hymir::runOnCpu(ModuleOp module, StringRef entry, ArrayRef<CpuTensor> args,
                const CPUPipelineOptions &options) {
  MLIRContext *ctx = module.getContext();
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal() || !func.isPublic())
    return module.emitError("runOnCpu: no public function @")
           << entry << " with a body";
  if (failed(checkArguments(func, args)))
    return failure();
  FunctionType type = func.getFunctionType();

  // Compile a clone down to the LLVM dialect.
  DialectRegistry registry;
  registerCPUPipelineDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);

  OwningOpRef<ModuleOp> clone = module.clone();
  PassManager pm(ctx, ModuleOp::getOperationName());
  buildHymirCPUPipeline(pm, options);
  if (failed(pm.run(*clone)))
    return module.emitError("runOnCpu: hymir-cpu-pipeline failed");

  // JIT it.
  initializeNativeTarget();
  auto transformer = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                               /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // memref.copy between non-contiguous views lowers to a call to memrefCopy
  // from the C runner utils.
  SmallVector<StringRef, 1> libraries;
#ifdef HYMIR_MLIR_C_RUNNER_UTILS
  if (llvm::sys::fs::exists(HYMIR_MLIR_C_RUNNER_UTILS))
    libraries.push_back(HYMIR_MLIR_C_RUNNER_UTILS);
#endif
  engineOptions.sharedLibPaths = libraries;
  auto engine = ExecutionEngine::create(*clone, engineOptions);
  if (!engine)
    return module.emitError("runOnCpu: JIT compilation failed: ")
           << llvm::toString(engine.takeError());
  std::string wrapper = ("_mlir_ciface_" + entry).str();
  auto function = (*engine)->lookupPacked(wrapper);
  if (!function)
    return module.emitError("runOnCpu: cannot find ")
           << wrapper << ": " << llvm::toString(function.takeError());
  (*engine)->initialize();

  // Pack the arguments. Entry points never write their tensor arguments
  // (hymir-prepare-entry-points makes them read-only for bufferization), so
  // the descriptors point at the callers' data directly.
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers(args.size());
  std::vector<float> scalars(args.size());
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
    desc[0] = desc[1] = reinterpret_cast<int64_t>(arg.data.data());
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

  (*function)(packed.data());

  // Copy the results out and free their buffers. Ownership-based deallocation
  // returns a fresh buffer per result, but guard against results that share
  // an allocation or alias an argument all the same.
  SmallVector<CpuTensor> outputs;
  llvm::SmallPtrSet<const void *, 8> freed;
  for (const CpuTensor &arg : args)
    freed.insert(arg.data.data());
  size_t at = 0;
  for (Type t : type.getResults()) {
    int64_t rank = cast<RankedTensorType>(t).getRank();
    outputs.push_back(readResult(&results[at], rank));
    auto *allocated = reinterpret_cast<void *>(results[at]);
    if (allocated && freed.insert(allocated).second)
      std::free(allocated);
    at += descriptorWords(rank);
  }
  return outputs;
}
