//===- array.c - Dense host arrays and element conversion ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Allocation, size queries and dtype conversion for `hymir_rt_array`.
// Narrowing float conversions are done on bit patterns rather than with the
// host's half-precision support so that results are identical on every
// compiler and target, and so that f64 -> f16/bf16 rounds once (going through
// f32 would round twice and can break ties the wrong way).
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/array.h"

#include "internal.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/resource.h>
#include <unistd.h>

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

int hymir_rt_dtype_is_valid(hymir_rt_dtype dtype) {
  return dtype >= HYMIR_RT_DTYPE_F32 && dtype <= HYMIR_RT_DTYPE_I64;
}

size_t hymir_rt_dtype_size(hymir_rt_dtype dtype) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_F32:
  case HYMIR_RT_DTYPE_I32:
    return 4;
  case HYMIR_RT_DTYPE_F64:
  case HYMIR_RT_DTYPE_I64:
    return 8;
  case HYMIR_RT_DTYPE_F16:
  case HYMIR_RT_DTYPE_BF16:
    return 2;
  case HYMIR_RT_DTYPE_I8:
    return 1;
  default:
    return 0;
  }
}

const char *hymir_rt_dtype_name(hymir_rt_dtype dtype) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_F32:
    return "f32";
  case HYMIR_RT_DTYPE_F64:
    return "f64";
  case HYMIR_RT_DTYPE_F16:
    return "f16";
  case HYMIR_RT_DTYPE_BF16:
    return "bf16";
  case HYMIR_RT_DTYPE_I8:
    return "i8";
  case HYMIR_RT_DTYPE_I32:
    return "i32";
  case HYMIR_RT_DTYPE_I64:
    return "i64";
  default:
    return "invalid";
  }
}

static int isFloatDtype(hymir_rt_dtype dtype) {
  return dtype == HYMIR_RT_DTYPE_F32 || dtype == HYMIR_RT_DTYPE_F64 ||
         dtype == HYMIR_RT_DTYPE_F16 || dtype == HYMIR_RT_DTYPE_BF16;
}

//===----------------------------------------------------------------------===//
// Shapes and sizes
//===----------------------------------------------------------------------===//

void hymir_rt_internal_format_shape(char *buf, size_t size, int rank,
                                    const int64_t *shape) {
  if (size == 0)
    return;
  size_t pos = 0;
  buf[0] = '\0';
  // Appends with truncation; `pos` stops growing once the buffer is full.
#define HYMIR_RT_APPEND(...)                                                   \
  do {                                                                         \
    if (pos < size) {                                                          \
      int n = snprintf(buf + pos, size - pos, __VA_ARGS__);                    \
      if (n > 0)                                                               \
        pos += (size_t)n < size - pos ? (size_t)n : size - pos - 1;            \
    }                                                                          \
  } while (0)
  HYMIR_RT_APPEND("(");
  for (int i = 0; i < rank; ++i)
    HYMIR_RT_APPEND(i == 0 ? "%" PRId64 : ", %" PRId64, shape[i]);
  // Python writes a one-element tuple as "(5,)".
  HYMIR_RT_APPEND(rank == 1 ? ",)" : ")");
#undef HYMIR_RT_APPEND
}

int64_t hymir_rt_array_numel(const hymir_rt_array *a) {
  if (!a || a->rank < 0 || a->rank > HYMIR_RT_MAX_RANK)
    return -1;
  // As numpy: a shape is valid only if the product of its non-zero dims fits,
  // even when a zero dim makes the array empty (0 x 2^62 x 80 is rejected);
  // consumers compute strides from the other dims.
  int64_t numel = 1;
  int hasZero = 0;
  for (int i = 0; i < a->rank; ++i) {
    if (a->shape[i] < 0)
      return -1;
    if (a->shape[i] == 0) {
      hasZero = 1;
      continue;
    }
    if (numel > INT64_MAX / a->shape[i])
      return -1;
    numel *= a->shape[i];
  }
  if (hasZero)
    return 0;
  return numel;
}

size_t hymir_rt_array_nbytes(const hymir_rt_array *a) {
  int64_t numel = hymir_rt_array_numel(a);
  size_t elemSize = a ? hymir_rt_dtype_size(a->dtype) : 0;
  if (numel <= 0 || elemSize == 0)
    return 0;
  if ((uint64_t)numel > (uint64_t)(SIZE_MAX / elemSize))
    return 0;
  return (size_t)numel * elemSize;
}

