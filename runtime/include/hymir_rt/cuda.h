//===- cuda.h - Executing CUDA artifacts ---------------------------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The CUDA backend of the runtime (driver API only: cuModuleLoadData,
// cuLaunchKernel, streams, events). It is built when CMake finds the CUDA
// toolkit (library `hymir_rt_cuda`), needs nothing from LLVM or MLIR, and
// runs the artifacts `hymir-compile --target=cuda` writes: a directory with
// the launch plan (cuda_plan.h) and the kernel binaries.
//
// Errors from the driver carry the CUDA error name and string, and for a
// launch the kernel's name and the plan line's position.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_CUDA_H
#define HYMIR_RT_CUDA_H

#include "hymir_rt/array.h"
#include "hymir_rt/cuda_plan.h"
#include "hymir_rt/status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A device address (CUdeviceptr).
typedef uint64_t hymir_rt_cuda_ptr;

/// A loaded artifact: the plan, its modules and kernels, on one device.
typedef struct hymir_rt_cuda_executable hymir_rt_cuda_executable;

/// Loads the artifact in `dir` on device `device` (its primary context).
int hymir_rt_cuda_load(const char *dir, int device,
                       hymir_rt_cuda_executable **out, hymir_rt_error *err);

/// Unloads the modules and frees the executable (NULL is fine).
void hymir_rt_cuda_unload(hymir_rt_cuda_executable *exe);

/// The plan the executable runs.
const hymir_rt_cuda_plan *
hymir_rt_cuda_executable_plan(const hymir_rt_cuda_executable *exe);

/// Runs the plan once: checks that `inputs` match the plan's inputs (count,
/// dtype, shape; the message names the input), copies them to the device,
/// launches every kernel in order on one stream, and copies the results into
/// newly allocated `outputs[0..plan->num_outputs)`. Device buffers are freed
/// before returning, also on failure (then `outputs` are zeroed).
int hymir_rt_cuda_run(hymir_rt_cuda_executable *exe,
                      const hymir_rt_array *inputs, size_t num_inputs,
                      hymir_rt_array *outputs, hymir_rt_error *err);

/// Times the plan's kernels: inputs copied once, `warmup` untimed runs, then
/// `repeats` runs between two CUDA events; `*ms` is the mean per run.
int hymir_rt_cuda_time(hymir_rt_cuda_executable *exe,
                       const hymir_rt_array *inputs, size_t num_inputs,
                       int warmup, int repeats, double *ms,
                       hymir_rt_error *err);

//===----------------------------------------------------------------------===//
// Device-resident execution (models: weights loaded once, states kept on
// the device between calls)
//===----------------------------------------------------------------------===//

/// Device memory in the executable's context. `hymir_rt_cuda_free` accepts 0.
int hymir_rt_cuda_alloc(hymir_rt_cuda_executable *exe, size_t bytes,
                        hymir_rt_cuda_ptr *out, hymir_rt_error *err);
void hymir_rt_cuda_free(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr p);
/// Synchronous copies (the executable's stream, then a wait).
int hymir_rt_cuda_upload(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                         const void *src, size_t bytes, hymir_rt_error *err);
int hymir_rt_cuda_download(hymir_rt_cuda_executable *exe, void *dst,
                           hymir_rt_cuda_ptr src, size_t bytes,
                           hymir_rt_error *err);

/// Device-to-device copy and zero fill, asynchronous on the stream.
int hymir_rt_cuda_copy(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                       hymir_rt_cuda_ptr src, size_t bytes,
                       hymir_rt_error *err);
int hymir_rt_cuda_zero(hymir_rt_cuda_executable *exe, hymir_rt_cuda_ptr dst,
                       size_t bytes, hymir_rt_error *err);

/// Points the plan's weights at device buffers `ptrs[0..plan->num_weights)`
/// (not owned: they must outlive every run). Runs of a plan with weights
/// fail until they are bound.
int hymir_rt_cuda_bind_weights(hymir_rt_cuda_executable *exe,
                               const hymir_rt_cuda_ptr *ptrs, size_t n,
                               hymir_rt_error *err);

/// Runs the plan on device-resident inputs (`inputs[i]` holds the plan's
/// input i) and returns its results as device buffers the caller owns
/// (`outputs[0..num_outputs)`, free each with hymir_rt_cuda_free): a result
/// that is a plan buffer is handed over, one that is an input (or a buffer
/// already handed over) is copied. `sync` waits for the kernels (so does a
/// plan with temporaries, which are freed before returning).
int hymir_rt_cuda_run_resident(hymir_rt_cuda_executable *exe,
                               const hymir_rt_cuda_ptr *inputs,
                               hymir_rt_cuda_ptr *outputs, int sync,
                               hymir_rt_error *err);

/// Greedy generation with a model artifact (hymir_rt_cuda_model_read):
/// prefill on `prompt` (i32 [B, T], the artifact's shapes), then `n - 1`
/// decode steps, each feeding back the argmax of the last logits (ties to
/// the lowest id); states stay on the device, KV caches are grown from T to
/// the capacity C once after prefill, so `n - 1 <= C - T`. `weights` holds
/// every weight of both plans (hymir_rt_cuda_weights_load); they are
/// uploaded once and shared.
typedef struct hymir_rt_cuda_generation {
  int32_t *ids;                  ///< [B, n], malloc'ed
  hymir_rt_array prefill_logits; ///< f32 [B, T, V]
  double prefill_seconds, decode_seconds;
} hymir_rt_cuda_generation;

int hymir_rt_cuda_generate(const char *dir, int device,
                           const hymir_rt_cuda_model_plans *model,
                           const hymir_rt_cuda_weight_set *weights,
                           const int32_t *prompt, int n,
                           hymir_rt_cuda_generation *out, hymir_rt_error *err);

void hymir_rt_cuda_generation_free(hymir_rt_cuda_generation *g);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_CUDA_H
