//===- NpyTest.cpp - Tests for arrays, conversion and .npy I/O --*- C++ -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Unit tests for the runtime's common layer: status messages, array
// allocation, dtype conversion and the .npy reader/writer. Every fixture file
// is built byte by byte here and written to a per-test temporary directory;
// the expected writer output was checked once against numpy 1.24
// (numpy.lib.format._write_array_header) and is hard-coded below.
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/hymir_rt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// RAII owner of a hymir_rt_array.
struct Array {
  hymir_rt_array a{};
  Array() = default;
  Array(Array &&other) noexcept : a(other.a) { other.a = hymir_rt_array{}; }
  Array(const Array &) = delete;
  Array &operator=(const Array &) = delete;
  ~Array() { hymir_rt_array_free(&a); }
  hymir_rt_array *operator->() { return &a; }
  hymir_rt_array *get() { return &a; }
  template <typename T> T *data() { return static_cast<T *>(a.data); }
};

Array makeArray(hymir_rt_dtype dtype, std::vector<int64_t> shape) {
  Array out;
  hymir_rt_error err{};
  int rc = hymir_rt_array_alloc(dtype, static_cast<int>(shape.size()),
                                shape.data(), out.get(), &err);
  EXPECT_EQ(rc, 0) << err.message;
  return out;
}

/// The padding numpy applies: spaces, then '\n', so that 10 + header length
/// is a multiple of 64 (adds a full 64 when already aligned).
std::string padHeader(const std::string &dict, size_t prefixLen = 10) {
  size_t hlen = dict.size() + 1;
  size_t pad = 64 - (prefixLen + hlen) % 64;
  return dict + std::string(pad, ' ') + "\n";
}

/// Assembles a .npy image from a header text used verbatim.
std::string npyRaw(const std::string &header, const std::string &data,
                   int major = 1, int minor = 0) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  uint32_t n = static_cast<uint32_t>(header.size());
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major >= 2) {
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 24) & 0xff);
  }
  return out + header + data;
}

/// Assembles a .npy image from a dict, padded as numpy pads it.
std::string npy(const std::string &dict, const std::string &data,
                int major = 1) {
  return npyRaw(padHeader(dict, major >= 2 ? 12 : 10), data, major, 0);
}

std::string f32Bytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(float));
}

const char *kDict23 =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

class NpyTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string leaf = std::string("hymir_rt_") + info->test_suite_name() +
                       "_" + info->name() + "_" + std::to_string(getpid());
    for (char &c : leaf)
      if (c == '/')
        c = '_';
    dir = fs::temp_directory_path() / leaf;
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string path(const std::string &name) const {
    return (dir / name).string();
  }

  void writeFile(const std::string &p, const std::string &bytes) const {
    std::ofstream f(p, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  static std::string readFile(const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f),
                       std::istreambuf_iterator<char>());
  }

  std::vector<std::string> listDir() const {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir))
      names.push_back(e.path().filename().string());
    return names;
  }

  /// Parses `bytes` from an exactly sized heap copy (so ASan sees any read
  /// past the end) and, separately, from a file; both paths must agree.
  /// Returns the return code and sets `message`.
  int load(const std::string &bytes, Array &out, std::string &message) {
    std::string p = path("t.npy");
    std::vector<unsigned char> heap(bytes.begin(), bytes.end());
    hymir_rt_error err{};
    int rc = hymir_rt_npy_parse(heap.empty() ? nullptr : heap.data(),
                                heap.size(), p.c_str(), out.get(), &err);
    message = rc ? err.message : "";
    writeFile(p, bytes);
    Array fromFile;
    hymir_rt_error fileErr{};
    int fileRc = hymir_rt_npy_read(p.c_str(), fromFile.get(), &fileErr);
    EXPECT_EQ(rc, fileRc) << "parse: " << message
                          << "\nread: " << fileErr.message;
    if (rc == 0 && fileRc == 0) {
      EXPECT_EQ(out->rank, fromFile->rank);
      EXPECT_EQ(std::memcmp(out->data, fromFile->data,
                            hymir_rt_array_nbytes(out.get())),
                0);
    } else if (rc != 0 && fileRc != 0) {
      EXPECT_EQ(message, fileErr.message);
    }
    return rc;
  }

  /// Expects `bytes` to be rejected with a message that names the file and
  /// contains every phrase in `phrases`.
  void expectRejected(const std::string &bytes,
                      std::vector<std::string> phrases) {
    Array out;
    std::string message;
    int rc = load(bytes, out, message);
    EXPECT_NE(rc, 0);
    EXPECT_EQ(out->data, nullptr);
    EXPECT_EQ(message.rfind(path("t.npy") + ": ", 0), 0u) << message;
    for (const auto &phrase : phrases)
      EXPECT_NE(message.find(phrase), std::string::npos)
          << "missing '" << phrase << "' in: " << message;
  }

  fs::path dir;
};

//===----------------------------------------------------------------------===//
// Status, dtypes, arrays
//===----------------------------------------------------------------------===//

