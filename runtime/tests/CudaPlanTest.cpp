//===- CudaPlanTest.cpp - CUDA launch plan parser tests ---------------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The parser is the runtime's guard against a bad artifact: every malformed
// plan must be an error naming the line, never a launch with a pointer
// outside its buffer. (test/Target/CUDA checks it on the compiler's output.)
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda_plan.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const char kPlan[] = R"(hymir-cuda-plan 1
target sm_90a
# a comment

module m0 m0.cubin
function main
input 0 f32 2 2 8
buffer 0 f32 1 16
launch m0 k 1 1 1 16 1 1 0 4
param i64 16
param memref in 0 0 2 2 8 8 1
param memref buf 0 0 1 16 1
param f32 0x3f800000
output 0 buf 0 f32 2 4 4
end
)";

struct Parsed {
  hymir_rt_cuda_plan plan{};
  hymir_rt_error err{};
  int rc = 0;
  explicit Parsed(const std::string &text) {
    rc = hymir_rt_cuda_plan_parse(text.data(), text.size(), "plan.txt", &plan,
                                  &err);
  }
  ~Parsed() { hymir_rt_cuda_plan_free(&plan); }
};

/// kPlan with the first occurrence of `from` replaced by `to`.
std::string edit(const std::string &from, const std::string &to) {
  std::string s = kPlan;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(CudaPlan, ParsesEverything) {
  Parsed p(kPlan);
  ASSERT_EQ(p.rc, 0) << p.err.message;
  EXPECT_STREQ(p.plan.target, "sm_90a");
  EXPECT_STREQ(p.plan.function, "main");
  ASSERT_EQ(p.plan.num_modules, 1u);
  EXPECT_STREQ(p.plan.modules[0].file, "m0.cubin");
  ASSERT_EQ(p.plan.num_inputs, 1u);
  EXPECT_EQ(p.plan.inputs[0].dtype, HYMIR_RT_DTYPE_F32);
  EXPECT_EQ(p.plan.inputs[0].shape[1], 8);
  ASSERT_EQ(p.plan.num_launches, 1u);
  const hymir_rt_cuda_launch &l = p.plan.launches[0];
  EXPECT_STREQ(l.kernel, "k");
  EXPECT_EQ(l.block[0], 16u);
  ASSERT_EQ(l.num_params, 4u);
  EXPECT_EQ(l.params[0].kind, HYMIR_RT_CUDA_PARAM_I64);
  EXPECT_EQ(l.params[0].bits, 16u);
  EXPECT_EQ(l.params[1].kind, HYMIR_RT_CUDA_PARAM_MEMREF);
  EXPECT_EQ(l.params[1].source, HYMIR_RT_CUDA_SOURCE_INPUT);
  EXPECT_EQ(l.params[1].strides[0], 8);
  EXPECT_EQ(l.params[3].kind, HYMIR_RT_CUDA_PARAM_F32);
  EXPECT_EQ(l.params[3].bits, 0x3f800000u);
  ASSERT_EQ(p.plan.num_outputs, 1u);
  EXPECT_EQ(p.plan.outputs[0].tensor.rank, 2);
  EXPECT_EQ(hymir_rt_cuda_tensor_bytes(&p.plan.outputs[0].tensor), 64u);
}

struct BadCase {
  const char *what, *from, *to, *message;
};

class CudaPlanRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(CudaPlanRejects, WithTheLine) {
  const BadCase &c = GetParam();
  Parsed p(edit(c.from, c.to));
  EXPECT_NE(p.rc, 0) << c.what;
  EXPECT_NE(std::string(p.err.message).find(c.message), std::string::npos)
      << c.what << ": " << p.err.message;
  EXPECT_NE(std::string(p.err.message).find("plan.txt:"), std::string::npos)
      << p.err.message;
  // A failed parse leaves nothing allocated.
  EXPECT_EQ(p.plan.num_launches, 0u);
  EXPECT_EQ(p.plan.launches, nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, CudaPlanRejects,
    ::testing::Values(
        BadCase{"magic", "hymir-cuda-plan 1", "hymir-cpu-plan 1",
                "plan.txt:1: not a Hymir CUDA plan"},
        BadCase{"version", "hymir-cuda-plan 1", "hymir-cuda-plan 3",
                "plan.txt:1: plan format version 3; this runtime reads "
                "versions 1 to 2"},
        BadCase{"version 0", "hymir-cuda-plan 1", "hymir-cuda-plan 0",
                "plan format version 0"},
        BadCase{"weight in v1", "buffer 0 f32 1 16",
                "weight 0 f32 1 4 w\nbuffer 0 f32 1 16",
                "plan.txt:8: weights need plan format version 2"},
        BadCase{"wt in v1", "param memref buf 0 0 1 16 1",
                "param memref wt 0 0 1 16 1", "expected 'in' or 'buf'"},
        BadCase{"role in v1", "input 0 f32 2 2 8", "input 0 f32 2 2 8 kv_cache",
                "roles need plan format version 2"},
        BadCase{"dtype", "input 0 f32", "input 0 f128", "unknown dtype"},
        BadCase{"rank vs dims", "input 0 f32 2 2 8", "input 0 f32 3 2 8",
                "plan.txt:7: dimension count does not match the rank"},
        BadCase{"zero dim", "buffer 0 f32 1 16", "buffer 0 f32 1 0",
                "expected an integer in range"},
        BadCase{"view outside", "param memref in 0 0 2 2 8 8 1",
                "param memref in 0 1 2 2 8 8 1",
                "memref view reaches outside its tensor"},
        BadCase{"stride outside", "param memref buf 0 0 1 16 1",
                "param memref buf 0 0 1 16 2",
                "memref view reaches outside its tensor"},
        BadCase{"no buffer", "param memref buf 0", "param memref buf 3",
                "no such buffer"},
        BadCase{"missing param", "param f32 0x3f800000\n", "",
                "fewer param lines than it declares"},
        BadCase{"unknown module", "launch m0 k", "launch m9 k",
                "unknown module"},
        BadCase{"module path", "module m0 m0.cubin", "module m0 ../m0.cubin",
                "module file must be a plain file name"},
        BadCase{"threads", "1 1 1 16 1 1 0 4", "1 1 1 1024 2 1 0 4",
                "more than 1024 threads per block"},
        BadCase{"grid y", "1 1 1 16 1 1 0 4", "1 70000 1 16 1 1 0 4",
                "outside CUDA's limits"},
        BadCase{"output reshape", "output 0 buf 0 f32 2 4 4",
                "output 0 buf 0 f32 2 4 5",
                "output is not a reshape of the tensor it names"},
        BadCase{"scalar bits", "param f32 0x3f800000", "param f32 1.0",
                "expected hexadecimal bits"},
        BadCase{"f32 too wide", "param f32 0x3f800000",
                "param f32 0x13f800000", "bad hexadecimal bits"},
        BadCase{"truncated", "end\n", "", "missing 'end'"},
        BadCase{"keyword", "end\n", "jump 3\nend\n", "unknown keyword"}));

// Version 2: weights bound by name, KV-cache roles.
const char kPlanV2[] = R"(hymir-cuda-plan 2
target sm_90a
module m0 m0.cubin
function decode
input 0 i32 1 2
input 1 f32 4 2 6 1 4 kv_cache
input 2 i32 1 2 kv_lengths
weight 0 f32 2 4 3 model.embed.weight
weight 1 f32 1 3 model.norm.weight
buffer 0 f32 4 2 6 1 4
launch m0 k 1 1 1 16 1 1 0 3
param memref wt 0 0 2 4 3 3 1
param memref wt 1 0 1 3 1
param memref buf 0 0 4 2 6 1 4 24 4 4 1
output 0 buf 0 f32 2 2 24
output 1 buf 0 f32 4 2 6 1 4 kv_cache
output 2 in 2 i32 1 2 kv_lengths
end
)";

std::string editV2(const std::string &from, const std::string &to) {
  std::string s = kPlanV2;
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(CudaPlanV2, WeightsAndRoles) {
  Parsed p(kPlanV2);
  ASSERT_EQ(p.rc, 0) << p.err.message;
  EXPECT_EQ(p.plan.version, 2);
  ASSERT_EQ(p.plan.num_weights, 2u);
  EXPECT_STREQ(p.plan.weights[0].name, "model.embed.weight");
  EXPECT_EQ(p.plan.weights[0].tensor.shape[0], 4);
  EXPECT_STREQ(p.plan.weights[1].name, "model.norm.weight");
  EXPECT_EQ(p.plan.inputs[0].role, HYMIR_RT_CUDA_ROLE_NONE);
  EXPECT_EQ(p.plan.inputs[1].role, HYMIR_RT_CUDA_ROLE_KV_CACHE);
  EXPECT_EQ(p.plan.inputs[1].rank, 4);
  EXPECT_EQ(p.plan.inputs[2].role, HYMIR_RT_CUDA_ROLE_KV_LENGTHS);
  const hymir_rt_cuda_launch &l = p.plan.launches[0];
  EXPECT_EQ(l.params[0].source, HYMIR_RT_CUDA_SOURCE_WEIGHT);
  EXPECT_EQ(l.params[1].index, 1u);
  EXPECT_EQ(p.plan.outputs[1].tensor.role, HYMIR_RT_CUDA_ROLE_KV_CACHE);
  EXPECT_EQ(p.plan.outputs[2].tensor.role, HYMIR_RT_CUDA_ROLE_KV_LENGTHS);
  EXPECT_STREQ(hymir_rt_cuda_role_name(HYMIR_RT_CUDA_ROLE_KV_CACHE),
               "kv_cache");
}

TEST(CudaPlanV2, Rejects) {
  const BadCase cases[] = {
      {"unknown role", "input 2 i32 1 2 kv_lengths", "input 2 i32 1 2 cache",
       "plan.txt:7: unknown role (expected kv_cache or kv_lengths)"},
      {"weight twice", "1 3 model.norm.weight", "1 3 model.embed.weight",
       "plan.txt:9: weight declared twice: model.embed.weight"},
      {"no weight", "param memref wt 1 0", "param memref wt 2 0",
       "no such weight"},
      {"weight view", "param memref wt 1 0 1 3 1", "param memref wt 1 1 1 3 1",
       "memref view reaches outside its tensor"},
      {"output weight", "output 2 in 2", "output 2 wt 1",
       "a result cannot be a weight"},
      {"weight no name", "weight 1 f32 1 3 model.norm.weight",
       "weight 1 f32 1 3", "expected weight <index>"},
      {"weight index", "weight 1 f32", "weight 2 f32",
       "indices must count up from 0"},
  };
  for (const BadCase &c : cases) {
    Parsed p(editV2(c.from, c.to));
    EXPECT_NE(p.rc, 0) << c.what;
    EXPECT_NE(std::string(p.err.message).find(c.message), std::string::npos)
        << c.what << ": " << p.err.message;
    EXPECT_EQ(p.plan.weights, nullptr);
  }
}

/// A safetensors image of `tensors` (name, array), parsed.
struct Weights {
  std::vector<std::vector<float>> data;
  std::vector<hymir_rt_array> arrays;
  void *buf = nullptr;
  size_t len = 0;
  hymir_rt_safetensors *st = nullptr;
  void add(const std::string &name, hymir_rt_dtype dtype,
           std::vector<int64_t> shape) {
    names.push_back(name);
    hymir_rt_array a{};
    ASSERT_EQ(hymir_rt_array_alloc(dtype, static_cast<int>(shape.size()),
                                   shape.data(), &a, &err),
              0);
    size_t n = hymir_rt_array_nbytes(&a);
    for (size_t i = 0; i < n; ++i)
      static_cast<unsigned char *>(a.data)[i] = static_cast<unsigned char>(i);
    if (dtype == HYMIR_RT_DTYPE_F32)
      for (size_t i = 0; i < n / 4; ++i)
        static_cast<float *>(a.data)[i] = 0.5f * static_cast<float>(i) + 1;
    if (dtype == HYMIR_RT_DTYPE_BF16)
      for (size_t i = 0; i < n / 2; ++i) // bf16 of 1.0, 1.5, 2.0, ...
        static_cast<uint16_t *>(a.data)[i] =
            static_cast<uint16_t>(0x3f80 + 0x40 * i);
    arrays.push_back(a);
  }
  hymir_rt_safetensors *open() {
    std::vector<const char *> n;
    std::vector<const hymir_rt_array *> p;
    for (size_t i = 0; i < names.size(); ++i) {
      n.push_back(names[i].c_str());
      p.push_back(&arrays[i]);
    }
    EXPECT_EQ(hymir_rt_safetensors_serialize(names.size(), n.data(), p.data(),
                                             0, nullptr, nullptr, &buf, &len,
                                             &err),
              0);
    EXPECT_EQ(hymir_rt_safetensors_parse(buf, len, "W.safetensors", &st, &err),
              0);
    return st;
  }
  ~Weights() {
    hymir_rt_safetensors_close(st);
    free(buf);
    for (hymir_rt_array &a : arrays)
      hymir_rt_array_free(&a);
  }
  std::vector<std::string> names;
  hymir_rt_error err{};
};

TEST(CudaPlanV2, WeightsLoadByNameAndConvert) {
  Parsed p(kPlanV2);
  ASSERT_EQ(p.rc, 0) << p.err.message;
  Weights w;
  w.add("model.embed.weight", HYMIR_RT_DTYPE_F32, {4, 3});
  w.add("model.norm.weight", HYMIR_RT_DTYPE_BF16, {3});
  w.add("unused.mtp.weight", HYMIR_RT_DTYPE_I32, {2});
  hymir_rt_safetensors *st = w.open();
  ASSERT_NE(st, nullptr);
  // Two plans sharing a weight: it is loaded once.
  const hymir_rt_cuda_plan *plans[2] = {&p.plan, &p.plan};
  hymir_rt_cuda_weight_set set{};
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_cuda_weights_load(plans, 2, st, &set, &err), 0)
      << err.message;
  ASSERT_EQ(set.count, 2u);
  EXPECT_EQ(hymir_rt_cuda_weight_set_find(&set, "model.norm.weight"), 1u);
  EXPECT_EQ(hymir_rt_cuda_weight_set_find(&set, "nope"), (size_t)-1);
  EXPECT_EQ(set.values[0].dtype, HYMIR_RT_DTYPE_F32);
  EXPECT_EQ(static_cast<const float *>(set.values[0].data)[3], 2.5f);
  // BF16 converted to the plan's f32.
  ASSERT_EQ(set.values[1].dtype, HYMIR_RT_DTYPE_F32);
  EXPECT_EQ(static_cast<const float *>(set.values[1].data)[0], 1.0f);
  EXPECT_EQ(static_cast<const float *>(set.values[1].data)[1], 1.5f);
  hymir_rt_cuda_weight_set_free(&set);
  EXPECT_EQ(set.count, 0u);
}

TEST(CudaPlanV2, WeightErrorsNameTheTensor) {
  Parsed p(kPlanV2);
  ASSERT_EQ(p.rc, 0) << p.err.message;
  const hymir_rt_cuda_plan *plans[1] = {&p.plan};
  struct Case {
    const char *what;
    hymir_rt_dtype norm_dtype;
    std::vector<int64_t> norm_shape;
    bool with_norm;
    const char *message;
  } cases[] = {
      {"missing", HYMIR_RT_DTYPE_F32, {3}, false,
       "W.safetensors: file has no tensor 'model.norm.weight' (the model "
       "expects f32 [3])"},
      {"shape", HYMIR_RT_DTYPE_F32, {4}, true,
       "W.safetensors: tensor 'model.norm.weight' has shape [4] but the "
       "model expects [3]"},
      {"dtype", HYMIR_RT_DTYPE_I32, {3}, true,
       "W.safetensors: tensor 'model.norm.weight' has dtype I32 but the "
       "model expects f32"},
  };
  for (const Case &c : cases) {
    Weights w;
    w.add("model.embed.weight", HYMIR_RT_DTYPE_F32, {4, 3});
    if (c.with_norm)
      w.add("model.norm.weight", c.norm_dtype, c.norm_shape);
    hymir_rt_safetensors *st = w.open();
    ASSERT_NE(st, nullptr);
    hymir_rt_cuda_weight_set set{};
    hymir_rt_error err{};
    EXPECT_NE(hymir_rt_cuda_weights_load(plans, 1, st, &set, &err), 0)
        << c.what;
    EXPECT_NE(std::string(err.message).find(c.message), std::string::npos)
        << c.what << ": " << err.message;
    EXPECT_EQ(set.count, 0u);
    EXPECT_EQ(set.values, nullptr);
  }
  // No file at all for a plan with weights.
  hymir_rt_cuda_weight_set set{};
  hymir_rt_error err{};
  EXPECT_NE(hymir_rt_cuda_weights_load(plans, 1, nullptr, &set, &err), 0);
  EXPECT_NE(std::string(err.message).find("decode takes 2 weights and no "
                                          "weights file was given"),
            std::string::npos)
      << err.message;
}

/// Writes a model artifact (prefill/plan.txt, decode/plan.txt) under a
/// fresh temporary directory.
struct ModelDir {
  std::string root;
  ModelDir(const std::string &prefill, const std::string &decode) {
    char tmpl[] = "/tmp/hymir-model-XXXXXX";
    root = mkdtemp(tmpl);
    write("prefill", prefill);
    write("decode", decode);
  }
  void write(const std::string &sub, const std::string &text) {
    std::string dir = root + "/" + sub;
    mkdir(dir.c_str(), 0755);
    FILE *f = fopen((dir + "/plan.txt").c_str(), "w");
    fputs(text.c_str(), f);
    fclose(f);
  }
  ~ModelDir() {
    for (const char *sub : {"prefill", "decode"}) {
      std::string dir = root + "/" + sub;
      unlink((dir + "/plan.txt").c_str());
      rmdir(dir.c_str());
    }
    rmdir(root.c_str());
  }
};

// @prefill at B = 2, T = 3 (cache of 3 rows), @decode with capacity 6.
const char kPrefill[] = R"(hymir-cuda-plan 2
target sm_90a
function prefill
input 0 i32 2 2 3
weight 0 f32 2 4 3 model.embed.weight
buffer 0 f32 3 2 3 24
buffer 1 f32 4 2 3 1 4
buffer 2 f32 2 2 5
buffer 3 i32 1 2
output 0 buf 0 f32 3 2 3 24
output 1 buf 2 f32 2 2 5
output 2 buf 1 f32 4 2 3 1 4 kv_cache
output 3 buf 3 i32 1 2 kv_lengths
end
)";
const char kDecode[] = R"(hymir-cuda-plan 2
target sm_90a
function decode
input 0 i32 1 2
input 1 f32 2 2 5
input 2 f32 4 2 6 1 4 kv_cache
input 3 i32 1 2 kv_lengths
weight 0 f32 2 4 3 model.embed.weight
buffer 0 f32 2 2 24
buffer 1 f32 2 2 5
buffer 2 f32 4 2 6 1 4
buffer 3 i32 1 2
output 0 buf 0 f32 2 2 24
output 1 buf 1 f32 2 2 5
output 2 buf 2 f32 4 2 6 1 4 kv_cache
output 3 buf 3 i32 1 2 kv_lengths
end
)";

