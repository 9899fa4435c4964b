//===- CpuJitTest.cpp - JIT execution of the CPU pipeline -----------------===//
//
// Compiles small modules with hymir-cpu-pipeline, runs them with
// hymir::runOnCpu and compares every result with a hand-written float64 loop
// in this file (relative RMS error ≤ 1e-5), over B ∈ {1, 2} and T ∈ {1, odd,
// longer}. Also checks that bad calls fail with a diagnostic, not a crash.
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Pipelines/Pipelines.h"
#include "hymir/Target/CPU/BufferCache.h"
#include "hymir/Target/CPU/Jit.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using hymir::CpuTensor;

namespace {

//===----------------------------------------------------------------------===//
// Fixture and helpers
//===----------------------------------------------------------------------===//

class CpuJitTest : public ::testing::Test {
protected:
  CpuJitTest() {
    DialectRegistry registry;
    hymir::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  OwningOpRef<ModuleOp> parse(const std::string &source) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << diagnostics;
    return module;
  }

  /// Runs @main and expects success.
  SmallVector<CpuTensor> run(ModuleOp module, ArrayRef<CpuTensor> args) {
    hymir::CPUPipelineOptions options;
    FailureOr<SmallVector<CpuTensor>> results =
        hymir::runOnCpu(module, "main", args, options);
    EXPECT_TRUE(succeeded(results)) << diagnostics;
    if (failed(results))
      return {};
    return *results;
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// A dense f64 tensor for the references, row-major.
struct Ref {
  std::vector<int64_t> shape;
  std::vector<double> data;

  explicit Ref(std::vector<int64_t> s) : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    data.assign(n, 0.0);
  }
  explicit Ref(const CpuTensor &t)
      : shape(t.shape), data(t.data.begin(), t.data.end()) {}

  size_t offset(std::initializer_list<int64_t> index) const {
    size_t at = 0;
    size_t d = 0;
    for (int64_t i : index)
      at = at * shape[d++] + i;
    return at;
  }
  double &operator()(std::initializer_list<int64_t> index) {
    return data[offset(index)];
  }
  double operator()(std::initializer_list<int64_t> index) const {
    return data[offset(index)];
  }
};

/// Random f32 tensor with values in [lo, hi).
CpuTensor random(std::mt19937 &rng, std::vector<int64_t> shape, float lo,
                 float hi) {
  CpuTensor t;
  t.shape = std::move(shape);
  std::uniform_real_distribution<float> dist(lo, hi);
  t.data.resize(t.numElements());
  for (float &x : t.data)
    x = dist(rng);
  return t;
}

/// Normalises every vector along the last dim to unit L2 norm.
void normalizeLast(CpuTensor &t) {
  int64_t n = t.shape.back();
  for (size_t i = 0; i < t.data.size(); i += n) {
    double ss = 0;
    for (int64_t j = 0; j < n; ++j)
      ss += double(t.data[i + j]) * t.data[i + j];
    for (int64_t j = 0; j < n; ++j)
      t.data[i + j] = float(t.data[i + j] / std::sqrt(ss));
  }
}

/// Relative RMS error ‖got − ref‖₂ / ‖ref‖₂ (absolute when ref is 0).
double relativeError(const CpuTensor &got, const Ref &ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.data.size(); ++i) {
    double d = double(got.data[i]) - ref.data[i];
    num += d * d;
    den += ref.data[i] * ref.data[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

void expectClose(const CpuTensor &got, const Ref &ref,
                 const std::string &what) {
  ASSERT_EQ(got.shape, ref.shape) << what;
  ASSERT_EQ(got.data.size(), ref.data.size()) << what;
  for (float x : got.data)
    ASSERT_TRUE(std::isfinite(x)) << what << ": non-finite value";
  EXPECT_LE(relativeError(got, ref), 1e-5) << what;
}

const std::vector<std::pair<int64_t, int64_t>> kShapes = {
    {1, 1}, {2, 1}, {1, 7}, {2, 7}, {2, 16}};

std::string caseName(int64_t b, int64_t t) {
  return "B=" + std::to_string(b) + " T=" + std::to_string(t);
}

//===----------------------------------------------------------------------===//
// Gated delta rule with GVA heads (q, k: 2 heads; v, g, β, state: 4 heads)
//===----------------------------------------------------------------------===//

const char *kGatedDeltaRule = R"mlir(
func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>,
                %v: tensor<?x?x4x20xf32>, %g: tensor<?x?x4xf32>,
                %beta: tensor<?x?x4xf32>, %s0: tensor<?x4x12x20xf32>)
    -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>) {
  %o, %s = hymir.scan heads = 4
      ins(%q, %k, %v, %g, %beta : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%s0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
  ^bb0(%qt: tensor<12xf32>, %kt: tensor<12xf32>, %vt: tensor<20xf32>,
       %gt: f32, %bt: f32, %st: tensor<12x20xf32>):
    %a = math.exp %gt : f32
    %sd = hymir.scale %st, %a : tensor<12x20xf32>, f32
    %p = hymir.read %sd, %kt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %e = arith.subf %vt, %p : tensor<20xf32>
    %u = hymir.scale %e, %bt : tensor<20xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %sn = arith.addf %sd, %ku : tensor<12x20xf32>
    %ot = hymir.read %sn, %qt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %ot, %sn : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %s : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>
}
)mlir";

/// Float64 reference of kGatedDeltaRule: the outputs and the final states.
std::pair<Ref, Ref> gatedDeltaRule(const CpuTensor &q, const CpuTensor &k,
                                   const CpuTensor &v, const CpuTensor &g,
                                   const CpuTensor &beta, const CpuTensor &s0) {
  const int64_t B = v.shape[0], T = v.shape[1], H = v.shape[2],
                V = v.shape[3], HK = q.shape[2], K = q.shape[3];
  Ref rq(q), rk(k), rv(v), rg(g), rb(beta), o({B, T, H, V}), s(s0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      int64_t hk = h / (H / HK);
      for (int64_t t = 0; t < T; ++t) {
        double a = std::exp(rg({b, t, h}));
        std::vector<double> u(V);
        for (int64_t i = 0; i < K; ++i)
          for (int64_t j = 0; j < V; ++j)
            s({b, h, i, j}) *= a;
        for (int64_t j = 0; j < V; ++j) {
          double p = 0;
          for (int64_t i = 0; i < K; ++i)
            p += s({b, h, i, j}) * rk({b, t, hk, i});
          u[j] = rb({b, t, h}) * (rv({b, t, h, j}) - p);
        }
        for (int64_t i = 0; i < K; ++i)
          for (int64_t j = 0; j < V; ++j)
            s({b, h, i, j}) += rk({b, t, hk, i}) * u[j];
        for (int64_t j = 0; j < V; ++j) {
          double acc = 0;
          for (int64_t i = 0; i < K; ++i)
            acc += s({b, h, i, j}) * rq({b, t, hk, i});
          o({b, t, h, j}) = acc;
        }
      }
    }
  return {std::move(o), std::move(s)};
}

/// Random inputs of kGatedDeltaRule at batch B and length T.
SmallVector<CpuTensor> gatedDeltaRuleInputs(std::mt19937 &rng, int64_t B,
                                            int64_t T) {
  const int64_t H = 4, HK = 2, K = 12, V = 20;
  CpuTensor q = random(rng, {B, T, HK, K}, -1, 1);
  CpuTensor k = random(rng, {B, T, HK, K}, -1, 1);
  normalizeLast(k); // keeps the delta rule contractive
  CpuTensor v = random(rng, {B, T, H, V}, -1, 1);
  CpuTensor g = random(rng, {B, T, H}, -0.5f, 0.0f);
  CpuTensor beta = random(rng, {B, T, H}, 0.0f, 1.0f);
  CpuTensor s0 = random(rng, {B, H, K, V}, -1, 1);
  return {q, k, v, g, beta, s0};
}

TEST_F(CpuJitTest, GatedDeltaRuleScanWithGvaHeads) {
  auto module = parse(kGatedDeltaRule);
  ASSERT_TRUE(module);
  std::mt19937 rng(1);
  for (auto [B, T] : kShapes) {
    SmallVector<CpuTensor> in = gatedDeltaRuleInputs(rng, B, T);
    SmallVector<CpuTensor> out = run(*module, in);
    ASSERT_EQ(out.size(), 2u);
    auto [o, s] = gatedDeltaRule(in[0], in[1], in[2], in[3], in[4], in[5]);
    expectClose(out[0], o, "o " + caseName(B, T));
    expectClose(out[1], s, "S_T " + caseName(B, T));
  }
}

// A decode step's result state (here 1.1 MiB) is kept by the buffer cache
// when the call frees it, and the next call computes into those same pages:
// its results must be the new ones, whatever the block held.
TEST_F(CpuJitTest, ResultBuffersAreReusedAcrossCalls) {
  auto module = parse(kGatedDeltaRule);
  ASSERT_TRUE(module);
  hymir::CPUPipelineOptions options;
  FailureOr<hymir::CompiledModule> compiled =
      hymir::CompiledModule::compile(*module, "main", options);
  ASSERT_TRUE(succeeded(compiled)) << diagnostics;
  hymir::cpu::BufferCache &cache = hymir::cpu::compiledCodeBuffers();
  cache.clear();
  std::mt19937 rng(7);
  for (int call = 0; call < 3; ++call) {
    SmallVector<CpuTensor> in = gatedDeltaRuleInputs(rng, 300, 1);
    FailureOr<SmallVector<CpuTensor>> out = compiled->call(in);
    ASSERT_TRUE(succeeded(out)) << diagnostics;
    auto [o, s] = gatedDeltaRule(in[0], in[1], in[2], in[3], in[4], in[5]);
    std::string what = "call " + std::to_string(call);
    expectClose((*out)[0], o, "o, " + what);
    expectClose((*out)[1], s, "S_T, " + what);
    // The state's block came back to the cache (and, from the second call
    // on, was taken from it and returned again).
    EXPECT_EQ(cache.keptBlocks(), 1u) << what;
    EXPECT_GE(cache.keptBytes(), size_t(300) * 4 * 12 * 20 * 4) << what;
  }
}

//===----------------------------------------------------------------------===//
// Recurrences: a tanh RNN with a scalar state, and a step that uses every
// per-step op (scale rows/cols, rank-2 outer, reads, mix, rotary both ways,
// norms, dot, sum, the time index, head-mapped inputs and params).
//===----------------------------------------------------------------------===//

const char *kRnn = R"mlir(
func.func @main(%x: tensor<?x?x8xf32>, %w: tensor<8xf32>, %h0: tensor<?x8xf32>,
                %m0: tensor<?xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?xf32>, tensor<?x8xf32>, tensor<?xf32>) {
  %h, %m, %hT, %mT = hymir.recurrence ins(%x : tensor<?x?x8xf32>)
      params(%w : tensor<8xf32>) inits(%h0, %m0 : tensor<?x8xf32>, tensor<?xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x?xf32>) {
  ^bb0(%xt: tensor<8xf32>, %wt: tensor<8xf32>, %ht: tensor<8xf32>, %mt: f32):
    %a = arith.mulf %wt, %ht : tensor<8xf32>
    %s = arith.addf %xt, %a : tensor<8xf32>
    %n = math.tanh %s : tensor<8xf32>
    %sum = hymir.sum %n : tensor<8xf32> -> f32
    %mn = arith.maximumf %mt, %sum : f32
    hymir.yield %n, %mn, %n, %mn : tensor<8xf32>, f32, tensor<8xf32>, f32
  }
  return %h, %m, %hT, %mT : tensor<?x?x8xf32>, tensor<?x?xf32>, tensor<?x8xf32>, tensor<?xf32>
}
)mlir";

TEST_F(CpuJitTest, RecurrenceWithScalarState) {
  auto module = parse(kRnn);
  ASSERT_TRUE(module);
  std::mt19937 rng(2);
  const int64_t D = 8;
  for (auto [B, T] : kShapes) {
    CpuTensor x = random(rng, {B, T, D}, -1, 1);
    CpuTensor w = random(rng, {D}, -1, 1);
    CpuTensor h0 = random(rng, {B, D}, -1, 1);
    CpuTensor m0 = random(rng, {B}, -2, 2);
    SmallVector<CpuTensor> out = run(*module, {x, w, h0, m0});
    ASSERT_EQ(out.size(), 4u);
    Ref rx(x), rw(w), h({B, T, D}), m({B, T}), hT(h0), mT(m0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) {
        double sum = 0;
        for (int64_t d = 0; d < D; ++d) {
          double n = std::tanh(rx({b, t, d}) + rw({d}) * hT({b, d}));
          h({b, t, d}) = n;
          sum += n;
        }
        for (int64_t d = 0; d < D; ++d)
          hT({b, d}) = h({b, t, d});
        mT({b}) = std::max(mT({b}), sum);
        m({b, t}) = mT({b});
      }
    expectClose(out[0], h, "h " + caseName(B, T));
    expectClose(out[1], m, "m " + caseName(B, T));
    expectClose(out[2], hT, "h_T " + caseName(B, T));
    expectClose(out[3], mT, "m_T " + caseName(B, T));
  }
}

const char *kAlgebra = R"mlir(
func.func @main(%r: tensor<?x?x2x4xf32>, %c: tensor<?x?x1x5xf32>,
                %u: tensor<?x?x2x2x4xf32>, %w: tensor<?x?x2x2x5xf32>,
                %phi: tensor<?x?x2x2xf32>, %m3: tensor<?x?x2x3xf32>,
                %M: tensor<2x3x3xf32>, %nw: tensor<1x4xf32>,
                %S0: tensor<?x2x4x5xf32>, %Z0: tensor<?x2x3x4xf32>)
    -> (tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x?x2x4xf32>,
        tensor<?x2x4x5xf32>, tensor<?x2x3x4xf32>) {
  %o1, %o2, %o3, %S, %Z = hymir.recurrence heads = 2
      ins(%r, %c, %u, %w, %phi, %m3 : tensor<?x?x2x4xf32>, tensor<?x?x1x5xf32>,
          tensor<?x?x2x2x4xf32>, tensor<?x?x2x2x5xf32>, tensor<?x?x2x2xf32>,
          tensor<?x?x2x3xf32>)
      params(%M, %nw : tensor<2x3x3xf32>, tensor<1x4xf32>)
      inits(%S0, %Z0 : tensor<?x2x4x5xf32>, tensor<?x2x3x4xf32>)
      -> (tensor<?x?x2x4xf32>, tensor<?x?x2xf32>, tensor<?x?x2x4xf32>) {
  ^bb0(%t: index, %rt: tensor<4xf32>, %ct: tensor<5xf32>, %ut: tensor<2x4xf32>,
       %wt: tensor<2x5xf32>, %pt: tensor<2xf32>, %mt: tensor<3xf32>,
       %Mh: tensor<3x3xf32>, %nwh: tensor<4xf32>, %St: tensor<4x5xf32>,
       %Zt: tensor<3x4xf32>):
    %S1 = hymir.scale %St, %rt along rows : tensor<4x5xf32>, tensor<4xf32>
    %S2 = hymir.scale %S1, %ct along cols : tensor<4x5xf32>, tensor<5xf32>
    %U = hymir.outer %ut, %wt : tensor<2x4xf32>, tensor<2x5xf32> -> tensor<4x5xf32>
    %Sn = arith.addf %S2, %U : tensor<4x5xf32>
    %y = hymir.read %Sn, %ct along cols : tensor<4x5xf32>, tensor<5xf32> -> tensor<4xf32>
    %yi = hymir.rotary %y, %pt {interleaved} : tensor<4xf32>, tensor<2xf32>
    %yh = hymir.rotary %y, %pt : tensor<4xf32>, tensor<2xf32>
    %p1 = tensor.extract_slice %pt[1] [1] [1] : tensor<2xf32> to tensor<1xf32>
    %yp = hymir.rotary %y, %p1 : tensor<4xf32>, tensor<1xf32>
    %Zm = hymir.mix %Mh, %Zt : tensor<3x3xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
    %zu = hymir.outer %mt, %rt : tensor<3xf32>, tensor<4xf32> -> tensor<3x4xf32>
    %Zn = arith.addf %Zm, %zu : tensor<3x4xf32>
    %z = hymir.read %Zn, %mt : tensor<3x4xf32>, tensor<3xf32> -> tensor<4xf32>
    %nrm = hymir.rms_norm %z, %nwh {eps = 1.0e-06 : f32} : tensor<4xf32>, tensor<4xf32>
    %l2 = hymir.l2_norm %yi {eps = 1.0e-06 : f32} : tensor<4xf32>
    %ln = hymir.layer_norm %yh {eps = 1.0e-06 : f32} : tensor<4xf32>
    %d = hymir.dot %l2, %ln : tensor<4xf32>, tensor<4xf32> -> f32
    %sm = hymir.sum %nrm : tensor<4xf32> -> f32
    %ti = arith.index_cast %t : index to i64
    %tf = arith.sitofp %ti : i64 to f32
    %sc = arith.addf %d, %tf : f32
    %o1v = hymir.scale %yp, %sc : tensor<4xf32>, f32
    %o1 = arith.addf %o1v, %l2 : tensor<4xf32>
    %o2 = arith.addf %sm, %tf : f32
    %o3 = arith.addf %nrm, %ln : tensor<4xf32>
    hymir.yield %o1, %o2, %o3, %Sn, %Zn
        : tensor<4xf32>, f32, tensor<4xf32>, tensor<4x5xf32>, tensor<3x4xf32>
  }
  return %o1, %o2, %o3, %S, %Z : tensor<?x?x2x4xf32>, tensor<?x?x2xf32>,
      tensor<?x?x2x4xf32>, tensor<?x2x4x5xf32>, tensor<?x2x3x4xf32>
}
)mlir";