//===----------------------------------------------------------------------===//
// Memory limit
//===----------------------------------------------------------------------===//

/// 0 means "not set": the default applies.
static _Atomic uint64_t memoryLimit = 0;

uint64_t hymir_rt_default_memory_limit(void) {
  uint64_t limit = UINT64_MAX;
  long pages = sysconf(_SC_PHYS_PAGES);
  long pageSize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && pageSize > 0 &&
      (uint64_t)pages <= UINT64_MAX / (uint64_t)pageSize)
    limit = (uint64_t)pages * (uint64_t)pageSize;
  static const int kResources[] = {RLIMIT_AS, RLIMIT_DATA};
  for (size_t i = 0; i < sizeof(kResources) / sizeof(kResources[0]); ++i) {
    struct rlimit rl;
    if (getrlimit(kResources[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)rl.rlim_cur < limit)
      limit = (uint64_t)rl.rlim_cur;
  }
  return limit;
}

uint64_t hymir_rt_memory_limit(void) {
  uint64_t limit = atomic_load(&memoryLimit);
  return limit ? limit : hymir_rt_default_memory_limit();
}

void hymir_rt_set_memory_limit(uint64_t bytes) {
  atomic_store(&memoryLimit, bytes);
}

void hymir_rt_format_bytes(char *buf, size_t size, uint64_t bytes) {
  if (!buf || size == 0)
    return;
  if (bytes < 1024) {
    snprintf(buf, size, "%" PRIu64 " bytes", bytes);
    return;
  }
  static const char *const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB",
                                       "EiB"};
  double value = (double)bytes / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    value /= 1024.0;
    ++unit;
  }
  snprintf(buf, size, "%.1f %s", value, kUnits[unit]);
}

//===----------------------------------------------------------------------===//
// Allocation
//===----------------------------------------------------------------------===//

int hymir_rt_array_alloc(hymir_rt_dtype dtype, int rank, const int64_t *shape,
                         hymir_rt_array *out, hymir_rt_error *err) {
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array alloc: output array is null");
  memset(out, 0, sizeof(*out));
  if (!hymir_rt_dtype_is_valid(dtype))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array alloc: invalid dtype %d", (int)dtype);
  if (rank < 0 || rank > HYMIR_RT_MAX_RANK)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array alloc: rank %d is out of range "
                              "(expected 0 to %d)",
                              rank, HYMIR_RT_MAX_RANK);
  if (rank > 0 && !shape)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array alloc: shape is null for rank %d", rank);

  hymir_rt_array tmp;
  memset(&tmp, 0, sizeof(tmp));
  tmp.dtype = dtype;
  tmp.rank = rank;
  for (int i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "array alloc: dimension %d is negative "
                                "(found %" PRId64 ")",
                                i, shape[i]);
    tmp.shape[i] = shape[i];
  }

  char shapeStr[HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE];
  int64_t numel = hymir_rt_array_numel(&tmp);
  if (numel < 0) {
    hymir_rt_internal_format_shape(shapeStr, sizeof(shapeStr), rank, shape);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "array alloc: element count of shape %s "
                              "overflows 64 bits",
                              shapeStr);
  }
  size_t nbytes = hymir_rt_array_nbytes(&tmp);
  if (numel > 0 && nbytes == 0) {
    hymir_rt_internal_format_shape(shapeStr, sizeof(shapeStr), rank, shape);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "array alloc: %s array of shape %s does not "
                              "fit in the address space",
                              hymir_rt_dtype_name(dtype), shapeStr);
  }

  uint64_t limit = hymir_rt_memory_limit();
  if ((uint64_t)nbytes > limit) {
    char need[32], have[32];
    hymir_rt_internal_format_shape(shapeStr, sizeof(shapeStr), rank, shape);
    hymir_rt_format_bytes(need, sizeof(need), nbytes);
    hymir_rt_format_bytes(have, sizeof(have), limit);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "array alloc: %s array of shape %s needs %s, "
                              "more than the memory limit of %s",
                              hymir_rt_dtype_name(dtype), shapeStr, need,
                              have);
  }

  // aligned_alloc wants a size that is a multiple of the alignment; always
  // allocate at least one block so that `data` is never NULL (memcpy and
  // friends are undefined on NULL even for 0 bytes).
  const size_t align = HYMIR_RT_ARRAY_ALIGNMENT;
  if (nbytes > SIZE_MAX - align)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "array alloc: %zu bytes do not fit in the "
                              "address space",
                              nbytes);
  size_t allocBytes =
      nbytes == 0 ? align : (nbytes + align - 1) / align * align;
  void *data = aligned_alloc(align, allocBytes);
  if (!data)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "array alloc: cannot allocate %zu bytes",
                              allocBytes);
  // Zero-fill, padding included, so results never depend on stale memory.
  memset(data, 0, allocBytes);
  tmp.data = data;
  *out = tmp;
  return HYMIR_RT_OK;
}

