//===- safetensors.c - safetensors file reader and writer ---------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The header is parsed by a small recursive-descent parser that accepts
// exactly the JSON a safetensors header may hold: one object of tensor
// entries (objects with "dtype", "shape" and "data_offsets") and an optional
// "__metadata__" object of strings. It is driven by that schema, so nesting
// is bounded (at most three levels) and nothing recurses on the input; it
// checks the bounds before every byte it reads, because this code sees
// untrusted files and is fuzzed.
//
// Decoded strings (names, dtypes, metadata) go to one pool of header length
// + 1 bytes: a JSON string takes at least its decoded length + 2 bytes of
// header (the quotes), so decoded strings with their NULs always fit.
//
// Once every entry is parsed, tensors are sorted by name (for lookup and to
// find duplicates) and, separately, by data offsets, to check that they
// cover the data area exactly: no overlap, no hole, nothing after the last.
//
//===----------------------------------------------------------------------===//

// mmap, fstat, fsync, getpid, open and O_CLOEXEC are POSIX, not C11.
#define _POSIX_C_SOURCE 200809L

#include "hymir_rt/safetensors.h"

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/// The little-endian u64 header length that starts every file.
enum { kLengthFieldSize = 8 };

/// The writer pads the header to a multiple of this, as the reference does.
enum { kHeaderAlign = 8 };

static int hostIsLittleEndian(void) {
  const uint16_t probe = 1;
  unsigned char first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

//===----------------------------------------------------------------------===//
// Dtypes of the format
//===----------------------------------------------------------------------===//

typedef struct Format {
  const char *name;
  /// Bits per element (F4 and F6 are smaller than a byte).
  unsigned bits;
  /// The runtime dtype, or HYMIR_RT_DTYPE_INVALID if there is none.
  hymir_rt_dtype dtype;
} Format;

/// The format's dtypes in the order of the reference implementation's
/// `Dtype` enum ("increasing alignment order"); the writer sorts tensors by
/// decreasing position in this table, then by name, as the reference does.
static const Format kFormats[] = {
    {"BOOL", 8, HYMIR_RT_DTYPE_INVALID},
    {"F4", 4, HYMIR_RT_DTYPE_INVALID},
    {"F6_E2M3", 6, HYMIR_RT_DTYPE_INVALID},
    {"F6_E3M2", 6, HYMIR_RT_DTYPE_INVALID},
    {"U8", 8, HYMIR_RT_DTYPE_INVALID},
    {"I8", 8, HYMIR_RT_DTYPE_I8},
    {"F8_E5M2", 8, HYMIR_RT_DTYPE_INVALID},
    {"F8_E4M3", 8, HYMIR_RT_DTYPE_INVALID},
    {"F8_E8M0", 8, HYMIR_RT_DTYPE_INVALID},
    {"F8_E4M3FNUZ", 8, HYMIR_RT_DTYPE_INVALID},
    {"F8_E5M2FNUZ", 8, HYMIR_RT_DTYPE_INVALID},
    {"I16", 16, HYMIR_RT_DTYPE_INVALID},
    {"U16", 16, HYMIR_RT_DTYPE_INVALID},
    {"F16", 16, HYMIR_RT_DTYPE_F16},
    {"BF16", 16, HYMIR_RT_DTYPE_BF16},
    {"I32", 32, HYMIR_RT_DTYPE_I32},
    {"U32", 32, HYMIR_RT_DTYPE_INVALID},
    {"F32", 32, HYMIR_RT_DTYPE_F32},
    {"C64", 64, HYMIR_RT_DTYPE_INVALID},
    {"F64", 64, HYMIR_RT_DTYPE_F64},
    {"I64", 64, HYMIR_RT_DTYPE_I64},
    {"U64", 64, HYMIR_RT_DTYPE_INVALID},
};

enum { kNumFormats = (int)(sizeof(kFormats) / sizeof(kFormats[0])) };

static const char kDtypeExamples[] =
    "a safetensors dtype such as F32, F16, BF16, F64, I64, I32, I8, U8 or "
    "BOOL";

static const Format *formatByName(const char *s) {
  for (int i = 0; i < kNumFormats; ++i)
    if (strcmp(kFormats[i].name, s) == 0)
      return &kFormats[i];
  return NULL;
}

static const Format *formatForDtype(hymir_rt_dtype dtype) {
  if (dtype == HYMIR_RT_DTYPE_INVALID)
    return NULL;
  for (int i = 0; i < kNumFormats; ++i)
    if (kFormats[i].dtype == dtype)
      return &kFormats[i];
  return NULL;
}

static int isFloatDtype(hymir_rt_dtype dtype) {
  return dtype == HYMIR_RT_DTYPE_F32 || dtype == HYMIR_RT_DTYPE_F64 ||
         dtype == HYMIR_RT_DTYPE_F16 || dtype == HYMIR_RT_DTYPE_BF16;
}

//===----------------------------------------------------------------------===//
// UTF-8 and message helpers
//===----------------------------------------------------------------------===//

/// Length of the well-formed UTF-8 sequence at `p` (1 to 4), or 0 if the
/// bytes before `end` are not one (overlong forms, surrogates and code points
/// above U+10FFFF are not well-formed).
static size_t utf8SeqLen(const unsigned char *p, const unsigned char *end) {
  unsigned char c = p[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0)
      lo = 0xa0;
    else if (c == 0xed)
      hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f;
  } else {
    return 0;
  }
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; ++i)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

static int isValidUtf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  const unsigned char *end = p + strlen(s);
  while (p < end) {
    size_t n = utf8SeqLen(p, end);
    if (n == 0)
      return 0;
    p += n;
  }
  return 1;
}

static const char kHex[] = "0123456789abcdef";



enum { kNameMaxBytes = 160 };
enum { kNameBufSize = kNameMaxBytes * 4 + 8 };

/// Copies a name for a message, keeping it on one line: well-formed UTF-8
/// as is, control characters, backslashes and stray bytes as "\xNN"; cut at
/// a character boundary after kNameMaxBytes input bytes, then "...".
static void quoteName(char *dst, const char *name) {
  const unsigned char *p = (const unsigned char *)name;
  const unsigned char *end = p + strlen(name);
  size_t out = 0, used = 0;
  while (p < end) {
    size_t n = utf8SeqLen(p, end);
    size_t take = n ? n : 1;
    if (used + take > kNameMaxBytes) {
      memcpy(dst + out, "...", 3);
      out += 3;
      break;
    }
    if (n == 1 && *p >= 0x20 && *p != 0x7f && *p != '\\') {
      dst[out++] = (char)*p;
    } else if (n > 1) {
      memcpy(dst + out, p, n);
      out += n;
    } else {
      dst[out++] = '\\';
      dst[out++] = 'x';
      dst[out++] = kHex[*p >> 4];
      dst[out++] = kHex[*p & 15];
    }
    used += take;
    p += take;
  }
  dst[out] = '\0';
}

/// 8 dims of up to 20 characters, separators and brackets.
enum { kShapeBufSize = 200 };

/// Writes a shape as "[16, 64]" ("[]" for rank 0).
static void formatShape(char *buf, int rank, const int64_t *shape) {
  size_t pos = 0;
  buf[pos++] = '[';
  for (int i = 0; i < rank && i < HYMIR_RT_MAX_RANK; ++i) {
    int n = snprintf(buf + pos, kShapeBufSize - pos,
                     i ? ", %" PRId64 : "%" PRId64, shape[i]);
    if (n > 0)
      pos += (size_t)n;
  }
  buf[pos++] = ']';
  buf[pos] = '\0';
}

