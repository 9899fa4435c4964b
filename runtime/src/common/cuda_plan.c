//===- cuda_plan.c - CUDA launch plan parser --------------------------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses the text format of hymir_rt/cuda_plan.h. It needs no GPU (it is in
// the core library, unit-tested and fuzzable on any machine); src/cuda
// executes what it returns. Every index, view and size is checked here, so
// the executor never launches a kernel with a pointer outside a buffer.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda_plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS (4 + 2 * HYMIR_RT_MAX_RANK + 8)

typedef struct parser {
  const char *name;
  int line;
  hymir_rt_error *err;
  char *tok[MAX_TOKENS];
  int ntok;
} parser;

static int fail(parser *p, const char *what, const char *detail) {
  return hymir_rt_error_set(p->err, HYMIR_RT_FORMAT_ERROR, "%s:%d: %s%s%s",
                            p->name, p->line, what, detail ? ": " : "",
                            detail ? detail : "");
}

static int parse_i64(parser *p, const char *s, int64_t lo, int64_t hi,
                     int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return fail(p, "expected an integer in range, got", s);
  *out = v;
  return 0;
}

static int parse_bits(parser *p, const char *s, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  if (strncmp(s, "0x", 2) != 0)
    return fail(p, "expected hexadecimal bits (0x...), got", s);
  unsigned long long v = strtoull(s + 2, &end, 16);
  if (errno || end == s + 2 || *end || v > max)
    return fail(p, "bad hexadecimal bits", s);
  *out = v;
  return 0;
}

static int copy_name(parser *p, char *dst, const char *src) {
  size_t n = strlen(src);
  if (n == 0 || n > HYMIR_RT_CUDA_PLAN_MAX_NAME)
    return fail(p, "name too long or empty", NULL);
  memcpy(dst, src, n + 1);
  return 0;
}

static hymir_rt_dtype dtype_by_name(const char *s) {
  static const hymir_rt_dtype all[] = {
      HYMIR_RT_DTYPE_F32, HYMIR_RT_DTYPE_F64, HYMIR_RT_DTYPE_F16,
      HYMIR_RT_DTYPE_BF16, HYMIR_RT_DTYPE_I8, HYMIR_RT_DTYPE_I32,
      HYMIR_RT_DTYPE_I64};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); ++i)
    if (strcmp(s, hymir_rt_dtype_name(all[i])) == 0)
      return all[i];
  return HYMIR_RT_DTYPE_INVALID;
}

size_t hymir_rt_cuda_tensor_bytes(const hymir_rt_cuda_tensor *t) {
  size_t n = hymir_rt_dtype_size(t->dtype);
  for (int i = 0; i < t->rank; ++i)
    n *= (size_t)t->shape[i];
  return n;
}

/// `<dtype> <rank> <dims...>` from token `at`; byte count must fit 2^48.
static int parse_tensor(parser *p, int at, hymir_rt_cuda_tensor *t) {
  if (p->ntok < at + 2)
    return fail(p, "expected <dtype> <rank> <dims...>", NULL);
  t->dtype = dtype_by_name(p->tok[at]);
  if (!t->dtype)
    return fail(p, "unknown dtype", p->tok[at]);
  int64_t rank = 0;
  if (parse_i64(p, p->tok[at + 1], 0, HYMIR_RT_MAX_RANK, &rank))
    return p->err->code;
  if (p->ntok != at + 2 + rank)
    return fail(p, "dimension count does not match the rank", NULL);
  t->rank = (int)rank;
  uint64_t bytes = hymir_rt_dtype_size(t->dtype);
  for (int i = 0; i < t->rank; ++i) {
    if (parse_i64(p, p->tok[at + 2 + i], 1, INT64_C(1) << 40, &t->shape[i]))
      return p->err->code;
    bytes *= (uint64_t)t->shape[i];
    if (bytes > (UINT64_C(1) << 48))
      return fail(p, "tensor larger than 2^48 bytes", NULL);
  }
  return 0;
}

static int parse_source(parser *p, const char *s, int version,
                        hymir_rt_cuda_source *out) {
  if (strcmp(s, "in") == 0)
    *out = HYMIR_RT_CUDA_SOURCE_INPUT;
  else if (strcmp(s, "buf") == 0)
    *out = HYMIR_RT_CUDA_SOURCE_BUFFER;
  else if (strcmp(s, "wt") == 0 && version >= 2)
    *out = HYMIR_RT_CUDA_SOURCE_WEIGHT;
  else
    return fail(p, version >= 2 ? "expected 'in', 'wt' or 'buf', got"
                                : "expected 'in' or 'buf', got",
                s);
  return 0;
}