/// (x0, x1) rotated by φ.
void rotatePair(double &a, double &b, double phi) {
  double na = a * std::cos(phi) - b * std::sin(phi);
  double nb = a * std::sin(phi) + b * std::cos(phi);
  a = na;
  b = nb;
}

TEST_F(CpuJitTest, RecurrenceWithEveryStepOp) {
  auto module = parse(kAlgebra);
  ASSERT_TRUE(module);
  std::mt19937 rng(3);
  for (auto [B, T] : kShapes) {
    CpuTensor r = random(rng, {B, T, 2, 4}, 0.5f, 1.0f);
    CpuTensor c = random(rng, {B, T, 1, 5}, 0.5f, 1.0f);
    CpuTensor u = random(rng, {B, T, 2, 2, 4}, -1, 1);
    CpuTensor w = random(rng, {B, T, 2, 2, 5}, -1, 1);
    CpuTensor phi = random(rng, {B, T, 2, 2}, -3, 3);
    CpuTensor m3 = random(rng, {B, T, 2, 3}, -1, 1);
    CpuTensor M = random(rng, {2, 3, 3}, -0.3f, 0.3f);
    CpuTensor nw = random(rng, {1, 4}, 0.5f, 1.5f);
    CpuTensor S0 = random(rng, {B, 2, 4, 5}, -1, 1);
    CpuTensor Z0 = random(rng, {B, 2, 3, 4}, -1, 1);
    SmallVector<CpuTensor> out =
        run(*module, {r, c, u, w, phi, m3, M, nw, S0, Z0});
    ASSERT_EQ(out.size(), 5u);

    Ref rr(r), rc(c), ru(u), rw(w), rphi(phi), rm(m3), rM(M), rnw(nw);
    Ref S(S0), Z(Z0), o1({B, T, 2, 4}), o2({B, T, 2}), o3({B, T, 2, 4});
    const double eps = 1e-6;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t t = 0; t < T; ++t) {
          // S = diag(r) S diag(c) + Σ_q u[q] ⊗ w[q]; y = S c.
          double y[4];
          for (int64_t i = 0; i < 4; ++i) {
            y[i] = 0;
            for (int64_t j = 0; j < 5; ++j) {
              double upd = 0;
              for (int64_t q = 0; q < 2; ++q)
                upd += ru({b, t, h, q, i}) * rw({b, t, h, q, j});
              double &sij = S({b, h, i, j});
              sij = rr({b, t, h, i}) * sij * rc({b, t, 0, j}) + upd;
              y[i] += sij * rc({b, t, 0, j});
            }
          }
          double p0 = rphi({b, t, h, 0}), p1 = rphi({b, t, h, 1});
          double yi[4] = {y[0], y[1], y[2], y[3]};
          rotatePair(yi[0], yi[1], p0);
          rotatePair(yi[2], yi[3], p1);
          double yh[4] = {y[0], y[1], y[2], y[3]};
          rotatePair(yh[0], yh[2], p0);
          rotatePair(yh[1], yh[3], p1);
          double yp[4] = {y[0], y[1], y[2], y[3]};
          rotatePair(yp[0], yp[1], p1);
          // Z = M Z + m ⊗ r; z = Zᵀ m.
          double Zn[3][4];
          for (int64_t a = 0; a < 3; ++a)
            for (int64_t j = 0; j < 4; ++j) {
              double acc = 0;
              for (int64_t l = 0; l < 3; ++l)
                acc += rM({h, a, l}) * Z({b, h, l, j});
              Zn[a][j] = acc + rm({b, t, h, a}) * rr({b, t, h, j});
            }
          double z[4];
          for (int64_t j = 0; j < 4; ++j) {
            z[j] = 0;
            for (int64_t a = 0; a < 3; ++a) {
              Z({b, h, a, j}) = Zn[a][j];
              z[j] += Zn[a][j] * rm({b, t, h, a});
            }
          }
          double ms = 0, ss = 0, mean = 0;
          for (int64_t j = 0; j < 4; ++j) {
            ms += z[j] * z[j] / 4;
            ss += yi[j] * yi[j];
            mean += yh[j] / 4;
          }
          double var = 0;
          for (int64_t j = 0; j < 4; ++j)
            var += (yh[j] - mean) * (yh[j] - mean) / 4;
          double nrm[4], l2[4], ln[4], dot = 0, sum = 0;
          for (int64_t j = 0; j < 4; ++j) {
            nrm[j] = z[j] / std::sqrt(ms + eps) * rnw({0, j});
            l2[j] = yi[j] / std::sqrt(ss + eps);
            ln[j] = (yh[j] - mean) / std::sqrt(var + eps);
            dot += l2[j] * ln[j];
            sum += nrm[j];
          }
          for (int64_t j = 0; j < 4; ++j) {
            o1({b, t, h, j}) = yp[j] * (dot + double(t)) + l2[j];
            o3({b, t, h, j}) = nrm[j] + ln[j];
          }
          o2({b, t, h}) = sum + double(t);
        }
    expectClose(out[0], o1, "o1 " + caseName(B, T));
    expectClose(out[1], o2, "o2 " + caseName(B, T));
    expectClose(out[2], o3, "o3 " + caseName(B, T));
    expectClose(out[3], S, "S_T " + caseName(B, T));
    expectClose(out[4], Z, "Z_T " + caseName(B, T));
  }
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// Materialised reference of hymir.attention for one configuration.
struct AttentionRef {
  bool causal = true;
  std::optional<int64_t> window;
  std::optional<double> softcap;
  const Ref *sinks = nullptr;
  double alibi = 0; // score −= alibi · (h + 1) · (qpos − kpos)

