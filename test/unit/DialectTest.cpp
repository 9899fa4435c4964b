//===- DialectTest.cpp - Unit tests of the hymir dialect's C++ API --------===//
//
// Builds every hymir op through the C++ API (`OpTy::create`), checks that the
// verifier accepts it (and rejects malformed ops with the right invariant),
// checks the printed form of a few ops, and builds a gated-delta-rule scan
// body programmatically to classify it with hymir::classifyScan.
//
//===----------------------------------------------------------------------===//

#include "hymir/Dialect/Hymir/IR/HymirOps.h"
#include "hymir/Dialect/Hymir/IR/ScanAnalysis.h"
#include "hymir/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir;
using namespace hymir;

namespace {

/// Prints an op in its custom form (callers verify it first) into a string.
std::string print(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, OpPrintingFlags().useLocalScope().assumeVerified());
  return text;
}

/// Collapses runs of spaces, so checks do not depend on the printer's spacing.
std::string squeeze(const std::string &text) {
  std::string out;
  for (char c : text)
    if (c != ' ' || out.empty() || out.back() != ' ')
      out.push_back(c);
  return out;
}

class DialectTest : public ::testing::Test {
protected:
  DialectTest() {
    DialectRegistry registry;
    hymir::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    // Diagnostics are collected, not printed (a test that expects a verifier
    // failure reads them back).
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
          return success();
        });
    module = ModuleOp::create(loc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  Location loc() { return UnknownLoc::get(&context); }
  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elem = nullptr) {
    return RankedTensorType::get(shape, elem ? elem : builder.getF32Type());
  }

  /// Starts a function with the given argument types and returns its
  /// arguments; the builder is left inside its body.
  Block::BlockArgListType startFunc(StringRef name, TypeRange args) {
    builder.setInsertionPointToEnd(module->getBody());
    auto func = func::FuncOp::create(builder, loc(), name,
                                     builder.getFunctionType(args, {}));
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToStart(body);
    return body->getArguments();
  }

  /// True if some collected diagnostic contains `text`.
  bool diagnosed(StringRef text) {
    for (const std::string &d : diagnostics)
      if (StringRef(d).contains(text))
        return true;
    return false;
  }

  MLIRContext context;
  OpBuilder builder{&context};
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::vector<std::string> diagnostics;
};

constexpr int64_t kDyn = ShapedType::kDynamic;

//===----------------------------------------------------------------------===//
// Attention and the glue ops
//===----------------------------------------------------------------------===//