const char *hymir_rt_cuda_role_name(hymir_rt_cuda_role role) {
  switch (role) {
  case HYMIR_RT_CUDA_ROLE_KV_CACHE:
    return "kv_cache";
  case HYMIR_RT_CUDA_ROLE_KV_LENGTHS:
    return "kv_lengths";
  default:
    return "";
  }
}

/// Strips a trailing role token (version 2) from an input/output line whose
/// tensor starts at token `at`: the line has one token more than its rank
/// needs.
static int parse_role(parser *p, int at, int version, hymir_rt_cuda_role *out) {
  *out = HYMIR_RT_CUDA_ROLE_NONE;
  int64_t rank = 0;
  if (p->ntok < at + 2 || parse_i64(p, p->tok[at + 1], 0, HYMIR_RT_MAX_RANK,
                                    &rank))
    return p->ntok < at + 2 ? 0 : p->err->code;
  if (p->ntok != at + 3 + rank)
    return 0;
  const char *r = p->tok[p->ntok - 1];
  if (version < 2)
    return fail(p, "roles need plan format version 2, got", r);
  if (strcmp(r, "kv_cache") == 0)
    *out = HYMIR_RT_CUDA_ROLE_KV_CACHE;
  else if (strcmp(r, "kv_lengths") == 0)
    *out = HYMIR_RT_CUDA_ROLE_KV_LENGTHS;
  else
    return fail(p, "unknown role (expected kv_cache or kv_lengths)", r);
  --p->ntok;
  return 0;
}

/// The tensor a source/index names, or NULL (with a diagnostic).
static const hymir_rt_cuda_tensor *lookup(parser *p, hymir_rt_cuda_plan *plan,
                                          hymir_rt_cuda_source src,
                                          size_t index) {
  if (src == HYMIR_RT_CUDA_SOURCE_INPUT && index < plan->num_inputs)
    return &plan->inputs[index];
  if (src == HYMIR_RT_CUDA_SOURCE_BUFFER && index < plan->num_buffers)
    return &plan->buffers[index];
  if (src == HYMIR_RT_CUDA_SOURCE_WEIGHT && index < plan->num_weights)
    return &plan->weights[index].tensor;
  fail(p, src == HYMIR_RT_CUDA_SOURCE_INPUT ? "no such input"
          : src == HYMIR_RT_CUDA_SOURCE_WEIGHT
              ? "no such weight (weights are declared before use)"
              : "no such buffer (buffers are declared before use)",
       NULL);
  return NULL;
}

/// `param memref in|buf <i> <offset> <rank> <sizes...> <strides...>`: the
/// view must stay inside the tensor it names (elements [min, max] reachable
/// through offset + sum(idx * stride) within [0, numel)).
static int parse_memref(parser *p, hymir_rt_cuda_plan *plan,
                        hymir_rt_cuda_param *m) {
  if (p->ntok < 6)
    return fail(p, "expected param memref in|buf <index> <offset> <rank> ...",
                NULL);
  m->kind = HYMIR_RT_CUDA_PARAM_MEMREF;
  int64_t index = 0, rank = 0;
  if (parse_source(p, p->tok[2], plan->version, &m->source) ||
      parse_i64(p, p->tok[3], 0, INT32_MAX, &index) ||
      parse_i64(p, p->tok[4], 0, INT64_C(1) << 48, &m->offset) ||
      parse_i64(p, p->tok[5], 0, HYMIR_RT_MAX_RANK, &rank))
    return p->err->code;
  if (p->ntok != 6 + 2 * rank)
    return fail(p, "memref needs <rank> sizes and <rank> strides", NULL);
  m->index = (size_t)index;
  m->rank = (int)rank;
  const hymir_rt_cuda_tensor *t = lookup(p, plan, m->source, m->index);
  if (!t)
    return p->err->code;
  int64_t numel = 1;
  for (int i = 0; i < t->rank; ++i)
    numel *= t->shape[i];
  int64_t hi = m->offset;
  for (int i = 0; i < m->rank; ++i) {
    if (parse_i64(p, p->tok[6 + i], 1, INT64_C(1) << 40, &m->sizes[i]) ||
        parse_i64(p, p->tok[6 + m->rank + i], 0, INT64_C(1) << 40,
                  &m->strides[i]))
      return p->err->code;
    hi += (m->sizes[i] - 1) * m->strides[i];
    if (hi >= numel)
      return fail(p, "memref view reaches outside its tensor", NULL);
  }
  if (m->offset >= numel)
    return fail(p, "memref view reaches outside its tensor", NULL);
  return 0;
}