TEST(StatusTest, SetFormatsTruncatesAndNamesCodes) {
  hymir_rt_error err{};
  EXPECT_EQ(hymir_rt_error_set(&err, HYMIR_RT_FORMAT_ERROR, "x%d", 7),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(err.code, HYMIR_RT_FORMAT_ERROR);
  EXPECT_STREQ(err.message, "x7");
  std::string longText(2000, 'a');
  hymir_rt_error_set(&err, HYMIR_RT_IO_ERROR, "%s", longText.c_str());
  EXPECT_EQ(std::strlen(err.message), sizeof(err.message) - 1);
  hymir_rt_error_clear(&err);
  EXPECT_EQ(err.code, 0);
  EXPECT_STREQ(err.message, "");
  // A null error record is allowed everywhere.
  EXPECT_EQ(hymir_rt_error_set(nullptr, HYMIR_RT_IO_ERROR, "ignored"),
            HYMIR_RT_IO_ERROR);
  EXPECT_STREQ(hymir_rt_status_name(HYMIR_RT_OK), "ok");
  EXPECT_STREQ(hymir_rt_status_name(HYMIR_RT_FORMAT_ERROR), "format error");
  EXPECT_STREQ(hymir_rt_status_name(99), "unknown status");
}

TEST(DtypeTest, SizesNamesAndDescrs) {
  struct Case {
    hymir_rt_dtype dtype;
    size_t size;
    const char *name;
    const char *descr;
  } cases[] = {
      {HYMIR_RT_DTYPE_F32, 4, "f32", "<f4"},
      {HYMIR_RT_DTYPE_F64, 8, "f64", "<f8"},
      {HYMIR_RT_DTYPE_F16, 2, "f16", "<f2"},
      {HYMIR_RT_DTYPE_BF16, 2, "bf16", nullptr},
      {HYMIR_RT_DTYPE_I8, 1, "i8", "|i1"},
      {HYMIR_RT_DTYPE_I32, 4, "i32", "<i4"},
      {HYMIR_RT_DTYPE_I64, 8, "i64", "<i8"},
      {HYMIR_RT_DTYPE_INVALID, 0, "invalid", nullptr},
      {static_cast<hymir_rt_dtype>(42), 0, "invalid", nullptr},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(hymir_rt_dtype_size(c.dtype), c.size) << c.name;
    EXPECT_STREQ(hymir_rt_dtype_name(c.dtype), c.name);
    if (c.descr)
      EXPECT_STREQ(hymir_rt_npy_descr(c.dtype), c.descr);
    else
      EXPECT_EQ(hymir_rt_npy_descr(c.dtype), nullptr) << c.name;
  }
}

TEST(ArrayTest, AllocIsAlignedZeroedAndSized) {
  struct Case {
    hymir_rt_dtype dtype;
    std::vector<int64_t> shape;
    int64_t numel;
  } cases[] = {
      {HYMIR_RT_DTYPE_F32, {}, 1},
      {HYMIR_RT_DTYPE_F64, {5}, 5},
      {HYMIR_RT_DTYPE_I8, {2, 3, 4}, 24},
      {HYMIR_RT_DTYPE_BF16, {3, 0, 7}, 0},
  };
  for (const Case &c : cases) {
    Array a = makeArray(c.dtype, c.shape);
    ASSERT_NE(a->data, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data) % HYMIR_RT_ARRAY_ALIGNMENT,
              0u);
    EXPECT_EQ(a->rank, static_cast<int32_t>(c.shape.size()));
    EXPECT_EQ(hymir_rt_array_numel(a.get()), c.numel);
    size_t nbytes = hymir_rt_array_nbytes(a.get());
    EXPECT_EQ(nbytes,
              static_cast<size_t>(c.numel) * hymir_rt_dtype_size(c.dtype));
    const auto *bytes = a.data<unsigned char>();
    for (size_t i = 0; i < nbytes; ++i)
      ASSERT_EQ(bytes[i], 0);
  }
}

TEST(ArrayTest, AllocRejectsBadArgumentsAndFreeIsIdempotent) {
  hymir_rt_array a{};
  hymir_rt_error err{};
  int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 9, nine, &a, &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("rank 9"), std::string::npos);
  int64_t negative[2] = {2, -1};
  EXPECT_NE(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 2, negative, &a, &err), 0);
  EXPECT_NE(std::string(err.message).find("negative"), std::string::npos);
  EXPECT_NE(hymir_rt_array_alloc(HYMIR_RT_DTYPE_INVALID, 0, nullptr, &a, &err),
            0);
  int64_t huge[3] = {int64_t(1) << 40, int64_t(1) << 40, 2};
  EXPECT_EQ(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 3, huge, &a, &err),
            HYMIR_RT_OUT_OF_MEMORY);
  EXPECT_NE(std::string(err.message).find("overflows"), std::string::npos)
      << err.message;
  EXPECT_EQ(a.data, nullptr);
  hymir_rt_array_free(&a);
  hymir_rt_array_free(&a);
  hymir_rt_array_free(nullptr);
}

/// Sets the runtime's memory limit for one scope, then restores the default.
struct ScopedMemoryLimit {
  explicit ScopedMemoryLimit(uint64_t bytes) {
    hymir_rt_set_memory_limit(bytes);
  }
  ~ScopedMemoryLimit() { hymir_rt_set_memory_limit(0); }
};

TEST(ArrayTest, MemoryLimitRefusesLargeArraysBeforeAllocating) {
  // The default: physical memory (or less under rlimits), never 0.
  EXPECT_GT(hymir_rt_default_memory_limit(), uint64_t(1) << 20);
  EXPECT_EQ(hymir_rt_memory_limit(), hymir_rt_default_memory_limit());
  {
    ScopedMemoryLimit limit(4096);
    EXPECT_EQ(hymir_rt_memory_limit(), 4096u);
    hymir_rt_array a{};
    hymir_rt_error err{};
    int64_t fits[1] = {1024}; // exactly 4096 bytes of f32
    ASSERT_EQ(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 1, fits, &a, &err), 0)
        << err.message;
    hymir_rt_array_free(&a);
    int64_t over[2] = {3, 171}; // 4104 bytes of f64
    EXPECT_EQ(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F64, 2, over, &a, &err),
              HYMIR_RT_OUT_OF_MEMORY);
    EXPECT_STREQ(err.message,
                 "array alloc: f64 array of shape (3, 171) needs 4.0 KiB, "
                 "more than the memory limit of 4.0 KiB");
    EXPECT_EQ(a.data, nullptr);
  }
  // With the default limit, a size no machine has is refused before the
  // allocator sees it (under ASan, the allocator would abort instead).
  int64_t huge[2] = {int64_t(1) << 30, int64_t(1) << 30};
  hymir_rt_array a{};
  hymir_rt_error err{};
  EXPECT_EQ(hymir_rt_array_alloc(HYMIR_RT_DTYPE_F32, 2, huge, &a, &err),
            HYMIR_RT_OUT_OF_MEMORY);
  EXPECT_NE(std::string(err.message).find("needs 4.0 EiB, more than the "
                                          "memory limit of"),
            std::string::npos)
      << err.message;
  EXPECT_EQ(hymir_rt_memory_limit(), hymir_rt_default_memory_limit());
}