//===----------------------------------------------------------------------===//
// Parsed file
//===----------------------------------------------------------------------===//

typedef struct Entry {
  /// Decoded name, in the pool.
  const char *name;
  /// File offset of the name's opening quote, for messages.
  size_t keyOffset;
  const Format *format;
  int32_t rank;
  int64_t shape[HYMIR_RT_MAX_RANK];
  /// data_offsets, relative to the data area.
  uint64_t begin, end;
} Entry;

typedef struct MetaEntry {
  const char *key;
  const char *value;
  size_t keyOffset;
} MetaEntry;

struct hymir_rt_safetensors {
  /// Prefix of error messages (the path, for an opened file).
  char *name;
  /// The data area (after the header) and its size.
  const unsigned char *data;
  uint64_t dataLen;
  /// The file mapping, if opened from a file.
  void *map;
  size_t mapLen;
  char *pool;
  /// Tensors sorted by name.
  Entry *entries;
  size_t count;
  /// Metadata sorted by key.
  MetaEntry *meta;
  size_t metaCount;
};

//===----------------------------------------------------------------------===//
// Header parser
//===----------------------------------------------------------------------===//

typedef struct Parser {
  /// The header text and the file offset of its first byte.
  const unsigned char *begin;
  const unsigned char *p;
  const unsigned char *end;
  size_t base;
  const char *name;
  hymir_rt_error *err;
  /// Decoded strings.
  char *pool;
  size_t poolLen, poolCap;
  /// The tensor whose entry is being parsed (NULL outside one).
  const char *tensor;
  uint64_t dataLen;
  Entry *entries;
  size_t count, cap;
  MetaEntry *meta;
  size_t metaCount, metaCap;
  int haveMetadata;
} Parser;

static size_t offsetOf(const Parser *P, const unsigned char *at) {
  return P->base + (size_t)(at - P->begin);
}

static void skipSpace(Parser *P) {
  while (P->p < P->end &&
         (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r'))
    ++P->p;
}

/// " in tensor 'x'" when inside a tensor entry, else "".
static void tensorContext(const Parser *P, char *buf, size_t size) {
  buf[0] = '\0';
  if (!P->tensor)
    return;
  char quoted[kNameBufSize];
  quoteName(quoted, P->tensor);
  snprintf(buf, size, " in tensor '%s'", quoted);
}

/// Reports "expected <what>" at the cursor, quoting what is there instead.
static int malformed(Parser *P, const char *what) {
  char ctx[kNameBufSize + 16];
  tensorContext(P, ctx, sizeof(ctx));
  size_t offset = offsetOf(P, P->p);
  if (P->p >= P->end)
    return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                              "%s: malformed header JSON: expected %s at "
                              "byte %zu%s, found end of header",
                              P->name, what, offset, ctx);
  char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
  size_t left = (size_t)(P->end - P->p);
  hymir_rt_internal_quote_bytes(quoted, P->p, left < 8 ? left : 8);
  return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                            "%s: malformed header JSON: expected %s at byte "
                            "%zu%s, found '%s'",
                            P->name, what, offset, ctx, quoted);
}

/// Reports a lexical problem (bad escape, control character, ...) at `at`.
static int syntaxError(Parser *P, const unsigned char *at,
                       const char *problem) {
  char ctx[kNameBufSize + 16];
  tensorContext(P, ctx, sizeof(ctx));
  return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                            "%s: malformed header JSON: %s at byte %zu%s",
                            P->name, problem, offsetOf(P, at), ctx);
}

/// Reports a problem with the current tensor: "<file>: tensor '<name>' ...".
static int tensorError(Parser *P, int code, const char *fmt, ...)
    HYMIR_RT_PRINTF(3, 4);
static int tensorError(Parser *P, int code, const char *fmt, ...) {
  char quoted[kNameBufSize];
  quoteName(quoted, P->tensor ? P->tensor : "");
  char detail[HYMIR_RT_ERROR_MESSAGE_SIZE];
  va_list args;
  va_start(args, fmt);
  vsnprintf(detail, sizeof(detail), fmt, args);
  va_end(args);
  return hymir_rt_error_set(P->err, code, "%s: tensor '%s' %s", P->name, quoted,
                            detail);
}

static int expectChar(Parser *P, char ch, const char *what) {
  skipSpace(P);
  if (P->p >= P->end || *P->p != (unsigned char)ch)
    return malformed(P, what);
  ++P->p;
  return HYMIR_RT_OK;
}

