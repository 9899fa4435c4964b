//===- SafetensorsTest.cpp - Tests for safetensors I/O ----------*- C++ -*-===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Unit tests for the safetensors reader, the weight-binding helper and the
// writer. Fixture files are built byte by byte here. The expected writer
// output for the "attn.0", "attn0" and empty cases is the byte vectors of the
// reference implementation's own tests (safetensors/src/tensor.rs:
// test_serialization, test_serialization_forced_alignement, test_empty), and
// the F4 file is its test_serialization_fp4 output.
//
// Every malformed input is parsed twice, from an exactly sized heap buffer
// (so ASan sees any read past the end) and from a file through mmap, and
// both must give the same message.
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
#include <memory>
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

/// RAII owner of an opened file.
struct File {
  hymir_rt_safetensors *st = nullptr;
  File() = default;
  File(const File &) = delete;
  File &operator=(const File &) = delete;
  ~File() { hymir_rt_safetensors_close(st); }
  hymir_rt_safetensors **out() {
    hymir_rt_safetensors_close(st);
    st = nullptr;
    return &st;
  }
};

/// An exactly sized heap copy of some bytes, so ASan flags reads past them.
struct HeapBytes {
  std::unique_ptr<unsigned char[]> p;
  size_t n = 0;
  explicit HeapBytes(const std::string &s)
      : p(new unsigned char[s.size()]), n(s.size()) {
    if (n)
      std::memcpy(p.get(), s.data(), n);
  }
};

Array makeArray(hymir_rt_dtype dtype, std::vector<int64_t> shape) {
  Array out;
  hymir_rt_error err{};
  int rc = hymir_rt_array_alloc(dtype, static_cast<int>(shape.size()),
                                shape.data(), out.get(), &err);
  EXPECT_EQ(rc, 0) << err.message;
  return out;
}

/// Fills an array with a byte pattern that differs per tensor.
void fillPattern(Array &a, unsigned seed) {
  auto *bytes = a.data<unsigned char>();
  size_t n = hymir_rt_array_nbytes(a.get());
  for (size_t i = 0; i < n; ++i)
    bytes[i] = static_cast<unsigned char>(i * 37 + seed * 11 + 5);
}

std::string le64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i)
    s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

/// A file image: the length of `header`, `header` verbatim, then `data`.
std::string image(const std::string &header, const std::string &data = "") {
  return le64(header.size()) + header + data;
}

std::string bytesOf(std::initializer_list<int> v) {
  std::string s;
  for (int b : v)
    s += static_cast<char>(b);
  return s;
}

std::string f32Bytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char *>(v.data()),
                     v.size() * sizeof(float));
}

/// The tensor entry JSON for `name`.
std::string entry(const std::string &name, const std::string &dtype,
                  const std::string &shape, uint64_t begin, uint64_t end) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," +
         std::to_string(end) + "]}";
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

class SafetensorsTest : public ::testing::Test {
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

  /// Parses `bytes` from a heap copy and from the file `name`; both must
  /// agree. Returns the return code and sets `message`.
  int parseBoth(const std::string &bytes, std::string &message,
                const std::string &name = "t.safetensors") {
    std::string p = path(name);
    HeapBytes heap(bytes);
    File fromBuffer;
    hymir_rt_error err{};
    int rc = hymir_rt_safetensors_parse(heap.n ? heap.p.get() : nullptr, heap.n,
                                        p.c_str(), fromBuffer.out(), &err);
    message = rc ? err.message : "";
    EXPECT_EQ(rc == 0, fromBuffer.st != nullptr);
    writeFile(p, bytes);
    File fromFile;
    hymir_rt_error fileErr{};
    int fileRc = hymir_rt_safetensors_open(p.c_str(), fromFile.out(), &fileErr);
    EXPECT_EQ(rc, fileRc) << "parse: " << message
                          << "\nopen: " << fileErr.message;
    if (rc != 0 && fileRc != 0) {
      EXPECT_EQ(message, fileErr.message);
      EXPECT_EQ(fromFile.st, nullptr);
    }
    return rc;
  }

  /// Expects `bytes` to be rejected with a message that names the file and
  /// contains every phrase in `phrases`.
  void expectRejected(const std::string &bytes,
                      std::vector<std::string> phrases) {
    std::string message;
    int rc = parseBoth(bytes, message);
    EXPECT_NE(rc, 0);
    EXPECT_EQ(message.rfind(path("t.safetensors") + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const auto &phrase : phrases)
      EXPECT_TRUE(contains(message, phrase))
          << "missing '" << phrase << "' in: " << message;
  }

  /// Expects a header JSON (with `data`) to be rejected.
  void expectHeaderRejected(const std::string &header, const std::string &data,
                            std::vector<std::string> phrases) {
    SCOPED_TRACE(header);
    expectRejected(image(header, data), std::move(phrases));
  }

  /// Writes `bytes` to `name` and opens it, failing the test on error.
  void open(const std::string &bytes, File &f,
            const std::string &name = "t.safetensors") {
    std::string p = path(name);
    writeFile(p, bytes);
    hymir_rt_error err{};
    ASSERT_EQ(hymir_rt_safetensors_open(p.c_str(), f.out(), &err), 0)
        << err.message;
  }

  fs::path dir;
};

std::string
serialize(std::vector<std::string> names,
          std::vector<const hymir_rt_array *> arrays,
          std::vector<std::pair<std::string, std::string>> meta = {}) {
  std::vector<const char *> cnames, keys, values;
  for (const auto &n : names)
    cnames.push_back(n.c_str());
  for (const auto &kv : meta) {
    keys.push_back(kv.first.c_str());
    values.push_back(kv.second.c_str());
  }
  void *buf = nullptr;
  size_t len = 0;
  hymir_rt_error err{};
  int rc = hymir_rt_safetensors_serialize(
      cnames.size(), cnames.data(), arrays.data(), keys.size(), keys.data(),
      values.data(), &buf, &len, &err);
  EXPECT_EQ(rc, 0) << err.message;
  std::string out = rc ? "" : std::string(static_cast<char *>(buf), len);
  std::free(buf);
  return out;
}

/// The header JSON of a file image, padding included.
std::string headerOf(const std::string &file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = n << 8 | static_cast<unsigned char>(file[i]);
  return file.substr(8, n);
}

//===----------------------------------------------------------------------===//
// Writer: reference bytes, order, escaping, errors
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, WriterMatchesReferenceBytes) {
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {1, 2, 3});
  for (int i = 0; i < 6; ++i)
    a.data<float>()[i] = static_cast<float>(i);
  // safetensors tensor.rs test_serialization.
  std::string expected = bytesOf(
      {64,  0,   0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110,
       46,  48,  34,  58,  123, 34,  100, 116, 121, 112, 101, 34,  58,  34,
       70,  51,  50,  34,  44,  34,  115, 104, 97,  112, 101, 34,  58,  91,
       49,  44,  50,  44,  51,  93,  44,  34,  100, 97,  116, 97,  95,  111,
       102, 102, 115, 101, 116, 115, 34,  58,  91,  48,  44,  50,  52,  93,
       125, 125, 0,   0,   0,   0,   0,   0,   128, 63,  0,   0,   0,   64,
       0,   0,   64,  64,  0,   0,   128, 64,  0,   0,   160, 64});
  EXPECT_EQ(serialize({"attn.0"}, {a.get()}), expected);

  // The file writer writes the same bytes.
  std::string p = path("a.safetensors");
  const char *names[] = {"attn.0"};
  const hymir_rt_array *arrays[] = {a.get()};
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_safetensors_write(p.c_str(), 1, names, arrays, &err), 0)
      << err.message;
  EXPECT_EQ(readFile(p), expected);
  EXPECT_EQ(listDir(), std::vector<std::string>{"a.safetensors"});

  // test_serialization_forced_alignement: the header is padded with spaces.
  Array b = makeArray(HYMIR_RT_DTYPE_F32, {1, 1, 2, 3});
  std::memcpy(b->data, a->data, 24);
  std::string aligned = bytesOf(
      {72,  0,   0,   0,   0,   0,   0,   0,   123, 34, 97, 116, 116, 110, 48,
       34,  58,  123, 34,  100, 116, 121, 112, 101, 34, 58, 34,  70,  51,  50,
       34,  44,  34,  115, 104, 97,  112, 101, 34,  58, 91, 49,  44,  49,  44,
       50,  44,  51,  93,  44,  34,  100, 97,  116, 97, 95, 111, 102, 102, 115,
       101, 116, 115, 34,  58,  91,  48,  44,  50,  52, 93, 125, 125, 32,  32,
       32,  32,  32,  32,  32,  0,   0,   0,   0,   0,  0,  128, 63,  0,   0,
       0,   64,  0,   0,   64,  64,  0,   0,   128, 64, 0,  0,   160, 64});
  EXPECT_EQ(serialize({"attn0"}, {b.get()}), aligned);
}

