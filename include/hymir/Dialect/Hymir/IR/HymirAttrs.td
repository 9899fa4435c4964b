//===- HymirAttrs.td - Hymir enums and attributes -----------*- tablegen -*-===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_TD
#define HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_TD

include "hymir/Dialect/Hymir/IR/HymirBase.td"
include "mlir/IR/EnumAttr.td"

// Activation applied by ops that fuse one (causal_conv1d).
def Hymir_Activation : I32EnumAttr<"Activation", "activation function", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"silu", 1>]> {
  let cppNamespace = "::hymir";
  let genSpecializedAttr = 0;
}
def Hymir_ActivationAttr : EnumAttr<Hymir_Dialect, Hymir_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";  // #hymir.activation<silu>
}

// Which axis of a matrix a per-axis operation acts along.
def Hymir_Axis : I32EnumAttr<"Axis", "matrix axis", [
    I32EnumAttrCase<"rows", 0>, I32EnumAttrCase<"cols", 1>]> {
  let cppNamespace = "::hymir";
  let genSpecializedAttr = 0;
}
def Hymir_AxisAttr : EnumAttr<Hymir_Dialect, Hymir_Axis, "axis">;

// The transition classes of OPS.md §18.1 (T0 .. T4).
def Hymir_TransitionClass : I32EnumAttr<"TransitionClass", "scan transition class", [
    I32EnumAttrCase<"identity", 0>,     // T0: S
    I32EnumAttrCase<"scalar", 1>,       // T1: a_t S
    I32EnumAttrCase<"diagonal", 2>,     // T2: diag(a_t) S or S diag(b_t)
    I32EnumAttrCase<"elementwise", 3>,  // T2': Λ_t ⊙ S on a matrix state
    I32EnumAttrCase<"vector", 4>,       // T2'': a_t ⊙ h on a vector state
    I32EnumAttrCase<"dplr", 5>,         // T3: (D_t + u_t w_tᵀ) S
    I32EnumAttrCase<"rank_n", 6>,       // T4: several rank-1 corrections
    I32EnumAttrCase<"general", 7>       // affine, but of no structured class
  ]> {
  let cppNamespace = "::hymir";
  let genSpecializedAttr = 0;
}

// The shape of the decay factor that multiplies the state.
def Hymir_Decay : I32EnumAttr<"Decay", "decay factor shape", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"scalar", 1>,
    I32EnumAttrCase<"rows", 2>, I32EnumAttrCase<"cols", 3>,
    I32EnumAttrCase<"full", 4>]> {
  let cppNamespace = "::hymir";
  let genSpecializedAttr = 0;
}

// Which state the outputs read: before the update, after it, or none.
def Hymir_ReadPoint : I32EnumAttr<"ReadPoint", "state read point", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"pre", 1>,
    I32EnumAttrCase<"post", 2>]> {
  let cppNamespace = "::hymir";
  let genSpecializedAttr = 0;
}

def Hymir_TransitionAttr : Hymir_Attr<"Transition", "transition"> {
  let summary = "the classified transition of a hymir.scan";
  let description = [{
    Recorded by `hymir-normalize` on every `hymir.scan`. Describes the transition
    of the scan's primary state (the state component of highest rank):

    * `class`: OPS.md §18.1 class (`identity`, `scalar`, `diagonal`,
      `elementwise`, `vector`, `dplr`, `rank_n`), or `general` for an affine
      body of no structured class (compiled by the sequential fallback);
    * `decay`: shape of the multiplicative factor (`none`, `scalar`, `rows`
      = per key, `cols` = per value, `full`);
    * `correction_rank`: number of state-dependent rank-1 terms per step (the
      `u wᵀ S` part of the delta family);
    * `update_rank`: rank of the state-independent update (`k ⊗ v` is 1; a
      two-tap trapezoid update is 2);
    * `read`: whether outputs read the state before (`pre`) or after (`post`)
      the update;
    * `levels`: number of levels when the state is an array of states mixed by
      a state-independent matrix (log-linear attention), else 0;
    * `prefix`: number of state components computed first as their own
      associative scan (mLSTM's stabiliser, Mamba-3's angle and lag states).

    Example: `#hymir.transition<dplr, decay = scalar, correction_rank = 1,
    update_rank = 1, read = post, levels = 0, prefix = 0>`
  }];
  let parameters = (ins
    EnumParameter<Hymir_TransitionClass>:$kind,
    EnumParameter<Hymir_Decay>:$decay,
    "int64_t":$correction_rank,
    "int64_t":$update_rank,
    EnumParameter<Hymir_ReadPoint>:$read,
    "int64_t":$levels,
    "int64_t":$prefix);
  let assemblyFormat = [{
    `<` $kind `,` `decay` `=` $decay `,` `correction_rank` `=` $correction_rank
    `,` `update_rank` `=` $update_rank `,` `read` `=` $read
    `,` `levels` `=` $levels `,` `prefix` `=` $prefix `>`
  }];
}

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_TD