static int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Reads the four hex digits of a \u escape at `p` (bounds checked by the
/// caller); -1 if they are not hex.
static long hex4(const unsigned char *p) {
  long v = 0;
  for (int i = 0; i < 4; ++i) {
    int d = hexValue(p[i]);
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/// Decodes the escape at the cursor (a backslash) into `out[0..*n)`.
static int parseEscape(Parser *P, unsigned char out[4], size_t *n) {
  const unsigned char *at = P->p;
  if (P->end - P->p < 2)
    return syntaxError(P, at, "unterminated string");
  unsigned char c = P->p[1];
  unsigned char simple = 0;
  switch (c) {
  case '"':
  case '\\':
  case '/':
    simple = c;
    break;
  case 'b':
    simple = '\b';
    break;
  case 'f':
    simple = '\f';
    break;
  case 'n':
    simple = '\n';
    break;
  case 'r':
    simple = '\r';
    break;
  case 't':
    simple = '\t';
    break;
  case 'u':
    break;
  default:
    return syntaxError(P, at, "invalid escape in a string");
  }
  if (simple) {
    out[0] = simple;
    *n = 1;
    P->p += 2;
    return HYMIR_RT_OK;
  }
  if (P->end - P->p < 6 || hex4(P->p + 2) < 0)
    return syntaxError(P, at, "invalid \\u escape (expected 4 hex digits)");
  unsigned long cp = (unsigned long)hex4(P->p + 2);
  P->p += 6;
  if (cp == 0)
    return syntaxError(P, at, "\\u0000 (NUL) in a string is not supported");
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return syntaxError(P, at, "unpaired UTF-16 surrogate in a \\u escape");
  if (cp >= 0xd800 && cp <= 0xdbff) {
    long lo = -1;
    if (P->end - P->p >= 6 && P->p[0] == '\\' && P->p[1] == 'u')
      lo = hex4(P->p + 2);
    if (lo < 0xdc00 || lo > 0xdfff)
      return syntaxError(P, at, "unpaired UTF-16 surrogate in a \\u escape");
    P->p += 6;
    cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
  }
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
    *n = 1;
  } else if (cp < 0x800) {
    out[0] = (unsigned char)(0xc0 | (cp >> 6));
    out[1] = (unsigned char)(0x80 | (cp & 0x3f));
    *n = 2;
  } else if (cp < 0x10000) {
    out[0] = (unsigned char)(0xe0 | (cp >> 12));
    out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (unsigned char)(0x80 | (cp & 0x3f));
    *n = 3;
  } else {
    out[0] = (unsigned char)(0xf0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    *n = 4;
  }
  return HYMIR_RT_OK;
}

/// Parses a JSON string into the pool; `*out` is NUL-terminated UTF-8
/// without NULs. `*at` (if not NULL) gets the file offset of the quote.
static int parseString(Parser *P, const char *what, const char **out,
                       size_t *at) {
  skipSpace(P);
  if (P->p >= P->end || *P->p != '"')
    return malformed(P, what);
  const unsigned char *open = P->p++;
  if (at)
    *at = offsetOf(P, open);
  char *dst = P->pool + P->poolLen;
  size_t avail = P->poolCap - P->poolLen;
  size_t n = 0;
  for (;;) {
    if (P->p >= P->end)
      return syntaxError(P, open, "unterminated string starting");
    unsigned char c = *P->p;
    if (c == '"')
      break;
    unsigned char chunk[4];
    size_t k = 0;
    if (c < 0x20)
      return syntaxError(P, P->p, "unescaped control character in a string");
    if (c == '\\') {
      int rc = parseEscape(P, chunk, &k);
      if (rc)
        return rc;
    } else if (c < 0x80) {
      chunk[0] = c;
      k = 1;
      ++P->p;
    } else {
      k = utf8SeqLen(P->p, P->end);
      if (k == 0) {
        char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
        size_t left = (size_t)(P->end - P->p);
        hymir_rt_internal_quote_bytes(quoted, P->p, left < 4 ? left : 4);
        return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                  "%s: header is not valid UTF-8: bad byte "
                                  "sequence '%s' at byte %zu",
                                  P->name, quoted, offsetOf(P, P->p));
      }
      memcpy(chunk, P->p, k);
      P->p += k;
    }
    // Cannot happen (see the file comment); checked all the same.
    if (k + 1 > avail || n > avail - k - 1)
      return syntaxError(P, open, "string too long for its header");
    memcpy(dst + n, chunk, k);
    n += k;
  }
  ++P->p;
  dst[n] = '\0';
  P->poolLen += n + 1;
  *out = dst;
  return HYMIR_RT_OK;
}

static int isDigit(unsigned char c) { return c >= '0' && c <= '9'; }

/// Parses a JSON number that must be a non-negative integer of at most
/// `max`. `noun` names it in messages ("dimension 1 in 'shape'"); `what` is
/// what a syntax error says was expected.
static int parseUInt(Parser *P, const char *noun, const char *what,
                     uint64_t max, uint64_t *value) {
  skipSpace(P);
  const unsigned char *start = P->p;
  int negative = 0;
  if (P->p < P->end && *P->p == '-') {
    negative = 1;
    ++P->p;
  }
  if (P->p >= P->end || !isDigit(*P->p)) {
    P->p = start;
    return malformed(P, what);
  }
  if (*P->p == '0' && P->p + 1 < P->end && isDigit(P->p[1]))
    return syntaxError(P, start, "number with a leading zero");
  uint64_t v = 0;
  int overflow = 0;
  while (P->p < P->end && isDigit(*P->p)) {
    unsigned d = (unsigned)(*P->p - '0');
    if (v > (UINT64_MAX - d) / 10)
      overflow = 1;
    else
      v = v * 10 + d;
    ++P->p;
  }
  int fraction = 0;
  if (P->p < P->end && *P->p == '.') {
    fraction = 1;
    ++P->p;
    if (P->p >= P->end || !isDigit(*P->p))
      return syntaxError(P, start, "malformed number");
    while (P->p < P->end && isDigit(*P->p))
      ++P->p;
  }
  if (P->p < P->end && (*P->p == 'e' || *P->p == 'E')) {
    fraction = 1;
    ++P->p;
    if (P->p < P->end && (*P->p == '+' || *P->p == '-'))
      ++P->p;
    if (P->p >= P->end || !isDigit(*P->p))
      return syntaxError(P, start, "malformed number");
    while (P->p < P->end && isDigit(*P->p))
      ++P->p;
  }
  char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
  hymir_rt_internal_quote_bytes(quoted, start, (size_t)(P->p - start));
  if (fraction)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has a non-integer %s (found %s)", noun, quoted);
  if (negative)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR, "has a negative %s (found %s)",
                       noun, quoted);
  if (overflow || v > max)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has a too large %s (found %s, expected at most "
                       "%" PRIu64 ")",
                       noun, quoted, max);
  *value = v;
  return HYMIR_RT_OK;
}

static int parseShape(Parser *P, Entry *e) {
  int rc = expectChar(P, '[', "'[' to start 'shape'");
  if (rc)
    return rc;
  skipSpace(P);
  if (P->p < P->end && *P->p == ']') {
    ++P->p;
    e->rank = 0;
    return HYMIR_RT_OK;
  }
  int rank = 0;
  for (;;) {
    char noun[48];
    snprintf(noun, sizeof(noun), "dimension %d in 'shape'", rank);
    uint64_t dim;
    if ((rc = parseUInt(P, noun, "an integer dimension in 'shape'",
                        (uint64_t)INT64_MAX, &dim)))
      return rc;
    if (rank == HYMIR_RT_MAX_RANK)
      return tensorError(P, HYMIR_RT_UNSUPPORTED,
                         "has more than %d dimensions, which is not "
                         "supported (expected a rank of at most %d)",
                         HYMIR_RT_MAX_RANK, HYMIR_RT_MAX_RANK);
    e->shape[rank++] = (int64_t)dim;
    skipSpace(P);
    if (P->p < P->end && *P->p == ']') {
      ++P->p;
      break;
    }
    if ((rc = expectChar(P, ',', "',' or ']' in 'shape'")))
      return rc;
  }
  e->rank = rank;
  return HYMIR_RT_OK;
}

static int parseOffsets(Parser *P, Entry *e) {
  int rc;
  if ((rc = expectChar(P, '[', "'[' to start 'data_offsets'")) ||
      (rc = parseUInt(P, "begin in 'data_offsets'",
                      "an integer begin offset in 'data_offsets'", UINT64_MAX,
                      &e->begin)) ||
      (rc = expectChar(P, ',',
                       "',' after the begin offset ('data_offsets' holds "
                       "exactly 2 integers)")) ||
      (rc = parseUInt(P, "end in 'data_offsets'",
                      "an integer end offset in 'data_offsets'", UINT64_MAX,
                      &e->end)) ||
      (rc = expectChar(P, ']',
                       "']' after the end offset ('data_offsets' holds "
                       "exactly 2 integers)")))
    return rc;
  return HYMIR_RT_OK;
}

/// Checks that the entry's offsets agree with its dtype and shape and lie in
/// the data area.
static int checkEntrySize(Parser *P, const Entry *e) {
  char shape[kShapeBufSize];
  formatShape(shape, e->rank, e->shape);
  const char *dtype = e->format->name;
  int64_t numel = 1;
  int hasZero = 0;
  for (int i = 0; i < e->rank; ++i)
    if (e->shape[i] == 0)
      hasZero = 1;
  if (hasZero) {
    numel = 0;
  } else {
    for (int i = 0; i < e->rank; ++i) {
      if (numel > INT64_MAX / e->shape[i])
        return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                           "has shape %s whose element count overflows 64 "
                           "bits",
                           shape);
      numel *= e->shape[i];
    }
  }
  uint64_t bits = e->format->bits;
  if ((uint64_t)numel > UINT64_MAX / bits)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has a byte size that overflows 64 bits (%s %s)", dtype,
                       shape);
  uint64_t nbits = (uint64_t)numel * bits;
  if (nbits % 8 != 0)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has %" PRId64 " %s elements, which do not fill whole "
                       "bytes (%s %s)",
                       numel, dtype, dtype, shape);
  uint64_t nbytes = nbits / 8;
  if (e->end < e->begin)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has data_offsets [%" PRIu64 ", %" PRIu64
                       "] whose end is before its begin",
                       e->begin, e->end);
  if (e->end - e->begin != nbytes)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has data_offsets [%" PRIu64 ", %" PRIu64
                       "] spanning %" PRIu64 " bytes, which does not match "
                       "its dtype and shape (%s %s needs %" PRIu64 " bytes)",
                       e->begin, e->end, e->end - e->begin, dtype, shape,
                       nbytes);
  if (e->end > P->dataLen)
    return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                       "has data_offsets [%" PRIu64 ", %" PRIu64
                       "] beyond the end of the data area (%" PRIu64 " bytes)",
                       e->begin, e->end, P->dataLen);
  return HYMIR_RT_OK;
}

