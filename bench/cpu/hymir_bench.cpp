//===- hymir_bench.cpp - CPU benchmark of Hymir's compiled operators ------===//
//
// Measures, in one run at each requested thread count:
//   * the machine's limits: FMA peak (a hand-written AVX-512 / AVX2 FMA loop
//     on every thread) and DRAM bandwidth (a STREAM-style triad);
//   * Hymir: every bench/cpu/ops/*.mlir compiled once (hymir-cpu-pipeline,
//     threads = N) and called repeatedly on random inputs (warm-up, median);
//   * the PyTorch peers (bench/cpu/peers.py, run by /usr/bin/python3 as a
//     child process on the very same inputs): token loop, chunked matmul form,
//     matmul + masked softmax for attention; each is also checked against
//     Hymir's output;
// and the compile time of the whole operator gallery (examples/ops).
// bench/README.md explains the table. Nothing here is a test: nothing fails
// on a slow number.
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Target/CPU/Jit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace mlir;
using hymir::CpuTensor;
using Clock = std::chrono::steady_clock;

#ifndef HYMIR_BENCH_DIR
#define HYMIR_BENCH_DIR "bench"
#endif
#ifndef HYMIR_EXAMPLES_DIR
#define HYMIR_EXAMPLES_DIR "examples/ops"
#endif

namespace cl = llvm::cl;

// Only these show in --help (not every option LLVM registers).
static cl::OptionCategory category("hymir-bench options");

static cl::list<unsigned> threadCounts("thread-counts", cl::desc("Thread counts to run (default: 1,2)"),
                                       cl::CommaSeparated, cl::cat(category));
static cl::opt<int64_t> seqLen("T", cl::desc("Sequence length of the prefill ops"),
                               cl::init(4096), cl::cat(category));
static cl::opt<int64_t> decodeBatch("decode-batch", cl::desc("Batch of the decode step"),
                                    cl::init(64), cl::cat(category));
static cl::opt<unsigned> maxReps("reps", cl::desc("Timed repetitions (median), at most"),
                                 cl::init(7), cl::cat(category));
static cl::opt<double> budget("budget", cl::desc("Seconds of timed runs per measurement, about"),
                              cl::init(6.0), cl::cat(category));
static cl::opt<std::string> benchDir("bench-dir", cl::desc("The bench/ directory"),
                                     cl::init(HYMIR_BENCH_DIR), cl::cat(category));
static cl::opt<std::string> examplesDir("examples", cl::desc("The gallery (examples/ops)"),
                                        cl::init(HYMIR_EXAMPLES_DIR), cl::cat(category));
static cl::opt<std::string> python("python", cl::desc("Python of the PyTorch peers"),
                                   cl::init("/usr/bin/python3"), cl::cat(category));
static cl::opt<int64_t> chunkSize("chunk-size",
                                  cl::desc("Chunk length of every chunked form (default: the "
                                           "pipeline's, 16, and 8 for the diagonal forms; "
                                           "0 = sequential fallback)"),
                                  cl::init(-1), cl::cat(category));
static cl::opt<int64_t> valueTile("value-tile",
                                  cl::desc("hymir-cpu-pipeline's value-tile (default: the "
                                           "pipeline's; 0 = one (batch, head) iteration per "
                                           "state)"),
                                  cl::init(-1), cl::cat(category));
static cl::opt<bool> untiledToo("untiled-too",
                                cl::desc("Also time each op with value-tile = 0 (no value "
                                         "tiles in the sequential fallback) in the same run"),
                                cl::init(false), cl::cat(category));
static cl::opt<bool> unfusedToo("unfused-too",
                                cl::desc("Also time each op with fusion = false (the producers "
                                         "of scan inputs left outside the step, "
                                         "hymir-fuse-into-mixers off) in the same run"),
                                cl::init(false), cl::cat(category));
static cl::opt<bool> fallbackToo("fallback-too",
                                 cl::desc("Also time each op with chunk-size = 0 and "
                                          "tile-attention = false (the sequential "
                                          "fallback) in the same run"),
                                 cl::init(false), cl::cat(category));
