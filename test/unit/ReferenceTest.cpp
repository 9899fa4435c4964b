//===- ReferenceTest.cpp - Tests of the float64 reference interpreter -----===//
//
// Small modules parsed from strings, run through hymir::ref::runFunction and
// checked against values computed by hand (or by a few lines of plain C++
// written straight from the op descriptions), plus the error paths: every
// failure must be a diagnostic naming the op, never a crash.
//
//===----------------------------------------------------------------------===//

#include "hymir/InitAll.h"
#include "hymir/Reference/Interpreter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
using hymir::ref::Tensor;

namespace {

class ReferenceTest : public ::testing::Test {
protected:
  ReferenceTest() {
    DialectRegistry registry;
    hymir::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `source` and runs `entry`; diagnostics (with their notes) are
  /// collected into `diagnostics`.
  FailureOr<SmallVector<Tensor>> run(StringRef source, ArrayRef<Tensor> args,
                                     StringRef entry = "main",
                                     uint64_t maxTensorBytes = 0) {
    diagnostics.clear();
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      llvm::raw_string_ostream os(diagnostics);
      os << diag << "\n";
      for (Diagnostic &note : diag.getNotes())
        os << "note: " << note << "\n";
      return success();
    });
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << "parse failed: " << diagnostics;
      return failure();
    }
    return hymir::ref::runFunction(*module, entry, args, /*weights=*/nullptr,
                                   maxTensorBytes);
  }

  /// Runs a module that must succeed and returns its results.
  SmallVector<Tensor> runOk(StringRef source, ArrayRef<Tensor> args,
                            StringRef entry = "main") {
    FailureOr<SmallVector<Tensor>> results = run(source, args, entry);
    if (failed(results)) {
      ADD_FAILURE() << "run failed: " << diagnostics;
      return {};
    }
    return *results;
  }

  /// Runs a module that must fail and returns the diagnostics.
  std::string runFails(StringRef source, ArrayRef<Tensor> args,
                       StringRef entry = "main", uint64_t maxTensorBytes = 0) {
    FailureOr<SmallVector<Tensor>> results =
        run(source, args, entry, maxTensorBytes);
    EXPECT_TRUE(failed(results)) << "expected a failure";
    EXPECT_FALSE(diagnostics.empty()) << "a failure must emit a diagnostic";
    return diagnostics;
  }

  MLIRContext context;
  std::string diagnostics;
};

Tensor floats(ArrayRef<int64_t> shape, std::vector<double> data) {
  return Tensor::getFloat(shape, std::move(data));
}

Tensor ints(ArrayRef<int64_t> shape, std::vector<int64_t> data) {
  return Tensor::getInt(shape, std::move(data));
}

/// Deterministic pseudo-random data in [-1, 1).
std::vector<double> pseudoRandom(size_t n, unsigned seed) {
  std::vector<double> v(n);
  uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (double &x : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x = static_cast<double>(s % 20000) / 10000.0 - 1.0;
  }
  return v;
}

void expectTensor(const Tensor &t, ArrayRef<int64_t> shape,
                  ArrayRef<double> expected, double tol = 1e-12) {
  ASSERT_TRUE(t.isFloat());
  ASSERT_EQ(t.getShape(), shape);
  ASSERT_EQ(t.getFloats().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(t.getFloats()[i], expected[i],
                tol * std::max(1.0, std::fabs(expected[i])))
        << "element " << i;
}

void expectInts(const Tensor &t, ArrayRef<int64_t> shape,
                ArrayRef<int64_t> expected) {
  ASSERT_TRUE(t.isInt());
  ASSERT_EQ(t.getShape(), shape);
  ASSERT_EQ(t.getInts(), std::vector<int64_t>(expected.begin(), expected.end()));
}

bool contains(const std::string &s, StringRef part) {
  return s.find(part.str()) != std::string::npos;
}

//===----------------------------------------------------------------------===//
// arith / math
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, ScalarFloatArith) {
  auto r = runOk(R"mlir(
    func.func @main(%a: f32, %b: f32) -> (f32, f32, f32, f32, f32, f32) {
      %0 = arith.addf %a, %b : f32
      %1 = arith.subf %a, %b : f32
      %2 = arith.mulf %a, %b : f32
      %3 = arith.divf %a, %b : f32
      %4 = arith.maximumf %a, %b : f32
      %5 = arith.remf %a, %b : f32
      return %0, %1, %2, %3, %4, %5 : f32, f32, f32, f32, f32, f32
    })mlir",
                 {Tensor::getScalar(7.5), Tensor::getScalar(-2.0)});
  ASSERT_EQ(r.size(), 6u);
  expectTensor(r[0], {}, {5.5});
  expectTensor(r[1], {}, {9.5});
  expectTensor(r[2], {}, {-15.0});
  expectTensor(r[3], {}, {-3.75});
  expectTensor(r[4], {}, {7.5});
  expectTensor(r[5], {}, {std::fmod(7.5, -2.0)});
}

TEST_F(ReferenceTest, F32ConstantsTakeTheirF32Value) {
  auto r = runOk(R"mlir(
    func.func @main() -> (f32, f64, tensor<2xf32>) {
      %0 = arith.constant 0.1 : f32
      %1 = arith.constant 0.1 : f64
      %2 = arith.constant dense<[0.1, 0.2]> : tensor<2xf32>
      return %0, %1, %2 : f32, f64, tensor<2xf32>
    })mlir",
                 {});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].getFloats()[0], static_cast<double>(0.1f));
  EXPECT_EQ(r[1].getFloats()[0], 0.1);
  EXPECT_EQ(r[2].getFloats()[1], static_cast<double>(0.2f));
}

TEST_F(ReferenceTest, ElementwiseOnTensorsAndSplats) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %c = arith.constant dense<2.0> : tensor<2x3xf32>
      %e = math.exp %x : tensor<2x3xf32>
      %m = arith.mulf %e, %c : tensor<2x3xf32>
      %t = math.tanh %m : tensor<2x3xf32>
      return %t : tensor<2x3xf32>
    })mlir",
                 {floats({2, 3}, {-1, -0.5, 0, 0.25, 0.5, 1})});
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> expected;
  for (double x : {-1.0, -0.5, 0.0, 0.25, 0.5, 1.0})
    expected.push_back(std::tanh(2.0 * std::exp(x)));
  expectTensor(r[0], {2, 3}, expected);
}

TEST_F(ReferenceTest, MathFunctions) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
      %a = math.erf %x : tensor<4xf32>
      %b = math.log1p %x : tensor<4xf32>
      %c = math.rsqrt %x : tensor<4xf32>
      %two = arith.constant dense<2.0> : tensor<4xf32>
      %d = math.powf %x, %two : tensor<4xf32>
      %e = math.floor %x : tensor<4xf32>
      return %a, %b, %c, %d, %e : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
    })mlir",
                 {floats({4}, {0.5, 1.0, 2.5, 4.0})});
  ASSERT_EQ(r.size(), 5u);
  std::vector<double> xs{0.5, 1.0, 2.5, 4.0}, a, b, c, d, e;
  for (double x : xs) {
    a.push_back(std::erf(x));
    b.push_back(std::log1p(x));
    c.push_back(1.0 / std::sqrt(x));
    d.push_back(x * x);
    e.push_back(std::floor(x));
  }
  expectTensor(r[0], {4}, a);
  expectTensor(r[1], {4}, b);
  expectTensor(r[2], {4}, c);
  expectTensor(r[3], {4}, d);
  expectTensor(r[4], {4}, e);
}