TEST(ArrayTest, FormatBytes) {
  char buf[32];
  hymir_rt_format_bytes(buf, sizeof(buf), 1023);
  EXPECT_STREQ(buf, "1023 bytes");
  hymir_rt_format_bytes(buf, sizeof(buf), 1536);
  EXPECT_STREQ(buf, "1.5 KiB");
  hymir_rt_format_bytes(buf, sizeof(buf), uint64_t(3) << 30);
  EXPECT_STREQ(buf, "3.0 GiB");
}

TEST(NpyParseTest, MemoryLimitNamesTheFileAndTheShape) {
  // 2 x 300 f32 = 2400 bytes of data, all present.
  std::string image =
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 300), }",
          f32Bytes(std::vector<float>(600, 1.5f)));
  hymir_rt_array a{};
  hymir_rt_error err{};
  {
    ScopedMemoryLimit limit(2399);
    EXPECT_EQ(hymir_rt_npy_parse(image.data(), image.size(), "big.npy", &a,
                                 &err),
              HYMIR_RT_OUT_OF_MEMORY);
    EXPECT_STREQ(err.message, "big.npy: a '<f4' array of shape (2, 300) needs "
                              "2.3 KiB, more than the memory limit of 2.3 KiB");
    EXPECT_EQ(a.data, nullptr);
  }
  {
    ScopedMemoryLimit limit(2400);
    ASSERT_EQ(
        hymir_rt_npy_parse(image.data(), image.size(), "big.npy", &a, &err), 0)
        << err.message;
    EXPECT_EQ(static_cast<const float *>(a.data)[599], 1.5f);
    hymir_rt_array_free(&a);
  }
  // A truncated file is still a format error, whatever the limit.
  ScopedMemoryLimit limit(16);
  EXPECT_EQ(hymir_rt_npy_parse(image.data(), image.size() - 4, "big.npy", &a,
                               &err),
            HYMIR_RT_FORMAT_ERROR);
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

struct RoundTripCase {
  hymir_rt_dtype dtype;
  std::vector<int64_t> shape;
};

class NpyRoundTripTest : public NpyTest,
                         public ::testing::WithParamInterface<RoundTripCase> {};

TEST_P(NpyRoundTripTest, WriteThenReadGivesSameArray) {
  const RoundTripCase &c = GetParam();
  Array a = makeArray(c.dtype, c.shape);
  // A byte pattern covers every bit of every element; NaN payloads
  // included, since neither direction may touch the bytes.
  auto *bytes = a.data<unsigned char>();
  size_t nbytes = hymir_rt_array_nbytes(a.get());
  for (size_t i = 0; i < nbytes; ++i)
    bytes[i] = static_cast<unsigned char>(i * 37 + 11);

  std::string p = path("a.npy");
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_npy_write(p.c_str(), a.get(), &err), 0) << err.message;

  std::string file = readFile(p);
  size_t headerLen = static_cast<unsigned char>(file[8]) |
                     static_cast<unsigned char>(file[9]) << 8;
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  EXPECT_EQ(file.size(), 10 + headerLen + nbytes);

  // The in-memory serializer writes the same bytes as the file writer.
  void *buf = nullptr;
  size_t len = 0;
  ASSERT_EQ(hymir_rt_npy_serialize(a.get(), &buf, &len, &err), 0);
  EXPECT_EQ(std::string(static_cast<char *>(buf), len), file);
  std::free(buf);

  Array b;
  ASSERT_EQ(hymir_rt_npy_read(p.c_str(), b.get(), &err), 0) << err.message;
  EXPECT_EQ(b->dtype, c.dtype);
  ASSERT_EQ(b->rank, static_cast<int32_t>(c.shape.size()));
  for (size_t i = 0; i < c.shape.size(); ++i)
    EXPECT_EQ(b->shape[i], c.shape[i]);
  ASSERT_EQ(hymir_rt_array_nbytes(b.get()), nbytes);
  EXPECT_EQ(std::memcmp(a->data, b->data, nbytes), 0);
}

std::vector<RoundTripCase> roundTripCases() {
  std::vector<RoundTripCase> cases;
  for (hymir_rt_dtype dtype :
       {HYMIR_RT_DTYPE_F32, HYMIR_RT_DTYPE_F64, HYMIR_RT_DTYPE_F16,
        HYMIR_RT_DTYPE_I8, HYMIR_RT_DTYPE_I32, HYMIR_RT_DTYPE_I64})
    for (std::vector<int64_t> shape : std::vector<std::vector<int64_t>>{
             {}, {5}, {2, 3, 4}, {0}, {2, 0, 4}, {1, 2, 1, 2, 1, 2, 1, 3}})
      cases.push_back({dtype, shape});
  return cases;
}

std::string roundTripName(const ::testing::TestParamInfo<RoundTripCase> &info) {
  std::string name = hymir_rt_dtype_name(info.param.dtype);
  name += "_rank" + std::to_string(info.param.shape.size());
  for (int64_t d : info.param.shape)
    name += "_" + std::to_string(d);
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, NpyRoundTripTest,
                         ::testing::ValuesIn(roundTripCases()), roundTripName);

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, WriterMatchesNumpyBytesForF32Matrix) {
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    a.data<float>()[i] = static_cast<float>(i) + 0.5f;
  std::string p = path("a.npy");
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_npy_write(p.c_str(), a.get(), &err), 0) << err.message;

  // np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5)
  std::string expected = std::string("\x93NUMPY\x01\x00v\x00", 10) + kDict23;
  expected += std::string(128 - 1 - expected.size(), ' ') + "\n";
  ASSERT_EQ(expected.size(), 128u);
  expected += f32Bytes({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f});
  EXPECT_EQ(readFile(p), expected);
}

