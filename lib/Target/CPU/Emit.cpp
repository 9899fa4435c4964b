//===- Emit.cpp - Ahead-of-time CPU artifacts and their C header ----------===//
//
// hymir-cpu-pipeline -> LLVM dialect -> LLVM IR for the host triple -> -O3
// with the target's TargetMachine (PassBuilder) -> IR text, object file
// (TargetMachine::addPassesToEmitFile) or shared library (the object linked
// by clang-22 or ld.lld-22). And the C header of the entry points.
//
// Calling convention of `_mlir_ciface_<f>` (convert-func-to-llvm with
// llvm.emit_c_interface, set on every public function by
// hymir-prepare-entry-points; read off the LLVM IR of the JIT path):
//   * the results are packed like the function's LLVM results: one value for
//     one result, a struct of them for several; when that is a struct (a
//     memref descriptor, or several results) the wrapper takes a pointer to
//     it as an extra first parameter and returns void, otherwise (a single
//     scalar) it returns the value;
//   * each memref (tensor) argument is a pointer to its descriptor
//     {T *allocated, T *aligned, i64 offset, i64 sizes[N], i64 strides[N]},
//     each scalar argument is passed by value.
// Function boundaries use identity layouts, so results are dense row-major
// buffers the compiled code allocates (aligned_alloc), which the caller
// frees. Ownership-based deallocation copies a returned argument, but a value returned twice
// is one buffer behind two descriptors (checked by
// test/Tools/hymir-compile/abi.mlir): the generated header's
// hymir_<f>_results_free frees each buffer once.
//
//===----------------------------------------------------------------------===//

#include "hymir/Target/CPU/Emit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>
#include <vector>

using namespace mlir;

// Where the libraries that define the few non-libc symbols compiled code may
// call live (lib/Target/CPU/CMakeLists.txt passes the build's paths).
#ifndef HYMIR_MLIR_C_RUNNER_UTILS
#define HYMIR_MLIR_C_RUNNER_UTILS                                              \
  "/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so"
#endif
#ifndef HYMIR_OPENMP_RUNTIME
#define HYMIR_OPENMP_RUNTIME "/usr/lib/llvm-22/lib/libomp.so"
#endif