TEST_F(ReferenceTest, IntegerArithWrapsToItsWidth) {
  auto r = runOk(R"mlir(
    func.func @main(%a: i32, %b: i32) -> (i32, i32, i32, i32, i32, i1, i32, i32) {
      %0 = arith.addi %a, %b : i32
      %1 = arith.muli %a, %b : i32
      %c3 = arith.constant 3 : i32
      %m7 = arith.constant -7 : i32
      %2 = arith.divsi %m7, %c3 : i32
      %3 = arith.remsi %m7, %c3 : i32
      %4 = arith.shrui %m7, %c3 : i32
      %5 = arith.cmpi ult, %m7, %c3 : i32
      %6 = math.ctlz %c3 : i32
      %7 = math.cttz %b : i32
      return %0, %1, %2, %3, %4, %5, %6, %7 : i32, i32, i32, i32, i32, i1, i32, i32
    })mlir",
                 {Tensor::getIntScalar(2147483647), Tensor::getIntScalar(8)});
  ASSERT_EQ(r.size(), 8u);
  expectInts(r[0], {}, {-2147483641});            // 2^31 - 1 + 8 wraps
  expectInts(r[1], {}, {-8});                     // (2^31 - 1) * 8 mod 2^32
  expectInts(r[2], {}, {-2});                     // truncating division
  expectInts(r[3], {}, {-1});
  expectInts(r[4], {}, {(0xFFFFFFF9u >> 3)});      // logical shift of -7
  expectInts(r[5], {}, {0});                      // -7 as u32 is huge
  expectInts(r[6], {}, {30});
  expectInts(r[7], {}, {3});
}

TEST_F(ReferenceTest, CastsCompareAndSelect) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<4xf32>, %i: index) -> (tensor<4xf32>, i64, f32, tensor<4xi32>) {
      %zero = arith.constant dense<0.0> : tensor<4xf32>
      %pos = arith.cmpf ogt, %x, %zero : tensor<4xf32>
      %relu = arith.select %pos, %x, %zero : tensor<4xi1>, tensor<4xf32>
      %ii = arith.index_cast %i : index to i64
      %f = arith.sitofp %ii : i64 to f32
      %t = arith.fptosi %x : tensor<4xf32> to tensor<4xi32>
      return %relu, %ii, %f, %t : tensor<4xf32>, i64, f32, tensor<4xi32>
    })mlir",
                 {floats({4}, {-1.5, 2.5, -0.0, 3.75}), Tensor::getIntScalar(-3)});
  ASSERT_EQ(r.size(), 4u);
  expectTensor(r[0], {4}, {0.0, 2.5, 0.0, 3.75});
  expectInts(r[1], {}, {-3});
  expectTensor(r[2], {}, {-3.0});
  expectInts(r[3], {4}, {-1, 2, 0, 3});
}

TEST_F(ReferenceTest, ScalarConditionSelectsWholeTensor) {
  auto r = runOk(R"mlir(
    func.func @main(%c: i1, %a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
      %s = arith.select %c, %a, %b : tensor<2xf32>
      return %s : tensor<2xf32>
    })mlir",
                 {Tensor::getIntScalar(0), floats({2}, {1, 2}),
                  floats({2}, {3, 4})});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {2}, {3, 4});
}

//===----------------------------------------------------------------------===//
// tensor
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, SlicesStaticAndDynamic) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<3x4xf32>, %off: index, %n: index) -> (tensor<2x2xf32>, tensor<?xf32>, tensor<3x4xf32>) {
      %a = tensor.extract_slice %x[1, 0] [2, 2] [1, 2] : tensor<3x4xf32> to tensor<2x2xf32>
      %b = tensor.extract_slice %x[2, %off] [1, %n] [1, 1] : tensor<3x4xf32> to tensor<?xf32>
      %z = arith.constant dense<0.0> : tensor<2x2xf32>
      %c = tensor.insert_slice %z into %x[0, 1] [2, 2] [1, 1] : tensor<2x2xf32> into tensor<3x4xf32>
      return %a, %b, %c : tensor<2x2xf32>, tensor<?xf32>, tensor<3x4xf32>
    })mlir",
                 {floats({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}),
                  Tensor::getIntScalar(1), Tensor::getIntScalar(3)});
  ASSERT_EQ(r.size(), 3u);
  expectTensor(r[0], {2, 2}, {4, 6, 8, 10});
  expectTensor(r[1], {3}, {9, 10, 11});
  expectTensor(r[2], {3, 4}, {0, 0, 0, 3, 4, 0, 0, 7, 8, 9, 10, 11});
}

TEST_F(ReferenceTest, ReshapesConcatAndElements) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<2x3xf32>, %i: index) -> (tensor<6xf32>, tensor<3x2xf32>, tensor<2x5xf32>, f32, tensor<2xf32>, tensor<2x3xf32>, index) {
      %c = tensor.collapse_shape %x [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
      %e = tensor.expand_shape %c [[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
      %y = arith.constant dense<[[7.0, 8.0], [9.0, 10.0]]> : tensor<2x2xf32>
      %cat = tensor.concat dim(1) %x, %y : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
      %c0 = arith.constant 0 : index
      %el = tensor.extract %x[%i, %c0] : tensor<2x3xf32>
      %fe = tensor.from_elements %el, %el : tensor<2xf32>
      %ins = tensor.insert %el into %x[%c0, %c0] : tensor<2x3xf32>
      %d = tensor.dim %cat, %i : tensor<2x5xf32>
      return %c, %e, %cat, %el, %fe, %ins, %d : tensor<6xf32>, tensor<3x2xf32>, tensor<2x5xf32>, f32, tensor<2xf32>, tensor<2x3xf32>, index
    })mlir",
                 {floats({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::getIntScalar(1)});
  ASSERT_EQ(r.size(), 7u);
  expectTensor(r[0], {6}, {1, 2, 3, 4, 5, 6});
  expectTensor(r[1], {3, 2}, {1, 2, 3, 4, 5, 6});
  expectTensor(r[2], {2, 5}, {1, 2, 3, 7, 8, 4, 5, 6, 9, 10});
  expectTensor(r[3], {}, {4});
  expectTensor(r[4], {2}, {4, 4});
  expectTensor(r[5], {2, 3}, {4, 2, 3, 4, 5, 6});
  expectInts(r[6], {}, {5});
}

TEST_F(ReferenceTest, EmptyIsZerosWithDynamicSizes) {
  auto r = runOk(R"mlir(
    func.func @main(%n: index) -> tensor<?x2xf32> {
      %e = tensor.empty(%n) : tensor<?x2xf32>
      return %e : tensor<?x2xf32>
    })mlir",
                 {Tensor::getIntScalar(3)});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {3, 2}, {0, 0, 0, 0, 0, 0});
}

//===----------------------------------------------------------------------===//
// linalg and func
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, NamedLinalgOps) {
  auto r = runOk(R"mlir(
    func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>, %v: tensor<3xf32>) -> (tensor<2x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>, tensor<1x2x2xf32>) {
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<2x2xf32>
      %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
      %mm = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
      %et = tensor.empty() : tensor<3x2xf32>
      %t = linalg.transpose ins(%a : tensor<2x3xf32>) outs(%et : tensor<3x2xf32>) permutation = [1, 0]
      %eb = tensor.empty() : tensor<2x3xf32>
      %bc = linalg.broadcast ins(%v : tensor<3xf32>) outs(%eb : tensor<2x3xf32>) dimensions = [0]
      %a3 = tensor.expand_shape %a [[0, 1], [2]] output_shape [1, 2, 3] : tensor<2x3xf32> into tensor<1x2x3xf32>
      %b3 = tensor.expand_shape %b [[0, 1], [2]] output_shape [1, 3, 2] : tensor<3x2xf32> into tensor<1x3x2xf32>
      %e3 = tensor.empty() : tensor<1x2x2xf32>
      %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
      %bmm = linalg.batch_matmul ins(%a3, %b3 : tensor<1x2x3xf32>, tensor<1x3x2xf32>) outs(%f3 : tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
      return %mm, %t, %bc, %bmm : tensor<2x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>, tensor<1x2x2xf32>
    })mlir",
                 {floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                  floats({3, 2}, {1, 0, 0, 1, 1, 1}), floats({3}, {7, 8, 9})});
  ASSERT_EQ(r.size(), 4u);
  expectTensor(r[0], {2, 2}, {4, 5, 10, 11});
  expectTensor(r[1], {3, 2}, {1, 4, 2, 5, 3, 6});
  expectTensor(r[2], {2, 3}, {7, 8, 9, 7, 8, 9});
  expectTensor(r[3], {1, 2, 2}, {4, 5, 10, 11});
}

