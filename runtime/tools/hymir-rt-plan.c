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

#include <stdio.h>
#include <string.h>

static void print_tensor(const hymir_rt_cuda_tensor *t) {
  printf("%s[", hymir_rt_dtype_name(t->dtype));
  for (int d = 0; d < t->rank; ++d)
    printf("%s%lld", d ? "," : "", (long long)t->shape[d]);
  printf("]");
}

int main(int argc, char **argv) {
  if (argc != 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc == 2 ? stdout : stderr,
            "usage: hymir-rt-plan ARTIFACT_DIR\n"
            "Checks the launch plan of a CUDA artifact and prints a summary.\n");
    return argc == 2 ? 0 : 2;
  }
  hymir_rt_cuda_plan plan;
  hymir_rt_error err;
  if (hymir_rt_cuda_plan_read(argv[1], &plan, &err)) {
    fprintf(stderr, "hymir-rt-plan: error: %s\n", err.message);
    return 1;
  }
  int status = 0;
  for (size_t m = 0; m < plan.num_modules; ++m) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", argv[1], plan.modules[m].file);
    FILE *f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "hymir-rt-plan: error: module %s: cannot open %s\n",
              plan.modules[m].name, path);
      status = 1;
    } else {
      fclose(f);
    }
  }
  printf("function %s (target %s): %zu modules, %zu buffers, %zu launches\n",
         plan.function, plan.target, plan.num_modules, plan.num_buffers,
         plan.num_launches);
  for (size_t i = 0; i < plan.num_inputs; ++i) {
    printf("  input %zu: ", i);
    print_tensor(&plan.inputs[i]);
    printf("\n");
  }
  for (size_t l = 0; l < plan.num_launches; ++l) {
    const hymir_rt_cuda_launch *x = &plan.launches[l];
    printf("  launch %s grid %ux%ux%u block %ux%ux%u params %zu\n", x->kernel,
           x->grid[0], x->grid[1], x->grid[2], x->block[0], x->block[1],
           x->block[2], x->num_params);
  }
  for (size_t k = 0; k < plan.num_outputs; ++k) {
    printf("  output %zu: ", k);
    print_tensor(&plan.outputs[k].tensor);
    printf("\n");
  }
  hymir_rt_cuda_plan_free(&plan);
  return status;
}
