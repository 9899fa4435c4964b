//===- npy.c - NumPy .npy file reader and writer ------------------*- C -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A .npy file is
//
//   "\x93NUMPY" major minor header_len header data
//
// where header_len is a little-endian uint16 (version 1.0) or uint32 (2.0 and
// 3.0), and header is the repr of a Python dict such as
//
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// padded with spaces and a final '\n'. The parser below is a small recursive
// descent over that one dict shape, with a bounds check before every byte it
// reads, because this code sees untrusted files and is fuzzed. The file
// reader and the in-memory entry point share the prefix, dict and data-size
// checks; the file reader only avoids holding the whole file in memory twice.
//
//===----------------------------------------------------------------------===//

// fileno, fstat, fsync, getpid are POSIX, not C11.
#define _POSIX_C_SOURCE 200809L

#include "hymir_rt/npy.h"

#include "internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/// Magic, two version bytes and the header length field.
enum { kPrefixLenV1 = 10, kPrefixLenV2 = 12 };

/// Headers we write are under 256 bytes; numpy itself refuses headers over
/// 10000 bytes by default. Anything near this limit is hostile or a
/// structured dtype we reject anyway, so do not allocate for it.
enum { kMaxHeaderLen = 1 << 20 };

/// numpy leaves room to grow the first dim to this many digits in place.
enum { kGrowthAxisMaxDigits = 21 };

/// numpy pads the header so that data starts at a multiple of this.
enum { kArrayAlign = 64 };

static const char kSupportedDescrs[] = "<f4, <f8, <f2, <i4, <i8, |i1";

static int hostIsLittleEndian(void) {
  const uint16_t probe = 1;
  unsigned char first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

//===----------------------------------------------------------------------===//
// Message helpers
//===----------------------------------------------------------------------===//



//===----------------------------------------------------------------------===//
// dtype descr
//===----------------------------------------------------------------------===//

const char *hymir_rt_npy_descr(hymir_rt_dtype dtype) {
  switch (dtype) {
  case HYMIR_RT_DTYPE_F32:
    return "<f4";
  case HYMIR_RT_DTYPE_F64:
    return "<f8";
  case HYMIR_RT_DTYPE_F16:
    return "<f2";
  case HYMIR_RT_DTYPE_I32:
    return "<i4";
  case HYMIR_RT_DTYPE_I64:
    return "<i8";
  case HYMIR_RT_DTYPE_I8:
    return "|i1";
  default:
    return NULL;
  }
}

/// Maps a type code without byte order ("f4") to a dtype.
static hymir_rt_dtype dtypeFromTypeCode(const unsigned char *s, size_t n) {
  if (n != 2)
    return HYMIR_RT_DTYPE_INVALID;
  if (s[0] == 'f' && s[1] == '4')
    return HYMIR_RT_DTYPE_F32;
  if (s[0] == 'f' && s[1] == '8')
    return HYMIR_RT_DTYPE_F64;
  if (s[0] == 'f' && s[1] == '2')
    return HYMIR_RT_DTYPE_F16;
  if (s[0] == 'i' && s[1] == '4')
    return HYMIR_RT_DTYPE_I32;
  if (s[0] == 'i' && s[1] == '8')
    return HYMIR_RT_DTYPE_I64;
  if (s[0] == 'i' && s[1] == '1')
    return HYMIR_RT_DTYPE_I8;
  return HYMIR_RT_DTYPE_INVALID;
}

/// Resolves a descr string to a dtype or explains why it is not supported.
static int parseDescr(const unsigned char *s, size_t n, const char *name,
                      hymir_rt_dtype *dtype, hymir_rt_error *err) {
  char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
  hymir_rt_internal_quote_bytes(quoted, s, n);
  hymir_rt_dtype t =
      n >= 1 ? dtypeFromTypeCode(s + 1, n - 1) : HYMIR_RT_DTYPE_INVALID;
  if (n >= 1 && (s[0] == '>' || s[0] == '!')) {
    // Name the little-endian spelling when we would support it.
    if (t != HYMIR_RT_DTYPE_INVALID)
      return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                                "%s: big-endian dtype '%s' is not supported "
                                "(expected little-endian '%s'; save with "
                                "arr.astype(arr.dtype.newbyteorder('<')))",
                                name, quoted, hymir_rt_npy_descr(t));
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: big-endian dtype '%s' is not supported "
                              "(expected one of %s)",
                              name, quoted, kSupportedDescrs);
  }
  // One-byte types have no byte order: numpy writes '|i1' but '<i1' is
  // equally unambiguous. Wider types must say little-endian.
  int ok = t != HYMIR_RT_DTYPE_INVALID &&
           (s[0] == '<' || (s[0] == '|' && t == HYMIR_RT_DTYPE_I8));
  if (!ok)
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: unsupported dtype '%s' (expected one of %s)",
                              name, quoted, kSupportedDescrs);
  *dtype = t;
  return HYMIR_RT_OK;
}