TEST_F(ReferenceTest, AnyStructuredOpRunsThroughItsMaps) {
  // Ops without a dedicated handler: a convolution (maps d0 + d1) and matvec.
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<5xf32>, %w: tensor<3xf32>, %m: tensor<2x3xf32>) -> (tensor<3xf32>, tensor<2xf32>) {
      %z = arith.constant dense<0.0> : tensor<3xf32>
      %c = linalg.conv_1d ins(%x, %w : tensor<5xf32>, tensor<3xf32>) outs(%z : tensor<3xf32>) -> tensor<3xf32>
      %z2 = arith.constant dense<1.0> : tensor<2xf32>
      %mv = linalg.matvec ins(%m, %w : tensor<2x3xf32>, tensor<3xf32>) outs(%z2 : tensor<2xf32>) -> tensor<2xf32>
      return %c, %mv : tensor<3xf32>, tensor<2xf32>
    })mlir",
                 {floats({5}, {1, 2, 3, 4, 5}), floats({3}, {1, 0, -1}),
                  floats({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], {3}, {1 - 3, 2 - 4, 3 - 5});
  expectTensor(r[1], {2}, {1 + 1 - 3, 1 + 4 - 6});
}

TEST_F(ReferenceTest, GenericReductionWithIndexAndTransposedMap) {
  // out[j] = Σ_i x[i, j] · (i + 1), written through a transposed map of x.
  auto r = runOk(R"mlir(
    #in = affine_map<(j, i) -> (i, j)>
    #out = affine_map<(j, i) -> (j)>
    func.func @main(%x: tensor<2x3xf32>) -> tensor<3xf32> {
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<3xf32>
      %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3xf32>) -> tensor<3xf32>
      %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
          ins(%x : tensor<2x3xf32>) outs(%f : tensor<3xf32>) {
      ^bb0(%a: f32, %acc: f32):
        %i = linalg.index 1 : index
        %i64 = arith.index_cast %i : index to i64
        %fi = arith.sitofp %i64 : i64 to f32
        %one = arith.constant 1.0 : f32
        %w = arith.addf %fi, %one : f32
        %p = arith.mulf %a, %w : f32
        %s = arith.addf %acc, %p : f32
        linalg.yield %s : f32
      } -> tensor<3xf32>
      return %r : tensor<3xf32>
    })mlir",
                 {floats({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {3}, {1 + 2 * 4, 2 + 2 * 5, 3 + 2 * 6});
}

TEST_F(ReferenceTest, GenericWithAffineOffsetsAndMapReduce) {
  // y[i] = x[i + 1] - x[i] (a shifted access), then the sum of squares with
  // linalg.map / linalg.reduce.
  auto r = runOk(R"mlir(
    #shift = affine_map<(i) -> (i + 1)>
    #id = affine_map<(i) -> (i)>
    func.func @main(%x: tensor<4xf32>) -> (tensor<3xf32>, tensor<f32>) {
      %e = tensor.empty() : tensor<3xf32>
      %x3 = tensor.extract_slice %x[0] [3] [1] : tensor<4xf32> to tensor<3xf32>
      %d = linalg.generic {indexing_maps = [#shift, #id, #id], iterator_types = ["parallel"]}
          ins(%x, %x3 : tensor<4xf32>, tensor<3xf32>) outs(%e : tensor<3xf32>) {
      ^bb0(%a: f32, %b: f32, %o: f32):
        %s = arith.subf %a, %b : f32
        linalg.yield %s : f32
      } -> tensor<3xf32>
      %e2 = tensor.empty() : tensor<3xf32>
      %sq = linalg.map { arith.mulf } ins(%d, %d : tensor<3xf32>, tensor<3xf32>) outs(%e2 : tensor<3xf32>)
      %zero = arith.constant dense<0.0> : tensor<f32>
      %sum = linalg.reduce { arith.addf } ins(%sq : tensor<3xf32>) outs(%zero : tensor<f32>) dimensions = [0]
      return %d, %sum : tensor<3xf32>, tensor<f32>
    })mlir",
                 {floats({4}, {1, 4, 2, 8})});
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], {3}, {3, -2, 6});
  expectTensor(r[1], {}, {9 + 4 + 36});
}

TEST_F(ReferenceTest, FunctionCalls) {
  auto r = runOk(R"mlir(
    func.func private @silu(%x: tensor<3xf32>) -> tensor<3xf32> {
      %n = arith.negf %x : tensor<3xf32>
      %e = math.exp %n : tensor<3xf32>
      %one = arith.constant dense<1.0> : tensor<3xf32>
      %d = arith.addf %one, %e : tensor<3xf32>
      %s = arith.divf %x, %d : tensor<3xf32>
      return %s : tensor<3xf32>
    }
    func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
      %a = func.call @silu(%x) : (tensor<3xf32>) -> tensor<3xf32>
      %b = func.call @silu(%a) : (tensor<3xf32>) -> tensor<3xf32>
      return %b : tensor<3xf32>
    })mlir",
                 {floats({3}, {-1, 0.5, 2})});
  ASSERT_EQ(r.size(), 1u);
  auto silu = [](double x) { return x / (1 + std::exp(-x)); };
  expectTensor(r[0], {3}, {silu(silu(-1)), silu(silu(0.5)), silu(silu(2))});
}

//===----------------------------------------------------------------------===//
// hymir: attention
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, AttentionGQABlockMapping) {
  // Values are constant per kv head (kv head g holds g + 1), so every query
  // head h must output h // (Hq / Hkv) + 1 whatever the softmax weights.
  const int64_t B = 1, T = 3, Hq = 4, Hkv = 2, K = 2, V = 2;
  std::vector<double> v(B * T * Hkv * V);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t g = 0; g < Hkv; ++g)
      for (int64_t c = 0; c < V; ++c)
        v[(t * Hkv + g) * V + c] = g + 1;
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<?x?x4x2xf32>, %k: tensor<?x?x2x2xf32>, %v: tensor<?x?x2x2xf32>) -> tensor<?x?x4x2xf32> {
      %o = hymir.attention %q, %k, %v {causal}
          : tensor<?x?x4x2xf32>, tensor<?x?x2x2xf32>, tensor<?x?x2x2xf32> -> tensor<?x?x4x2xf32>
      return %o : tensor<?x?x4x2xf32>
    })mlir",
                 {floats({B, T, Hq, K}, pseudoRandom(B * T * Hq * K, 1)),
                  floats({B, T, Hkv, K}, pseudoRandom(B * T * Hkv * K, 2)),
                  floats({B, T, Hkv, V}, v)});
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> expected;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t c = 0; c < V; ++c)
        expected.push_back(h / 2 + 1);
  expectTensor(r[0], {B, T, Hq, V}, expected);
}

/// The attention definition of HymirOps.td for one head (B = Hq = Hkv = 1,
/// K = 1, V = 1), written independently of the interpreter.
std::vector<double> attentionOneHead(ArrayRef<double> q, ArrayRef<double> k,
                                     ArrayRef<double> v, bool causal,
                                     int64_t window, double scale,
                                     double softcap, double sink) {
  int64_t Tq = q.size(), Tk = k.size(), delta = Tk - Tq;
  std::vector<double> out;
  for (int64_t i = 0; i < Tq; ++i) {
    double m = -INFINITY;
    std::vector<double> s(Tk);
    std::vector<bool> ok(Tk);
    for (int64_t j = 0; j < Tk; ++j) {
      ok[j] = (!causal || j <= i + delta) &&
              (window <= 0 || i + delta - window < j);
      s[j] = scale * q[i] * k[j];
      if (softcap > 0)
        s[j] = softcap * std::tanh(s[j] / softcap);
      if (ok[j])
        m = std::max(m, s[j]);
    }
    if (m == -INFINITY) {
      out.push_back(0);
      continue;
    }
    double num = 0, den = std::isnan(sink) ? 0 : std::exp(sink - m);
    for (int64_t j = 0; j < Tk; ++j)
      if (ok[j]) {
        num += std::exp(s[j] - m) * v[j];
        den += std::exp(s[j] - m);
      }
    out.push_back(num / den);
  }
  return out;
}

