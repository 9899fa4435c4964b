//===- SafetensorsFuzzer.c - libFuzzer target for safetensors -----*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-safetensors: feeds arbitrary bytes to
// `hymir_rt_safetensors_parse` (behind `hymir_rt_safetensors_open`, i.e.
// every weight file the runtime binds), then exercises the read API on what
// parsed: every view, lookup by name, metadata, and `..._load` of every
// tensor into its own dtype and into f32. A rejection is fine; a crash, an
// ASan/UBSan report, a leak or a broken post-condition is not:
//   * on failure `*out` is NULL and `err` holds a non-empty one-line message
//     that starts with the name passed in;
//   * on success every view lies inside the buffer, has a valid rank, and
//     `nbytes` = element count x element size for dtypes the runtime knows;
//     names are sorted and unique and each is found by name; loading a
//     tensor with its own shape succeeds for F32/F64/F16/BF16 into f32 and
//     for every runtime dtype into itself, and copies the bytes exactly.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/array.h"
#include "hymir_rt/safetensors.h"
#include "hymir_rt/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond) {
  if (!cond)
    abort();
}

static int isFloat(hymir_rt_dtype d) {
  return d == HYMIR_RT_DTYPE_F32 || d == HYMIR_RT_DTYPE_F64 ||
         d == HYMIR_RT_DTYPE_F16 || d == HYMIR_RT_DTYPE_BF16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hymir_rt_safetensors *st = (hymir_rt_safetensors *)(uintptr_t)1;
  hymir_rt_error err;
  hymir_rt_error_clear(&err);

  int rc = hymir_rt_safetensors_parse(data, size, "fuzz", &st, &err);
  if (rc != 0) {
    check(st == NULL);
    check(rc == err.code);
    size_t n = strnlen(err.message, sizeof(err.message));
    check(n > 0 && n < sizeof(err.message));
    check(strncmp(err.message, "fuzz", 4) == 0);
    check(memchr(err.message, '\n', n) == NULL);
    return 0;
  }
  check(st != NULL);

  size_t count = hymir_rt_safetensors_count(st);
  const char *prev = NULL;
  for (size_t i = 0; i < count; ++i) {
    hymir_rt_tensor_view v;
    check(hymir_rt_safetensors_view(st, i, &v) == 0);
    const char *name = hymir_rt_safetensors_name(st, i);
    check(name != NULL && v.name != NULL && strcmp(name, v.name) == 0);
    check(prev == NULL || strcmp(prev, name) < 0); // sorted, unique
    prev = name;
    check(v.format_dtype != NULL && v.format_dtype[0] != '\0');
    check(v.rank >= 0 && v.rank <= HYMIR_RT_MAX_RANK);
    const unsigned char *p = (const unsigned char *)v.data;
    check(v.nbytes <= size);
    check(v.nbytes == 0 ||
          (p >= data && p <= data + size && v.nbytes <= (size_t)(data + size - p)));
    int64_t numel = 1;
    for (int d = 0; d < v.rank; ++d) {
      check(v.shape[d] >= 0);
      numel *= v.shape[d]; // the parser rejected overflowing products
    }
    for (int d = v.rank; d < HYMIR_RT_MAX_RANK; ++d)
      check(v.shape[d] == 0);
    if (v.dtype != HYMIR_RT_DTYPE_INVALID) {
      check(hymir_rt_dtype_is_valid(v.dtype));
      check(v.nbytes == (size_t)numel * hymir_rt_dtype_size(v.dtype));
    }

    hymir_rt_tensor_view found;
    check(hymir_rt_safetensors_find(st, name, &found) == 0);
    check(found.data == v.data && found.nbytes == v.nbytes);

    // Load into its own dtype: an exact copy.
    hymir_rt_array a;
    rc = hymir_rt_safetensors_load(st, name,
                                   v.dtype == HYMIR_RT_DTYPE_INVALID
                                       ? HYMIR_RT_DTYPE_F32
                                       : v.dtype,
                                   v.rank, v.shape, &a, &err);
    if (v.dtype == HYMIR_RT_DTYPE_INVALID) {
      check(rc != 0 && a.data == NULL);
    } else {
      check(rc == 0);
      check(a.dtype == v.dtype && a.rank == v.rank);
      check(hymir_rt_array_nbytes(&a) == v.nbytes);
      check(v.nbytes == 0 || memcmp(a.data, v.data, v.nbytes) == 0);
    }
    hymir_rt_array_free(&a);

    // Load a float tensor into f32; a wrong shape must be rejected.
    if (isFloat(v.dtype)) {
      check(hymir_rt_safetensors_load(st, name, HYMIR_RT_DTYPE_F32, v.rank,
                                      v.shape, &a, &err) == 0);
      hymir_rt_array_free(&a);
      int64_t wrong[HYMIR_RT_MAX_RANK + 1];
      memcpy(wrong, v.shape, sizeof(v.shape));
      wrong[v.rank] = 1;
      check(hymir_rt_safetensors_load(st, name, HYMIR_RT_DTYPE_F32,
                                      v.rank + 1 <= HYMIR_RT_MAX_RANK
                                          ? v.rank + 1
                                          : v.rank - 1,
                                      wrong, &a, &err) != 0);
      check(a.data == NULL);
    }
  }
  hymir_rt_tensor_view none;
  check(hymir_rt_safetensors_view(st, count, &none) != 0);
  check(hymir_rt_safetensors_name(st, count) == NULL);
  (void)hymir_rt_safetensors_metadata(st, "format");
  (void)hymir_rt_safetensors_metadata(st, "");
  (void)hymir_rt_safetensors_find(st, "", &none);
  hymir_rt_safetensors_close(st);
  return 0;
}