static int parse_scalar(parser *p, hymir_rt_cuda_param *s) {
  if (p->ntok != 3)
    return fail(p, "expected param <type> <value>", NULL);
  const char *type = p->tok[1], *v = p->tok[2];
  int64_t i;
  if (strcmp(type, "i64") == 0) {
    s->kind = HYMIR_RT_CUDA_PARAM_I64;
    if (parse_i64(p, v, INT64_MIN, INT64_MAX, &i))
      return p->err->code;
    s->bits = (uint64_t)i;
  } else if (strcmp(type, "i32") == 0) {
    s->kind = HYMIR_RT_CUDA_PARAM_I32;
    if (parse_i64(p, v, INT32_MIN, INT32_MAX, &i))
      return p->err->code;
    s->bits = (uint32_t)(int32_t)i;
  } else if (strcmp(type, "f32") == 0) {
    s->kind = HYMIR_RT_CUDA_PARAM_F32;
    return parse_bits(p, v, UINT32_MAX, &s->bits);
  } else if (strcmp(type, "f64") == 0) {
    s->kind = HYMIR_RT_CUDA_PARAM_F64;
    return parse_bits(p, v, UINT64_MAX, &s->bits);
  } else {
    return fail(p, "unknown parameter type", type);
  }
  return 0;
}

/// Appends one zeroed element to a growable array.
static void *grow(void **items, size_t *count, size_t size, parser *p) {
  void *more = realloc(*items, (*count + 1) * size);
  if (!more) {
    hymir_rt_error_set(p->err, HYMIR_RT_OUT_OF_MEMORY, "%s:%d: out of memory",
                       p->name, p->line);
    return NULL;
  }
  *items = more;
  void *item = (char *)more + *count * size;
  memset(item, 0, size);
  ++*count;
  return item;
}

#define GROW(plan, field, count, p)                                            \
  grow((void **)&(plan)->field, &(plan)->count, sizeof(*(plan)->field), p)

static int check_dims(parser *p, const uint32_t grid[3],
                      const uint32_t block[3], uint32_t smem) {
  static const int64_t grid_max[3] = {INT32_MAX, 65535, 65535};
  static const int64_t block_max[3] = {1024, 1024, 64};
  uint64_t threads = 1;
  for (int i = 0; i < 3; ++i) {
    if (grid[i] < 1 || grid[i] > grid_max[i] || block[i] < 1 ||
        block[i] > block_max[i])
      return fail(p, "grid or block dimension outside CUDA's limits", NULL);
    threads *= block[i];
  }
  if (threads > 1024)
    return fail(p, "more than 1024 threads per block", NULL);
  if (smem > 256 * 1024)
    return fail(p, "more than 256 KiB of shared memory", NULL);
  return 0;
}