TEST_F(ReferenceTest, AttentionWindowSoftcapAndBottomRightCausal) {
  std::vector<double> q{0.3, -1.2, 2.0}, k{1.0, -0.5, 0.7, 1.5, -2.0},
      v{1, 2, 3, 4, 5};
  // Tq = 3, Tk = 5: δ = 2, window 2, softcap 0.5, scale 1.5.
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<1x3x1x1xf32>, %k: tensor<1x5x1x1xf32>, %v: tensor<1x5x1x1xf32>) -> tensor<1x3x1x1xf32> {
      %o = hymir.attention %q, %k, %v {causal, scale = 1.5 : f32, window = 2 : i64, softcap = 0.5 : f32}
          : tensor<1x3x1x1xf32>, tensor<1x5x1x1xf32>, tensor<1x5x1x1xf32> -> tensor<1x3x1x1xf32>
      return %o : tensor<1x3x1x1xf32>
    })mlir",
                 {floats({1, 3, 1, 1}, q), floats({1, 5, 1, 1}, k),
                  floats({1, 5, 1, 1}, v)});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {1, 3, 1, 1},
               attentionOneHead(q, k, v, true, 2, 1.5, 0.5, NAN));
  // Window 2 admits keys i+δ-1 and i+δ: query 0 sees keys 1, 2 only.
  double s1 = 0.5 * std::tanh(1.5 * 0.3 * -0.5 / 0.5),
         s2 = 0.5 * std::tanh(1.5 * 0.3 * 0.7 / 0.5);
  double o0 = (std::exp(s1) * 2 + std::exp(s2) * 3) / (std::exp(s1) + std::exp(s2));
  EXPECT_NEAR(r[0].getFloats()[0], o0, 1e-12);
}

TEST_F(ReferenceTest, AttentionEmptyRowsAndSinks) {
  // Tq = 3 > Tk = 1: δ = -2, so queries 0 and 1 see no key and return 0;
  // query 2 sees key 0, and the sink adds exp(σ - m) to the denominator.
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<1x3x1x1xf32>, %k: tensor<1x1x1x1xf32>, %v: tensor<1x1x1x1xf32>, %s: tensor<1xf32>) -> tensor<1x3x1x1xf32> {
      %o = hymir.attention %q, %k, %v sinks(%s : tensor<1xf32>) {causal, scale = 1.0 : f32}
          : tensor<1x3x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32> -> tensor<1x3x1x1xf32>
      return %o : tensor<1x3x1x1xf32>
    })mlir",
                 {floats({1, 3, 1, 1}, {1, 1, 2}), floats({1, 1, 1, 1}, {0.5}),
                  floats({1, 1, 1, 1}, {3.0}), floats({1}, {0.25})});
  ASSERT_EQ(r.size(), 1u);
  double s = 2 * 0.5;
  expectTensor(r[0], {1, 3, 1, 1}, {0, 0, 3.0 / (1.0 + std::exp(0.25 - s))});
}

TEST_F(ReferenceTest, AttentionScoreMod) {
  // ALiBi-style: score - 0.5 · (query position - key position), non-causal
  // with a head-dependent term.
  std::vector<double> q{0.2, 0.4}, k{1.0, -1.0, 0.5}, v{1, 2, 3};
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<1x2x1x1xf32>, %k: tensor<1x3x1x1xf32>, %v: tensor<1x3x1x1xf32>) -> tensor<1x2x1x1xf32> {
      %o = hymir.attention %q, %k, %v {scale = 1.0 : f32}
          : tensor<1x2x1x1xf32>, tensor<1x3x1x1xf32>, tensor<1x3x1x1xf32> -> tensor<1x2x1x1xf32>
          score_mod {
      ^bb0(%s: f32, %i: index, %j: index, %h: index):
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %c = arith.constant 0.5 : f32
        %p = arith.mulf %df, %c : f32
        %r = arith.subf %s, %p : f32
        hymir.yield %r : f32
      }
      return %o : tensor<1x2x1x1xf32>
    })mlir",
                 {floats({1, 2, 1, 1}, q), floats({1, 3, 1, 1}, k),
                  floats({1, 3, 1, 1}, v)});
  ASSERT_EQ(r.size(), 1u);
  std::vector<double> expected;
  for (int i = 0; i < 2; ++i) {
    double pos = i + 1; // δ = 1
    double num = 0, den = 0, m = -INFINITY;
    std::vector<double> s(3);
    for (int j = 0; j < 3; ++j)
      m = std::max(m, s[j] = q[i] * k[j] - 0.5 * (pos - j));
    for (int j = 0; j < 3; ++j) {
      num += std::exp(s[j] - m) * v[j];
      den += std::exp(s[j] - m);
    }
    expected.push_back(num / den);
  }
  expectTensor(r[0], {1, 2, 1, 1}, expected);
}

TEST_F(ReferenceTest, AttentionDecodeWithLengths) {
  // Sequence 0 sees keys 0, 1 (length 2); sequence 1 sees all 3; window 2
  // drops key 0 for sequence 1.
  std::vector<double> q{0.5, -0.3};
  std::vector<double> kc{1.0, 2.0, -1.0, 0.3, 0.6, 0.9};
  std::vector<double> vc{1, 2, 3, 4, 5, 6};
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<2x1x1xf32>, %k: tensor<2x3x1x1xf32>, %v: tensor<2x3x1x1xf32>, %len: tensor<2xi32>) -> tensor<2x1x1xf32> {
      %o = hymir.attention_decode %q, %k, %v lengths(%len : tensor<2xi32>) {scale = 1.0 : f32, window = 2 : i64}
          : tensor<2x1x1xf32>, tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32> -> tensor<2x1x1xf32>
      return %o : tensor<2x1x1xf32>
    })mlir",
                 {floats({2, 1, 1}, q), floats({2, 3, 1, 1}, kc),
                  floats({2, 3, 1, 1}, vc), ints({2}, {2, 3})});
  ASSERT_EQ(r.size(), 1u);
  auto soft2 = [](double s0, double s1, double v0, double v1) {
    double m = std::max(s0, s1);
    double e0 = std::exp(s0 - m), e1 = std::exp(s1 - m);
    return (e0 * v0 + e1 * v1) / (e0 + e1);
  };
  expectTensor(r[0], {2, 1, 1},
               {soft2(0.5 * 1.0, 0.5 * 2.0, 1, 2),
                soft2(-0.3 * 0.6, -0.3 * 0.9, 5, 6)});
  // A length beyond the cache is an error, not a read out of bounds.
  std::string diag = runFails(R"mlir(
    func.func @main(%q: tensor<1x1x1xf32>, %k: tensor<1x2x1x1xf32>, %v: tensor<1x2x1x1xf32>, %len: tensor<1xi64>) -> tensor<1x1x1xf32> {
      %o = hymir.attention_decode %q, %k, %v lengths(%len : tensor<1xi64>)
          : tensor<1x1x1xf32>, tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32> -> tensor<1x1x1xf32>
      return %o : tensor<1x1x1xf32>
    })mlir",
                              {floats({1, 1, 1}, {1}), floats({1, 2, 1, 1}, {1, 2}),
                               floats({1, 2, 1, 1}, {1, 2}), ints({1}, {5})});
  EXPECT_TRUE(contains(diag, "lengths[0] = 5")) << diag;
}