void hymir_rt_array_free(hymir_rt_array *a) {
  if (!a)
    return;
  free(a->data);
  memset(a, 0, sizeof(*a));
}

//===----------------------------------------------------------------------===//
// Scalar float conversions
//===----------------------------------------------------------------------===//

/// 2^k as a double for -1022 <= k <= 1023, built from bits (no libm).
static double pow2(int k) {
  uint64_t bits = (uint64_t)(k + 1023) << 52;
  double d;
  memcpy(&d, &bits, sizeof(d));
  return d;
}

/// Rounds `x` to the nearest value of a binary float format with `expBits`
/// exponent bits and `mantBits` stored mantissa bits (IEEE layout, with
/// subnormals, infinities and NaN), ties to even, and returns its bit
/// pattern. Works on the f64 bits directly so there is exactly one rounding.
static uint32_t encodeSmallFloat(double x, int expBits, int mantBits) {
  uint64_t b;
  memcpy(&b, &x, sizeof(b));
  const uint32_t sign = (uint32_t)(b >> 63) << (expBits + mantBits);
  const int exp = (int)((b >> 52) & 0x7ff);
  const uint64_t mant = b & ((UINT64_C(1) << 52) - 1);
  const uint32_t expMax = (UINT32_C(1) << expBits) - 1;
  const int bias = (1 << (expBits - 1)) - 1;
  const uint32_t inf = sign | expMax << mantBits;

  if (exp == 0x7ff) {
    if (mant == 0)
      return inf;
    // Keep the top payload bits and force the quiet bit so the result stays
    // a NaN even when the surviving payload bits are all zero.
    uint32_t payload = (uint32_t)(mant >> (52 - mantBits));
    return inf | UINT32_C(1) << (mantBits - 1) | payload;
  }
  if (exp == 0 && mant == 0)
    return sign;

  // |x| = sig * 2^(e - 52) with sig < 2^53.
  uint64_t sig = exp == 0 ? mant : mant | UINT64_C(1) << 52;
  int e = exp == 0 ? -1022 : exp - 1023;
  if (e + bias >= (int)expMax)
    return inf;

  // Drop the low bits the target cannot store; below the smallest normal
  // exponent the target is subnormal and loses one more bit per step.
  const int minNormalExp = 1 - bias;
  int shift = 52 - mantBits;
  if (e < minNormalExp)
    shift += minNormalExp - e;
  uint64_t r = 0;
  if (shift < 54) {
    r = sig >> shift;
    uint64_t rem = sig & ((UINT64_C(1) << shift) - 1);
    uint64_t half = UINT64_C(1) << (shift - 1);
    if (rem > half || (rem == half && (r & 1)))
      ++r;
  } // else: |x| < half the smallest subnormal, rounds to zero.

  // A carry out of the mantissa moves into the exponent field by itself
  // (subnormal -> smallest normal, largest finite -> infinity).
  uint32_t bits = e < minNormalExp
                      ? (uint32_t)r
                      : ((uint32_t)(e + bias) << mantBits) + (uint32_t)r -
                            (UINT32_C(1) << mantBits);
  if ((bits >> mantBits) >= expMax)
    return inf;
  return sign | bits;
}

/// Exact inverse of `encodeSmallFloat` for finite values and infinities.
static double decodeSmallFloat(uint32_t bits, int expBits, int mantBits) {
  const uint32_t mantMask = (UINT32_C(1) << mantBits) - 1;
  const uint32_t expMax = (UINT32_C(1) << expBits) - 1;
  const int bias = (1 << (expBits - 1)) - 1;
  const int negative = (bits >> (expBits + mantBits)) & 1;
  const uint32_t exp = (bits >> mantBits) & expMax;
  const uint32_t mant = bits & mantMask;
  double value;
  if (exp == expMax) {
    // Build inf/NaN from bits: the payload goes to the top of the f64
    // mantissa, which keeps quiet NaNs quiet.
    uint64_t d = UINT64_C(0x7ff) << 52 | (uint64_t)mant << (52 - mantBits);
    memcpy(&value, &d, sizeof(value));
  } else if (exp == 0) {
    value = (double)mant * pow2(1 - bias - mantBits);
  } else {
    value = (double)(mant | (mantMask + 1)) * pow2((int)exp - bias - mantBits);
  }
  return negative ? -value : value;
}