  Ref operator()(const Ref &q, const Ref &k, const Ref &v, double scale) const {
    int64_t B = q.shape[0], Tq = q.shape[1], Hq = q.shape[2], K = q.shape[3];
    int64_t Tk = k.shape[1], Hkv = k.shape[2], V = v.shape[3];
    Ref o({B, Tq, Hq, V});
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < Hq; ++h) {
        int64_t hk = h / (Hq / Hkv);
        for (int64_t i = 0; i < Tq; ++i) {
          int64_t qpos = i + Tk - Tq;
          std::vector<double> s(Tk);
          std::vector<bool> allowed(Tk);
          double m = -std::numeric_limits<double>::infinity();
          for (int64_t j = 0; j < Tk; ++j) {
            allowed[j] =
                (!causal || j <= qpos) && (!window || qpos - *window < j);
            double dot = 0;
            for (int64_t d = 0; d < K; ++d)
              dot += q({b, i, h, d}) * k({b, j, hk, d});
            s[j] = scale * dot;
            if (softcap)
              s[j] = *softcap * std::tanh(s[j] / *softcap);
            s[j] -= alibi * double(h + 1) * double(qpos - j);
            if (allowed[j])
              m = std::max(m, s[j]);
          }
          if (sinks)
            m = std::max(m, sinks->data[h]);
          if (m == -std::numeric_limits<double>::infinity())
            continue; // no allowed key: the row stays 0
          double l = sinks ? std::exp(sinks->data[h] - m) : 0.0;
          for (int64_t j = 0; j < Tk; ++j)
            if (allowed[j]) {
              double p = std::exp(s[j] - m);
              l += p;
              for (int64_t d = 0; d < V; ++d)
                o({b, i, h, d}) += p * v({b, j, hk, d});
            }
          bool any =
              std::find(allowed.begin(), allowed.end(), true) != allowed.end();
          for (int64_t d = 0; d < V; ++d)
            o({b, i, h, d}) = any ? o({b, i, h, d}) / l : 0.0;
        }
      }
    return o;
  }
};