//===----------------------------------------------------------------------===//
// Header dict parser
//===----------------------------------------------------------------------===//

/// What the header dict says, before it is checked against the data.
typedef struct NpyHeader {
  hymir_rt_dtype dtype;
  int rank;
  int64_t shape[HYMIR_RT_MAX_RANK];
} NpyHeader;

/// A cursor over the header text. `base` is the file offset of `begin`, so
/// messages can point at a byte a hex dump shows.
typedef struct Cursor {
  const unsigned char *begin;
  const unsigned char *p;
  const unsigned char *end;
  size_t base;
  const char *name;
  hymir_rt_error *err;
} Cursor;

static void skipSpace(Cursor *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    ++c->p;
}

/// Reports "expected <what>" at the cursor, quoting what is there instead.
static int malformed(Cursor *c, const char *what) {
  size_t offset = c->base + (size_t)(c->p - c->begin);
  if (c->p >= c->end)
    return hymir_rt_error_set(c->err, HYMIR_RT_FORMAT_ERROR,
                              "%s: malformed header dict: expected %s at byte "
                              "%zu, found end of header",
                              c->name, what, offset);
  char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
  size_t left = (size_t)(c->end - c->p);
  hymir_rt_internal_quote_bytes(quoted, c->p, left < 8 ? left : 8);
  return hymir_rt_error_set(c->err, HYMIR_RT_FORMAT_ERROR,
                            "%s: malformed header dict: expected %s at byte "
                            "%zu, found '%s'",
                            c->name, what, offset, quoted);
}

/// Consumes `ch` (after optional whitespace) or reports it as expected.
static int expectChar(Cursor *c, char ch, const char *what) {
  skipSpace(c);
  if (c->p >= c->end || *c->p != (unsigned char)ch)
    return malformed(c, what);
  ++c->p;
  return HYMIR_RT_OK;
}

/// Parses a Python string literal in single or double quotes. Escapes never
/// occur in valid headers, so a backslash is rejected rather than decoded.
static int parseString(Cursor *c, const unsigned char **s, size_t *n,
                       const char *what) {
  skipSpace(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return malformed(c, what);
  unsigned char quote = *c->p++;
  const unsigned char *start = c->p;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || *c->p == '\n')
      return malformed(c, "a closing quote (escapes are not supported)");
    ++c->p;
  }
  if (c->p >= c->end)
    return malformed(c, "a closing quote");
  *s = start;
  *n = (size_t)(c->p - start);
  ++c->p;
  return HYMIR_RT_OK;
}

static int matchWord(Cursor *c, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
    return 0;
  // "Truex" is not "True".
  const unsigned char *after = c->p + n;
  if (after < c->end &&
      ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
       (*after >= '0' && *after <= '9') || *after == '_'))
    return 0;
  c->p = after;
  return 1;
}

static int parseBool(Cursor *c, int *value) {
  skipSpace(c);
  if (matchWord(c, "True")) {
    *value = 1;
    return HYMIR_RT_OK;
  }
  if (matchWord(c, "False")) {
    *value = 0;
    return HYMIR_RT_OK;
  }
  return malformed(c, "True or False for 'fortran_order'");
}