TEST_F(ReferenceTest, KvCacheWriteAtLengths) {
  // Model format 2's decode write (docs/models.md): row lengths[b] of each
  // sequence's cache takes the new row; the other rows are kept.
  StringRef source = R"mlir(
    func.func @main(%cache: tensor<?x?x2xf32>, %new: tensor<?x1x2xf32>, %len: tensor<?xi32>) -> tensor<?x?x2xf32> {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %B = tensor.dim %cache, %c0 : tensor<?x?x2xf32>
      %r = scf.for %b = %c0 to %B step %c1 iter_args(%c = %cache) -> (tensor<?x?x2xf32>) {
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %row = arith.index_cast %l : i32 to index
        %x = tensor.extract_slice %new[%b, 0, 0] [1, 1, 2] [1, 1, 1] : tensor<?x1x2xf32> to tensor<1x1x2xf32>
        %cn = tensor.insert_slice %x into %c[%b, %row, 0] [1, 1, 2] [1, 1, 1] : tensor<1x1x2xf32> into tensor<?x?x2xf32>
        scf.yield %cn : tensor<?x?x2xf32>
      }
      return %r : tensor<?x?x2xf32>
    })mlir";
  std::vector<double> cache{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  auto r = runOk(source, {floats({2, 3, 2}, cache),
                          floats({2, 1, 2}, {-1, -2, -3, -4}),
                          ints({2}, {2, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {2, 3, 2}, {1, 2, 3, 4, -1, -2, -3, -4, 9, 10, 11, 12});
  // A full cache (lengths[b] = C) is an error naming the write, not a write
  // out of bounds or a silently dropped row.
  std::string diag = runFails(source, {floats({2, 3, 2}, cache),
                                       floats({2, 1, 2}, {-1, -2, -3, -4}),
                                       ints({2}, {1, 3})});
  EXPECT_TRUE(contains(diag, "'tensor.insert_slice' slice of dim 1 (offset 3, "
                             "size 1, stride 1) is out of bounds for size 3"))
      << diag;
}

//===----------------------------------------------------------------------===//
// hymir: conv and norms
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, CausalConvWithStateAndSilu) {
  // D = 1, W = 3, T = 2: xx = [s0, s1, x0, x1].
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<1x2x1xf32>, %w: tensor<1x3xf32>, %b: tensor<1xf32>, %s: tensor<1x2x1xf32>) -> (tensor<1x2x1xf32>, tensor<1x2x1xf32>) {
      %y, %f = hymir.causal_conv1d %x, %w bias(%b) state(%s) {activation = #hymir.activation<silu>}
          : tensor<1x2x1xf32>, tensor<1x3xf32>, tensor<1xf32>, tensor<1x2x1xf32> -> tensor<1x2x1xf32>, tensor<1x2x1xf32>
      return %y, %f : tensor<1x2x1xf32>, tensor<1x2x1xf32>
    })mlir",
                 {floats({1, 2, 1}, {3, 4}), floats({1, 3}, {0.5, -1, 2}),
                  floats({1}, {0.25}), floats({1, 2, 1}, {1, 2})});
  ASSERT_EQ(r.size(), 2u);
  auto silu = [](double x) { return x / (1 + std::exp(-x)); };
  expectTensor(r[0], {1, 2, 1},
               {silu(0.25 + 0.5 * 1 - 1 * 2 + 2 * 3),
                silu(0.25 + 0.5 * 2 - 1 * 3 + 2 * 4)});
  expectTensor(r[1], {1, 2, 1}, {3, 4});
}

TEST_F(ReferenceTest, CausalConvShortSequenceKeepsOldState) {
  // T = 1 < W - 1 = 2: the final state still holds one row of the old state;
  // no bias, no activation, no state operand means zeros before the input.
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<1x1x2xf32>, %w: tensor<2x3xf32>, %s: tensor<1x2x2xf32>) -> (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1x1x2xf32>) {
      %y, %f = hymir.causal_conv1d %x, %w state(%s)
          : tensor<1x1x2xf32>, tensor<2x3xf32>, tensor<1x2x2xf32> -> tensor<1x1x2xf32>, tensor<1x2x2xf32>
      %z = hymir.causal_conv1d %x, %w : tensor<1x1x2xf32>, tensor<2x3xf32> -> tensor<1x1x2xf32>
      return %y, %f, %z : tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1x1x2xf32>
    })mlir",
                 {floats({1, 1, 2}, {5, 6}), floats({2, 3}, {1, 2, 3, 4, 5, 6}),
                  floats({1, 2, 2}, {1, 2, 3, 4})});
  ASSERT_EQ(r.size(), 3u);
  expectTensor(r[0], {1, 1, 2}, {1 * 1 + 2 * 3 + 3 * 5, 4 * 2 + 5 * 4 + 6 * 6});
  expectTensor(r[1], {1, 2, 2}, {3, 4, 5, 6});
  expectTensor(r[2], {1, 1, 2}, {3 * 5, 6 * 6});
}

TEST_F(ReferenceTest, EmptyBatchWithHugeSequenceRunsEmpty) {
  // Regression (hymir-fuzz-reference): an empty batch makes 2^32 key
  // positions a valid input. Attention allocated a row of 2^32 scores (32 GiB)
  // and the convolution its (2^32 + 2) window rows before looking at B.
  const int64_t huge = int64_t(1) << 32;
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<?x?x1x2xf32>, %k: tensor<?x?x1x2xf32>, %v: tensor<?x?x1x3xf32>,
                    %x: tensor<?x?x2xf32>, %w: tensor<2x3xf32>, %s: tensor<?x2x2xf32>)
        -> (tensor<?x?x1x3xf32>, tensor<?x?x2xf32>, tensor<?x2x2xf32>) {
      %o = hymir.attention %q, %k, %v {causal}
          : tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x1x3xf32> -> tensor<?x?x1x3xf32>
      %y, %f = hymir.causal_conv1d %x, %w state(%s)
          : tensor<?x?x2xf32>, tensor<2x3xf32>, tensor<?x2x2xf32> -> tensor<?x?x2xf32>, tensor<?x2x2xf32>
      return %o, %y, %f : tensor<?x?x1x3xf32>, tensor<?x?x2xf32>, tensor<?x2x2xf32>
    })mlir",
                 {floats({0, 1, 1, 2}, {}), floats({0, huge, 1, 2}, {}),
                  floats({0, huge, 1, 3}, {}), floats({0, huge, 2}, {}),
                  floats({2, 3}, pseudoRandom(6, 1)), floats({0, 2, 2}, {})});
  ASSERT_EQ(r.size(), 3u);
  expectTensor(r[0], {0, 1, 1, 3}, {});
  expectTensor(r[1], {0, huge, 2}, {});
  expectTensor(r[2], {0, 2, 2}, {});
}

TEST_F(ReferenceTest, CausalConvStateOverTheLimitIsAnError) {
  // The final state [B, W - 1, D] takes W from the weight: 64 x 99999 x 1
  // doubles (48.8 MiB) from a 0.8 MB weight and a 64-element input.
  std::string diag = runFails(R"mlir(
    func.func @main(%x: tensor<?x?x1xf32>, %w: tensor<1x100000xf32>) -> tensor<?x?x1xf32> {
      %y = hymir.causal_conv1d %x, %w : tensor<?x?x1xf32>, tensor<1x100000xf32> -> tensor<?x?x1xf32>
      return %y : tensor<?x?x1xf32>
    })mlir",
                              {floats({64, 1, 1}, pseudoRandom(64, 2)),
                               floats({1, 100000}, pseudoRandom(100000, 3))},
                              "main", /*maxTensorBytes=*/uint64_t(4) << 20);
  EXPECT_NE(diag.find("'hymir.causal_conv1d': final state of shape 64x99999x1 "
                      "needs 48.8 MiB, more than the memory limit of 4.0 MiB"),
            std::string::npos)
      << diag;
}