static int parse_lines(parser *p, char *text, hymir_rt_cuda_plan *plan) {
  int seen_header = 0, seen_function = 0, seen_end = 0;
  hymir_rt_cuda_launch *launch = NULL;
  size_t params_left = 0;
  char *next = text;
  while (next) {
    char *line = next;
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    next = nl ? nl + 1 : NULL;
    ++p->line;
    char *hash = strchr(line, '#');
    if (hash)
      *hash = '\0';
    p->ntok = 0;
    for (char *c = line; *c;) {
      while (*c == ' ' || *c == '\t' || *c == '\r')
        *c++ = '\0';
      if (!*c)
        break;
      if (p->ntok == MAX_TOKENS)
        return fail(p, "too many tokens on a line", NULL);
      p->tok[p->ntok++] = c;
      while (*c && *c != ' ' && *c != '\t' && *c != '\r')
        ++c;
    }
    if (p->ntok == 0)
      continue;
    const char *kw = p->tok[0];
    if (seen_end)
      return fail(p, "text after 'end'", NULL);
    if (!seen_header) {
      int64_t version = 0;
      if (strcmp(kw, HYMIR_RT_CUDA_PLAN_MAGIC) != 0 || p->ntok != 2)
        return fail(p, "not a Hymir CUDA plan (expected '"
                       HYMIR_RT_CUDA_PLAN_MAGIC " <version>')", NULL);
      if (parse_i64(p, p->tok[1], 0, INT32_MAX, &version))
        return p->err->code;
      if (version < HYMIR_RT_CUDA_PLAN_MIN_VERSION ||
          version > HYMIR_RT_CUDA_PLAN_VERSION)
        return hymir_rt_error_set(
            p->err, HYMIR_RT_UNSUPPORTED,
            "%s:%d: plan format version %lld; this runtime reads versions "
            "%d to %d",
            p->name, p->line, (long long)version,
            HYMIR_RT_CUDA_PLAN_MIN_VERSION, HYMIR_RT_CUDA_PLAN_VERSION);
      plan->version = (int)version;
      seen_header = 1;
      continue;
    }
    if (params_left && strcmp(kw, "param") != 0)
      return fail(p, "launch has fewer param lines than it declares", NULL);
    if (strcmp(kw, "target") == 0) {
      if (p->ntok != 2 || copy_name(p, plan->target, p->tok[1]))
        return fail(p, "expected target <arch>", NULL);
    } else if (strcmp(kw, "module") == 0) {
      if (seen_function)
        return fail(p, "modules come before the function", NULL);
      if (p->ntok != 3)
        return fail(p, "expected module <name> <file>", NULL);
      if (strchr(p->tok[2], '/') || strcmp(p->tok[2], "..") == 0 ||
          strcmp(p->tok[2], ".") == 0)
        return fail(p, "module file must be a plain file name", p->tok[2]);
      hymir_rt_cuda_module *m = GROW(plan, modules, num_modules, p);
      if (!m || copy_name(p, m->name, p->tok[1]) ||
          copy_name(p, m->file, p->tok[2]))
        return p->err->code;
    } else if (strcmp(kw, "function") == 0) {
      if (seen_function || p->ntok != 2 ||
          copy_name(p, plan->function, p->tok[1]))
        return fail(p, "expected one 'function <name>'", NULL);
      seen_function = 1;
    } else if (!seen_function) {
      return fail(p, "expected 'function <name>' before", kw);
    } else if (strcmp(kw, "weight") == 0) {
      int64_t index = 0;
      if (plan->version < 2)
        return fail(p, "weights need plan format version 2", NULL);
      if (p->ntok < 6 || parse_i64(p, p->tok[1], 0, INT32_MAX, &index))
        return fail(p, "expected weight <index> <dtype> <rank> <dims...> "
                       "<name>",
                    NULL);
      hymir_rt_cuda_weight *w = GROW(plan, weights, num_weights, p);
      if (!w)
        return p->err->code;
      if ((size_t)index + 1 != plan->num_weights)
        return fail(p, "indices must count up from 0", NULL);
      const char *name = p->tok[--p->ntok];
      if (copy_name(p, w->name, name) || parse_tensor(p, 2, &w->tensor))
        return p->err->code;
      for (size_t i = 0; i + 1 < plan->num_weights; ++i)
        if (strcmp(plan->weights[i].name, w->name) == 0)
          return fail(p, "weight declared twice", name);
    } else if (strcmp(kw, "input") == 0 || strcmp(kw, "buffer") == 0) {
      int is_input = kw[0] == 'i';
      int64_t index = 0;
      if (p->ntok < 2 || parse_i64(p, p->tok[1], 0, INT32_MAX, &index))
        return fail(p, "expected <keyword> <index> <dtype> <rank> <dims...>",
                    NULL);
      hymir_rt_cuda_tensor *t =
          is_input ? GROW(plan, inputs, num_inputs, p)
                   : GROW(plan, buffers, num_buffers, p);
      if (!t)
        return p->err->code;
      if ((size_t)index + 1 !=
          (is_input ? plan->num_inputs : plan->num_buffers))
        return fail(p, "indices must count up from 0", NULL);
      hymir_rt_cuda_role role = HYMIR_RT_CUDA_ROLE_NONE;
      if (is_input && parse_role(p, 2, plan->version, &role))
        return p->err->code;
      if (parse_tensor(p, 2, t))
        return p->err->code;
      t->role = role;
    } else if (strcmp(kw, "launch") == 0) {
      if (p->ntok != 11)
        return fail(p,
                    "expected launch <module> <kernel> <grid x3> <block x3> "
                    "<shared bytes> <param count>",
                    NULL);
      launch = GROW(plan, launches, num_launches, p);
      if (!launch)
        return p->err->code;
      size_t m = 0;
      while (m < plan->num_modules && strcmp(plan->modules[m].name, p->tok[1]))
        ++m;
      if (m == plan->num_modules)
        return fail(p, "unknown module", p->tok[1]);
      launch->module = m;
      if (copy_name(p, launch->kernel, p->tok[2]))
        return p->err->code;
      int64_t v[7], nparams = 0;
      for (int i = 0; i < 7; ++i)
        if (parse_i64(p, p->tok[3 + i], 0, INT32_MAX, &v[i]))
          return p->err->code;
      for (int i = 0; i < 3; ++i) {
        launch->grid[i] = (uint32_t)v[i];
        launch->block[i] = (uint32_t)v[3 + i];
      }
      launch->shared_bytes = (uint32_t)v[6];
      if (check_dims(p, launch->grid, launch->block, launch->shared_bytes) ||
          parse_i64(p, p->tok[10], 0, HYMIR_RT_CUDA_PLAN_MAX_PARAMS, &nparams))
        return p->err->code;
      launch->params = calloc(nparams ? (size_t)nparams : 1,
                              sizeof(hymir_rt_cuda_param));
      if (!launch->params)
        return hymir_rt_error_set(p->err, HYMIR_RT_OUT_OF_MEMORY,
                                  "%s:%d: out of memory", p->name, p->line);
      params_left = (size_t)nparams;
    } else if (strcmp(kw, "param") == 0) {
      if (!params_left)
        return fail(p, "param line outside a launch or beyond its count",
                    NULL);
      hymir_rt_cuda_param *param = &launch->params[launch->num_params];
      int rc = p->ntok >= 2 && strcmp(p->tok[1], "memref") == 0
                   ? parse_memref(p, plan, param)
                   : parse_scalar(p, param);
      if (rc)
        return rc;
      ++launch->num_params;
      --params_left;
    } else if (strcmp(kw, "output") == 0) {
      int64_t k = 0, index = 0;
      if (p->ntok < 6 || parse_i64(p, p->tok[1], 0, INT32_MAX, &k) ||
          parse_i64(p, p->tok[3], 0, INT32_MAX, &index))
        return fail(p, "expected output <k> in|buf <index> <dtype> <rank> "
                       "<dims...>",
                    NULL);
      hymir_rt_cuda_output *o = GROW(plan, outputs, num_outputs, p);
      if (!o)
        return p->err->code;
      if ((size_t)k + 1 != plan->num_outputs)
        return fail(p, "output indices must count up from 0", NULL);
      if (parse_source(p, p->tok[2], plan->version, &o->source))
        return p->err->code;
      if (o->source == HYMIR_RT_CUDA_SOURCE_WEIGHT)
        return fail(p, "a result cannot be a weight", NULL);
      o->index = (size_t)index;
      hymir_rt_cuda_role role = HYMIR_RT_CUDA_ROLE_NONE;
      const hymir_rt_cuda_tensor *t = lookup(p, plan, o->source, o->index);
      if (!t || parse_role(p, 4, plan->version, &role) ||
          parse_tensor(p, 4, &o->tensor))
        return p->err->code;
      o->tensor.role = role;
      if (o->tensor.dtype != t->dtype ||
          hymir_rt_cuda_tensor_bytes(&o->tensor) !=
              hymir_rt_cuda_tensor_bytes(t))
        return fail(p, "output is not a reshape of the tensor it names", NULL);
    } else if (strcmp(kw, "end") == 0) {
      if (p->ntok != 1)
        return fail(p, "expected 'end'", NULL);
      seen_end = 1;
    } else {
      return fail(p, "unknown keyword", kw);
    }
  }
  if (!seen_header)
    return fail(p, "empty plan", NULL);
  if (params_left)
    return fail(p, "launch has fewer param lines than it declares", NULL);
  if (!seen_end)
    return fail(p, "missing 'end' (truncated plan?)", NULL);
  if (!plan->target[0])
    return fail(p, "missing 'target'", NULL);
  return 0;
}