TEST_F(NpyTest, WriterHeadersMatchNumpy) {
  // Header bytes numpy 1.24 writes for these dtypes and shapes.
  struct Case {
    hymir_rt_dtype dtype;
    std::vector<int64_t> shape;
    const char *dict;
    size_t headerTotal;
  } cases[] = {
      {HYMIR_RT_DTYPE_F32,
       {},
       "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
       128},
      {HYMIR_RT_DTYPE_F64,
       {5},
       "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }",
       128},
      {HYMIR_RT_DTYPE_I64,
       {0, 4, 2},
       "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 4, 2), }",
       128},
      {HYMIR_RT_DTYPE_F16,
       {1, 2, 3, 4, 5, 6, 7, 8},
       "{'descr': '<f2', 'fortran_order': False, "
       "'shape': (1, 2, 3, 4, 5, 6, 7, 8), }",
       128},
      {HYMIR_RT_DTYPE_I8,
       {3},
       "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }",
       128},
      {HYMIR_RT_DTYPE_I32,
       {2, 3},
       "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
       128},
  };
  for (const Case &c : cases) {
    Array a = makeArray(c.dtype, c.shape);
    void *buf = nullptr;
    size_t len = 0;
    hymir_rt_error err{};
    ASSERT_EQ(hymir_rt_npy_serialize(a.get(), &buf, &len, &err), 0)
        << err.message;
    std::string got(static_cast<char *>(buf), len);
    std::free(buf);
    size_t hlen = c.headerTotal - 10;
    std::string expected = "\x93NUMPY";
    expected += '\x01';
    expected += '\x00';
    expected += static_cast<char>(hlen & 0xff);
    expected += static_cast<char>(hlen >> 8);
    expected += c.dict;
    expected += std::string(c.headerTotal - 1 - expected.size(), ' ') + "\n";
    EXPECT_EQ(got.substr(0, c.headerTotal), expected) << c.dict;
    EXPECT_EQ(got.size(), c.headerTotal + hymir_rt_array_nbytes(a.get()));
  }
}

TEST_F(NpyTest, WriterRejectsBf16AndInvalidArrays) {
  std::string p = path("a.npy");
  hymir_rt_error err{};
  Array bf = makeArray(HYMIR_RT_DTYPE_BF16, {2});
  EXPECT_EQ(hymir_rt_npy_write(p.c_str(), bf.get(), &err),
            HYMIR_RT_UNSUPPORTED);
  EXPECT_NE(std::string(err.message).find("bf16 arrays have no .npy dtype"),
            std::string::npos)
      << err.message;
  EXPECT_NE(std::string(err.message).find("convert to f32"), std::string::npos);

  hymir_rt_array bad{};
  bad.dtype = HYMIR_RT_DTYPE_F32;
  bad.rank = 1;
  bad.shape[0] = 4;
  EXPECT_NE(hymir_rt_npy_write(p.c_str(), &bad, &err), 0); // data is null
  EXPECT_NE(std::string(err.message).find("data is null"), std::string::npos);
  bad.rank = 9;
  EXPECT_NE(hymir_rt_npy_write(p.c_str(), &bad, &err), 0);
  EXPECT_NE(std::string(err.message).find("rank 9"), std::string::npos);
  bad.rank = 1;
  bad.shape[0] = -3;
  EXPECT_NE(hymir_rt_npy_write(p.c_str(), &bad, &err), 0);
  EXPECT_NE(std::string(err.message).find("negative"), std::string::npos);
  EXPECT_TRUE(listDir().empty());
}

TEST_F(NpyTest, AtomicWriterLeavesNoTempFile) {
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {2, 3});
  std::string p = path("out.npy");
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_npy_write(p.c_str(), a.get(), &err), 0) << err.message;
  EXPECT_EQ(listDir(), std::vector<std::string>{"out.npy"});

  // Overwriting replaces the file in place and still leaves nothing behind.
  Array b = makeArray(HYMIR_RT_DTYPE_I64, {7});
  ASSERT_EQ(hymir_rt_npy_write(p.c_str(), b.get(), &err), 0) << err.message;
  EXPECT_EQ(listDir(), std::vector<std::string>{"out.npy"});
  Array c;
  ASSERT_EQ(hymir_rt_npy_read(p.c_str(), c.get(), &err), 0) << err.message;
  EXPECT_EQ(c->dtype, HYMIR_RT_DTYPE_I64);
  EXPECT_EQ(c->shape[0], 7);
}

TEST_F(NpyTest, FailedWriteCleansUpAndKeepsTarget) {
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {2});
  hymir_rt_error err{};
  // Missing directory: the temporary file cannot even be created.
  std::string missing = path("no/such/dir/a.npy");
  EXPECT_EQ(hymir_rt_npy_write(missing.c_str(), a.get(), &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_EQ(std::string(err.message).rfind(missing + ": ", 0), 0u);
  EXPECT_NE(std::string(err.message).find("cannot create temporary file"),
            std::string::npos)
      << err.message;

  // Target is a non-empty directory: rename fails after the data was
  // written; the temporary file must be removed and the directory kept.
  std::string target = path("taken");
  fs::create_directories(target + "/child");
  EXPECT_EQ(hymir_rt_npy_write(target.c_str(), a.get(), &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_NE(std::string(err.message).find("cannot rename"), std::string::npos)
      << err.message;
  EXPECT_EQ(listDir(), std::vector<std::string>{"taken"});
  EXPECT_TRUE(fs::is_directory(target + "/child"));
}

//===----------------------------------------------------------------------===//
// Reader: accepted input
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, ReadsValuesWritten) {
  Array a;
  std::string message;
  ASSERT_EQ(load(npy(kDict23, f32Bytes({1, 2, 3, 4, 5, 6})), a, message), 0)
      << message;
  EXPECT_EQ(a->dtype, HYMIR_RT_DTYPE_F32);
  ASSERT_EQ(a->rank, 2);
  EXPECT_EQ(a->shape[0], 2);
  EXPECT_EQ(a->shape[1], 3);
  EXPECT_EQ(a.data<float>()[5], 6.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a->data) % HYMIR_RT_ARRAY_ALIGNMENT,
            0u);
}

TEST_F(NpyTest, AcceptsVersions2And3) {
  for (int major : {2, 3}) {
    Array a;
    std::string message;
    std::string file = npy(kDict23, f32Bytes({1, 2, 3, 4, 5, 6}), major);
    ASSERT_EQ(load(file, a, message), 0) << major << ": " << message;
    EXPECT_EQ(a->shape[1], 3);
    EXPECT_EQ(a.data<float>()[1], 2.0f);
  }
}

TEST_F(NpyTest, AcceptsLenientHeaderSpellings) {
  struct Case {
    const char *header; // used verbatim, no padding added
    int rank;
    int64_t dim0;
  } cases[] = {
      // Other key order, double quotes, no trailing comma, tabs, no '\n'.
      {"{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}", 2,
       2},
      {"{ 'fortran_order' :False,'shape':(2,3,),'descr':'<f4' , }\n", 2, 2},
      {"{'descr':'<f4','fortran_order':False,'shape':(6,)}\t \r\n", 1, 6},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", 1, 6},
      {"\n {'descr': '<f4', 'fortran_order': False, 'shape': ( 6 , ) }", 1, 6},
      // Python 2 era long suffix; 16-byte aligned header (old numpy).
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }    \n", 2,
       2},
  };
  for (const Case &c : cases) {
    Array a;
    std::string message;
    ASSERT_EQ(load(npyRaw(c.header, f32Bytes({1, 2, 3, 4, 5, 6})), a, message),
              0)
        << c.header << "\n"
        << message;
    EXPECT_EQ(a->rank, c.rank) << c.header;
    EXPECT_EQ(a->shape[0], c.dim0) << c.header;
    EXPECT_EQ(a.data<float>()[5], 6.0f);
  }
  // A one-byte type may say '<' or '|'.
  Array a;
  std::string message;
  ASSERT_EQ(load(npy("{'descr': '<i1', 'fortran_order': False, 'shape': (2,)}",
                     "\x01\xff"),
                 a, message),
            0)
      << message;
  EXPECT_EQ(a.data<int8_t>()[1], -1);
}

