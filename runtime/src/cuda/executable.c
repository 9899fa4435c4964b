//===- executable.c - Loading and running CUDA artifacts --------------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The plan is validated by the parser (src/common/cuda_plan.c); this file
// only talks to the driver. One stream, kernels in plan order; the device
// buffers of a run live for that run.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda.h"

#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// The driver table; every function below runs after hymir_rt_cuda_load
/// has obtained it (a load without a driver fails first).
static const hymir_rt_cuda_driver *CU;

struct hymir_rt_cuda_executable {
  hymir_rt_cuda_plan plan;
  CUdevice device;
  CUcontext context;
  CUmodule *modules;
  CUfunction *kernels; ///< one per launch
  CUstream stream;
  /// Device buffers of the plan's weights (not owned), once bound.
  hymir_rt_cuda_ptr *weights;
  int weights_bound;
};

/// Sets `err` from a driver error: "<what>: CUDA_ERROR_X (string)".
static int cuda_fail(hymir_rt_error *err, CUresult rc, const char *what) {
  const char *name = NULL, *text = NULL;
  CU->cuGetErrorName(rc, &name);
  CU->cuGetErrorString(rc, &text);
  return hymir_rt_error_set(err, HYMIR_RT_DEVICE_ERROR, "%s: %s (%s)", what,
                            name ? name : "unknown CUDA error",
                            text ? text : "no description");
}

#define CU_CHECK(call, what)                                                   \
  do {                                                                         \
    CUresult rc_ = (call);                                                     \
    if (rc_ != CUDA_SUCCESS)                                                   \
      return cuda_fail(err, rc_, what);                                        \
  } while (0)

static int read_file(const char *path, char **data, size_t *len,
                     hymir_rt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: %s", path,
                              strerror(errno));
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: cannot seek", path);
  }
  long size = ftell(f);
  rewind(f);
  if (size <= 0) {
    fclose(f);
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR, "%s: empty file",
                              path);
  }
  // +1: PTX must be NUL-terminated for cuModuleLoadData.
  *data = calloc((size_t)size + 1, 1);
  if (!*data) {
    fclose(f);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "%s: out of memory",
                              path);
  }
  *len = fread(*data, 1, (size_t)size, f);
  fclose(f);
  if (*len != (size_t)size) {
    free(*data);
    *data = NULL;
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: short read", path);
  }
  return 0;
}

int hymir_rt_cuda_load(const char *dir, int device,
                       hymir_rt_cuda_executable **out, hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_load: null output");
  *out = NULL;
  hymir_rt_cuda_executable *exe = calloc(1, sizeof(*exe));
  if (!exe)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  int rc = hymir_rt_cuda_plan_read(dir, &exe->plan, err);
  if (rc) {
    free(exe);
    return rc;
  }
  *out = exe; // from here on, hymir_rt_cuda_unload cleans up on failure
  if (!(CU = hymir_rt_cuda_driver_get(err)))
    return err->code;
  CU_CHECK(CU->cuInit(0), "cuInit");
  CU_CHECK(CU->cuDeviceGet(&exe->device, device), "cuDeviceGet");
  CU_CHECK(CU->cuDevicePrimaryCtxRetain(&exe->context, exe->device),
           "cuDevicePrimaryCtxRetain");
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  CU_CHECK(CU->cuStreamCreate(&exe->stream, CU_STREAM_NON_BLOCKING),
           "cuStreamCreate");
  exe->modules = calloc(exe->plan.num_modules + 1, sizeof(CUmodule));
  exe->kernels = calloc(exe->plan.num_launches + 1, sizeof(CUfunction));
  if (!exe->modules || !exe->kernels)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  for (size_t m = 0; m < exe->plan.num_modules; ++m) {
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", dir, exe->plan.modules[m].file) >=
        (int)sizeof(path))
      return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: path too long", dir);
    char *data = NULL;
    size_t len = 0;
    if ((rc = read_file(path, &data, &len, err)))
      return rc;
    CUresult cu = CU->cuModuleLoadData(&exe->modules[m], data);
    free(data);
    if (cu != CUDA_SUCCESS) {
      char what[4200];
      snprintf(what, sizeof(what), "loading %.4000s (built for %.64s)", path,
               exe->plan.target);
      return cuda_fail(err, cu, what);
    }
  }
  for (size_t l = 0; l < exe->plan.num_launches; ++l) {
    const hymir_rt_cuda_launch *launch = &exe->plan.launches[l];
    CUresult cu = CU->cuModuleGetFunction(
        &exe->kernels[l], exe->modules[launch->module], launch->kernel);
    if (cu != CUDA_SUCCESS) {
      char what[600];
      snprintf(what, sizeof(what), "kernel %s of module %s", launch->kernel,
               exe->plan.modules[launch->module].name);
      return cuda_fail(err, cu, what);
    }
    if (launch->shared_bytes > 48 * 1024)
      CU_CHECK(CU->cuFuncSetAttribute(
                   exe->kernels[l],
                   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                   (int)launch->shared_bytes),
               "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
  }
  return 0;
}

