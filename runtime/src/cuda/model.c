//===- model.c - Greedy generation with a CUDA model artifact ---------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Prefill, then decode steps, with everything but the token ids and the last
// logits on the device: weights are uploaded once and shared by both plans,
// each call's states are the next call's inputs (no copy back), and KV
// caches are grown from prefill's T rows to the capacity once.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void hymir_rt_cuda_generation_free(hymir_rt_cuda_generation *g) {
  if (!g)
    return;
  free(g->ids);
  hymir_rt_array_free(&g->prefill_logits);
  memset(g, 0, sizeof(*g));
}

/// Argmax of each row of `logits` [rows, vocab] into ids[row * stride];
/// ties go to the lowest id (as hymir-run --generate).
static void argmax_rows(const float *logits, int64_t rows, int64_t vocab,
                        int32_t *ids, size_t stride) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = logits + r * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best])
        best = v;
    ids[(size_t)r * stride] = (int32_t)best;
  }
}

/// Copies a KV cache [B, T, ...] into a new zeroed [B, C, ...] buffer, on
/// the device.
static int grow_cache(hymir_rt_cuda_executable *exe,
                      const hymir_rt_cuda_tensor *small,
                      const hymir_rt_cuda_tensor *big, hymir_rt_cuda_ptr src,
                      hymir_rt_cuda_ptr *dst, hymir_rt_error *err) {
  size_t big_bytes = hymir_rt_cuda_tensor_bytes(big);
  size_t row = hymir_rt_cuda_tensor_bytes(small) / (size_t)small->shape[0];
  size_t big_row = big_bytes / (size_t)big->shape[0];
  // Rows past a sequence's length are masked by attention; zeros keep them
  // finite.
  int rc = hymir_rt_cuda_alloc(exe, big_bytes, dst, err);
  if (!rc)
    rc = hymir_rt_cuda_zero(exe, *dst, big_bytes, err);
  for (int64_t b = 0; !rc && b < small->shape[0]; ++b)
    rc = hymir_rt_cuda_copy(exe, *dst + (size_t)b * big_row,
                            src + (size_t)b * row, row, err);
  return rc;
}

/// Device state of one generation, freed in one place.
typedef struct session {
  hymir_rt_cuda_executable *prefill, *decode;
  hymir_rt_cuda_ptr *weights; ///< one per entry of the weight set
  size_t num_weights;
  hymir_rt_cuda_ptr *outputs; ///< the last call's results: logits, states
  size_t num_outputs;
  hymir_rt_cuda_ptr tokens;
  float *logits;
} session;

static void free_outputs(session *s) {
  for (size_t i = 0; s->outputs && i < s->num_outputs; ++i) {
    hymir_rt_cuda_free(s->prefill, s->outputs[i]);
    s->outputs[i] = 0;
  }
}

static void close_session(session *s) {
  if (s->prefill) {
    free_outputs(s);
    for (size_t i = 0; s->weights && i < s->num_weights; ++i)
      hymir_rt_cuda_free(s->prefill, s->weights[i]);
    hymir_rt_cuda_free(s->prefill, s->tokens);
  }
  free(s->weights);
  free(s->outputs);
  free(s->logits);
  hymir_rt_cuda_unload(s->prefill);
  hymir_rt_cuda_unload(s->decode);
  memset(s, 0, sizeof(*s));
}

/// Uploads every weight once and points both plans at the copies.
static int upload_weights(session *s, const hymir_rt_cuda_weight_set *set,
                          hymir_rt_error *err) {
  s->num_weights = set->count;
  s->weights = calloc(set->count + 1, sizeof(*s->weights));
  if (!s->weights)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < set->count; ++i) {
    size_t bytes = hymir_rt_cuda_tensor_bytes(&set->tensors[i]);
    int rc = hymir_rt_cuda_alloc(s->prefill, bytes, &s->weights[i], err);
    if (!rc)
      rc = hymir_rt_cuda_upload(s->prefill, s->weights[i],
                                set->values[i].data, bytes, err);
    if (rc)
      return rc;
  }
  hymir_rt_cuda_executable *exes[2] = {s->prefill, s->decode};
  for (int e = 0; e < 2; ++e) {
    const hymir_rt_cuda_plan *plan = hymir_rt_cuda_executable_plan(exes[e]);
    hymir_rt_cuda_ptr *ptrs = calloc(plan->num_weights + 1, sizeof(*ptrs));
    if (!ptrs)
      return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
    for (size_t w = 0; w < plan->num_weights; ++w) {
      size_t i = hymir_rt_cuda_weight_set_find(set, plan->weights[w].name);
      if (i == (size_t)-1) {
        free(ptrs);
        return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                  "weight '%s' of %s was not loaded",
                                  plan->weights[w].name, plan->function);
      }
      ptrs[w] = s->weights[i];
    }
    int rc = hymir_rt_cuda_bind_weights(exes[e], ptrs, plan->num_weights, err);
    free(ptrs);
    if (rc)
      return rc;
  }
  return 0;
}