/// Parses the object of one tensor entry, after its name and ':'.
static int parseTensor(Parser *P, Entry *e) {
  int rc = expectChar(P, '{', "'{' to start the tensor entry");
  if (rc)
    return rc;
  static const char *const kKeys[3] = {"dtype", "shape", "data_offsets"};
  int have[3] = {0, 0, 0};
  skipSpace(P);
  if (P->p < P->end && *P->p == '}') {
    ++P->p;
  } else {
    for (;;) {
      const char *key;
      if ((rc = parseString(P, "a quoted key", &key, NULL)))
        return rc;
      int which = -1;
      for (int i = 0; i < 3; ++i)
        if (strcmp(key, kKeys[i]) == 0)
          which = i;
      char quotedKey[kNameBufSize];
      quoteName(quotedKey, key);
      if (which < 0)
        return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                           "has unexpected key '%s' (expected 'dtype', "
                           "'shape' and 'data_offsets')",
                           quotedKey);
      if (have[which])
        return tensorError(P, HYMIR_RT_FORMAT_ERROR, "has duplicate key '%s'",
                           quotedKey);
      have[which] = 1;
      if ((rc = expectChar(P, ':', "':' after a key")))
        return rc;
      if (which == 0) {
        const char *dtype;
        if ((rc = parseString(P, "a quoted dtype string for 'dtype'", &dtype,
                              NULL)))
          return rc;
        e->format = formatByName(dtype);
        if (!e->format) {
          char quoted[kNameBufSize];
          quoteName(quoted, dtype);
          return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                             "has unknown dtype '%s' (expected %s)", quoted,
                             kDtypeExamples);
        }
      } else if (which == 1) {
        if ((rc = parseShape(P, e)))
          return rc;
      } else {
        if ((rc = parseOffsets(P, e)))
          return rc;
      }
      skipSpace(P);
      if (P->p < P->end && *P->p == ',') {
        ++P->p;
        continue;
      }
      if (P->p < P->end && *P->p == '}') {
        ++P->p;
        break;
      }
      return malformed(P, "',' or '}' after a value");
    }
  }
  for (int i = 0; i < 3; ++i)
    if (!have[i])
      return tensorError(P, HYMIR_RT_FORMAT_ERROR,
                         "is missing '%s' (expected 'dtype', 'shape' and "
                         "'data_offsets')",
                         kKeys[i]);
  return checkEntrySize(P, e);
}

static int outOfMemory(Parser *P) {
  return hymir_rt_error_set(P->err, HYMIR_RT_OUT_OF_MEMORY,
                            "%s: out of memory while parsing the header",
                            P->name);
}

/// Grows `*items` (of `*cap` elements of `size` bytes) to hold one more.
static int growArray(void **items, size_t *cap, size_t count, size_t size) {
  if (count < *cap)
    return 1;
  size_t newCap = *cap ? *cap * 2 : 16;
  if (newCap < *cap || newCap > SIZE_MAX / size)
    return 0;
  void *grown = realloc(*items, newCap * size);
  if (!grown)
    return 0;
  *items = grown;
  *cap = newCap;
  return 1;
}

static int parseMetadata(Parser *P) {
  if (P->haveMetadata)
    return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                              "%s: duplicate key '__metadata__' in the header",
                              P->name);
  P->haveMetadata = 1;
  int rc = expectChar(P, '{', "'{' to start '__metadata__'");
  if (rc)
    return rc;
  skipSpace(P);
  if (P->p < P->end && *P->p == '}') {
    ++P->p;
    return HYMIR_RT_OK;
  }
  for (;;) {
    MetaEntry m;
    if ((rc = parseString(P, "a quoted key in '__metadata__'", &m.key,
                          &m.keyOffset)) ||
        (rc = expectChar(P, ':', "':' after a key in '__metadata__'")) ||
        (rc = parseString(P,
                          "a string value in '__metadata__' (metadata values "
                          "are strings)",
                          &m.value, NULL)))
      return rc;
    void *items = P->meta;
    if (!growArray(&items, &P->metaCap, P->metaCount, sizeof(MetaEntry)))
      return outOfMemory(P);
    P->meta = (MetaEntry *)items;
    P->meta[P->metaCount++] = m;
    skipSpace(P);
    if (P->p < P->end && *P->p == ',') {
      ++P->p;
      continue;
    }
    if (P->p < P->end && *P->p == '}') {
      ++P->p;
      return HYMIR_RT_OK;
    }
    return malformed(P, "',' or '}' in '__metadata__'");
  }
}

static int parseHeader(Parser *P) {
  int rc = expectChar(P, '{', "'{' to start the header");
  if (rc)
    return rc;
  skipSpace(P);
  if (P->p < P->end && *P->p == '}') {
    ++P->p;
  } else {
    for (;;) {
      const char *key;
      size_t keyOffset;
      if ((rc = parseString(P, "a quoted tensor name", &key, &keyOffset)) ||
          (rc = expectChar(P, ':', "':' after a tensor name")))
        return rc;
      if (strcmp(key, "__metadata__") == 0) {
        if ((rc = parseMetadata(P)))
          return rc;
      } else {
        void *items = P->entries;
        if (!growArray(&items, &P->cap, P->count, sizeof(Entry)))
          return outOfMemory(P);
        P->entries = (Entry *)items;
        Entry *e = &P->entries[P->count++];
        memset(e, 0, sizeof(*e));
        e->name = key;
        e->keyOffset = keyOffset;
        P->tensor = key;
        if ((rc = parseTensor(P, e)))
          return rc;
        P->tensor = NULL;
      }
      skipSpace(P);
      if (P->p < P->end && *P->p == ',') {
        ++P->p;
        continue;
      }
      if (P->p < P->end && *P->p == '}') {
        ++P->p;
        break;
      }
      return malformed(P, "',' or '}' after a tensor entry");
    }
  }
  skipSpace(P);
  if (P->p < P->end)
    return malformed(P, "the end of the header after the closing '}' (only "
                        "spaces may follow)");
  return HYMIR_RT_OK;
}

//===----------------------------------------------------------------------===//
// Validation of the whole header
//===----------------------------------------------------------------------===//

static int compareEntryNames(const void *a, const void *b) {
  return strcmp(((const Entry *)a)->name, ((const Entry *)b)->name);
}

static int compareMetaKeys(const void *a, const void *b) {
  return strcmp(((const MetaEntry *)a)->key, ((const MetaEntry *)b)->key);
}