/// Parses one dim: a non-negative decimal integer (an 'L' suffix from
/// Python 2 era files is tolerated). Negative and too large values get their
/// own messages since they are well-formed but meaningless.
static int parseDim(Cursor *c, int index, int64_t *dim) {
  skipSpace(c);
  const unsigned char *start = c->p;
  int negative = 0;
  if (c->p < c->end && *c->p == '-') {
    negative = 1;
    ++c->p;
  }
  const unsigned char *digits = c->p;
  uint64_t value = 0;
  int overflow = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    unsigned d = (unsigned)(*c->p - '0');
    if (value > ((uint64_t)INT64_MAX - d) / 10)
      overflow = 1;
    else
      value = value * 10 + d;
    ++c->p;
  }
  if (c->p == digits) {
    c->p = start;
    return malformed(c, "an integer dimension in 'shape'");
  }
  char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
  hymir_rt_internal_quote_bytes(quoted, start, (size_t)(c->p - start));
  if (c->p < c->end && *c->p == 'L')
    ++c->p;
  if (negative)
    return hymir_rt_error_set(c->err, HYMIR_RT_FORMAT_ERROR,
                              "%s: negative dimension %d in 'shape' (found "
                              "%s, expected a non-negative integer)",
                              c->name, index, quoted);
  if (overflow)
    return hymir_rt_error_set(c->err, HYMIR_RT_FORMAT_ERROR,
                              "%s: dimension %d in 'shape' is too large "
                              "(found %s, expected at most %" PRId64 ")",
                              c->name, index, quoted, INT64_MAX);
  *dim = (int64_t)value;
  return HYMIR_RT_OK;
}

/// Parses a tuple of dims: "()", "(5,)", "(5)", "(2, 3)", "(2, 3,)". Dims
/// beyond HYMIR_RT_MAX_RANK are still parsed so the message can give the
/// rank found.
static int parseShape(Cursor *c, NpyHeader *h) {
  int rc = expectChar(c, '(', "'(' to start the 'shape' tuple");
  if (rc)
    return rc;
  int rank = 0;
  skipSpace(c);
  if (c->p < c->end && *c->p == ')') {
    ++c->p;
    h->rank = 0;
    return HYMIR_RT_OK;
  }
  for (;;) {
    int64_t dim = 0;
    if ((rc = parseDim(c, rank, &dim)))
      return rc;
    if (rank < HYMIR_RT_MAX_RANK)
      h->shape[rank] = dim;
    // Cap the count; the message only needs "more than enough".
    if (rank < 1000000)
      ++rank;
    skipSpace(c);
    if (c->p < c->end && *c->p == ')') {
      ++c->p;
      break;
    }
    if ((rc = expectChar(c, ',', "',' or ')' in 'shape'")))
      return rc;
    skipSpace(c);
    if (c->p < c->end && *c->p == ')') {
      ++c->p;
      break;
    }
  }
  if (rank > HYMIR_RT_MAX_RANK)
    return hymir_rt_error_set(c->err, HYMIR_RT_UNSUPPORTED,
                              "%s: rank %d is not supported (expected at "
                              "most %d dimensions)",
                              c->name, rank, HYMIR_RT_MAX_RANK);
  h->rank = rank;
  return HYMIR_RT_OK;
}

static int keyIs(const unsigned char *s, size_t n, const char *key) {
  return n == strlen(key) && memcmp(s, key, n) == 0;
}

/// Parses the header text `[text, text + len)` found at file offset `base`.
static int parseHeaderDict(const unsigned char *text, size_t len, size_t base,
                           const char *name, NpyHeader *h,
                           hymir_rt_error *err) {
  Cursor c = {text, text, text + len, base, name, err};
  int rc;
  if ((rc = expectChar(&c, '{', "'{' to start the header dict")))
    return rc;

  int haveDescr = 0, haveOrder = 0, haveShape = 0;
  const unsigned char *descr = NULL;
  size_t descrLen = 0;
  int fortranOrder = 0;
  for (;;) {
    skipSpace(&c);
    if (c.p < c.end && *c.p == '}') {
      ++c.p;
      break;
    }
    const unsigned char *key;
    size_t keyLen;
    if ((rc = parseString(&c, &key, &keyLen, "a quoted key or '}'")))
      return rc;
    char quotedKey[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
    hymir_rt_internal_quote_bytes(quotedKey, key, keyLen);
    if ((rc = expectChar(&c, ':', "':' after a key")))
      return rc;

    int *seen;
    if (keyIs(key, keyLen, "descr")) {
      seen = &haveDescr;
      skipSpace(&c);
      if (c.p < c.end && (*c.p == '[' || *c.p == '{'))
        return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                                  "%s: unsupported structured dtype (expected "
                                  "one of %s)",
                                  name, kSupportedDescrs);
      if ((rc = parseString(&c, &descr, &descrLen,
                            "a quoted dtype string for 'descr'")))
        return rc;
    } else if (keyIs(key, keyLen, "fortran_order")) {
      seen = &haveOrder;
      if ((rc = parseBool(&c, &fortranOrder)))
        return rc;
    } else if (keyIs(key, keyLen, "shape")) {
      seen = &haveShape;
      if ((rc = parseShape(&c, h)))
        return rc;
    } else {
      // numpy rejects extra keys too; they would mean a format we do not know.
      return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                                "%s: unexpected key '%s' in header dict "
                                "(expected 'descr', 'fortran_order' and "
                                "'shape')",
                                name, quotedKey);
    }
    if (*seen)
      return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                                "%s: duplicate key '%s' in header dict", name,
                                quotedKey);
    *seen = 1;

    skipSpace(&c);
    if (c.p < c.end && *c.p == ',') {
      ++c.p;
      continue;
    }
    if (c.p < c.end && *c.p == '}') {
      ++c.p;
      break;
    }
    return malformed(&c, "',' or '}' after a value");
  }
  // numpy pads with spaces and ends with '\n'; nothing else may follow.
  skipSpace(&c);
  if (c.p < c.end)
    return malformed(&c, "only padding after the header dict");

  const char *missing = !haveDescr   ? "descr"
                        : !haveOrder ? "fortran_order"
                        : !haveShape ? "shape"
                                     : NULL;
  if (missing)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: missing key '%s' in header dict (expected "
                              "'descr', 'fortran_order' and 'shape')",
                              name, missing);
  if ((rc = parseDescr(descr, descrLen, name, &h->dtype, err)))
    return rc;
  if (fortranOrder)
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: Fortran-order arrays are not supported; "
                              "save with np.ascontiguousarray",
                              name);
  return HYMIR_RT_OK;
}