TEST_F(DialectTest, AttentionBuildsVerifiesAndPrints) {
  auto args = startFunc("attn", {tensor({kDyn, kDyn, 4, 12}),
                                 tensor({kDyn, kDyn, 2, 12}),
                                 tensor({kDyn, kDyn, 2, 20})});
  auto op = AttentionOp::create(
      builder, loc(), tensor({kDyn, kDyn, 4, 20}), args[0], args[1], args[2],
      /*causal=*/true, builder.getF32FloatAttr(0.25f),
      builder.getI64IntegerAttr(13), builder.getF32FloatAttr(30.0f));
  ASSERT_TRUE(succeeded(verify(op)));
  EXPECT_TRUE(op.getCausal());
  EXPECT_EQ(op.getWindow(), 13u);
  EXPECT_TRUE(op.getScoreMod().empty());
  std::string text = print(op);
  EXPECT_NE(text.find("hymir.attention %arg0, %arg1, %arg2 {causal, scale = "
                      "2.500000e-01 : f32, softcap = 3.000000e+01 : f32, "
                      "window = 13 : i64}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("-> tensor<?x?x4x20xf32>"), std::string::npos) << text;
}

TEST_F(DialectTest, AttentionRejectsBadHeadsAndWindow) {
  auto args = startFunc("attn", {tensor({2, 8, 3, 12}), tensor({2, 8, 2, 12}),
                                 tensor({2, 8, 2, 20})});
  auto op =
      AttentionOp::create(builder, loc(), tensor({2, 8, 3, 20}), args[0],
                          args[1], args[2], false, nullptr, nullptr, nullptr);
  EXPECT_TRUE(failed(verify(op)));
  EXPECT_TRUE(diagnosed("C2: query heads (3) must be a static multiple of kv "
                        "heads (2)"));
  // C4 on an op whose heads are fine (MHA).
  diagnostics.clear();
  auto good = AttentionOp::create(builder, loc(), tensor({2, 8, 2, 20}),
                                  args[1], args[1], args[2], true, nullptr,
                                  builder.getI64IntegerAttr(0), nullptr);
  EXPECT_TRUE(failed(verify(good)));
  EXPECT_TRUE(diagnosed("C4: window must be at least 1, got 0"));
}

TEST_F(DialectTest, AttentionDecodeWithLengths) {
  auto args = startFunc("decode", {tensor({2, 4, 12}), tensor({2, kDyn, 2, 12}),
                                   tensor({2, kDyn, 2, 20}),
                                   tensor({2}, builder.getI32Type())});
  auto op = AttentionDecodeOp::create(builder, loc(), tensor({2, 4, 20}),
                                      args[0], args[1], args[2], args[3],
                                      nullptr, nullptr, nullptr);
  ASSERT_TRUE(succeeded(verify(op)));
  EXPECT_NE(print(op).find("lengths(%arg3 : tensor<2xi32>)"),
            std::string::npos);
  auto noLengths = AttentionDecodeOp::create(builder, loc(), tensor({2, 4, 20}),
                                             args[0], args[1], args[2], Value(),
                                             nullptr, nullptr, nullptr);
  EXPECT_TRUE(succeeded(verify(noLengths)));
  EXPECT_EQ(print(noLengths).find("lengths"), std::string::npos);
}

TEST_F(DialectTest, CausalConv1dVariants) {
  auto args = startFunc("conv", {tensor({kDyn, kDyn, 36}), tensor({36, 4}),
                                 tensor({36}), tensor({kDyn, 3, 36})});
  auto full = CausalConv1dOp::create(builder, loc(), args[0].getType(),
                                     args[3].getType(), args[0], args[1],
                                     args[2], args[3], Activation::silu);
  ASSERT_TRUE(succeeded(verify(full)));
  EXPECT_EQ(full.getActivation(), Activation::silu);
  EXPECT_TRUE(full.getFinalState());
  EXPECT_NE(print(full).find("bias(%arg2) state(%arg3) {activation = "
                             "#hymir.activation<silu>}"),
            std::string::npos)
      << print(full);

  // A state without a bias prints one type per present operand.
  auto stateOnly = CausalConv1dOp::create(builder, loc(), args[0].getType(),
                                          args[3].getType(), args[0], args[1],
                                          Value(), args[3]);
  ASSERT_TRUE(succeeded(verify(stateOnly)));
  EXPECT_NE(print(stateOnly).find(": tensor<?x?x36xf32>, tensor<36x4xf32>, "
                                  "tensor<?x3x36xf32> -> tensor<?x?x36xf32>, "
                                  "tensor<?x3x36xf32>"),
            std::string::npos)
      << print(stateOnly);

  // C3: a state operand without the final state result.
  auto broken =
      CausalConv1dOp::create(builder, loc(), args[0].getType(), Type(), args[0],
                             args[1], Value(), args[3]);
  EXPECT_TRUE(failed(verify(broken)));
  EXPECT_TRUE(diagnosed("C3: a state operand requires a final state result"));
}

TEST_F(DialectTest, Norms) {
  auto args = startFunc("norms", {tensor({kDyn, kDyn, 64}), tensor({64})});
  auto l2 =
      L2NormOp::create(builder, loc(), args[0], builder.getF32FloatAttr(1e-6f));
  auto ln = LayerNormOp::create(builder, loc(), args[1],
                                builder.getF32FloatAttr(1e-5f));
  auto rms = RMSNormOp::create(builder, loc(), args[0], args[1],
                               builder.getF32FloatAttr(1e-6f));
  EXPECT_TRUE(succeeded(verify(l2)));
  EXPECT_TRUE(succeeded(verify(ln)));
  EXPECT_TRUE(succeeded(verify(rms)));
  EXPECT_EQ(rms.getType(), args[0].getType());
  auto bad =
      L2NormOp::create(builder, loc(), args[1], builder.getF32FloatAttr(-1.0f));
  EXPECT_TRUE(failed(verify(bad)));
  EXPECT_TRUE(diagnosed("C2: eps must be non-negative"));
}

//===----------------------------------------------------------------------===//
// State algebra
//===----------------------------------------------------------------------===//

TEST_F(DialectTest, StateAlgebraBuildsAndPrints) {
  auto args =
      startFunc("algebra", {tensor({12, 20}), tensor({12}), tensor({20}),
                            builder.getF32Type(), tensor({10, 10}),
                            tensor({10, 12, 20}), tensor({3})});
  Value s = args[0], k = args[1], v = args[2], f = args[3];
  auto scaleRows = ScaleOp::create(builder, loc(), s, k,
                                   AxisAttr::get(&context, Axis::rows));
  auto scaleScalar = ScaleOp::create(builder, loc(), s, f, AxisAttr());
  auto outer = OuterOp::create(builder, loc(), tensor({12, 20}), k, v);
  auto readRows = ReadOp::create(builder, loc(), tensor({20}), s, k);
  auto readCols =
      ReadOp::create(builder, loc(), tensor({12}), s, v, Axis::cols);
  auto dot = DotOp::create(builder, loc(), builder.getF32Type(), k, k);
  auto sum = SumOp::create(builder, loc(), builder.getF32Type(), v);
  auto mix =
      MixOp::create(builder, loc(), tensor({10, 12, 20}), args[4], args[5]);
  auto rotary = RotaryOp::create(builder, loc(), k, args[6],
                                 /*interleaved=*/true);
  for (Operation *op :
       {scaleRows.getOperation(), scaleScalar.getOperation(),
        outer.getOperation(), readRows.getOperation(), readCols.getOperation(),
        dot.getOperation(), sum.getOperation(), mix.getOperation(),
        rotary.getOperation()})
    EXPECT_TRUE(succeeded(verify(op))) << print(op);

  EXPECT_EQ(squeeze(print(scaleRows)),
            "%0 = hymir.scale %arg0, %arg1 along rows : tensor<12x20xf32>, "
            "tensor<12xf32>");
  EXPECT_EQ(print(outer), "%2 = hymir.outer %arg1, %arg2 : tensor<12xf32>, "
                          "tensor<20xf32> -> tensor<12x20xf32>");
  // The default axis of hymir.read is elided; `cols` is printed.
  EXPECT_EQ(print(readRows),
            "%3 = hymir.read %arg0, %arg1 : tensor<12x20xf32>, "
            "tensor<12xf32> -> tensor<20xf32>");
  EXPECT_EQ(squeeze(print(readCols)),
            "%4 = hymir.read %arg0, %arg2 along cols : tensor<12x20xf32>, "
            "tensor<20xf32> -> tensor<12xf32>");
  EXPECT_EQ(print(rotary), "%8 = hymir.rotary %arg1, %arg6 {interleaved} : "
                           "tensor<12xf32>, tensor<3xf32>");
}

TEST_F(DialectTest, StateAlgebraRejectsMalformedOps) {
  auto args = startFunc("bad", {tensor({12, 20}), tensor({12}), tensor({20})});
  // C2 of hymir.outer: the result must be [K, V], here transposed.
  auto outer =
      OuterOp::create(builder, loc(), tensor({20, 12}), args[1], args[2]);
  EXPECT_TRUE(failed(verify(outer)));
  EXPECT_TRUE(diagnosed("C2: result must be [12, 20]"));
  // C2 of hymir.scale: a 1-D factor needs an axis.
  auto scale = ScaleOp::create(builder, loc(), args[0], args[1], AxisAttr());
  EXPECT_TRUE(failed(verify(scale)));
  EXPECT_TRUE(diagnosed("C2: a 1-D factor needs `along rows` or `along cols`"));
  // C1 of hymir.read: the vector must match the contracted axis.
  auto read = ReadOp::create(builder, loc(), tensor({20}), args[0], args[2]);
  EXPECT_TRUE(failed(verify(read)));
  EXPECT_TRUE(diagnosed("C1: vector size 20 does not match the contracted row "
                        "count 12"));
}

//===----------------------------------------------------------------------===//
// Scan and recurrence
//===----------------------------------------------------------------------===//

/// Builds the gated delta rule as a hymir.scan with heads = 4 (GVA 2:4):
///   S ← α S;  u = β (v − Sᵀk);  S ← S + k ⊗ u;  o = Sᵀq.
/// With `nonLinear`, the decay is computed from the state (α = exp(Σ Sᵀk)),
/// which C9 must reject.
ScanOp buildGatedDeltaRule(OpBuilder &b, Location loc, ValueRange args,
                           bool nonLinear = false) {
  Type f32 = b.getF32Type();
  auto vec = [&](int64_t n) { return RankedTensorType::get({n}, f32); };
  auto mat = RankedTensorType::get({12, 20}, f32);
  auto outType = RankedTensorType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, 4, 20}, f32);
  auto scan = ScanOp::create(b, loc, TypeRange{outType}, args.take_front(5),
                             ValueRange(), args.slice(5, 1), int64_t(4));
  Block *body = b.createBlock(&scan.getBody(), {},
                              {vec(12), vec(12), vec(20), f32, f32, mat},
                              SmallVector<Location>(6, loc));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);
  Value q = body->getArgument(0), k = body->getArgument(1),
        v = body->getArgument(2), g = body->getArgument(3),
        beta = body->getArgument(4), s = body->getArgument(5);
  Value alpha = math::ExpOp::create(b, loc, g);
  if (nonLinear) {
    Value r = ReadOp::create(b, loc, vec(20), s, k);
    Value total = SumOp::create(b, loc, f32, r);
    alpha = math::ExpOp::create(b, loc, total);
  }
  Value sd = ScaleOp::create(b, loc, s, alpha, AxisAttr());
  Value p = ReadOp::create(b, loc, vec(20), sd, k);
  Value e = arith::SubFOp::create(b, loc, v, p);
  Value u = ScaleOp::create(b, loc, e, beta, AxisAttr());
  Value ku = OuterOp::create(b, loc, mat, k, u);
  Value sn = arith::AddFOp::create(b, loc, sd, ku);
  Value o = ReadOp::create(b, loc, vec(20), sn, q);
  YieldOp::create(b, loc, ValueRange{o, sn});
  return scan;
}