const char *kAttentionWindow = R"mlir(
func.func @main(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>,
                %v: tensor<?x?x2x20xf32>) -> tensor<?x?x4x20xf32> {
  %o = hymir.attention %q, %k, %v {causal, window = 5 : i64}
      : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
      -> tensor<?x?x4x20xf32>
  return %o : tensor<?x?x4x20xf32>
}
)mlir";

TEST_F(CpuJitTest, AttentionCausalWindowGqa) {
  auto module = parse(kAttentionWindow);
  ASSERT_TRUE(module);
  std::mt19937 rng(4);
  for (auto [B, T] : kShapes) {
    CpuTensor q = random(rng, {B, T, 4, 12}, -1, 1);
    CpuTensor k = random(rng, {B, T, 2, 12}, -1, 1);
    CpuTensor v = random(rng, {B, T, 2, 20}, -1, 1);
    SmallVector<CpuTensor> out = run(*module, {q, k, v});
    ASSERT_EQ(out.size(), 1u);
    AttentionRef ref;
    ref.window = 5;
    expectClose(out[0], ref(Ref(q), Ref(k), Ref(v), 1.0 / std::sqrt(12.0)),
                "o " + caseName(B, T));
  }
}

const char *kAttentionModded = R"mlir(
func.func @main(%q: tensor<?x?x3x8xf32>, %k: tensor<?x?x1x8xf32>,
                %v: tensor<?x?x1x6xf32>, %sinks: tensor<3xf32>)
    -> tensor<?x?x3x6xf32> {
  %o = hymir.attention %q, %k, %v sinks(%sinks : tensor<3xf32>)
      {causal, scale = 0.5 : f32, softcap = 2.0 : f32}
      : tensor<?x?x3x8xf32>, tensor<?x?x1x8xf32>, tensor<?x?x1x6xf32>
      -> tensor<?x?x3x6xf32> score_mod {
  ^bb0(%s: f32, %i: index, %j: index, %h: index):
    %d = arith.subi %i, %j : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %hi = arith.index_cast %h : index to i64
    %hf = arith.sitofp %hi : i64 to f32
    %one = arith.constant 1.0 : f32
    %h1 = arith.addf %hf, %one : f32
    %c = arith.constant 0.1 : f32
    %slope = arith.mulf %h1, %c : f32
    %pen = arith.mulf %slope, %df : f32
    %r = arith.subf %s, %pen : f32
    hymir.yield %r : f32
  }
  return %o : tensor<?x?x3x6xf32>
}
)mlir";