void hymir_rt_cuda_unload(hymir_rt_cuda_executable *exe) {
  if (!exe)
    return;
  if (exe->context) {
    CU->cuCtxSetCurrent(exe->context);
    for (size_t m = 0; exe->modules && m < exe->plan.num_modules; ++m)
      if (exe->modules[m])
        CU->cuModuleUnload(exe->modules[m]);
    if (exe->stream)
      CU->cuStreamDestroy(exe->stream);
    CU->cuDevicePrimaryCtxRelease(exe->device);
  }
  free(exe->modules);
  free(exe->kernels);
  free(exe->weights);
  hymir_rt_cuda_plan_free(&exe->plan);
  free(exe);
}

const hymir_rt_cuda_plan *
hymir_rt_cuda_executable_plan(const hymir_rt_cuda_executable *exe) {
  return exe ? &exe->plan : NULL;
}

/// Device memory of one run: the inputs' copies and the plan's buffers.
typedef struct device_state {
  CUdeviceptr *inputs;
  CUdeviceptr *buffers;
  size_t num_inputs, num_buffers;
} device_state;

static void free_state(device_state *s) {
  for (size_t i = 0; s->inputs && i < s->num_inputs; ++i)
    if (s->inputs[i])
      CU->cuMemFree(s->inputs[i]);
  for (size_t i = 0; s->buffers && i < s->num_buffers; ++i)
    if (s->buffers[i])
      CU->cuMemFree(s->buffers[i]);
  free(s->inputs);
  free(s->buffers);
  memset(s, 0, sizeof(*s));
}

static int alloc_state(hymir_rt_cuda_executable *exe,
                       const hymir_rt_array *inputs, device_state *s,
                       hymir_rt_error *err) {
  const hymir_rt_cuda_plan *plan = &exe->plan;
  s->num_inputs = plan->num_inputs;
  s->num_buffers = plan->num_buffers;
  s->inputs = calloc(plan->num_inputs + 1, sizeof(CUdeviceptr));
  s->buffers = calloc(plan->num_buffers + 1, sizeof(CUdeviceptr));
  if (!s->inputs || !s->buffers)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < plan->num_inputs; ++i) {
    size_t bytes = hymir_rt_cuda_tensor_bytes(&plan->inputs[i]);
    CU_CHECK(CU->cuMemAlloc(&s->inputs[i], bytes), "cuMemAlloc (input)");
    CU_CHECK(CU->cuMemcpyHtoDAsync(s->inputs[i], inputs[i].data, bytes,
                               exe->stream),
             "cuMemcpyHtoD");
  }
  for (size_t i = 0; i < plan->num_buffers; ++i) {
    size_t bytes = hymir_rt_cuda_tensor_bytes(&plan->buffers[i]);
    CU_CHECK(CU->cuMemAlloc(&s->buffers[i], bytes), "cuMemAlloc (buffer)");
  }
  return 0;
}

static int check_weights_bound(const hymir_rt_cuda_executable *exe,
                               hymir_rt_error *err) {
  if (exe->plan.num_weights && !exe->weights_bound)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s takes %zu weights, which are not bound",
                              exe->plan.function, exe->plan.num_weights);
  return 0;
}

