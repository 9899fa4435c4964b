//===- npy.h - NumPy .npy file reader and writer ------------------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads and writes the NumPy .npy format
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html)
// for little-endian, C-order arrays of the dtypes that have a .npy descr:
//
//   f32 '<f4'   f64 '<f8'   f16 '<f2'   i32 '<i4'   i64 '<i8'   i8 '|i1'
//
// bf16 has no descr (NumPy has no bfloat16) and is rejected both ways:
// convert with `hymir_rt_array_convert` first.
//
// The reader accepts format versions 1.0, 2.0 and 3.0 and rejects everything
// else with a one-line message that names the file: bad magic, unsupported
// version, malformed header dict, missing/unknown/duplicate keys, big-endian
// or unsupported descr, Fortran order, negative or too large dims, rank above
// HYMIR_RT_MAX_RANK, element count overflow, truncated data and trailing
// bytes. `hymir_rt_npy_parse` works on an in-memory buffer, never reads
// outside it and is the entry point for fuzzing.
//
// The writer produces the same bytes as `numpy.save` (format 1.0, header
// padded with spaces and '\n' so the data starts at a multiple of 64 bytes)
// and replaces the destination atomically.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_NPY_H
#define HYMIR_RT_NPY_H

#include "hymir_rt/array.h"
#include "hymir_rt/status.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The .npy descr written for `dtype` ("<f4", "|i1", ...), or NULL for
/// dtypes that cannot be stored in .npy (bf16, invalid).
const char *hymir_rt_npy_descr(hymir_rt_dtype dtype);

/// Parses a complete .npy file image `buf[0..len)` into a newly allocated
/// `*out`. `name_for_messages` prefixes every error message (NULL gives
/// "<memory>"). Returns 0 on success; on failure `*out` is zeroed and `err`
/// holds the diagnostic. Never reads outside `buf`.
int hymir_rt_npy_parse(const void *buf, size_t len,
                       const char *name_for_messages, hymir_rt_array *out,
                       hymir_rt_error *err);

/// Reads the .npy file at `path` into a newly allocated `*out`, with the
/// same checks as `hymir_rt_npy_parse`. Messages start with `path`.
int hymir_rt_npy_read(const char *path, hymir_rt_array *out,
                      hymir_rt_error *err);

/// Serializes `a` into a newly malloc'ed buffer `*buf_out` of `*len_out`
/// bytes, exactly as `numpy.save` would write it. Free it with `free`.
int hymir_rt_npy_serialize(const hymir_rt_array *a, void **buf_out,
                           size_t *len_out, hymir_rt_error *err);

/// Writes `a` to `path` as a .npy file (format 1.0, byte-identical to
/// `numpy.save`). The bytes go to "<path>.tmp.<pid>" first, which is then
/// renamed over `path`, so readers never see a partial file; on failure the
/// temporary file is removed and `path` is left as it was. Not safe for two
/// threads of one process writing the same path at once.
int hymir_rt_npy_write(const char *path, const hymir_rt_array *a,
                       hymir_rt_error *err);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_NPY_H