// Softcap, sinks, an ALiBi score_mod, MQA, and Tq ≠ Tk: with Tk > Tq the mask
// is aligned bottom-right; with Tk < Tq the first rows see no key (→ 0).
TEST_F(CpuJitTest, AttentionSoftcapSinksScoreModUnequalLengths) {
  auto module = parse(kAttentionModded);
  ASSERT_TRUE(module);
  std::mt19937 rng(5);
  for (auto [B, T] : kShapes)
    for (int64_t extra : {3, -2}) {
      int64_t Tq = extra < 0 ? T - extra : T, Tk = extra < 0 ? T : T + extra;
      CpuTensor q = random(rng, {B, Tq, 3, 8}, -2, 2);
      CpuTensor k = random(rng, {B, Tk, 1, 8}, -2, 2);
      CpuTensor v = random(rng, {B, Tk, 1, 6}, -1, 1);
      CpuTensor sinks = random(rng, {3}, -1, 1);
      SmallVector<CpuTensor> out = run(*module, {q, k, v, sinks});
      ASSERT_EQ(out.size(), 1u);
      Ref rs(sinks);
      AttentionRef ref;
      ref.softcap = 2.0;
      ref.sinks = &rs;
      ref.alibi = 0.1;
      expectClose(out[0], ref(Ref(q), Ref(k), Ref(v), 0.5),
                  "o " + caseName(B, T) + " Tq=" + std::to_string(Tq) +
                      " Tk=" + std::to_string(Tk));
    }
}

const char *kAttentionDecode = R"mlir(
func.func @main(%q: tensor<?x4x12xf32>, %kc: tensor<?x?x2x12xf32>,
                %vc: tensor<?x?x2x20xf32>, %lens: tensor<?xf32>)
    -> (tensor<?x4x20xf32>, tensor<?x4x20xf32>) {
  %o = hymir.attention_decode %q, %kc, %vc {window = 3 : i64}
      : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
      -> tensor<?x4x20xf32>
  %li = arith.fptosi %lens : tensor<?xf32> to tensor<?xi32>
  %ol = hymir.attention_decode %q, %kc, %vc lengths(%li : tensor<?xi32>)
      {softcap = 3.0 : f32}
      : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
      -> tensor<?x4x20xf32>
  return %o, %ol : tensor<?x4x20xf32>, tensor<?x4x20xf32>
}
)mlir";

TEST_F(CpuJitTest, AttentionDecodeWindowAndLengths) {
  auto module = parse(kAttentionDecode);
  ASSERT_TRUE(module);
  std::mt19937 rng(6);
  for (auto [B, L] : kShapes) {
    CpuTensor q = random(rng, {B, 4, 12}, -1, 1);
    CpuTensor kc = random(rng, {B, L, 2, 12}, -1, 1);
    CpuTensor vc = random(rng, {B, L, 2, 20}, -1, 1);
    CpuTensor lens;
    lens.shape = {B};
    for (int64_t b = 0; b < B; ++b)
      lens.data.push_back(float(std::max<int64_t>(1, L - b)));
    SmallVector<CpuTensor> out = run(*module, {q, kc, vc, lens});
    ASSERT_EQ(out.size(), 2u);
    // The decode query is row `len − 1` of a prefill over the first len keys.
    Ref o({B, 4, 20}), ol({B, 4, 20});
    for (int64_t b = 0; b < B; ++b) {
      int64_t len = int64_t(lens.data[b]);
      for (auto [result, n, ref] :
           {std::tuple<Ref *, int64_t, AttentionRef>{
                &o, L, AttentionRef{true, 3, {}, nullptr, 0}},
            std::tuple<Ref *, int64_t, AttentionRef>{
                &ol, len, AttentionRef{true, {}, 3.0, nullptr, 0}}}) {
        Ref qb({1, 1, 4, 12}), kb({1, n, 2, 12}), vb({1, n, 2, 20});
        for (int64_t i = 0; i < 4 * 12; ++i)
          qb.data[i] = q.data[b * 4 * 12 + i];
        for (int64_t i = 0; i < n * 2 * 12; ++i)
          kb.data[i] = kc.data[b * L * 2 * 12 + i];
        for (int64_t i = 0; i < n * 2 * 20; ++i)
          vb.data[i] = vc.data[b * L * 2 * 20 + i];
        Ref row = ref(qb, kb, vb, 1.0 / std::sqrt(12.0));
        for (int64_t i = 0; i < 4 * 20; ++i)
          result->data[b * 4 * 20 + i] = row.data[i];
      }
    }
    expectClose(out[0], o, "o (window) " + caseName(B, L));
    expectClose(out[1], ol, "o (lengths) " + caseName(B, L));
  }
}

//===----------------------------------------------------------------------===//
// Causal conv1d
//===----------------------------------------------------------------------===//

const char *kConv = R"mlir(
func.func @main(%x: tensor<?x?x6xf32>, %w: tensor<6x4xf32>, %bias: tensor<6xf32>,
                %s0: tensor<?x3x6xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x3x6xf32>, tensor<?x?x6xf32>) {
  %y, %s = hymir.causal_conv1d %x, %w bias(%bias) state(%s0)
      {activation = #hymir.activation<silu>}
      : tensor<?x?x6xf32>, tensor<6x4xf32>, tensor<6xf32>, tensor<?x3x6xf32>
      -> tensor<?x?x6xf32>, tensor<?x3x6xf32>
  %y2 = hymir.causal_conv1d %x, %w : tensor<?x?x6xf32>, tensor<6x4xf32>
      -> tensor<?x?x6xf32>
  return %y, %s, %y2 : tensor<?x?x6xf32>, tensor<?x3x6xf32>, tensor<?x?x6xf32>
}
)mlir";

TEST_F(CpuJitTest, CausalConvWithState) {
  auto module = parse(kConv);
  ASSERT_TRUE(module);
  std::mt19937 rng(7);
  const int64_t D = 6, W = 4;
  for (auto [B, T] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {2, 1}, {2, 2}, {1, 7}, {2, 7}, {2, 16}}) {
    CpuTensor x = random(rng, {B, T, D}, -1, 1);
    CpuTensor w = random(rng, {D, W}, -1, 1);
    CpuTensor bias = random(rng, {D}, -1, 1);
    CpuTensor s0 = random(rng, {B, W - 1, D}, -1, 1);
    SmallVector<CpuTensor> out = run(*module, {x, w, bias, s0});
    ASSERT_EQ(out.size(), 3u);
    Ref rx(x), rw(w), rb(bias), rs(s0), y({B, T, D}), s({B, W - 1, D}),
        y2({B, T, D});
    // xx = concat_time(state, x), xx[τ + W − 1] = x[τ].
    auto xx = [&](int64_t b, int64_t tau, int64_t c, bool withState) {
      if (tau >= W - 1)
        return rx({b, tau - (W - 1), c});
      return withState ? rs({b, tau, c}) : 0.0;
    };
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < D; ++c) {
        for (int64_t t = 0; t < T; ++t) {
          double a = rb({c}), a2 = 0;
          for (int64_t j = 0; j < W; ++j) {
            a += rw({c, j}) * xx(b, t + j, c, true);
            a2 += rw({c, j}) * xx(b, t + j, c, false);
          }
          y({b, t, c}) = a / (1 + std::exp(-a));
          y2({b, t, c}) = a2;
        }
        for (int64_t r = 0; r < W - 1; ++r)
          s({b, r, c}) = xx(b, T + r, c, true);
      }
    expectClose(out[0], y, "y " + caseName(B, T));
    expectClose(out[1], s, "state " + caseName(B, T));
    expectClose(out[2], y2, "y (no state) " + caseName(B, T));
  }
}

