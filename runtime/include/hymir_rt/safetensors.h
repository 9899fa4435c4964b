//===- safetensors.h - safetensors file reader and writer ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reads and writes the safetensors format
// (https://huggingface.co/docs/safetensors), in which published checkpoints
// ship their weights:
//
//   u64 N (little-endian)  |  N bytes of UTF-8 JSON  |  data area
//
// The JSON object maps each tensor name to
//   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// (offsets relative to the data area) plus an optional "__metadata__" object
// of string -> string.
//
// Model weights are bound by tensor name at load time, so the reader is
// strict and every problem is a one-line message that names the file and the
// tensor. `hymir_rt_safetensors_parse` rejects: a file shorter than 8 bytes,
// a header length beyond the file or above 100,000,000 bytes, JSON syntax
// errors (with the byte offset in the file), invalid UTF-8, duplicate tensor
// or metadata names, unknown or missing keys, unknown dtypes, negative, too
// large or overflowing dims, rank above HYMIR_RT_MAX_RANK, data_offsets that
// do not match dtype size x element count, offsets outside the data area,
// overlapping tensors, holes between tensors and trailing bytes after the
// last one (the data area must be exactly covered, as the format requires).
// It never reads outside the buffer and is the entry point for fuzzing.
//
// Every dtype of the format is accepted when a file is opened (BOOL, U8,
// I16, U16, U32, U64, C64 and the F8/F6/F4 formats too), so that a
// checkpoint with a tensor the model does not use still opens. Only F32,
// F64, F16, BF16, I8, I32 and I64 map to a `hymir_rt_dtype`; the others are
// visible through `hymir_rt_tensor_view` and are rejected by
// `hymir_rt_safetensors_load`.
//
// The writer produces the bytes of the reference implementation
// (safetensors' `serialize`/`save_file`): tensors ordered by decreasing dtype
// alignment then by name (so each tensor's data is aligned to its element
// size), compact JSON, header padded with spaces to a multiple of 8 bytes.
// Metadata keys are sorted (the reference emits them in hash order).
//
// Little-endian hosts only.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_SAFETENSORS_H
#define HYMIR_RT_SAFETENSORS_H

#include "hymir_rt/array.h"
#include "hymir_rt/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Largest header (JSON) length accepted or written, as in the reference
/// implementation.
#define HYMIR_RT_SAFETENSORS_MAX_HEADER 100000000

/// An opened safetensors file (or parsed buffer). Opaque; not thread-safe to
/// close while other threads query it, otherwise read-only after opening.
typedef struct hymir_rt_safetensors hymir_rt_safetensors;

/// One tensor of a safetensors file, pointing into the file's bytes. The
/// pointers stay valid until `hymir_rt_safetensors_close`.
typedef struct hymir_rt_tensor_view {
  /// The tensor name (NUL-terminated UTF-8; names never contain NUL).
  const char *name;
  /// The dtype as the file spells it: "F32", "BF16", "U8", "F8_E4M3", ...
  const char *format_dtype;
  /// The matching runtime dtype, or HYMIR_RT_DTYPE_INVALID for a format
  /// dtype that has none (BOOL, U8, I16, U16, U32, U64, C64, F8_*, F6_*, F4).
  hymir_rt_dtype dtype;
  int32_t rank;
  /// `shape[rank..]` are 0.
  int64_t shape[HYMIR_RT_MAX_RANK];
  /// First data byte, inside the mapped file or parsed buffer. Not aligned
  /// in general (files written by the reference writer, and by
  /// `hymir_rt_safetensors_write`, align it to the element size relative to
  /// the start of the file): read elements with memcpy.
  const void *data;
  /// Size of the data in bytes (0 for a tensor with a zero dim).
  size_t nbytes;
} hymir_rt_tensor_view;

/// Parses a complete safetensors image `buf[0..len)` into a new
/// `*out`. Nothing is copied: views point into `buf`, which must stay valid
/// and unchanged until `hymir_rt_safetensors_close(*out)`.
/// `name_for_messages` prefixes every error message (NULL gives "<memory>")
/// and is copied. Returns 0 on success; on failure `*out` is NULL and `err`
/// holds the diagnostic. Never reads outside `buf`.
int hymir_rt_safetensors_parse(const void *buf, size_t len,
                               const char *name_for_messages,
                               hymir_rt_safetensors **out, hymir_rt_error *err);