TEST_F(SafetensorsTest, WriterMatchesReferenceForEmptyFileAndMetadata) {
  // safetensors tensor.rs test_empty.
  EXPECT_EQ(serialize({}, {}), bytesOf({8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32,
                                        32, 32, 32, 32, 32}));
  EXPECT_EQ(
      serialize({}, {}, {{"framework", "pt"}}),
      bytesOf({40,  0,   0,   0,   0,   0,   0,   0,   123, 34,  95,  95,
               109, 101, 116, 97,  100, 97,  116, 97,  95,  95,  34,  58,
               123, 34,  102, 114, 97,  109, 101, 119, 111, 114, 107, 34,
               58,  34,  112, 116, 34,  125, 125, 32,  32,  32,  32,  32}));
}

TEST_F(SafetensorsTest, WriterOrdersByDtypeAlignmentThenName) {
  Array b = makeArray(HYMIR_RT_DTYPE_F32, {1});
  Array a = makeArray(HYMIR_RT_DTYPE_I8, {3});
  Array c = makeArray(HYMIR_RT_DTYPE_I64, {1});
  Array a2 = makeArray(HYMIR_RT_DTYPE_F32, {1});
  Array h = makeArray(HYMIR_RT_DTYPE_BF16, {1});
  std::string file = serialize({"b", "a", "c", "a2", "h"},
                               {b.get(), a.get(), c.get(), a2.get(), h.get()},
                               {{"z", "1"}, {"seed", "42"}});
  // Reference order: I64 > F32 > BF16 > I8, then names; metadata first with
  // sorted keys.
  std::string json = "{\"__metadata__\":{\"seed\":\"42\",\"z\":\"1\"}," +
                     entry("c", "I64", "[1]", 0, 8) + "," +
                     entry("a2", "F32", "[1]", 8, 12) + "," +
                     entry("b", "F32", "[1]", 12, 16) + "," +
                     entry("h", "BF16", "[1]", 16, 18) + "," +
                     entry("a", "I8", "[3]", 18, 21) + "}";
  std::string header = headerOf(file);
  EXPECT_EQ(header.size() % 8, 0u);
  EXPECT_EQ(header, json + std::string(header.size() - json.size(), ' '));
  EXPECT_EQ(file.size(), 8 + header.size() + 21);
}

TEST_F(SafetensorsTest, RoundTripOfSeveralDtypesAndShapes) {
  struct Case {
    const char *name;
    hymir_rt_dtype dtype;
    std::vector<int64_t> shape;
  } cases[] = {
      {"model.embed", HYMIR_RT_DTYPE_F32, {2, 3}},
      {"layers.0.bias", HYMIR_RT_DTYPE_BF16, {5}},
      {"layers.0.half", HYMIR_RT_DTYPE_F16, {3, 1}},
      {"scale", HYMIR_RT_DTYPE_F64, {}},
      {"bytes", HYMIR_RT_DTYPE_I8, {7}},
      {"ids", HYMIR_RT_DTYPE_I32, {2, 2}},
      {"positions", HYMIR_RT_DTYPE_I64, {3}},
      {"empty", HYMIR_RT_DTYPE_F32, {0, 4}},
      {"rank8", HYMIR_RT_DTYPE_F16, {1, 2, 1, 2, 1, 2, 1, 3}},
  };
  std::vector<Array> arrays;
  std::vector<const char *> names;
  std::vector<const hymir_rt_array *> ptrs;
  unsigned seed = 0;
  for (const Case &c : cases) {
    arrays.push_back(makeArray(c.dtype, c.shape));
    fillPattern(arrays.back(), seed++);
    names.push_back(c.name);
  }
  for (Array &a : arrays)
    ptrs.push_back(a.get());
  const char *keys[] = {"format", "seed"};
  const char *values[] = {"pt", "42"};
  std::string p = path("w.safetensors");
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_safetensors_write_with_metadata(p.c_str(), names.size(),
                                                     names.data(), ptrs.data(),
                                                     2, keys, values, &err),
            0)
      << err.message;
  EXPECT_EQ(headerOf(readFile(p)).size() % 8, 0u);

  File f;
  ASSERT_EQ(hymir_rt_safetensors_open(p.c_str(), f.out(), &err), 0)
      << err.message;
  ASSERT_EQ(hymir_rt_safetensors_count(f.st), std::size(cases));
  // Tensors are listed by name.
  for (size_t i = 1; i < std::size(cases); ++i)
    EXPECT_LT(std::strcmp(hymir_rt_safetensors_name(f.st, i - 1),
                          hymir_rt_safetensors_name(f.st, i)),
              0);
  EXPECT_EQ(hymir_rt_safetensors_name(f.st, std::size(cases)), nullptr);
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "seed"), "42");
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "format"), "pt");

  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case &c = cases[i];
    SCOPED_TRACE(c.name);
    hymir_rt_tensor_view v;
    ASSERT_EQ(hymir_rt_safetensors_find(f.st, c.name, &v), 0);
    EXPECT_STREQ(v.name, c.name);
    EXPECT_EQ(v.dtype, c.dtype);
    ASSERT_EQ(v.rank, static_cast<int32_t>(c.shape.size()));
    for (size_t d = 0; d < c.shape.size(); ++d)
      EXPECT_EQ(v.shape[d], c.shape[d]);
    size_t nbytes = hymir_rt_array_nbytes(arrays[i].get());
    ASSERT_EQ(v.nbytes, nbytes);
    EXPECT_EQ(std::memcmp(v.data, arrays[i]->data, nbytes), 0);
    // The writer's order aligns each tensor to its element size (the
    // mapping is page aligned).
    EXPECT_EQ(
        reinterpret_cast<uintptr_t>(v.data) % hymir_rt_dtype_size(c.dtype), 0u);
    // Loading with the stored dtype gives an identical aligned copy.
    Array loaded;
    ASSERT_EQ(hymir_rt_safetensors_load(f.st, c.name, c.dtype,
                                        static_cast<int>(c.shape.size()),
                                        c.shape.data(), loaded.get(), &err),
              0)
        << err.message;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(loaded->data) %
                  HYMIR_RT_ARRAY_ALIGNMENT,
              0u);
    EXPECT_NE(loaded->data, v.data);
    EXPECT_EQ(std::memcmp(loaded->data, arrays[i]->data, nbytes), 0);
  }
}