TEST_F(DialectTest, GatedDeltaRuleScanIsDplr) {
  auto args = startFunc(
      "gdn", {tensor({kDyn, kDyn, 2, 12}), tensor({kDyn, kDyn, 2, 12}),
              tensor({kDyn, kDyn, 4, 20}), tensor({kDyn, kDyn, 4}),
              tensor({kDyn, kDyn, 4}), tensor({kDyn, 4, 12, 20})});
  ScanOp scan = buildGatedDeltaRule(builder, loc(), args);
  ASSERT_TRUE(succeeded(verify(scan))) << print(scan);
  EXPECT_EQ(scan.getOutputs().size(), 1u);
  EXPECT_EQ(scan.getFinals()[0].getType(), args[5].getType());
  EXPECT_FALSE(scan.hasTimeIndex());
  EXPECT_EQ(scan.getStateArgs().size(), 1u);
  EXPECT_EQ(scan.getInputArgs().size(), 5u);

  TransitionAttr t = classifyScan(scan);
  ASSERT_TRUE(t);
  EXPECT_EQ(t.getKind(), TransitionClass::dplr);
  EXPECT_EQ(t.getDecay(), Decay::scalar);
  EXPECT_EQ(t.getCorrectionRank(), 1);
  EXPECT_EQ(t.getUpdateRank(), 1);
  EXPECT_EQ(t.getRead(), ReadPoint::post);
  EXPECT_EQ(t.getLevels(), 0);
  EXPECT_EQ(t.getPrefix(), 0);

  std::string attr;
  llvm::raw_string_ostream os(attr);
  Attribute(t).print(os);
  EXPECT_EQ(attr,
            "#hymir.transition<dplr, decay = scalar, correction_rank = 1, "
            "update_rank = 1, read = post, levels = 0, prefix = 0>");

  std::string text = print(scan);
  EXPECT_NE(text.find("hymir.scan heads = 4"), std::string::npos) << text;
  EXPECT_NE(text.find("inits(%arg5 : tensor<?x4x12x20xf32>) -> "
                      "(tensor<?x?x4x20xf32>) {"),
            std::string::npos)
      << text;
}

