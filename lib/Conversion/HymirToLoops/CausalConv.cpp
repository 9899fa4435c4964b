//===- CausalConv.cpp - Sequential lowering of hymir.causal_conv1d --------===//
//
// With xx = concat_time(state or zeros, x), tap j of output t reads
// xx[t + j] = x[t − (W − 1 − j)], which lies in the state when that time is
// negative. W is static (C1), so the taps are unrolled.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace hymir;
using namespace hymir::loops;

/// Element (b, τ, c) of xx = concat_time(state or zeros, x), where τ is the
/// time in x (negative τ reads state row W − 1 + τ). A branch, not a select,
/// so that the untaken side never loads out of bounds.
static Value loadPadded(OpBuilder &b, Location loc, Value x, Value state,
                        Value bi, Value tau, Value c, int64_t width,
                        FloatType acc) {
  Value zero = indexConst(b, loc, 0);
  Value inX =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, tau, zero);
  auto ifOp = scf::IfOp::create(
      b, loc, inX,
      [&](OpBuilder &b, Location loc) {
        Value e = tensor::ExtractOp::create(b, loc, x, ValueRange{bi, tau, c});
        scf::YieldOp::create(b, loc, convertFloat(b, loc, e, acc));
      },
      [&](OpBuilder &b, Location loc) {
        if (!state) {
          scf::YieldOp::create(b, loc, floatConst(b, loc, acc, 0.0));
          return;
        }
        Value row =
            arith::AddIOp::create(b, loc, tau, indexConst(b, loc, width - 1));
        Value e =
            tensor::ExtractOp::create(b, loc, state, ValueRange{bi, row, c});
        scf::YieldOp::create(b, loc, convertFloat(b, loc, e, acc));
      });
  return ifOp.getResult(0);
}

namespace {

struct LowerCausalConv1d : OpRewritePattern<CausalConv1dOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(CausalConv1dOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), weight = op.getWeight();
    Value bias = op.getBias(), state = op.getState();
    auto xType = cast<RankedTensorType>(x.getType());
    Type elem = xType.getElementType();
    FloatType acc = accumulatorType(elem);
    int64_t width = cast<RankedTensorType>(weight.getType()).getDimSize(1);
    bool silu = op.getActivation() == Activation::silu;

    Value batch = dimSize(rewriter, loc, x, 0);
    Value time = dimSize(rewriter, loc, x, 1);
    Value channels = dimSize(rewriter, loc, x, 2);
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);

    // y[b, t, c] = act(bias[c] + Σ_j weight[c, j] · xx[t + j, c])
    Value out = emptyWithLeading(rewriter, loc, xType, {batch, time, channels});
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, {zero, zero, zero}, {batch, time, channels},
        {one, one, one}, out,
        [&](OpBuilder &b, Location loc, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value bi = ivs[0], t = ivs[1], c = ivs[2];
          Value sum;
          if (bias)
            sum = convertFloat(b, loc,
                               tensor::ExtractOp::create(b, loc, bias, c), acc);
          for (int64_t j = 0; j < width; ++j) {
            Value w = convertFloat(
                b, loc,
                tensor::ExtractOp::create(b, loc, weight,
                                          ValueRange{c, indexConst(b, loc, j)}),
                acc);
            int64_t back = width - 1 - j;
            Value xv;
            if (back == 0) {
              xv = convertFloat(
                  b, loc,
                  tensor::ExtractOp::create(b, loc, x, ValueRange{bi, t, c}),
                  acc);
            } else {
              Value tau =
                  arith::SubIOp::create(b, loc, t, indexConst(b, loc, back));
              xv = loadPadded(b, loc, x, state, bi, tau, c, width, acc);
            }
            Value term = arith::MulFOp::create(b, loc, w, xv);
            sum = sum ? arith::AddFOp::create(b, loc, sum, term).getResult()
                      : term;
          }
          if (silu) {
            // silu(a) = a / (1 + e^{−a})
            Value negA = arith::NegFOp::create(b, loc, sum);
            Value den =
                arith::AddFOp::create(b, loc, floatConst(b, loc, acc, 1.0),
                                      math::ExpOp::create(b, loc, negA));
            sum = arith::DivFOp::create(b, loc, sum, den);
          }
          Value result =
              tensor::InsertOp::create(b, loc, convertFloat(b, loc, sum, elem),
                                       args[0], ValueRange{bi, t, c});
          return {result};
        });
    SmallVector<Value> replacements{nest.results.front()};

    // final_state[b, r, c] = xx[T + r, c] = x[T + r − (W − 1)] (or the state
    // when T < W − 1).
    if (state) {
      auto stateType = cast<RankedTensorType>(state.getType());
      Value rows = indexConst(rewriter, loc, width - 1);
      Value finalState =
          emptyWithLeading(rewriter, loc, stateType, {batch, rows, channels});
      scf::LoopNest finalNest = scf::buildLoopNest(
          rewriter, loc, {zero, zero, zero}, {batch, rows, channels},
          {one, one, one}, finalState,
          [&](OpBuilder &b, Location loc, ValueRange ivs,
              ValueRange args) -> scf::ValueVector {
            Value bi = ivs[0], r = ivs[1], c = ivs[2];
            Value tau = arith::SubIOp::create(
                b, loc, arith::AddIOp::create(b, loc, time, r), rows);
            Value e = loadPadded(b, loc, x, state, bi, tau, c, width,
                                 cast<FloatType>(stateType.getElementType()));
            return {tensor::InsertOp::create(b, loc, e, args[0],
                                             ValueRange{bi, r, c})
                        .getResult()};
          });
      replacements.push_back(finalNest.results.front());
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

} // namespace

void hymir::loops::populateCausalConvPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerCausalConv1d>(patterns.getContext());
}