TEST_F(SafetensorsTest, WriterEscapesNamesLikeTheReference) {
  std::vector<std::string> names = {"quote\"back\\slash", "tab\tnew\nline\x01",
                                    "caf\xc3\xa9/\xe5\x90\x8d\x7f"};
  Array a = makeArray(HYMIR_RT_DTYPE_I8, {1});
  Array b = makeArray(HYMIR_RT_DTYPE_I8, {1});
  Array c = makeArray(HYMIR_RT_DTYPE_I8, {1});
  std::string file =
      serialize(names, {a.get(), b.get(), c.get()}, {{"note", "line\nbreak"}});
  std::string header = headerOf(file);
  EXPECT_TRUE(contains(header, "\"quote\\\"back\\\\slash\":")) << header;
  EXPECT_TRUE(contains(header, "\"tab\\tnew\\nline\\u0001\":")) << header;
  // serde_json writes non-ASCII, '/' and DEL as they are.
  EXPECT_TRUE(contains(header, "\"caf\xc3\xa9/\xe5\x90\x8d\x7f\":")) << header;
  EXPECT_TRUE(contains(header, "\"note\":\"line\\nbreak\"")) << header;

  File f;
  open(file, f);
  for (const std::string &n : names) {
    hymir_rt_tensor_view v;
    EXPECT_EQ(hymir_rt_safetensors_find(f.st, n.c_str(), &v), 0) << n;
  }
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "note"), "line\nbreak");
}

TEST_F(SafetensorsTest, WriterRejectsBadInputAndLeavesTargetAlone) {
  std::string p = path("keep.safetensors");
  writeFile(p, "old contents");
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {2});
  Array bad;
  bad->dtype = HYMIR_RT_DTYPE_F32;
  bad->rank = 1;
  bad->shape[0] = 4; // data is null
  struct Case {
    std::vector<const char *> names;
    std::vector<const hymir_rt_array *> arrays;
    std::vector<const char *> keys, values;
    const char *phrase;
  } cases[] = {
      {{"w", "w"}, {a.get(), a.get()}, {}, {}, "duplicate tensor name 'w'"},
      {{"__metadata__"}, {a.get()}, {}, {}, "'__metadata__' is reserved"},
      {{"bad\xff"}, {a.get()}, {}, {}, "is not valid UTF-8"},
      {{"w"}, {nullptr}, {}, {}, "array of tensor 'w' is null"},
      {{"w"}, {bad.get()}, {}, {}, "data of tensor 'w' is null"},
      {{nullptr}, {a.get()}, {}, {}, "name of tensor 0 is null"},
      {{"w"}, {a.get()}, {"k", "k"}, {"1", "2"}, "duplicate metadata key 'k'"},
  };
  for (const Case &c : cases) {
    hymir_rt_error err{};
    int rc = hymir_rt_safetensors_write_with_metadata(
        p.c_str(), c.names.size(), c.names.data(), c.arrays.data(),
        c.keys.size(), c.keys.data(), c.values.data(), &err);
    EXPECT_EQ(rc, HYMIR_RT_INVALID_ARGUMENT) << c.phrase;
    EXPECT_TRUE(contains(err.message, c.phrase)) << err.message;
    EXPECT_EQ(std::string(err.message).rfind(p + ": ", 0), 0u) << err.message;
  }
  EXPECT_EQ(readFile(p), "old contents");
  EXPECT_EQ(listDir(), std::vector<std::string>{"keep.safetensors"});

  // An unwritable destination is an I/O error that names the path.
  std::string missing = path("no/such/dir/w.safetensors");
  const char *names[] = {"w"};
  const hymir_rt_array *arrays[] = {a.get()};
  hymir_rt_error err{};
  EXPECT_EQ(hymir_rt_safetensors_write(missing.c_str(), 1, names, arrays, &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_EQ(std::string(err.message).rfind(missing + ": ", 0), 0u)
      << err.message;
}

//===----------------------------------------------------------------------===//
// Reader: well-formed files
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, ParsesHandBuiltFileWithoutCopying) {
  // Keys in no particular order, metadata in the middle, no padding.
  std::string header = "{" + entry("b", "I32", "[2]", 8, 16) +
                       ",\"__metadata__\":{\"k\":\"v\"}," +
                       entry("a", "F32", "[2]", 0, 8) + "}";
  std::string data = f32Bytes({1.5f, -2.0f});
  int32_t ints[2] = {7, -9};
  data.append(reinterpret_cast<const char *>(ints), sizeof(ints));
  HeapBytes heap(image(header, data));
  File f;
  hymir_rt_error err{};
  ASSERT_EQ(
      hymir_rt_safetensors_parse(heap.p.get(), heap.n, "hand", f.out(), &err),
      0)
      << err.message;
  ASSERT_EQ(hymir_rt_safetensors_count(f.st), 2u);
  EXPECT_STREQ(hymir_rt_safetensors_name(f.st, 0), "a");
  EXPECT_STREQ(hymir_rt_safetensors_name(f.st, 1), "b");
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "k"), "v");

  const unsigned char *dataStart = heap.p.get() + 8 + header.size();
  hymir_rt_tensor_view v;
  ASSERT_EQ(hymir_rt_safetensors_view(f.st, 0, &v), 0);
  EXPECT_STREQ(v.name, "a");
  EXPECT_STREQ(v.format_dtype, "F32");
  EXPECT_EQ(v.dtype, HYMIR_RT_DTYPE_F32);
  EXPECT_EQ(v.rank, 1);
  EXPECT_EQ(v.shape[0], 2);
  EXPECT_EQ(v.shape[1], 0);
  EXPECT_EQ(v.data, dataStart); // a view into the buffer, not a copy
  EXPECT_EQ(v.nbytes, 8u);
  ASSERT_EQ(hymir_rt_safetensors_find(f.st, "b", &v), 0);
  EXPECT_EQ(v.data, dataStart + 8);
  EXPECT_EQ(v.dtype, HYMIR_RT_DTYPE_I32);
  int32_t got[2];
  std::memcpy(got, v.data, sizeof(got));
  EXPECT_EQ(got[0], 7);
  EXPECT_EQ(got[1], -9);

  EXPECT_EQ(hymir_rt_safetensors_find(f.st, "c", &v),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(v.data, nullptr);
  EXPECT_EQ(hymir_rt_safetensors_view(f.st, 2, &v), HYMIR_RT_INVALID_ARGUMENT);
}

