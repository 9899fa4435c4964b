//===- hymir-rt-plan.c - Check and describe a CUDA artifact's plan ---------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses ARTIFACT_DIR/plan.txt with the runtime's parser (no GPU, no CUDA
// driver needed) and prints what it describes; every module file must exist.
// CI runs it on every artifact hymir-compile writes, so the compiler's
// writer and the runtime's reader are tested against each other.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda_plan.h"
#include "hymir_rt/safetensors.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void print_tensor(const hymir_rt_cuda_tensor *t) {
  printf("%s[", hymir_rt_dtype_name(t->dtype));
  for (int d = 0; d < t->rank; ++d)
    printf("%s%lld", d ? "," : "", (long long)t->shape[d]);
  printf("]%s%s", t->role ? " " : "", hymir_rt_cuda_role_name(t->role));
}

/// Checks that the module files exist and prints a summary of one plan.
static int print_plan(const char *dir, const hymir_rt_cuda_plan *plan) {
  int status = 0;
  for (size_t m = 0; m < plan->num_modules; ++m) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, plan->modules[m].file);
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "hymir-rt-plan: error: module %s: cannot open %s\n",
              plan->modules[m].name, path);
      status = 1;
    } else {
      fclose(f);
    }
  }
  printf("function %s (target %s, plan version %d): %zu modules, %zu "
         "weights, %zu buffers, %zu launches\n",
         plan->function, plan->target, plan->version, plan->num_modules,
         plan->num_weights, plan->num_buffers, plan->num_launches);
  for (size_t i = 0; i < plan->num_inputs; ++i) {
    printf("  input %zu: ", i);
    print_tensor(&plan->inputs[i]);
    printf("\n");
  }
  for (size_t w = 0; w < plan->num_weights; ++w) {
    printf("  weight %zu: %s ", w, plan->weights[w].name);
    print_tensor(&plan->weights[w].tensor);
    printf("\n");
  }
  for (size_t l = 0; l < plan->num_launches; ++l) {
    const hymir_rt_cuda_launch *x = &plan->launches[l];
    printf("  launch %s grid %ux%ux%u block %ux%ux%u params %zu\n", x->kernel,
           x->grid[0], x->grid[1], x->grid[2], x->block[0], x->block[1],
           x->block[2], x->num_params);
  }
  for (size_t k = 0; k < plan->num_outputs; ++k) {
    printf("  output %zu: ", k);
    print_tensor(&plan->outputs[k].tensor);
    printf("\n");
  }
  return status;
}

/// --weights: binds every weight of `plans` as the runner would.
static int check_weights(const char *path, const hymir_rt_cuda_plan *const *plans,
                         size_t n) {
  hymir_rt_error err;
  hymir_rt_safetensors *st = NULL;
  hymir_rt_cuda_weight_set set = {0};
  if (hymir_rt_safetensors_open(path, &st, &err) ||
      hymir_rt_cuda_weights_load(plans, n, st, &set, &err)) {
    fprintf(stderr, "hymir-rt-plan: error: %s\n", err.message);
    hymir_rt_safetensors_close(st);
    return 1;
  }
  printf("weights: %zu bound from %s\n", set.count, path);
  hymir_rt_cuda_weight_set_free(&set);
  hymir_rt_safetensors_close(st);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = NULL, *weights = NULL;
  int bad = argc < 2;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0) {
      dir = NULL;
      bad = 0;
      break;
    }
    if (strncmp(argv[i], "--weights=", 10) == 0)
      weights = argv[i] + 10;
    else if (argv[i][0] == '-' || dir)
      bad = 1;
    else
      dir = argv[i];
  }
  if (bad || !dir) {
    fprintf(bad ? stderr : stdout,
            "usage: hymir-rt-plan ARTIFACT_DIR [--weights=W.safetensors]\n"
            "Checks the launch plan of a CUDA artifact (or the two plans of a\n"
            "model artifact, DIR/prefill and DIR/decode, and that they form a\n"
            "model) and prints a summary; --weights also binds every weight\n"
            "by name (shape, dtype) as hymir-rt-run would.\n");
    return bad ? 2 : 0;
  }
  hymir_rt_error err;
  char sub[4096];
  struct stat info;
  snprintf(sub, sizeof(sub), "%s/" HYMIR_RT_CUDA_MODEL_PREFILL, dir);
  if (stat(sub, &info) == 0 && S_ISDIR(info.st_mode)) {
    hymir_rt_cuda_model_plans model;
    if (hymir_rt_cuda_model_read(dir, &model, &err)) {
      fprintf(stderr, "hymir-rt-plan: error: %s\n", err.message);
      return 1;
    }
    printf("model: batch %lld, prompt %lld, ", (long long)model.batch,
           (long long)model.prompt_len);
    if (model.has_kv_cache)
      printf("capacity %lld", (long long)model.capacity);
    else
      printf("no KV cache");
    printf(", vocabulary %lld, %zu states\n", (long long)model.vocab,
           model.num_states);
    int status = print_plan(sub, &model.prefill);
    snprintf(sub, sizeof(sub), "%s/" HYMIR_RT_CUDA_MODEL_DECODE, dir);
    status |= print_plan(sub, &model.decode);
    const hymir_rt_cuda_plan *plans[2] = {&model.prefill, &model.decode};
    if (weights)
      status |= check_weights(weights, plans, 2);
    hymir_rt_cuda_model_plans_free(&model);
    return status;
  }
  hymir_rt_cuda_plan plan;
  if (hymir_rt_cuda_plan_read(dir, &plan, &err)) {
    fprintf(stderr, "hymir-rt-plan: error: %s\n", err.message);
    return 1;
  }
  int status = print_plan(dir, &plan);
  const hymir_rt_cuda_plan *plans[1] = {&plan};
  if (weights)
    status |= check_weights(weights, plans, 1);
  hymir_rt_cuda_plan_free(&plan);
  return status;
}
