//===- Passes.td - Hymir cross-dialect transforms -----------*- tablegen -*-===//
//
// Transforms that are not one dialect's business: the passes of the CPU
// pipeline that make the sequential fallback's loops cheap. Alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TRANSFORMS_PASSES_TD
#define HYMIR_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldStateCopiesPass
    : Pass<"hymir-fold-state-copies", "mlir::func::FuncOp"> {
  let summary = "make element-wise producers of a loop-carried state write "
                "into the carried tensor instead of being copied into it";
  let description = [{
    Lets the last op of a scan step write the new state straight into the
    carried one: `linalg.copy ins(%x) outs(%state)` (how the sequential
    fallback hands a new state back to the time loop), where `%state` is an
    `scf.for` iter_arg and `%x` an element-wise `linalg.generic` of the same
    block that never reads its own init, becomes that generic with `%state`
    as its init. Both forms have the same values; the second lets
    bufferization update the state in place (or, where the old state is still
    read afterwards, copy as before) instead of computing into a temporary and
    copying it over.

    Before:
    ```mlir
    %n = linalg.generic ... ins(%s, %k, %v) outs(%empty) { ... }
    %c = linalg.copy ins(%n) outs(%s)
    ```
    After:
    ```mlir
    %n = linalg.generic ... ins(%s, %k, %v) outs(%s) { ... }
    ```
  }];
}

def FuseElementwisePass
    : Pass<"hymir-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "fuse single-use element-wise linalg.generic producers into "
                "their consumers";
  let description = [{
    Upstream's element-wise fusion patterns, restricted to producers whose
    only user is the consumer: in a scan step, `exp(g) S + k ⊗ v` becomes one
    loop nest over the state instead of three, with no temporaries. The
    arithmetic of every element is unchanged (same ops, same order), so the
    results are bit-identical to the unfused code.

    Fusing into several users would recompute the producer in each, and a
    user that recomputes the state update from the old state after it was
    updated in place forces bufferization to keep a copy of the old state.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect"];
}

def HoistLoopBuffersPass
    : Pass<"hymir-hoist-loop-buffers", "mlir::func::FuncOp"> {
  let summary = "allocate the static-size buffers of scf.for bodies once per "
                "loop instead of once per iteration";
  let description = [{
    An allocation with static sizes in an `scf.for` body that is freed,
    unconditionally, at the end of that same body (what bufferization makes
    of the temporaries of a scan step) is allocated once before the loop and
    freed after it. Each iteration then reuses one buffer: a fresh allocation
    has undefined contents anyway, and the buffer is dead between iterations
    (no view of it is yielded). Repeated up to the first enclosing op that is
    not an `scf.for` (the `scf.forall` of the (b, h) loop, a function):
    buffers never leave the parallel iteration that owns them.
  }];
}

#endif // HYMIR_TRANSFORMS_PASSES_TD
