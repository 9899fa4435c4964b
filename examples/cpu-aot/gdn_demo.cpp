//===- gdn_demo.cpp - Gated DeltaNet compiled ahead of time ---------------===//
//
// Calls examples/ops/gated_delta_net.mlir, compiled by
//
//   hymir-compile gated_delta_net.mlir --target=cpu --emit=obj \
//       -o gated_delta_net.o --header=gated_delta_net.h
//
// through its generated C header, on random inputs, and checks both results
// (o and S_T) against a plain C++ loop of the formula of EXAMPLES.md §4.14
// in double precision. Prints the max relative error
// max_i |got_i - ref_i| / max_i |ref_i| of each result and exits with status
// 1 if one exceeds 1e-4.
//
//   gdn_demo [B [T [SEED]]]        (defaults: B = 2, T = 37, SEED = 0)
//
//===----------------------------------------------------------------------===//

// The generated header; -DHYMIR_GDN_HEADER="path.h" picks another name.
#ifndef HYMIR_GDN_HEADER
#define HYMIR_GDN_HEADER "gated_delta_net.h"
#endif
#include HYMIR_GDN_HEADER

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

// Dims of gated_delta_net.mlir: H q/k heads, HV value heads, key and value
// head sizes.
constexpr int64_t H = 2, HV = 4, K = 12, V = 20;

struct Inputs {
  int64_t B = 0, T = 0;
  std::vector<float> q, k, v, a, b, A_log, dt_bias, S0;
};

/// Random inputs distributed like the gallery's (test/python/hymir_oracle).
Inputs makeInputs(int64_t B, int64_t T, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto normals = [&](int64_t n, float std = 1.0f) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float &e : x)
      e = std * normal(rng);
    return x;
  };
  Inputs in;
  in.B = B;
  in.T = T;
  in.q = normals(B * T * H * K);
  in.k = normals(B * T * H * K);
  in.v = normals(B * T * HV * V);
  in.a = normals(B * T * HV);
  in.b = normals(B * T * HV);
  // A_log = log(A), A ~ U[1, 16]; dt_bias = softplus^-1(dt), log dt ~
  // U[log 1e-3, log 1e-1].
  std::uniform_real_distribution<double> uniformA(1.0, 16.0);
  std::uniform_real_distribution<double> uniformLogDt(std::log(1e-3),
                                                      std::log(1e-1));
  for (int64_t h = 0; h < HV; ++h) {
    in.A_log.push_back(static_cast<float>(std::log(uniformA(rng))));
    double dt = std::exp(uniformLogDt(rng));
    in.dt_bias.push_back(static_cast<float>(std::log(std::expm1(dt))));
  }
  in.S0 = normals(B * HV * K * V, 0.5f);
  return in;
}

/// x / sqrt(sum x^2 + 1e-6), over K values.
void l2norm(const float *x, double *out) {
  double sum = 0;
  for (int64_t i = 0; i < K; ++i)
    sum += static_cast<double>(x[i]) * x[i];
  double inv = 1.0 / std::sqrt(sum + 1e-6);
  for (int64_t i = 0; i < K; ++i)
    out[i] = x[i] * inv;
}

/// EXAMPLES.md §4.14, token by token in double precision. o is
/// [B, T, HV, V], S_T is [B, HV, K, V], both row-major.
void reference(const Inputs &in, std::vector<double> &o,
               std::vector<double> &ST) {
  const int64_t B = in.B, T = in.T;
  const double scale = 1.0 / std::sqrt(static_cast<double>(K));
  o.assign(static_cast<size_t>(B * T * HV * V), 0.0);
  ST.assign(static_cast<size_t>(B * HV * K * V), 0.0);
  std::vector<double> S(K * V), qn(K), kn(K), u(V);
  for (int64_t bb = 0; bb < B; ++bb) {
    for (int64_t h = 0; h < HV; ++h) {
      const int64_t hq = h / (HV / H); // value head h reads q/k head h / 2
      for (int64_t i = 0; i < K * V; ++i)
        S[i] = in.S0[((bb * HV + h) * K) * V + i];
      const double A = -std::exp(static_cast<double>(in.A_log[h]));
      for (int64_t t = 0; t < T; ++t) {
        const int64_t qk = ((bb * T + t) * H + hq) * K;
        const int64_t gate = (bb * T + t) * HV + h;
        l2norm(&in.q[qk], qn.data());
        l2norm(&in.k[qk], kn.data());
        // g = A softplus(a + dt_bias), beta = sigmoid(b).
        const double x = static_cast<double>(in.a[gate]) + in.dt_bias[h];
        const double softplus =
            std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
        const double g = A * softplus;
        const double beta =
            1.0 / (1.0 + std::exp(-static_cast<double>(in.b[gate])));
        // S' = exp(g) S;  u = beta (v - S'^T k);  S = S' + k u^T.
        const double alpha = std::exp(g);
        for (double &s : S)
          s *= alpha;
        const float *vt = &in.v[gate * V];
        for (int64_t j = 0; j < V; ++j) {
          double pred = 0;
          for (int64_t i = 0; i < K; ++i)
            pred += S[i * V + j] * kn[i];
          u[j] = beta * (vt[j] - pred);
        }
        for (int64_t i = 0; i < K; ++i)
          for (int64_t j = 0; j < V; ++j)
            S[i * V + j] += kn[i] * u[j];
        // o = S^T (scale q).
        for (int64_t j = 0; j < V; ++j) {
          double acc = 0;
          for (int64_t i = 0; i < K; ++i)
            acc += S[i * V + j] * scale * qn[i];
          o[gate * V + j] = acc;
        }
      }
      for (int64_t i = 0; i < K * V; ++i)
        ST[((bb * HV + h) * K) * V + i] = S[i];
    }
  }
}