//===----------------------------------------------------------------------===//
// Errors are diagnostics
//===----------------------------------------------------------------------===//

TEST_F(CpuJitTest, BadCallsAreDiagnostics) {
  auto module = parse(kConv);
  ASSERT_TRUE(module);
  hymir::CPUPipelineOptions options;
  CpuTensor x{{1, 2, 6}, std::vector<float>(12, 0.f)};
  CpuTensor w{{6, 4}, std::vector<float>(24, 0.f)};
  CpuTensor bias{{6}, std::vector<float>(6, 0.f)};
  CpuTensor s0{{1, 3, 6}, std::vector<float>(18, 0.f)};

  diagnostics.clear();
  EXPECT_TRUE(failed(hymir::runOnCpu(*module, "nope", {x}, options)));
  EXPECT_NE(diagnostics.find("no public function @nope"), std::string::npos)
      << diagnostics;

  diagnostics.clear();
  EXPECT_TRUE(failed(hymir::runOnCpu(*module, "main", {x, w}, options)));
  EXPECT_NE(diagnostics.find("takes 4 arguments, got 2"), std::string::npos)
      << diagnostics;

  diagnostics.clear();
  CpuTensor badW{{6, 3}, std::vector<float>(18, 0.f)};
  EXPECT_TRUE(
      failed(hymir::runOnCpu(*module, "main", {x, badW, bias, s0}, options)));
  EXPECT_NE(diagnostics.find("has size 3 in dim 1, expected 4"),
            std::string::npos)
      << diagnostics;

  diagnostics.clear();
  CpuTensor shortX{{1, 2, 6}, std::vector<float>(5, 0.f)};
  EXPECT_TRUE(
      failed(hymir::runOnCpu(*module, "main", {shortX, w, bias, s0}, options)));
  EXPECT_NE(diagnostics.find("has 5 values"), std::string::npos) << diagnostics;

  // A scalar result is outside the API for now.
  auto scalar = parse(R"mlir(
    func.func @main(%x: tensor<4xf32>) -> f32 {
      %s = hymir.sum %x : tensor<4xf32> -> f32
      return %s : f32
    })mlir");
  ASSERT_TRUE(scalar);
  diagnostics.clear();
  CpuTensor four{{4}, std::vector<float>(4, 1.f)};
  EXPECT_TRUE(failed(hymir::runOnCpu(*scalar, "main", {four}, options)));
  EXPECT_NE(diagnostics.find("only f32, bf16 and i32/i64 tensor results"),
            std::string::npos)
      << diagnostics;

  // f16 tensors are not passed (bf16 is).
  auto half = parse(R"mlir(
    func.func @main(%x: tensor<4xf16>) -> tensor<4xf32> {
      %w = arith.extf %x : tensor<4xf16> to tensor<4xf32>
      return %w : tensor<4xf32>
    })mlir");
  ASSERT_TRUE(half);
  diagnostics.clear();
  EXPECT_TRUE(failed(hymir::runOnCpu(*half, "main", {four}, options)));
  EXPECT_NE(diagnostics.find("argument #0 has type 'tensor<4xf16>'; only f32 "
                             "or bf16 tensors"),
            std::string::npos)
      << diagnostics;
}

// bf16 arguments: the float values a caller passes are rounded to bf16 (to
// nearest, ties to even) and the compiled code loads 2-byte elements; bf16
// results come back widened exactly.
TEST_F(CpuJitTest, Bf16ArgumentsAndResults) {
  auto module = parse(R"mlir(
    func.func @main(%x: tensor<?xbf16>, %y: tensor<?xf32>)
        -> (tensor<?xf32>, tensor<?xbf16>) {
      %w = arith.extf %x : tensor<?xbf16> to tensor<?xf32>
      %s = arith.addf %w, %y : tensor<?xf32>
      %n = arith.truncf %s : tensor<?xf32> to tensor<?xbf16>
      return %w, %n : tensor<?xf32>, tensor<?xbf16>
    })mlir");
  ASSERT_TRUE(module);
  const float tie = 1.f + 0x1p-8f;         // halfway: rounds to 1
  const float tieUp = 1.f + 3 * 0x1p-8f;   // halfway: rounds to 1 + 2^-6
  const float above = 1.f + 0x1p-8f + 0x1p-16f;
  CpuTensor x{{5}, {tie, tieUp, above, -0.1f, 0x1p-130f}};
  // (A subnormal bf16 result would be flushed to zero by the compiled
  // truncation; the last sum is normal.)
  CpuTensor y{{5}, {0x1p-9f, 0.f, 0.f, 0.f, 2.f}};
  SmallVector<CpuTensor> r = run(*module, {x, y});
  ASSERT_EQ(r.size(), 2u);
  std::vector<float> widened{1.f, 1.f + 0x1p-6f, 1.f + 0x1p-7f,
                             -0.10009765625f, 0x1p-130f};
  EXPECT_EQ(r[0].data, widened);
  // 1 + 2^-9 rounds to 1, 2 + 2^-130 to 2; the others are bf16 values.
  widened[0] = 1.f;
  widened[4] = 2.f;
  EXPECT_EQ(r[1].data, widened);
  EXPECT_EQ(r[1].shape, std::vector<int64_t>{5});

  // The same elements given as bf16 bit patterns pass as they are.
  CpuTensor bits{{5}, {}};
  bits.bf16 = {0x3f80, 0x3f82, 0x3f81, 0xbdcd, 0x0008};
  SmallVector<CpuTensor> r2 = run(*module, {bits, y});
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_EQ(r2[0].data, r[0].data);
  EXPECT_EQ(r2[1].data, r[1].data);
}

// Arguments are read-only: element-wise ops on a weight argument (which
// bufferization would otherwise do in place) leave the caller's data alone,
// so calling twice gives the same result.
TEST_F(CpuJitTest, ArgumentsAreReadOnly) {
  auto module = parse(R"mlir(
    func.func @main(%w: tensor<4xf32>, %x: tensor<?x4xf32>) -> tensor<4xf32> {
      %e = math.exp %w : tensor<4xf32>
      %n = arith.negf %e : tensor<4xf32>
      %s = hymir.scale %x, %w along rows : tensor<?x4xf32>, tensor<4xf32>
      return %n : tensor<4xf32>
    })mlir");
  ASSERT_TRUE(module);
  // The compiled code reads these very buffers (runOnCpu does not copy).
  SmallVector<CpuTensor> args{CpuTensor{{4}, {0.f, 1.f, -1.f, 0.5f}},
                              CpuTensor{{4, 4}, std::vector<float>(16, 2.f)}};
  const SmallVector<CpuTensor> original = args;
  SmallVector<CpuTensor> first = run(*module, args);
  SmallVector<CpuTensor> second = run(*module, args);
  EXPECT_EQ(args[0].data, original[0].data);
  EXPECT_EQ(args[1].data, original[1].data);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].data, second[0].data);
  EXPECT_FLOAT_EQ(first[0].data[1], -std::exp(1.f));
}