static int launch_all(hymir_rt_cuda_executable *exe, const device_state *s,
                      hymir_rt_error *err) {
  const hymir_rt_cuda_plan *plan = &exe->plan;
  for (size_t l = 0; l < plan->num_launches; ++l) {
    const hymir_rt_cuda_launch *launch = &plan->launches[l];
    // Each kernel parameter is one 64-bit slot (memref descriptors expand
    // to 3 + 2 * rank of them); 32-bit scalars use the low half.
    size_t slots = 0;
    for (size_t p = 0; p < launch->num_params; ++p)
      slots += launch->params[p].kind == HYMIR_RT_CUDA_PARAM_MEMREF
                   ? 3 + 2 * (size_t)launch->params[p].rank
                   : 1;
    uint64_t *values = calloc(slots + 1, sizeof(uint64_t));
    void **args = calloc(slots + 1, sizeof(void *));
    if (!values || !args) {
      free(values);
      free(args);
      return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
    }
    size_t k = 0;
    for (size_t p = 0; p < launch->num_params; ++p) {
      const hymir_rt_cuda_param *param = &launch->params[p];
      if (param->kind != HYMIR_RT_CUDA_PARAM_MEMREF) {
        if (param->kind == HYMIR_RT_CUDA_PARAM_I32 ||
            param->kind == HYMIR_RT_CUDA_PARAM_F32) {
          uint32_t low = (uint32_t)param->bits;
          memcpy(&values[k], &low, sizeof(low));
        } else {
          values[k] = param->bits;
        }
        ++k;
        continue;
      }
      CUdeviceptr base =
          param->source == HYMIR_RT_CUDA_SOURCE_INPUT    ? s->inputs[param->index]
          : param->source == HYMIR_RT_CUDA_SOURCE_WEIGHT ? exe->weights[param->index]
                                                         : s->buffers[param->index];
      values[k++] = (uint64_t)base; // allocated pointer
      values[k++] = (uint64_t)base; // aligned pointer
      values[k++] = (uint64_t)param->offset;
      for (int d = 0; d < param->rank; ++d)
        values[k++] = (uint64_t)param->sizes[d];
      for (int d = 0; d < param->rank; ++d)
        values[k++] = (uint64_t)param->strides[d];
    }
    for (size_t i = 0; i < slots; ++i)
      args[i] = &values[i];
    CUresult rc = CU->cuLaunchKernel(
        exe->kernels[l], launch->grid[0], launch->grid[1], launch->grid[2],
        launch->block[0], launch->block[1], launch->block[2],
        launch->shared_bytes, exe->stream, args, NULL);
    free(values);
    free(args);
    if (rc != CUDA_SUCCESS) {
      char what[600];
      snprintf(what, sizeof(what), "launch #%zu, kernel %s of module %s", l,
               launch->kernel, plan->modules[launch->module].name);
      return cuda_fail(err, rc, what);
    }
  }
  return 0;
}

/// Waits for the stream; an asynchronous kernel fault surfaces here.
static int sync_stream(hymir_rt_cuda_executable *exe, hymir_rt_error *err) {
  CUresult rc = CU->cuStreamSynchronize(exe->stream);
  if (rc != CUDA_SUCCESS)
    return cuda_fail(err, rc,
                     "running the kernels of the plan (a kernel faulted)");
  return 0;
}

int hymir_rt_cuda_run(hymir_rt_cuda_executable *exe,
                      const hymir_rt_array *inputs, size_t num_inputs,
                      hymir_rt_array *outputs, hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!exe || (!inputs && num_inputs) || !outputs)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_run: null argument");
  const hymir_rt_cuda_plan *plan = &exe->plan;
  memset(outputs, 0, plan->num_outputs * sizeof(*outputs));
  int rc = hymir_rt_cuda_check_inputs(plan, inputs, num_inputs, err);
  if (!rc)
    rc = check_weights_bound(exe, err);
  if (rc)
    return rc;
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  device_state state = {0};
  rc = alloc_state(exe, inputs, &state, err);
  if (!rc)
    rc = launch_all(exe, &state, err);
  if (!rc)
    rc = sync_stream(exe, err);
  for (size_t k = 0; !rc && k < plan->num_outputs; ++k) {
    const hymir_rt_cuda_output *o = &plan->outputs[k];
    const hymir_rt_cuda_tensor *t = &o->tensor;
    CUdeviceptr src = o->source == HYMIR_RT_CUDA_SOURCE_INPUT
                          ? state.inputs[o->index]
                          : state.buffers[o->index];
    rc = hymir_rt_array_alloc(t->dtype, t->rank, t->shape, &outputs[k], err);
    if (!rc) {
      CUresult cu = CU->cuMemcpyDtoH(outputs[k].data, src,
                                 hymir_rt_cuda_tensor_bytes(t));
      if (cu != CUDA_SUCCESS)
        rc = cuda_fail(err, cu, "cuMemcpyDtoH (output)");
    }
  }
  free_state(&state);
  if (rc)
    for (size_t k = 0; k < plan->num_outputs; ++k)
      hymir_rt_array_free(&outputs[k]);
  return rc;
}

