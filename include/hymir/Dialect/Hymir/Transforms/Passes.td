//===- Passes.td - Hymir dialect passes ---------------------*- tablegen -*-===//

#ifndef HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_TD
#define HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NormalizePass : Pass<"hymir-normalize"> {
  let summary = "classify every scan's transition and canonicalize mixers";
  let description = [{
    Stage [2] of the pipelines. For every `hymir.scan`, runs the linearity and
    structure analysis and records the result as the `transition` attribute
    (`#hymir.transition<class, ...>`, OPS.md §18.1), which later stages use to
    choose the chunked algorithm. Existing `transition` attributes are
    recomputed, so the attribute always describes the current body.

    Before:
    ```mlir
    %o, %s = hymir.scan ins(...) inits(...) -> (...) { ... }
    ```
    After:
    ```mlir
    %o, %s = hymir.scan ins(...) inits(...) -> (...) attributes {transition =
        #hymir.transition<scalar, decay = scalar, correction_rank = 0,
        update_rank = 1, read = post, levels = 0, prefix = 0>} { ... }
    ```
  }];
  let dependentDialects = [];
  let statistics = [
    Statistic<"numScans", "num-scans", "Number of scans classified">
  ];
}

#endif // HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_TD
