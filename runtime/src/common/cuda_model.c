//===- cuda_model.c - Weights and model artifacts of CUDA plans -------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the runtime checks before it touches a GPU when it runs a model:
// every weight of the plans bound by name from a safetensors file (shape,
// dtype, conversion), and the two plans of a model artifact consistent with
// each other (tokens, logits, states, roles, shared weights). No GPU needed:
// unit-tested, and run by hymir-rt-plan in CI.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda_plan.h"
#include "hymir_rt/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

static int same_tensor(const hymir_rt_cuda_tensor *a,
                       const hymir_rt_cuda_tensor *b) {
  if (a->dtype != b->dtype || a->rank != b->rank)
    return 0;
  for (int d = 0; d < a->rank; ++d)
    if (a->shape[d] != b->shape[d])
      return 0;
  return 1;
}

/// "f32 [2,3]" (and " kv_cache" for a role) into `buf`.
static const char *describe(const hymir_rt_cuda_tensor *t, char *buf,
                            size_t size) {
  int w = snprintf(buf, size, "%s [", hymir_rt_dtype_name(t->dtype));
  for (int d = 0; d < t->rank && w > 0 && (size_t)w < size; ++d)
    w += snprintf(buf + w, size - (size_t)w, "%s%lld", d ? "," : "",
                  (long long)t->shape[d]);
  if (w > 0 && (size_t)w < size)
    snprintf(buf + w, size - (size_t)w, "]%s%s", t->role ? " " : "",
             hymir_rt_cuda_role_name(t->role));
  return buf;
}

size_t hymir_rt_cuda_weight_set_find(const hymir_rt_cuda_weight_set *set,
                                     const char *name) {
  for (size_t i = 0; set && i < set->count; ++i)
    if (strcmp(set->names[i], name) == 0)
      return i;
  return (size_t)-1;
}

void hymir_rt_cuda_weight_set_free(hymir_rt_cuda_weight_set *set) {
  if (!set)
    return;
  for (size_t i = 0; set->values && i < set->count; ++i)
    hymir_rt_array_free(&set->values[i]);
  free(set->names);
  free(set->tensors);
  free(set->values);
  memset(set, 0, sizeof(*set));
}

int hymir_rt_cuda_weights_load(const hymir_rt_cuda_plan *const *plans,
                               size_t n, const hymir_rt_safetensors *st,
                               hymir_rt_cuda_weight_set *out,
                               hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!out || (!plans && n))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_weights_load: null argument");
  memset(out, 0, sizeof(*out));
  size_t total = 0;
  for (size_t p = 0; p < n; ++p)
    total += plans[p]->num_weights;
  if (total && !st)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s takes %zu weights and no weights file was "
                              "given",
                              plans[0]->function, total);
  out->names = calloc(total + 1, sizeof(*out->names));
  out->tensors = calloc(total + 1, sizeof(*out->tensors));
  out->values = calloc(total + 1, sizeof(*out->values));
  if (!out->names || !out->tensors || !out->values) {
    hymir_rt_cuda_weight_set_free(out);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  }
  for (size_t p = 0; p < n; ++p) {
    for (size_t w = 0; w < plans[p]->num_weights; ++w) {
      const hymir_rt_cuda_weight *weight = &plans[p]->weights[w];
      size_t seen = hymir_rt_cuda_weight_set_find(out, weight->name);
      if (seen != (size_t)-1) {
        if (!same_tensor(&out->tensors[seen], &weight->tensor)) {
          char a[128], b[128];
          hymir_rt_cuda_weight_set_free(out);
          return hymir_rt_error_set(
              err, HYMIR_RT_FORMAT_ERROR,
              "weight '%s' is %s in one plan and %s in %s", weight->name,
              describe(&out->tensors[seen], a, sizeof(a)),
              describe(&weight->tensor, b, sizeof(b)), plans[p]->function);
        }
        continue;
      }
      size_t i = out->count++;
      out->names[i] = weight->name;
      out->tensors[i] = weight->tensor;
      if (hymir_rt_safetensors_load(st, weight->name, weight->tensor.dtype,
                                    weight->tensor.rank, weight->tensor.shape,
                                    &out->values[i], err)) {
        hymir_rt_cuda_weight_set_free(out);
        return err->code;
      }
    }
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Model artifacts
//===----------------------------------------------------------------------===//

void hymir_rt_cuda_model_plans_free(hymir_rt_cuda_model_plans *m) {
  if (!m)
    return;
  hymir_rt_cuda_plan_free(&m->prefill);
  hymir_rt_cuda_plan_free(&m->decode);
  memset(m, 0, sizeof(*m));
}

static int model_fail(hymir_rt_cuda_model_plans *m, hymir_rt_error *err,
                      const char *dir, const char *what) {
  hymir_rt_cuda_model_plans_free(m);
  return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                            "%s: not a model artifact: %s", dir, what);
}

