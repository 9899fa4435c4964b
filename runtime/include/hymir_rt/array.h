//===- array.h - Dense host arrays and element types --------------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A `hymir_rt_array` is a dense, row-major (C order) host tensor of rank 0 to
// HYMIR_RT_MAX_RANK that owns a 64-byte aligned buffer. It is the exchange
// type of the host-side tools (.npy I/O, reference interpreter, runners).
// Element conversion between the floating-point and integer dtypes lives here
// too, with IEEE round-to-nearest-even for narrowing float conversions.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_ARRAY_H
#define HYMIR_RT_ARRAY_H

#include "hymir_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Largest rank a `hymir_rt_array` can hold.
#define HYMIR_RT_MAX_RANK 8

/// Alignment in bytes of every buffer allocated by `hymir_rt_array_alloc`.
#define HYMIR_RT_ARRAY_ALIGNMENT 64

/// Element types. Values are stable (ABI); 0 is deliberately invalid so that
/// a zero-initialized array is recognisably empty.
typedef enum hymir_rt_dtype {
  HYMIR_RT_DTYPE_INVALID = 0,
  HYMIR_RT_DTYPE_F32 = 1,
  HYMIR_RT_DTYPE_F64 = 2,
  HYMIR_RT_DTYPE_F16 = 3,
  /// bfloat16 (1 sign, 8 exponent, 7 mantissa bits); has no .npy descr.
  HYMIR_RT_DTYPE_BF16 = 4,
  HYMIR_RT_DTYPE_I8 = 5,
  HYMIR_RT_DTYPE_I32 = 6,
  HYMIR_RT_DTYPE_I64 = 7,
  /// Not a dtype: pins the enum to 32 bits and makes any int value a valid
  /// enum value in C++ too, so unchecked input can be range-checked safely.
  HYMIR_RT_DTYPE_FORCE_INT32 = 0x7fffffff,
} hymir_rt_dtype;

/// Size of one element in bytes; 0 for an invalid dtype.
size_t hymir_rt_dtype_size(hymir_rt_dtype dtype);

/// Short name ("f32", "bf16", "i64", ...); "invalid" for an invalid dtype.
const char *hymir_rt_dtype_name(hymir_rt_dtype dtype);

/// Returns non-zero if `dtype` is one of the enumerators above.
int hymir_rt_dtype_is_valid(hymir_rt_dtype dtype);

/// A dense row-major array. `shape[rank..]` are unused and kept at 0.
/// `data` is NULL only for a zero-initialized or freed array; an allocated
/// array always has a non-NULL buffer, even when it holds no elements.
typedef struct hymir_rt_array {
  hymir_rt_dtype dtype;
  int32_t rank;
  int64_t shape[HYMIR_RT_MAX_RANK];
  void *data;
} hymir_rt_array;

/// Number of elements (product of the dims; 1 for rank 0). Returns -1 if the
/// array is invalid (bad rank, negative dim) or the product of its non-zero
/// dims overflows int64 (also when another dim is 0, as numpy rejects it).
int64_t hymir_rt_array_numel(const hymir_rt_array *a);

/// Size of the data in bytes, or 0 if `hymir_rt_array_numel` fails or the
/// size does not fit in `size_t`. (An empty array also has 0 bytes.)
size_t hymir_rt_array_nbytes(const hymir_rt_array *a);

/// The memory limit: the largest number of bytes one buffer may need.
/// `hymir_rt_array_alloc` refuses (HYMIR_RT_OUT_OF_MEMORY, before calling the
/// allocator) any array whose data is larger, and so do the .npy and
/// safetensors readers, which name the file and the tensor. The default is
/// `hymir_rt_default_memory_limit()`; tools lower it (hymir-run
/// --max-memory). Process-wide; reading and setting it are thread-safe.
uint64_t hymir_rt_memory_limit(void);
/// Sets the memory limit in bytes; 0 restores the default.
void hymir_rt_set_memory_limit(uint64_t bytes);
/// The physical memory of the machine (sysconf), lowered to the address-space
/// and data-segment limits of the process (RLIMIT_AS, RLIMIT_DATA) where
/// those are set; UINT64_MAX if none of them can be determined.
uint64_t hymir_rt_default_memory_limit(void);
/// Writes `bytes` for a message: "123 bytes", "1.5 KiB" ... "2.0 TiB".
void hymir_rt_format_bytes(char *buf, size_t size, uint64_t bytes);

/// Allocates a zero-filled array of the given dtype and shape into `*out`.
/// `shape` may be NULL when `rank` is 0. Fails with HYMIR_RT_OUT_OF_MEMORY if
/// the data would exceed `hymir_rt_memory_limit()` or the allocator fails.
/// On failure `*out` is zeroed, so `hymir_rt_array_free(out)` is always safe.
int hymir_rt_array_alloc(hymir_rt_dtype dtype, int rank, const int64_t *shape,
                         hymir_rt_array *out, hymir_rt_error *err);

/// Frees the buffer of `a` and zeroes the struct. Accepts NULL and already
/// freed or zero-initialized arrays.
void hymir_rt_array_free(hymir_rt_array *a);

/// Converts `src` to dtype `dst` into a newly allocated `*out` of the same
/// shape. Supported for any pair of F32, F64, F16, BF16, I8, I32, I64:
///   - float -> narrower float: IEEE round-to-nearest-even, overflow gives
///     +-inf, NaN stays NaN (quiet), without double rounding;
///   - int -> float: round-to-nearest-even;
///   - float -> int: truncation toward zero; NaN, +-inf and out-of-range
///     values fail with HYMIR_RT_OUT_OF_RANGE (message names the index);
///   - int -> narrower int: out-of-range values fail likewise.
/// On failure `*out` is zeroed.
int hymir_rt_array_convert(const hymir_rt_array *src, hymir_rt_dtype dst,
                           hymir_rt_array *out, hymir_rt_error *err);

/// Scalar helpers used by `hymir_rt_array_convert`, exposed for tests and
/// kernels: IEEE binary16 / bfloat16 bit patterns to and from float/double
/// (round-to-nearest-even when narrowing).
uint16_t hymir_rt_f32_to_f16(float x);
uint16_t hymir_rt_f64_to_f16(double x);
float hymir_rt_f16_to_f32(uint16_t bits);
uint16_t hymir_rt_f32_to_bf16(float x);
uint16_t hymir_rt_f64_to_bf16(double x);
float hymir_rt_bf16_to_f32(uint16_t bits);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_ARRAY_H