/// Opens the safetensors file at `path`: maps it read-only (mmap) and parses
/// it with `hymir_rt_safetensors_parse`; messages start with `path`. The
/// mapping lives until `hymir_rt_safetensors_close`. As with any mmap, the
/// file must not be truncated while it is open.
int hymir_rt_safetensors_open(const char *path, hymir_rt_safetensors **out,
                              hymir_rt_error *err);

/// Releases `st` (and unmaps its file). Accepts NULL.
void hymir_rt_safetensors_close(hymir_rt_safetensors *st);

/// Number of tensors (the "__metadata__" entry is not a tensor).
size_t hymir_rt_safetensors_count(const hymir_rt_safetensors *st);

/// Name of tensor `i`, tensors being ordered by name (bytewise); NULL if `i`
/// is out of range.
const char *hymir_rt_safetensors_name(const hymir_rt_safetensors *st, size_t i);

/// Fills `*out` with tensor `i` (same order as `hymir_rt_safetensors_name`).
/// Returns 0, or HYMIR_RT_INVALID_ARGUMENT (and zeroes `*out`) if `i` is out
/// of range.
int hymir_rt_safetensors_view(const hymir_rt_safetensors *st, size_t i,
                              hymir_rt_tensor_view *out);

/// Looks up a tensor by exact name. Returns 0 and fills `*out` if found;
/// otherwise returns HYMIR_RT_INVALID_ARGUMENT and zeroes `*out`.
int hymir_rt_safetensors_find(const hymir_rt_safetensors *st, const char *name,
                              hymir_rt_tensor_view *out);

/// Value of `key` in the file's "__metadata__", or NULL if absent.
const char *hymir_rt_safetensors_metadata(const hymir_rt_safetensors *st,
                                          const char *key);

/// Binds one weight: finds tensor `name`, checks that its shape is exactly
/// `shape[0..rank)` and copies it into a new 64-byte aligned `*out` of dtype
/// `want`. Floating-point tensors (F32, F64, F16, BF16) are converted to a
/// floating-point `want` with `hymir_rt_array_convert` (round to nearest
/// even); integer tensors must match `want` exactly. Errors, e.g.
///   W.safetensors: file has no tensor 'x' (the model expects f32 [16, 64])
///   W.safetensors: tensor 'a.A_log' has shape [32] but the model expects [16]
///   W.safetensors: tensor 'a.w' has dtype I32 but the model expects f32 ...
/// are HYMIR_RT_FORMAT_ERROR (a dtype without a runtime equivalent is
/// HYMIR_RT_UNSUPPORTED, bad arguments HYMIR_RT_INVALID_ARGUMENT). On
/// failure `*out` is zeroed.
int hymir_rt_safetensors_load(const hymir_rt_safetensors *st, const char *name,
                              hymir_rt_dtype want, int rank,
                              const int64_t *shape, hymir_rt_array *out,
                              hymir_rt_error *err);

/// Serializes `n` tensors (`names[i]` -> `arrays[i]`, names unique, valid
/// UTF-8, not "__metadata__") and `n_metadata` string pairs into a newly
/// malloc'ed buffer `*buf_out` of `*len_out` bytes (free it with `free`).
/// The bytes are those the reference implementation writes (see above);
/// `n_metadata` 0 writes no "__metadata__" entry. Arrays may be of any
/// runtime dtype, including bf16.
int hymir_rt_safetensors_serialize(size_t n, const char *const *names,
                                   const hymir_rt_array *const *arrays,
                                   size_t n_metadata,
                                   const char *const *metadata_keys,
                                   const char *const *metadata_values,
                                   void **buf_out, size_t *len_out,
                                   hymir_rt_error *err);

/// Writes the tensors to `path` as `hymir_rt_safetensors_serialize` would,
/// without metadata, streaming the data (no second copy in memory). The bytes
/// go to "<path>.tmp.<pid>" first, which is then renamed over `path`; on
/// failure the temporary file is removed and `path` is left as it was.
int hymir_rt_safetensors_write(const char *path, size_t n,
                               const char *const *names,
                               const hymir_rt_array *const *arrays,
                               hymir_rt_error *err);

/// `hymir_rt_safetensors_write` with a "__metadata__" object.
int hymir_rt_safetensors_write_with_metadata(
    const char *path, size_t n, const char *const *names,
    const hymir_rt_array *const *arrays, size_t n_metadata,
    const char *const *metadata_keys, const char *const *metadata_values,
    hymir_rt_error *err);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_SAFETENSORS_H