TEST_F(ReferenceTest, Norms) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<2x3xf32>, %w: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
      %a = hymir.l2_norm %x {eps = 0.0 : f32} : tensor<2x3xf32>
      %b = hymir.layer_norm %x {eps = 0.0 : f32} : tensor<2x3xf32>
      %c = hymir.rms_norm %x, %w {eps = 0.0 : f32} : tensor<2x3xf32>, tensor<3xf32>
      return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
    })mlir",
                 {floats({2, 3}, {3, 0, 4, 1, 2, 3}), floats({3}, {1, 2, 3})});
  ASSERT_EQ(r.size(), 3u);
  double n2 = std::sqrt(14.0);
  expectTensor(r[0], {2, 3}, {0.6, 0, 0.8, 1 / n2, 2 / n2, 3 / n2});
  double s1 = std::sqrt(((3 - 7 / 3.0) * (3 - 7 / 3.0) + (7 / 3.0) * (7 / 3.0) +
                         (4 - 7 / 3.0) * (4 - 7 / 3.0)) /
                        3),
         s2 = std::sqrt(2.0 / 3);
  expectTensor(r[1], {2, 3},
               {(3 - 7 / 3.0) / s1, (0 - 7 / 3.0) / s1, (4 - 7 / 3.0) / s1,
                -1 / s2, 0, 1 / s2});
  double r1 = std::sqrt(25.0 / 3), r2 = std::sqrt(14.0 / 3);
  expectTensor(r[2], {2, 3}, {3 / r1, 0, 12 / r1, 1 / r2, 4 / r2, 9 / r2});
}

//===----------------------------------------------------------------------===//
// hymir: scan and recurrence
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, ScanWithIndexArgumentAndNoHeads) {
  // S_t = S_{t-1} + t · x_t;  o_t = S_t (per batch element, 1-D state).
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<?x?x2xf32>, %s0: tensor<?x2xf32>) -> (tensor<?x?x2xf32>, tensor<?x2xf32>) {
      %o, %s = hymir.scan ins(%x : tensor<?x?x2xf32>) inits(%s0 : tensor<?x2xf32>) -> (tensor<?x?x2xf32>) {
      ^bb0(%t: index, %xt: tensor<2xf32>, %st: tensor<2xf32>):
        %ti = arith.index_cast %t : index to i64
        %tf = arith.sitofp %ti : i64 to f32
        %u = hymir.scale %xt, %tf : tensor<2xf32>, f32
        %sn = arith.addf %st, %u : tensor<2xf32>
        hymir.yield %sn, %sn : tensor<2xf32>, tensor<2xf32>
      }
      return %o, %s : tensor<?x?x2xf32>, tensor<?x2xf32>
    })mlir",
                 {floats({2, 3, 2}, {1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6}),
                  floats({2, 2}, {10, 20, 0, 0})});
  ASSERT_EQ(r.size(), 2u);
  // b = 0: 10 + 0, +1, +2 ; b = 1: 0 + 0·(1,2), + 1·(3,4), + 2·(5,6).
  expectTensor(r[0], {2, 3, 2},
               {10, 20, 11, 21, 13, 23, 0, 0, 3, 4, 13, 16});
  expectTensor(r[1], {2, 2}, {13, 23, 13, 16});
}

TEST_F(ReferenceTest, ScanHeadMappingOfInputsAndParams) {
  // H = 4 heads; x has 2 heads (head h reads h // 2), p has 4 heads (own),
  // c has 1 head (shared). o_t[h] = x_t[h // 2] · p[h] + c[0] + S, S += 1.
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<?x?x2xf32>, %p: tensor<4xf32>, %c: tensor<1x2xf32>, %s0: tensor<?x4xf32>) -> (tensor<?x?x4x2xf32>, tensor<?x4xf32>) {
      %o, %s = hymir.scan heads = 4 ins(%x : tensor<?x?x2xf32>) params(%p, %c : tensor<4xf32>, tensor<1x2xf32>)
          inits(%s0 : tensor<?x4xf32>) -> (tensor<?x?x4x2xf32>) {
      ^bb0(%xt: f32, %pt: f32, %ct: tensor<2xf32>, %st: f32):
        %m = arith.mulf %xt, %pt : f32
        %a = arith.addf %m, %st : f32
        %v = hymir.scale %ct, %a : tensor<2xf32>, f32
        %one = arith.constant 1.0 : f32
        %sn = arith.addf %st, %one : f32
        hymir.yield %v, %sn : tensor<2xf32>, f32
      }
      return %o, %s : tensor<?x?x4x2xf32>, tensor<?x4xf32>
    })mlir",
                 {floats({1, 2, 2}, {1, 2, 3, 4}), floats({4}, {1, 10, 100, 1000}),
                  floats({1, 2}, {1, -1}), floats({1, 4}, {0, 0, 0, 0})});
  ASSERT_EQ(r.size(), 2u);
  std::vector<double> expected;
  double x[2][2] = {{1, 2}, {3, 4}}, p[4] = {1, 10, 100, 1000};
  for (int t = 0; t < 2; ++t)
    for (int h = 0; h < 4; ++h) {
      double a = x[t][h / 2] * p[h] + t;
      expected.push_back(a);
      expected.push_back(-a);
    }
  expectTensor(r[0], {1, 2, 4, 2}, expected);
  expectTensor(r[1], {1, 4}, {2, 2, 2, 2});
}

TEST_F(ReferenceTest, ScanStatesYieldedPermuted) {
  // (a, b) <- (b, a + x): a Fibonacci-like recurrence that breaks if new
  // states overwrite old ones while being copied.
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<1x4xf32>, %a0: tensor<1xf32>, %b0: tensor<1xf32>) -> (tensor<1x4xf32>, tensor<1xf32>, tensor<1xf32>) {
      %o, %a, %b = hymir.recurrence ins(%x : tensor<1x4xf32>) inits(%a0, %b0 : tensor<1xf32>, tensor<1xf32>) -> (tensor<1x4xf32>) {
      ^bb0(%xt: f32, %at: f32, %bt: f32):
        %s = arith.addf %at, %xt : f32
        hymir.yield %bt, %bt, %s : f32, f32, f32
      }
      return %o, %a, %b : tensor<1x4xf32>, tensor<1xf32>, tensor<1xf32>
    })mlir",
                 {floats({1, 4}, {1, 1, 1, 1}), floats({1}, {0}), floats({1}, {1})});
  ASSERT_EQ(r.size(), 3u);
  // (0,1) -> (1,1) -> (1,2) -> (2,2) -> (2,3); outputs are the old b.
  expectTensor(r[0], {1, 4}, {1, 1, 2, 2});
  expectTensor(r[1], {1}, {2});
  expectTensor(r[2], {1}, {3});
}

TEST_F(ReferenceTest, RecurrenceTanhCell) {
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<?x?x2xf32>, %h0: tensor<?x2xf32>) -> (tensor<?x?x2xf32>, tensor<?x2xf32>) {
      %h, %hT = hymir.recurrence ins(%x : tensor<?x?x2xf32>) inits(%h0 : tensor<?x2xf32>) -> (tensor<?x?x2xf32>) {
      ^bb0(%xt: tensor<2xf32>, %ht: tensor<2xf32>):
        %s = arith.addf %xt, %ht : tensor<2xf32>
        %n = math.tanh %s : tensor<2xf32>
        hymir.yield %n, %n : tensor<2xf32>, tensor<2xf32>
      }
      return %h, %hT : tensor<?x?x2xf32>, tensor<?x2xf32>
    })mlir",
                 {floats({1, 3, 2}, {0.5, -1, 1, 0.25, -2, 2}),
                  floats({1, 2}, {0.1, 0.2})});
  ASSERT_EQ(r.size(), 2u);
  double h0 = 0.1, h1 = 0.2;
  std::vector<double> expected;
  double xs[3][2] = {{0.5, -1}, {1, 0.25}, {-2, 2}};
  for (auto &x : xs) {
    h0 = std::tanh(x[0] + h0);
    h1 = std::tanh(x[1] + h1);
    expected.push_back(h0);
    expected.push_back(h1);
  }
  expectTensor(r[0], {1, 3, 2}, expected);
  expectTensor(r[1], {1, 2}, {h0, h1});
}