std::string replaced(std::string s, const std::string &from,
                     const std::string &to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(CudaModel, ReadsShapesAndStates) {
  ModelDir dir(kPrefill, kDecode);
  hymir_rt_cuda_model_plans m;
  hymir_rt_error err{};
  ASSERT_EQ(hymir_rt_cuda_model_read(dir.root.c_str(), &m, &err), 0)
      << err.message;
  EXPECT_EQ(m.batch, 2);
  EXPECT_EQ(m.prompt_len, 3);
  EXPECT_EQ(m.capacity, 6);
  EXPECT_EQ(m.has_kv_cache, 1);
  EXPECT_EQ(m.vocab, 24);
  EXPECT_EQ(m.num_states, 3u);
  hymir_rt_cuda_model_plans_free(&m);
}

TEST(CudaModel, RejectsInconsistentPlans) {
  struct Case {
    const char *what;
    std::string prefill, decode;
    const char *message;
  } cases[] = {
      {"growing cache", kPrefill,
       replaced(kDecode, "output 2 buf 2 f32 4 2 6 1 4 kv_cache",
                "output 2 buf 2 f32 4 2 6 1 4"),
       "state #2: @decode takes f32 [2,6,1,4] kv_cache and returns f32 "
       "[2,6,1,4]"},
      {"state shape", replaced(kPrefill, "output 1 buf 2 f32 2 2 5",
                               "output 1 buf 2 f32 2 5 2"),
       kDecode,
       "state #1: @prefill returns f32 [5,2] where @decode takes f32 [2,5]"},
      {"state count", kPrefill,
       replaced(replaced(kDecode, "output 3 buf 3 i32 1 2 kv_lengths\n", ""),
                "input 3 i32 1 2 kv_lengths\n", ""),
       "@decode takes 2 states; @prefill returns 3 and @decode 2"},
      {"tokens", replaced(kPrefill, "input 0 i32 2 2 3", "input 0 f32 2 2 3"),
       kDecode, "@prefill must take one argument, tokens i32 [B, T]"},
      {"logits", kPrefill,
       replaced(kDecode, "output 0 buf 0 f32 2 2 24", "output 0 buf 1 f32 2 2 5"),
       "the first results must be the logits"},
      {"weights", kPrefill,
       replaced(kDecode, "weight 0 f32 2 4 3", "weight 0 f32 2 3 4"),
       "weight 'model.embed.weight' is f32 [4,3] in @prefill and f32 [3,4] "
       "in @decode"},
  };
  for (const Case &c : cases) {
    ModelDir dir(c.prefill, c.decode);
    hymir_rt_cuda_model_plans m;
    hymir_rt_error err{};
    EXPECT_NE(hymir_rt_cuda_model_read(dir.root.c_str(), &m, &err), 0)
        << c.what;
    EXPECT_NE(std::string(err.message).find("not a model artifact"),
              std::string::npos)
        << err.message;
    EXPECT_NE(std::string(err.message).find(c.message), std::string::npos)
        << c.what << ": " << err.message;
    EXPECT_EQ(m.prefill.inputs, nullptr);
  }
  hymir_rt_cuda_model_plans m;
  hymir_rt_error err{};
  EXPECT_NE(hymir_rt_cuda_model_read("/nonexistent-model", &m, &err), 0);
  EXPECT_NE(std::string(err.message).find("/nonexistent-model/prefill/plan.txt"),
            std::string::npos)
      << err.message;
}

TEST(CudaPlan, RejectsNulAndEmpty) {
  std::string with_nul = kPlan;
  with_nul[10] = '\0';
  Parsed a(with_nul);
  EXPECT_NE(a.rc, 0);
  EXPECT_NE(std::string(a.err.message).find("NUL"), std::string::npos);
  Parsed b("");
  EXPECT_NE(b.rc, 0);
  EXPECT_NE(std::string(b.err.message).find("empty plan"), std::string::npos);
}

TEST(CudaPlan, ReadReportsMissingFile) {
  hymir_rt_cuda_plan plan;
  hymir_rt_error err;
  EXPECT_EQ(hymir_rt_cuda_plan_read("/nonexistent-dir", &plan, &err),
            HYMIR_RT_IO_ERROR);
  EXPECT_NE(std::string(err.message).find("/nonexistent-dir/plan.txt"),
            std::string::npos);
}

} // namespace
