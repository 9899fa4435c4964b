//===- hymir-import.cpp - Model config (config.json) to a model module ----===//
//
// DESIGN.md §5: `hymir-import CONFIG.json -o MODEL.mlir` reads the config a
// published checkpoint ships and writes a model module (docs/models.md);
// `--random-weights=W.safetensors` writes deterministic random values for
// every weight of that module. The module is parsed and verified before it
// is written, so a module this tool writes always verifies.
//
//===----------------------------------------------------------------------===//

#include "hymir/Import/Import.h"
#include "hymir/InitAll.h"

#include "hymir_rt/array.h"
#include "hymir_rt/safetensors.h"
#include "hymir_rt/status.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;
using hymir::import::WeightInit;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

/// Random weights are for tiny models: at most 2^28 values (1 GiB of f32).
constexpr int64_t kMaxRandomValues = int64_t(1) << 28;

const char kOverview[] = R"(hymir-import: model config (config.json) -> model module

  hymir-import CONFIG.json [-o MODEL.mlir] [--random-weights=W.safetensors
               [--seed=N]] [--moe=sparse|dense]

Reads the config.json of a published checkpoint (Hugging Face field names
and values) and writes the model module of docs/models.md: weights as
external ml_program.global symbols named like the checkpoint's tensors,
@prefill and @decode, recurrent states and KV caches as explicit values.
The module is verified before it is written (atomically; '-' is stdout, the
default unless only --random-weights is given).

Model types: qwen3_next (Qwen3-Next: Gated DeltaNet + gated attention,
dense or MoE MLPs), mamba2 (Mamba-2), granitemoehybrid (Granite 4.0:
Mamba-2 + attention, MoE with a shared MLP), jamba (Mamba-1 + attention,
MoE), mamba (Mamba-1), recurrent_gemma (RG-LRU + local attention), xlstm
(mLSTM blocks), olmo_hybrid (Gated DeltaNet + post-norm attention), rwkv7
(RWKV-7), kimi_linear (Kimi Delta Attention + MLA, MoE).

--random-weights writes deterministic random values for every weight of
the module to a safetensors file (f32): per tensor a stream seeded from
--seed and the tensor's name; projections normal(0, 1/sqrt(fan_in)), norm
weights applied as w 1 + normal(0, 0.1), zero-centred norm weights and
biases normal(0, 0.1), A_log log(uniform(1, 16)), Mamba's dt_bias the
inverse softplus of a log-uniform dt in [1e-3, 1e-1], D 1 + normal(0, 0.1).
(docs/models.md lists the rule of every tensor.)

A top-k MoE runs each expert on the tokens routed to it only (--moe=sparse,
the default: compact, gather, run, scatter-add) or every expert on every
token weighted by its routing weight (--moe=dense; the CUDA target compiles
this form only).

A problem with the config is one line, 'error: CONFIG.json: field 'x': ...',
and exit status 1; a bad command line exits with 2.
)";

struct Options {
  cl::OptionCategory category{"hymir-import options"};
  cl::opt<std::string> inputFile{cl::Positional, cl::desc("<CONFIG.json>"),
                                 cl::cat(category)};
  cl::opt<std::string> output{"o", cl::desc("Output module ('-': stdout)"),
                              cl::value_desc("MODEL.mlir"), cl::init("-"),
                              cl::cat(category)};
  cl::opt<std::string> randomWeights{
      "random-weights",
      cl::desc("Write deterministic random values for every weight"),
      cl::value_desc("W.safetensors"), cl::cat(category)};
  cl::opt<uint64_t> seed{"seed", cl::desc("Seed of --random-weights"),
                         cl::value_desc("N"), cl::init(0), cl::cat(category)};
  cl::opt<hymir::import::MoeDispatch> moe{
      "moe", cl::desc("How a top-k MoE runs its experts"),
      cl::values(clEnumValN(hymir::import::MoeDispatch::Sparse, "sparse",
                            "each expert on its routed tokens only "
                            "(gather, run, scatter-add; default)"),
                 clEnumValN(hymir::import::MoeDispatch::Dense, "dense",
                            "every expert on every token, weighted by its "
                            "routing weight (0 where not routed)")),
      cl::init(hymir::import::MoeDispatch::Sparse), cl::cat(category)};
};

llvm::raw_ostream &error() { return llvm::WithColor::error(llvm::errs()); }

/// splitmix64 (portable; std::normal_distribution is not reproducible across
/// standard libraries), the generator of hymir-run --random-weights.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() {
    return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
  }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
};

