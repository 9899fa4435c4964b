//===- ReferenceFuzzer.cpp - libFuzzer target for the interpreter ---------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-reference: the modules are fixed (every file of examples/ops/,
// parsed once at start-up); the bytes choose a module and build the argument
// tensors handed to `hymir::ref::runFunction`: shapes, kinds and values.
// The interpreter promises never to assert on its input, so whatever the
// arguments (wrong rank, wrong static dims, dynamic dims that disagree between
// arguments, empty batch or sequence, negative dims, data vectors of the
// wrong length, NaN/Inf/huge values) it must either run or fail with a
// diagnostic. On success every result must be a valid tensor of its declared
// type.
//
// Input layout (consumed with FuzzedDataProvider; short inputs read zeros):
//   byte 0    which gallery module (modulo their number)
//   byte 1    mode: 0-5 consistent dynamic dims (Hymir's convention: a '?' at
//             position i is the same size in every argument), 6 each
//             argument draws its own dynamic dims, 7 hostile (any rank,
//             any dims including negative and huge ones, either kind, data
//             of the wrong length)
//   then      the dynamic dims (0..6 each), then element bytes: byte b maps
//             to (b - 120) / 30 for b < 240, else to one of NaN, +-Inf,
//             +-1e300, 1e-310 (subnormal), -0, 1e18, ...
//
// The gallery directory is compiled in (HYMIR_FUZZ_GALLERY_DIR); the
// environment variable of the same name overrides it.
// HYMIR_FUZZ_REFERENCE_VERBOSE=1 prints each call's entry point, argument
// shapes and outcome.
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Reference/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

using namespace mlir;
using hymir::ref::Tensor;

#ifndef HYMIR_FUZZ_GALLERY_DIR
#define HYMIR_FUZZ_GALLERY_DIR "examples/ops"
#endif

namespace {
/// The interpreter's memory limit here: well below libFuzzer's default
/// -rss_limit_mb/-malloc_limit_mb of 2048, so that a large intermediate is
/// the interpreter's diagnostic (a path worth fuzzing), not a libFuzzer OOM.
constexpr uint64_t kMaxTensorBytes = uint64_t(256) << 20;
} // namespace