static cl::opt<bool> noPeers("no-peers", cl::desc("Skip the PyTorch peers"), cl::init(false), cl::cat(category));
static cl::opt<bool> noGallery("no-gallery", cl::desc("Skip the gallery compile time"),
                               cl::init(false), cl::cat(category));
static cl::opt<std::string> onlyOps("ops", cl::desc("Comma-separated subset of the ops"),
                                    cl::init(""), cl::cat(category));
static cl::opt<std::string> commit("commit", cl::desc("Commit printed in the machine line"),
                                   cl::init("unknown"), cl::cat(category));
static cl::opt<std::string> workDir("work-dir",
                                    cl::desc("Scratch directory for the inputs shared with the "
                                             "peers (default: a fresh one under /tmp)"),
                                    cl::init(""), cl::cat(category));

static double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Runs `fn(thread index)` on `n` threads at once and returns the slowest
/// thread's seconds.
template <typename Fn> static double onThreads(unsigned n, Fn fn) {
  std::vector<double> seconds(n);
  std::atomic<unsigned> ready{0};
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < n; ++i)
    pool.emplace_back([&, i] {
      ++ready;
      while (ready.load() < n) {
      }
      auto start = Clock::now();
      fn(i);
      seconds[i] = since(start);
    });
  for (auto &t : pool)
    t.join();
  return *std::max_element(seconds.begin(), seconds.end());
}

//===----------------------------------------------------------------------===//
// Machine limits
//===----------------------------------------------------------------------===//

/// 12 independent FMA chains of 512-bit vectors: enough to cover the FMA
/// latency on both pipes of current x86 cores. Returns a value that depends on
/// every lane so the loop cannot be removed.
__attribute__((target("avx512f"))) static float fmaLoop512(int64_t iterations) {
  __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  __m512 a[12];
  for (int j = 0; j < 12; ++j)
    a[j] = _mm512_set1_ps(1.0f + j);
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j)
      a[j] = _mm512_fmadd_ps(a[j], b, c);
  }
  __m512 s = a[0];
  for (int j = 1; j < 12; ++j)
    s = _mm512_add_ps(s, a[j]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fmaLoop256(int64_t iterations) {
  __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  __m256 a[12];
  for (int j = 0; j < 12; ++j)
    a[j] = _mm256_set1_ps(1.0f + j);
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j)
      a[j] = _mm256_fmadd_ps(a[j], b, c);
  }
  __m256 s = a[0];
  for (int j = 1; j < 12; ++j)
    s = _mm256_add_ps(s, a[j]);
  float out[8];
  _mm256_storeu_ps(out, s);
  float total = 0;
  for (float x : out)
    total += x;
  return total;
}

struct Peak {
  double gflops = 0; // all threads together
  std::string isa;
};

/// f32 FMA peak of `threads` threads running the FMA loop at once (best of 5).
static Peak measureFmaPeak(unsigned threads) {
  bool has512 = __builtin_cpu_supports("avx512f");
  bool has256 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  Peak best;
  auto measure = [&](const char *isa, int lanes, float (*loop)(int64_t)) {
    const int64_t iterations = 20'000'000;
    static std::atomic<float> sink{0};
    loop(1'000'000); // wake the core up
    for (int rep = 0; rep < 5; ++rep) {
      double seconds = onThreads(threads, [&](unsigned) { sink = sink + loop(iterations); });
      double gflops = threads * double(iterations) * 12 * lanes * 2 / seconds / 1e9;
      if (gflops > best.gflops)
        best = {gflops, isa};
    }
  };
  if (has512)
    measure("AVX-512", 16, fmaLoop512);
  if (has256)
    measure("AVX2", 8, fmaLoop256);
  return best;
}