/// Orders entries by data offsets (empty tensors first at equal begin).
static int compareEntryOffsets(const void *a, const void *b) {
  const Entry *x = *(const Entry *const *)a;
  const Entry *y = *(const Entry *const *)b;
  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int checkNames(Parser *P) {
  if (P->count > 1)
    qsort(P->entries, P->count, sizeof(Entry), compareEntryNames);
  for (size_t i = 1; i < P->count; ++i) {
    const Entry *a = &P->entries[i - 1], *b = &P->entries[i];
    if (strcmp(a->name, b->name) == 0) {
      char quoted[kNameBufSize];
      quoteName(quoted, a->name);
      size_t first = a->keyOffset < b->keyOffset ? a->keyOffset : b->keyOffset;
      size_t second = a->keyOffset < b->keyOffset ? b->keyOffset : a->keyOffset;
      return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                "%s: duplicate tensor name '%s' (at bytes %zu "
                                "and %zu of the header)",
                                P->name, quoted, first, second);
    }
  }
  if (P->metaCount > 1)
    qsort(P->meta, P->metaCount, sizeof(MetaEntry), compareMetaKeys);
  for (size_t i = 1; i < P->metaCount; ++i) {
    if (strcmp(P->meta[i - 1].key, P->meta[i].key) == 0) {
      char quoted[kNameBufSize];
      quoteName(quoted, P->meta[i].key);
      return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                "%s: duplicate key '%s' in '__metadata__'",
                                P->name, quoted);
    }
  }
  return HYMIR_RT_OK;
}

/// Checks that the tensors tile the data area exactly, in offset order.
static int checkCoverage(Parser *P) {
  if (P->count == 0) {
    if (P->dataLen != 0)
      return hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                "%s: trailing data: %" PRIu64
                                " bytes after the header, which has no "
                                "tensors",
                                P->name, P->dataLen);
    return HYMIR_RT_OK;
  }
  const Entry **order = (const Entry **)malloc(P->count * sizeof(Entry *));
  if (!order)
    return outOfMemory(P);
  for (size_t i = 0; i < P->count; ++i)
    order[i] = &P->entries[i];
  if (P->count > 1)
    qsort(order, P->count, sizeof(Entry *), compareEntryOffsets);
  char a[kNameBufSize], b[kNameBufSize];
  int rc = HYMIR_RT_OK;
  uint64_t pos = 0;
  const Entry *prev = NULL;
  for (size_t i = 0; i < P->count && rc == HYMIR_RT_OK; ++i) {
    const Entry *e = order[i];
    if (e->begin < pos) {
      quoteName(a, prev->name);
      quoteName(b, e->name);
      rc = hymir_rt_error_set(
          P->err, HYMIR_RT_FORMAT_ERROR,
          "%s: tensors '%s' [%" PRIu64 ", %" PRIu64 "] and '%s' [%" PRIu64
          ", %" PRIu64 "] overlap in the data area",
          P->name, a, prev->begin, prev->end, b, e->begin, e->end);
    } else if (e->begin > pos) {
      quoteName(b, e->name);
      if (prev) {
        quoteName(a, prev->name);
        rc = hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                "%s: hole in the data area: bytes [%" PRIu64
                                ", %" PRIu64 ") between tensors '%s' and '%s' "
                                "belong to no tensor",
                                P->name, pos, e->begin, a, b);
      } else {
        rc = hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                                "%s: hole in the data area: bytes [0, %" PRIu64
                                ") before the first tensor '%s' belong to no "
                                "tensor",
                                P->name, e->begin, b);
      }
    }
    pos = e->end;
    prev = e;
  }
  if (rc == HYMIR_RT_OK && pos != P->dataLen) {
    // pos < dataLen: checkEntrySize rejected ends beyond the data area.
    quoteName(a, prev->name);
    rc = hymir_rt_error_set(P->err, HYMIR_RT_FORMAT_ERROR,
                            "%s: trailing data: %" PRIu64
                            " bytes after the last tensor '%s' (the data "
                            "area has %" PRIu64 " bytes, the tensors cover "
                            "%" PRIu64 ")",
                            P->name, P->dataLen - pos, a, P->dataLen, pos);
  }
  free(order);
  return rc;
}

//===----------------------------------------------------------------------===//
// Opening and querying
//===----------------------------------------------------------------------===//

static uint64_t readLE64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

static char *copyString(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = (char *)malloc(n);
  if (copy)
    memcpy(copy, s, n);
  return copy;
}

int hymir_rt_safetensors_parse(const void *buf, size_t len,
                               const char *name_for_messages,
                               hymir_rt_safetensors **out,
                               hymir_rt_error *err) {
  const char *name = name_for_messages ? name_for_messages : "<memory>";
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: output pointer is null", name);
  *out = NULL;
  if (!buf && len > 0)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: buffer is null", name);
  if (!hostIsLittleEndian())
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: safetensors I/O needs a little-endian host",
                              name);
  const unsigned char *bytes = (const unsigned char *)buf;
  if (len < kLengthFieldSize)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: file is too small: %zu bytes (expected at "
                              "least the 8-byte header length)",
                              name, len);
  uint64_t headerLen = readLE64(bytes);
  if (headerLen > HYMIR_RT_SAFETENSORS_MAX_HEADER)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: header length %" PRIu64 " exceeds the limit "
                              "of %d bytes (not a safetensors file?)",
                              name, headerLen, HYMIR_RT_SAFETENSORS_MAX_HEADER);
  if (headerLen > len - kLengthFieldSize)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: header length %" PRIu64 " is larger than "
                              "the file (%zu bytes after the 8-byte length "
                              "field)",
                              name, headerLen, len - kLengthFieldSize);

  Parser P;
  memset(&P, 0, sizeof(P));
  P.begin = bytes + kLengthFieldSize;
  P.p = P.begin;
  P.end = P.begin + headerLen;
  P.base = kLengthFieldSize;
  P.name = name;
  P.err = err;
  P.dataLen = (uint64_t)(len - kLengthFieldSize - (size_t)headerLen);
  P.poolCap = (size_t)headerLen + 1;
  P.pool = (char *)malloc(P.poolCap);
  int rc;
  if (!P.pool)
    rc = outOfMemory(&P);
  else if ((rc = parseHeader(&P)) == HYMIR_RT_OK &&
           (rc = checkNames(&P)) == HYMIR_RT_OK)
    rc = checkCoverage(&P);

  hymir_rt_safetensors *st = NULL;
  if (rc == HYMIR_RT_OK) {
    st = (hymir_rt_safetensors *)calloc(1, sizeof(*st));
    char *nameCopy = copyString(name);
    if (!st || !nameCopy) {
      free(st);
      free(nameCopy);
      st = NULL;
      rc = outOfMemory(&P);
    } else {
      st->name = nameCopy;
    }
  }
  if (rc != HYMIR_RT_OK) {
    free(P.pool);
    free(P.entries);
    free(P.meta);
    return rc;
  }
  st->data = P.end;
  st->dataLen = P.dataLen;
  st->pool = P.pool;
  st->entries = P.entries;
  st->count = P.count;
  st->meta = P.meta;
  st->metaCount = P.metaCount;
  *out = st;
  return HYMIR_RT_OK;
}