namespace {

constexpr llvm::StringLiteral kCInterfacePrefix = "_mlir_ciface_";

void initializeNativeTarget() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

llvm::CodeGenOptLevel codeGenOptLevel(unsigned optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

llvm::OptimizationLevel optimizationLevel(unsigned optLevel) {
  switch (optLevel) {
  case 0:
    return llvm::OptimizationLevel::O0;
  case 1:
    return llvm::OptimizationLevel::O1;
  case 2:
    return llvm::OptimizationLevel::O2;
  default:
    return llvm::OptimizationLevel::O3;
  }
}

/// The library defining `symbol` when it is neither libc's nor libm's, or
/// an empty string.
llvm::StringRef libraryDefining(llvm::StringRef symbol) {
  if (symbol == "memrefCopy")
    return HYMIR_MLIR_C_RUNNER_UTILS;
  if (symbol.starts_with("__kmpc_") || symbol.starts_with("omp_"))
    return HYMIR_OPENMP_RUNTIME;
#ifdef HYMIR_LIBMVEC
  // Vector variants of libm functions (vector function ABI names).
  if (symbol.starts_with("_ZGV"))
    return HYMIR_LIBMVEC;
#endif
  return "";
}

/// Records `symbol` as undefined in `info`, with the library defining it.
void addUndefinedSymbol(llvm::StringRef symbol, hymir::CPUArtifactInfo &info) {
  if (llvm::is_contained(info.undefinedSymbols, symbol))
    return;
  info.undefinedSymbols.push_back(symbol.str());
  llvm::StringRef library = libraryDefining(symbol);
  if (!library.empty() && !llvm::is_contained(info.libraries, library))
    info.libraries.push_back(library.str());
}

/// Fills `info` from a module lowered by lowerToLLVMDialect.
void describeArtifact(ModuleOp lowered, llvm::TargetMachine &tm,
                      hymir::CPUArtifactInfo &info) {
  info = hymir::CPUArtifactInfo();
  info.triple = tm.getTargetTriple().str();
  info.cpu = tm.getTargetCPU().str();
  for (auto func : lowered.getOps<LLVM::LLVMFuncOp>()) {
    if (!func.isExternal()) {
      if (func.getName().starts_with(kCInterfacePrefix))
        info.entryPoints.push_back(func.getName().str());
      continue;
    }
    if (!SymbolTable::symbolKnownUseEmpty(func, lowered))
      addUndefinedSymbol(func.getName(), info);
  }
  // OpenMP ops become runtime calls only in the translation.
  WalkResult usesOpenMP = lowered.walk([](Operation *op) {
    return op->getDialect() && op->getDialect()->getNamespace() == "omp"
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  if (usesOpenMP.wasInterrupted() &&
      !llvm::is_contained(info.libraries, HYMIR_OPENMP_RUNTIME))
    info.libraries.push_back(HYMIR_OPENMP_RUNTIME);
  llvm::sort(info.undefinedSymbols);
}

/// Adds the functions the optimized LLVM IR calls but does not define (the
/// OpenMP runtime's included) to `info`.
void describeArtifact(const llvm::Module &module,
                      hymir::CPUArtifactInfo &info) {
  for (const llvm::Function &function : module)
    if (function.isDeclaration() && !function.isIntrinsic() &&
        !function.use_empty())
      addUndefinedSymbol(function.getName(), info);
  llvm::sort(info.undefinedSymbols);
}

/// Finds the linker: `linker` if given, else clang-22, then ld.lld-22.
/// Returns its path and whether it is a compiler driver (clang) rather than
/// a plain linker.
FailureOr<std::pair<std::string, bool>> findLinker(Location loc,
                                                   llvm::StringRef linker) {
  auto isDriver = [](llvm::StringRef path) {
    return llvm::sys::path::filename(path).contains("clang");
  };
  if (!linker.empty()) {
    llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(linker);
    if (!path)
      return emitError(loc, "cannot find the linker ")
             << linker << ": " << path.getError().message();
    return std::make_pair(*path, isDriver(*path));
  }
  const llvm::StringRef llvmBin = "/usr/lib/llvm-22/bin";
  const std::pair<llvm::StringRef, llvm::StringRef> candidates[] = {
      {"clang-22", ""},
      {"clang", llvmBin},
      {"ld.lld-22", ""},
      {"ld.lld", llvmBin}};
  for (auto [name, dir] : candidates) {
    llvm::ErrorOr<std::string> path =
        dir.empty() ? llvm::sys::findProgramByName(name)
                    : llvm::sys::findProgramByName(name, {dir});
    if (path)
      return std::make_pair(*path, isDriver(*path));
  }
  return emitError(loc, "cannot link a shared library: found neither "
                        "clang-22 nor ld.lld-22 on PATH or in ")
         << llvmBin << " (Debian packages clang-22, lld-22)";
}

/// Links `object` into the shared library `output`.
LogicalResult linkSharedLibrary(Location loc, llvm::StringRef object,
                                llvm::StringRef output,
                                llvm::ArrayRef<std::string> libraries,
                                const hymir::CPUTargetOptions &target) {
  auto linker = findLinker(loc, target.linker);
  if (failed(linker))
    return failure();
  auto [program, isDriver] = *linker;
  std::vector<std::string> args = {program, "-shared", "-o", output.str(),
                                   object.str()};
  if (!target.soname.empty())
    args.push_back((isDriver ? "-Wl,-soname," : "-soname=") + target.soname);
  for (const std::string &library : libraries) {
    args.push_back(library);
    std::string dir = llvm::sys::path::parent_path(library).str();
    if (isDriver) {
      args.push_back("-Wl,-rpath," + dir);
    } else {
      args.push_back("-rpath");
      args.push_back(dir);
    }
  }
  // clang adds the C library; the math library is ours to name. A plain
  // linker leaves libc/libm symbols to be bound at load time.
  if (isDriver)
    args.push_back("-lm");
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argRefs, /*Env=*/std::nullopt,
                                     /*Redirects=*/{}, /*SecondsToWait=*/0,
                                     /*MemoryLimit=*/0, &message);
  if (rc != 0) {
    auto diag = emitError(loc, "linking the shared library failed: ");
    if (rc < 0)
      diag << message;
    else
      diag << program << " exited with status " << rc;
    diag << "; command: " << llvm::join(args, " ");
    return failure();
  }
  return success();
}

} // namespace

std::optional<hymir::CPUEmitKind>
hymir::parseCPUEmitKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<CPUEmitKind>>(name)
      .Case("mlir", CPUEmitKind::MLIR)
      .Case("llvm", CPUEmitKind::LLVMIR)
      .Case("obj", CPUEmitKind::Object)
      .Case("so", CPUEmitKind::SharedLibrary)
      .Default(std::nullopt);
}

void hymir::registerCPUEmitDialects(DialectRegistry &registry) {
  registerCPUPipelineDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
hymir::createCPUTargetMachine(const CPUTargetOptions &options) {
  initializeNativeTarget();
  llvm::Triple triple(llvm::Triple::normalize(llvm::sys::getProcessTriple()));
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for " + triple.str() + ": " +
                                   error);
  if (options.optLevel > 3)
    return llvm::createStringError("optimization level " +
                                   llvm::Twine(options.optLevel) +
                                   " is not in 0..3");

  std::string cpu, features;
  if (options.cpu.empty() || options.cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures.AddFeature(feature.getKey(), feature.getValue());
    features = hostFeatures.getString();
  } else {
    cpu = options.cpu;
    // Created for the default CPU: an unknown name would print a warning.
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!subtarget || !subtarget->isCPUStringValid(cpu))
      return llvm::createStringError(
          "unknown CPU '" + cpu + "' for " + triple.getArchName() +
          " (`llc-22 -mcpu=help` lists the CPU names; 'native' is the host)");
  }

  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_,
      /*CM=*/std::nullopt, codeGenOptLevel(options.optLevel)));
  if (!tm)
    return llvm::createStringError("cannot create a target machine for " +
                                   triple.str() + ", CPU " + cpu);
  return tm;
}

