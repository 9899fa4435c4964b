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

#include <string>

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
        BadCase{"version", "hymir-cuda-plan 1", "hymir-cuda-plan 2",
                "plan.txt:1: plan format version 2"},
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