int hymir_rt_safetensors_open(const char *path, hymir_rt_safetensors **out,
                              hymir_rt_error *err) {
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "safetensors open: output pointer is null");
  *out = NULL;
  if (!path)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "safetensors open: path is null");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                              "%s: cannot open for reading: %s", path,
                              strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    int saved = errno;
    close(fd);
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: cannot stat: %s",
                              path, strerror(saved));
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: not a regular file",
                              path);
  }
  if (sb.st_size < 0 || (uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
    close(fd);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: file is too large to map", path);
  }
  size_t size = (size_t)sb.st_size;
  void *map = NULL;
  if (size > 0) {
    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int saved = errno;
      close(fd);
      return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                                "%s: cannot map %zu bytes: %s", path, size,
                                strerror(saved));
    }
  }
  // The mapping stays valid after the descriptor is closed.
  close(fd);
  static const unsigned char kEmpty[1] = {0};
  int rc = hymir_rt_safetensors_parse(map ? map : kEmpty, size, path, out, err);
  if (rc != HYMIR_RT_OK) {
    if (map)
      munmap(map, size);
    return rc;
  }
  (*out)->map = map;
  (*out)->mapLen = size;
  return HYMIR_RT_OK;
}

void hymir_rt_safetensors_close(hymir_rt_safetensors *st) {
  if (!st)
    return;
  if (st->map)
    munmap(st->map, st->mapLen);
  free(st->pool);
  free(st->entries);
  free(st->meta);
  free(st->name);
  free(st);
}

size_t hymir_rt_safetensors_count(const hymir_rt_safetensors *st) {
  return st ? st->count : 0;
}

const char *hymir_rt_safetensors_name(const hymir_rt_safetensors *st,
                                      size_t i) {
  return st && i < st->count ? st->entries[i].name : NULL;
}

static void fillView(const hymir_rt_safetensors *st, const Entry *e,
                     hymir_rt_tensor_view *out) {
  memset(out, 0, sizeof(*out));
  out->name = e->name;
  out->format_dtype = e->format->name;
  out->dtype = e->format->dtype;
  out->rank = e->rank;
  memcpy(out->shape, e->shape, sizeof(e->shape));
  out->data = st->data + e->begin;
  out->nbytes = (size_t)(e->end - e->begin);
}

int hymir_rt_safetensors_view(const hymir_rt_safetensors *st, size_t i,
                              hymir_rt_tensor_view *out) {
  if (!out)
    return HYMIR_RT_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  if (!st || i >= st->count)
    return HYMIR_RT_INVALID_ARGUMENT;
  fillView(st, &st->entries[i], out);
  return HYMIR_RT_OK;
}

static const Entry *findEntry(const hymir_rt_safetensors *st,
                              const char *name) {
  size_t lo = 0, hi = st->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->entries[mid].name, name);
    if (c == 0)
      return &st->entries[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int hymir_rt_safetensors_find(const hymir_rt_safetensors *st, const char *name,
                              hymir_rt_tensor_view *out) {
  if (!out)
    return HYMIR_RT_INVALID_ARGUMENT;
  memset(out, 0, sizeof(*out));
  if (!st || !name)
    return HYMIR_RT_INVALID_ARGUMENT;
  const Entry *e = findEntry(st, name);
  if (!e)
    return HYMIR_RT_INVALID_ARGUMENT;
  fillView(st, e, out);
  return HYMIR_RT_OK;
}

const char *hymir_rt_safetensors_metadata(const hymir_rt_safetensors *st,
                                          const char *key) {
  if (!st || !key)
    return NULL;
  size_t lo = 0, hi = st->metaCount;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(st->meta[mid].key, key);
    if (c == 0)
      return st->meta[mid].value;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

//===----------------------------------------------------------------------===//
// Loading a weight
//===----------------------------------------------------------------------===//

/// True if `longer` is `shorter` with a dotted prefix ("model." + name).
static int hasDottedPrefix(const char *longer, const char *shorter) {
  size_t nl = strlen(longer), ns = strlen(shorter);
  return nl > ns + 1 && longer[nl - ns - 1] == '.' &&
         strcmp(longer + nl - ns, shorter) == 0;
}

/// A tensor whose name differs from `name` only by a dotted prefix, to
/// suggest when `name` is missing ("backbone.x" for "model.backbone.x").
static const char *suggestName(const hymir_rt_safetensors *st,
                               const char *name) {
  for (size_t i = 0; i < st->count; ++i) {
    const char *cand = st->entries[i].name;
    if (hasDottedPrefix(cand, name) || hasDottedPrefix(name, cand))
      return cand;
  }
  return NULL;
}

int hymir_rt_safetensors_load(const hymir_rt_safetensors *st, const char *name,
                              hymir_rt_dtype want, int rank,
                              const int64_t *shape, hymir_rt_array *out,
                              hymir_rt_error *err) {
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "safetensors load: output array is null");
  memset(out, 0, sizeof(*out));
  if (!st || !name)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "safetensors load: file or tensor name is null");
  const char *file = st->name;
  char quoted[kNameBufSize];
  quoteName(quoted, name);
  if (!hymir_rt_dtype_is_valid(want))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: invalid expected dtype %d for tensor '%s'",
                              file, (int)want, quoted);
  if (rank < 0 || rank > HYMIR_RT_MAX_RANK || (rank > 0 && !shape))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: invalid expected rank %d for tensor '%s' "
                              "(expected 0 to %d, with a shape)",
                              file, rank, quoted, HYMIR_RT_MAX_RANK);
  for (int i = 0; i < rank; ++i)
    if (shape[i] < 0)
      return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: expected dimension %d of tensor '%s' is "
                                "negative (%" PRId64 ")",
                                file, i, quoted, shape[i]);
  char wantShape[kShapeBufSize];
  formatShape(wantShape, rank, shape);
  const char *wantName = hymir_rt_dtype_name(want);

  const Entry *e = findEntry(st, name);
  if (!e) {
    const char *hint = suggestName(st, name);
    if (hint) {
      char quotedHint[kNameBufSize];
      quoteName(quotedHint, hint);
      return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                                "%s: file has no tensor '%s' (the model "
                                "expects %s %s); did you mean '%s'?",
                                file, quoted, wantName, wantShape, quotedHint);
    }
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: file has no tensor '%s' (the model expects "
                              "%s %s)",
                              file, quoted, wantName, wantShape);
  }
  if (e->format->dtype == HYMIR_RT_DTYPE_INVALID)
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: tensor '%s' has dtype %s, which the "
                              "runtime cannot load (the model expects %s %s)",
                              file, quoted, e->format->name, wantName,
                              wantShape);
  int sameShape = e->rank == rank;
  for (int i = 0; sameShape && i < rank; ++i)
    sameShape = e->shape[i] == shape[i];
  if (!sameShape) {
    char haveShape[kShapeBufSize];
    formatShape(haveShape, e->rank, e->shape);
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: tensor '%s' has shape %s but the model "
                              "expects %s",
                              file, quoted, haveShape, wantShape);
  }
  hymir_rt_dtype have = e->format->dtype;
  if (have != want && !(isFloatDtype(have) && isFloatDtype(want)))
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: tensor '%s' has dtype %s but the model "
                              "expects %s (only floating-point tensors are "
                              "converted when loading)",
                              file, quoted, e->format->name, wantName);

  hymir_rt_array src;
  memset(&src, 0, sizeof(src));
  src.dtype = have;
  src.rank = e->rank;
  memcpy(src.shape, e->shape, sizeof(e->shape));
  // The array API takes a mutable pointer; convert only reads it.
  src.data = (void *)(uintptr_t)(st->data + e->begin);
  hymir_rt_error inner;
  hymir_rt_error_clear(&inner);
  int rc = hymir_rt_array_convert(&src, want, out, &inner);
  if (rc != HYMIR_RT_OK)
    return hymir_rt_error_set(err, rc, "%s: tensor '%s': %s", file, quoted,
                              inner.message);
  return HYMIR_RT_OK;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// A growable byte buffer; `failed` sticks after an allocation failure.