uint16_t hymir_rt_f64_to_f16(double x) {
  return (uint16_t)encodeSmallFloat(x, 5, 10);
}
uint16_t hymir_rt_f32_to_f16(float x) {
  // float -> double is exact, so this rounds once.
  return (uint16_t)encodeSmallFloat((double)x, 5, 10);
}
float hymir_rt_f16_to_f32(uint16_t bits) {
  return (float)decodeSmallFloat(bits, 5, 10);
}
uint16_t hymir_rt_f64_to_bf16(double x) {
  return (uint16_t)encodeSmallFloat(x, 8, 7);
}
uint16_t hymir_rt_f32_to_bf16(float x) {
  return (uint16_t)encodeSmallFloat((double)x, 8, 7);
}
float hymir_rt_bf16_to_f32(uint16_t bits) {
  // bf16 is the top half of an f32: widening is a shift, payload included.
  uint32_t wide = (uint32_t)bits << 16;
  float f;
  memcpy(&f, &wide, sizeof(f));
  return f;
}

/// int64 -> double rounding to odd: exact below 2^53, otherwise keeps 53
/// significant bits and ORs every dropped bit into the last one. Rounding
/// that to f16/bf16 afterwards equals rounding the integer directly, which a
/// plain (double) cast followed by a second rounding does not guarantee.
static double int64ToDoubleRoundToOdd(int64_t v) {
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (u < (UINT64_C(1) << 53))
    return (double)v;
  int shift = 0;
  while ((u >> shift) >= (UINT64_C(1) << 53))
    ++shift;
  uint64_t r = u >> shift;
  if (u & ((UINT64_C(1) << shift) - 1))
    r |= 1;
  double d = (double)r * pow2(shift);
  return v < 0 ? -d : d;
}

//===----------------------------------------------------------------------===//
// Array conversion
//===----------------------------------------------------------------------===//

static double loadFloat(const void *data, hymir_rt_dtype dtype, int64_t i) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_F32: {
    float v;
    memcpy(&v, (const char *)data + i * 4, 4);
    return v;
  }
  case HYMIR_RT_DTYPE_F64: {
    double v;
    memcpy(&v, (const char *)data + i * 8, 8);
    return v;
  }
  case HYMIR_RT_DTYPE_F16:
  case HYMIR_RT_DTYPE_BF16: {
    uint16_t v;
    memcpy(&v, (const char *)data + i * 2, 2);
    return dtype == HYMIR_RT_DTYPE_F16 ? decodeSmallFloat(v, 5, 10)
                                       : decodeSmallFloat(v, 8, 7);
  }
  default:
    return 0.0;
  }
}

static int64_t loadInt(const void *data, hymir_rt_dtype dtype, int64_t i) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_I8: {
    int8_t v;
    memcpy(&v, (const char *)data + i, 1);
    return v;
  }
  case HYMIR_RT_DTYPE_I32: {
    int32_t v;
    memcpy(&v, (const char *)data + i * 4, 4);
    return v;
  }
  case HYMIR_RT_DTYPE_I64: {
    int64_t v;
    memcpy(&v, (const char *)data + i * 8, 8);
    return v;
  }
  default:
    return 0;
  }
}

static void storeFloat(void *data, hymir_rt_dtype dtype, int64_t i, double x) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_F32: {
    float v = (float)x; // Correctly rounded (ties to even) by the FPU.
    memcpy((char *)data + i * 4, &v, 4);
    break;
  }
  case HYMIR_RT_DTYPE_F64:
    memcpy((char *)data + i * 8, &x, 8);
    break;
  case HYMIR_RT_DTYPE_F16: {
    uint16_t v = hymir_rt_f64_to_f16(x);
    memcpy((char *)data + i * 2, &v, 2);
    break;
  }
  case HYMIR_RT_DTYPE_BF16: {
    uint16_t v = hymir_rt_f64_to_bf16(x);
    memcpy((char *)data + i * 2, &v, 2);
    break;
  }
  default:
    break;
  }
}

