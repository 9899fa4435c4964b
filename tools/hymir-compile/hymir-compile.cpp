//===- hymir-compile.cpp - Compile a Hymir module to an artifact ----------===//
//
// The ahead-of-time driver (DESIGN.md §5): parses and verifies a module,
// compiles it with hymir-cpu-pipeline and writes the lowered MLIR, LLVM IR,
// an object file or a shared library with a C entry point `_mlir_ciface_<f>`
// per public function, and optionally the C header declaring them.
// `--target=cuda` compiles one entry point, specialised to the argument
// shapes given, with hymir-cuda-pipeline into a CUDA artifact directory
// (cubins + launch plan) that the runtime's hymir-rt-run executes.
//
// Every failure is an `error: ...` line on stderr (parse, verify and
// compilation errors with their source location) and a non-zero exit status.
// Outputs are written under temporary names and renamed into place only when
// all of them were written, so a failed run leaves the previous outputs, if
// any, untouched.
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Target/CPU/Emit.h"
#include "hymir/Target/CUDA/Artifact.h"
#include "hymir/Tools/ThreadsOption.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <string>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

/// Exit status: 1 for a failed compilation (parse, verify, lowering, I/O),
/// 2 for a bad command line or an unavailable target.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char kOverview[] =
    R"(hymir-compile: compile a Hymir module to a CPU or CUDA artifact

  hymir-compile FILE.mlir --target=cpu --emit=obj|so|llvm|mlir -o OUT
                [--header=OUT.h] [--mcpu=native|NAME] [--threads=N]
  hymir-compile FILE.mlir --target=cuda --shape=DIMS ... [--entry=NAME]
                [--emit=artifact|ptx|mlir] [--chip=sm_90a] -o OUT
  hymir-compile MODEL.mlir --target=cuda --prompt-len=T [--batch=B]
                [--capacity=C] [--chip=sm_90a] -o OUT

Compiles FILE.mlir (hymir dialect on tensors; '-' reads stdin) with
hymir-cpu-pipeline for the host triple and writes:

  --emit=mlir  the module lowered to the LLVM dialect, with the target triple
               and data layout as module attributes (mlir-translate-22
               --mlir-to-llvmir takes it as is);
  --emit=llvm  LLVM IR text, optimized at -O3 for the CPU;
  --emit=obj   a relocatable ELF object (position-independent);
  --emit=so    a shared library (the object linked by clang-22, or ld.lld-22,
               found on PATH or in /usr/lib/llvm-22/bin).

Every public function @f with a body gets a C entry point _mlir_ciface_f,
the only symbols the artifact exports. --header=OUT.h writes a C header
(C99 and C++) that declares them, with descriptor structs for the tensors,
helpers to make descriptors from a pointer and a shape, and per function its
MLIR signature and the result buffers the caller must free.

--mcpu=native (the default) compiles for the host CPU, its features
detected; --mcpu=NAME for an LLVM CPU name (x86-64, x86-64-v3,
skylake-avx512, znver4, ...; llc-22 -mcpu=help lists them).

--threads=N (default 1) runs the (batch, head) loops of scans, recurrences
and attention as OpenMP loops on N threads (0: the OpenMP default, one per
core or OMP_NUM_THREADS at run time); the artifact then calls LLVM's
libomp, which --emit=so links with its path as rpath (the header lists it).
Results are the same bits at any count, as with hymir-run --threads.

-o - writes mlir or llvm output to stdout. Outputs are written under
temporary names and renamed into place once all were written: a failed run
leaves no partial file.

--target=cuda compiles the public function --entry (default main) for the
static argument shapes given by one --shape=D0xD1x... per argument, in order
(dimensions that the function declares static must match), with
hymir-cuda-pipeline for --chip (default sm_90a; ptxas and libdevice come
from --cuda-toolkit, default /usr/local/cuda), and writes:

  --emit=artifact  (the default) directory OUT with plan.txt, the launch plan
                   (docs/cuda-artifacts.md), and one .cubin per kernel;
                   hymir-rt-run runs it on a machine with a GPU;
  --emit=ptx       the PTX of every kernel, one file;
  --emit=mlir      the module after the pipeline (host function + gpu.binary).