TEST_F(SafetensorsTest, AcceptsWhitespaceKeyOrderEscapesAndScalars) {
  std::string header =
      " \t\r\n{ \"w\\u00e9ight\\/x\\ud83d\\ude00\" : { \"data_offsets\" : "
      "[ 0 , 4 ] , \"shape\" : [ ] , \"dtype\" : \"F32\" } , "
      "\"__metadata__\" : { } }\n   ";
  File f;
  std::string message;
  ASSERT_EQ(parseBoth(image(header, f32Bytes({3.0f})), message), 0) << message;
  open(image(header, f32Bytes({3.0f})), f);
  hymir_rt_tensor_view v;
  ASSERT_EQ(
      hymir_rt_safetensors_find(f.st, "w\xc3\xa9ight/x\xf0\x9f\x98\x80", &v),
      0);
  EXPECT_EQ(v.rank, 0);
  EXPECT_EQ(v.nbytes, 4u);
  EXPECT_EQ(hymir_rt_safetensors_metadata(f.st, "anything"), nullptr);
}

TEST_F(SafetensorsTest, EmptyTensorsWithAZeroDim) {
  // Zero-byte tensors may sit at any boundary, several at the same offset.
  std::string header = "{" + entry("e1", "F32", "[0,4]", 4, 4) + "," +
                       entry("w", "F32", "[1]", 0, 4) + "," +
                       entry("e0", "BF16", "[3,0]", 0, 0) + "," +
                       entry("e2", "I64", "[0]", 4, 4) + "}";
  File f;
  std::string message;
  ASSERT_EQ(parseBoth(image(header, f32Bytes({1.0f})), message), 0) << message;
  open(image(header, f32Bytes({1.0f})), f);
  EXPECT_EQ(hymir_rt_safetensors_count(f.st), 4u);
  hymir_rt_tensor_view v;
  ASSERT_EQ(hymir_rt_safetensors_find(f.st, "e1", &v), 0);
  EXPECT_EQ(v.nbytes, 0u);
  EXPECT_EQ(v.shape[0], 0);
  EXPECT_EQ(v.shape[1], 4);

  Array a;
  hymir_rt_error err{};
  int64_t shape[2] = {0, 4};
  ASSERT_EQ(hymir_rt_safetensors_load(f.st, "e1", HYMIR_RT_DTYPE_F16, 2, shape,
                                      a.get(), &err),
            0)
      << err.message;
  EXPECT_NE(a->data, nullptr);
  EXPECT_EQ(hymir_rt_array_numel(a.get()), 0);

  // The empty file case: no tensors and no data.
  ASSERT_EQ(parseBoth(image("{}"), message), 0) << message;
}

TEST_F(SafetensorsTest, ReadsMetadata) {
  std::string header =
      "{\"__metadata__\":{\"format\":\"pt\",\"seed\":\"42\",\"empty\":\"\","
      "\"note\":\"a \\\"quoted\\\" \\u00fc\"}," +
      entry("w", "I8", "[1]", 0, 1) + "}";
  File f;
  open(image(header, "x"), f);
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "format"), "pt");
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "seed"), "42");
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "empty"), "");
  EXPECT_STREQ(hymir_rt_safetensors_metadata(f.st, "note"),
               "a \"quoted\" \xc3\xbc");
  EXPECT_EQ(hymir_rt_safetensors_metadata(f.st, "missing"), nullptr);
  EXPECT_EQ(hymir_rt_safetensors_metadata(f.st, nullptr), nullptr);
  EXPECT_EQ(hymir_rt_safetensors_metadata(nullptr, "format"), nullptr);

  // Metadata values are strings only.
  expectHeaderRejected(
      "{\"__metadata__\":{\"seed\":42}}", "",
      {"expected a string value in '__metadata__'", "found '42}}'"});
  expectHeaderRejected("{\"__metadata__\":[]}", "",
                       {"expected '{' to start '__metadata__'"});
  expectHeaderRejected("{\"__metadata__\":null}", "",
                       {"expected '{' to start '__metadata__'"});
}

TEST_F(SafetensorsTest, OtherFormatDtypesOpenButDoNotLoad) {
  // safetensors tensor.rs test_serialization_fp4: F4 [1, 2] in one byte.
  std::string fp4 = bytesOf(
      {64, 0,  0,   0,   0,   0,   0,   0,   123, 34,  97,  116, 116, 110, 46,
       48, 34, 58,  123, 34,  100, 116, 121, 112, 101, 34,  58,  34,  70,  52,
       34, 44, 34,  115, 104, 97,  112, 101, 34,  58,  91,  49,  44,  50,  93,
       44, 34, 100, 97,  116, 97,  95,  111, 102, 102, 115, 101, 116, 115, 34,
       58, 91, 48,  44,  49,  93,  125, 125, 32,  32,  32,  32,  0});
  File f;
  open(fp4, f, "fp4.safetensors");
  hymir_rt_tensor_view v;
  ASSERT_EQ(hymir_rt_safetensors_find(f.st, "attn.0", &v), 0);
  EXPECT_STREQ(v.format_dtype, "F4");
  EXPECT_EQ(v.dtype, HYMIR_RT_DTYPE_INVALID);
  EXPECT_EQ(v.nbytes, 1u);

  std::string header = "{" + entry("mask", "BOOL", "[2]", 0, 2) + "," +
                       entry("q", "U8", "[3]", 2, 5) + "," +
                       entry("f8", "F8_E4M3", "[1]", 5, 6) + "," +
                       entry("s", "I16", "[1]", 6, 8) + "," +
                       entry("c", "C64", "[1]", 8, 16) + "}";
  File g;
  open(image(header, std::string(16, '\1')), g);
  ASSERT_EQ(hymir_rt_safetensors_find(g.st, "q", &v), 0);
  EXPECT_STREQ(v.format_dtype, "U8");
  EXPECT_EQ(v.dtype, HYMIR_RT_DTYPE_INVALID);
  EXPECT_EQ(v.nbytes, 3u);

  Array a;
  hymir_rt_error err{};
  int64_t shape[1] = {3};
  EXPECT_EQ(hymir_rt_safetensors_load(g.st, "q", HYMIR_RT_DTYPE_I8, 1, shape,
                                      a.get(), &err),
            HYMIR_RT_UNSUPPORTED);
  EXPECT_EQ(std::string(err.message),
            path("t.safetensors") +
                ": tensor 'q' has dtype U8, which the runtime cannot load "
                "(the model expects i8 [3])");
  EXPECT_EQ(a->data, nullptr);

  // Sub-byte dtypes must fill whole bytes.
  expectHeaderRejected("{" + entry("x", "F4", "[3]", 0, 2) + "}", "ab",
                       {"tensor 'x' has 3 F4 elements, which do not fill "
                        "whole bytes"});
}