namespace {
struct Entry {
  std::string file;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
};

MLIRContext *context;
std::vector<Entry> *entries;

bool verbose() {
  static const bool v = [] {
    const char *e = std::getenv("HYMIR_FUZZ_REFERENCE_VERBOSE");
    return e && *e && *e != '0';
  }();
  return v;
}

double floatFromByte(uint8_t b) {
  static const double special[16] = {
      std::numeric_limits<double>::quiet_NaN(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      1e300,
      -1e300,
      1e-310,
      -0.0,
      1e18,
      -1e18,
      9.3e18, // just above INT64_MAX
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::min(),
      88.8, // exp overflows in f32
      -745.2,
      709.8, // exp overflows in f64
  };
  return b < 240 ? (static_cast<int>(b) - 120) / 30.0 : special[b - 240];
}

int64_t intFromByte(uint8_t b) {
  static const int64_t special[8] = {
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<int64_t>::max(),
      std::numeric_limits<int32_t>::min(),
      std::numeric_limits<int32_t>::max(),
      -1,
      1 << 20,
      -(1 << 20),
      std::numeric_limits<int64_t>::min() + 1,
  };
  return b < 248 ? static_cast<int64_t>(b) - 124 : special[b - 248];
}

/// Fills a tensor of `kind` and `shape` with `n` elements from the bytes.
Tensor makeTensor(FuzzedDataProvider &fdp, Tensor::Kind kind,
                  llvm::ArrayRef<int64_t> shape, int64_t n) {
  if (kind == Tensor::Kind::Float) {
    std::vector<double> data(n);
    for (double &x : data)
      x = floatFromByte(fdp.ConsumeIntegral<uint8_t>());
    return Tensor::getFloat(shape, std::move(data));
  }
  std::vector<int64_t> data(n);
  for (int64_t &x : data)
    x = intFromByte(fdp.ConsumeIntegral<uint8_t>());
  return Tensor::getInt(shape, std::move(data));
}

int64_t product(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  DialectRegistry registry;
  hymir::registerAllDialects(registry);
  context = new MLIRContext(registry, MLIRContext::Threading::DISABLED);
  context->getDiagEngine().registerHandler([](Diagnostic &diag) {
    if (verbose())
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  entries = new std::vector<Entry>();

  const char *env = std::getenv("HYMIR_FUZZ_GALLERY_DIR");
  std::string dir = env && *env ? env : HYMIR_FUZZ_GALLERY_DIR;
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".mlir")
      files.push_back(it->path());
  std::sort(files.begin(), files.end()); // stable module numbering
  for (const std::string &file : files) {
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(file, context);
    if (!module) {
      std::fprintf(stderr, "hymir-fuzz-reference: %s does not parse\n",
                   file.c_str());
      std::abort();
    }
    // Every public function with a body is an entry point.
    module->walk([&](func::FuncOp func) {
      if (func.isPublic() && !func.isExternal())
        entries->push_back({file, OwningOpRef<ModuleOp>(), func});
    });
    // The first entry of a file owns its module.
    for (Entry &e : *entries)
      if (e.file == file) {
        e.module = std::move(module);
        break;
      }
  }
  if (entries->empty()) {
    std::fprintf(stderr, "hymir-fuzz-reference: no .mlir files in %s\n",
                 dir.c_str());
    std::abort();
  }
  std::fprintf(stderr, "hymir-fuzz-reference: %zu entry points from %s\n",
               entries->size(), dir.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  Entry &entry = (*entries)[fdp.ConsumeIntegral<uint8_t>() % entries->size()];
  unsigned mode = fdp.ConsumeIntegral<uint8_t>() % 8;
  bool perArgument = mode == 6, hostile = mode == 7;

  FunctionType type = entry.func.getFunctionType();
  std::vector<int64_t> sharedDims(8);
  for (int64_t &d : sharedDims)
    d = fdp.ConsumeIntegralInRange<int64_t>(0, 6);

  std::vector<Tensor> args;
  for (Type argType : type.getInputs()) {
    std::optional<Tensor::Kind> declared = hymir::ref::getTensorKind(argType);
    Tensor::Kind kind = declared.value_or(Tensor::Kind::Float);
    llvm::SmallVector<int64_t> shape;
    if (auto rt = dyn_cast<RankedTensorType>(argType))
      shape.assign(rt.getShape().begin(), rt.getShape().end());

    if (!hostile) {
      for (size_t i = 0; i < shape.size(); ++i)
        if (ShapedType::isDynamic(shape[i]))
          shape[i] = perArgument ? fdp.ConsumeIntegralInRange<int64_t>(0, 6)
                                 : sharedDims[std::min<size_t>(i, 7)];
      args.push_back(makeTensor(fdp, kind, shape, product(shape)));
      continue;
    }

    // Hostile: perturb kind, rank, dims and data length.
    uint8_t how = fdp.ConsumeIntegral<uint8_t>();
    if (how & 1)
      kind = kind == Tensor::Kind::Float ? Tensor::Kind::Int
                                         : Tensor::Kind::Float;
    if (how & 2)
      shape.resize(fdp.ConsumeIntegralInRange<size_t>(0, 6), 1);
    static const int64_t weird[] = {0,
                                    1,
                                    2,
                                    -1,
                                    std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max(),
                                    ShapedType::kDynamic,
                                    int64_t(1) << 32,
                                    int64_t(1) << 62,
                                    3};
    for (int64_t &d : shape) {
      uint8_t b = fdp.ConsumeIntegral<uint8_t>();
      if (ShapedType::isDynamic(d) || (how & 4))
        d = b < 200 ? b % 7 : weird[b % 10];
    }
    // The number of elements: the product when it is small and valid, else
    // a few, and sometimes one off.
    int64_t n = 1;
    bool valid = true;
    for (int64_t d : shape) {
      if (d < 0 || (d > 0 && n > (int64_t(1) << 16) / d)) {
        valid = false;
        break;
      }
      n *= d;
    }
    if (!valid)
      n = fdp.ConsumeIntegralInRange<int64_t>(0, 8);
    else if (how & 8)
      n = std::max<int64_t>(0, n + (how & 16 ? 1 : -1));
    args.push_back(makeTensor(fdp, kind, shape, n));
  }
  // Sometimes one argument too few or too many.
  if (hostile && fdp.ConsumeBool()) {
    if (fdp.ConsumeBool() || args.empty())
      args.push_back(Tensor::getScalar(1.0));
    else
      args.pop_back();
  }

  if (verbose()) {
    std::fprintf(stderr, "hymir-fuzz-reference: %s @%s mode %u, arguments:",
                 entry.file.c_str(), entry.func.getSymName().str().c_str(),
                 mode);
    for (const Tensor &t : args) {
      std::string shape;
      for (int64_t d : t.getShape())
        shape += (shape.empty() ? "" : "x") + std::to_string(d);
      std::fprintf(stderr, " [%s %s, %zu elements]",
                   t.isFloat() ? "float" : "int",
                   shape.empty() ? "scalar" : shape.c_str(),
                   t.isFloat() ? t.getFloats().size() : t.getInts().size());
    }
    std::fprintf(stderr, "\n");
  }
  llvm::FailureOr<llvm::SmallVector<Tensor>> results =
      hymir::ref::runFunction(entry.func->getParentOfType<ModuleOp>(),
                              entry.func.getSymName(), args,
                              /*weights=*/nullptr, kMaxTensorBytes);
  if (verbose())
    std::fprintf(stderr, "hymir-fuzz-reference: %s\n",
                 succeeded(results) ? "ran" : "failed");
  if (failed(results))
    return 0;

  // On success the results match the signature.
  if (results->size() != type.getNumResults())
    std::abort();
  for (auto [resultType, t] : llvm::zip(type.getResults(), *results)) {
    std::string why = hymir::ref::describeTypeMismatch(resultType, t);
    if (!why.empty()) {
      std::fprintf(stderr, "hymir-fuzz-reference: bad result: %s\n",
                   why.c_str());
      std::abort();
    }
  }
  return 0;
}