TEST_F(NpyTest, AcceptsRank8AndRejectsRank9) {
  Array a;
  std::string message;
  ASSERT_EQ(load(npy("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (1, 1, 1, 1, 1, 1, 1, 2), }",
                     f32Bytes({1, 2})),
                 a, message),
            0)
      << message;
  EXPECT_EQ(a->rank, 8);
  expectRejected(npy("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 2), }",
                     f32Bytes({1, 2})),
                 {"rank 9 is not supported", "at most 8"});
}

//===----------------------------------------------------------------------===//
// Reader: rejected input
//===----------------------------------------------------------------------===//

TEST_F(NpyTest, MissingFileNamesPathAndReason) {
  std::string p = path("absent.npy");
  Array a;
  hymir_rt_error err{};
  EXPECT_EQ(hymir_rt_npy_read(p.c_str(), a.get(), &err), HYMIR_RT_IO_ERROR);
  EXPECT_EQ(std::string(err.message),
            p + ": cannot open for reading: No such file or directory");
  EXPECT_EQ(hymir_rt_npy_read(dir.string().c_str(), a.get(), &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_NE(std::string(err.message).find("not a regular file"),
            std::string::npos)
      << err.message;
}

TEST_F(NpyTest, RejectsBadMagicAndShortFiles) {
  std::string good = npy(kDict23, f32Bytes({1, 2, 3, 4, 5, 6}));
  expectRejected("PK\x03\x04 not numpy at all",
                 {"not a .npy file", "bad magic", "expected '\\x93NUMPY'",
                  "found 'PK\\x03\\x04 n"});
  expectRejected("\x93NUMPX" + good.substr(6), {"bad magic"});
  expectRejected("", {"truncated header", "file is 0 bytes"});
  expectRejected(good.substr(0, 7), {"truncated header", "at least 10"});
  expectRejected(good.substr(0, 9), {"truncated header", "at least 10"});
}

TEST_F(NpyTest, RejectsUnsupportedVersions) {
  std::string data = f32Bytes({1, 2, 3, 4, 5, 6});
  expectRejected(npyRaw(padHeader(kDict23), data, 4, 0),
                 {"unsupported .npy version 4.0", "expected 1.0, 2.0 or 3.0"});
  expectRejected(npyRaw(padHeader(kDict23), data, 1, 1),
                 {"unsupported .npy version 1.1"});
  expectRejected(npyRaw(padHeader(kDict23), data, 0, 0),
                 {"unsupported .npy version 0.0"});
}

TEST_F(NpyTest, RejectsHeaderLongerThanFile) {
  std::string file = npy(kDict23, "");
  file[9] = '\x10'; // header length 0x1076, far past the end
  expectRejected(file, {"truncated header", "says 4214 bytes", "found 118"});
  std::string v2 = npy(kDict23, "", 2);
  v2[11] = '\x7f'; // beyond the 1 MiB sanity limit
  expectRejected(v2, {"header length", "too large"});
}

TEST_F(NpyTest, RejectsMalformedHeaderDicts) {
  const char *cases[] = {
      "",
      "not a dict",
      "['descr', '<f4']",
      "{",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",
      "{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}",
      "{descr: '<f4', 'fortran_order': False, 'shape': (2, 3)}",
      "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}",
      "{'descr': '<f4', 'fortran_order': Flase, 'shape': (2, 3)}",
      "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2, 3)}",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, , 3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.0)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}}",
      "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}",
      "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2, 3)}",
      "{'descr': 4, 'fortran_order': False, 'shape': (2, 3)}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)\x01}",
  };
  for (const char *dict : cases) {
    SCOPED_TRACE(dict);
    expectRejected(npy(dict, f32Bytes({1, 2, 3, 4, 5, 6})),
                   {"malformed header dict: expected"});
  }
  // Messages say where and what: a byte offset and the text found there.
  expectRejected(npy("{'descr': '<f4', 'fortran_order': Flase, "
                     "'shape': (2, 3)}",
                     ""),
                 {"expected True or False for 'fortran_order' at byte 44, "
                  "found 'Flase, '"});
}

TEST_F(NpyTest, RejectsMissingUnknownAndDuplicateKeys) {
  std::string data = f32Bytes({1, 2, 3, 4, 5, 6});
  expectRejected(npy("{'fortran_order': False, 'shape': (2, 3), }", data),
                 {"missing key 'descr'"});
  expectRejected(npy("{'descr': '<f4', 'shape': (2, 3), }", data),
                 {"missing key 'fortran_order'"});
  expectRejected(npy("{'descr': '<f4', 'fortran_order': False, }", data),
                 {"missing key 'shape'"});
  expectRejected(npy("{}", data), {"missing key 'descr'"});
  expectRejected(npy("{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), 'extra': 1}",
                     data),
                 {"unexpected key 'extra'"});
  expectRejected(npy("{'descr': '<f4', 'descr': '<f4', "
                     "'fortran_order': False, 'shape': (2, 3)}",
                     data),
                 {"duplicate key 'descr'"});
}

