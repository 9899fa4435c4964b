//===- status.c - Runtime status codes and error messages ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/status.h"

#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hymir_rt_error_clear(hymir_rt_error *err) {
  if (!err)
    return;
  err->code = HYMIR_RT_OK;
  err->message[0] = '\0';
}

int hymir_rt_error_set(hymir_rt_error *err, int code, const char *fmt, ...) {
  if (!err)
    return code;
  err->code = code;
  va_list args;
  va_start(args, fmt);
  // vsnprintf truncates and always NUL-terminates for a non-zero size.
  int n = vsnprintf(err->message, sizeof(err->message), fmt, args);
  va_end(args);
  if (n < 0)
    err->message[0] = '\0';
  return code;
}

const char *hymir_rt_status_name(int code) {
  switch (code) {
  case HYMIR_RT_OK:
    return "ok";
  case HYMIR_RT_INVALID_ARGUMENT:
    return "invalid argument";
  case HYMIR_RT_OUT_OF_MEMORY:
    return "out of memory";
  case HYMIR_RT_IO_ERROR:
    return "i/o error";
  case HYMIR_RT_FORMAT_ERROR:
    return "format error";
  case HYMIR_RT_UNSUPPORTED:
    return "unsupported";
  case HYMIR_RT_OUT_OF_RANGE:
    return "out of range";
  case HYMIR_RT_DEVICE_ERROR:
    return "device error";
  default:
    return "unknown status";
  }
}

void hymir_rt_internal_quote_bytes(char *dst, const unsigned char *p,
                                   size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t out = 0;
  size_t shown = n < HYMIR_RT_INTERNAL_QUOTE_MAX_BYTES
                     ? n
                     : HYMIR_RT_INTERNAL_QUOTE_MAX_BYTES;
  for (size_t i = 0; i < shown; ++i) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      dst[out++] = (char)c;
    } else {
      dst[out++] = '\\';
      dst[out++] = 'x';
      dst[out++] = hex[c >> 4];
      dst[out++] = hex[c & 15];
    }
  }
  if (shown < n) {
    memcpy(dst + out, "...", 3);
    out += 3;
  }
  dst[out] = '\0';
}
