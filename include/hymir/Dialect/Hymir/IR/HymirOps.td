//===- HymirOps.td - Hymir operations -----------------------*- tablegen -*-===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIROPS_TD
#define HYMIR_DIALECT_HYMIR_IR_HYMIROPS_TD

include "hymir/Dialect/Hymir/IR/HymirBase.td"
include "hymir/Dialect/Hymir/IR/HymirAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/RegionKindInterface.td"

def Hymir_Float : AnyTypeOf<[F16, BF16, F32, F64]>;
def Hymir_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
def Hymir_FloatOrTensor : AnyTypeOf<[F16, BF16, F32, F64, Hymir_FloatTensor]>;

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Hymir_AttentionOp : Hymir_Op<"attention", [
    RecursiveMemoryEffects, SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "softmax attention with masks, GQA, softcap and a score modifier";
  let description = [{
    Multi-head softmax attention over `query [B, Tq, Hq, K]`, `key [B, Tk, Hkv, K]`
    and `value [B, Tk, Hkv, V]`, producing `result [B, Tq, Hq, V]`. Query head
    `h` reads kv head `h' = h // (Hq / Hkv)` (block mapping: GQA, MQA).

    With `δ = Tk − Tq` (the causal mask is aligned to the bottom-right corner):
    ```
    s_ij = scale · ⟨q_i[h], k_j[h']⟩                     (scale: default 1/√K)
    s_ij = softcap · tanh(s_ij / softcap)                 if softcap is set
    s_ij = score_mod(s_ij, i + δ, j, h)                   if the region is present
    allowed(i, j) = [j ≤ i + δ] if causal ∧ [i + δ − window < j] if window
    o_i = Σ_allowed exp(s_ij − m_i) v_j[h'] / (Σ_allowed exp(s_ij − m_i) + sink)
    ```
    with `m_i` the row maximum. The window admits exactly `window` keys ending at
    the query (fla's convention; FlashAttention's `(window − 1, 0)`). `sinks [Hq]`
    adds `exp(σ_h − m_i)` to the denominator only. A row with no allowed key
    returns 0.

    The optional `score_mod` region takes `(score: f32, query position: index,
    key position: index, head: index)` and yields the modified score (ALiBi,
    forgetting-attention decay, ...).

    Invariants:
    * C1: query, key, value have rank 4 and agree on B; key and value agree on
      Tk and Hkv; query and key agree on K.
    * C2: Hq is a positive multiple of Hkv (static dims).
    * C3: the result is `[B, Tq, Hq, V]`.
    * C4: `window` ≥ 1 and `softcap` > 0 when present; `scale` is finite.
    * C5: `sinks`, when present, is `[Hq]`.
    * C6: a `score_mod` region has arguments `(f32, index, index, index)` and
      yields one f32.

    Example:
    ```mlir
    %o = hymir.attention %q, %k, %v {causal, scale = 0.288675 : f32, window = 13 : i64}
        : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x?x4x20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$query, Hymir_FloatTensor:$key,
                       Hymir_FloatTensor:$value,
                       Optional<Hymir_FloatTensor>:$sinks,
                       UnitAttr:$causal, OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<F32Attr>:$softcap);
  let results = (outs Hymir_FloatTensor:$result);
  let regions = (region AnyRegion:$score_mod);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($result)
    (`score_mod` $score_mod^)?
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$query,
                   "::mlir::Value":$key, "::mlir::Value":$value,
                   "bool":$causal, "::mlir::FloatAttr":$scale,
                   "::mlir::IntegerAttr":$window, "::mlir::FloatAttr":$softcap)>
  ];
}

def Hymir_AttentionDecodeOp : Hymir_Op<"attention_decode", [Pure]> {
  let summary = "one query token per sequence against a KV cache";
  let description = [{
    Decode form of `hymir.attention`: `query [B, Hq, K]` (no time axis) against
    `key_cache [B, L, Hkv, K]` and `value_cache [B, L, Hkv, V]`, giving
    `result [B, Hq, V]`. Without `lengths`, all `L` cached keys are valid and the
    query sits at position `L − 1` (its own key is already appended). With
    `lengths [B]` (i32 or i64), sequence `b` sees keys `j < lengths[b]` and its
    query sits at `lengths[b] − 1`; `window`, `softcap` and `scale` act as in
    `hymir.attention` relative to that position.

    Invariants:
    * C1: query has rank 3, caches rank 4; B, Hkv, K, V agree; Hq % Hkv = 0.
    * C2: the result is `[B, Hq, V]`.
    * C3: `lengths`, when present, is a 1-D integer tensor of size B.
    * C4: `window` ≥ 1 and `softcap` > 0 when present.

    Example:
    ```mlir
    %o = hymir.attention_decode %q, %kc, %vc {scale = 0.288675 : f32}
        : tensor<?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32>
        -> tensor<?x4x20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$query, Hymir_FloatTensor:$key_cache,
                       Hymir_FloatTensor:$value_cache,
                       Optional<RankedTensorOf<[I32, I64]>>:$lengths,
                       OptionalAttr<F32Attr>:$scale,
                       OptionalAttr<I64Attr>:$window,
                       OptionalAttr<F32Attr>:$softcap);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache
    (`lengths` `(` $lengths^ `:` type($lengths) `)`)?
    attr-dict `:` type($query) `,` type($key_cache) `,` type($value_cache)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Short convolution and norms
//===----------------------------------------------------------------------===//

def Hymir_CausalConv1dOp : Hymir_Op<"causal_conv1d", [Pure, AttrSizedOperandSegments]> {
  let summary = "short depthwise causal convolution with optional bias, activation and state";
  let description = [{
    `input [B, T, D]`, `weight [D, W]`, optional `bias [D]`, optional
    `state [B, W−1, D]` (the previous `W−1` inputs, oldest first). With
    `xx = concat_time(state or zeros, input)`:
    ```
    y_t[c] = act(bias[c] + Σ_{j<W} weight[c, j] · xx[t + j, c])
    final_state = xx[T : T + W − 1]
    ```
    (`weight[c, W−1]` multiplies the current input: PyTorch cross-correlation
    orientation.) A call with T = 1 and a state is the decode step.

    Invariants:
    * C1: input is rank 3, weight rank 2 with `weight.dim(0) == D`, W ≥ 1.
    * C2: bias, when present, is `[D]`.
    * C3: state, when present, is `[B, W−1, D]`, and then a final state of the
      same type is returned (and only then).
    * C4: the output has the type of the input.

    Example:
    ```mlir
    %y, %s = hymir.causal_conv1d %x, %w bias(%b) state(%s0) {activation = #hymir.activation<silu>}
        : tensor<?x?x36xf32>, tensor<36x4xf32>, tensor<36xf32>, tensor<?x3x36xf32>
        -> tensor<?x?x36xf32>, tensor<?x3x36xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input, Hymir_FloatTensor:$weight,
                       Optional<Hymir_FloatTensor>:$bias,
                       Optional<Hymir_FloatTensor>:$state,
                       DefaultValuedAttr<Hymir_ActivationAttr,
                                         "::hymir::Activation::none">:$activation);
  let results = (outs Hymir_FloatTensor:$output,
                      Optional<Hymir_FloatTensor>:$final_state);
  // The bias and state types are optional groups of one comma-separated list;
  // `(`,` type($bias)^)?` would take a lone state type for the bias, so the
  // list is parsed against the operands actually present (same syntax).
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? (`state` `(` $state^ `)`)?
    attr-dict `:` type($input) `,` type($weight) ``
    custom<ConvOperandTypes>(ref($bias), ref($state), type($bias), type($state))
    `->` type($output) (`,` type($final_state)^)?
  }];
  let hasVerifier = 1;
}

class Hymir_NormOp<string mnemonic>
    : Hymir_Op<mnemonic, [Pure, AllTypesMatch<["input", "result"]>]> {
  let hasVerifier = 1;
}

def Hymir_L2NormOp : Hymir_NormOp<"l2_norm"> {
  let summary = "L2 normalisation over the last dimension";
  let description = [{
    `y = x / sqrt(Σ_i x_i² + eps)` over the last dimension (eps inside the sqrt,
    fla's convention). Works on whole sequences and on per-step vectors.

    Invariants: C1: the result type equals the operand type; C2: eps ≥ 0.

    Example:
    ```mlir
    %y = hymir.l2_norm %q {eps = 1.0e-06 : f32} : tensor<?x?x2x12xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Hymir_LayerNormOp : Hymir_NormOp<"layer_norm"> {
  let summary = "layer normalisation without affine over the last dimension";
  let description = [{
    `y = (x − mean(x)) / sqrt(var(x) + eps)` over the last dimension, biased
    variance, no affine (apply weight and bias with `arith` around it).

    Invariants: C1: the result type equals the operand type; C2: eps ≥ 0.

    Example:
    ```mlir
    %y = hymir.layer_norm %z {eps = 1.0e-06 : f32} : tensor<20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Hymir_RMSNormOp : Hymir_NormOp<"rms_norm"> {
  let summary = "RMS normalisation with a weight over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x²) + eps) ⊙ weight` over the last dimension, `weight`
    of shape `[D]` broadcast over the leading dimensions.

    Invariants: C1: the result type equals the input type; C2: the weight is
    1-D and matches the last dimension; C3: eps ≥ 0.

    Example:
    ```mlir
    %y = hymir.rms_norm %x, %w {eps = 1.0e-06 : f32} : tensor<?x?x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input, Hymir_FloatTensor:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-6">:$eps);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` type($input) `,` type($weight)";
}

//===----------------------------------------------------------------------===//
// Scan and recurrence
//===----------------------------------------------------------------------===//

class Hymir_StepOp<string mnemonic, list<Trait> traits = []>
    : Hymir_Op<mnemonic, !listconcat(traits, [
        RecursiveMemoryEffects, AttrSizedOperandSegments,
        AttrSizedResultSegments,
        SingleBlockImplicitTerminator<"YieldOp">])> {
  let arguments = (ins Variadic<Hymir_FloatTensor>:$inputs,
                       Variadic<Hymir_FloatTensor>:$params,
                       Variadic<Hymir_FloatTensor>:$inits,
                       OptionalAttr<I64Attr>:$heads);
  let results = (outs Variadic<Hymir_FloatTensor>:$outputs,
                      Variadic<Hymir_FloatTensor>:$finals);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;  // Three operand groups and a step region.
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;  // Drop unused outputs (HymirCanonicalize.cpp).
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$outputTypes, "::mlir::ValueRange":$inputs,
                   "::mlir::ValueRange":$params, "::mlir::ValueRange":$inits,
                   "std::optional<int64_t>":$heads)>
  ];
  code extraStepClassDeclaration = [{
    /// Body of one time step.
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// True if the body takes the absolute time index as its first argument.
    bool hasTimeIndex();
    /// Block arguments of the step: per-step inputs, params and states.
    ::mlir::Block::BlockArgListType getInputArgs();
    ::mlir::Block::BlockArgListType getParamArgs();
    ::mlir::Block::BlockArgListType getStateArgs();
    /// Yielded per-step outputs and new states.
    ::mlir::OperandRange getYieldedOutputs();
    ::mlir::OperandRange getYieldedStates();
  }];
  code stepDescription = [{
    Operands, with `heads = H`:
    * `ins`: per-step sequences `[B, T, Hx, d...]`, `H % Hx == 0`; head `h`
      reads `h // (H / Hx)` (block mapping: GQA/GVA, Mamba B/C groups). The body
      sees `d...` (`f32` when `d...` is empty).
    * `params`: per-head parameters `[Hp, d...]`, `H % Hp == 0`; the body sees
      `d...` of head `h // (H / Hp)`.
    * `inits`: initial states `[B, H, d...]`; the body sees `d...`.
    Without `heads`, the head axis is absent everywhere (`[B, T, d...]`,
    `[d...]`, `[B, d...]`). Results: one output `[B, T, (H,) o...]` per yielded
    output, then the final states, of the init types.

    The body's block arguments are: an optional `index` (the absolute time step
    `t`, counted from 0 in each call), then one per input, param and state. It
    yields the step's outputs, then the new states.

    Common invariants:
    * C1: at least one input; every per-step dim is static.
    * C2: inputs are `[B, T, (Hx,) ...]`, agreeing on B and T; with heads,
      `H % Hx == 0`.
    * C3: params are `[(Hp,) ...]`; with heads, `H % Hp == 0`.
    * C4: inits are `[B, (H,) ...]` and the finals have the init types;
      float states are f32 or f64 (DESIGN §2: state and accumulation in f32
      whatever the input type; bf16/f16 inputs are widened in the body).
    * C5: outputs are `[B, T, (H,) ...]`.
    * C6: block arguments match the per-step types (optional leading index).
    * C7: the yield carries one value per output and per state, with the
      per-step types.
    * C8: `heads` ≥ 1 when present.
  }];
}

def Hymir_ScanOp : Hymir_StepOp<"scan"> {
  let summary = "linear recurrence declared by the body of one time step";
  let description = !strconcat([{
    A linear recurrence over time. For each batch element and head, with
    `S_{−1} = init`:
    ```
    (o_t, S_t) = body(t, x_t, params, S_{t−1})      for t = 0 … T−1
    ```
    and the results are all `o_t` and the final `S_{T−1}`. The body is written
    with `hymir.scale`, `hymir.outer`, `hymir.read`, `hymir.dot`, `hymir.sum`,
    `hymir.mix`, `hymir.rotary`, norms and `arith`/`math`/`tensor` ops on
    per-step values.

    The new state must be **affine in the old state**: `S_t = A_t(S_{t−1}) +
    U_t` where `A_t` and `U_t` may depend on anything but the state. A tuple
    state is analysed as a graph of its components: a component whose update
    reads only itself and the inputs (and earlier components) is computed first
    and acts as an input of the others; such a prefix component may be the
    associative max-plus form `max(s + a, b)` (mLSTM's stabiliser) or the
    modular sum `(s + a) mod c` written with `floor` (Mamba-3's angle). Each
    remaining component must be affine in itself. Outputs are unrestricted
    functions of the states. The `hymir-normalize` pass classifies the
    transition and records `transition = #hymir.transition<...>`.

  }], stepDescription, [{
    * C9 (scan): every state component's update is affine in its own strongly
      connected group of components, or a recognised associative prefix form;
      otherwise the offending op is reported.

    Example (gated delta rule, GVA 2:4):
    ```mlir
    %o, %s = hymir.scan heads = 4
        ins(%q, %k, %v, %g, %beta : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
            tensor<?x?x4x20xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
        inits(%s0 : tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>) {
    ^bb0(%qt: tensor<12xf32>, %kt: tensor<12xf32>, %vt: tensor<20xf32>,
         %gt: f32, %bt: f32, %st: tensor<12x20xf32>):
      %a = math.exp %gt : f32
      %sd = hymir.scale %st, %a : tensor<12x20xf32>, f32
      %p = hymir.read %sd, %kt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
      %e = arith.subf %vt, %p : tensor<20xf32>
      %u = hymir.scale %e, %bt : tensor<20xf32>, f32
      %ku = hymir.outer %kt, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
      %sn = arith.addf %sd, %ku : tensor<12x20xf32>
      %ot = hymir.read %sn, %qt : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
      hymir.yield %ot, %sn : tensor<20xf32>, tensor<12x20xf32>
    }
    ```
  }]);
  let extraClassDeclaration = extraStepClassDeclaration;
}

def Hymir_RecurrenceOp : Hymir_StepOp<"recurrence"> {
  let summary = "non-linear recurrence given by a step function";
  let description = !strconcat([{
    A recurrence `(o_t, S_t) = step(t, x_t, params, S_{t−1})` with an arbitrary
    step function (sLSTM, LSTM/GRU, TTT with a norm inside). No linearity is
    required; it is executed sequentially in time and in parallel over batch
    and heads, with the states kept on chip.

  }], stepDescription, [{

    Example (a gated RNN cell):
    ```mlir
    %h, %hT = hymir.recurrence ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
        -> (tensor<?x?x8xf32>) {
    ^bb0(%xt: tensor<8xf32>, %ht: tensor<8xf32>):
      %s = arith.addf %xt, %ht : tensor<8xf32>
      %n = math.tanh %s : tensor<8xf32>
      hymir.yield %n, %n : tensor<8xf32>, tensor<8xf32>
    }
    ```
  }]);
  let extraClassDeclaration = extraStepClassDeclaration;
}

def Hymir_YieldOp : Hymir_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["ScanOp", "RecurrenceOp", "AttentionOp"]>]> {
  let summary = "yields the values of one step or a modified score";
  let description = [{
    Terminates a `hymir.scan` or `hymir.recurrence` body (the step's outputs,
    then its new states) or a `score_mod` region (the modified score).

    Example:
    ```mlir
    hymir.yield %o, %s : tensor<20xf32>, tensor<12x20xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, ::mlir::ValueRange()); }]>];
}

//===----------------------------------------------------------------------===//
// State algebra: per-step operations used inside scan and recurrence bodies
//===----------------------------------------------------------------------===//

def Hymir_ScaleOp : Hymir_Op<"scale", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "multiply a tensor by a scalar, or a matrix by a per-row/per-column factor";
  let description = [{
    * scalar factor: `y = f · x` for any tensor `x`;
    * 1-D factor `along rows`: `y[i, j] = f[i] · x[i, j]` (per key: `diag(f) S`);
    * 1-D factor `along cols`: `y[i, j] = f[j] · x[i, j]` (per value: `S diag(f)`).
    An element-wise factor of the same shape is plain `arith.mulf`.

    Invariants:
    * C1: the result type equals the type of `x`; element types agree.
    * C2: a scalar factor takes no axis; a 1-D factor requires an axis and a
      2-D `x`, and its size matches that axis.

    Example:
    ```mlir
    %sd = hymir.scale %s, %a along rows : tensor<12x20xf32>, tensor<12xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input, Hymir_FloatOrTensor:$factor,
                       OptionalAttr<Hymir_AxisAttr>:$axis);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $factor (`along` $axis^)? attr-dict `:` type($input) `,` type($factor)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;  // scale of scale by constants (HymirCanonicalize.cpp).
}

def Hymir_OuterOp : Hymir_Op<"outer", [Pure]> {
  let summary = "outer product k ⊗ v, or a sum of R outer products";
  let description = [{
    With 1-D operands `a [K]`, `b [V]`: `y[i, j] = a[i] · b[j]` (`a ⊗ b = a bᵀ`).
    With 2-D operands `a [R, K]`, `b [R, V]`: `y = Σ_r a[r] ⊗ b[r]` (rank R).

    Invariants:
    * C1: both operands are 1-D, or both 2-D with the same R.
    * C2: the result is `[K, V]` with the operands' element type.

    Example:
    ```mlir
    %kv = hymir.outer %k, %v : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$lhs, Hymir_FloatTensor:$rhs);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Hymir_ReadOp : Hymir_Op<"read", [Pure]> {
  let summary = "read a matrix state with a vector: Sᵀq or S x";
  let description = [{
    * `along rows` (default): contracts the key axis, `y[j] = Σ_i S[i, j] x[i]`
      (`y = Sᵀx`: the usual `o = Sᵀq` read of a key-major state);
    * `along cols`: contracts the value axis, `y[i] = Σ_j S[i, j] x[j]`
      (`y = S x`).

    Invariants:
    * C1: `state` is 2-D and `x` 1-D with the size of the contracted axis.
    * C2: the result is 1-D with the size of the other axis.

    Example:
    ```mlir
    %o = hymir.read %s, %q : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$state, Hymir_FloatTensor:$vector,
                       DefaultValuedAttr<Hymir_AxisAttr, "::hymir::Axis::rows">:$axis);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = [{
    $state `,` $vector (`along` $axis^)? attr-dict `:` type($state) `,`
    type($vector) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Hymir_DotOp : Hymir_Op<"dot", [Pure]> {
  let summary = "inner product of two tensors of the same shape";
  let description = [{
    `y = Σ_i a_i b_i` over all elements.

    Invariants: C1: operands have the same shape; C2: the result is their
    element type.

    Example:
    ```mlir
    %d = hymir.dot %q, %k : tensor<12xf32>, tensor<12xf32> -> f32
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$lhs, Hymir_FloatTensor:$rhs);
  let results = (outs Hymir_Float:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Hymir_SumOp : Hymir_Op<"sum", [Pure]> {
  let summary = "sum of all elements of a tensor";
  let description = [{
    `y = Σ_i x_i`.

    Invariants: C1: the result is the element type of the operand.

    Example:
    ```mlir
    %s = hymir.sum %x : tensor<20xf32> -> f32
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input);
  let results = (outs Hymir_Float:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Hymir_MixOp : Hymir_Op<"mix", [Pure]> {
  let summary = "mix an array of states with a matrix over its leading axis";
  let description = [{
    `y[a, ...] = Σ_l M[a, l] · x[l, ...]`: applies a `[A, L]` matrix to the
    leading axis of `x [L, ...]`. With a state-independent `M` this is a linear
    map of an array of states (the level merges of log-linear attention).

    Invariants:
    * C1: `matrix` is 2-D with `matrix.dim(1) == input.dim(0)`.
    * C2: the result is `input` with its leading dim replaced by `matrix.dim(0)`.

    Example:
    ```mlir
    %y = hymir.mix %m, %s : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$matrix, Hymir_FloatTensor:$input);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = [{
    $matrix `,` $input attr-dict `:` type($matrix) `,` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Hymir_RotaryOp : Hymir_Op<"rotary", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotate pairs of the last dimension by given angles";
  let description = [{
    For `x [..., N]` and `angles [..., R]` with `2R ≤ N`, rotates R pairs of
    the last dimension and leaves the rest unchanged. Interleaved pairs
    (`interleaved`): pair `i` is `(2i, 2i+1)`; otherwise (rotate-half): pair
    `i` is `(i, i + R)`. Each pair `(a, b)` becomes
    `(a cos φ_i − b sin φ_i, a sin φ_i + b cos φ_i)`.

    Invariants:
    * C1: the result type equals the type of `x`.
    * C2: `angles` has the rank of `x`, the same leading dims, and `2R ≤ N`.

    Example:
    ```mlir
    %r = hymir.rotary %k, %phi {interleaved} : tensor<12xf32>, tensor<3xf32>
    ```
  }];
  let arguments = (ins Hymir_FloatTensor:$input, Hymir_FloatTensor:$angles,
                       UnitAttr:$interleaved);
  let results = (outs Hymir_FloatTensor:$result);
  let assemblyFormat = "$input `,` $angles attr-dict `:` type($input) `,` type($angles)";
  let hasVerifier = 1;
}

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIROPS_TD
