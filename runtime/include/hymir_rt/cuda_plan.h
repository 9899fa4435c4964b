//===- cuda_plan.h - CUDA launch plans (compiler/runtime contract) -*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A CUDA artifact is a directory: `plan.txt` and one cubin (or PTX) file per
// kernel module. The plan is data, not host code (DESIGN §4): what to
// allocate and which kernels to launch with which grid, block and
// parameters, for one entry point specialised to static shapes. The
// compiler (lib/Target/CUDA) writes it and the runtime (src/cuda) executes
// it; this header is the one definition of the format both sides use, and
// docs/cuda-artifacts.md describes it with an example.
//
// The plan is line-oriented text, whitespace-separated tokens, '#' comments:
//
//   hymir-cuda-plan 2
//   target sm_90a
//   module <name> <file>                      one per kernel module
//   function <name>
//   input <i> <dtype> <rank> <dims...> [<role>]
//                                             entry arguments, in order
//   weight <w> <dtype> <rank> <dims...> <name>
//                                             model weights: device buffers
//                                             the runtime fills at load time
//                                             from the checkpoint tensor
//                                             <name> (read-only, shared by
//                                             the plans of one model)
//   buffer <j> <dtype> <rank> <dims...>       device buffers it allocates
//   launch <module> <kernel> <gx> <gy> <gz> <bx> <by> <bz> <smem> <nparams>
//   param memref in|wt|buf <index> <offset> <rank> <sizes...> <strides...>
//   param i64|i32 <decimal>   param f32|f64 <hex bits>
//   output <k> in|buf <index> <dtype> <rank> <dims...> [<role>]
//                                             results, in order: a whole
//                                             input or buffer, seen with
//                                             this shape (same elements)
//   end
//
// A <role> marks a model state the runner treats specially: `kv_cache` (a
// preallocated KV cache [B, C, Hkv, D], grown along axis 1 from @prefill's
// T rows to @decode's capacity C) or `kv_lengths` (the cache lengths, [B]
// i32). Version 1 plans (no weights, no roles) are still read; a weight
// name is one token (no whitespace, no '#').
//
// A model artifact (docs/cuda-artifacts.md) is a directory with two plan
// directories, prefill/ and decode/ (HYMIR_RT_CUDA_MODEL_*): @prefill at
// [B, T] and @decode at [B] with caches of capacity C, whose weights with
// the same name are one device buffer.
//
// A `memref` parameter is the expanded descriptor of MLIR's LLVM lowering:
// allocated pointer, aligned pointer, offset, sizes, strides (one kernel
// parameter each, 64-bit). Offsets and strides are in elements.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_CUDA_PLAN_H
#define HYMIR_RT_CUDA_PLAN_H

#include "hymir_rt/array.h"
#include "hymir_rt/safetensors.h"
#include "hymir_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// First token of a plan and the format version this runtime reads.
#define HYMIR_RT_CUDA_PLAN_MAGIC "hymir-cuda-plan"
#define HYMIR_RT_CUDA_PLAN_VERSION 2
/// The oldest version this runtime still reads (no weights, no roles).
#define HYMIR_RT_CUDA_PLAN_MIN_VERSION 1
/// File name of the plan inside an artifact directory.
#define HYMIR_RT_CUDA_PLAN_FILE "plan.txt"
/// Plan directories of a model artifact.
#define HYMIR_RT_CUDA_MODEL_PREFILL "prefill"
#define HYMIR_RT_CUDA_MODEL_DECODE "decode"

/// Limits the parser enforces (a plan beyond them is rejected, not truncated).
#define HYMIR_RT_CUDA_PLAN_MAX_NAME 255
#define HYMIR_RT_CUDA_PLAN_MAX_PARAMS 4096

typedef enum hymir_rt_cuda_param_kind {
  HYMIR_RT_CUDA_PARAM_MEMREF = 1,
  HYMIR_RT_CUDA_PARAM_I64 = 2,
  HYMIR_RT_CUDA_PARAM_I32 = 3,
  HYMIR_RT_CUDA_PARAM_F32 = 4,
  HYMIR_RT_CUDA_PARAM_F64 = 5,
} hymir_rt_cuda_param_kind;