TEST_F(NpyTest, RejectsBigEndianAndUnsupportedDtypes) {
  auto dict = [](const std::string &descr) {
    return "{'descr': " + descr + ", 'fortran_order': False, 'shape': (2,), }";
  };
  expectRejected(npy(dict("'>f4'"), std::string(8, '\0')),
                 {"big-endian dtype '>f4' is not supported",
                  "expected little-endian '<f4'"});
  expectRejected(npy(dict("'>i8'"), std::string(16, '\0')),
                 {"big-endian dtype '>i8'", "'<i8'"});
  expectRejected(npy(dict("'>c8'"), std::string(16, '\0')), {"big-endian"});
  // The exact message for the common case.
  Array a;
  std::string message;
  EXPECT_NE(load(npy(dict("'<c8'"), std::string(16, '\0')), a, message), 0);
  EXPECT_EQ(message, path("t.npy") +
                         ": unsupported dtype '<c8' (expected one of <f4, "
                         "<f8, <f2, <i4, <i8, |i1)");
  for (const char *descr : {"'|b1'", "'|O'", "'<u4'", "'|u1'", "'<f16'",
                            "'=f4'", "'|f4'", "'f4'", "''", "'<U3'"}) {
    SCOPED_TRACE(descr);
    expectRejected(npy(dict(descr), std::string(8, '\0')),
                   {"unsupported dtype", "expected one of <f4"});
  }
  expectRejected(npy(dict("[('a', '<f4'), ('b', '<i4')]"), ""),
                 {"unsupported structured dtype"});
  // Non-printable bytes are escaped in messages, long values truncated.
  expectRejected(npy(dict("'\x01\xfe" + std::string(60, 'z') + "'"), ""),
                 {"unsupported dtype '\\x01\\xfezz", "zzz...'"});
}

TEST_F(NpyTest, RejectsFortranOrder) {
  expectRejected(npy("{'descr': '<f4', 'fortran_order': True, "
                     "'shape': (2, 3), }",
                     f32Bytes({1, 2, 3, 4, 5, 6})),
                 {"Fortran-order arrays are not supported; save with "
                  "np.ascontiguousarray"});
}

TEST_F(NpyTest, RejectsNegativeHugeAndOverflowingDims) {
  auto dict = [](const std::string &shape) {
    return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  };
  expectRejected(npy(dict("(2, -3)"), ""),
                 {"negative dimension 1", "found -3"});
  expectRejected(npy(dict("(99999999999999999999,)"), ""),
                 {"dimension 0 in 'shape' is too large",
                  "found 99999999999999999999", "at most 9223372036854775807"});
  expectRejected(npy(dict("(4294967296, 4294967296)"), ""),
                 {"element count of shape (4294967296, 4294967296) "
                  "overflows 64 bits"});
  // Fits int64 as a count, but not once multiplied by the element size.
  expectRejected(npy(dict("(4611686018427387904,)"), ""),
                 {"overflows 64 bits"});
  // Absurd but representable: caught by the size check, not by allocating.
  expectRejected(npy(dict("(1000000000000,)"), ""),
                 {"truncated data", "expected 4000000000000 bytes"});
  // As numpy, a zero dim does not excuse the others: their byte size must fit
  // (the interpreter computes strides from them).
  expectRejected(npy(dict("(0, 9223372036854775807)"), ""),
                 {"overflows 64 bits"});
  Array a;
  std::string message;
  EXPECT_EQ(load(npy(dict("(0, 1000000000000)"), ""), a, message), 0)
      << message;
  EXPECT_EQ(hymir_rt_array_numel(a.get()), 0);
}

TEST_F(NpyTest, RejectsTruncatedAndTrailingData) {
  std::string full = npy(kDict23, f32Bytes({1, 2, 3, 4, 5, 6}));
  expectRejected(full.substr(0, full.size() - 4),
                 {"truncated data: expected 24 bytes after the header",
                  "shape (2, 3)", "found 20"});
  expectRejected(full.substr(0, 128), {"truncated data", "found 0"});
  expectRejected(full + "garbage", {"trailing data: expected 24 bytes",
                                    "found 31", "7 extra bytes"});
}

TEST_F(NpyTest, ParserSurvivesEveryPrefixAndByteFlip) {
  // A poor man's fuzzer: hostile inputs must fail cleanly (run under
  // -DHYMIR_RT_SANITIZE=address,undefined to check bounds as well).
  std::string good = npy(kDict23, f32Bytes({1, 2, 3, 4, 5, 6}));
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<unsigned char> buf(good.begin(), good.begin() + n);
    hymir_rt_array a{};
    hymir_rt_error err{};
    EXPECT_NE(hymir_rt_npy_parse(n ? buf.data() : nullptr, n, "p", &a, &err), 0)
        << n;
    EXPECT_EQ(a.data, nullptr);
  }
  int accepted = 0;
  for (size_t i = 0; i < 128; ++i) {
    for (int v : {0x00, 0x20, 0x27, 0x29, 0x2c, 0x30, 0x39, 0x7b, 0x7d, 0xff}) {
      std::string mutated = good;
      mutated[i] = static_cast<char>(v);
      std::vector<unsigned char> buf(mutated.begin(), mutated.end());
      hymir_rt_array a{};
      hymir_rt_error err{};
      int rc = hymir_rt_npy_parse(buf.data(), buf.size(), "p", &a, &err);
      if (rc == 0) {
        ++accepted;
        EXPECT_LE(hymir_rt_array_nbytes(&a), 24u);
      } else {
        EXPECT_EQ(std::string(err.message).rfind("p: ", 0), 0u);
      }
      hymir_rt_array_free(&a);
    }
  }
  EXPECT_GT(accepted, 0); // e.g. flipping padding spaces to '\n'
}