LogicalResult hymir::lowerToLLVMDialect(ModuleOp module,
                                        const CPUPipelineOptions &pipeline,
                                        llvm::TargetMachine &targetMachine) {
  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerCPUEmitDialects(registry);
  ctx->appendDialectRegistry(registry);

  PassManager pm(ctx, ModuleOp::getOperationName());
  buildHymirCPUPipeline(pm, pipeline);
  if (failed(pm.run(module)))
    return module.emitError("hymir-cpu-pipeline failed");

  // Only the C interface is exported: the functions it wraps (whose names are
  // the MLIR names, `main` included) and private helpers become internal,
  // so -O3 inlines them into their wrappers and nothing else is exported.
  for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
    if (func.isExternal() || func.getName().starts_with(kCInterfacePrefix))
      continue;
    func.setLinkage(LLVM::Linkage::Internal);
    func.setSymVisibilityAttr(nullptr);
  }
  module->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                  StringAttr::get(ctx, targetMachine.getTargetTriple().str()));
  module->setAttr(
      LLVM::LLVMDialect::getDataLayoutAttrName(),
      StringAttr::get(
          ctx, targetMachine.createDataLayout().getStringRepresentation()));
  return success();
}

FailureOr<std::unique_ptr<llvm::Module>>
hymir::translateAndOptimize(ModuleOp module, llvm::LLVMContext &llvmContext,
                            llvm::TargetMachine &targetMachine,
                            unsigned optLevel) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "hymir");
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");
  llvmModule->setTargetTriple(targetMachine.getTargetTriple());
  llvmModule->setDataLayout(targetMachine.createDataLayout());
  // What clang records: a consumer of the IR (clang -c, llc) then compiles
  // for the same CPU.
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", targetMachine.getTargetCPU());
    if (!targetMachine.getTargetFeatureString().empty())
      function.addFnAttr("target-features",
                         targetMachine.getTargetFeatureString());
  }

  hymir::optimizeLLVMModule(*llvmModule, targetMachine, optLevel);

  std::string problems;
  llvm::raw_string_ostream problemStream(problems);
  if (llvm::verifyModule(*llvmModule, &problemStream))
    return module.emitError("the optimized LLVM IR does not verify: ")
           << problems;
  return llvmModule;
}

bool hymir::hasVectorLibm() {
#ifdef HYMIR_LIBMVEC
  return llvm::sys::fs::exists(HYMIR_LIBMVEC);
#else
  return false;
#endif
}

llvm::StringRef hymir::vectorLibmPath() {
#ifdef HYMIR_LIBMVEC
  return HYMIR_LIBMVEC;
#else
  return "";
#endif
}

/// Vector variants that glibc's libmvec has had since 2.35 and LLVM 22's
/// LIBMVEC table lacks: the activations' tanh (GELU) and the precise
/// expm1 / log1p (softplus, RG-LRU's sqrt(1 - a^2)), which otherwise stay
/// scalar libm calls inside vectorized loops. Only those that the installed
/// libmvec defines (the JIT and the shared library link against it).
static llvm::ArrayRef<llvm::VecDesc> extraLibmvecFunctions() {
  static const std::vector<llvm::VecDesc> available = [] {
    std::vector<llvm::VecDesc> result;
#ifdef HYMIR_LIBMVEC
    std::string error;
    llvm::sys::DynamicLibrary library =
        llvm::sys::DynamicLibrary::getPermanentLibrary(HYMIR_LIBMVEC, &error);
    if (!library.isValid())
      return result;
    struct Entry {
      const char *scalar, *vector;
      unsigned lanes;
      const char *abi;
    };
    static const Entry entries[] = {
        {"expm1f", "_ZGVbN4v_expm1f", 4, "_ZGV_LLVM_N4v"},
        {"expm1f", "_ZGVdN8v_expm1f", 8, "_ZGV_LLVM_N8v"},
        {"log1pf", "_ZGVbN4v_log1pf", 4, "_ZGV_LLVM_N4v"},
        {"log1pf", "_ZGVdN8v_log1pf", 8, "_ZGV_LLVM_N8v"},
        {"tanhf", "_ZGVbN4v_tanhf", 4, "_ZGV_LLVM_N4v"},
        {"tanhf", "_ZGVdN8v_tanhf", 8, "_ZGV_LLVM_N8v"},
        {"llvm.tanh.f32", "_ZGVbN4v_tanhf", 4, "_ZGV_LLVM_N4v"},
        {"llvm.tanh.f32", "_ZGVdN8v_tanhf", 8, "_ZGV_LLVM_N8v"},
        {"expm1", "_ZGVbN2v_expm1", 2, "_ZGV_LLVM_N2v"},
        {"expm1", "_ZGVdN4v_expm1", 4, "_ZGV_LLVM_N4v"},
        {"log1p", "_ZGVbN2v_log1p", 2, "_ZGV_LLVM_N2v"},
        {"log1p", "_ZGVdN4v_log1p", 4, "_ZGV_LLVM_N4v"},
        {"tanh", "_ZGVbN2v_tanh", 2, "_ZGV_LLVM_N2v"},
        {"tanh", "_ZGVdN4v_tanh", 4, "_ZGV_LLVM_N4v"},
        {"llvm.tanh.f64", "_ZGVbN2v_tanh", 2, "_ZGV_LLVM_N2v"},
        {"llvm.tanh.f64", "_ZGVdN4v_tanh", 4, "_ZGV_LLVM_N4v"},
    };
    for (const Entry &e : entries)
      if (library.getAddressOfSymbol(e.vector))
        result.emplace_back(e.scalar, e.vector,
                            llvm::ElementCount::getFixed(e.lanes),
                            /*Masked=*/false, e.abi, std::nullopt);
#endif
    return result;
  }();
  return available;
}