TEST_F(DialectTest, NonLinearScanFailsC9AtTheOffendingOp) {
  auto args = startFunc(
      "gdn", {tensor({kDyn, kDyn, 2, 12}), tensor({kDyn, kDyn, 2, 12}),
              tensor({kDyn, kDyn, 4, 20}), tensor({kDyn, kDyn, 4}),
              tensor({kDyn, kDyn, 4}), tensor({kDyn, 4, 12, 20})});
  ScanOp scan = buildGatedDeltaRule(builder, loc(), args, /*nonLinear=*/true);
  EXPECT_TRUE(failed(verify(scan)));
  EXPECT_TRUE(diagnosed("C9: the update of state #0 is not affine in the "
                        "state: 'math.exp' of a state-dependent value is not "
                        "affine"));
}

TEST_F(DialectTest, ScanRejectsWrongYield) {
  auto args = startFunc("scan", {tensor({2, kDyn, 4}), tensor({2, 4})});
  auto scan = ScanOp::create(builder, loc(), TypeRange{}, args.take_front(1),
                             ValueRange(), args.drop_front(1), std::nullopt);
  Block *body = builder.createBlock(&scan.getBody(), {},
                                    {tensor({4}), tensor({4})}, {loc(), loc()});
  builder.setInsertionPointToStart(body);
  // C7: one output too many.
  YieldOp::create(builder, loc(),
                  ValueRange{body->getArgument(0), body->getArgument(1)});
  EXPECT_TRUE(failed(verify(scan)));
  EXPECT_TRUE(diagnosed("C7: yields 2 values, expected 0 outputs + 1 states"));
}