/// STREAM triad a = b + s·c on f64 arrays of 3 × 256 MiB, split over
/// `threads` threads (first touch by the same threads); GB/s counts 24 bytes
/// an element (no write-allocate), best of 5.
static double measureTriad(unsigned threads) {
  const size_t n = size_t(1) << 25;
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  auto range = [&](unsigned i) {
    size_t chunk = (n + threads - 1) / threads;
    return std::make_pair(std::min(n, i * chunk), std::min(n, (i + 1) * chunk));
  };
  onThreads(threads, [&](unsigned i) {
    auto [lo, hi] = range(i);
    for (size_t j = lo; j < hi; ++j) {
      a[j] = 0;
      b[j] = 1.0;
      c[j] = 2.0;
    }
  });
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double s = 1.0 + rep * 1e-3;
    double seconds = onThreads(threads, [&](unsigned i) {
      auto [lo, hi] = range(i);
      double *__restrict pa = a.get();
      const double *__restrict pb = b.get();
      const double *__restrict pc = c.get();
      for (size_t j = lo; j < hi; ++j)
        pa[j] = pb[j] + s * pc[j];
    });
    best = std::max(best, 24.0 * n / seconds / 1e9);
  }
  if (a[n / 2] < 0) // keep the stores
    std::puts("");
  return best;
}

//===----------------------------------------------------------------------===//
// Operators
//===----------------------------------------------------------------------===//

/// How an input is drawn: normal(mean, std) or uniform(lo, hi), optionally
/// through log (A_log) or as a softplus inverse (dt_bias).
struct Input {
  std::string name;
  std::vector<int64_t> shape;
  enum Kind { Normal, Uniform, LogUniform, DtBias } kind = Normal;
  double p0 = 0, p1 = 1;
};

struct OpSpec {
  std::string name, file;
  std::string shapeText;
  bool decode = false;
  std::vector<Input> inputs;
  double flops = 0; // nominal: the recurrent form's work (README)
  double bytes = 0; // decode: state read + written, inputs and outputs
};