void hymir::optimizeLLVMModule(llvm::Module &llvmModule,
                               llvm::TargetMachine &targetMachine,
                               unsigned optLevel) {
  // LLVM's default per-module pipeline, tuned like clang's -O2/-O3 (loop and
  // SLP vectorization on), with the target's cost model.
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = optLevel > 0;
  tuning.LoopInterleaving = optLevel > 1;
  tuning.LoopVectorization = optLevel > 1;
  tuning.SLPVectorization = optLevel > 1;
  llvm::PassBuilder builder(&targetMachine, tuning);
  // glibc's libmvec as the vector library (clang's -fveclib=libmvec): the
  // loop vectorizer turns expf/logf/... in a loop into calls of their
  // vector variants (_ZGVdN8v_expf: 8 lanes) instead of leaving the loop
  // scalar, or scalarizing llvm.exp.v16f32 into 16 calls. glibc documents
  // their error (at most 4 ulp on x86_64, libm's manual "Errors in Math
  // Functions"); the float64-reference tests bound the effect.
  llvm::TargetLibraryInfoImpl tlii(targetMachine.getTargetTriple());
  if (hasVectorLibm())
    tlii.addVectorizableFunctionsFromVecLib(
        llvm::VectorLibrary::LIBMVEC, targetMachine.getTargetTriple());
  if (hasVectorLibm())
    tlii.addVectorizableFunctions(extraLibmvecFunctions());
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(tlii); });
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optimizationLevel(optLevel);
  llvm::ModulePassManager mpm =
      optLevel == 0 ? builder.buildO0DefaultPipeline(level)
                    : builder.buildPerModuleDefaultPipeline(level);
  mpm.run(llvmModule, mam);
}

namespace {

/// The module compiled as far as `kind` needs.
struct Compiled {
  OwningOpRef<ModuleOp> lowered;
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::LLVMContext> llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
};

FailureOr<Compiled> compile(ModuleOp module, hymir::CPUEmitKind kind,
                            const hymir::CPUPipelineOptions &pipeline,
                            const hymir::CPUTargetOptions &target,
                            hymir::CPUArtifactInfo *info) {
  Compiled result;
  auto tm = hymir::createCPUTargetMachine(target);
  if (!tm)
    return module.emitError("hymir-compile: ")
           << llvm::toString(tm.takeError());
  result.tm = std::move(*tm);

  result.lowered = module.clone();
  if (failed(hymir::lowerToLLVMDialect(*result.lowered, pipeline, *result.tm)))
    return failure();
  if (info)
    describeArtifact(*result.lowered, *result.tm, *info);
  if (kind == hymir::CPUEmitKind::MLIR)
    return result;

  result.llvmContext = std::make_unique<llvm::LLVMContext>();
  auto llvmModule = hymir::translateAndOptimize(
      *result.lowered, *result.llvmContext, *result.tm, target.optLevel);
  if (failed(llvmModule))
    return failure();
  result.llvmModule = std::move(*llvmModule);
  if (info)
    describeArtifact(*result.llvmModule, *info);
  return result;
}

LogicalResult emitObject(Location loc, Compiled &compiled,
                         llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager codegen;
  if (compiled.tm->addPassesToEmitFile(codegen, os, nullptr,
                                       llvm::CodeGenFileType::ObjectFile))
    return emitError(loc, "the target machine cannot emit object files");
  codegen.run(*compiled.llvmModule);
  return success();
}

} // namespace

LogicalResult hymir::emitCPUArtifact(ModuleOp module, CPUEmitKind kind,
                                     llvm::raw_pwrite_stream &os,
                                     const CPUPipelineOptions &pipeline,
                                     const CPUTargetOptions &target,
                                     CPUArtifactInfo *info) {
  if (kind == CPUEmitKind::SharedLibrary)
    return module.emitError(
        "a shared library is written to a file, not to a stream");
  FailureOr<Compiled> compiled = compile(module, kind, pipeline, target, info);
  if (failed(compiled))
    return failure();
  switch (kind) {
  case CPUEmitKind::MLIR:
    compiled->lowered->print(os);
    os << "\n";
    return success();
  case CPUEmitKind::LLVMIR:
    compiled->llvmModule->print(os, nullptr);
    return success();
  case CPUEmitKind::Object:
    return emitObject(module.getLoc(), *compiled, os);
  case CPUEmitKind::SharedLibrary:
    break;
  }
  llvm_unreachable("handled above");
}