//===----------------------------------------------------------------------===//
// Reader: malformed files
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, RejectsShortFilesAndBadHeaderLengths) {
  expectRejected("", {"file is too small: 0 bytes"});
  expectRejected(std::string(7, '\0'), {"file is too small: 7 bytes"});
  expectRejected(le64(1000) + "{}", {"header length 1000 is larger than the "
                                     "file (2 bytes after the 8-byte length "
                                     "field)"});
  expectRejected(le64(100000001) + "{}",
                 {"header length 100000001 exceeds the limit of 100000000 "
                  "bytes"});
  expectRejected(le64(UINT64_MAX) + "{}",
                 {"header length 18446744073709551615 exceeds the limit"});
  // A .npy file is not a safetensors file.
  expectRejected(std::string("\x93NUMPY\x01\x00v\x00{'descr'", 17),
                 {"exceeds the limit", "not a safetensors file?"});
}

TEST_F(SafetensorsTest, RejectsJsonSyntaxErrorsWithByteOffsets) {
  std::string w = entry("a", "F32", "[1]", 0, 4);
  std::string d = f32Bytes({1.0f});
  struct Case {
    std::string header;
    std::vector<std::string> phrases;
  } cases[] = {
      {"", {"expected '{' to start the header at byte 8, found end of header"}},
      {"[]", {"expected '{' to start the header at byte 8, found '[]'"}},
      // '{' is at byte 13: 8 for the length, then {"a" and a space.
      {"{\"a\" {", {"expected ':' after a tensor name at byte 13, found '{'"}},
      {"{" + w, {"expected ',' or '}' after a tensor entry", "end of header"}},
      {"{" + w + ",}", {"expected a quoted tensor name", "found '}'"}},
      {"{'a':1}", {"expected a quoted tensor name at byte 9, found ''a':1}'"}},
      {"{\"a", {"unterminated string starting at byte 9"}},
      {"{" + w + "}x",
       {"expected the end of the header after the closing "
        "'}' (only spaces may follow)",
        "found 'x'"}},
      {"{" + w + std::string("}\0\0", 3),
       {"only spaces may follow", "found '\\x00\\x00'"}},
      {"{\"a\":{\"dtype\":\"F\\q32\"}}",
       {"invalid escape in a string at byte "
        "24 in tensor 'a'"}},
      {"{\"a\tb\":{}}", {"unescaped control character in a string at byte 11"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}",
       {"number with a leading zero", "in tensor 'a'"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}",
       {"expected an integer dimension in 'shape'", "in tensor 'a', found ']"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]\"data_offsets\":[0,4]}}",
       {"expected ',' or '}' after a value", "in tensor 'a'"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
       "\"b\":5}",
       {"expected '{' to start the tensor entry", "in tensor 'b', found '5}'"}},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.],\"data_offsets\":[0,4]}}",
       {"malformed number"}},
  };
  for (const Case &c : cases)
    expectHeaderRejected(c.header, d, c.phrases);
}

TEST_F(SafetensorsTest, RejectsInvalidUtf8AndBadUnicodeEscapes) {
  auto withName = [](const std::string &name) {
    return "{\"" + name +
           "\":{\"dtype\":\"I8\",\"shape\":[1],"
           "\"data_offsets\":[0,1]}}";
  };
  // The bad byte of "{"a\xff" is at byte 11.
  expectHeaderRejected(withName("a\xff"), "x",
                       {"header is not valid UTF-8: bad byte sequence "
                        "'\\xff\":{' at byte 11"});
  expectHeaderRejected(withName("\xc0\xaf"), "x", {"not valid UTF-8"});
  expectHeaderRejected(withName("\xed\xa0\x80"), "x", {"not valid UTF-8"});
  expectHeaderRejected(withName("\xf4\x90\x80\x80"), "x", {"not valid UTF-8"});
  expectHeaderRejected(withName("\xe2\x82"), "x", {"not valid UTF-8"});
  expectHeaderRejected(withName("\\ud800x"), "x",
                       {"unpaired UTF-16 surrogate", "at byte 10"});
  expectHeaderRejected(withName("\\udc00"), "x", {"unpaired UTF-16 surrogate"});
  expectHeaderRejected(withName("\\ud800\\u0041"), "x",
                       {"unpaired UTF-16 surrogate"});
  expectHeaderRejected(withName("a\\u0000"), "x", {"\\u0000 (NUL)"});
  expectHeaderRejected(withName("\\u12g4"), "x",
                       {"invalid \\u escape (expected 4 hex digits)"});
  expectHeaderRejected("{\"\\u12", "", {"invalid \\u escape"});
}

TEST_F(SafetensorsTest, RejectsDuplicates) {
  std::string a = entry("a", "I8", "[1]", 0, 1);
  // Names are compared after decoding escapes.
  expectHeaderRejected(
      "{" + a + "," + entry("\\u0061", "I8", "[1]", 1, 2) + "}", "xy",
      {"duplicate tensor name 'a' (at bytes 9 and 61 of "
       "the header)"});
  expectHeaderRejected(
      "{\"a\":{\"dtype\":\"I8\",\"dtype\":\"I8\",\"shape\":[1],"
      "\"data_offsets\":[0,1]}}",
      "x", {"tensor 'a' has duplicate key 'dtype'"});
  expectHeaderRejected("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "",
                       {"duplicate key 'k' in '__metadata__'"});
  expectHeaderRejected("{\"__metadata__\":{},\"__metadata__\":{}}", "",
                       {"duplicate key '__metadata__' in the header"});
}