// Weights (external ml_program globals, docs/models.md) are buffers of the
// compiled code that bindWeight fills; a call fails while one is unbound, a
// wrong size or an unknown name fails naming the weight; integer (token id)
// arguments gather from a weight; rebinding changes the results.
TEST_F(CpuJitTest, WeightsAndTokenIds) {
  auto module = parse(R"mlir(
    ml_program.global private @"emb.weight"(#ml_program.extern : tensor<5x3xf32>) : tensor<5x3xf32>
    ml_program.global private @"scale"(#ml_program.extern : tensor<3xf32>) : tensor<3xf32>
    func.func @main(%ids: tensor<?xi32>) -> tensor<?x3xf32> {
      %c0 = arith.constant 0 : index
      %n = tensor.dim %ids, %c0 : tensor<?xi32>
      %emb = ml_program.global_load_const @"emb.weight" : tensor<5x3xf32>
      %s = ml_program.global_load_const @"scale" : tensor<3xf32>
      %init = tensor.empty(%n) : tensor<?x3xf32>
      %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                           iterator_types = ["parallel", "parallel"]}
          ins(%ids, %s : tensor<?xi32>, tensor<3xf32>) outs(%init : tensor<?x3xf32>) {
      ^bb0(%id: i32, %sc: f32, %out: f32):
        %row = arith.index_cast %id : i32 to index
        %j = linalg.index 1 : index
        %e = tensor.extract %emb[%row, %j] : tensor<5x3xf32>
        %y = arith.mulf %e, %sc : f32
        linalg.yield %y : f32
      } -> tensor<?x3xf32>
      return %g : tensor<?x3xf32>
    })mlir");
  ASSERT_TRUE(module);
  hymir::CPUPipelineOptions options;
  FailureOr<hymir::CompiledModule> compiled =
      hymir::CompiledModule::compile(*module, "main", options);
  ASSERT_TRUE(succeeded(compiled)) << diagnostics;
  ASSERT_EQ(compiled->weights().size(), 2u);
  EXPECT_EQ(compiled->weights()[0].first, "emb.weight");
  EXPECT_EQ(compiled->weights()[0].second, 5u * 3u * 4u);
  EXPECT_EQ(compiled->weights()[1].first, "scale");

  CpuTensor ids;
  ids.shape = {4};
  ids.ints = {4, 0, 2, 4};
  diagnostics.clear();
  EXPECT_TRUE(failed(compiled->call({ids})));
  EXPECT_NE(diagnostics.find("weight 'emb.weight' is not bound"),
            std::string::npos)
      << diagnostics;

  std::vector<float> emb(15), scale{0.5f, -2.f, 3.f};
  for (int i = 0; i < 15; ++i)
    emb[i] = 0.25f * static_cast<float>(i) - 1.f;
  diagnostics.clear();
  EXPECT_TRUE(failed(compiled->bindWeight("emb.weight", emb.data(), 14 * 4)));
  EXPECT_NE(diagnostics.find("weight 'emb.weight' holds 60 bytes, got 56"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(compiled->bindWeight("nope", emb.data(), 60)));
  EXPECT_NE(diagnostics.find("no weight 'nope'"), std::string::npos)
      << diagnostics;

  ASSERT_TRUE(succeeded(compiled->bindWeight("emb.weight", emb.data(), 60)));
  diagnostics.clear();
  EXPECT_TRUE(failed(compiled->call({ids})));
  EXPECT_NE(diagnostics.find("weight 'scale' is not bound"), std::string::npos)
      << diagnostics;
  ASSERT_TRUE(succeeded(compiled->bindWeight("scale", scale.data(), 12)));
  FailureOr<SmallVector<CpuTensor>> out = compiled->call({ids});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{4, 3}));
  for (int r = 0; r < 4; ++r)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ((*out)[0].data[r * 3 + j], emb[ids.ints[r] * 3 + j] * scale[j]);

  // The weights are copied in (the caller's buffer may go) and rebinding
  // takes effect.
  scale = {1.f, 1.f, 1.f};
  ASSERT_TRUE(succeeded(compiled->bindWeight("scale", scale.data(), 12)));
  out = compiled->call({ids});
  ASSERT_TRUE(succeeded(out)) << diagnostics;
  EXPECT_EQ((*out)[0].data[0], emb[12]);
}

// Model format 2's decode write compiled: row lengths[b] of each sequence's
// cache takes the new row, the other rows are kept, and the i32 lengths + 1
// come back as an integer result (in `ints`).
TEST_F(CpuJitTest, KvCacheWriteAndIntegerResults) {
  auto module = parse(R"mlir(
    func.func @main(%cache: tensor<?x?x2xf32>, %new: tensor<?x1x2xf32>, %len: tensor<?xi32>)
        -> (tensor<?x?x2xf32>, tensor<?xi32>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %one = arith.constant 1 : i32
      %B = tensor.dim %cache, %c0 : tensor<?x?x2xf32>
      %r = scf.for %b = %c0 to %B step %c1 iter_args(%c = %cache) -> (tensor<?x?x2xf32>) {
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %row = arith.index_cast %l : i32 to index
        %x = tensor.extract_slice %new[%b, 0, 0] [1, 1, 2] [1, 1, 1] : tensor<?x1x2xf32> to tensor<1x1x2xf32>
        %cn = tensor.insert_slice %x into %c[%b, %row, 0] [1, 1, 2] [1, 1, 1] : tensor<1x1x2xf32> into tensor<?x?x2xf32>
        scf.yield %cn : tensor<?x?x2xf32>
      }
      %e = tensor.empty(%B) : tensor<?xi32>
      %ones = linalg.fill ins(%one : i32) outs(%e : tensor<?xi32>) -> tensor<?xi32>
      %len1 = arith.addi %len, %ones : tensor<?xi32>
      return %r, %len1 : tensor<?x?x2xf32>, tensor<?xi32>
    })mlir");
  ASSERT_TRUE(module);
  CpuTensor cache{{2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};
  CpuTensor fresh{{2, 1, 2}, {-1, -2, -3, -4}};
  CpuTensor len;
  len.shape = {2};
  len.ints = {2, 0};
  SmallVector<CpuTensor> out = run(*module, {cache, fresh, len});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(out[0].data, (std::vector<float>{1, 2, 3, 4, -1, -2, -3, -4, 9,
                                             10, 11, 12}));
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2}));
  EXPECT_TRUE(out[1].data.empty());
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{3, 1}));
  // The argument is read-only: the caller's cache is unchanged.
  EXPECT_EQ(cache.data[4], 5.f);
}