int hymir_rt_cuda_time(hymir_rt_cuda_executable *exe,
                       const hymir_rt_array *inputs, size_t num_inputs,
                       int warmup, int repeats, double *ms,
                       hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  if (!exe || !ms || repeats < 1 || warmup < 0)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "hymir_rt_cuda_time: bad argument");
  int rc = hymir_rt_cuda_check_inputs(&exe->plan, inputs, num_inputs, err);
  if (!rc)
    rc = check_weights_bound(exe, err);
  if (rc)
    return rc;
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  device_state state = {0};
  CUevent start = NULL, stop = NULL;
  rc = alloc_state(exe, inputs, &state, err);
  for (int i = 0; !rc && i < warmup; ++i)
    rc = launch_all(exe, &state, err);
  if (!rc)
    rc = sync_stream(exe, err);
  CUresult cu = CUDA_SUCCESS;
  if (!rc && ((cu = CU->cuEventCreate(&start, CU_EVENT_DEFAULT)) != CUDA_SUCCESS ||
              (cu = CU->cuEventCreate(&stop, CU_EVENT_DEFAULT)) != CUDA_SUCCESS ||
              (cu = CU->cuEventRecord(start, exe->stream)) != CUDA_SUCCESS))
    rc = cuda_fail(err, cu, "cuEvent");
  for (int i = 0; !rc && i < repeats; ++i)
    rc = launch_all(exe, &state, err);
  float elapsed = 0;
  if (!rc && ((cu = CU->cuEventRecord(stop, exe->stream)) != CUDA_SUCCESS ||
              (cu = CU->cuEventSynchronize(stop)) != CUDA_SUCCESS ||
              (cu = CU->cuEventElapsedTime(&elapsed, start, stop)) != CUDA_SUCCESS))
    rc = cuda_fail(err, cu, "timing the kernels");
  if (!rc)
    *ms = (double)elapsed / repeats;
  if (start)
    CU->cuEventDestroy(start);
  if (stop)
    CU->cuEventDestroy(stop);
  free_state(&state);
  return rc;
}

//===----------------------------------------------------------------------===//
// Device-resident execution
//===----------------------------------------------------------------------===//

int hymir_rt_cuda_alloc(hymir_rt_cuda_executable *exe, size_t bytes,
                        hymir_rt_cuda_ptr *out, hymir_rt_error *err) {
  *out = 0;
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  CUdeviceptr p = 0;
  CU_CHECK(CU->cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
  *out = (hymir_rt_cuda_ptr)p;
  return 0;
}

void hymir_rt_cuda_free(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr p) {
  if (!exe || !p)
    return;
  CU->cuCtxSetCurrent(exe->context);
  CU->cuMemFree((CUdeviceptr)p);
}

int hymir_rt_cuda_upload(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                         const void *src, size_t bytes, hymir_rt_error *err) {
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  CU_CHECK(CU->cuMemcpyHtoDAsync((CUdeviceptr)dst, src, bytes, exe->stream),
           "cuMemcpyHtoD");
  return sync_stream(exe, err);
}

int hymir_rt_cuda_download(hymir_rt_cuda_executable *exe, void *dst,
                           hymir_rt_cuda_ptr src, size_t bytes,
                           hymir_rt_error *err) {
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  // The stream is non-blocking: wait for its kernels before a copy on the
  // legacy stream.
  int rc = sync_stream(exe, err);
  if (rc)
    return rc;
  CU_CHECK(CU->cuMemcpyDtoH(dst, (CUdeviceptr)src, bytes), "cuMemcpyDtoH");
  return 0;
}

int hymir_rt_cuda_copy(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                       hymir_rt_cuda_ptr src, size_t bytes,
                       hymir_rt_error *err) {
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  CU_CHECK(CU->cuMemcpyDtoDAsync((CUdeviceptr)dst, (CUdeviceptr)src, bytes,
                                 exe->stream),
           "cuMemcpyDtoD");
  return 0;
}

int hymir_rt_cuda_zero(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                       size_t bytes, hymir_rt_error *err) {
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  CU_CHECK(CU->cuMemsetD8Async((CUdeviceptr)dst, 0, bytes, exe->stream),
           "cuMemsetD8");
  return 0;
}

int hymir_rt_cuda_bind_weights(hymir_rt_cuda_executable *exe,
                               const hymir_rt_cuda_ptr *ptrs, size_t n,
                               hymir_rt_error *err) {
  if (n != exe->plan.num_weights)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s takes %zu weights, %zu given",
                              exe->plan.function, exe->plan.num_weights, n);
  free(exe->weights);
  exe->weights = calloc(n + 1, sizeof(*exe->weights));
  if (!exe->weights)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < n; ++i)
    exe->weights[i] = ptrs[i];
  exe->weights_bound = 1;
  return 0;
}