With --prompt-len, FILE.mlir is a model (docs/models.md) and OUT a model
artifact: OUT/prefill, the plan of @prefill for tokens [B, T], and
OUT/decode, the plan of @decode for tokens [B] and the states @prefill
returns, KV caches ({hymir.kv_cache}) with C rows (--capacity, needed when
the model has a KV cache; T + the decode steps it will run). The weights
(external ml_program.global) are plan buffers bound by name when the
runtime loads the artifact (hymir-rt-run MODEL_DIR --weights=W.safetensors
--prompt-ids=... --generate=N). --batch defaults to 1.

Exit status: 0 on success; 1 on a parse, verify or compilation error; 2 on a
bad command line or an unavailable target.
)";

struct Options {
  cl::OptionCategory category{"hymir-compile options"};
  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<FILE.mlir>"),
                                 cl::cat(category)};
  /// --threads=N (--target=cpu), parsed by `hymir::extractThreads`
  /// (libLLVM registers a hidden, unrelated global option named "threads").
  unsigned threads = 1;
  bool threadsGiven = false;
  cl::opt<std::string> target{"target", cl::desc("Target: cpu or cuda"),
                              cl::value_desc("cpu|cuda"), cl::init("cpu"),
                              cl::cat(category)};
  cl::opt<std::string> emit{"emit", cl::desc("Artifact: obj, so, llvm, mlir"),
                            cl::value_desc("obj|so|llvm|mlir"),
                            cl::cat(category)};
  cl::opt<std::string> output{"o",
                              cl::desc("Output file ('-': stdout, "
                                       "for mlir and llvm)"),
                              cl::value_desc("OUT"), cl::cat(category)};
  cl::opt<std::string> header{"header",
                              cl::desc("Also write the C header of the "
                                       "entry points"),
                              cl::value_desc("OUT.h"), cl::cat(category)};
  cl::list<std::string> shapes{
      "shape",
      cl::desc("--target=cuda: static shape of the next argument (D0xD1x..., "
               "'scalar' for rank 0), one per argument in order"),
      cl::value_desc("DIMS"), cl::cat(category)};
  cl::opt<int64_t> batch{"batch",
                         cl::desc("--target=cuda, models: the batch B"),
                         cl::value_desc("B"), cl::init(1), cl::cat(category)};
  cl::opt<int64_t> promptLen{
      "prompt-len",
      cl::desc("--target=cuda: compile a model's @prefill for T tokens and "
               "its @decode (a model artifact)"),
      cl::value_desc("T"), cl::init(0), cl::cat(category)};
  cl::opt<int64_t> capacity{
      "capacity",
      cl::desc("--target=cuda, models: rows C of the KV caches @decode takes"),
      cl::value_desc("C"), cl::init(0), cl::cat(category)};
  cl::opt<std::string> entry{"entry",
                             cl::desc("--target=cuda: the function to compile"),
                             cl::value_desc("NAME"), cl::init("main"),
                             cl::cat(category)};
  cl::opt<std::string> chip{"chip", cl::desc("--target=cuda: GPU architecture"),
                            cl::value_desc("sm_XX"), cl::init("sm_90a"),
                            cl::cat(category)};
  cl::opt<int64_t> nestThreads{
      "nest-threads",
      cl::desc("--target=cuda: threads per (batch, head) block of scan, "
               "recurrence and attention kernels"),
      cl::value_desc("N"), cl::init(256), cl::cat(category)};
  cl::opt<int64_t> chunkSize{
      "chunk-size",
      cl::desc("Chunk length of every chunked form (default: the "
               "pipeline's, 16, and 8 for the CPU's diagonal forms); 0 runs "
               "every scan through the sequential fallback"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<int64_t> valueTile{
      "value-tile",
      cl::desc("--target=cuda: value columns per block of the chunked scans "
               "(default: the pipeline's, 32); 0: a block per (batch, head)"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<int64_t> sequentialValueTile{
      "sequential-value-tile",
      cl::desc("--target=cuda: value columns per (batch, head, tile) block "
               "of column-separable scans that take the sequential fallback "
               "(decode; default: the pipeline's, 16; 0: a block per "
               "(batch, head))"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<hymir::ParallelChunks> parallelChunks{
      "parallel-chunks",
      cl::desc("--target=cuda: chunked scans as three kernels (chunk terms, "
               "state pass, outputs: a block per chunk)"),
      cl::init(hymir::ParallelChunks::Auto),
      cl::values(clEnumValN(hymir::ParallelChunks::Auto, "auto",
                            "where the chunk products run on tensor cores "
                            "(default)"),
                 clEnumValN(hymir::ParallelChunks::On, "on", "everywhere"),
                 clEnumValN(hymir::ParallelChunks::Off, "off",
                            "a block per (batch, head, tile) loops over "
                            "the chunks")),
      cl::cat(category)};
  cl::opt<int64_t> parallelChunkSize{
      "parallel-chunk-size",
      cl::desc("--target=cuda: chunk length of the scans in the "
               "parallel-chunks form (default: the pipeline's, 32; 0: "
               "--chunk-size's)"),
      cl::value_desc("N"), cl::init(-1), cl::cat(category)};
  cl::opt<bool> narrowStates{
      "narrow-states",
      cl::desc("--target=cuda with parallel chunks and bf16/f16 arguments: "
               "the per-chunk states recorded for the outputs in bf16 "
               "(default false: slower while the products are TF32)"),
      cl::init(false), cl::cat(category)};
  cl::opt<bool> threadPrivate{
      "thread-private",
      cl::desc("--target=cuda: shared temporaries that each thread only "
               "touches its own elements of as per-thread arrays in "
               "registers (default true)"),
      cl::init(true), cl::cat(category)};
  cl::opt<bool> splitReductions{
      "split-reductions",
      cl::desc("--target=cuda: long reductions with few outputs as partial "
               "sums the block's threads share (default true)"),
      cl::init(true), cl::cat(category)};
  cl::opt<hymir::BlockedInverse> blockedInverse{
      "blocked-inverse",
      cl::desc("--target=cuda: where the delta rule's triangular inverse is "
               "built by doubling blocks instead of C rows of forward "
               "substitution"),
      cl::init(hymir::BlockedInverse::Sequential),
      hymir::blockedInverseValues(),
      cl::cat(category)};
  cl::opt<bool> polynomialMath{
      "polynomial-math",
      cl::desc("--target=cpu: f32 exp, expm1, log, log1p, tanh as "
               "polynomials (default true); false calls libm and libmvec"),
      cl::init(true), cl::cat(category)};
  cl::opt<bool> fusion{
      "fusion",
      cl::desc("Pull the per-token producers of scan and recurrence inputs "
               "into their step bodies (hymir-fuse-into-mixers; default "
               "true)"),
      cl::init(true), cl::cat(category)};
  cl::opt<int64_t> sharedMemory{
      "shared-memory",
      cl::desc("--target=cuda: shared memory per block of scan, recurrence "
               "and attention kernels, in bytes (default: half an SM's, "
               "110 KiB on sm_90)"),
      cl::value_desc("BYTES"), cl::init(-1), cl::cat(category)};
  cl::opt<int64_t> outputValueTile{
      "output-value-tile",
      cl::desc("--target=cuda with parallel chunks: value columns per output "
               "block (default: the pipeline's, 0 = all; -1: --value-tile's)"),
      cl::value_desc("N"), cl::init(-2), cl::cat(category)};
  cl::opt<hymir::TensorCores> tensorCores{
      "tensor-cores",
      cl::desc("--target=cuda: chunk products on tensor cores (TF32 WMMA)"),
      cl::init(hymir::TensorCores::Auto),
      cl::values(clEnumValN(hymir::TensorCores::Auto, "auto",
                            "where the function takes bf16/f16 arguments "
                            "(default)"),
                 clEnumValN(hymir::TensorCores::TF32, "tf32",
                            "everywhere (about 1e-3 relative error on f32 "
                            "data)"),
                 clEnumValN(hymir::TensorCores::Off, "off", "FFMA only")),
      cl::cat(category)};
  cl::opt<std::string> toolkit{
      "cuda-toolkit", cl::desc("--target=cuda: CUDA toolkit root (ptxas, "
                               "libdevice)"),
      cl::value_desc("DIR"), cl::init("/usr/local/cuda"), cl::cat(category)};
  cl::opt<std::string> mcpu{"mcpu",
                            cl::desc("CPU to compile for: native (the host, "
                                     "default) or an LLVM CPU name"),
                            cl::value_desc("native|NAME"), cl::init("native"),
                            cl::cat(category)};
};

llvm::raw_ostream &error() { return llvm::WithColor::error(llvm::errs()); }

/// The SSA names the source gives the arguments of each function (`%q` ->
/// "q"), read at the arguments' locations; empty where there is none.
llvm::StringMap<llvm::SmallVector<std::string>>
sourceArgumentNames(ModuleOp module, llvm::SourceMgr &sourceMgr) {
  llvm::StringMap<llvm::SmallVector<std::string>> names;
  auto nameAt = [&](Location loc) -> std::string {
    auto fileLoc = dyn_cast<FileLineColLoc>(loc);
    if (!fileLoc || sourceMgr.getNumBuffers() == 0)
      return "";
    llvm::SMLoc at = sourceMgr.FindLocForLineAndColumn(
        sourceMgr.getMainFileID(), fileLoc.getLine(), fileLoc.getColumn());
    if (!at.isValid())
      return "";
    const char *p = at.getPointer();
    const char *end =
        sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBufferEnd();
    if (p >= end || *p != '%')
      return "";
    std::string name;
    for (++p; p < end && (llvm::isAlnum(*p) || llvm::is_contained("_$.-", *p));
         ++p)
      name.push_back(*p);
    return name;
  };
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    llvm::SmallVector<std::string> &list = names[func.getSymName()];
    for (BlockArgument arg : func.getArguments())
      list.push_back(nameAt(arg.getLoc()));
  }
  return names;
}

/// Output files written under a temporary name next to the final one and
/// renamed into place by `commit`; whatever is not committed is removed.
class PendingOutputs {
public:
  ~PendingOutputs() {
    for (const auto &[temp, final] : files)
      llvm::sys::fs::remove(temp);
  }

  /// A fresh temporary path for `final` (an empty file now exists there).
  FailureOr<std::string> add(llvm::StringRef final) {
    llvm::SmallString<256> temp;
    int fd;
    llvm::StringRef ext = llvm::sys::path::extension(final);
    if (std::error_code ec = llvm::sys::fs::createUniqueFile(
            final + ".tmp-%%%%%%" + ext, fd, temp)) {
      error() << "cannot create a temporary file next to " << final << ": "
              << ec.message() << "\n";
      return failure();
    }
    llvm::sys::fs::closeFile(fd);
    files.emplace_back(std::string(temp), final.str());
    return std::string(temp);
  }

  /// Renames every temporary file to its final name.
  bool commit() {
    for (const auto &[temp, final] : files) {
      if (std::error_code ec = llvm::sys::fs::rename(temp, final)) {
        error() << "cannot rename " << temp << " to " << final << ": "
                << ec.message() << "\n";
        return false;
      }
    }
    files.clear();
    return true;
  }

private:
  std::vector<std::pair<std::string, std::string>> files;
};

/// Parses FILE.mlir ('-': stdin) into `sourceMgr`'s context; null (after the
/// diagnostics, which carry source locations) on failure.
OwningOpRef<ModuleOp> parseInput(const Options &opts, MLIRContext &context,
                                 llvm::SourceMgr &sourceMgr) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(opts.inputFile);
  if (std::error_code ec = buffer.getError()) {
    error() << "cannot open " << opts.inputFile << ": " << ec.message() << "\n";
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// Writes `text` to a temporary file of `pending` for `path`; false (with a
/// diagnostic) on failure.
bool writePendingText(PendingOutputs &pending, llvm::StringRef path,
                      llvm::StringRef text) {
  FailureOr<std::string> temp = pending.add(path);
  if (failed(temp))
    return false;
  std::error_code ec;
  llvm::raw_fd_ostream file(*temp, ec, llvm::sys::fs::OF_Text);
  if (!ec) {
    file << text;
    file.close();
    ec = file.error();
  }
  if (ec) {
    error() << "cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

/// "2x37x4" -> {2, 37, 4}; "scalar" -> {}.
FailureOr<SmallVector<int64_t>> parseShape(llvm::StringRef text) {
  SmallVector<int64_t> dims;
  if (text == "scalar")
    return dims;
  SmallVector<llvm::StringRef> parts;
  text.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part.empty() || part.getAsInteger(10, d) || d <= 0)
      return failure();
    dims.push_back(d);
  }
  return dims;
}

int runCUDA(Options &opts) {
  std::string emit = opts.emit.empty() ? std::string("artifact") : opts.emit.getValue();
  if (emit != "artifact" && emit != "ptx" && emit != "mlir") {
    error() << "unknown --emit=" << emit
            << " for --target=cuda (expected artifact, ptx or mlir)\n";
    return kExitUsage;
  }
  if (opts.output.empty()) {
    error() << "-o OUT is required\n";
    return kExitUsage;
  }
  if (opts.output == "-" && emit == "artifact") {
    error() << "--emit=artifact writes a directory; pass -o DIR\n";
    return kExitUsage;
  }
  if (!opts.header.empty()) {
    error() << "--header is for --target=cpu\n";
    return kExitUsage;
  }
  bool model = opts.promptLen.getNumOccurrences() != 0;
  if (model) {
    if (!opts.shapes.empty() || opts.entry.getNumOccurrences() ||
        emit != "artifact") {
      error() << "--prompt-len compiles a model's @prefill and @decode into "
                 "an artifact directory: --shape, --entry and --emit do not "
                 "apply\n";
      return kExitUsage;
    }
    if (opts.promptLen < 1 || opts.batch < 1 ||
        (opts.capacity.getNumOccurrences() &&
         opts.capacity < opts.promptLen)) {
      error() << "--batch and --prompt-len must be positive and --capacity "
                 "at least --prompt-len\n";
      return kExitUsage;
    }
  } else if (opts.batch.getNumOccurrences() ||
             opts.capacity.getNumOccurrences()) {
    error() << "--batch and --capacity are for models (with --prompt-len)\n";
    return kExitUsage;
  }
  SmallVector<SmallVector<int64_t>> shapes;
  for (const std::string &text : opts.shapes) {
    FailureOr<SmallVector<int64_t>> shape = parseShape(text);
    if (failed(shape)) {
      error() << "--shape=" << text
              << ": expected positive dimensions joined by 'x' (e.g. "
                 "2x37x4) or 'scalar'\n";
      return kExitUsage;
    }
    shapes.push_back(*shape);
  }

  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseInput(opts, context, sourceMgr);
  if (!module)
    return kExitFailure;

  hymir::CUDAPipelineOptions pipeline;
  pipeline.chip = opts.chip;
  pipeline.toolkit = opts.toolkit;
  pipeline.nestThreads = opts.nestThreads;
  pipeline.tensorCores = opts.tensorCores;
  pipeline.parallelChunks = opts.parallelChunks;
  pipeline.blockedInverse = opts.blockedInverse;
  pipeline.splitReductions = opts.splitReductions;
  pipeline.threadPrivate = opts.threadPrivate;
  pipeline.narrowStates = opts.narrowStates;
  pipeline.fusion = opts.fusion;
  if (opts.sharedMemory.getNumOccurrences()) {
    int64_t most = hymir::maxSharedMemoryPerBlock(opts.chip);
    if (opts.sharedMemory < 0 || opts.sharedMemory > most) {
      error() << "--shared-memory=" << opts.sharedMemory
              << " is outside [0, " << most << "], the shared memory a block "
              << "may take on " << opts.chip << "\n";
      return kExitFailure;
    }
  }
  pipeline.sharedMemory = opts.sharedMemory;
  if (opts.parallelChunkSize >= 0)
    pipeline.parallelChunkSize = opts.parallelChunkSize;
  if (opts.outputValueTile >= -1)
    pipeline.outputValueTile = opts.outputValueTile;
  if (opts.chunkSize >= 0)
    pipeline.chunkSize = opts.chunkSize;
  if (opts.valueTile >= 0)
    pipeline.valueTile = opts.valueTile;
  if (opts.sequentialValueTile >= 0)
    pipeline.sequentialValueTile = opts.sequentialValueTile;
  if (emit == "ptx")
    pipeline.format = "isa";
  if (model) {
    hymir::CUDAModelShape shape;
    shape.batch = opts.batch;
    shape.promptLen = opts.promptLen;
    if (opts.capacity.getNumOccurrences())
      shape.capacity = opts.capacity.getValue();
    FailureOr<hymir::CUDAModelArtifact> artifact =
        hymir::compileCUDAModel(*module, shape, pipeline);
    if (failed(artifact))
      return kExitFailure;
    std::string message;
    if (failed(hymir::writeCUDAModelArtifact(*artifact, opts.output,
                                             message))) {
      error() << message << "\n";
      return kExitFailure;
    }
    return 0;
  }
  FailureOr<hymir::CUDAArtifact> artifact =
      hymir::compileCUDAArtifact(*module, opts.entry, shapes, pipeline);
  if (failed(artifact))
    return kExitFailure;

  if (emit == "artifact") {
    std::string message;
    if (failed(hymir::writeCUDAArtifact(*artifact, opts.output, message))) {
      error() << message << "\n";
      return kExitFailure;
    }
    return 0;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  if (emit == "mlir") {
    module->print(os);
  } else {
    for (const hymir::CUDABinary &binary : artifact->binaries) {
      os << "// ----- kernel module @" << binary.module << "\n";
      llvm::StringRef ptx(binary.bytes);
      os << ptx.rtrim('\0') << "\n";
    }
  }
  if (opts.output == "-") {
    llvm::outs() << text;
    return 0;
  }
  PendingOutputs pending;
  if (!writePendingText(pending, opts.output, text))
    return kExitFailure;
  return pending.commit() ? 0 : kExitFailure;
}

int run(Options &opts) {
  // The command line.
  if (opts.inputFile.empty()) {
    error() << "no input file: pass FILE.mlir (see --help)\n";
    return kExitUsage;
  }
  if (opts.target != "cpu" && opts.target != "cuda") {
    error() << "unknown --target=" << opts.target
            << " (expected cpu or cuda)\n";
    return kExitUsage;
  }
  if (opts.target == "cuda") {
    if (opts.threadsGiven) {
      error() << "--threads is for --target=cpu (CUDA blocks take "
                 "--nest-threads)\n";
      return kExitUsage;
    }
    return runCUDA(opts);
  }
  if (opts.emit.empty()) {
    error() << "--emit=obj|so|llvm|mlir is required\n";
    return kExitUsage;
  }
  std::optional<hymir::CPUEmitKind> kind = hymir::parseCPUEmitKind(opts.emit);
  if (!kind) {
    if (opts.emit == "ptx" || opts.emit == "artifact")
      error() << "--emit=" << opts.emit << " needs --target=cuda\n";
    else
      error() << "unknown --emit=" << opts.emit
              << " (expected obj, so, llvm or mlir)\n";
    return kExitUsage;
  }
  bool textual =
      *kind == hymir::CPUEmitKind::MLIR || *kind == hymir::CPUEmitKind::LLVMIR;
  if (opts.output.empty()) {
    error() << "-o OUT is required\n";
    return kExitUsage;
  }
  if (opts.output == "-" && !textual) {
    error() << "--emit=" << opts.emit
            << " cannot be written to stdout; pass -o FILE\n";
    return kExitUsage;
  }
  if (opts.header.getNumOccurrences() &&
      (opts.header.empty() || opts.header == "-")) {
    error() << "--header needs a file name\n";
    return kExitUsage;
  }
  hymir::CPUTargetOptions targetOptions;
  targetOptions.cpu = opts.mcpu;
  if (*kind == hymir::CPUEmitKind::SharedLibrary)
    targetOptions.soname = llvm::sys::path::filename(opts.output).str();
  if (auto tm = hymir::createCPUTargetMachine(targetOptions); !tm) {
    error() << "--mcpu=" << opts.mcpu << ": " << llvm::toString(tm.takeError())
            << "\n";
    return kExitUsage;
  }

  // Parse and verify the module; diagnostics carry source locations.
  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  hymir::registerCPUEmitDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseInput(opts, context, sourceMgr);
  if (!module)
    return kExitFailure;
  if (llvm::none_of(module->getOps<func::FuncOp>(), [](func::FuncOp f) {
        return f.isPublic() && !f.isExternal();
      }))
    llvm::WithColor::warning(llvm::errs())
        << opts.inputFile << " has no public function with a body: the "
        << "artifact has no entry point\n";

  // Compile to temporary files, then rename them all into place.
  PendingOutputs pending;
  hymir::CPUPipelineOptions pipelineOptions;
  pipelineOptions.threads = opts.threads;
  pipelineOptions.polynomialMath = opts.polynomialMath;
  pipelineOptions.fusion = opts.fusion;
  if (opts.chunkSize >= 0)
    pipelineOptions.setChunkSizeForAllForms(opts.chunkSize);
  hymir::CPUArtifactInfo info;
  if (opts.output == "-") {
    if (failed(hymir::emitCPUArtifact(*module, *kind, llvm::outs(),
                                      pipelineOptions, targetOptions, &info)))
      return kExitFailure;
  } else {
    FailureOr<std::string> temp = pending.add(opts.output);
    if (failed(temp))
      return kExitFailure;
    if (failed(hymir::emitCPUArtifact(*module, *kind, *temp, pipelineOptions,
                                      targetOptions, &info)))
      return kExitFailure;
  }

  if (!opts.header.empty()) {
    hymir::CHeaderOptions headerOptions;
    headerOptions.fileName = llvm::sys::path::filename(opts.header).str();
    headerOptions.sourceName =
        opts.inputFile == "-" ? std::string("<stdin>")
                              : llvm::sys::path::filename(opts.inputFile).str();
    headerOptions.argumentNames = sourceArgumentNames(*module, sourceMgr);
    headerOptions.artifact = &info;
    std::string text;
    llvm::raw_string_ostream os(text);
    if (failed(hymir::generateCHeader(*module, headerOptions, os)))
      return kExitFailure;
    if (!writePendingText(pending, opts.header, text))
      return kExitFailure;
  }
  return pending.commit() ? 0 : kExitFailure;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  std::vector<char *> args(argv, argv + argc);
  if (std::optional<std::string> bad =
          hymir::extractThreads(args, opts.threads, opts.threadsGiven)) {
    error() << "--threads=" << *bad
            << " is not a thread count (expected 0 to " << hymir::kMaxThreads
            << "; 0 = one per core)\n";
    return kExitUsage;
  }
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   kOverview, &llvm::errs()))
    return kExitUsage;
  return run(opts);
}