// A scalar argument goes through the same ABI as the tensors.
TEST_F(CpuJitTest, ScalarArgument) {
  auto module = parse(R"mlir(
    func.func @main(%x: tensor<?x3xf32>, %a: f32) -> tensor<?x3xf32> {
      %y = hymir.scale %x, %a : tensor<?x3xf32>, f32
      return %y : tensor<?x3xf32>
    })mlir");
  ASSERT_TRUE(module);
  CpuTensor x{{2, 3}, {1, 2, 3, 4, 5, 6}};
  CpuTensor a{{}, {0.5f}};
  SmallVector<CpuTensor> out = run(*module, {x, a});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(out[0].data, (std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3}));
}

/// The number of threads of this process.
static int processThreads() {
  std::error_code ec;
  int n = 0;
  for (llvm::sys::fs::directory_iterator it("/proc/self/task", ec), end;
       it != end && !ec; it.increment(ec))
    ++n;
  return n;
}

// With threads != 1 the OpenMP runtime and its worker threads are started
// when the module is compiled, not by the first call's first parallel region
// (which made that call several milliseconds slower). 7 threads: more than
// any other test of this process starts.
TEST_F(CpuJitTest, OpenMPThreadsStartAtCompile) {
  auto module = parse(kGatedDeltaRule);
  ASSERT_TRUE(module);
  hymir::CPUPipelineOptions options;
  options.threads = 7;
  FailureOr<hymir::CompiledModule> compiled =
      hymir::CompiledModule::compile(*module, "main", options);
  ASSERT_TRUE(succeeded(compiled)) << diagnostics;
  EXPECT_GE(processThreads(), 7);
}

// CompiledModule compiles once and calls many times; the (b, h) loops of
// scans and attention run on OpenMP threads for threads != 1, and every
// (b, h) is computed by one thread only, so the results are bit-identical at
// any thread count (and from one call to the next).
TEST_F(CpuJitTest, CompiledModuleIsBitIdenticalAtAnyThreadCount) {
  auto module = parse(std::string(R"mlir(
    func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>,
                    %v: tensor<?x?x4x20xf32>, %g: tensor<?x?x4xf32>,
                    %beta: tensor<?x?x4xf32>, %s0: tensor<?x4x12x20xf32>,
                    %qa: tensor<?x?x4x12xf32>)
        -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>, tensor<?x?x4x20xf32>) {
      %o, %s = func.call @gdr(%q, %k, %v, %g, %beta, %s0)
          : (tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x4x20xf32>,
             tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x4x12x20xf32>)
            -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>)
      %att = hymir.attention %qa, %qa, %v {causal}
          : tensor<?x?x4x12xf32>, tensor<?x?x4x12xf32>, tensor<?x?x4x20xf32>
            -> tensor<?x?x4x20xf32>
      return %o, %s, %att
          : tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>, tensor<?x?x4x20xf32>
    }
  )mlir") + std::string(kGatedDeltaRule).replace(
                std::string(kGatedDeltaRule).find("@main"), 5, "private @gdr"));
  ASSERT_TRUE(module);
  std::mt19937 rng(7);
  const int64_t B = 3, T = 29;
  CpuTensor q = random(rng, {B, T, 2, 12}, -1, 1);
  CpuTensor k = random(rng, {B, T, 2, 12}, -1, 1);
  normalizeLast(k);
  SmallVector<CpuTensor> args{q,
                              k,
                              random(rng, {B, T, 4, 20}, -1, 1),
                              random(rng, {B, T, 4}, -0.5f, 0),
                              random(rng, {B, T, 4}, 0, 1),
                              random(rng, {B, 4, 12, 20}, -1, 1),
                              random(rng, {B, T, 4, 12}, -1, 1)};

  SmallVector<CpuTensor> reference;
  for (unsigned threads : {1u, 2u, 3u, 0u}) {
    hymir::CPUPipelineOptions options;
    options.threads = threads;
    FailureOr<hymir::CompiledModule> compiled =
        hymir::CompiledModule::compile(*module, "main", options);
    ASSERT_TRUE(succeeded(compiled)) << diagnostics;
    for (int call = 0; call < 2; ++call) {
      FailureOr<SmallVector<CpuTensor>> out = compiled->call(args);
      ASSERT_TRUE(succeeded(out)) << diagnostics;
      ASSERT_EQ(out->size(), 3u);
      if (reference.empty()) {
        reference = *out;
        for (const CpuTensor &r : reference)
          for (float x : r.data)
            ASSERT_TRUE(std::isfinite(x));
        continue;
      }
      for (size_t i = 0; i < reference.size(); ++i) {
        EXPECT_EQ((*out)[i].shape, reference[i].shape);
        EXPECT_EQ(0, std::memcmp((*out)[i].data.data(), reference[i].data.data(),
                                 reference[i].data.size() * sizeof(float)))
            << "result #" << i << " differs with threads = " << threads;
      }
    }
    EXPECT_TRUE(succeeded(compiled->callDiscardingResults(args)));
  }
  // A bad call is still a diagnostic, not a crash.
  hymir::CPUPipelineOptions options;
  FailureOr<hymir::CompiledModule> compiled =
      hymir::CompiledModule::compile(*module, "main", options);
  ASSERT_TRUE(succeeded(compiled));
  EXPECT_TRUE(failed(compiled->call(ArrayRef<CpuTensor>(args).drop_back())));
  EXPECT_NE(diagnostics.find("takes 7 arguments, got 6"), std::string::npos)
      << diagnostics;
}

} // namespace

//===----------------------------------------------------------------------===//
// Pipeline options
//===----------------------------------------------------------------------===//

namespace {

/// The options hymir-cpu-pipeline gives hymir-chunk-scans, as the textual
/// pipeline prints them.
std::string chunkScansOptions(const hymir::CPUPipelineOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  hymir::buildHymirCPUPipeline(pm, options);
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  size_t at = text.find("hymir-chunk-scans{");
  if (at == std::string::npos)
    return {};
  return text.substr(at, text.find('}', at) - at + 1);
}

} // namespace

// The diagonal forms take their own chunk length by default; the tools'
// --chunk-size (setChunkSizeForAllForms) applies one length to every form.
TEST(CPUPipelineOptions, ChunkSizeForAllForms) {
  hymir::CPUPipelineOptions defaults;
  std::string byDefault = chunkScansOptions(defaults);
  EXPECT_NE(byDefault.find(" chunk-size=16"), std::string::npos) << byDefault;
  EXPECT_NE(byDefault.find("diagonal-chunk-size=8"), std::string::npos)
      << byDefault;

  hymir::CPUPipelineOptions explicitSize;
  explicitSize.setChunkSizeForAllForms(32);
  std::string forAll = chunkScansOptions(explicitSize);
  EXPECT_NE(forAll.find(" chunk-size=32"), std::string::npos) << forAll;
  EXPECT_NE(forAll.find("diagonal-chunk-size=0"), std::string::npos)
      << forAll;
}
