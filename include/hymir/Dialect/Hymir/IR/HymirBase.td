//===- HymirBase.td - Hymir dialect definition --------------*- tablegen -*-===//
//
// The hymir dialect: tensor-level token mixers of hybrid sequence models.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIRBASE_TD
#define HYMIR_DIALECT_HYMIR_IR_HYMIRBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Hymir_Dialect : Dialect {
  let name = "hymir";
  let cppNamespace = "::hymir";
  let summary = "token mixers of hybrid sequence models: attention, scans, recurrences";
  let description = [{
    The `hymir` dialect describes the sequence mixers of hybrid language models at
    the tensor level, with value semantics:

    * `hymir.attention` / `hymir.attention_decode`: softmax attention with masks,
      GQA head mapping, softcap and an optional `score_mod` region;
    * `hymir.scan`: a linear recurrence written as the body of one time step in a
      small state algebra (`hymir.scale`, `hymir.outer`, `hymir.read`, ...). The
      verifier proves the body affine in its state and the `hymir-normalize`
      pass records the transition class (OPS.md §18.1) on the op;
    * `hymir.recurrence`: a non-linear recurrence given as a step function;
    * `hymir.causal_conv1d` and a few norms that fusion needs by name.

    Conventions: layout `[batch, time, heads, dim]`; matrix states key-major
    `[batch, heads, K, V]`, read as `o = Sᵀq`; gates in natural-log space;
    GQA/GVA head mapping is block mapping (`h_small = h // (H / H_small)`).
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 0;
}

class Hymir_Op<string mnemonic, list<Trait> traits = []>
    : Op<Hymir_Dialect, mnemonic, traits>;

class Hymir_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Hymir_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIRBASE_TD