TEST_F(DialectTest, RecurrenceWithTimeIndexAndParams) {
  auto args = startFunc("rnn", {tensor({kDyn, kDyn, 2, 8}), tensor({2, 8}),
                                tensor({kDyn, 2, 8})});
  auto rec = RecurrenceOp::create(
      builder, loc(), TypeRange{tensor({kDyn, kDyn, 2, 8})}, args.take_front(1),
      args.slice(1, 1), args.slice(2, 1), int64_t(2));
  Block *body = builder.createBlock(
      &rec.getBody(), {},
      {builder.getIndexType(), tensor({8}), tensor({8}), tensor({8})},
      SmallVector<Location>(4, loc()));
  builder.setInsertionPointToStart(body);
  Value w = body->getArgument(2), h = body->getArgument(3);
  Value wh = arith::MulFOp::create(builder, loc(), w, h);
  Value z = arith::AddFOp::create(builder, loc(), wh, body->getArgument(1));
  Value hn = math::TanhOp::create(builder, loc(), z);
  YieldOp::create(builder, loc(), ValueRange{hn, hn});
  ASSERT_TRUE(succeeded(verify(rec))) << print(rec);
  EXPECT_TRUE(rec.hasTimeIndex());
  EXPECT_EQ(rec.getInputArgs().front(), body->getArgument(1));
  EXPECT_EQ(rec.getParamArgs().front(), w);
  EXPECT_EQ(rec.getStateArgs().front(), h);
  EXPECT_EQ(rec.getYieldedStates().front(), hn);
  EXPECT_EQ(rec.getHeads(), 2u);
}

} // namespace
