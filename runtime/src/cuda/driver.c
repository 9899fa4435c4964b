//===- driver.c - The CUDA driver API, loaded at run time ------------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define HYMIR_RT_STR(x) #x
#define HYMIR_RT_XSTR(x) HYMIR_RT_STR(x)

static hymir_rt_cuda_driver driver;
static char load_error[HYMIR_RT_ERROR_MESSAGE_SIZE];
static int loaded; // 1: ok, -1: failed
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    snprintf(load_error, sizeof(load_error),
             "no CUDA driver: %s (the runtime needs an NVIDIA driver to run "
             "CUDA artifacts)",
             why ? why : "libcuda.so.1 not found");
    loaded = -1;
    return;
  }
#define HYMIR_RT_CUDA_DRIVER_LOOKUP(f)                                         \
  *(void **)&driver.f = dlsym(lib, HYMIR_RT_XSTR(f));                          \
  if (!driver.f) {                                                             \
    snprintf(load_error, sizeof(load_error),                                   \
             "the CUDA driver lacks %s (driver too old?)", HYMIR_RT_XSTR(f));  \
    loaded = -1;                                                               \
    return;                                                                    \
  }
  HYMIR_RT_CUDA_DRIVER_FUNCTIONS(HYMIR_RT_CUDA_DRIVER_LOOKUP)
#undef HYMIR_RT_CUDA_DRIVER_LOOKUP
  loaded = 1;
}

const hymir_rt_cuda_driver *hymir_rt_cuda_driver_get(hymir_rt_error *err) {
  pthread_once(&once, load);
  if (loaded == 1)
    return &driver;
  hymir_rt_error_set(err, HYMIR_RT_DEVICE_ERROR, "%s", load_error);
  return NULL;
}