TEST_F(ReferenceTest, GatedDeltaRuleScanMatchesPlainLoop) {
  // The example of HymirOps.td (GVA 2:4) against a direct loop.
  const int64_t B = 2, T = 5, H = 4, Hk = 2, K = 3, V = 2;
  auto q = pseudoRandom(B * T * Hk * K, 3), k = pseudoRandom(B * T * Hk * K, 4),
       v = pseudoRandom(B * T * H * V, 5), g = pseudoRandom(B * T * H, 6),
       beta = pseudoRandom(B * T * H, 7), s0 = pseudoRandom(B * H * K * V, 8);
  for (double &x : g)
    x = -std::fabs(x);
  for (double &x : beta)
    x = 0.5 + 0.4 * x;
  auto r = runOk(R"mlir(
    func.func @main(%q: tensor<?x?x2x3xf32>, %k: tensor<?x?x2x3xf32>, %v: tensor<?x?x4x2xf32>, %g: tensor<?x?x4xf32>, %beta: tensor<?x?x4xf32>, %s0: tensor<?x4x3x2xf32>) -> (tensor<?x?x4x2xf32>, tensor<?x4x3x2xf32>) {
      %o, %s = hymir.scan heads = 4
          ins(%q, %k, %v, %g, %beta : tensor<?x?x2x3xf32>, tensor<?x?x2x3xf32>, tensor<?x?x4x2xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
          inits(%s0 : tensor<?x4x3x2xf32>) -> (tensor<?x?x4x2xf32>) {
      ^bb0(%qt: tensor<3xf32>, %kt: tensor<3xf32>, %vt: tensor<2xf32>, %gt: f32, %bt: f32, %st: tensor<3x2xf32>):
        %a = math.exp %gt : f32
        %sd = hymir.scale %st, %a : tensor<3x2xf32>, f32
        %p = hymir.read %sd, %kt : tensor<3x2xf32>, tensor<3xf32> -> tensor<2xf32>
        %e = arith.subf %vt, %p : tensor<2xf32>
        %u = hymir.scale %e, %bt : tensor<2xf32>, f32
        %ku = hymir.outer %kt, %u : tensor<3xf32>, tensor<2xf32> -> tensor<3x2xf32>
        %sn = arith.addf %sd, %ku : tensor<3x2xf32>
        %ot = hymir.read %sn, %qt : tensor<3x2xf32>, tensor<3xf32> -> tensor<2xf32>
        hymir.yield %ot, %sn : tensor<2xf32>, tensor<3x2xf32>
      }
      return %o, %s : tensor<?x?x4x2xf32>, tensor<?x4x3x2xf32>
    })mlir",
                 {floats({B, T, Hk, K}, q), floats({B, T, Hk, K}, k),
                  floats({B, T, H, V}, v), floats({B, T, H}, g),
                  floats({B, T, H}, beta), floats({B, H, K, V}, s0)});
  ASSERT_EQ(r.size(), 2u);
  std::vector<double> o(B * T * H * V), s = s0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      double *S = &s[(b * H + h) * K * V];
      for (int64_t t = 0; t < T; ++t) {
        const double *qt = &q[((b * T + t) * Hk + h / 2) * K];
        const double *kt = &k[((b * T + t) * Hk + h / 2) * K];
        const double *vt = &v[((b * T + t) * H + h) * V];
        double a = std::exp(g[(b * T + t) * H + h]), bt = beta[(b * T + t) * H + h];
        for (int64_t i = 0; i < K * V; ++i)
          S[i] *= a;
        for (int64_t j = 0; j < V; ++j) {
          double p = 0;
          for (int64_t i = 0; i < K; ++i)
            p += S[i * V + j] * kt[i];
          double u = bt * (vt[j] - p);
          for (int64_t i = 0; i < K; ++i)
            S[i * V + j] += kt[i] * u;
        }
        for (int64_t j = 0; j < V; ++j) {
          double acc = 0;
          for (int64_t i = 0; i < K; ++i)
            acc += S[i * V + j] * qt[i];
          o[((b * T + t) * H + h) * V + j] = acc;
        }
      }
    }
  expectTensor(r[0], {B, T, H, V}, o);
  expectTensor(r[1], {B, H, K, V}, s);
}

//===----------------------------------------------------------------------===//
// hymir: state algebra
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, ScaleOuterReadDotSum) {
  auto r = runOk(R"mlir(
    func.func @main(%s: tensor<2x3xf32>, %fr: tensor<2xf32>, %fc: tensor<3xf32>, %a: tensor<2x2xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>, tensor<2xf32>, f32, f32) {
      %r = hymir.scale %s, %fr along rows : tensor<2x3xf32>, tensor<2xf32>
      %c = hymir.scale %s, %fc along cols : tensor<2x3xf32>, tensor<3xf32>
      %o = hymir.outer %a, %b : tensor<2x2xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
      %rr = hymir.read %s, %fr : tensor<2x3xf32>, tensor<2xf32> -> tensor<3xf32>
      %rc = hymir.read %s, %fc along cols : tensor<2x3xf32>, tensor<3xf32> -> tensor<2xf32>
      %d = hymir.dot %s, %b : tensor<2x3xf32>, tensor<2x3xf32> -> f32
      %su = hymir.sum %s : tensor<2x3xf32> -> f32
      return %r, %c, %o, %rr, %rc, %d, %su : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>, tensor<2xf32>, f32, f32
    })mlir",
                 {floats({2, 3}, {1, 2, 3, 4, 5, 6}), floats({2}, {10, 100}),
                  floats({3}, {1, 2, 3}), floats({2, 2}, {1, 2, 3, 4}),
                  floats({2, 3}, {1, 0, 1, 0, 1, 1})});
  ASSERT_EQ(r.size(), 7u);
  expectTensor(r[0], {2, 3}, {10, 20, 30, 400, 500, 600});
  expectTensor(r[1], {2, 3}, {1, 4, 9, 4, 10, 18});
  // Rank 2: [1,2]⊗[1,0,1] + [3,4]⊗[0,1,1].
  expectTensor(r[2], {2, 3}, {1, 3, 4, 2, 4, 6});
  // Sᵀx: y[j] = Σ_i S[i,j] fr[i];  S x: y[i] = Σ_j S[i,j] fc[j].
  expectTensor(r[3], {3}, {410, 520, 630});
  expectTensor(r[4], {2}, {14, 32});
  expectTensor(r[5], {}, {1 + 3 + 5 + 6});
  expectTensor(r[6], {}, {21});
}

TEST_F(ReferenceTest, Mix) {
  auto r = runOk(R"mlir(
    func.func @main(%m: tensor<3x2xf32>, %x: tensor<2x2x2xf32>) -> tensor<3x2x2xf32> {
      %y = hymir.mix %m, %x : tensor<3x2xf32>, tensor<2x2x2xf32> -> tensor<3x2x2xf32>
      return %y : tensor<3x2x2xf32>
    })mlir",
                 {floats({3, 2}, {1, 0, 0, 1, 1, -1}),
                  floats({2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40})});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {3, 2, 2},
               {1, 2, 3, 4, 10, 20, 30, 40, -9, -18, -27, -36});
}

