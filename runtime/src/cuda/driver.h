//===- driver.h - The CUDA driver API, loaded at run time -------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The backend calls the driver through this table, filled by dlopen of
// libcuda.so.1 on first use, instead of linking libcuda: a binary built with
// the CUDA headers starts on any machine, and where there is no driver (a
// build machine, CI) it reports that cleanly instead of failing to load.
// Names go through cuda.h's macros, so the versioned entry points
// (cuMemAlloc_v2, ...) are the ones looked up.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_SRC_CUDA_DRIVER_H
#define HYMIR_RT_SRC_CUDA_DRIVER_H

#include "hymir_rt/status.h"

#include <cuda.h>

#define HYMIR_RT_CUDA_DRIVER_FUNCTIONS(X)                                      \
  X(cuInit)                                                                    \
  X(cuGetErrorName)                                                            \
  X(cuGetErrorString)                                                          \
  X(cuDeviceGet)                                                               \
  X(cuDevicePrimaryCtxRetain)                                                  \
  X(cuDevicePrimaryCtxRelease)                                                 \
  X(cuCtxSetCurrent)                                                           \
  X(cuStreamCreate)                                                            \
  X(cuStreamDestroy)                                                           \
  X(cuStreamSynchronize)                                                       \
  X(cuModuleLoadData)                                                          \
  X(cuModuleUnload)                                                            \
  X(cuModuleGetFunction)                                                       \
  X(cuFuncSetAttribute)                                                        \
  X(cuMemAlloc)                                                                \
  X(cuMemFree)                                                                 \
  X(cuMemcpyHtoDAsync)                                                         \
  X(cuMemcpyDtoH)                                                              \
  X(cuMemcpyDtoDAsync)                                                         \
  X(cuMemsetD8Async)                                                           \
  X(cuLaunchKernel)                                                            \
  X(cuEventCreate)                                                             \
  X(cuEventDestroy)                                                            \
  X(cuEventRecord)                                                             \
  X(cuEventSynchronize)                                                        \
  X(cuEventElapsedTime)

typedef struct hymir_rt_cuda_driver {
#define HYMIR_RT_CUDA_DRIVER_FIELD(f) __typeof__(&f) f;
  HYMIR_RT_CUDA_DRIVER_FUNCTIONS(HYMIR_RT_CUDA_DRIVER_FIELD)
#undef HYMIR_RT_CUDA_DRIVER_FIELD
} hymir_rt_cuda_driver;

/// The driver table, loading libcuda.so.1 on the first call (thread-safe);
/// NULL with `err` set ("no CUDA driver: ...") when it cannot be loaded.
const hymir_rt_cuda_driver *hymir_rt_cuda_driver_get(hymir_rt_error *err);

#endif // HYMIR_RT_SRC_CUDA_DRIVER_H