int hymir_rt_cuda_generate(const char *dir, int device,
                           const hymir_rt_cuda_model_plans *model,
                           const hymir_rt_cuda_weight_set *weights,
                           const int32_t *prompt, int n,
                           hymir_rt_cuda_generation *out, hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  memset(out, 0, sizeof(*out));
  const int64_t B = model->batch, T = model->prompt_len, V = model->vocab;
  if (n < 1 || (model->has_kv_cache && (int64_t)n - 1 > model->capacity - T))
    return hymir_rt_error_set(
        err, HYMIR_RT_INVALID_ARGUMENT,
        "cannot generate %d tokens: the artifact's KV capacity %lld holds the "
        "prompt (%lld) and %lld decode steps",
        n, (long long)model->capacity, (long long)T,
        (long long)(model->capacity - T));
  char path[4096];
  session s = {0};
  snprintf(path, sizeof(path), "%s/" HYMIR_RT_CUDA_MODEL_PREFILL, dir);
  int rc = hymir_rt_cuda_load(path, device, &s.prefill, err);
  if (!rc) {
    snprintf(path, sizeof(path), "%s/" HYMIR_RT_CUDA_MODEL_DECODE, dir);
    rc = hymir_rt_cuda_load(path, device, &s.decode, err);
  }
  if (!rc)
    rc = upload_weights(&s, weights, err);
  const hymir_rt_cuda_plan *pre = &model->prefill, *dec = &model->decode;
  s.num_outputs = dec->num_outputs;
  s.outputs = calloc(s.num_outputs + 1, sizeof(*s.outputs));
  hymir_rt_cuda_ptr *inputs = calloc(dec->num_inputs + 1, sizeof(*inputs));
  out->ids = calloc((size_t)(B * n) + 1, sizeof(int32_t));
  s.logits = malloc((size_t)(B * V) * sizeof(float) + 1);
  if (!rc && (!s.outputs || !inputs || !out->ids || !s.logits))
    rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  if (!rc)
    rc = hymir_rt_cuda_alloc(s.prefill, (size_t)(B * T) * sizeof(int32_t),
                             &s.tokens, err);
  if (!rc)
    rc = hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 3,
                              pre->outputs[0].tensor.shape,
                              &out->prefill_logits, err);

  // Prefill: tokens up, logits down, the states stay.
  double t0 = now_seconds();
  if (!rc)
    rc = hymir_rt_cuda_upload(s.prefill, s.tokens, prompt,
                              (size_t)(B * T) * sizeof(int32_t), err);
  if (!rc)
    rc = hymir_rt_cuda_run_resident(s.prefill, &s.tokens, s.outputs, 0, err);
  if (!rc)
    rc = hymir_rt_cuda_download(s.prefill, out->prefill_logits.data,
                                s.outputs[0],
                                hymir_rt_array_nbytes(&out->prefill_logits), err);
  if (!rc)
    for (int64_t b = 0; b < B; ++b)
      argmax_rows((const float *)out->prefill_logits.data +
                      (b * T + T - 1) * V,
                  1, V, out->ids + b * n, 1);
  out->prefill_seconds = now_seconds() - t0;

  // Decode: grow the caches once, then results 1.. -> arguments 1...
  t0 = now_seconds();
  for (size_t i = 1; !rc && i < dec->num_inputs; ++i) {
    if (dec->inputs[i].role == HYMIR_RT_CUDA_ROLE_KV_CACHE &&
        pre->outputs[i].tensor.shape[1] != dec->inputs[i].shape[1]) {
      hymir_rt_cuda_ptr grown = 0;
      rc = grow_cache(s.prefill, &pre->outputs[i].tensor, &dec->inputs[i],
                      s.outputs[i], &grown, err);
      hymir_rt_cuda_free(s.prefill, s.outputs[i]);
      s.outputs[i] = grown;
    }
  }
  for (int step = 1; !rc && step < n; ++step) {
    int32_t *tok = malloc((size_t)B * sizeof(int32_t));
    if (!tok) {
      rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
      break;
    }
    for (int64_t b = 0; b < B; ++b)
      tok[b] = out->ids[b * n + step - 1];
    rc = hymir_rt_cuda_upload(s.decode, s.tokens, tok,
                              (size_t)B * sizeof(int32_t), err);
    free(tok);
    inputs[0] = s.tokens;
    for (size_t i = 1; i < dec->num_inputs; ++i)
      inputs[i] = s.outputs[i];
    hymir_rt_cuda_ptr *next = calloc(s.num_outputs + 1, sizeof(*next));
    if (!rc && !next)
      rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
    if (!rc)
      rc = hymir_rt_cuda_run_resident(s.decode, inputs, next, 0, err);
    // The logits first: the download waits for the step's kernels, which
    // read the previous states freed next.
    if (!rc)
      rc = hymir_rt_cuda_download(s.decode, s.logits, next[0],
                                  (size_t)(B * V) * sizeof(float), err);
    free_outputs(&s);
    if (next)
      memcpy(s.outputs, next, s.num_outputs * sizeof(*next));
    free(next);
    if (!rc)
      argmax_rows(s.logits, B, V, out->ids + step, (size_t)n);
  }
  out->decode_seconds = now_seconds() - t0;
  free(inputs);
  close_session(&s);
  if (rc)
    hymir_rt_cuda_generation_free(out);
  return rc;
}