TEST_F(SafetensorsTest, RejectsUnknownDtypesAndKeys) {
  auto tensor = [](const std::string &body) {
    return "{\"w\":{" + body + "}}";
  };
  std::string shapeOffsets = "\"shape\":[1],\"data_offsets\":[0,4]";
  std::string d = "abcd";
  expectHeaderRejected(tensor("\"dtype\":\"F33\"," + shapeOffsets), d,
                       {"tensor 'w' has unknown dtype 'F33' (expected a "
                        "safetensors dtype such as F32"});
  expectHeaderRejected(tensor("\"dtype\":\"float32\"," + shapeOffsets), d,
                       {"unknown dtype 'float32'"});
  expectHeaderRejected(tensor("\"dtype\":32," + shapeOffsets), d,
                       {"expected a quoted dtype string for 'dtype'",
                        "in tensor 'w', found '32,"});
  expectHeaderRejected(
      tensor("\"dtype\":\"F32\",\"offsets\":[0,4]," + shapeOffsets), d,
      {"tensor 'w' has unexpected key 'offsets' (expected "
       "'dtype', 'shape' and 'data_offsets')"});
  expectHeaderRejected(tensor("\"dtype\":\"F32\",\"data_offsets\":[0,4]"), d,
                       {"tensor 'w' is missing 'shape'"});
  expectHeaderRejected(tensor(""), d, {"tensor 'w' is missing 'dtype'"});
}

TEST_F(SafetensorsTest, RejectsNegativeNonIntegerAndOverflowingShapes) {
  auto shaped = [](const std::string &shape, const std::string &offsets) {
    return "{\"w\":{\"dtype\":\"I8\",\"shape\":" + shape +
           ",\"data_offsets\":" + offsets + "}}";
  };
  struct Case {
    std::string shape;
    std::vector<std::string> phrases;
  } cases[] = {
      {"[2,-1]",
       {"tensor 'w' has a negative dimension 1 in 'shape' (found "
        "-1)"}},
      {"[-0]", {"negative dimension 0"}},
      {"[1.5]",
       {"tensor 'w' has a non-integer dimension 0 in 'shape' (found "
        "1.5)"}},
      {"[1e3]", {"non-integer dimension 0", "(found 1e3)"}},
      {"[9223372036854775808]",
       {"tensor 'w' has a too large dimension 0 in 'shape' (found "
        "9223372036854775808, expected at most 9223372036854775807)"}},
      {"[99999999999999999999999]", {"too large dimension 0"}},
      {"[4294967296,4294967296,4]",
       {"tensor 'w' has shape [4294967296, 4294967296, 4] whose element "
        "count overflows 64 bits"}},
      {"[1,1,1,1,1,1,1,1,1]", {"tensor 'w' has more than 8 dimensions"}},
      {"true", {"expected '[' to start 'shape'", "found 'true"}},
      {"[null]", {"expected an integer dimension in 'shape'", "found 'null"}},
      {"\"[1]\"", {"expected '[' to start 'shape'"}},
  };
  for (const Case &c : cases)
    expectHeaderRejected(shaped(c.shape, "[0,1]"), "x", c.phrases);
  // The byte size can overflow where the element count does not.
  expectHeaderRejected(
      "{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
      "\"data_offsets\":[0,1]}}",
      "x",
      {"has a byte size that overflows 64 bits (F64 [4611686018427387904])"});
}

TEST_F(SafetensorsTest, RejectsMalformedDataOffsets) {
  auto offsets = [](const std::string &o) {
    return "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + o +
           "}}";
  };
  std::string d = "abcd";
  expectHeaderRejected(offsets("[0]"), d,
                       {"expected ',' after the begin offset ('data_offsets' "
                        "holds exactly 2 integers)"});
  expectHeaderRejected(offsets("[0,4,8]"), d,
                       {"expected ']' after the end offset"});
  expectHeaderRejected(offsets("[-1,3]"), d,
                       {"tensor 'w' has a negative begin in 'data_offsets'"});
  expectHeaderRejected(offsets("[0,4.0]"), d,
                       {"tensor 'w' has a non-integer end in 'data_offsets'"});
  expectHeaderRejected(offsets("[0,18446744073709551616]"), d,
                       {"too large end in 'data_offsets'"});
  expectHeaderRejected(offsets("null"), d,
                       {"expected '[' to start 'data_offsets'"});
  expectHeaderRejected(offsets("{\"0\":4}"), d,
                       {"expected '[' to start 'data_offsets'"});
}

TEST_F(SafetensorsTest, RejectsOffsetsNotMatchingDtypeAndShape) {
  expectHeaderRejected("{" + entry("w", "F32", "[2]", 0, 4) + "}", "abcd",
                       {"tensor 'w' has data_offsets [0, 4] spanning 4 bytes, "
                        "which does not match its dtype and shape (F32 [2] "
                        "needs 8 bytes)"});
  expectHeaderRejected("{" + entry("w", "BF16", "[2,3]", 0, 24) + "}",
                       std::string(24, 'x'), {"BF16 [2, 3] needs 12 bytes"});
  expectHeaderRejected("{" + entry("w", "I8", "[]", 4, 0) + "}", "abcd",
                       {"tensor 'w' has data_offsets [4, 0] whose end is "
                        "before its begin"});
}

TEST_F(SafetensorsTest, RejectsOffsetsOutsideTheDataArea) {
  expectHeaderRejected("{" + entry("w", "F32", "[2]", 0, 8) + "}", "abcd",
                       {"tensor 'w' has data_offsets [0, 8] beyond the end of "
                        "the data area (4 bytes)"});
  expectHeaderRejected("{" +
                           entry("w", "I8", "[7]", 18446744073709551608ull,
                                 18446744073709551615ull) +
                           "}",
                       "abcdefg", {"beyond the end of the data area"});
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  expectHeaderRejected("{" + entry("b", "F32", "[2]", 4, 12) + "," +
                           entry("a", "F32", "[2]", 0, 8) + "}",
                       std::string(12, 'x'),
                       {"tensors 'a' [0, 8] and 'b' [4, 12] overlap in the "
                        "data area"});
  // Two names for the same bytes.
  expectHeaderRejected("{" + entry("a", "F32", "[1]", 0, 4) + "," +
                           entry("b", "I32", "[1]", 0, 4) + "}",
                       "abcd", {"tensors 'a' [0, 4] and 'b' [0, 4] overlap"});
  // An empty tensor inside another one.
  expectHeaderRejected("{" + entry("a", "F32", "[2]", 0, 8) + "," +
                           entry("e", "F32", "[0]", 4, 4) + "}",
                       std::string(8, 'x'),
                       {"'a' [0, 8] and 'e' [4, 4] "
                        "overlap"});
}

