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

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_CUDA_H