int hymir_rt_cuda_model_read(const char *dir, hymir_rt_cuda_model_plans *out,
                             hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!dir || !out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_model_read: null argument");
  memset(out, 0, sizeof(*out));
  char path[4096];
  if (snprintf(path, sizeof(path), "%s/" HYMIR_RT_CUDA_MODEL_PREFILL, dir) >=
      (int)sizeof(path))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: path too long", dir);
  if (hymir_rt_cuda_plan_read(path, &out->prefill, err))
    return err->code;
  snprintf(path, sizeof(path), "%s/" HYMIR_RT_CUDA_MODEL_DECODE, dir);
  if (hymir_rt_cuda_plan_read(path, &out->decode, err)) {
    hymir_rt_cuda_model_plans_free(out);
    return err->code;
  }
  const hymir_rt_cuda_plan *pre = &out->prefill, *dec = &out->decode;
  char msg[512], a[128], b[128];
  // Tokens and logits.
  if (pre->num_inputs != 1 || pre->inputs[0].dtype != HYMIR_RT_DTYPE_I32 ||
      pre->inputs[0].rank != 2)
    return model_fail(out, err, dir,
                      "@prefill must take one argument, tokens i32 [B, T]");
  out->batch = pre->inputs[0].shape[0];
  out->prompt_len = pre->inputs[0].shape[1];
  if (dec->num_inputs < 1 || dec->inputs[0].dtype != HYMIR_RT_DTYPE_I32 ||
      dec->inputs[0].rank != 1 || dec->inputs[0].shape[0] != out->batch)
    return model_fail(out, err, dir,
                      "@decode's first argument must be tokens i32 [B] with "
                      "@prefill's B");
  const hymir_rt_cuda_tensor *pl = pre->num_outputs ? &pre->outputs[0].tensor
                                                     : NULL,
                             *dl = dec->num_outputs ? &dec->outputs[0].tensor
                                                    : NULL;
  if (!pl || !dl || pl->dtype != HYMIR_RT_DTYPE_F32 || pl->rank != 3 ||
      pl->shape[0] != out->batch || pl->shape[1] != out->prompt_len ||
      dl->dtype != HYMIR_RT_DTYPE_F32 || dl->rank != 2 ||
      dl->shape[0] != out->batch || dl->shape[1] != pl->shape[2])
    return model_fail(out, err, dir,
                      "the first results must be the logits, f32 [B, T, V] "
                      "of @prefill and [B, V] of @decode");
  out->vocab = pl->shape[2];
  // States: result i of @prefill and of @decode -> argument i of @decode.
  out->num_states = dec->num_inputs - 1;
  if (pre->num_outputs != dec->num_inputs || dec->num_outputs != dec->num_inputs) {
    snprintf(msg, sizeof(msg),
             "@decode takes %zu states; @prefill returns %zu and @decode %zu",
             out->num_states, pre->num_outputs - 1, dec->num_outputs - 1);
    return model_fail(out, err, dir, msg);
  }
  out->capacity = out->prompt_len;
  int seen_cache = 0;
  for (size_t i = 1; i < dec->num_inputs; ++i) {
    const hymir_rt_cuda_tensor *in = &dec->inputs[i],
                               *back = &dec->outputs[i].tensor,
                               *first = &pre->outputs[i].tensor;
    if (!same_tensor(in, back) || in->role != back->role) {
      snprintf(msg, sizeof(msg),
               "state #%zu: @decode takes %s and returns %s (a state must "
               "keep its shape and role: a KV cache is preallocated, model "
               "format 2)",
               i, describe(in, a, sizeof(a)), describe(back, b, sizeof(b)));
      return model_fail(out, err, dir, msg);
    }
    int grown = in->role == HYMIR_RT_CUDA_ROLE_KV_CACHE;
    int ok = first->dtype == in->dtype && first->rank == in->rank &&
             first->role == in->role;
    for (int d = 0; ok && d < in->rank; ++d)
      ok = grown && d == 1 ? first->shape[d] <= in->shape[d]
                           : first->shape[d] == in->shape[d];
    if (ok && grown) {
      ok = in->rank >= 2 && first->shape[1] == out->prompt_len &&
           (!seen_cache || in->shape[1] == out->capacity);
      out->capacity = in->shape[1];
      seen_cache = out->has_kv_cache = 1;
    }
    if (!ok) {
      snprintf(msg, sizeof(msg),
               "state #%zu: @prefill returns %s where @decode takes %s", i,
               describe(first, a, sizeof(a)), describe(in, b, sizeof(b)));
      return model_fail(out, err, dir, msg);
    }
  }
  // Shared weights must agree (checked again when they are bound).
  for (size_t i = 0; i < pre->num_weights; ++i)
    for (size_t j = 0; j < dec->num_weights; ++j)
      if (strcmp(pre->weights[i].name, dec->weights[j].name) == 0 &&
          !same_tensor(&pre->weights[i].tensor, &dec->weights[j].tensor)) {
        snprintf(msg, sizeof(msg), "weight '%s' is %s in @prefill and %s in "
                 "@decode", pre->weights[i].name,
                 describe(&pre->weights[i].tensor, a, sizeof(a)),
                 describe(&dec->weights[j].tensor, b, sizeof(b)));
        return model_fail(out, err, dir, msg);
      }
  return 0;
}