TEST_F(NpyTest, ParseHandlesNullArguments) {
  hymir_rt_array a{};
  hymir_rt_error err{};
  EXPECT_NE(hymir_rt_npy_parse(nullptr, 0, nullptr, &a, &err), 0);
  EXPECT_EQ(std::string(err.message).rfind("<memory>: ", 0), 0u) << err.message;
  EXPECT_EQ(hymir_rt_npy_parse(nullptr, 10, "x", &a, &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_npy_parse("x", 1, "x", nullptr, &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_npy_read(nullptr, &a, &err), HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_npy_write(nullptr, &a, &err), HYMIR_RT_INVALID_ARGUMENT);
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

float bitsToF32(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint32_t f32ToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

bool isF16NaN(uint16_t b) { return (b & 0x7c00) == 0x7c00 && (b & 0x3ff); }
bool isBf16NaN(uint16_t b) { return (b & 0x7f80) == 0x7f80 && (b & 0x7f); }

TEST(ConvertTest, F32ToBf16RoundsToNearestEven) {
  struct Case {
    uint32_t in;
    uint16_t out;
  } cases[] = {
      {0x3f800000, 0x3f80}, // 1.0 exact
      {0x3f807fff, 0x3f80}, // just below half an ulp: down
      {0x3f808000, 0x3f80}, // tie, even stays
      {0x3f808001, 0x3f81}, // just above the tie: up
      {0x3f818000, 0x3f82}, // tie, odd rounds up to even
      {0xbf818000, 0xbf82}, // same for negatives
      {0x7f7f7fff, 0x7f7f}, // largest value that stays finite
      {0x7f7fffff, 0x7f80}, // FLT_MAX rounds to +inf
      {0xff800000, 0xff80}, // -inf
      {0x80000000, 0x8000}, // -0
      {0x00010000, 0x0001}, // smallest bf16 subnormal
      {0x00008000, 0x0000}, // tie at half of it: to even (zero)
      {0x00018000, 0x0002}, // tie, odd rounds up
      {0x00000001, 0x0000}, // smallest f32 subnormal underflows
      {0x007fffff, 0x0080}, // largest f32 subnormal -> smallest normal
  };
  for (const Case &c : cases)
    EXPECT_EQ(hymir_rt_f32_to_bf16(bitsToF32(c.in)), c.out) << std::hex << c.in;
  EXPECT_TRUE(isBf16NaN(hymir_rt_f32_to_bf16(bitsToF32(0x7fc00000))));
  // A signalling NaN whose payload lives only in the low bits stays a NaN.
  EXPECT_TRUE(isBf16NaN(hymir_rt_f32_to_bf16(bitsToF32(0x7f800001))));
  EXPECT_TRUE(isBf16NaN(hymir_rt_f32_to_bf16(bitsToF32(0xffc00001))));

  // The same through the array API, f32 -> bf16 -> f32.
  Array src = makeArray(HYMIR_RT_DTYPE_F32, {4});
  float in[4] = {1.0f, bitsToF32(0x3f808001), bitsToF32(0x3f818000), -0.0f};
  std::memcpy(src->data, in, sizeof(in));
  Array mid, back;
  hymir_rt_error err{};
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_BF16, mid.get(), &err),
      0)
      << err.message;
  ASSERT_EQ(
      hymir_rt_array_convert(mid.get(), HYMIR_RT_DTYPE_F32, back.get(), &err),
      0)
      << err.message;
  EXPECT_EQ(mid.data<uint16_t>()[2], 0x3f82);
  EXPECT_EQ(f32ToBits(back.data<float>()[0]), 0x3f800000u);
  EXPECT_EQ(f32ToBits(back.data<float>()[1]), 0x3f810000u);
  EXPECT_EQ(f32ToBits(back.data<float>()[2]), 0x3f820000u);
  EXPECT_EQ(f32ToBits(back.data<float>()[3]), 0x80000000u);
}

TEST(ConvertTest, F32ToF16RoundsToNearestEven) {
  struct Case {
    float in;
    uint16_t out;
  } cases[] = {
      {1.0f, 0x3c00},
      {-2.0f, 0xc000},
      {65504.0f, 0x7bff},              // largest f16
      {65519.99f, 0x7bff},             // below the tie with 65536
      {65520.0f, 0x7c00},              // tie: rounds to even, which is inf
      {1e10f, 0x7c00},                 // overflow
      {std::ldexp(1.0f, -14), 0x0400}, // smallest normal
      {std::ldexp(1.0f, -24), 0x0001}, // smallest subnormal
      {std::ldexp(1.0f, -25), 0x0000}, // tie at half of it: to zero
      {std::ldexp(1.5f, -25), 0x0001}, // above that tie
      {std::ldexp(3.0f, -25), 0x0002}, // tie between 1 and 2 ulps: even
      {1.0f + std::ldexp(1.0f, -11), 0x3c00}, // tie: even stays
      {1.0f + std::ldexp(3.0f, -11), 0x3c02}, // tie: odd rounds up
      {1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20), 0x3c01},
      {-0.0f, 0x8000},
      {std::numeric_limits<float>::infinity(), 0x7c00},
  };
  for (const Case &c : cases)
    EXPECT_EQ(hymir_rt_f32_to_f16(c.in), c.out) << c.in;
  EXPECT_TRUE(isF16NaN(hymir_rt_f32_to_f16(std::nanf(""))));
  EXPECT_TRUE(isF16NaN(hymir_rt_f32_to_f16(bitsToF32(0x7f800001))));
}

TEST(ConvertTest, HalfFormatsRoundTripExactly) {
  // Every f16 and bf16 value widens to f32 and narrows back unchanged.
  for (uint32_t i = 0; i < 0x10000; ++i) {
    uint16_t h = static_cast<uint16_t>(i);
    uint16_t viaF16 = hymir_rt_f32_to_f16(hymir_rt_f16_to_f32(h));
    uint16_t viaBf16 = hymir_rt_f32_to_bf16(hymir_rt_bf16_to_f32(h));
    if (isF16NaN(h))
      EXPECT_TRUE(isF16NaN(viaF16)) << i;
    else
      ASSERT_EQ(viaF16, h) << i;
    if (isBf16NaN(h))
      EXPECT_TRUE(isBf16NaN(viaBf16)) << i;
    else
      ASSERT_EQ(viaBf16, h) << i;
  }
  EXPECT_EQ(hymir_rt_f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(hymir_rt_f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(hymir_rt_bf16_to_f32(0x3f81), 1.0f + std::ldexp(1.0f, -7));
}

TEST(ConvertTest, F64ToHalfFormatsRoundsOnce) {
  // Just above a tie; rounding to f32 first would land exactly on the tie
  // and then round to even (down).
  double x = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(hymir_rt_f32_to_f16(static_cast<float>(x)), 0x3c00);
  EXPECT_EQ(hymir_rt_f64_to_f16(x), 0x3c01);
  double y = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40);
  EXPECT_EQ(hymir_rt_f64_to_bf16(y), 0x3f81);

  Array src = makeArray(HYMIR_RT_DTYPE_F64, {2});
  src.data<double>()[0] = x;
  src.data<double>()[1] = 1e300;
  Array out;
  hymir_rt_error err{};
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_F16, out.get(), &err),
      0);
  EXPECT_EQ(out.data<uint16_t>()[0], 0x3c01);
  EXPECT_EQ(out.data<uint16_t>()[1], 0x7c00);
}