static std::vector<OpSpec> benchOps(int64_t T, int64_t decodeB) {
  const int64_t H = 16, K = 128, V = 128;
  const double steps = double(T) * H;
  std::vector<OpSpec> ops;
  auto seq = [&](std::string name, int64_t last) {
    return Input{std::move(name), {1, T, H, last}, Input::Normal, 0, 1};
  };
  auto perHead = [&](std::string name, Input::Kind kind, double p0, double p1) {
    return Input{std::move(name), {1, T, H}, kind, p0, p1};
  };
  auto state = [&](int64_t b, int64_t h, int64_t n, int64_t p) {
    return Input{"S0", {b, h, n, p}, Input::Normal, 0, 0.1};
  };
  std::string shape = "B=1 T=" + std::to_string(T) + " H=16 K=V=128";

  // Per step and head: decay K·V, outer K·V, add K·V, read 2·K·V.
  ops.push_back({"simple_gla", "simple_gla.mlir", shape, false,
                 {seq("q", K), seq("k", K), seq("v", V),
                  perHead("g", Input::Uniform, -0.2, -0.01), state(1, H, K, V)},
                 steps * 5 * K * V});
  ops.push_back({"gla", "gla.mlir", shape, false,
                 {seq("q", K), seq("k", K), seq("v", V),
                  Input{"gk", {1, T, H, K}, Input::Uniform, -0.08, -0.001}, state(1, H, K, V)},
                 steps * 5 * K * V});
  // Decay K·V, read 2·K·V, outer K·V, add K·V, read 2·K·V.
  std::vector<Input> gdn{seq("q", K),
                         seq("k", K),
                         seq("v", V),
                         perHead("a", Input::Normal, 0, 1),
                         perHead("b", Input::Normal, 0, 1),
                         Input{"A_log", {H}, Input::LogUniform, 1, 16},
                         Input{"dt_bias", {H}, Input::DtBias, 0.001, 0.1},
                         state(1, H, K, V)};
  ops.push_back({"gated_delta_net", "gated_delta_net.mlir", shape, false, gdn,
                 steps * 7 * K * V});
  // The same math with its producers written before the scan (the fusion
  // stage's case: --unfused-too times it without hymir-fuse-into-mixers).
  ops.push_back({"gated_delta_net_layer", "gated_delta_net_layer.mlir", shape, false, gdn,
                 steps * 7 * K * V});
  // KDA: the same work with a per-key decay (and gate) instead of a scalar.
  std::vector<Input> kda{seq("q", K),
                         seq("k", K),
                         seq("v", V),
                         seq("g_raw", K),
                         perHead("b", Input::Normal, 0, 1),
                         Input{"A_log", {H}, Input::LogUniform, 1, 16},
                         Input{"dt_bias", {H, K}, Input::DtBias, 0.001, 0.1},
                         state(1, H, K, V)};
  ops.push_back({"kda", "kda.mlir", shape, false, kda, steps * 7 * K * V});
  // RWKV-7: decay K·V, read 2·K·V, two outers and adds 4·K·V, read 2·K·V;
  // w a log-decay in RWKV-7's range (−0.6065, 0), k small as its k ⊙ (…).
  ops.push_back({"rwkv7", "rwkv7.mlir", shape, false,
                 {seq("r", K), Input{"w", {1, T, H, K}, Input::Uniform, -0.6, -0.01},
                  Input{"k", {1, T, H, K}, Input::Normal, 0, 0.3}, seq("v", V),
                  seq("kappa", K), seq("a_raw", K), state(1, H, K, V)},
                 steps * 9 * K * V});
  {
    const int64_t Hm = 32, P = 64, N = 128;
    ops.push_back({"mamba2_ssd", "mamba2_ssd.mlir",
                   "B=1 T=" + std::to_string(T) + " H=32 P=64 N=128",
                   false,
                   {Input{"x", {1, T, Hm, P}, Input::Normal, 0, 1},
                    Input{"dt", {1, T, Hm}, Input::Normal, 0, 1},
                    Input{"A_log", {Hm}, Input::LogUniform, 1, 16},
                    Input{"B", {1, T, 1, N}, Input::Normal, 0, 1},
                    Input{"C", {1, T, 1, N}, Input::Normal, 0, 1},
                    Input{"D", {Hm}, Input::Uniform, 0.5, 1.5},
                    Input{"dt_bias", {Hm}, Input::DtBias, 0.001, 0.1},
                    Input{"S0", {1, Hm, N, P}, Input::Normal, 0, 0.1}},
                   double(T) * Hm * 5 * N * P});
  }
  // Causal: Σ_i (i + 1) keys, 2·D for the score and 2·D for P·V each.
  ops.push_back({"attention_causal", "attention_causal.mlir",
                 "B=1 T=" + std::to_string(T) + " H=16 D=128", false,
                 {seq("q", K), seq("k", K), seq("v", V)},
                 H * (double(T) * (T + 1) / 2) * 4 * K});
  {
    std::vector<Input> dec{Input{"q", {decodeB, H, K}},
                           Input{"k", {decodeB, H, K}},
                           Input{"v", {decodeB, H, V}},
                           Input{"a", {decodeB, H}},
                           Input{"b", {decodeB, H}},
                           Input{"A_log", {H}, Input::LogUniform, 1, 16},
                           Input{"dt_bias", {H}, Input::DtBias, 0.001, 0.1},
                           state(decodeB, H, K, V)};
    OpSpec op{"gated_delta_net_decode", "gated_delta_net_decode.mlir",
              "B=" + std::to_string(decodeB) + " H=16 K=V=128 (one step)", true, dec,
              double(decodeB) * H * 7 * K * V};
    // The state is read once and written once; q, k, v in, o out.
    op.bytes = 4.0 * decodeB * H * (2.0 * K * V + 2 * K + 2 * V + 2);
    ops.push_back(op);
  }
  return ops;
}

static CpuTensor makeInput(const Input &in, std::mt19937_64 &rng) {
  CpuTensor t;
  t.shape = in.shape;
  t.data.resize(t.numElements());
  std::normal_distribution<float> normal(in.p0, in.p1);
  std::uniform_real_distribution<double> uniform(in.p0, in.p1);
  for (float &x : t.data) {
    switch (in.kind) {
    case Input::Normal:
      x = normal(rng);
      break;
    case Input::Uniform:
      x = uniform(rng);
      break;
    case Input::LogUniform:
      x = std::log(uniform(rng));
      break;
    case Input::DtBias: // softplus⁻¹ of dt ∈ [p0, p1]
      x = std::log(std::expm1(uniform(rng)));
      break;
    }
  }
  return t;
}

