//===- Emit.h - Ahead-of-time CPU artifacts and their C header --*- C++ -*-===//
//
// The library form of `hymir-compile --target=cpu` (DESIGN.md §4-§5): compile
// a module with hymir-cpu-pipeline, translate it to LLVM IR for the host
// triple and data layout, optimize it at -O3 for the host CPU (or a named
// one) and write it out as lowered MLIR, LLVM IR, an object file or a shared
// library, with a C entry point `_mlir_ciface_<f>` per public function; and
// generate the C header that declares those entry points.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TARGET_CPU_EMIT_H
#define HYMIR_TARGET_CPU_EMIT_H

#include "hymir/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace hymir {

/// What `emitCPUArtifact` writes.
enum class CPUEmitKind {
  /// The module after hymir-cpu-pipeline: LLVM dialect only, with the target
  /// triple and data layout as module attributes (`mlir-translate
  /// --mlir-to-llvmir` takes it as is).
  MLIR,
  /// LLVM IR text, optimized (-O<optLevel>) for the target CPU.
  LLVMIR,
  /// A relocatable ELF object (position-independent code).
  Object,
  /// A shared library: the object linked by clang-22 (or ld.lld-22).
  SharedLibrary,
};

/// "mlir", "llvm", "obj", "so" -> the kind; std::nullopt otherwise.
std::optional<CPUEmitKind> parseCPUEmitKind(llvm::StringRef name);

/// The machine the code is compiled for. The triple is always the host's.
struct CPUTargetOptions {
  /// "native": the host CPU, its name and features detected (the code may
  /// not run on an older CPU); otherwise an LLVM CPU name of the host's
  /// architecture ("x86-64", "x86-64-v3", "skylake-avx512", "znver4", ...;
  /// `llc -mcpu=help` lists them), with that CPU's features.
  std::string cpu = "native";
  /// LLVM optimization level, 0 to 3 (PassBuilder's default pipelines).
  unsigned optLevel = 3;
  /// Linker for `SharedLibrary`; empty: `clang-22`, then `ld.lld-22`, on
  /// PATH or in /usr/lib/llvm-22/bin.
  std::string linker;
  /// DT_SONAME of a `SharedLibrary` (usually its file name); empty: none.
  std::string soname;
};

/// What an emitted artifact needs and provides (filled by emitCPUArtifact).
struct CPUArtifactInfo {
  std::string triple;
  /// The CPU name the code was compiled for (the host's for "native").
  std::string cpu;
  /// The `_mlir_ciface_*` symbols the artifact defines (its only exported
  /// functions: every other function has internal linkage; a model's weight
  /// buffers `hymir.weight.<name>` are exported data, see docs/models.md).
  llvm::SmallVector<std::string> entryPoints;
  /// Functions the compiled code calls that it does not define, sorted
  /// (malloc, free, libm functions, ...).
  llvm::SmallVector<std::string> undefinedSymbols;
  /// Shared libraries, beyond the C library and libm, that define some of
  /// `undefinedSymbols` (MLIR's C runner utils for memrefCopy, the OpenMP
  /// runtime for __kmpc_*): a program linking the object must link them;
  /// the shared library records them (with an rpath).
  llvm::SmallVector<std::string> libraries;
};

/// Registers what compiling a module for the CPU needs on a context: the
/// pipeline's dialect extensions and the LLVM IR translations.
void registerCPUEmitDialects(mlir::DialectRegistry &registry);

/// A TargetMachine for the host triple and `options.cpu`, position-
/// independent code, at `options.optLevel`. Fails for an unknown CPU name.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCPUTargetMachine(const CPUTargetOptions &options);

/// Lowers `module` in place to the LLVM dialect for `targetMachine`:
/// hymir-cpu-pipeline, then only the `_mlir_ciface_*` wrappers keep external
/// linkage (the functions they wrap become internal, so that a public
/// `@main` does not clash with a C program's `main`), and the target triple
/// and data layout are set as module attributes. Errors are diagnostics on
/// the module's context.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       const CPUPipelineOptions &pipeline,
                                       llvm::TargetMachine &targetMachine);