/// Where a memref parameter or an output lives.
typedef enum hymir_rt_cuda_source {
  HYMIR_RT_CUDA_SOURCE_INPUT = 1,
  HYMIR_RT_CUDA_SOURCE_BUFFER = 2,
  HYMIR_RT_CUDA_SOURCE_WEIGHT = 3, ///< version 2; never an output
} hymir_rt_cuda_source;

/// What a model state is to the runner (version 2; NONE for everything else).
typedef enum hymir_rt_cuda_role {
  HYMIR_RT_CUDA_ROLE_NONE = 0,
  HYMIR_RT_CUDA_ROLE_KV_CACHE = 1,   ///< "kv_cache"
  HYMIR_RT_CUDA_ROLE_KV_LENGTHS = 2, ///< "kv_lengths"
} hymir_rt_cuda_role;

typedef struct hymir_rt_cuda_param {
  hymir_rt_cuda_param_kind kind;
  /// MEMREF: the buffer and the view of it.
  hymir_rt_cuda_source source;
  size_t index;
  int64_t offset;
  int rank;
  int64_t sizes[HYMIR_RT_MAX_RANK];
  int64_t strides[HYMIR_RT_MAX_RANK];
  /// Scalars: the value's bits (i32/f32 in the low 32 bits).
  uint64_t bits;
} hymir_rt_cuda_param;