static bool writeRaw(const std::string &path, const std::vector<float> &data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(data.data()), data.size() * sizeof(float));
  return bool(out);
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

struct Timing {
  double ms = 0;
  unsigned reps = 0;
};

/// Warm-up once, then median of up to --reps runs within about --budget s
/// (at least 3).
template <typename Fn> static Timing timeIt(Fn fn) {
  auto start = Clock::now();
  fn();
  double first = since(start);
  unsigned reps = std::clamp<unsigned>(unsigned(budget / std::max(first, 1e-6)), 3, maxReps);
  std::vector<double> samples;
  for (unsigned i = 0; i < reps; ++i) {
    start = Clock::now();
    fn();
    samples.push_back(since(start));
  }
  return {median(samples) * 1e3, reps};
}

struct PeerResult {
  std::string impl;
  double ms = 0;
  double err = -1;
  std::string note;
};

/// Tiny parser for the flat JSON objects peers.py prints, one a line.
static std::map<std::string, std::string> parseFlatJson(const std::string &line) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  auto skip = [&] {
    while (i < line.size() && (isspace(line[i]) || line[i] == ',' || line[i] == '{' ||
                               line[i] == '}' || line[i] == ':'))
      ++i;
  };
  auto token = [&]() -> std::string {
    skip();
    if (i >= line.size())
      return "";
    if (line[i] == '"') {
      std::string s;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size())
          ++i;
        s += line[i];
      }
      ++i;
      return s;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ',' && line[i] != '}')
      ++i;
    return line.substr(start, i - start);
  };
  while (i < line.size()) {
    std::string key = token();
    if (key.empty())
      break;
    out[key] = token();
  }
  return out;
}

struct BenchResult {
  Timing hymir;
  std::string hymirError;
  bool bitIdentical = true;
  bool compared = false;
  double compileSeconds = 0;
  Timing fallback; // --fallback-too: the same op with chunk-size = 0
  Timing untiled;  // --untiled-too: the same op with value-tile = 0
  Timing unfused;  // --unfused-too: the same op with fusion = false
  std::vector<PeerResult> peers;
};