static void storeInt(void *data, hymir_rt_dtype dtype, int64_t i, int64_t x) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_I8: {
    int8_t v = (int8_t)x;
    memcpy((char *)data + i, &v, 1);
    break;
  }
  case HYMIR_RT_DTYPE_I32: {
    int32_t v = (int32_t)x;
    memcpy((char *)data + i * 4, &v, 4);
    break;
  }
  case HYMIR_RT_DTYPE_I64:
    memcpy((char *)data + i * 8, &x, 8);
    break;
  default:
    break;
  }
}

static void intRange(hymir_rt_dtype dtype, int64_t *lo, int64_t *hi) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_I8:
    *lo = INT8_MIN;
    *hi = INT8_MAX;
    break;
  case HYMIR_RT_DTYPE_I32:
    *lo = INT32_MIN;
    *hi = INT32_MAX;
    break;
  default:
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    break;
  }
}

/// True if truncating `x` toward zero gives a value in [lo, hi]. NaN fails
/// every comparison and is rejected too.
static int floatTruncFits(double x, hymir_rt_dtype dtype) {
  if (dtype == HYMIR_RT_DTYPE_I64)
    // -2^63 is exact in double; 2^63 is the first value past the top.
    return x >= -9223372036854775808.0 && x < 9223372036854775808.0;
  int64_t lo, hi;
  intRange(dtype, &lo, &hi);
  return x > (double)lo - 1.0 && x < (double)hi + 1.0;
}

int hymir_rt_array_convert(const hymir_rt_array *src, hymir_rt_dtype dst,
                           hymir_rt_array *out, hymir_rt_error *err) {
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array convert: output array is null");
  memset(out, 0, sizeof(*out));
  if (!src || !src->data)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array convert: source array is null or empty");
  if (!hymir_rt_dtype_is_valid(src->dtype) || !hymir_rt_dtype_is_valid(dst))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "array convert: invalid dtype (source %d, "
                              "destination %d)",
                              (int)src->dtype, (int)dst);
  int rc = hymir_rt_array_alloc(dst, src->rank, src->shape, out, err);
  if (rc != HYMIR_RT_OK)
    return rc;
  int64_t numel = hymir_rt_array_numel(src);

  if (src->dtype == dst) {
    memcpy(out->data, src->data, hymir_rt_array_nbytes(src));
    return HYMIR_RT_OK;
  }

  const int srcFloat = isFloatDtype(src->dtype);
  const int dstFloat = isFloatDtype(dst);
  for (int64_t i = 0; i < numel; ++i) {
    if (srcFloat) {
      // Every float dtype widens to double exactly.
      double x = loadFloat(src->data, src->dtype, i);
      if (dstFloat) {
        storeFloat(out->data, dst, i, x);
        continue;
      }
      if (!floatTruncFits(x, dst)) {
        int64_t lo, hi;
        intRange(dst, &lo, &hi);
        hymir_rt_array_free(out);
        return hymir_rt_error_set(
            err, HYMIR_RT_OUT_OF_RANGE,
            "array convert: element %" PRId64 " of %s array (%.17g) does not "
            "fit in %s (expected a finite value in %" PRId64 " to %" PRId64
            " after truncation)",
            i, hymir_rt_dtype_name(src->dtype), x, hymir_rt_dtype_name(dst), lo,
            hi);
      }
      storeInt(out->data, dst, i, (int64_t)x); // C casts truncate toward 0.
      continue;
    }

    int64_t v = loadInt(src->data, src->dtype, i);
    if (dstFloat) {
      if (dst == HYMIR_RT_DTYPE_F16 || dst == HYMIR_RT_DTYPE_BF16)
        storeFloat(out->data, dst, i, int64ToDoubleRoundToOdd(v));
      else if (dst == HYMIR_RT_DTYPE_F32)
        storeFloat(out->data, dst, i, (double)(float)v); // One rounding.
      else
        storeFloat(out->data, dst, i, (double)v);
      continue;
    }
    int64_t lo, hi;
    intRange(dst, &lo, &hi);
    if (v < lo || v > hi) {
      hymir_rt_array_free(out);
      return hymir_rt_error_set(
          err, HYMIR_RT_OUT_OF_RANGE,
          "array convert: element %" PRId64 " of %s array (%" PRId64 ") does "
          "not fit in %s (expected %" PRId64 " to %" PRId64 ")",
          i, hymir_rt_dtype_name(src->dtype), v, hymir_rt_dtype_name(dst), lo,
          hi);
    }
    storeInt(out->data, dst, i, v);
  }
  return HYMIR_RT_OK;
}