//===----------------------------------------------------------------------===//
// Prefix and data size checks
//===----------------------------------------------------------------------===//

/// Checks magic, version and header length in the first `len` bytes of a
/// file of `totalLen` bytes; sets the offset and length of the header text.
static int parsePrefix(const unsigned char *buf, size_t len, uint64_t totalLen,
                       const char *name, size_t *headerOffset,
                       size_t *headerLen, hymir_rt_error *err) {
  size_t magicLen = len < sizeof(kMagic) ? len : sizeof(kMagic);
  if (memcmp(buf, kMagic, magicLen) != 0) {
    char quoted[HYMIR_RT_INTERNAL_QUOTE_BUF_SIZE];
    hymir_rt_internal_quote_bytes(quoted, buf, magicLen);
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: not a .npy file: bad magic (expected "
                              "'\\x93NUMPY', found '%s')",
                              name, quoted);
  }
  if (len < 8)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: truncated header: file is %" PRIu64
                              " bytes (expected at least %d)",
                              name, totalLen, kPrefixLenV1);
  unsigned major = buf[6], minor = buf[7];
  size_t prefixLen;
  if (major == 1 && minor == 0)
    prefixLen = kPrefixLenV1;
  else if ((major == 2 || major == 3) && minor == 0)
    prefixLen = kPrefixLenV2; // Only the length field differs (3.0: utf-8).
  else
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: unsupported .npy version %u.%u (expected "
                              "1.0, 2.0 or 3.0)",
                              name, major, minor);
  if (len < prefixLen || totalLen < prefixLen)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: truncated header: file is %" PRIu64
                              " bytes (expected at least %zu)",
                              name, totalLen, prefixLen);
  uint32_t hlen = (uint32_t)buf[8] | (uint32_t)buf[9] << 8;
  if (prefixLen == kPrefixLenV2)
    hlen |= (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
  if (hlen > kMaxHeaderLen)
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: header length %" PRIu32 " is too large "
                              "(expected at most %d bytes)",
                              name, hlen, kMaxHeaderLen);
  if ((uint64_t)hlen > totalLen - prefixLen)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: truncated header: header length field "
                              "says %" PRIu32 " bytes, found %" PRIu64,
                              name, hlen, totalLen - prefixLen);
  *headerOffset = prefixLen;
  *headerLen = hlen;
  return HYMIR_RT_OK;
}