typedef struct Buf {
  unsigned char *p;
  size_t len, cap;
  int failed;
} Buf;

static void bufAppend(Buf *b, const void *s, size_t n) {
  if (b->failed)
    return;
  if (n > b->cap - b->len) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
      if (cap > SIZE_MAX / 2) {
        b->failed = 1;
        return;
      }
      cap *= 2;
    }
    unsigned char *grown = (unsigned char *)realloc(b->p, cap);
    if (!grown) {
      b->failed = 1;
      return;
    }
    b->p = grown;
    b->cap = cap;
  }
  if (n > 0)
    memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void bufAppendStr(Buf *b, const char *s) { bufAppend(b, s, strlen(s)); }

static void bufAppendU64(Buf *b, uint64_t v) {
  char digits[24];
  snprintf(digits, sizeof(digits), "%" PRIu64, v);
  bufAppendStr(b, digits);
}

/// Appends `s` as a JSON string escaped the way serde_json (the reference
/// writer) escapes: '"', '\\', \b \f \n \r \t, other control characters as
/// \u00xx with lowercase hex; everything else, non-ASCII included, as is.
static void bufAppendJsonString(Buf *b, const char *s) {
  bufAppend(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    char esc[7];
    const char *rep = NULL;
    switch (*p) {
    case '"':
      rep = "\\\"";
      break;
    case '\\':
      rep = "\\\\";
      break;
    case '\b':
      rep = "\\b";
      break;
    case '\f':
      rep = "\\f";
      break;
    case '\n':
      rep = "\\n";
      break;
    case '\r':
      rep = "\\r";
      break;
    case '\t':
      rep = "\\t";
      break;
    default:
      if (*p < 0x20) {
        memcpy(esc, "\\u00", 4);
        esc[4] = kHex[*p >> 4];
        esc[5] = kHex[*p & 15];
        esc[6] = '\0';
        rep = esc;
      }
      break;
    }
    if (rep)
      bufAppendStr(b, rep);
    else
      bufAppend(b, p, 1);
  }
  bufAppend(b, "\"", 1);
}

typedef struct WriteItem {
  const char *name;
  const hymir_rt_array *array;
  /// Position of the dtype in kFormats (the reference's sort key).
  int order;
  const char *dtype;
  size_t nbytes;
} WriteItem;

/// Decreasing dtype position, then name, as the reference writer sorts.
static int compareWriteItems(const void *a, const void *b) {
  const WriteItem *x = (const WriteItem *)a, *y = (const WriteItem *)b;
  if (x->order != y->order)
    return x->order > y->order ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int compareStrings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct MetaItem {
  const char *key;
  const char *value;
} MetaItem;

static int compareMetaItems(const void *a, const void *b) {
  return strcmp(((const MetaItem *)a)->key, ((const MetaItem *)b)->key);
}

/// Checks one array to be written and fills `item`.
static int checkWriteItem(const char *who, const char *name,
                          const hymir_rt_array *a, WriteItem *item,
                          hymir_rt_error *err) {
  char quoted[kNameBufSize];
  quoteName(quoted, name);
  if (!a)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: array of tensor '%s' is null", who, quoted);
  const Format *format = formatForDtype(a->dtype);
  if (!hymir_rt_dtype_is_valid(a->dtype) || !format)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: tensor '%s' has invalid dtype %d", who,
                              quoted, (int)a->dtype);
  if (a->rank < 0 || a->rank > HYMIR_RT_MAX_RANK)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: tensor '%s' has rank %d (expected 0 to %d)",
                              who, quoted, (int)a->rank, HYMIR_RT_MAX_RANK);
  for (int i = 0; i < a->rank; ++i)
    if (a->shape[i] < 0)
      return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: tensor '%s' has negative dimension %d "
                                "(%" PRId64 ")",
                                who, quoted, i, a->shape[i]);
  int64_t numel = hymir_rt_array_numel(a);
  size_t nbytes = hymir_rt_array_nbytes(a);
  if (numel < 0 || (numel > 0 && nbytes == 0))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: size of tensor '%s' overflows", who, quoted);
  if (nbytes > 0 && !a->data)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: data of tensor '%s' is null", who, quoted);
  item->name = name;
  item->array = a;
  item->order = (int)(format - kFormats);
  item->dtype = format->name;
  item->nbytes = nbytes;
  return HYMIR_RT_OK;
}