/// Translates an LLVM-dialect module (from lowerToLLVMDialect) to LLVM IR,
/// sets the triple, data layout and the target CPU and features of every
/// function, and optimizes it with LLVM's new pass manager (PassBuilder with
/// `targetMachine`, so that the vectorizers see the CPU's vector registers).
mlir::FailureOr<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                     llvm::TargetMachine &targetMachine, unsigned optLevel);

/// Optimizes `llvmModule` in place with LLVM's default pipeline at `optLevel`
/// (PassBuilder with `targetMachine`), with glibc's libmvec registered as the
/// vector library when hasVectorLibm(): vectorized loops then call the
/// vector variants of libm functions (`_ZGV*`), which the JIT resolves from
/// vectorLibmPath() and shared libraries link against. The JIT
/// (hymir::CompiledModule) and ahead-of-time artifacts share it.
void optimizeLLVMModule(llvm::Module &llvmModule,
                        llvm::TargetMachine &targetMachine, unsigned optLevel);

/// Whether glibc's vector math library (libmvec) was found at build time and
/// is present: compiled loops may then call its functions.
bool hasVectorLibm();

/// The path of libmvec (an empty string when the build found none).
llvm::StringRef vectorLibmPath();

/// Compiles a clone of `module` (hymir dialect on tensors; `module` itself
/// is not modified) and writes the artifact of `kind` to `outputPath`,
/// which is overwritten in place: callers that want atomic outputs pass a
/// temporary name and rename it. Errors are diagnostics on the module's
/// context; on failure `outputPath` may hold a partial file.
mlir::LogicalResult emitCPUArtifact(mlir::ModuleOp module, CPUEmitKind kind,
                                    llvm::StringRef outputPath,
                                    const CPUPipelineOptions &pipeline,
                                    const CPUTargetOptions &target,
                                    CPUArtifactInfo *info = nullptr);

/// Like above, to a stream; every kind but SharedLibrary.
mlir::LogicalResult emitCPUArtifact(mlir::ModuleOp module, CPUEmitKind kind,
                                    llvm::raw_pwrite_stream &os,
                                    const CPUPipelineOptions &pipeline,
                                    const CPUTargetOptions &target,
                                    CPUArtifactInfo *info = nullptr);

/// Options of the generated C header.
struct CHeaderOptions {
  /// Include guard; empty: derived from `fileName`.
  std::string guard;
  /// The header's file name and the module's source, for the banner.
  std::string fileName;
  std::string sourceName;
  /// C parameter names, per function name, one per argument (e.g. the
  /// source's SSA names); missing or invalid names become `argN`.
  llvm::StringMap<llvm::SmallVector<std::string>> argumentNames;
  /// The artifact the header goes with (target, libraries), if known.
  const CPUArtifactInfo *artifact = nullptr;
};

/// Writes a C header (C99 and C++) for the public functions with a body of
/// `module`, as given to emitCPUArtifact (on tensors): descriptor structs
/// `hymir_memref_<elem>_rank<N>` {allocated, aligned, offset, sizes[N],
/// strides[N]} with static inline helpers (`_make` from a pointer and a
/// shape, row-major; `_numel`, `_data`, `_free`), guarded so that several
/// headers can be included together; for each function with several results
/// a struct `hymir_<f>_results` and `hymir_<f>_results_free` (which frees a
/// buffer two results share once); and the prototype of each
/// `_mlir_ciface_<f>` with a comment giving its MLIR signature and what the
/// caller frees. The banner documents the calling convention, ownership, and
/// the target and libraries of `options.artifact`. Fails, with a diagnostic
/// on the function, for a signature C cannot express (an element type
/// without a C type, a vector or unranked tensor, an f16/bf16 scalar passed
/// by value, a function name that is not a C identifier).
mlir::LogicalResult generateCHeader(mlir::ModuleOp module,
                                    const CHeaderOptions &options,
                                    llvm::raw_ostream &os);

} // namespace hymir

#endif // HYMIR_TARGET_CPU_EMIT_H
