//===- CudaPlanFuzzer.c - libFuzzer target for CUDA launch plans --*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-cuda-plan: arbitrary bytes as a CUDA artifact's plan.txt through
// `hymir_rt_cuda_plan_parse`, the runtime's only guard before kernels are
// launched with the pointers the plan describes. On failure `*out` must be
// zeroed and the message non-empty; on success every memref parameter must
// stay inside the tensor it names (an input, a weight or a buffer) and every
// output must be a reshape of an input or buffer (the executor relies on
// both).
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda_plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond) {
  if (!cond)
    abort();
}

static int64_t numel(const hymir_rt_cuda_tensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->rank; ++i)
    n *= t->shape[i];
  return n;
}

/// The plan tensor a parameter or output names: an input, a weight (plan
/// version 2) or a buffer, its index checked.
static const hymir_rt_cuda_tensor *
tensorOf(const hymir_rt_cuda_plan *plan, int source, size_t index) {
  switch (source) {
  case HYMIR_RT_CUDA_SOURCE_INPUT:
    check(index < plan->num_inputs);
    return &plan->inputs[index];
  case HYMIR_RT_CUDA_SOURCE_WEIGHT:
    check(index < plan->num_weights);
    return &plan->weights[index].tensor;
  default:
    check(source == HYMIR_RT_CUDA_SOURCE_BUFFER && index < plan->num_buffers);
    return &plan->buffers[index];
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hymir_rt_cuda_plan plan;
  hymir_rt_error err;
  memset(&plan, 0xAB, sizeof(plan));
  int rc = hymir_rt_cuda_plan_parse((const char *)data, size, "fuzz", &plan,
                                    &err);
  if (rc != 0) {
    check(plan.num_launches == 0 && plan.launches == NULL &&
          plan.inputs == NULL && plan.modules == NULL);
    check(err.message[0] != '\0' &&
          memchr(err.message, '\0', sizeof(err.message)) != NULL);
    return 0;
  }
  for (size_t l = 0; l < plan.num_launches; ++l) {
    const hymir_rt_cuda_launch *launch = &plan.launches[l];
    check(launch->module < plan.num_modules);
    for (size_t p = 0; p < launch->num_params; ++p) {
      const hymir_rt_cuda_param *param = &launch->params[p];
      if (param->kind != HYMIR_RT_CUDA_PARAM_MEMREF)
        continue;
      const hymir_rt_cuda_tensor *t = tensorOf(&plan, param->source,
                                                param->index);
      int64_t hi = param->offset;
      for (int d = 0; d < param->rank; ++d)
        hi += (param->sizes[d] - 1) * param->strides[d];
      check(param->offset >= 0 && hi < numel(t));
    }
  }
  for (size_t k = 0; k < plan.num_outputs; ++k) {
    const hymir_rt_cuda_output *o = &plan.outputs[k];
    check(o->source != HYMIR_RT_CUDA_SOURCE_WEIGHT); // weights are read-only
    const hymir_rt_cuda_tensor *t = tensorOf(&plan, o->source, o->index);
    check(hymir_rt_cuda_tensor_bytes(&o->tensor) ==
          hymir_rt_cuda_tensor_bytes(t));
  }
  hymir_rt_cuda_plan_free(&plan);
  return 0;
}
