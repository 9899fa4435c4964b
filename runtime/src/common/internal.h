//===- internal.h - Helpers shared inside the runtime library -----*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to runtime/src: not installed, never included from outside. The
// symbols are external (the library has several translation units), so they
// keep the `hymir_rt_internal_` prefix to stay out of users' namespace.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_SRC_COMMON_INTERNAL_H
#define HYMIR_RT_SRC_COMMON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/// Writes `shape` as Python writes a tuple: "()", "(5,)", "(2, 3)". The
/// result is always NUL-terminated and truncated to `size` bytes; a buffer of
/// HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE bytes always suffices for rank <= 8.
void hymir_rt_internal_format_shape(char *buf, size_t size, int rank,
                                    const int64_t *shape);

/// 8 dims of up to 20 characters, separators and parentheses.
#define HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE 200

/// Longest input snippet quoted in a message, and a buffer size that always
/// suffices (each byte may expand to "\xNN", plus "..." and the NUL).
#define HYMIR_RT_INTERNAL_QUOTE_MAX_BYTES 32
#define HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE (HYMIR_RT_INTERNAL_QUOTE_MAX_BYTES * 4 + 8)

/// Copies `p[0..n)` into `dst` (HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE bytes) for a
/// message: printable ASCII as is, every other byte and the backslash as
/// "\xNN"; at most HYMIR_RT_INTERNAL_QUOTE_MAX_BYTES bytes, then "...".
void hymir_rt_internal_quote_bytes(char *dst, const unsigned char *p, size_t n);

#endif // HYMIR_RT_SRC_COMMON_INTERNAL_H