/// Compares a rank-4 result (read through its strides) with `ref` of shape
/// `shape`; returns max |got - ref| / max |ref|, or a negative value if the
/// shape is wrong.
double compare(const char *name, const hymir_memref_f32_rank4 &got,
               const int64_t shape[4], const std::vector<double> &ref) {
  for (int d = 0; d < 4; ++d) {
    if (got.sizes[d] != shape[d]) {
      std::printf("%s: size %lld in dim %d, expected %lld\n", name,
                  static_cast<long long>(got.sizes[d]), d,
                  static_cast<long long>(shape[d]));
      return -1;
    }
  }
  const float *data = hymir_memref_f32_rank4_data(&got);
  double maxErr = 0, maxRef = 0;
  size_t n = 0;
  // FNV-1a over the bits of every element: two builds (thread counts,
  // CPUs) computed the same bits iff they print the same hash.
  uint64_t hash = 1469598103934665603ull;
  for (int64_t i0 = 0; i0 < shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < shape[2]; ++i2)
        for (int64_t i3 = 0; i3 < shape[3]; ++i3, ++n) {
          double value = data[i0 * got.strides[0] + i1 * got.strides[1] +
                              i2 * got.strides[2] + i3 * got.strides[3]];
          maxErr = std::max(maxErr, std::fabs(value - ref[n]));
          maxRef = std::max(maxRef, std::fabs(ref[n]));
          if (!std::isfinite(value))
            maxErr = INFINITY;
          uint32_t bits;
          std::memcpy(&bits, &data[i0 * got.strides[0] + i1 * got.strides[1] +
                                   i2 * got.strides[2] + i3 * got.strides[3]],
                      sizeof(bits));
          for (int byte = 0; byte < 4; ++byte)
            hash = (hash ^ ((bits >> (8 * byte)) & 0xff)) * 1099511628211ull;
        }
  double rel = maxRef > 0 ? maxErr / maxRef : maxErr;
  std::printf(
      "%-3s [%lld, %lld, %lld, %lld]: max relative error %.3e, bits %016llx\n",
      name, static_cast<long long>(shape[0]), static_cast<long long>(shape[1]),
      static_cast<long long>(shape[2]), static_cast<long long>(shape[3]), rel,
      static_cast<unsigned long long>(hash));
  return rel;
}

} // namespace

int main(int argc, char **argv) {
  const int64_t B = argc > 1 ? std::atoll(argv[1]) : 2;
  const int64_t T = argc > 2 ? std::atoll(argv[2]) : 37;
  const unsigned seed =
      argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 0;
  if (B < 1 || T < 1) {
    std::fprintf(stderr, "usage: gdn_demo [B [T [SEED]]] with B, T >= 1\n");
    return 2;
  }
  Inputs in = makeInputs(B, T, seed);

  // Descriptors of the inputs, row-major. The compiled code only reads its
  // arguments, so they point straight at the vectors.
  const int64_t qkShape[4] = {B, T, H, K}, vShape[4] = {B, T, HV, V};
  const int64_t gateShape[3] = {B, T, HV}, headShape[1] = {HV};
  const int64_t stateShape[4] = {B, HV, K, V};
  hymir_memref_f32_rank4 q = hymir_memref_f32_rank4_make(in.q.data(), qkShape);
  hymir_memref_f32_rank4 k = hymir_memref_f32_rank4_make(in.k.data(), qkShape);
  hymir_memref_f32_rank4 v = hymir_memref_f32_rank4_make(in.v.data(), vShape);
  hymir_memref_f32_rank3 a =
      hymir_memref_f32_rank3_make(in.a.data(), gateShape);
  hymir_memref_f32_rank3 b =
      hymir_memref_f32_rank3_make(in.b.data(), gateShape);
  hymir_memref_f32_rank1 A_log =
      hymir_memref_f32_rank1_make(in.A_log.data(), headShape);
  hymir_memref_f32_rank1 dt_bias =
      hymir_memref_f32_rank1_make(in.dt_bias.data(), headShape);
  hymir_memref_f32_rank4 S0 =
      hymir_memref_f32_rank4_make(in.S0.data(), stateShape);

  // @main returns (o, S_T): both land in a hymir_main_results, in buffers
  // the compiled code allocated.
  hymir_main_results results;
  _mlir_ciface_main(&results, &q, &k, &v, &a, &b, &A_log, &dt_bias, &S0);

  std::vector<double> oRef, STRef;
  reference(in, oRef, STRef);
  std::printf("gated_delta_net, B = %lld, T = %lld, seed %u\n",
              static_cast<long long>(B), static_cast<long long>(T), seed);
  const int64_t oShape[4] = {B, T, HV, V};
  double errO = compare("o", results.result0, oShape, oRef);
  double errS = compare("S_T", results.result1, stateShape, STRef);

  // The result buffers are ours to free (each once: the helper knows that
  // two results may share a buffer).
  hymir_main_results_free(&results);

  double err = std::max(errO, errS);
  bool ok = errO >= 0 && errS >= 0 && err <= 1e-4;
  std::printf("max relative error %.3e (tolerance 1e-4): %s\n", err,
              ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