/// Checks that exactly numel * itemsize bytes follow the header and returns
/// that count.
static int checkDataSize(const NpyHeader *h, uint64_t available,
                         const char *name, size_t *dataBytes,
                         hymir_rt_error *err) {
  char shapeStr[HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE];
  hymir_rt_internal_format_shape(shapeStr, sizeof(shapeStr), h->rank, h->shape);
  hymir_rt_array probe;
  memset(&probe, 0, sizeof(probe));
  probe.dtype = h->dtype;
  probe.rank = h->rank;
  memcpy(probe.shape, h->shape, sizeof(h->shape));
  int64_t numel = hymir_rt_array_numel(&probe);
  uint64_t itemSize = hymir_rt_dtype_size(h->dtype);
  const char *descr = hymir_rt_npy_descr(h->dtype);
  if (numel < 0)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: element count of shape %s overflows 64 "
                              "bits",
                              name, shapeStr);
  // As numpy, the byte size of the non-zero dims must fit even when a zero dim
  // makes the array empty: consumers compute strides from them.
  uint64_t nonZeroBytes = itemSize;
  for (int i = 0; numel >= 0 && i < h->rank; ++i) {
    if (h->shape[i] == 0)
      continue;
    if (nonZeroBytes > (uint64_t)INT64_MAX / (uint64_t)h->shape[i])
      return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                                "%s: byte size of a '%s' array of shape %s "
                                "overflows 64 bits",
                                name, descr, shapeStr);
    nonZeroBytes *= (uint64_t)h->shape[i];
  }
  if ((uint64_t)numel > (uint64_t)INT64_MAX / itemSize)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: byte size of a '%s' array of shape %s "
                              "overflows 64 bits",
                              name, descr, shapeStr);
  uint64_t expected = (uint64_t)numel * itemSize;
  if (available < expected)
    return hymir_rt_error_set(err, HYMIR_RT_FORMAT_ERROR,
                              "%s: truncated data: expected %" PRIu64
                              " bytes after the header for a '%s' array of "
                              "shape %s, found %" PRIu64,
                              name, expected, descr, shapeStr, available);
  if (available > expected)
    return hymir_rt_error_set(
        err, HYMIR_RT_FORMAT_ERROR,
        "%s: trailing data: expected %" PRIu64
        " bytes after the header for a '%s' array of "
        "shape %s, found %" PRIu64 " (%" PRIu64 " extra bytes)",
        name, expected, descr, shapeStr, available, available - expected);
  if (expected > SIZE_MAX)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: %" PRIu64 " bytes of data do not fit in "
                              "the address space",
                              name, expected);
  uint64_t limit = hymir_rt_memory_limit();
  if (expected > limit) {
    char need[32], have[32];
    hymir_rt_format_bytes(need, sizeof(need), expected);
    hymir_rt_format_bytes(have, sizeof(have), limit);
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: a '%s' array of shape %s needs %s, more "
                              "than the memory limit of %s",
                              name, descr, shapeStr, need, have);
  }
  *dataBytes = (size_t)expected;
  return HYMIR_RT_OK;
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

int hymir_rt_npy_parse(const void *buf, size_t len,
                       const char *name_for_messages, hymir_rt_array *out,
                       hymir_rt_error *err) {
  const char *name = name_for_messages ? name_for_messages : "<memory>";
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: output array is null", name);
  memset(out, 0, sizeof(*out));
  if (!buf && len > 0)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: buffer is null", name);
  if (!hostIsLittleEndian())
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: .npy I/O needs a little-endian host", name);
  // memcmp(NULL, ..., 0) is undefined: give an empty buffer a real address.
  static const unsigned char kEmpty[1] = {0};
  const unsigned char *bytes = buf ? (const unsigned char *)buf : kEmpty;

  size_t headerOffset, headerLen;
  int rc = parsePrefix(bytes, len, len, name, &headerOffset, &headerLen, err);
  if (rc)
    return rc;
  NpyHeader h;
  memset(&h, 0, sizeof(h));
  if ((rc = parseHeaderDict(bytes + headerOffset, headerLen, headerOffset, name,
                            &h, err)))
    return rc;
  size_t dataOffset = headerOffset + headerLen;
  size_t dataBytes;
  if ((rc = checkDataSize(&h, len - dataOffset, name, &dataBytes, err)))
    return rc;
  if ((rc = hymir_rt_array_alloc(h.dtype, h.rank, h.shape, out, err)))
    return rc;
  if (dataBytes > 0)
    memcpy(out->data, bytes + dataOffset, dataBytes);
  return HYMIR_RT_OK;
}