TEST(ConvertTest, FloatToIntTruncatesAndRejectsOutOfRange) {
  Array src = makeArray(HYMIR_RT_DTYPE_F64, {5});
  double in[5] = {1.9, -1.9, 0.0, 2147483647.0, -2147483648.9};
  std::memcpy(src->data, in, sizeof(in));
  Array out;
  hymir_rt_error err{};
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I32, out.get(), &err), 0)
      << err.message;
  EXPECT_EQ(out.data<int32_t>()[0], 1);
  EXPECT_EQ(out.data<int32_t>()[1], -1);
  EXPECT_EQ(out.data<int32_t>()[3], 2147483647);
  EXPECT_EQ(out.data<int32_t>()[4], -2147483647 - 1);

  for (double bad : {std::nan(""), 2147483648.0, -2147483649.0,
                     std::numeric_limits<double>::infinity()}) {
    src.data<double>()[2] = bad;
    Array o;
    EXPECT_EQ(
        hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I32, o.get(), &err),
        HYMIR_RT_OUT_OF_RANGE);
    EXPECT_EQ(o->data, nullptr);
    EXPECT_NE(std::string(err.message).find("element 2 of f64 array"),
              std::string::npos)
        << err.message;
    EXPECT_NE(std::string(err.message).find("does not fit in i32"),
              std::string::npos);
  }
  // i64 accepts -2^63 exactly but not 2^63.
  src.data<double>()[2] = -9223372036854775808.0;
  Array o;
  EXPECT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I64, o.get(), &err), 0);
  src.data<double>()[2] = 9223372036854775808.0;
  Array o2;
  EXPECT_NE(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I64, o2.get(), &err), 0);
}

TEST(ConvertTest, IntConversionsCheckRangeAndRoundOnce) {
  Array src = makeArray(HYMIR_RT_DTYPE_I64, {3});
  int64_t in[3] = {16777217, -5, (int64_t(1) << 60) + (int64_t(1) << 52) + 1};
  std::memcpy(src->data, in, sizeof(in));
  hymir_rt_error err{};

  Array f32;
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_F32, f32.get(), &err),
      0);
  EXPECT_EQ(f32.data<float>()[0], 16777216.0f); // tie to even
  EXPECT_EQ(f32.data<float>()[1], -5.0f);

  // 2^60 + 2^52 + 1 is just above the bf16 tie 2^60 * (1 + 2^-8); a plain
  // (double) cast would drop the +1, land on the tie and round down.
  Array bf;
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_BF16, bf.get(), &err),
      0);
  EXPECT_EQ(bf.data<uint16_t>()[2], 0x5d81);
  EXPECT_EQ(bf.data<uint16_t>()[1], 0xc0a0);

  Array i32;
  EXPECT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I32, i32.get(), &err),
      HYMIR_RT_OUT_OF_RANGE);
  EXPECT_NE(std::string(err.message).find("element 2 of i64 array"),
            std::string::npos)
      << err.message;
  EXPECT_NE(std::string(err.message).find("expected -2147483648 to 2147483647"),
            std::string::npos);

  src.data<int64_t>()[2] = -128;
  Array i8;
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I8, i8.get(), &err),
      HYMIR_RT_OUT_OF_RANGE); // 16777217 does not fit
  src.data<int64_t>()[0] = 127;
  Array i8b, back;
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_I8, i8b.get(), &err), 0);
  ASSERT_EQ(
      hymir_rt_array_convert(i8b.get(), HYMIR_RT_DTYPE_I64, back.get(), &err),
      0);
  EXPECT_EQ(std::memcmp(back->data, src->data, 24), 0);
}

TEST(ConvertTest, SameDtypeCopiesAndBadArgumentsFail) {
  Array src = makeArray(HYMIR_RT_DTYPE_F16, {2, 0, 3});
  Array out;
  hymir_rt_error err{};
  ASSERT_EQ(
      hymir_rt_array_convert(src.get(), HYMIR_RT_DTYPE_F64, out.get(), &err),
      0);
  EXPECT_EQ(out->rank, 3);
  EXPECT_EQ(out->shape[2], 3);
  EXPECT_NE(out->data, src->data);

  Array m = makeArray(HYMIR_RT_DTYPE_I32, {3});
  m.data<int32_t>()[1] = 42;
  Array copy;
  ASSERT_EQ(
      hymir_rt_array_convert(m.get(), HYMIR_RT_DTYPE_I32, copy.get(), &err), 0);
  EXPECT_EQ(copy.data<int32_t>()[1], 42);
  EXPECT_NE(copy->data, m->data);

  Array bad;
  EXPECT_EQ(
      hymir_rt_array_convert(m.get(), HYMIR_RT_DTYPE_INVALID, bad.get(), &err),
      HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(
      hymir_rt_array_convert(nullptr, HYMIR_RT_DTYPE_F32, bad.get(), &err),
      HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(bad->data, nullptr);
}

} // namespace
