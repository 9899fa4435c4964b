//===- NpyFuzzer.c - libFuzzer target for the .npy reader ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-npy: feeds arbitrary bytes to `hymir_rt_npy_parse` (the entry
// point behind `hymir_rt_npy_read` and hence every --input of hymir-run).
// A rejection is fine; a crash, an ASan/UBSan report, a leak, or a result
// that breaks the documented post-conditions is not:
//   * on failure `*out` is zeroed and `err` holds a non-empty, NUL-terminated
//     one-line message that starts with the name passed in;
//   * on success the array is valid (dtype, rank, dims), its buffer is
//     non-NULL, and every byte of it can be read (ASan checks the size).
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/array.h"
#include "hymir_rt/npy.h"
#include "hymir_rt/status.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond) {
  if (!cond)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hymir_rt_array arr;
  hymir_rt_error err;
  memset(&arr, 0xAB, sizeof(arr)); // the parser must overwrite it either way
  hymir_rt_error_clear(&err);

  int rc = hymir_rt_npy_parse(data, size, "fuzz", &arr, &err);
  if (rc != 0) {
    check(rc == err.code);
    check(arr.data == NULL && arr.rank == 0 && arr.dtype == 0);
    size_t n = strnlen(err.message, sizeof(err.message));
    check(n > 0 && n < sizeof(err.message));
    check(strncmp(err.message, "fuzz", 4) == 0);
    check(memchr(err.message, '\n', n) == NULL);
  } else {
    check(hymir_rt_dtype_is_valid(arr.dtype));
    check(arr.dtype != HYMIR_RT_DTYPE_BF16); // no .npy descr
    check(arr.rank >= 0 && arr.rank <= HYMIR_RT_MAX_RANK);
    check(arr.data != NULL);
    int64_t numel = hymir_rt_array_numel(&arr);
    check(numel >= 0);
    size_t nbytes = hymir_rt_array_nbytes(&arr);
    check(nbytes == (size_t)numel * hymir_rt_dtype_size(arr.dtype));
    check(nbytes <= size); // the data came from the buffer
    // Touch every byte so that ASan sees a short allocation.
    const volatile unsigned char *p = (const unsigned char *)arr.data;
    unsigned char acc = 0;
    for (size_t i = 0; i < nbytes; ++i)
      acc ^= p[i];
    (void)acc;

    // Round trip: serializing what was read and parsing it again gives the
    // same array.
    void *buf = NULL;
    size_t len = 0;
    hymir_rt_error err2;
    check(hymir_rt_npy_serialize(&arr, &buf, &len, &err2) == 0);
    hymir_rt_array again;
    check(hymir_rt_npy_parse(buf, len, "again", &again, &err2) == 0);
    check(again.dtype == arr.dtype && again.rank == arr.rank);
    check(memcmp(again.shape, arr.shape, sizeof(arr.shape)) == 0);
    check(nbytes == 0 || memcmp(again.data, arr.data, nbytes) == 0);
    hymir_rt_array_free(&again);
    free(buf);
  }
  hymir_rt_array_free(&arr);
  check(arr.data == NULL);
  return 0;
}
