//===- consumer.cpp - Hymir embedded as a library ---------------------------===//
//
// Built against an installed Hymir (find_package(Hymir)) by
// test/Consumer/find-package.test. It parses a gallery op and runs it three
// ways (float64 reference, CPU JIT, and as a CUDA artifact whose launch plan
// the runtime reads back), then runs the tiny Qwen3-Next model's prefill on
// the reference with random weights bound by name.
//
//   hymir-consumer GATED_DELTA_NET.mlir TINY_MODEL.mlir WORK_DIR
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Reference/Interpreter.h"
#include "hymir/Target/CPU/Jit.h"
#include "hymir/Target/CUDA/Artifact.h"

#include "hymir_rt/cuda_plan.h"

#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

using namespace mlir;
using hymir::ref::Tensor;

static int fail(const char *what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return fail("usage: hymir-consumer GDN.mlir MODEL.mlir WORK_DIR");
  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // 1. A gallery op: the float64 reference and the CPU JIT agree.
  OwningOpRef<ModuleOp> gdn = parseSourceFile<ModuleOp>(argv[1], &context);
  if (!gdn)
    return fail("cannot parse the gallery op");
  const int64_t B = 2, T = 7;
  std::vector<std::vector<int64_t>> shapes = {
      {B, T, 2, 12}, {B, T, 2, 12}, {B, T, 4, 20}, {B, T, 4},
      {B, T, 4},     {4},           {4},           {B, 4, 12, 20}};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<Tensor> refArgs;
  std::vector<hymir::CpuTensor> cpuArgs;
  for (const auto &shape : shapes) {
    hymir::CpuTensor t;
    t.shape = shape;
    t.data.resize(t.numElements());
    for (float &x : t.data)
      x = 0.5f * normal(rng);
    cpuArgs.push_back(t);
    refArgs.push_back(Tensor::getFloat(
        shape, std::vector<double>(t.data.begin(), t.data.end())));
  }
  auto ref = hymir::ref::runFunction(*gdn, "main", refArgs);
  auto cpu = hymir::runOnCpu(*gdn, "main", cpuArgs, hymir::CPUPipelineOptions());
  if (failed(ref) || failed(cpu) || ref->size() != cpu->size())
    return fail("running the gallery op failed");
  double worst = 0;
  for (size_t r = 0; r < ref->size(); ++r) {
    const std::vector<double> &want = (*ref)[r].getFloats();
    const std::vector<float> &got = (*cpu)[r].data;
    if (want.size() != got.size())
      return fail("result sizes differ");
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      num += (got[i] - want[i]) * (got[i] - want[i]);
      den += want[i] * want[i];
    }
    worst = std::max(worst, std::sqrt(num / den));
  }
  std::printf("gated_delta_net: cpu vs reference rel. RMS %.2e (%s)\n", worst,
              worst <= 1e-4 ? "ok" : "FAIL");
  if (!(worst <= 1e-4))
    return 1;

  // 2. The same op as a CUDA artifact; the runtime reads its plan back.
  OwningOpRef<ModuleOp> forCuda = gdn->clone();
  llvm::SmallVector<llvm::SmallVector<int64_t>> cudaShapes;
  for (const auto &shape : shapes)
    cudaShapes.emplace_back(shape.begin(), shape.end());
  auto artifact = hymir::compileCUDAArtifact(*forCuda, "main", cudaShapes,
                                             hymir::CUDAPipelineOptions());
  std::string dir = std::string(argv[3]) + "/gdn.cuda";
  std::string message;
  if (failed(artifact) ||
      failed(hymir::writeCUDAArtifact(*artifact, dir, message)))
    return fail("CUDA artifact failed");
  hymir_rt_cuda_plan plan;
  hymir_rt_error err;
  if (hymir_rt_cuda_plan_read(dir.c_str(), &plan, &err))
    return fail(err.message);
  std::printf("cuda artifact: %zu kernels, %zu outputs, target %s\n",
              plan.num_launches, plan.num_outputs, plan.target);
  hymir_rt_cuda_plan_free(&plan);

  // 3. The tiny hybrid model: prefill on the reference, random weights bound
  //    by the globals' names.
  OwningOpRef<ModuleOp> model = parseSourceFile<ModuleOp>(argv[2], &context);
  if (!model)
    return fail("cannot parse the model");
  hymir::ref::WeightMap weights;
  model->walk([&](ml_program::GlobalOp global) {
    auto type = cast<RankedTensorType>(global.getType());
    std::vector<double> values(type.getNumElements());
    for (double &x : values)
      x = 0.1 * normal(rng);
    weights[global.getSymName()] = Tensor::getFloat(type.getShape(), values);
  });
  Tensor tokens = Tensor::getInt({1, 5}, {3, 14, 15, 9, 26});
  auto out = hymir::ref::runFunction(*model, "prefill", {tokens}, &weights);
  if (failed(out))
    return fail("prefill failed");
  const Tensor &logits = (*out)[0];
  bool finite = true;
  for (double x : logits.getFloats())
    finite &= std::isfinite(x);
  std::printf("tiny model prefill: %zu results, logits [%lld, %lld, %lld], %s, "
              "%zu weights bound\n",
              out->size(), (long long)logits.getShape()[0],
              (long long)logits.getShape()[1], (long long)logits.getShape()[2],
              finite ? "finite" : "NOT FINITE", (size_t)weights.size());
  return finite ? 0 : 1;
}