static std::string fmt(const char *format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

/// The 1-minute load average (other processes compete for the cores).
static std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

static std::string machineLine(const std::string &commitText) {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", std::localtime(&now));
  std::ostringstream os;
  os << "machine: " << model << ", " << std::thread::hardware_concurrency()
     << " cores (logical), " << date << ", commit " << commitText;
  return os.str();
}

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "Hymir CPU benchmark\n");
  std::vector<unsigned> threads(threadCounts.begin(), threadCounts.end());
  if (threads.empty())
    threads = {1, 2};

  std::printf("%s\n", machineLine(commit).c_str());
  const char *tunables = std::getenv("GLIBC_TUNABLES");
  std::printf("shapes: T = %lld, decode B = %lld; GLIBC_TUNABLES=%s\n", (long long)seqLen,
              (long long)decodeBatch, tunables ? tunables : "(unset)");
  std::fflush(stdout);

  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });

  // --- Gallery compile time (threads = 1, the default pipeline) ---------
  if (!noGallery) {
    std::error_code ec;
    std::vector<std::string> files;
    for (llvm::sys::fs::directory_iterator it(examplesDir, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::StringRef(it->path()).ends_with(".mlir"))
        files.push_back(it->path());
    std::sort(files.begin(), files.end());
    double total = 0, worst = 0;
    std::string worstName;
    unsigned ok = 0;
    for (const std::string &file : files) {
      auto start = Clock::now();
      OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(file, &context);
      bool compiled = false;
      if (module) {
        hymir::CPUPipelineOptions options;
        compiled = succeeded(hymir::CompiledModule::compile(*module, "main", options));
      }
      double seconds = since(start);
      total += seconds;
      ok += compiled;
      if (seconds > worst) {
        worst = seconds;
        worstName = llvm::sys::path::filename(file).str();
      }
    }
    std::printf("gallery compile time: %.2f s for %u/%zu files of %s (parse + "
                "hymir-cpu-pipeline + LLVM -O3 + codegen, one after another, 1 thread; "
                "slowest %s %.2f s; goal < 10 s)\n",
                total, ok, files.size(), examplesDir.c_str(), worstName.c_str(), worst);
    std::fflush(stdout);
  }

  // --- Ops: parse and draw the inputs once ------------------------------
  std::vector<OpSpec> specs = benchOps(seqLen, decodeBatch);
  if (!onlyOps.empty()) {
    std::vector<OpSpec> kept;
    for (OpSpec &op : specs)
      if (("," + onlyOps + ",").find("," + op.name + ",") != std::string::npos)
        kept.push_back(op);
    specs = kept;
  }
  std::string work = workDir;
  if (work.empty()) {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("hymir-bench", dir)) {
      std::fprintf(stderr, "cannot create a scratch directory\n");
      return 1;
    }
    work = dir.str().str();
  } else {
    llvm::sys::fs::create_directories(work);
  }

  std::vector<std::vector<CpuTensor>> inputs;
  std::vector<OwningOpRef<ModuleOp>> modules;
  std::mt19937_64 rng(20261127);
  for (OpSpec &op : specs) {
    std::string path = benchDir + "/cpu/ops/" + op.file;
    modules.push_back(parseSourceFile<ModuleOp>(path, &context));
    if (!modules.back()) {
      std::fprintf(stderr, "cannot parse %s:\n%s", path.c_str(), diagnostics.c_str());
      return 1;
    }
    std::vector<CpuTensor> args;
    for (const Input &in : op.inputs)
      args.push_back(makeInput(in, rng));
    // A bf16 argument (a hymir-narrow-inputs variant of the op) gets its
    // elements as bf16 once, so the timed calls pass them as they are.
    if (auto main = modules.back()->lookupSymbol<func::FuncOp>("main"))
      for (auto [a, type] : llvm::enumerate(main.getFunctionType().getInputs()))
        if (a < args.size() && getElementTypeOrSelf(type).isBF16())
          for (float x : args[a].data) {
            uint32_t bits;
            std::memcpy(&bits, &x, sizeof(bits));
            bits += 0x7fff + ((bits >> 16) & 1); // to nearest, ties to even
            args[a].bf16.push_back(static_cast<uint16_t>(bits >> 16));
          }
    inputs.push_back(std::move(args));
  }

  // Manifest for the peers: op, then each input as name:file:shape.
  {
    std::ofstream manifest(work + "/manifest.txt");
    for (size_t i = 0; i < specs.size(); ++i) {
      manifest << "op " << specs[i].name << "\n";
      for (size_t a = 0; a < specs[i].inputs.size(); ++a) {
        std::string file = work + "/" + specs[i].name + ".in" + std::to_string(a) + ".f32";
        writeRaw(file, inputs[i][a].data);
        manifest << "in " << specs[i].inputs[a].name << " " << file;
        for (int64_t d : inputs[i][a].shape)
          manifest << " " << d;
        manifest << "\n";
      }
      manifest << "out " << work << "/" << specs[i].name << ".out0.f32\n";
    }
  }

  std::vector<std::vector<float>> reference(specs.size()); // Hymir out0 at the first count
  std::vector<std::string> report;
  std::string peerHeader;

  for (unsigned t : threads) {
    Peak peak = measureFmaPeak(t);
    double bandwidth = measureTriad(t);
    std::printf("\n== threads = %u: FMA peak %.1f GFLOP/s (%s, f32, %u thread%s), triad "
                "bandwidth %.1f GB/s; load average %s\n",
                t, peak.gflops, peak.isa.c_str(), t, t == 1 ? "" : "s", bandwidth,
                loadAverage().c_str());
    std::fflush(stdout);

    std::vector<BenchResult> results(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      BenchResult &r = results[i];
      hymir::CPUPipelineOptions options;
      options.threads = t;
      if (chunkSize >= 0)
        options.setChunkSizeForAllForms(chunkSize);
      if (valueTile >= 0)
        options.valueTile = valueTile;
      auto start = Clock::now();
      diagnostics.clear();
      FailureOr<hymir::CompiledModule> compiled =
          hymir::CompiledModule::compile(*modules[i], "main", options);
      r.compileSeconds = since(start);
      if (failed(compiled)) {
        r.hymirError = "compile failed: " + diagnostics;
        continue;
      }
      FailureOr<SmallVector<CpuTensor>> out = compiled->call(inputs[i]);
      if (failed(out)) {
        r.hymirError = "call failed: " + diagnostics;
        continue;
      }
      if (reference[i].empty()) {
        reference[i] = (*out)[0].data;
        writeRaw(work + "/" + specs[i].name + ".out0.f32", reference[i]);
      } else {
        r.compared = true;
        r.bitIdentical = reference[i].size() == (*out)[0].data.size() &&
                         std::memcmp(reference[i].data(), (*out)[0].data.data(),
                                     reference[i].size() * sizeof(float)) == 0;
      }
      const hymir::CompiledModule &fn = *compiled;
      const std::vector<CpuTensor> &args = inputs[i];
      r.hymir = timeIt([&] { (void)fn.callDiscardingResults(args); });
      if (untiledToo) {
        int64_t tile = options.valueTile;
        options.valueTile = 0;
        FailureOr<hymir::CompiledModule> flat =
            hymir::CompiledModule::compile(*modules[i], "main", options);
        options.valueTile = tile;
        if (succeeded(flat)) {
          const hymir::CompiledModule &fn0 = *flat;
          r.untiled = timeIt([&] { (void)fn0.callDiscardingResults(args); });
        }
      }
      if (unfusedToo) {
        options.fusion = false;
        FailureOr<hymir::CompiledModule> plain =
            hymir::CompiledModule::compile(*modules[i], "main", options);
        options.fusion = true;
        if (succeeded(plain)) {
          const hymir::CompiledModule &fn0 = *plain;
          r.unfused = timeIt([&] { (void)fn0.callDiscardingResults(args); });
        }
      }
      if (fallbackToo) {
        options.chunkSize = 0;
        options.tileAttention = false;
        FailureOr<hymir::CompiledModule> seq =
            hymir::CompiledModule::compile(*modules[i], "main", options);
        if (succeeded(seq)) {
          const hymir::CompiledModule &fn0 = *seq;
          r.fallback = timeIt([&] { (void)fn0.callDiscardingResults(args); });
        }
      }
    }

    // Peers, on the same inputs.
    if (!noPeers) {
      std::string cmd = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=" +
                        std::to_string(t) + " OPENBLAS_NUM_THREADS=" + std::to_string(t) +
                        " " + python + " " + benchDir + "/cpu/peers.py --manifest " + work +
                        "/manifest.txt --threads " + std::to_string(t) +
                        " --reps " + std::to_string(maxReps) + " --budget " +
                        std::to_string(budget);
      FILE *pipe = popen(cmd.c_str(), "r");
      if (!pipe) {
        std::printf("peers: cannot run %s\n", cmd.c_str());
      } else {
        char buf[4096];
        while (std::fgets(buf, sizeof buf, pipe)) {
          auto fields = parseFlatJson(buf);
          if (fields.count("header")) {
            peerHeader = fields["header"];
            continue;
          }
          for (size_t i = 0; i < specs.size(); ++i)
            if (fields["op"] == specs[i].name) {
              PeerResult p;
              p.impl = fields["impl"];
              p.ms = fields.count("ms") ? std::atof(fields["ms"].c_str()) : -1;
              p.err = fields.count("err") ? std::atof(fields["err"].c_str()) : -1;
              p.note = fields["note"];
              results[i].peers.push_back(p);
            }
        }
        int status = pclose(pipe);
        if (status != 0)
          std::printf("peers: %s exited with status %d\n", cmd.c_str(), status);
      }
      if (!peerHeader.empty())
        std::printf("peers: %s\n", peerHeader.c_str());
    }

    // Table.
    std::printf("%-23s %-30s %10s %10s  %-36s %9s %8s %7s %9s %6s\n", "op", "shape",
                "hymir ms", "best peer", "(peer)", "hymir/pr", "GFLOP/s", "%FMA", "GB/s",
                "%BW");
    for (size_t i = 0; i < specs.size(); ++i) {
      const OpSpec &op = specs[i];
      const BenchResult &r = results[i];
      if (!r.hymirError.empty()) {
        std::printf("%-23s %-30s %s\n", op.name.c_str(), op.shapeText.c_str(),
                    r.hymirError.c_str());
        continue;
      }
      const PeerResult *best = nullptr;
      for (const PeerResult &p : r.peers)
        if (p.ms > 0 && (!best || p.ms < best->ms))
          best = &p;
      double gflops = op.flops / (r.hymir.ms * 1e-3) / 1e9;
      std::string gb = "-", bw = "-";
      if (op.decode) {
        double gbs = op.bytes / (r.hymir.ms * 1e-3) / 1e9;
        gb = fmt("%.1f", gbs);
        bw = fmt("%.0f%%", 100 * gbs / bandwidth);
      }
      std::printf("%-23s %-30s %10.1f %10s  %-36s %9s %8.2f %6.1f%% %9s %6s\n",
                  op.name.c_str(), op.shapeText.c_str(), r.hymir.ms,
                  best ? fmt("%.1f", best->ms).c_str() : "-",
                  best ? ("(" + best->impl + ")").c_str() : "",
                  best ? fmt("%.2fx", r.hymir.ms / best->ms).c_str() : "-", gflops,
                  100 * gflops / peak.gflops, gb.c_str(), bw.c_str());
    }
    std::printf("details (load average now %s):\n", loadAverage().c_str());
    for (size_t i = 0; i < specs.size(); ++i) {
      const OpSpec &op = specs[i];
      const BenchResult &r = results[i];
      if (!r.hymirError.empty())
        continue;
      std::printf("  %-23s hymir %.1f ms (median of %u; compile %.2f s%s)\n", op.name.c_str(),
                  r.hymir.ms, r.hymir.reps, r.compileSeconds,
                  !r.compared ? ""
                  : r.bitIdentical
                      ? (", output bit-identical to threads = " + std::to_string(threads[0]))
                            .c_str()
                      : ", output DIFFERS from the first thread count");
      if (r.unfused.reps)
        std::printf("    hymir without fusion (fusion = false): %.1f ms\n", r.unfused.ms);
      if (r.untiled.reps)
        std::printf("    hymir without value tiles (value-tile = 0): %.1f ms%s\n", r.untiled.ms,
                    op.decode ? fmt(", %.1f GB/s", op.bytes / (r.untiled.ms * 1e-3) / 1e9).c_str()
                              : "");
      if (r.fallback.reps)
        std::printf("    hymir sequential fallback (chunk-size = 0): %.1f ms, %.2f GFLOP/s\n",
                    r.fallback.ms, op.flops / (r.fallback.ms * 1e-3) / 1e9);
      for (const PeerResult &p : r.peers) {
        std::string line = "    peer " + p.impl + ": ";
        line += p.ms > 0 ? fmt("%.1f ms", p.ms) : std::string("not run");
        if (p.ms > 0)
          line += fmt(", %.2f GFLOP/s", op.flops / (p.ms * 1e-3) / 1e9);
        if (op.decode && p.ms > 0)
          line += fmt(", %.1f GB/s", op.bytes / (p.ms * 1e-3) / 1e9);
        if (p.err >= 0)
          line += fmt(", rel. RMS diff. vs hymir %.1e", p.err);
        if (!p.note.empty())
          line += " (" + p.note + ")";
        std::printf("%s\n", line.c_str());
      }
    }
    std::fflush(stdout);
  }

  if (workDir.empty())
    llvm::sys::fs::remove_directories(work);
  return 0;
}
