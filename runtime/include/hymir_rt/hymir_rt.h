//===- hymir_rt.h - Hymir runtime umbrella header -----------------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Includes the whole public C API of the Hymir runtime (`libhymir_rt`). The
// runtime has no LLVM/MLIR dependency; every symbol is prefixed `hymir_rt_`.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_HYMIR_RT_H
#define HYMIR_RT_HYMIR_RT_H

#include "hymir_rt/array.h"
#include "hymir_rt/npy.h"
#include "hymir_rt/safetensors.h"
#include "hymir_rt/status.h"

#endif // HYMIR_RT_HYMIR_RT_H
