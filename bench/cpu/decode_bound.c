// decode_bound: what one core can do for the Gated DeltaNet decode step's
// memory pattern, hand-written, to compare Hymir's compiled step with
// (bench/README.md, docs/decode-cpu.md). Not a test.
//
//   clang-22 -O2 -mavx512f bench/cpu/decode_bound.c -o /tmp/decode_bound
//   GLIBC_TUNABLES=glibc.malloc.hugetlb=1 /tmp/decode_bound
//   (add -DDECODE_BOUND_OUTPUT_IN_MEMORY for the variant described below)
//
// Per (sequence, head) of B = 64, H = 16, K = V = 128 (64 MiB of states),
// the step's two passes as Hymir's compiled step makes them: Sᵀk over the
// initial state (from DRAM), then the fused update and read S' = αS + k ⊗ u,
// o = S'ᵀq (S again, from L2) into a fresh state buffer. The accumulators
// are in registers; built with -DDECODE_BOUND_OUTPUT_IN_MEMORY the second
// pass's output row is loaded and stored per row instead, as LLVM leaves it
// in Hymir's fused nest. Four variants: plain stores; a software prefetch of
// the next head's state rows during the second pass; non-temporal stores of
// the new state; both. Prints the best of 7 per variant, in ms and in GB/s
// of state read + written (the bench's decode numerator, without the small
// q, k, v, o and gates).

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { K = 128, V = 128, Heads = 64 * 16, Lanes = V / 16 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void step(const float *S, float *D, float *o, const float *k,
                 const float *q, int prefetch, int streaming) {
  for (int h = 0; h < Heads; ++h) {
    const float *s = S + (size_t)h * K * V;
    float *d = D + (size_t)h * K * V;
    const float *next = S + (size_t)(h + 1 < Heads ? h + 1 : h) * K * V;
    __m512 acc[Lanes], u[Lanes], out[Lanes];
    for (int j = 0; j < Lanes; ++j)
      acc[j] = _mm512_setzero_ps();
    for (int r = 0; r < K; ++r) { // Sᵀk
      __m512 kr = _mm512_set1_ps(k[r]);
      for (int j = 0; j < Lanes; ++j)
        acc[j] = _mm512_fmadd_ps(_mm512_load_ps(s + r * V + 16 * j), kr,
                                 acc[j]);
    }
    for (int j = 0; j < Lanes; ++j) {
      u[j] = _mm512_mul_ps(_mm512_set1_ps(0.5f),
                           _mm512_sub_ps(_mm512_set1_ps(1.0f), acc[j]));
      out[j] = _mm512_setzero_ps();
#ifdef DECODE_BOUND_OUTPUT_IN_MEMORY
      _mm512_store_ps(o + h * V + 16 * j, out[j]);
#endif
    }
    __m512 alpha = _mm512_set1_ps(0.99f);
    for (int r = 0; r < K; ++r) { // S' = αS + k ⊗ u, o = S'ᵀq
      __m512 kr = _mm512_set1_ps(k[r]), qr = _mm512_set1_ps(q[r]);
      if (prefetch)
        for (int j = 0; j < Lanes; ++j)
          _mm_prefetch((const char *)(next + r * V + 16 * j), _MM_HINT_T1);
      for (int j = 0; j < Lanes; ++j) {
        __m512 x = _mm512_fmadd_ps(
            kr, u[j], _mm512_mul_ps(_mm512_load_ps(s + r * V + 16 * j), alpha));
        if (streaming)
          _mm512_stream_ps(d + r * V + 16 * j, x);
        else
          _mm512_store_ps(d + r * V + 16 * j, x);
#ifdef DECODE_BOUND_OUTPUT_IN_MEMORY
        __m512 row = _mm512_load_ps(o + h * V + 16 * j);
        _mm512_store_ps(o + h * V + 16 * j, _mm512_fmadd_ps(x, qr, row));
        __asm__ volatile("" ::: "memory");
#else
        out[j] = _mm512_fmadd_ps(x, qr, out[j]);
#endif
      }
    }
#ifndef DECODE_BOUND_OUTPUT_IN_MEMORY
    for (int j = 0; j < Lanes; ++j)
      _mm512_store_ps(o + h * V + 16 * j, out[j]);
#endif
  }
  _mm_sfence();
}

int main(void) {
  size_t n = (size_t)Heads * K * V;
  float *S = aligned_alloc(64, n * 4), *D = aligned_alloc(64, n * 4);
  float *o = aligned_alloc(64, (size_t)Heads * V * 4);
  float k[K], q[K];
  for (size_t i = 0; i < n; ++i) {
    S[i] = (float)(i % 977) * 1e-4f;
    D[i] = 1.0f;
  }
  for (int r = 0; r < K; ++r) {
    k[r] = 0.01f * r;
    q[r] = 0.02f * (K - r);
  }
  static const char *names[] = {"plain stores", "prefetch next head",
                                "non-temporal stores",
                                "prefetch + non-temporal"};
  float check = 0;
  for (int variant = 0; variant < 4; ++variant) {
    double best = 1e30;
    for (int rep = 0; rep < 7; ++rep) {
      double t = now();
      step(S, D, o, k, q, variant & 1, variant >> 1);
      t = now() - t;
      best = t < best ? t : best;
      check += o[rep] + D[(size_t)rep * 4099];
    }
    printf("%-24s %6.2f ms  %5.1f GB/s\n", names[variant], best * 1e3,
           2.0 * n * 4 / best / 1e9);
  }
  printf("(checksum %g)\n", check);
  return 0;
}