int hymir_rt_cuda_plan_parse(const char *text, size_t len, const char *name,
                             hymir_rt_cuda_plan *out, hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_plan_parse: null output");
  memset(out, 0, sizeof(*out));
  if (!text && len)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_plan_parse: null text");
  parser p = {name ? name : "<memory>", 0, err, {0}, 0};
  if (memchr(text ? text : "", '\0', len))
    return fail(&p, "plan contains a NUL byte", NULL);
  char *copy = malloc(len + 1);
  if (!copy)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "%s: out of memory",
                              p.name);
  if (len)
    memcpy(copy, text, len);
  copy[len] = '\0';
  int rc = parse_lines(&p, copy, out);
  free(copy);
  if (rc)
    hymir_rt_cuda_plan_free(out);
  return rc;
}

int hymir_rt_cuda_plan_read(const char *artifact_dir, hymir_rt_cuda_plan *out,
                            hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (out)
    memset(out, 0, sizeof(*out));
  if (!artifact_dir || !out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_plan_read: null argument");
  char path[4096];
  if (snprintf(path, sizeof(path), "%s/%s", artifact_dir,
               HYMIR_RT_CUDA_PLAN_FILE) >= (int)sizeof(path))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: path too long", artifact_dir);
  FILE *f = fopen(path, "rb");
  if (!f)
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: %s", path,
                              strerror(errno));
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap)
      break;
    if (cap >= (size_t)1 << 30) { // plans are small; refuse absurd files
      free(buf);
      buf = NULL;
      break;
    }
    char *more = realloc(buf, cap * 2);
    if (!more) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = more;
    cap *= 2;
  }
  int read_error = ferror(f);
  fclose(f);
  if (!buf)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: too large or out of memory", path);
  if (read_error) {
    free(buf);
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: read error", path);
  }
  int rc = hymir_rt_cuda_plan_parse(buf, len, path, out, err);
  free(buf);
  return rc;
}