TEST_F(SafetensorsTest, RejectsHolesInTheDataArea) {
  expectHeaderRejected("{" + entry("a", "F32", "[1]", 0, 4) + "," +
                           entry("b", "F32", "[1]", 8, 12) + "}",
                       std::string(12, 'x'),
                       {"hole in the data area: bytes [4, 8) between tensors "
                        "'a' and 'b' belong to no tensor"});
  expectHeaderRejected("{" + entry("a", "F32", "[1]", 4, 8) + "}",
                       std::string(8, 'x'),
                       {"hole in the data area: bytes [0, 4) before the first "
                        "tensor 'a'"});
}

TEST_F(SafetensorsTest, RejectsTrailingData) {
  expectHeaderRejected("{" + entry("a", "F32", "[1]", 0, 4) + "}", "abcde",
                       {"trailing data: 1 bytes after the last tensor 'a' (the "
                        "data area has 5 bytes, the tensors cover 4)"});
  expectHeaderRejected("{}", "abc",
                       {"trailing data: 3 bytes after the header, which has "
                        "no tensors"});
  expectHeaderRejected("{\"__metadata__\":{}}  ", "\n",
                       {"trailing data: 1 bytes"});
}

TEST_F(SafetensorsTest, OpenReportsIoErrors) {
  File f;
  hymir_rt_error err{};
  std::string missing = path("missing.safetensors");
  EXPECT_EQ(hymir_rt_safetensors_open(missing.c_str(), f.out(), &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_EQ(std::string(err.message).rfind(missing + ": cannot open", 0), 0u)
      << err.message;
  EXPECT_EQ(hymir_rt_safetensors_open(dir.string().c_str(), f.out(), &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_TRUE(contains(err.message, "not a regular file")) << err.message;
  EXPECT_EQ(f.st, nullptr);
  EXPECT_EQ(hymir_rt_safetensors_open(nullptr, f.out(), &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_safetensors_parse("x", 1, nullptr, nullptr, &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_safetensors_parse(nullptr, 8, nullptr, f.out(), &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(err.message), "<memory>: buffer is null");
  // Queries accept NULL.
  EXPECT_EQ(hymir_rt_safetensors_count(nullptr), 0u);
  EXPECT_EQ(hymir_rt_safetensors_name(nullptr, 0), nullptr);
  hymir_rt_safetensors_close(nullptr);
}

//===----------------------------------------------------------------------===//
// Binding weights by name
//===----------------------------------------------------------------------===//

class SafetensorsLoadTest : public SafetensorsTest {
protected:
  void SetUp() override {
    SafetensorsTest::SetUp();
    weights = path("W.safetensors");
    Array alog = makeArray(HYMIR_RT_DTYPE_F32, {32});
    Array ids = makeArray(HYMIR_RT_DTYPE_I32, {4});
    Array x = makeArray(HYMIR_RT_DTYPE_F32, {16, 64});
    Array bf = makeArray(HYMIR_RT_DTYPE_BF16, {2, 2});
    // 1.0, -2.5, 0.15625 and a quiet NaN are exact in bf16.
    const uint16_t bits[4] = {0x3f80, 0xc020, 0x3e20, 0x7fc0};
    std::memcpy(bf->data, bits, sizeof(bits));
    Array f64 = makeArray(HYMIR_RT_DTYPE_F64, {3});
    const double d[3] = {0.1, 1e300, -3.0};
    std::memcpy(f64->data, d, sizeof(d));
    const char *names[] = {"model.layers.0.mixer.A_log", "ids",
                           "backbone.embed.weight", "bf", "f64"};
    const hymir_rt_array *arrays[] = {alog.get(), ids.get(), x.get(), bf.get(),
                                      f64.get()};
    hymir_rt_error err{};
    ASSERT_EQ(
        hymir_rt_safetensors_write(weights.c_str(), 5, names, arrays, &err), 0)
        << err.message;
    ASSERT_EQ(hymir_rt_safetensors_open(weights.c_str(), file.out(), &err), 0)
        << err.message;
  }

  /// Loads `name` as `want` of `shape`; returns the code and sets `message`.
  int load(const char *name, hymir_rt_dtype want, std::vector<int64_t> shape,
           Array &out, std::string &message) {
    hymir_rt_error err{};
    int rc = hymir_rt_safetensors_load(file.st, name, want,
                                       static_cast<int>(shape.size()),
                                       shape.data(), out.get(), &err);
    message = rc ? err.message : "";
    if (rc) {
      EXPECT_EQ(out->data, nullptr);
    }
    return rc;
  }

  std::string weights;
  File file;
};

TEST_F(SafetensorsLoadTest, ShapeMismatchNamesBothShapes) {
  Array out;
  std::string message;
  EXPECT_EQ(load("model.layers.0.mixer.A_log", HYMIR_RT_DTYPE_F32, {16}, out,
                 message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(message, weights + ": tensor 'model.layers.0.mixer.A_log' has "
                               "shape [32] but the model expects [16]");
  // A rank mismatch is a shape mismatch too.
  EXPECT_EQ(
      load("backbone.embed.weight", HYMIR_RT_DTYPE_F32, {1024}, out, message),
      HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(message, weights + ": tensor 'backbone.embed.weight' has shape "
                               "[16, 64] but the model expects [1024]");
  EXPECT_EQ(load("ids", HYMIR_RT_DTYPE_I32, {}, out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_TRUE(contains(message, "has shape [4] but the model expects []"));
}

TEST_F(SafetensorsLoadTest, MemoryLimitNamesFileAndTensor) {
  Array out;
  std::string message;
  // backbone.embed.weight is 16 x 64: 4 KiB as f32, 8 KiB as f64.
  hymir_rt_set_memory_limit(6000);
  EXPECT_EQ(load("backbone.embed.weight", HYMIR_RT_DTYPE_F64, {16, 64}, out,
                 message),
            HYMIR_RT_OUT_OF_MEMORY);
  EXPECT_EQ(message, weights + ": tensor 'backbone.embed.weight': array "
                               "alloc: f64 array of shape (16, 64) needs 8.0 "
                               "KiB, more than the memory limit of 5.9 KiB");
  EXPECT_EQ(load("backbone.embed.weight", HYMIR_RT_DTYPE_F32, {16, 64}, out,
                 message),
            0)
      << message;
  hymir_rt_set_memory_limit(0);
}

TEST_F(SafetensorsLoadTest, MissingTensorSaysWhatTheModelExpects) {
  Array out;
  std::string message;
  EXPECT_EQ(load("x", HYMIR_RT_DTYPE_F32, {16, 64}, out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(message, weights + ": file has no tensor 'x' (the model expects "
                               "f32 [16, 64])");
  // A name that differs by a dotted prefix is suggested.
  EXPECT_EQ(load("embed.weight", HYMIR_RT_DTYPE_BF16, {16, 64}, out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(message, weights + ": file has no tensor 'embed.weight' (the "
                               "model expects bf16 [16, 64]); did you mean "
                               "'backbone.embed.weight'?");
  EXPECT_EQ(load("model.backbone.embed.weight", HYMIR_RT_DTYPE_F32, {16, 64},
                 out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_TRUE(contains(message, "did you mean 'backbone.embed.weight'?"))
      << message;
}

TEST_F(SafetensorsLoadTest, DtypeMismatchAndBadArguments) {
  Array out;
  std::string message;
  EXPECT_EQ(load("ids", HYMIR_RT_DTYPE_F32, {4}, out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_EQ(message, weights + ": tensor 'ids' has dtype I32 but the model "
                               "expects f32 (only floating-point tensors are "
                               "converted when loading)");
  EXPECT_EQ(load("ids", HYMIR_RT_DTYPE_I64, {4}, out, message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_TRUE(contains(message, "has dtype I32 but the model expects i64"));
  EXPECT_EQ(load("model.layers.0.mixer.A_log", HYMIR_RT_DTYPE_I32, {32}, out,
                 message),
            HYMIR_RT_FORMAT_ERROR);
  EXPECT_TRUE(contains(message, "has dtype F32 but the model expects i32"));
  Array ok;
  ASSERT_EQ(load("ids", HYMIR_RT_DTYPE_I32, {4}, ok, message), 0) << message;

  EXPECT_EQ(load("ids", HYMIR_RT_DTYPE_INVALID, {4}, out, message),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(load("ids", HYMIR_RT_DTYPE_I32, {-4}, out, message),
            HYMIR_RT_INVALID_ARGUMENT);
  hymir_rt_error err{};
  EXPECT_EQ(hymir_rt_safetensors_load(file.st, "ids", HYMIR_RT_DTYPE_I32, 9,
                                      nullptr, out.get(), &err),
            HYMIR_RT_INVALID_ARGUMENT);
  EXPECT_EQ(hymir_rt_safetensors_load(nullptr, "ids", HYMIR_RT_DTYPE_I32, 0,
                                      nullptr, out.get(), &err),
            HYMIR_RT_INVALID_ARGUMENT);
}

TEST_F(SafetensorsLoadTest, ConvertsFloatsOnLoad) {
  Array out;
  std::string message;
  // bf16 -> f32 is exact.
  ASSERT_EQ(load("bf", HYMIR_RT_DTYPE_F32, {2, 2}, out, message), 0) << message;
  EXPECT_EQ(out->dtype, HYMIR_RT_DTYPE_F32);
  EXPECT_EQ(out->rank, 2);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out->data) % HYMIR_RT_ARRAY_ALIGNMENT,
            0u);
  const float *f = out.data<float>();
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], -2.5f);
  EXPECT_EQ(f[2], 0.15625f);
  EXPECT_TRUE(std::isnan(f[3]));

  // f64 -> f32 rounds to nearest and overflows to inf.
  Array narrow;
  ASSERT_EQ(load("f64", HYMIR_RT_DTYPE_F32, {3}, narrow, message), 0)
      << message;
  EXPECT_EQ(narrow.data<float>()[0], 0.1f);
  EXPECT_TRUE(std::isinf(narrow.data<float>()[1]));
  EXPECT_EQ(narrow.data<float>()[2], -3.0f);

  // f32 -> bf16 and f16 round like hymir_rt_array_convert.
  hymir_rt_tensor_view v;
  ASSERT_EQ(
      hymir_rt_safetensors_find(file.st, "model.layers.0.mixer.A_log", &v), 0);
  Array bf16, f16;
  ASSERT_EQ(load("model.layers.0.mixer.A_log", HYMIR_RT_DTYPE_BF16, {32}, bf16,
                 message),
            0)
      << message;
  ASSERT_EQ(load("model.layers.0.mixer.A_log", HYMIR_RT_DTYPE_F16, {32}, f16,
                 message),
            0)
      << message;
  for (int i = 0; i < 32; ++i) {
    float x;
    std::memcpy(&x, static_cast<const char *>(v.data) + 4 * i, 4);
    EXPECT_EQ(bf16.data<uint16_t>()[i], hymir_rt_f32_to_bf16(x));
    EXPECT_EQ(f16.data<uint16_t>()[i], hymir_rt_f32_to_f16(x));
  }
}

//===----------------------------------------------------------------------===//
// Hostile input
//===----------------------------------------------------------------------===//

TEST_F(SafetensorsTest, MutatedFilesAreRejectedOrParsedSafely) {
  // A deterministic mini-fuzz: every truncation and single-byte mutation of
  // a valid file either parses into views inside the buffer or fails with a
  // one-line message that starts with the name. ASan builds check the reads.
  Array a = makeArray(HYMIR_RT_DTYPE_F32, {2, 3});
  Array b = makeArray(HYMIR_RT_DTYPE_BF16, {0, 5});
  Array c = makeArray(HYMIR_RT_DTYPE_I8, {3});
  fillPattern(a, 1);
  fillPattern(c, 2);
  std::string valid = serialize({"a.w", "b\\\"", "c"},
                                {a.get(), b.get(), c.get()}, {{"k", "v"}});
  std::vector<std::string> inputs;
  for (size_t n = 0; n < valid.size(); ++n)
    inputs.push_back(valid.substr(0, n));
  const unsigned char replacements[] = {0x00, '"', '\\', '{', '}', '[',  ']',
                                        ',',  ':', '-',  '9', 'e', 0xff, 0x80};
  for (size_t i = 0; i < valid.size(); ++i)
    for (unsigned char r : replacements) {
      std::string m = valid;
      m[i] = static_cast<char>(r);
      inputs.push_back(m);
    }
  size_t accepted = 0;
  for (const std::string &input : inputs) {
    HeapBytes heap(input);
    File f;
    hymir_rt_error err{};
    int rc = hymir_rt_safetensors_parse(heap.n ? heap.p.get() : nullptr, heap.n,
                                        "fuzz", f.out(), &err);
    if (rc != 0) {
      ASSERT_EQ(f.st, nullptr);
      ASSERT_EQ(std::string(err.message).rfind("fuzz: ", 0), 0u);
      ASSERT_EQ(std::strchr(err.message, '\n'), nullptr) << err.message;
      continue;
    }
    ++accepted;
    for (size_t i = 0; i < hymir_rt_safetensors_count(f.st); ++i) {
      hymir_rt_tensor_view v;
      ASSERT_EQ(hymir_rt_safetensors_view(f.st, i, &v), 0);
      const auto *p = static_cast<const unsigned char *>(v.data);
      ASSERT_GE(p, heap.p.get());
      ASSERT_LE(p + v.nbytes, heap.p.get() + heap.n);
      volatile unsigned sum = 0;
      for (size_t k = 0; k < v.nbytes; ++k)
        sum = sum + p[k];
    }
  }
  // The original and the mutations of data bytes are accepted.
  EXPECT_GT(accepted, 1u);
}

} // namespace