double draw(SplitMix64 &rng, WeightInit init, int64_t fanIn) {
  switch (init) {
  case WeightInit::FanIn:
    return rng.normal() / std::sqrt(static_cast<double>(fanIn));
  case WeightInit::NearOne:
    return 1.0 + 0.1 * rng.normal();
  case WeightInit::NearZero:
    return 0.1 * rng.normal();
  case WeightInit::ALog:
    return std::log(1.0 + 15.0 * rng.uniform());
  case WeightInit::DtBias: {
    double dt = std::exp(std::log(1e-3) +
                         rng.uniform() * (std::log(1e-1) - std::log(1e-3)));
    return dt + std::log(-std::expm1(-dt));
  }
  }
  return 0.0;
}

int writeRandomWeights(const hymir::import::ImportedModel &model,
                       llvm::StringRef path, uint64_t seed) {
  int64_t total = 0;
  for (const auto &w : model.weights) {
    int64_t n = 1;
    for (int64_t d : w.shape)
      n *= d;
    total += n;
    if (total > kMaxRandomValues) {
      error() << "--random-weights: the model has more than " << kMaxRandomValues
              << " weight values; random weights are for small models\n";
      return kExitFailure;
    }
  }
  std::vector<hymir_rt_array> arrays(model.weights.size());
  auto freeAll = [&]() {
    for (hymir_rt_array &a : arrays)
      hymir_rt_array_free(&a);
  };
  std::vector<const char *> names;
  std::vector<const hymir_rt_array *> ptrs;
  for (auto [i, w] : llvm::enumerate(model.weights)) {
    hymir_rt_error err{};
    if (hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32,
                             static_cast<int>(w.shape.size()), w.shape.data(),
                             &arrays[i], &err)) {
      error() << "tensor '" << w.name << "': " << err.message << "\n";
      freeAll();
      return kExitFailure;
    }
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (unsigned char c : w.name)
      h = (h ^ c) * 0x100000001b3ULL;
    SplitMix64 rng{h};
    float *p = static_cast<float *>(arrays[i].data);
    int64_t n = hymir_rt_array_numel(&arrays[i]);
    int64_t fanIn = w.shape.empty() ? 1 : w.shape.back();
    for (int64_t j = 0; j < n; ++j)
      p[j] = static_cast<float>(draw(rng, w.init, fanIn));
    names.push_back(w.name.c_str());
    ptrs.push_back(&arrays[i]);
  }
  hymir_rt_error err{};
  int rc = hymir_rt_safetensors_write(path.str().c_str(), names.size(),
                                      names.data(), ptrs.data(), &err);
  freeAll();
  if (rc) {
    error() << err.message << "\n";
    return kExitFailure;
  }
  return 0;
}

int run(Options &opts) {
  if (opts.inputFile.empty()) {
    error() << "no input file: pass CONFIG.json (see --help)\n";
    return kExitUsage;
  }
  if (opts.seed.getNumOccurrences() && opts.randomWeights.empty()) {
    error() << "--seed is the seed of --random-weights\n";
    return kExitUsage;
  }
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(opts.inputFile);
  if (std::error_code ec = buffer.getError()) {
    error() << opts.inputFile << ": cannot open: " << ec.message() << "\n";
    return kExitFailure;
  }
  llvm::Expected<hymir::import::ImportedModel> model =
      hymir::import::importConfig((*buffer)->getBuffer(), opts.inputFile,
                                  {opts.moe});
  if (!model) {
    error() << llvm::toString(model.takeError()) << "\n";
    return kExitFailure;
  }

  // Parse and verify what was generated: a module this tool writes verifies.
  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(model->mlir, "<hymir-import>"),
      llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module || failed(verify(*module))) {
    error() << "internal error: the module generated for " << opts.inputFile
            << " does not verify (please report)\n";
    return kExitFailure;
  }

  bool writeModule = opts.output.getNumOccurrences() || opts.randomWeights.empty();
  if (writeModule) {
    if (llvm::Error e = llvm::writeToOutput(
            opts.output, [&](llvm::raw_ostream &os) -> llvm::Error {
              os << model->mlir;
              return llvm::Error::success();
            })) {
      error() << opts.output << ": " << llvm::toString(std::move(e)) << "\n";
      return kExitFailure;
    }
  }
  if (!opts.randomWeights.empty())
    return writeRandomWeights(*model, opts.randomWeights, opts.seed);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  Options opts;
  cl::HideUnrelatedOptions(opts.category);
  if (!cl::ParseCommandLineOptions(argc, argv, kOverview, &llvm::errs()))
    return kExitUsage;
  return run(opts);
}