/// Reads the prefix and header of the open regular file `f` of `fileSize`
/// bytes and leaves `f` positioned at the first data byte.
static int readHeader(FILE *f, uint64_t fileSize, const char *path,
                      NpyHeader *h, size_t *dataBytes, hymir_rt_error *err) {
  unsigned char prefix[kPrefixLenV2];
  size_t prefixRead = fread(prefix, 1, sizeof(prefix), f);
  size_t headerOffset, headerLen;
  int rc = parsePrefix(prefix, prefixRead, fileSize, path, &headerOffset,
                       &headerLen, err);
  if (rc)
    return rc;
  unsigned char *header = (unsigned char *)malloc(headerLen ? headerLen : 1);
  if (!header)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: cannot allocate %zu bytes for the header",
                              path, headerLen);
  if (fseek(f, (long)headerOffset, SEEK_SET) != 0 ||
      fread(header, 1, headerLen, f) != headerLen)
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot read the %zu-byte header", path,
                            headerLen);
  else
    rc = parseHeaderDict(header, headerLen, headerOffset, path, h, err);
  free(header);
  if (rc)
    return rc;
  uint64_t dataOffset = (uint64_t)headerOffset + headerLen;
  return checkDataSize(h, fileSize - dataOffset, path, dataBytes, err);
}

/// Reads an open file into `*out`; the caller closes `f`.
static int readOpenFile(FILE *f, const char *path, hymir_rt_array *out,
                        hymir_rt_error *err) {
  struct stat st;
  if (fstat(fileno(f), &st) != 0)
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: cannot stat: %s",
                              path, strerror(errno));
  // Sizes come from fstat, so pipes and directories cannot be trusted.
  if (!S_ISREG(st.st_mode))
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR, "%s: not a regular file",
                              path);

  // Read the prefix, then exactly the header, then the data into place.
  NpyHeader h;
  memset(&h, 0, sizeof(h));
  size_t dataBytes;
  int rc = readHeader(f, (uint64_t)st.st_size, path, &h, &dataBytes, err);
  if (rc)
    return rc;
  if ((rc = hymir_rt_array_alloc(h.dtype, h.rank, h.shape, out, err)))
    return rc;
  if (dataBytes > 0 && fread(out->data, 1, dataBytes, f) != dataBytes) {
    hymir_rt_array_free(out);
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                              "%s: cannot read %zu bytes of data (file changed "
                              "while reading?)",
                              path, dataBytes);
  }
  return HYMIR_RT_OK;
}

int hymir_rt_npy_read(const char *path, hymir_rt_array *out,
                      hymir_rt_error *err) {
  if (!out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "npy read: output array is null");
  memset(out, 0, sizeof(*out));
  if (!path)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "npy read: path is null");
  if (!hostIsLittleEndian())
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: .npy I/O needs a little-endian host", path);
  FILE *f = fopen(path, "rb");
  if (!f)
    return hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                              "%s: cannot open for reading: %s", path,
                              strerror(errno));
  int rc = readOpenFile(f, path, out, err);
  fclose(f);
  return rc;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Checks that `a` can be written and formats its header exactly as numpy's