LogicalResult hymir::emitCPUArtifact(ModuleOp module, CPUEmitKind kind,
                                     llvm::StringRef outputPath,
                                     const CPUPipelineOptions &pipeline,
                                     const CPUTargetOptions &target,
                                     CPUArtifactInfo *info) {
  Location loc = module.getLoc();
  if (kind != CPUEmitKind::SharedLibrary) {
    std::error_code ec;
    llvm::raw_fd_ostream os(outputPath, ec,
                            kind == CPUEmitKind::Object
                                ? llvm::sys::fs::OF_None
                                : llvm::sys::fs::OF_Text);
    if (ec)
      return emitError(loc, "cannot open ")
             << outputPath << ": " << ec.message();
    if (failed(emitCPUArtifact(module, kind, os, pipeline, target, info)))
      return failure();
    os.close();
    if (os.has_error())
      return emitError(loc, "cannot write ")
             << outputPath << ": " << os.error().message();
    return success();
  }

  // A shared library: the object in a temporary file, then linked.
  CPUArtifactInfo localInfo;
  CPUArtifactInfo &artifact = info ? *info : localInfo;
  FailureOr<Compiled> compiled =
      compile(module, CPUEmitKind::Object, pipeline, target, &artifact);
  if (failed(compiled))
    return failure();
  int fd;
  llvm::SmallString<128> objectPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "hymir-compile", "o", fd, objectPath))
    return emitError(loc, "cannot create a temporary object file: ")
           << ec.message();
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (failed(emitObject(loc, *compiled, os)))
      return failure();
    os.close();
    if (os.has_error())
      return emitError(loc, "cannot write ")
             << objectPath << ": " << os.error().message();
  }
  return linkSharedLibrary(loc, objectPath, outputPath, artifact.libraries,
                           target);
}

//===----------------------------------------------------------------------===//
// The C header
//===----------------------------------------------------------------------===//

namespace {

/// The C view of an element type.
struct CElement {
  std::string mnemonic; // in the descriptor's name: f32, i64, index, ...
  std::string type;     // C type: float, int64_t, ...
  bool byValue;         // whether a scalar of it can be passed by value
};

std::optional<CElement> getCElement(Type type) {
  if (type.isF32())
    return CElement{"f32", "float", true};
  if (type.isF64())
    return CElement{"f64", "double", true};
  // Storage only: C has no portable half type, and passing one by value
  // would use a different register class.
  if (type.isF16())
    return CElement{"f16", "uint16_t", false};
  if (type.isBF16())
    return CElement{"bf16", "uint16_t", false};
  if (type.isIndex())
    return CElement{"index", "int64_t", true};
  if (auto intType = dyn_cast<IntegerType>(type)) {
    unsigned width = intType.getWidth();
    if (width == 1)
      return CElement{"i1", "bool", true};
    if (width != 8 && width != 16 && width != 32 && width != 64)
      return std::nullopt;
    bool isUnsigned = intType.isUnsigned();
    std::string w = std::to_string(width);
    return CElement{(isUnsigned ? "ui" : "i") + w,
                    (isUnsigned ? "uint" : "int") + w + "_t", true};
  }
  return std::nullopt;
}

/// A parameter or result of a C wrapper.
struct CValue {
  bool isMemref = false;
  int64_t rank = 0;
  CElement element;
  Type type;

  /// The C type of the value itself (a descriptor struct or a scalar).
  std::string cType() const {
    if (!isMemref)
      return element.type;
    return "hymir_memref_" + element.mnemonic + "_rank" + std::to_string(rank);
  }
};

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Classifies `type` for the C interface; nullopt if C cannot express it.
std::optional<CValue> getCValue(Type type, std::string &why) {
  CValue value;
  value.type = type;
  Type element = type;
  if (auto shaped = dyn_cast<ShapedType>(type)) {
    if (!isa<RankedTensorType, MemRefType>(type) || !shaped.hasRank()) {
      why = "only ranked tensors and memrefs have a C descriptor";
      return std::nullopt;
    }
    if (auto memref = dyn_cast<MemRefType>(type);
        memref && !memref.getLayout().isIdentity()) {
      why = "only memrefs with the identity layout are supported";
      return std::nullopt;
    }
    value.isMemref = true;
    value.rank = shaped.getRank();
    element = shaped.getElementType();
  }
  std::optional<CElement> c = getCElement(element);
  if (!c) {
    why = "element type " + typeString(element) + " has no C type";
    return std::nullopt;
  }
  if (!value.isMemref && !c->byValue) {
    why = "a " + typeString(element) +
          " scalar cannot be passed by value from C (pass a rank-0 tensor)";
    return std::nullopt;
  }
  value.element = *c;
  return value;
}

bool isCIdentifier(llvm::StringRef name) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Keywords of C and C++, and type names, that a parameter name must avoid.
bool isKeyword(llvm::StringRef name) {
  static const llvm::StringSet<> keywords = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "class", "compl", "const",
      "constexpr", "continue", "decltype", "default", "delete", "do", "double",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace",
      "new", "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq",
      "private", "protected", "public", "register", "restrict", "return",
      "short", "signed", "sizeof", "static", "struct", "switch", "template",
      "this", "throw", "true", "try", "typedef", "typeid", "typename", "union",
      "unsigned", "using", "virtual", "void", "volatile", "while", "xor",
      "xor_eq", "NULL", "char8_t", "char16_t", "char32_t", "wchar_t",
      "static_assert", "thread_local", "concept", "requires", "co_await",
      "co_return", "co_yield", "consteval", "constinit", "const_cast",
      "dynamic_cast", "reinterpret_cast", "static_cast",
      // Type names the header itself uses.
      "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
      "uint32_t", "uint64_t"};
  return keywords.contains(name);
}