/// Validates the inputs and builds the 8-byte length and padded header JSON
/// into `*header`, and the items in file order into `*itemsOut` (free both).
static int prepareWrite(const char *who, size_t n, const char *const *names,
                        const hymir_rt_array *const *arrays, size_t nMeta,
                        const char *const *keys, const char *const *values,
                        Buf *header, WriteItem **itemsOut, uint64_t *dataLen,
                        hymir_rt_error *err) {
  memset(header, 0, sizeof(*header));
  *itemsOut = NULL;
  *dataLen = 0;
  if (n > 0 && (!names || !arrays))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: names or arrays are null", who);
  if (nMeta > 0 && (!keys || !values))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: metadata keys or values are null", who);
  if (!hostIsLittleEndian())
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: safetensors I/O needs a little-endian host",
                              who);
  if (n > SIZE_MAX / sizeof(WriteItem) || nMeta > SIZE_MAX / sizeof(MetaItem))
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: too many tensors", who);
  WriteItem *items = (WriteItem *)malloc((n ? n : 1) * sizeof(WriteItem));
  const char **sorted = (const char **)malloc((n ? n : 1) * sizeof(char *));
  MetaItem *meta = (MetaItem *)malloc((nMeta ? nMeta : 1) * sizeof(MetaItem));
  int rc = HYMIR_RT_OK;
  char quoted[kNameBufSize];
  if (!items || !sorted || !meta)
    rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "%s: out of memory",
                            who);
  for (size_t i = 0; rc == HYMIR_RT_OK && i < n; ++i) {
    const char *name = names[i];
    if (!name) {
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: name of tensor %zu is null", who, i);
      break;
    }
    quoteName(quoted, name);
    if (!isValidUtf8(name))
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: tensor name '%s' is not valid UTF-8", who,
                              quoted);
    else if (strcmp(name, "__metadata__") == 0)
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: '__metadata__' is reserved and cannot name "
                              "a tensor",
                              who);
    else
      rc = checkWriteItem(who, name, arrays[i], &items[i], err);
    sorted[i] = name;
  }
  if (rc == HYMIR_RT_OK && n > 1) {
    qsort(sorted, n, sizeof(char *), compareStrings);
    for (size_t i = 1; rc == HYMIR_RT_OK && i < n; ++i)
      if (strcmp(sorted[i - 1], sorted[i]) == 0) {
        quoteName(quoted, sorted[i]);
        rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: duplicate tensor name '%s'", who, quoted);
      }
  }
  for (size_t i = 0; rc == HYMIR_RT_OK && i < nMeta; ++i) {
    if (!keys[i] || !values[i]) {
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: metadata entry %zu is null", who, i);
      break;
    }
    quoteName(quoted, keys[i]);
    if (!isValidUtf8(keys[i]) || !isValidUtf8(values[i]))
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: metadata entry '%s' is not valid UTF-8", who,
                              quoted);
    meta[i].key = keys[i];
    meta[i].value = values[i];
  }
  if (rc == HYMIR_RT_OK && nMeta > 1) {
    qsort(meta, nMeta, sizeof(MetaItem), compareMetaItems);
    for (size_t i = 1; rc == HYMIR_RT_OK && i < nMeta; ++i)
      if (strcmp(meta[i - 1].key, meta[i].key) == 0) {
        quoteName(quoted, meta[i].key);
        rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: duplicate metadata key '%s'", who, quoted);
      }
  }
  if (rc == HYMIR_RT_OK && n > 1)
    qsort(items, n, sizeof(WriteItem), compareWriteItems);

  Buf b;
  memset(&b, 0, sizeof(b));
  uint64_t offset = 0;
  if (rc == HYMIR_RT_OK) {
    static const unsigned char kZeros[kLengthFieldSize] = {0};
    bufAppend(&b, kZeros, sizeof(kZeros));
    bufAppendStr(&b, "{");
    if (nMeta > 0) {
      bufAppendStr(&b, "\"__metadata__\":{");
      for (size_t i = 0; i < nMeta; ++i) {
        if (i)
          bufAppendStr(&b, ",");
        bufAppendJsonString(&b, meta[i].key);
        bufAppendStr(&b, ":");
        bufAppendJsonString(&b, meta[i].value);
      }
      bufAppendStr(&b, "}");
    }
    for (size_t i = 0; i < n; ++i) {
      const WriteItem *it = &items[i];
      if (i || nMeta > 0)
        bufAppendStr(&b, ",");
      bufAppendJsonString(&b, it->name);
      bufAppendStr(&b, ":{\"dtype\":\"");
      bufAppendStr(&b, it->dtype);
      bufAppendStr(&b, "\",\"shape\":[");
      for (int d = 0; d < it->array->rank; ++d) {
        if (d)
          bufAppendStr(&b, ",");
        bufAppendU64(&b, (uint64_t)it->array->shape[d]);
      }
      bufAppendStr(&b, "],\"data_offsets\":[");
      bufAppendU64(&b, offset);
      bufAppendStr(&b, ",");
      if (it->nbytes > UINT64_MAX - offset) {
        rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                                "%s: total data size overflows", who);
        break;
      }
      offset += it->nbytes;
      bufAppendU64(&b, offset);
      bufAppendStr(&b, "]}");
    }
    bufAppendStr(&b, "}");
    while (!b.failed && (b.len - kLengthFieldSize) % kHeaderAlign != 0)
      bufAppendStr(&b, " ");
    if (rc == HYMIR_RT_OK && b.failed)
      rc = hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: out of memory building the header", who);
    if (rc == HYMIR_RT_OK &&
        b.len - kLengthFieldSize > HYMIR_RT_SAFETENSORS_MAX_HEADER)
      rc = hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: header of %zu bytes exceeds the limit of "
                              "%d bytes",
                              who, b.len - kLengthFieldSize,
                              HYMIR_RT_SAFETENSORS_MAX_HEADER);
  }
  free(sorted);
  free(meta);
  if (rc != HYMIR_RT_OK) {
    free(b.p);
    free(items);
    return rc;
  }
  uint64_t headerLen = b.len - kLengthFieldSize;
  for (int i = 0; i < 8; ++i)
    b.p[i] = (unsigned char)(headerLen >> (8 * i));
  *header = b;
  *itemsOut = items;
  *dataLen = offset;
  return HYMIR_RT_OK;
}

int hymir_rt_safetensors_serialize(size_t n, const char *const *names,
                                   const hymir_rt_array *const *arrays,
                                   size_t n_metadata,
                                   const char *const *metadata_keys,
                                   const char *const *metadata_values,
                                   void **buf_out, size_t *len_out,
                                   hymir_rt_error *err) {
  static const char who[] = "safetensors serialize";
  if (!buf_out || !len_out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: output pointer is null", who);
  *buf_out = NULL;
  *len_out = 0;
  Buf header;
  WriteItem *items;
  uint64_t dataLen;
  int rc = prepareWrite(who, n, names, arrays, n_metadata, metadata_keys,
                        metadata_values, &header, &items, &dataLen, err);
  if (rc)
    return rc;
  if (dataLen > SIZE_MAX - header.len) {
    free(header.p);
    free(items);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: %" PRIu64 " bytes of data do not fit in "
                              "memory",
                              who, dataLen);
  }
  size_t total = header.len + (size_t)dataLen;
  unsigned char *buf = (unsigned char *)realloc(header.p, total);
  if (!buf) {
    free(header.p);
    free(items);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: cannot allocate %zu bytes", who, total);
  }
  size_t pos = header.len;
  for (size_t i = 0; i < n; ++i) {
    if (items[i].nbytes > 0)
      memcpy(buf + pos, items[i].array->data, items[i].nbytes);
    pos += items[i].nbytes;
  }
  free(items);
  *buf_out = buf;
  *len_out = total;
  return HYMIR_RT_OK;
}

int hymir_rt_safetensors_write_with_metadata(
    const char *path, size_t n, const char *const *names,
    const hymir_rt_array *const *arrays, size_t n_metadata,
    const char *const *metadata_keys, const char *const *metadata_values,
    hymir_rt_error *err) {
  if (!path)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "safetensors write: path is null");
  Buf header;
  WriteItem *items;
  uint64_t dataLen;
  int rc = prepareWrite(path, n, names, arrays, n_metadata, metadata_keys,
                        metadata_values, &header, &items, &dataLen, err);
  if (rc)
    return rc;

  // Same directory as the target, so rename() is atomic (same filesystem).
  size_t tmpSize = strlen(path) + 32;
  char *tmp = (char *)malloc(tmpSize);
  if (!tmp) {
    free(header.p);
    free(items);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: cannot allocate a file name", path);
  }
  snprintf(tmp, tmpSize, "%s.tmp.%ld", path, (long)getpid());

  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot create temporary file '%s': %s", path,
                            tmp, strerror(errno));
    free(tmp);
    free(header.p);
    free(items);
    return rc;
  }
  int ok = fwrite(header.p, 1, header.len, f) == header.len;
  for (size_t i = 0; ok && i < n; ++i)
    ok = items[i].nbytes == 0 ||
         fwrite(items[i].array->data, 1, items[i].nbytes, f) == items[i].nbytes;
  ok = ok && fflush(f) == 0;
  int savedErrno = errno;
  // fsync before rename: otherwise a crash can leave the new name pointing
  // at an empty file on some filesystems.
  if (ok && fsync(fileno(f)) != 0) {
    ok = 0;
    savedErrno = errno;
  }
  if (fclose(f) != 0 && ok) {
    ok = 0;
    savedErrno = errno;
  }
  uint64_t total = (uint64_t)header.len + dataLen;
  free(header.p);
  free(items);
  if (!ok) {
    remove(tmp);
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot write %" PRIu64 " bytes to '%s': %s",
                            path, total, tmp, strerror(savedErrno));
    free(tmp);
    return rc;
  }
  if (rename(tmp, path) != 0) {
    savedErrno = errno;
    remove(tmp);
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot rename '%s' into place: %s", path, tmp,
                            strerror(savedErrno));
    free(tmp);
    return rc;
  }
  free(tmp);
  return HYMIR_RT_OK;
}

int hymir_rt_safetensors_write(const char *path, size_t n,
                               const char *const *names,
                               const hymir_rt_array *const *arrays,
                               hymir_rt_error *err) {
  return hymir_rt_safetensors_write_with_metadata(path, n, names, arrays, 0,
                                                  NULL, NULL, err);
}