TEST_F(ReferenceTest, RotaryBothConventions) {
  const double a0 = 0.3, a1 = -1.1;
  std::vector<double> x{1, 2, 3, 4, 5};
  auto r = runOk(R"mlir(
    func.func @main(%x: tensor<5xf32>, %phi: tensor<2xf32>) -> (tensor<5xf32>, tensor<5xf32>) {
      %i = hymir.rotary %x, %phi {interleaved} : tensor<5xf32>, tensor<2xf32>
      %h = hymir.rotary %x, %phi : tensor<5xf32>, tensor<2xf32>
      return %i, %h : tensor<5xf32>, tensor<5xf32>
    })mlir",
                 {floats({5}, x), floats({2}, {a0, a1})});
  ASSERT_EQ(r.size(), 2u);
  auto rot = [](double a, double b, double phi) {
    return std::make_pair(a * std::cos(phi) - b * std::sin(phi),
                          a * std::sin(phi) + b * std::cos(phi));
  };
  // Interleaved: pairs (0,1), (2,3); element 4 unchanged.
  auto p0 = rot(1, 2, a0), p1 = rot(3, 4, a1);
  expectTensor(r[0], {5}, {p0.first, p0.second, p1.first, p1.second, 5});
  // Rotate-half: pairs (0,2), (1,3).
  auto q0 = rot(1, 3, a0), q1 = rot(2, 4, a1);
  expectTensor(r[1], {5}, {q0.first, q1.first, q0.second, q1.second, 5});
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(ReferenceTest, UnsupportedOpIsNamed) {
  std::string diag = runFails(R"mlir(
    func.func @main(%x: f32) -> i32 {
      %y = arith.bitcast %x : f32 to i32
      return %y : i32
    })mlir",
                              {Tensor::getScalar(1.0)});
  EXPECT_TRUE(contains(diag, "'arith.bitcast' is not supported")) << diag;
}

TEST_F(ReferenceTest, UnsupportedOpInsideABodyFailsBeforeRunning) {
  std::string diag = runFails(R"mlir(
    func.func @main(%x: tensor<1x2xf32>, %s0: tensor<1xf32>) -> (tensor<1x2xf32>, tensor<1xf32>) {
      %o, %s = hymir.scan ins(%x : tensor<1x2xf32>) inits(%s0 : tensor<1xf32>) -> (tensor<1x2xf32>) {
      ^bb0(%xt: f32, %st: f32):
        %b = arith.bitcast %xt : f32 to i32
        %sn = arith.addf %st, %xt : f32
        hymir.yield %sn, %sn : f32, f32
      }
      return %o, %s : tensor<1x2xf32>, tensor<1xf32>
    })mlir",
                              {floats({1, 2}, {1, 2}), floats({1}, {0})});
  EXPECT_TRUE(contains(diag, "'arith.bitcast' is not supported")) << diag;
}

TEST_F(ReferenceTest, MismatchedDynamicDimsInScanAreAnError) {
  StringRef source = R"mlir(
    func.func @main(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>, %s0: tensor<?xf32>) -> (tensor<?x?xf32>, tensor<?xf32>) {
      %o, %s = hymir.scan ins(%x, %y : tensor<?x?xf32>, tensor<?x?xf32>) inits(%s0 : tensor<?xf32>) -> (tensor<?x?xf32>) {
      ^bb0(%xt: f32, %yt: f32, %st: f32):
        %a = arith.addf %xt, %yt : f32
        %sn = arith.addf %st, %a : f32
        hymir.yield %sn, %sn : f32, f32
      }
      return %o, %s : tensor<?x?xf32>, tensor<?xf32>
    })mlir";
  std::string diag = runFails(source, {floats({1, 3}, {1, 2, 3}),
                                       floats({1, 2}, {1, 2}), floats({1}, {0})});
  EXPECT_TRUE(contains(diag, "input #1 has batch x time 1x2")) << diag;
  diag = runFails(source, {floats({1, 2}, {1, 2}), floats({1, 2}, {1, 2}),
                           floats({2}, {0, 0})});
  EXPECT_TRUE(contains(diag, "init #0 has batch size 2")) << diag;
}

TEST_F(ReferenceTest, ErrorsInsideABodyNameTheStep) {
  std::string diag = runFails(R"mlir(
    func.func @main(%x: tensor<1x3x2xf32>, %s0: tensor<1x2xf32>) -> (tensor<1x3xf32>, tensor<1x2xf32>) {
      %o, %s = hymir.scan ins(%x : tensor<1x3x2xf32>) inits(%s0 : tensor<1x2xf32>) -> (tensor<1x3xf32>) {
      ^bb0(%t: index, %xt: tensor<2xf32>, %st: tensor<2xf32>):
        %e = tensor.extract %xt[%t] : tensor<2xf32>
        %sn = arith.addf %st, %xt : tensor<2xf32>
        hymir.yield %e, %sn : f32, tensor<2xf32>
      }
      return %o, %s : tensor<1x3xf32>, tensor<1x2xf32>
    })mlir",
                              {floats({1, 3, 2}, {1, 2, 3, 4, 5, 6}),
                               floats({1, 2}, {0, 0})});
  EXPECT_TRUE(contains(diag, "index 2 is out of bounds for dim 0 of size 2"))
      << diag;
  EXPECT_TRUE(contains(diag, "while executing step (batch = 0, t = 2)")) << diag;
}

TEST_F(ReferenceTest, OutOfRangeSliceAndDivisionByZero) {
  std::string diag = runFails(R"mlir(
    func.func @main(%x: tensor<4xf32>, %o: index) -> tensor<2xf32> {
      %s = tensor.extract_slice %x[%o] [2] [1] : tensor<4xf32> to tensor<2xf32>
      return %s : tensor<2xf32>
    })mlir",
                              {floats({4}, {1, 2, 3, 4}), Tensor::getIntScalar(3)});
  EXPECT_TRUE(contains(diag, "out of bounds")) << diag;
  diag = runFails(R"mlir(
    func.func @main(%a: i32, %b: i32) -> i32 {
      %q = arith.divsi %a, %b : i32
      return %q : i32
    })mlir",
                  {Tensor::getIntScalar(1), Tensor::getIntScalar(0)});
  EXPECT_TRUE(contains(diag, "division by zero")) << diag;
}

TEST_F(ReferenceTest, HugeOrNegativeRuntimeSizesAreErrors) {
  StringRef source = R"mlir(
    func.func @main(%n: index) -> tensor<?x4xf32> {
      %e = tensor.empty(%n) : tensor<?x4xf32>
      return %e : tensor<?x4xf32>
    })mlir";
  std::string diag = runFails(source, {Tensor::getIntScalar(int64_t(1) << 40)});
  EXPECT_TRUE(contains(diag, "elements")) << diag;
  diag = runFails(source, {Tensor::getIntScalar(-3)});
  EXPECT_TRUE(contains(diag, "size -3 of dim 0 is negative")) << diag;
}

TEST_F(ReferenceTest, BadArgumentsAndUnknownEntry) {
  StringRef source = R"mlir(
    func.func @main(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
      return %x : tensor<?x3xf32>
    })mlir";
  std::string diag = runFails(source, {});
  EXPECT_TRUE(contains(diag, "takes 1 arguments, got 0")) << diag;
  diag = runFails(source, {floats({2, 4}, std::vector<double>(8, 0.0))});
  EXPECT_TRUE(contains(diag, "argument #0")) << diag;
  diag = runFails(source, {ints({2, 3}, std::vector<int64_t>(6, 0))});
  EXPECT_TRUE(contains(diag, "integer data")) << diag;
  diag = runFails(source, {floats({1, 3}, {1, 2, 3})}, "nope");
  EXPECT_TRUE(contains(diag, "no function named 'nope'")) << diag;
  // A dynamic dim takes any size.
  auto r = runOk(source, {floats({1, 3}, {1, 2, 3})});
  ASSERT_EQ(r.size(), 1u);
  expectTensor(r[0], {1, 3}, {1, 2, 3});
}

TEST_F(ReferenceTest, RuntimeShapeContradictingATypeIsAnError) {
  // tensor.cast to a static shape the value does not have.
  std::string diag = runFails(R"mlir(
    func.func @main(%x: tensor<?xf32>) -> tensor<3xf32> {
      %c = tensor.cast %x : tensor<?xf32> to tensor<3xf32>
      return %c : tensor<3xf32>
    })mlir",
                              {floats({2}, {1, 2})});
  EXPECT_TRUE(contains(diag, "'tensor.cast' produced")) << diag;
}

} // namespace