/// `_write_array_header` does for version 1.0: the dict with sorted keys,
/// spare spaces to grow dim 0 to 21 digits, then spaces and '\n' so that
/// 10 + header length is a multiple of 64 (a whole extra 64 if already so).
static int buildHeader(const hymir_rt_array *a, const char *name,
                       unsigned char *buf, size_t cap, size_t *len,
                       size_t *dataBytes, hymir_rt_error *err) {
  if (!a)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: array is null", name);
  if (!hostIsLittleEndian())
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: .npy I/O needs a little-endian host", name);
  if (a->dtype == HYMIR_RT_DTYPE_BF16)
    return hymir_rt_error_set(err, HYMIR_RT_UNSUPPORTED,
                              "%s: bf16 arrays have no .npy dtype (expected "
                              "one of %s); convert to f32 first",
                              name, kSupportedDescrs);
  const char *descr = hymir_rt_npy_descr(a->dtype);
  if (!descr)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: invalid dtype %d", name, (int)a->dtype);
  if (a->rank < 0 || a->rank > HYMIR_RT_MAX_RANK)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: rank %d is out of range (expected 0 to %d)",
                              name, (int)a->rank, HYMIR_RT_MAX_RANK);
  for (int i = 0; i < a->rank; ++i)
    if (a->shape[i] < 0)
      return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                                "%s: dimension %d is negative (found %" PRId64
                                ")",
                                name, i, a->shape[i]);
  int64_t numel = hymir_rt_array_numel(a);
  size_t nbytes = hymir_rt_array_nbytes(a);
  if (numel < 0 || (numel > 0 && nbytes == 0))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: array size overflows", name);
  if (nbytes > 0 && !a->data)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: array data is null", name);

  char shapeStr[HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE];
  hymir_rt_internal_format_shape(shapeStr, sizeof(shapeStr), a->rank, a->shape);
  char dict[HYMIR_RT_INTERNAL_SHAPE_STRING_SIZE + 80];
  int dictLen = snprintf(dict, sizeof(dict),
                         "{'descr': '%s', 'fortran_order': False, "
                         "'shape': %s, }",
                         descr, shapeStr);
  if (dictLen < 0 || (size_t)dictLen >= sizeof(dict))
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: header does not fit", name);
  size_t growth = 0;
  if (a->rank > 0) {
    char dim0[24];
    int digits = snprintf(dim0, sizeof(dim0), "%" PRId64, a->shape[0]);
    growth = (size_t)(kGrowthAxisMaxDigits - digits);
  }
  size_t hlen = (size_t)dictLen + growth + 1; // + '\n'
  size_t pad = kArrayAlign - (kPrefixLenV1 + hlen) % kArrayAlign;
  size_t total = kPrefixLenV1 + hlen + pad;
  if (total > cap || hlen + pad > 0xffff)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "%s: header does not fit", name);

  memcpy(buf, kMagic, sizeof(kMagic));
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (unsigned char)((hlen + pad) & 0xff);
  buf[9] = (unsigned char)((hlen + pad) >> 8);
  memcpy(buf + kPrefixLenV1, dict, (size_t)dictLen);
  memset(buf + kPrefixLenV1 + dictLen, ' ', growth + pad);
  buf[total - 1] = '\n';
  *len = total;
  *dataBytes = nbytes;
  return HYMIR_RT_OK;
}

/// Largest header buildHeader can produce, rounded up to the alignment.
enum { kMaxWrittenHeader = 512 };

int hymir_rt_npy_serialize(const hymir_rt_array *a, void **buf_out,
                           size_t *len_out, hymir_rt_error *err) {
  if (!buf_out || !len_out)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "npy serialize: output pointer is null");
  *buf_out = NULL;
  *len_out = 0;
  unsigned char header[kMaxWrittenHeader];
  size_t headerLen, dataBytes;
  int rc = buildHeader(a, "npy serialize", header, sizeof(header), &headerLen,
                       &dataBytes, err);
  if (rc)
    return rc;
  if (dataBytes > SIZE_MAX - headerLen)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "npy serialize: array too large");
  unsigned char *buf = (unsigned char *)malloc(headerLen + dataBytes);
  if (!buf)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "npy serialize: cannot allocate %zu bytes",
                              headerLen + dataBytes);
  memcpy(buf, header, headerLen);
  if (dataBytes > 0)
    memcpy(buf + headerLen, a->data, dataBytes);
  *buf_out = buf;
  *len_out = headerLen + dataBytes;
  return HYMIR_RT_OK;
}

int hymir_rt_npy_write(const char *path, const hymir_rt_array *a,
                       hymir_rt_error *err) {
  if (!path)
    return hymir_rt_error_set(err, HYMIR_RT_INVALID_ARGUMENT,
                              "npy write: path is null");
  unsigned char header[kMaxWrittenHeader];
  size_t headerLen, dataBytes;
  int rc =
      buildHeader(a, path, header, sizeof(header), &headerLen, &dataBytes, err);
  if (rc)
    return rc;

  // Same directory as the target, so rename() is atomic (same filesystem).
  size_t tmpSize = strlen(path) + 32;
  char *tmp = (char *)malloc(tmpSize);
  if (!tmp)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY,
                              "%s: cannot allocate a file name", path);
  snprintf(tmp, tmpSize, "%s.tmp.%ld", path, (long)getpid());

  FILE *f = fopen(tmp, "wb");
  if (!f) {
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot create temporary file '%s': %s", path,
                            tmp, strerror(errno));
    free(tmp);
    return rc;
  }
  int ok = fwrite(header, 1, headerLen, f) == headerLen &&
           (dataBytes == 0 || fwrite(a->data, 1, dataBytes, f) == dataBytes) &&
           fflush(f) == 0;
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
  if (!ok) {
    remove(tmp);
    rc = hymir_rt_error_set(err, HYMIR_RT_IO_ERROR,
                            "%s: cannot write %zu bytes to '%s': %s", path,
                            headerLen + dataBytes, tmp, strerror(savedErrno));
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