int hymir_rt_cuda_check_inputs(const hymir_rt_cuda_plan *plan,
                        const hymir_rt_array *inputs, size_t n,
                        hymir_rt_error *err) {
  if (n != plan->num_inputs)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s takes %zu inputs, got %zu", plan->function,
                              plan->num_inputs, n);
  for (size_t i = 0; i < n; ++i) {
    const hymir_rt_cuda_tensor *t = &plan->inputs[i];
    int same = inputs[i].dtype == t->dtype && inputs[i].rank == t->rank;
    for (int d = 0; same && d < t->rank; ++d)
      same = inputs[i].shape[d] == t->shape[d];
    if (!same) {
      char want[256], got[256];
      int w = snprintf(want, sizeof(want), "%s [", hymir_rt_dtype_name(t->dtype));
      for (int d = 0; d < t->rank; ++d)
        w += snprintf(want + w, sizeof(want) - (size_t)w, "%s%lld", d ? "," : "",
                      (long long)t->shape[d]);
      snprintf(want + w, sizeof(want) - (size_t)w, "]");
      int g = snprintf(got, sizeof(got), "%s [",
                       hymir_rt_dtype_name(inputs[i].dtype));
      for (int d = 0; d < inputs[i].rank && d < HYMIR_RT_MAX_RANK; ++d)
        g += snprintf(got + g, sizeof(got) - (size_t)g, "%s%lld", d ? "," : "",
                      (long long)inputs[i].shape[d]);
      snprintf(got + g, sizeof(got) - (size_t)g, "]");
      return hymir_rt_error_set(
          err, HYMIR_RT_INVALID_ARGUMENT,
          "input #%zu: the artifact was compiled for %s, got %s (CUDA "
          "artifacts are specialised per shape: compile one for this shape)",
          i, want, got);
    }
  }
  return 0;
}

void hymir_rt_cuda_plan_free(hymir_rt_cuda_plan *plan) {
  if (!plan)
    return;
  for (size_t i = 0; i < plan->num_launches; ++i)
    free(plan->launches[i].params);
  free(plan->modules);
  free(plan->inputs);
  free(plan->weights);
  free(plan->buffers);
  free(plan->launches);
  free(plan->outputs);
  memset(plan, 0, sizeof(*plan));
}