/// A C identifier made of `name` (an SSA name such as `q`, `S0`, `x.1`),
/// unique among `taken`; `fallback` if nothing usable is left.
std::string cParameterName(llvm::StringRef name, const std::string &fallback,
                           llvm::StringSet<> &taken) {
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) ? c : '_');
  // Names with a leading underscore may be reserved; digits cannot start one.
  if (s.empty() || s.front() == '_' || llvm::isDigit(s.front()) ||
      !isCIdentifier(s))
    s = fallback;
  if (isKeyword(s) || s.rfind("hymir_", 0) == 0)
    s += "_";
  std::string unique = s;
  for (int n = 1; taken.contains(unique); ++n)
    unique = s + "_" + std::to_string(n);
  taken.insert(unique);
  return unique;
}

std::string upperIdentifier(llvm::StringRef s) {
  std::string out;
  for (char c : s)
    out.push_back(llvm::isAlnum(c) ? llvm::toUpper(c) : '_');
  if (out.empty() || llvm::isDigit(out.front()))
    out = "H_" + out;
  return out;
}

/// One descriptor type with its helpers, guarded so that several generated
/// headers can be included together.
void printDescriptor(llvm::raw_ostream &os, const CValue &value) {
  std::string name = value.cType();
  std::string guard = upperIdentifier(name) + "_DEFINED";
  const std::string &t = value.element.type;
  int64_t rank = value.rank;
  os << "#ifndef " << guard << "\n#define " << guard << "\n";
  os << "/* A rank-" << rank << " memref of " << value.element.mnemonic << " ("
     << t << ") elements";
  if (rank == 0) {
    os << ": the element is aligned[offset]";
  } else {
    // "element (i0, i1) is aligned[offset + i0 * strides[0] + ...]".
    os << ":\n * element (";
    for (int64_t d = 0; d < rank; ++d)
      os << (d ? ", " : "") << "i" << d;
    os << ") is aligned[offset";
    for (int64_t d = 0; d < rank; ++d)
      os << " + i" << d << " * strides[" << d << "]";
    os << "]";
  }
  os << ". */\n";
  os << "typedef struct " << name << " {\n"
     << "  " << t << " *allocated; /* the buffer to free (results) */\n"
     << "  " << t << " *aligned;   /* the data */\n"
     << "  int64_t offset;\n";
  if (rank > 0)
    os << "  int64_t sizes[" << rank << "];\n"
       << "  int64_t strides[" << rank << "];\n";
  os << "} " << name << ";\n\n";

  // Constructor from a pointer and a shape.
  os << "/* A descriptor of the dense row-major array at `data`";
  if (rank == 1)
    os << " of sizes[0] elements";
  else if (rank > 1) {
    os << " of shape ";
    for (int64_t d = 0; d < rank; ++d)
      os << (d ? " x " : "") << "sizes[" << d << "]";
  }
  os << ". */\n";
  os << "static inline " << name << " " << name << "_make(" << t << " *data";
  if (rank > 0)
    os << ", const int64_t sizes[" << rank << "]";
  os << ") {\n"
     << "  " << name << " m;\n";
  if (rank > 0)
    os << "  int64_t stride = 1;\n"
       << "  int d;\n";
  os << "  m.allocated = data;\n"
     << "  m.aligned = data;\n"
     << "  m.offset = 0;\n";
  if (rank > 0)
    os << "  for (d = " << rank - 1 << "; d >= 0; --d) {\n"
       << "    m.sizes[d] = sizes[d];\n"
       << "    m.strides[d] = stride;\n"
       << "    stride *= sizes[d];\n"
       << "  }\n";
  os << "  return m;\n"
     << "}\n\n";

  os << "/* The number of elements. */\n"
     << "static inline int64_t " << name << "_numel(const " << name
     << " *m) {\n"
     << "  int64_t n = 1;\n";
  if (rank > 0)
    os << "  int d;\n"
       << "  for (d = 0; d < " << rank << "; ++d)\n"
       << "    n *= m->sizes[d];\n";
  else
    os << "  (void)m;\n";
  os << "  return n;\n"
     << "}\n\n";

  os << "/* The first element: aligned + offset (results are dense row-major "
        "from there). */\n"
     << "static inline " << t << " *" << name << "_data(const " << name
     << " *m) {\n"
     << "  return m->aligned + m->offset;\n"
     << "}\n\n";

  os << "/* Frees a result's buffer (free(allocated)) and clears the "
        "descriptor. */\n"
     << "static inline void " << name << "_free(" << name << " *m) {\n"
     << "  free(m->allocated);\n"
     << "  m->allocated = NULL;\n"
     << "  m->aligned = NULL;\n"
     << "}\n"
     << "#endif /* " << guard << " */\n\n";
}

/// A public function's C wrapper.
struct CFunction {
  func::FuncOp func;
  llvm::SmallVector<CValue> args, results;
  llvm::SmallVector<std::string> argNames;
  std::string resultParam; // "result", "results" or "" (value or void)
  std::string resultsStruct;
};

} // namespace