int hymir_rt_cuda_run_resident(hymir_rt_cuda_executable *exe,
                               const hymir_rt_cuda_ptr *inputs,
                               hymir_rt_cuda_ptr *outputs, int sync,
                               hymir_rt_error *err) {
  hymir_rt_error_clear(err);
  const hymir_rt_cuda_plan *plan = &exe->plan;
  memset(outputs, 0, plan->num_outputs * sizeof(*outputs));
  int rc = check_weights_bound(exe, err);
  if (rc)
    return rc;
  CU_CHECK(CU->cuCtxSetCurrent(exe->context), "cuCtxSetCurrent");
  device_state s = {0};
  s.num_buffers = plan->num_buffers;
  s.inputs = calloc(plan->num_inputs + 1, sizeof(CUdeviceptr));
  s.buffers = calloc(plan->num_buffers + 1, sizeof(CUdeviceptr));
  if (!s.inputs || !s.buffers) {
    free(s.inputs);
    free(s.buffers);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  }
  // Inputs are the caller's: free_state must not free them.
  for (size_t i = 0; i < plan->num_inputs; ++i)
    s.inputs[i] = (CUdeviceptr)inputs[i];
  CUresult cu = CUDA_SUCCESS;
  for (size_t i = 0; !rc && i < plan->num_buffers; ++i)
    if ((cu = CU->cuMemAlloc(&s.buffers[i], hymir_rt_cuda_tensor_bytes(
                                                &plan->buffers[i]))) !=
        CUDA_SUCCESS)
      rc = cuda_fail(err, cu, "cuMemAlloc (buffer)");
  if (!rc)
    rc = launch_all(exe, &s, err);
  for (size_t k = 0; !rc && k < plan->num_outputs; ++k) {
    const hymir_rt_cuda_output *o = &plan->outputs[k];
    if (o->source == HYMIR_RT_CUDA_SOURCE_BUFFER && s.buffers[o->index]) {
      outputs[k] = (hymir_rt_cuda_ptr)s.buffers[o->index];
      s.buffers[o->index] = 0; // handed over
      continue;
    }
    // An input, or a buffer that an earlier result took: copy it.
    size_t bytes = hymir_rt_cuda_tensor_bytes(&o->tensor);
    CUdeviceptr src = o->source == HYMIR_RT_CUDA_SOURCE_INPUT
                          ? s.inputs[o->index]
                          : (CUdeviceptr)outputs[0];
    for (size_t j = 0; o->source == HYMIR_RT_CUDA_SOURCE_BUFFER && j < k; ++j)
      if (plan->outputs[j].source == HYMIR_RT_CUDA_SOURCE_BUFFER &&
          plan->outputs[j].index == o->index)
        src = (CUdeviceptr)outputs[j];
    CUdeviceptr copy = 0;
    if ((cu = CU->cuMemAlloc(&copy, bytes)) != CUDA_SUCCESS ||
        (cu = CU->cuMemcpyDtoDAsync(copy, src, bytes, exe->stream)) !=
            CUDA_SUCCESS) {
      if (copy)
        CU->cuMemFree(copy);
      rc = cuda_fail(err, cu, "copying a result");
      break;
    }
    outputs[k] = (hymir_rt_cuda_ptr)copy;
  }
  // The temporaries (buffers not handed over) are freed below: the kernels
  // must be done with them first.
  int temporaries = 0;
  for (size_t i = 0; i < plan->num_buffers; ++i)
    temporaries |= s.buffers[i] != 0;
  if (!rc && (sync || temporaries)) {
    rc = sync_stream(exe, err);
  } else if (rc) {
    hymir_rt_error ignored;
    sync_stream(exe, &ignored);
  }
  for (size_t i = 0; i < plan->num_buffers; ++i)
    if (s.buffers[i])
      CU->cuMemFree(s.buffers[i]);
  free(s.inputs);
  free(s.buffers);
  if (rc)
    for (size_t k = 0; k < plan->num_outputs; ++k) {
      if (outputs[k])
        CU->cuMemFree((CUdeviceptr)outputs[k]);
      outputs[k] = 0;
    }
  return rc;
}
