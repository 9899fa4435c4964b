//===- status.h - Runtime status codes and error messages ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every fallible runtime function returns an `int` status (0 = success, see
// `hymir_rt_status`) and fills a caller-provided `hymir_rt_error` with a
// one-line diagnostic that a tool can print as is. Messages follow the house
// style: "<thing>: <what was wrong> (expected X, found Y)", lowercase after the
// name, no trailing period.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_RT_STATUS_H
#define HYMIR_RT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
/// Lets the compiler check printf-style format strings of runtime functions.
#define HYMIR_RT_PRINTF(fmtIndex, argIndex)                                    \
  __attribute__((format(printf, fmtIndex, argIndex)))
#else
#define HYMIR_RT_PRINTF(fmtIndex, argIndex)
#endif

/// Status codes returned by runtime functions. Values are stable (ABI).
typedef enum hymir_rt_status {
  HYMIR_RT_OK = 0,
  /// A caller passed a null pointer, a bad rank, an unknown dtype, ...
  HYMIR_RT_INVALID_ARGUMENT = 1,
  /// An allocation failed or a size does not fit in memory.
  HYMIR_RT_OUT_OF_MEMORY = 2,
  /// The operating system reported an error (open, read, write, rename).
  HYMIR_RT_IO_ERROR = 3,
  /// Input data is malformed (bad magic, bad header, truncated file, ...).
  HYMIR_RT_FORMAT_ERROR = 4,
  /// Input is well-formed but uses a feature we do not support.
  HYMIR_RT_UNSUPPORTED = 5,
  /// A value does not fit in the requested type (e.g. NaN to i32).
  HYMIR_RT_OUT_OF_RANGE = 6,
  /// The GPU driver reported an error (no device, failed load or launch).
  HYMIR_RT_DEVICE_ERROR = 7,
} hymir_rt_status;

/// Size of the message buffer, including the terminating NUL.
#define HYMIR_RT_ERROR_MESSAGE_SIZE 512

/// Caller-provided error record. On failure a function sets `code` to its
/// return value and `message` to a NUL-terminated one-line diagnostic (long
/// messages are truncated). On success it is left untouched.
typedef struct hymir_rt_error {
  int code;
  char message[HYMIR_RT_ERROR_MESSAGE_SIZE];
} hymir_rt_error;

/// Resets `err` to "no error" (code 0, empty message). Accepts NULL.
void hymir_rt_error_clear(hymir_rt_error *err);

/// Formats a message into `err` (if not NULL) and returns `code`, so that
/// failing paths read `return hymir_rt_error_set(err, CODE, "...", ...);`.
int hymir_rt_error_set(hymir_rt_error *err, int code, const char *fmt, ...)
    HYMIR_RT_PRINTF(3, 4);

/// Returns a short lowercase name for a status code ("ok", "format error",
/// ...); "unknown status" for values outside `hymir_rt_status`.
const char *hymir_rt_status_name(int code);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // HYMIR_RT_STATUS_H