LogicalResult hymir::generateCHeader(ModuleOp module,
                                     const CHeaderOptions &options,
                                     llvm::raw_ostream &os) {
  // Collect and check every signature first.
  std::vector<CFunction> functions;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    CFunction f;
    f.func = func;
    llvm::StringRef name = func.getSymName();
    if (!isCIdentifier(name))
      return func.emitError("@")
             << name
             << " is not a C identifier: the header cannot declare its C "
                "entry point "
             << kCInterfacePrefix << name;
    FunctionType type = func.getFunctionType();
    std::string why;
    for (auto [i, t] : llvm::enumerate(type.getInputs())) {
      std::optional<CValue> v = getCValue(t, why);
      if (!v)
        return func.emitError("argument #")
               << i << " of @" << name << " has type " << t
               << ", which the C header cannot express: " << why;
      f.args.push_back(*v);
    }
    for (auto [i, t] : llvm::enumerate(type.getResults())) {
      std::optional<CValue> v = getCValue(t, why);
      if (!v)
        return func.emitError("result #")
               << i << " of @" << name << " has type " << t
               << ", which the C header cannot express: " << why;
      f.results.push_back(*v);
    }
    llvm::StringSet<> taken;
    if (f.results.size() > 1) {
      f.resultParam = "results";
      f.resultsStruct = ("hymir_" + name + "_results").str();
    } else if (f.results.size() == 1 && f.results[0].isMemref) {
      f.resultParam = "result";
    }
    if (!f.resultParam.empty())
      taken.insert(f.resultParam);
    auto names = options.argumentNames.find(name);
    for (unsigned i = 0; i < f.args.size(); ++i) {
      std::string fallback = "arg" + std::to_string(i);
      llvm::StringRef source;
      if (names != options.argumentNames.end() && i < names->second.size())
        source = names->second[i];
      f.argNames.push_back(
          cParameterName(source.empty() ? fallback : source, fallback, taken));
    }
    functions.push_back(std::move(f));
  }

  // The banner.
  std::string guard = options.guard;
  if (guard.empty())
    guard =
        "HYMIR_GENERATED_" +
        upperIdentifier(options.fileName.empty() ? "module" : options.fileName);
  os << "/* "
     << (options.fileName.empty() ? "C entry points" : options.fileName);
  if (!options.sourceName.empty())
    os << ": the C entry points of " << options.sourceName;
  os << ".\n * Generated by hymir-compile; do not edit.\n *\n";
  if (const CPUArtifactInfo *a = options.artifact) {
    os << " * Compiled for " << a->triple << ", CPU " << a->cpu
       << ": the code may use every\n * instruction of that CPU.\n";
    if (a->libraries.empty()) {
      os << " * Link with the C library and libm (-lm).\n *\n";
    } else {
      os << " * Link with the C library, libm (-lm) and\n";
      for (const std::string &library : a->libraries)
        os << " *   " << library << "\n";
      os << " * (a shared library from --emit=so records them).\n *\n";
    }
  }
  os << R"( * Calling convention (MLIR's C interface, checked against the LLVM IR that
 * hymir-cpu-pipeline produces): for each public function @f of the module,
 * `_mlir_ciface_f` takes
 *   - first, when @f returns one tensor, a pointer `result` to the descriptor
 *     it fills; when @f returns several values, a pointer `results` to a
 *     hymir_f_results struct it fills (one field per result, in order);
 *     a single scalar result is the return value instead;
 *   - then, per argument in order, a pointer to the tensor's descriptor
 *     (hymir_memref_<element>_rank<N>) or the scalar's value.
 * The compiled code checks no shapes: pass the sizes the signature declares
 * (a '?' at the same position of several arguments means the same size).
 *
 * Memory: arguments are read, never written nor retained, so a descriptor
 * may point at the caller's data (hymir_memref_*_make; const data may be
 * cast). Tensor results are dense row-major buffers allocated by the compiled
 * code (aligned_alloc), never an argument's memory, and owned by the caller:
 * free a single result with hymir_memref_*_free (free(result->allocated)), several with
 * hymir_f_results_free, which frees each buffer once (results that are the
 * same value share one). Calls share no state and may run concurrently.
)";
  // Weights (docs/models.md): one exported buffer per external global.
  std::vector<std::string> weightLines;
  for (auto global : module.getOps<ml_program::GlobalOp>()) {
    if (!isa_and_nonnull<ml_program::ExternAttr>(global.getValueAttr()))
      continue;
    auto type = dyn_cast<RankedTensorType>(global.getType());
    std::optional<CElement> c =
        type ? getCElement(type.getElementType()) : std::nullopt;
    if (!type || !type.hasStaticShape() || !c)
      return global.emitError("weight @\"")
             << global.getSymName() << "\" has type " << global.getType()
             << ", which the C header cannot express";
    std::string line = " *   \"" + hymir::weightSymbolName(global.getSymName()) +
                       "\"  " + c->type;
    for (int64_t d : type.getShape())
      line += "[" + std::to_string(d) + "]";
    weightLines.push_back(line + "\n");
  }
  if (!weightLines.empty()) {
    os << " *\n * Weights: the module has " << weightLines.size()
       << R"( weight(s) (external ml_program.global, docs/models.md).
 * The artifact defines and exports one buffer per weight, the symbol
 * "hymir.weight.<name>" (not a C identifier: find it with dlsym), of the
 * global's element type and shape, row-major. The caller fills every one,
 * e.g. from the checkpoint tensor of that <name>, before the first call; the
 * compiled code reads them, never writes them, and all entry points of one
 * loaded artifact share them:
)";
    for (const std::string &line : weightLines)
      os << line;
  }
  os << " */\n\n";
  os << "#ifndef " << guard << "\n#define " << guard << "\n\n";
  os << "#include <stdint.h>\n#include <stdlib.h>\n";
  bool needsBool = llvm::any_of(functions, [](const CFunction &f) {
    auto isBool = [](const CValue &v) { return v.element.type == "bool"; };
    return llvm::any_of(f.args, isBool) || llvm::any_of(f.results, isBool);
  });
  if (needsBool)
    os << "#ifndef __cplusplus\n#include <stdbool.h>\n#endif\n";
  os << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";

  // Descriptor types, in order of first use.
  llvm::StringSet<> printed;
  for (const CFunction &f : functions)
    for (const CValue &v : llvm::concat<const CValue>(f.results, f.args))
      if (v.isMemref && printed.insert(v.cType()).second)
        printDescriptor(os, v);

  // Per function: its MLIR signature, its results struct and the helper that
  // frees them, and the prototype.
  for (const CFunction &f : functions) {
    func::FuncOp func = f.func;
    llvm::StringRef name = func.getSymName();
    FunctionType type = func.getFunctionType();
    std::string indent(name.size() + 3, ' ');
    os << "/* @" << name << "(";
    for (auto [i, t] : llvm::enumerate(type.getInputs()))
      os << (i ? ",\n *" + indent : std::string()) << "%" << f.argNames[i]
         << ": " << t;
    os << ")";
    if (type.getNumResults() == 1) {
      os << " -> " << type.getResult(0);
    } else if (type.getNumResults() > 1) {
      os << "\n *   -> (";
      llvm::interleaveComma(type.getResults(), os);
      os << ")";
    }
    os << "\n *\n";
    unsigned numMemrefResults =
        llvm::count_if(f.results, [](const CValue &v) { return v.isMemref; });
    if (numMemrefResults == 0)
      os << " * Returns no buffer: nothing to free.\n";
    else if (f.results.size() == 1)
      os << " * The caller frees result->allocated (" << f.results[0].cType()
         << "_free).\n";
    else
      os << " * The caller frees the result buffers with " << f.resultsStruct
         << "_free.\n";
    os << " */\n";

    if (!f.resultsStruct.empty()) {
      os << "typedef struct " << f.resultsStruct << " {\n";
      for (auto [i, r] : llvm::enumerate(f.results))
        os << "  " << r.cType() << " result" << i << "; /* " << r.type
           << " */\n";
      os << "} " << f.resultsStruct << ";\n\n";
    }
    if (!f.resultsStruct.empty() && numMemrefResults > 0) {
      os << "/* Frees the buffer of every tensor result once (results may "
            "share one) and\n * clears the descriptors. */\n"
         << "static inline void " << f.resultsStruct << "_free("
         << f.resultsStruct << " *results) {\n";
      llvm::SmallVector<unsigned> memrefs;
      for (auto [i, r] : llvm::enumerate(f.results))
        if (r.isMemref)
          memrefs.push_back(i);
      auto field = [](unsigned i) {
        return "results->result" + std::to_string(i);
      };
      for (unsigned i : memrefs)
        os << "  void *p" << i << " = " << field(i) << ".allocated;\n";
      for (auto [n, i] : llvm::enumerate(memrefs)) {
        if (n == 0) {
          os << "  free(p" << i << ");\n";
          continue;
        }
        os << "  if (";
        for (unsigned m = 0; m < n; ++m)
          os << (m ? " && " : "") << "p" << i << " != p" << memrefs[m];
        os << ")\n    free(p" << i << ");\n";
      }
      for (unsigned i : memrefs)
        os << "  " << field(i) << ".allocated = NULL;\n"
           << "  " << field(i) << ".aligned = NULL;\n";
      os << "}\n\n";
    }

    std::string returnType = f.results.size() == 1 && !f.results[0].isMemref
                                 ? f.results[0].cType()
                                 : std::string("void");
    std::string head =
        returnType + " " + kCInterfacePrefix.str() + name.str() + "(";
    os << head;
    llvm::SmallVector<std::string> params;
    if (f.resultParam == "results")
      params.push_back(f.resultsStruct + " *results");
    else if (f.resultParam == "result")
      params.push_back(f.results[0].cType() + " *result");
    for (auto [i, a] : llvm::enumerate(f.args))
      params.push_back(a.isMemref ? "const " + a.cType() + " *" + f.argNames[i]
                                  : a.cType() + " " + f.argNames[i]);
    if (params.empty())
      os << "void";
    else
      os << llvm::join(params, ",\n" + std::string(head.size(), ' '));
    os << ");\n\n";
  }

  os << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n";
  os << "#endif /* " << guard << " */\n";
  return success();
}