typedef struct hymir_rt_cuda_launch {
  size_t module; ///< index into the plan's modules
  char kernel[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
  uint32_t grid[3];
  uint32_t block[3];
  uint32_t shared_bytes;
  size_t num_params;
  hymir_rt_cuda_param *params;
} hymir_rt_cuda_launch;

/// A tensor of the plan: dtype and static shape.
typedef struct hymir_rt_cuda_tensor {
  hymir_rt_dtype dtype;
  int rank;
  int64_t shape[HYMIR_RT_MAX_RANK];
  /// Inputs and outputs only.
  hymir_rt_cuda_role role;
} hymir_rt_cuda_tensor;

/// A weight: a tensor bound by checkpoint name.
typedef struct hymir_rt_cuda_weight {
  char name[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
  hymir_rt_cuda_tensor tensor;
} hymir_rt_cuda_weight;

typedef struct hymir_rt_cuda_output {
  hymir_rt_cuda_source source;
  size_t index;
  /// The result's dtype and shape (a reshape of the tensor it names).
  hymir_rt_cuda_tensor tensor;
} hymir_rt_cuda_output;

typedef struct hymir_rt_cuda_module {
  char name[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
  char file[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
} hymir_rt_cuda_module;

typedef struct hymir_rt_cuda_plan {
  int version;
  char target[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
  char function[HYMIR_RT_CUDA_PLAN_MAX_NAME + 1];
  size_t num_modules, num_inputs, num_weights, num_buffers, num_launches,
      num_outputs;
  hymir_rt_cuda_module *modules;
  hymir_rt_cuda_tensor *inputs;
  hymir_rt_cuda_weight *weights;
  hymir_rt_cuda_tensor *buffers;
  hymir_rt_cuda_launch *launches;
  hymir_rt_cuda_output *outputs;
} hymir_rt_cuda_plan;

/// Parses plan text `text[0..len)`. Every reference is checked: modules,
/// inputs and buffers exist, memref views stay inside their buffer (offset,
/// sizes and strides), shapes and sizes are positive and their byte counts
/// do not overflow, grid and block fit CUDA's limits, module files are plain
/// names (no '/'). Messages are `NAME:LINE: ...`. On failure `*out` is zeroed.
int hymir_rt_cuda_plan_parse(const char *text, size_t len, const char *name,
                             hymir_rt_cuda_plan *out, hymir_rt_error *err);

/// Reads and parses DIR/plan.txt.
int hymir_rt_cuda_plan_read(const char *artifact_dir, hymir_rt_cuda_plan *out,
                            hymir_rt_error *err);

/// Frees what a successful parse allocated and zeroes `*plan`.
void hymir_rt_cuda_plan_free(hymir_rt_cuda_plan *plan);

/// Checks that `inputs` match the plan's inputs (count, dtype, shape); the
/// message names the input and both shapes.
int hymir_rt_cuda_check_inputs(const hymir_rt_cuda_plan *plan,
                               const hymir_rt_array *inputs, size_t n,
                               hymir_rt_error *err);

/// Bytes of one tensor of the plan (checked at parse time not to overflow).
size_t hymir_rt_cuda_tensor_bytes(const hymir_rt_cuda_tensor *t);

/// The role's plan spelling ("kv_cache", "kv_lengths"; "" for NONE).
const char *hymir_rt_cuda_role_name(hymir_rt_cuda_role role);

//===----------------------------------------------------------------------===//
// Weights (no GPU needed: checked before anything is launched)
//===----------------------------------------------------------------------===//

/// The distinct weights of one or more plans (a model's prefill and decode
/// share theirs by name), with their host values.
typedef struct hymir_rt_cuda_weight_set {
  size_t count;
  /// Names point into the plans, which must outlive the set.
  const char **names;
  hymir_rt_cuda_tensor *tensors;
  hymir_rt_array *values;
} hymir_rt_cuda_weight_set;

/// Reads every weight of `plans[0..n)` from `st` by name with
/// `hymir_rt_safetensors_load` (the tensor must have exactly the plan's
/// shape; F32/F64/F16/BF16 are converted to the plan's float dtype): one
/// line naming the file and the tensor on a missing, mis-shaped or
/// wrong-dtype tensor. A name that two plans declare with different dtypes
/// or shapes is an error too. On failure `*out` is zeroed.
int hymir_rt_cuda_weights_load(const hymir_rt_cuda_plan *const *plans,
                               size_t n, const hymir_rt_safetensors *st,
                               hymir_rt_cuda_weight_set *out,
                               hymir_rt_error *err);

/// Index of weight `name` in `set`, or (size_t)-1.
size_t hymir_rt_cuda_weight_set_find(const hymir_rt_cuda_weight_set *set,
                                     const char *name);

void hymir_rt_cuda_weight_set_free(hymir_rt_cuda_weight_set *set);

//===----------------------------------------------------------------------===//
// Model artifacts
//===----------------------------------------------------------------------===//

/// The two plans of a model artifact and the shapes they were compiled for.
typedef struct hymir_rt_cuda_model_plans {
  hymir_rt_cuda_plan prefill, decode;
  int64_t batch, prompt_len, capacity, vocab;
  /// Whether a state is a KV cache: only then does `capacity` bound the
  /// number of decode steps.
  int has_kv_cache;
  /// States: inputs 1..num_states of @decode, outputs 1..num_states of both.
  size_t num_states;
} hymir_rt_cuda_model_plans;

/// Reads DIR/prefill/plan.txt and DIR/decode/plan.txt and checks that they
/// form a model (docs/cuda-artifacts.md "Model artifacts"): @prefill takes
/// tokens i32 [B, T] and returns logits f32 [B, T, V] then the states;
/// @decode takes tokens i32 [B] and the states, and returns logits [B, V]
/// and the states with exactly the shapes it takes them; each state of
/// @prefill has @decode's dtype, role and shape, except a kv_cache, whose
/// axis 1 may be shorter (T rows, grown to the capacity C). `capacity` is
/// that C (T when the model has no KV cache, which then decodes any number
/// of steps). Messages name the state.
int hymir_rt_cuda_model_read(const char *dir, hymir_rt_cuda_model_plans *out,
                             hymir_rt_error *err);

void hymir_rt_cuda_model_plans_free(hymir_rt_cuda_model_plans *m);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_CUDA_PLAN_H
