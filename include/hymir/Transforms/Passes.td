//===- Passes.td - Hymir cross-dialect transforms -----------*- tablegen -*-===//
//
// Transforms that are not one dialect's business: the chunked scan algorithms
// (DESIGN §1 stage [4]) and the passes of the CPU pipeline that make the
// sequential fallback's loops cheap. Alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TRANSFORMS_PASSES_TD
#define HYMIR_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ChunkScansPass : Pass<"hymir-chunk-scans", "mlir::ModuleOp"> {
  let summary = "rewrite identity-, scalar-, diagonal-, delta-rule and "
                "diagonal-plus-low-rank scans into chunked forms";
  let description = [{
    Stage [4] of DESIGN §1 for OPS.md §18.1's classes T0 (`identity`) and T1
    (`scalar`), the algorithm of OPS.md §18.3. Needs the `transition`
    attribute of `hymir-normalize`. A scan whose body has the shape

    ```
    S_t = a_t S_{t−1} + k_t ⊗ v_t          (a_t = 1 for identity)
    o_t = S_tᵀ q_t [+ e_t]
    ```

    with `a_t = exp(x_t)` or a positive constant (parameter or literal), one
    f32 matrix state and one output, becomes, per (batch, head) and per chunk
    of C steps (`scf.forall` over batch × heads, `scf.for` over chunks
    carrying the state):

    1. prepare: the state-independent part of the body, cloned, computes
       q, k, v, the log-decay g = log a and e for the chunk's steps into C-row
       tensors (zero rows past the end of the sequence: a masked tail that
       neither decays nor feeds the state); G = cumsum(g) within the chunk;
    2. output: `O = ((Q Kᵀ) ∘ M) V + diag(e^G) Q S + E` with the causal decay
       mask `M[i, j] = e^{G_i − G_j}` for j ≤ i, else 0;
    3. state: `S ← e^{G_{C−1}} S + (diag(e^{G_{C−1} − G}) K)ᵀ V`.

    The delta rule (class T3 `dplr` with decay none or scalar and correction
    rank 1: DeltaNet, Gated DeltaNet),

    ```
    S' = a_t S_{t−1};  S_t = S' + k_t ⊗ β_t (v_t − S'ᵀ k_t);  o_t = S_tᵀ q_t
    ```

    takes the same steps with V replaced by the UT/WY pseudo-values
    `V' = L diag(β) V − L diag(β e^G) K S`, `L = (I + A)⁻¹` by forward
    substitution, `A` the strictly lower part of `diag(β) (K Kᵀ ∘ M)`. With
    tensor rows and `blocked-inverse` (C a power of two), L is built by
    doubling diagonal blocks instead: from L = I, each of log₂ C levels sets
    every pair's lower-left block to `L₂₁ = −L₂₂ A₂₁ L₁₁`, two products
    whose entries a GPU block's threads share.

    The diagonal class (T2, decay rows: GLA, RWKV-6 with its read of
    `S_{t−1}` and state-independent bonus) with `S_t = diag(exp(x_t)) S_{t−1}
    + k_t ⊗ v_t` has a cumulative log-decay per key `G [C, K]`; its scores
    are built by halving the chunk, each lower-left quadrant one product with
    a reference row between its rows and columns (every exponent ≤ 0), the
    diagonal sub-chunks (≤ 8) with an exponential per term. It runs chunks of
    at most 32, on targets with vector rows only. The delta rule with such a
    decay before its correction (`dplr`, decay rows: KDA) takes the UT/WY
    transform on those scores, `A = strictly-lower(diag(β) K Kᵀ)` with the
    decay inside the sum and `V' = L diag(β) V − L diag(β) (K ∘ e^G) S`,
    then the diagonal form with V'.

    The general diagonal-plus-low-rank transition (`dplr`, decay rows:
    RWKV-7), `S_t = diag(exp(x_t)) S_{t−1} + b_t ⊗ (Sᵀ a_t) + k_t ⊗ v_t` with
    S the previous or the decayed state and state-independent a, b, k, v,
    q (and e), solves per chunk `(I − A_ab) U = A_ak V + (A ∘ e^{Ga}) S` for
    the corrections U (forward substitution; `A_xy` the decayed scores with
    the corrections' exponents, strict), then
    `O = E + (Q ∘ e^G) S + A_qk V + A_qb U` and
    `S ← diag(e^{G_{C−1}}) S + (K ∘ e^{G_{C−1} − G})ᵀ V + (B ∘ e^{G_{C−1} − G})ᵀ U`.
    Its scores are element-wise in the exponent over the whole chunk, which
    is at most 8 steps; vector rows only.

    The matrix products are `linalg.generic`s tagged `hymir.chunk_matmul`
    (plus `hymir.lower_triangular_result` / `hymir.lower_triangular_lhs` where
    the causal mask makes half of them zero) for
    `hymir-vectorize-chunk-matmuls`; left as generics, their loops are ordered
    for LLVM's vectorizer (innermost loop contiguous, `contract`/`reassoc`
    fast-math flags). The decay mask is built row by row as `vector<C>`, and
    the exponentials of the chunk algebra use MLIR's polynomial `exp` (a few
    ulp) so that they vectorize; the body's own ops are cloned unchanged.
    GQA/GVA heads are read by the scan's block mapping, like the sequential
    fallback; with `share-group-scores`, heads whose queries and keys come
    from one group share Q Kᵀ (and K Kᵀ), computed once per (batch, group,
    chunk) before the per-head loops.

    With `parallel-chunks` (tensor rows only; not the diagonal class) the
    form is two loop nests: a state pass per (batch, head, tile), the chunk
    loop with only what the state needs, recording each chunk's incoming
    state (and the delta rule's V') in a workspace; then an `scf.forall`
    over (batch, head, tile, chunk) that computes every chunk's output from
    its recorded state, all in parallel. A scan of any other class or shape is left alone (it takes the
    sequential fallback); with `remarks`, a remark on the scan says which
    form it gets and why.
  }];
  let options = [
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"64",
           "Steps per chunk; 0 leaves every scan to the sequential fallback">,
    Option<"diagonalChunkSize", "diagonal-chunk-size", "int64_t",
           /*default=*/"0",
           "Steps per chunk of the diagonal forms (GLA, RWKV-6, KDA); 0: "
           "chunk-size. Either way at most 32">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on every scan: chunked, or why not">,
    Option<"polynomialExp", "polynomial-exp", "bool", /*default=*/"true",
           "The chunk algebra's exponentials as vectorizable polynomials "
           "(CPU); false keeps math.exp (GPU: libdevice's __nv_expf)">,
    Option<"vectorRows", "vector-rows", "bool", /*default=*/"true",
           "Build chunk rows and masks as vector<C> (CPU); false: as tensor "
           "ops whose loops a GPU kernel spreads over threads">,
    Option<"blockedInverse", "blocked-inverse", "::hymir::BlockedInverse",
           /*default=*/"::hymir::BlockedInverse::Off",
           "With tensor rows: the delta rule's (I + A)^-1 by doubling "
           "diagonal blocks (log2(C) levels of two products over all "
           "entries) "
           "instead of C rows of forward substitution; C a power of two",
           [{::hymir::blockedInverseValues()}]>,
    Option<"valueTile", "value-tile", "int64_t", /*default=*/"0",
           "Split the value columns into independent tiles of about this "
           "many columns (the most tiles up to ceil(V / value-tile) that "
           "divide V): more parallel iterations; 0 keeps one">,
    Option<"parallelChunks", "parallel-chunks", "bool", /*default=*/"false",
           "With tensor rows (vector-rows=false): a state pass that records "
           "each chunk's incoming state, then the outputs of all chunks in "
           "parallel (a GPU grid over the chunks); identity, scalar and "
           "delta-rule forms">,
    Option<"outputValueTile", "output-value-tile", "int64_t",
           /*default=*/"-1",
           "With parallel-chunks: value columns per output iteration (as "
           "value-tile, independent of the state pass's); -1: the state "
           "pass's tiles; 0: all columns">,
    Option<"parallelChunkSize", "parallel-chunk-size", "int64_t",
           /*default=*/"0",
           "With parallel-chunks: the chunk length of the scans that take "
           "the parallel form; 0: chunk-size">,
    Option<"shareGroupScores", "share-group-scores", "bool",
           /*default=*/"false",
           "Sequential chunk loop: where heads share their query/key group "
           "(Mamba-2's B/C, grouped-value attention), Q K^T (and the delta "
           "rule's K K^T) of every chunk once per group, in parallel before "
           "the per-head loops, which read them instead of computing them">,
    Option<"narrowStates", "narrow-states", "bool", /*default=*/"false",
           "With parallel-chunks, in functions with bf16/f16 arguments: the "
           "state pass records each chunk's incoming state in bf16 (widened "
           "to f32 where the outputs read it), as fla and mamba_ssm do: half "
           "the bytes of the largest workspace">,
    Option<"onlyNarrowInputs", "only-narrow-inputs", "bool",
           /*default=*/"false",
           "With parallel-chunks: only in functions with bf16/f16 arguments "
           "(where the CUDA pipeline's tensor-cores=auto runs the chunk "
           "products on tensor cores); other functions keep the sequential "
           "chunk loop">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numChunked", "num-chunked", "Number of scans chunked">
  ];
}

def ForwardReadOnlyCopiesPass
    : Pass<"hymir-forward-read-only-copies", "mlir::func::FuncOp"> {
  let summary = "drop tensor copies that are only read and then overwritten "
                "whole";
  let description = [{
    `%c = linalg.copy ins(%x) outs(%y)` whose every use is either a linalg
    input (a read) or the init of a linalg op that writes all of it without
    reading it (a copy, or an element-wise generic with an identity output
    map whose payload ignores its init): the readers take `%x`, which holds
    the same values, the overwriting ops take `%y`, whose values they never
    read, and the copy goes away.

    This is the decode step (T = 1) once canonicalization has removed its
    one-trip time loop. The sequential fallback copies the initial state into
    the result buffer so that the time loop can update it in place; with a
    single step the state is then read once and the new state copied over
    it. Without the first copy the state crosses memory twice (read the
    initial state, write the new one) instead of four times.

    Before:
    ```mlir
    %c = linalg.copy ins(%init) outs(%out)
    %n = linalg.generic ... ins(%c, %k) outs(%empty) { ... }
    %r = linalg.copy ins(%n) outs(%c)
    ```
    After:
    ```mlir
    %n = linalg.generic ... ins(%init, %k) outs(%empty) { ... }
    %r = linalg.copy ins(%n) outs(%out)
    ```
  }];
}

def FuseStateReadsPass
    : Pass<"hymir-fuse-state-reads", "mlir::func::FuncOp"> {
  let summary = "compute a read of an element-wise result in the loop nest "
                "that produces it, as a second output";
  let description = [{
    `%n = linalg.generic` element-wise over `(d0, d1)` (identity output map)
    and `%r = linalg.generic` over the same shape with loops `(reduction,
    parallel)` that reads `%n` point-wise and `%n`'s other uses all after
    `%r`: one generic with `%r`'s loops and both outputs, `%n` yielded as it
    is computed and `%r` accumulated from that value. Every element gets the
    same operations in the same order as before, so results are
    bit-identical.

    This is the decode step on the CPU: the update `S_new = a S + k ⊗ u` and
    the output read `o = S_newᵀq` become one pass over the state instead of
    two (the state written once, never read back).

    Before:
    ```mlir
    %n = linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%s, %k, %u) outs(%slice) { ... yield %v }
    %o = linalg.generic {iterator_types = ["reduction", "parallel"]}
        ins(%n, %q) outs(%acc) { ... }
    ```
    After:
    ```mlir
    %f:2 = linalg.generic {iterator_types = ["reduction", "parallel"]}
        ins(%s, %k, %u, %q) outs(%slice, %acc) { ... yield %v, %o }
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CopyIntoProducersPass
    : Pass<"hymir-copy-into-producers", "mlir::func::FuncOp"> {
  let summary = "write an element-wise result that is copied into a parallel "
                "loop's result slice there directly (a second output, or "
                "with in-place the producer's init)";
  let description = [{
    `%c = linalg.copy ins(%x) outs(%y)` where `%x` is the only result of an
    element-wise `linalg.generic` in the same block (identity output map, no
    reduction) and `%y` a slice of an `scf.forall` shared output defined
    before it: the generic gets `%y` as a second init and yields its value
    to both, and the copy goes away. Its other uses keep reading the first
    result.

    This is the decode step on the GPU: the new state is computed into a
    shared-memory tile that the output read `S_newᵀq` needs, and was then
    copied from there to the result. Writing the result in the same loop
    saves one pass over the tile, its loop and a barrier. The copy into a
    time loop's carried state is left alone (the slice must be of a forall
    result, not a loop's iter_arg, which the generic would read too).

    Before:
    ```mlir
    %n = linalg.generic ... ins(%s, %k, %u) outs(%empty) { ... yield %v }
    %o = linalg.generic ... ins(%n, %q) ...       // S_newᵀq
    %c = linalg.copy ins(%n) outs(%slice)
    ```
    After:
    ```mlir
    %n:2 = linalg.generic ... ins(%s, %k, %u) outs(%empty, %slice) { ... yield %v, %v }
    %o = linalg.generic ... ins(%n#0, %q) ...
    ```

    With `in-place` (the CPU pipeline), a producer whose init is a
    `tensor.empty` takes `%y` as that init instead: the decode step's new
    state is computed straight into the result, with no temporary state
    buffer (64 KiB per (batch, head) at K = V = 128) and no copy pass.
  }];
  let options = [
    Option<"inPlace", "in-place", "bool", /*default=*/"false",
           "A producer whose init is a tensor.empty writes the slice itself "
           "instead of a second output (the CPU: the new state is read back "
           "from cache either way)">,
  ];
}

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

def PromoteLoopAccumulatorsPass
    : Pass<"hymir-promote-loop-accumulators", "mlir::func::FuncOp"> {
  let summary = "keep the accumulator of a reduction loop in a register "
                "(an iter_arg) instead of memory";
  let description = [{
    A reduction lowered to loops (`convert-linalg-to-parallel-loops`) loads
    and stores its accumulator on every iteration. For an `scf.for` whose
    body loads and then stores the same memref element, at indices defined
    outside the loop, with no other access in the loop to memory that may
    alias it (distinct allocations never do), the value becomes an iter_arg:
    loaded once before the loop, stored once after. On the GPU this turns a
    memory round trip per term into a register FMA chain; LLVM cannot do it
    there itself, because by then every kernel temporary is a view of one
    workspace.

    Before:
    ```mlir
    scf.for %k = %c0 to %c128 step %c1 {
      %x = memref.load %acc[%i] : memref<64xf32>
      %y = ...
      memref.store %y, %acc[%i] : memref<64xf32>
    }
    ```
    After:
    ```mlir
    %x0 = memref.load %acc[%i] : memref<64xf32>
    %r = scf.for %k = %c0 to %c128 step %c1 iter_args(%x = %x0) -> (f32) {
      %y = ...
      scf.yield %y : f32
    }
    memref.store %r, %acc[%i] : memref<64xf32>
    ```
  }];
  let statistics = [
    Statistic<"numPromoted", "num-promoted", "Accumulators promoted">
  ];
}

def BubbleUpSlicesPass
    : Pass<"hymir-bubble-up-slices", "mlir::func::FuncOp"> {
  let summary = "compute only the slice of an element-wise result that is used";
  let description = [{
    `tensor.extract_slice` of an element-wise `linalg.generic`'s result
    becomes the generic on slices of its operands (upstream's bubble-up
    patterns). A chunked scan split into value tiles takes a tile's columns
    of each step's value row: on the GPU the row was widened from bf16 in
    full, into a temporary, and then copied; after this pass only the tile's
    columns are widened, straight into the chunk (with
    `eliminate-empty-tensors`), and the step loop no longer writes a buffer
    that every iteration shares.

    Before:
    ```mlir
    %w = linalg.generic ... ins(%v_bf16 : tensor<128xbf16>) outs(%e : tensor<128xf32>) {arith.extf}
    %tile = tensor.extract_slice %w[%c] [32] [1] : tensor<128xf32> to tensor<32xf32>
    ```
    After:
    ```mlir
    %s = tensor.extract_slice %v_bf16[%c] [32] [1] : tensor<128xbf16> to tensor<32xbf16>
    %tile = linalg.generic ... ins(%s : tensor<32xbf16>) outs(...) {arith.extf}
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def FuseIntoMixersPass
    : Pass<"hymir-fuse-into-mixers", "mlir::ModuleOp"> {
  let summary = "pull the per-token producers of scan and recurrence inputs "
                "into the step body (DESIGN stage [3])";
  let description = [{
    A producer of an input of `hymir.scan` or `hymir.recurrence` that the
    step can compute from per-step values moves into the body, so that its
    result is never written out as a whole `[B, T, H, d]` tensor and read
    back: gate activations (`sigmoid(b)`, `A · softplus(a + dt_bias)`), the
    q/k L2 norm, any element-wise map. The step op takes the producer's
    operands instead: tensors of the input's shape become inputs (one that
    already is an input reuses its argument), values broadcast over batch and
    time become params (per head `[Hx, ...]`, or shared by every head as
    `[1, ...]`), splat constants become constants of the step's type. Chains
    are fused one producer at a time, so a chain of element-wise ops ends up
    whole in the body. Results are the same computation on the same values
    (the fused ops run per step instead of per tensor).

    Fused:
    * element-wise `arith` / `math` ops on tensors whose operands have the
      input's shape (or are splat constants);
    * `linalg.generic` with parallel loops only, one result, an unread init,
      a payload of element-wise `arith` / `math` ops on its arguments and
      constants, operands read at the loop point or broadcast over batch and
      time;
    * `hymir.l2_norm`, `hymir.layer_norm`, `hymir.rms_norm` over a per-step
      dim (the RMS norm's weight becomes a shared param).

    Cost model: fusing saves writing the producer's result and reading it
    back (counted as 8 op-equivalents per element); it costs nothing where
    the step computes each element once. Where heads share an input
    (GQA/GVA, Mamba's B/C groups: `H / Hx` = r step heads read one input
    head), the step computes the producer r times; it is fused only if the
    extra work, (r − 1) × its ops per element (a transcendental counts 8, a
    norm 4), is at most those 8. A producer whose result has another user
    stays (fusing would compute it twice), as do producers the step cannot
    compute from one step's values (reductions over time or heads,
    `linalg.index`, convolutions, projections). With `remarks`, each fusion
    and each considered producer left alone is reported at the step op
    (`test/Transforms/fuse-into-mixers.mlir`).

    Consumers (output gate, output norm) stay outside for now: the chunked
    forms take outputs of the form `Sᵀq + e` only.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark for every producer fused, and for every one "
           "considered and left alone, with why">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
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

    Nor where fusion would recompute the producer: into a consumer that
    broadcasts it (reads it with fewer dims than the consumer has loops: the
    l2-normalized query of a decode step, fused into the read `Sᵀq`, cost a
    sqrt and a division per element of the state instead of per key; Mamba's
    `softplus(Δ)` per row, read by every element of the `[D, N]` state, 8×
    the `exp` and `log1p` calls; on the GPU, the decay factor
    `e^{G_last − G_c} K[c, k]` of a chunk's state update, read by the loops
    (k, c, v), an exponential per multiply-add), or, defined outside a loop,
    into a consumer inside it (a parameter computed from a weight, Mamba's
    `A = −exp(A_log)`, would be recomputed on every step).

    With `shared-cheap` (the CPU pipeline), a producer of one arithmetic op
    per element (a decode step's decayed state `a S`) is fused into all its
    users when each reads it point-wise in the same block: it disappears,
    and the state is not written out and read back (docs/decode-cpu.md has
    the figures, with hymir-copy-into-producers{in-place} and
    hymir-fuse-state-reads). On the GPU the users read the state again from
    global memory instead of a tile, which cost more (0.044 → 0.052 ms,
    bench/results/gpu-2026-11-29-decode-shared-cheap.txt), so the CUDA
    pipeline leaves it off.
  }];
  let options = [
    Option<"sharedCheap", "shared-cheap", "bool", /*default=*/"false",
           "Fuse a one-op element-wise producer into all of its users when "
           "each reads it point-wise">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect"];
}

def PrefetchChunkRowsPass
    : Pass<"hymir-prefetch-chunk-rows", "mlir::func::FuncOp"> {
  let summary = "prefetch the next chunk's input rows and the chunk's output "
                "rows of the chunked scans while the products run";
  let description = [{
    On buffers, for every `scf.for` tagged `hymir.chunk_prepare = C` (the
    per-step prepare loop of `hymir-chunk-scans` with vector rows, the CPU):
    each 1-D contiguous f32 row view of a buffer from outside the loop whose
    offsets move with the step gets a `memref.prefetch` (read, locality 2:
    the L2) of every 64-byte line of the same row C steps later, i.e. of the
    next chunk, and of its last element (a row that does not start on a
    line, as a malloc'd input's, spans one line more). The offsets that move
    with the step are clamped to the buffer's last row, so the last chunk
    prefetches nothing past the end.

    Where the prepare loop is followed in its block by the register-tiled
    products' row loops (`hymir.chunk_tiles`, from
    `hymir-vectorize-chunk-matmuls`) with static trip counts, the C steps
    are spread evenly over their iterations (iteration g of N in all
    prefetches the steps [g C / N, (g + 1) C / N)), so that the lines
    arrive while the FMAs run; a burst of them at the top of the prepare
    loop only moved its stalls into the prefetches. The rows that the
    copy-out loop after the products stores to (a 1-D vector written into a
    view of the scan's result at indices that move with the step) are
    prefetched for writing in the same iterations. Without such loops the
    read prefetches go at the top of the prepare loop's body. A prefetch is
    a hint: results do not change.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect"];
}

def PolynomialMathPass
    : Pass<"hymir-polynomial-math", "mlir::ModuleOp"> {
  let summary = "f32 exp, expm1, log, log1p and tanh as polynomials, the "
                "same arithmetic in every copy of a loop";
  let description = [{
    Rewrites the f32 `math.exp`, `math.expm1`, `math.log`, `math.log1p` and
    `math.tanh` of compiled CPU code into MLIR's polynomial approximations
    (at most 4 ulp; `test/Integration/CPU/polynomial-math.mlir` bounds each
    against float64), with their fma and floor as LLVM intrinsics.

    Why not libm and its vector library: LLVM's loop vectorizer turns a loop
    of `expf` calls into calls of libmvec's 8-lane `expf`, which rounds some
    inputs differently from libm's scalar `expf`. Whether a loop runs as its
    vector or its scalar copy then decides the last bits: one loop is
    vectorized inline with one thread and left scalar in the OpenMP body of
    two, and a loop's tail runs scalar. Polynomials are plain fmul, fadd and
    fma, which round the same in every lane and every copy, so compiled code
    gives the same bits at any thread count; and they vectorize in any loop,
    OpenMP bodies included, without a call. Other functions (sin, cos, pow,
    f64) stay libm's and libmvec's.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
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
    buffers never leave the parallel iteration that owns them. With one
    thread `hymir-cpu-pipeline` runs it again once the (b, h) foralls are
    `scf.for` loops, so that their temporaries too are one buffer per call
    (a decode step allocated seven small rows per (sequence, head)).
  }];
}

def NarrowInputsPass : Pass<"hymir-narrow-inputs", "mlir::ModuleOp"> {
  let summary = "take the float activations of public functions in a "
                "narrower type (bf16 inputs, f32 states)";
  let description = [{
    Rewrites every public function so that its float tensor arguments, except
    recurrent states, are taken in `element-type` (bf16 by default): what a
    real model passes (OPS.md §0.1: activations bf16, gates, state and
    accumulation f32). An argument is a state when it reaches an `inits`
    operand of a `hymir.scan` or `hymir.recurrence` (directly or through
    other ops); those, the results and every computation stay f32.

    Each narrowed argument is widened where it is used, never as a whole
    tensor when that can be avoided:

    * an `ins` operand of a scan or recurrence takes the narrow tensor
      (through `tensor.expand_shape` / `collapse_shape`, which move to the
      narrow side); the body's block argument becomes narrow and is widened
      by an `arith.extf` at the top of the body (one step at a time, so the
      compiled code loads the narrow elements and widens them in registers);
    * a hymir op other than a scan or recurrence (attention, decode
      attention, causal conv, norms) whose float operands are all narrowed
      arguments is recreated on the narrow operands (it accumulates in f32,
      DESIGN §2) and its narrow results are widened for their users;
    * any other use (a `params` operand — a per-head weight, read at every
      step, so widened once — or a parameter transformed before the scan)
      reads an `arith.extf` of the whole argument; `tensor.dim` reads the
      narrow one.

    Used to derive the bf16 variants of the gallery
    (`test/python/check_gallery.py --mode=cpu-bf16`).
  }];
  let options = [
    Option<"elementType", "element-type", "std::string", /*default=*/"\"bf16\"",
           "The narrow float type: bf16 or f16">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::tensor::TensorDialect"];
}

def TileAttentionPass : Pass<"hymir-tile-attention", "mlir::ModuleOp"> {
  let summary = "FlashAttention-style tiling of hymir.attention for the CPU";
  let description = [{
    Rewrites every f32 `hymir.attention` without a `score_mod` region (and
    with static head counts and head dims) into the tiled online softmax of
    OPS.md §1 (docs/attention-cpu.md): an `scf.forall` over (batch, kv head,
    query tile) — query tiles in zigzag order (0, N−1, 1, N−2, ...) so that a
    static schedule balances the causal tiles' unequal costs — whose body
    packs the G query heads of the kv head into one tile of R = G · Br rows
    (Br query positions each, R close to `query-rows`) and loops over the key
    tiles of `key-tile` keys that any of its rows may see (causal and window
    bands: the other tiles are never visited), carrying O [R, V] and the
    running max and sum as `vector<R>`. Per key tile:

    ```
    Sᵀ = K_tile (scale · Q)ᵀ,  softcap,  mask (band-edge tiles only)
    m' = max(m, colmax Sᵀ);  Pᵀ = exp(Sᵀ − m');  l = e^{m − m'} l + colsum Pᵀ
    O = diag(e^{m − m'}) O + P V_tile
    ```

    The two products are `hymir.chunk_matmul` generics for
    `hymir-vectorize-chunk-matmuls` (register-tiled FMAs); the exponentials
    use MLIR's polynomial `exp`. Sinks start the running max and sum. Any
    other attention op is left alone (the token-sequential lowering of
    `hymir-convert-hymir-to-loops`); with `remarks`, a remark on every
    attention op says which form it gets and why.
  }];
  let options = [
    Option<"queryRows", "query-rows", "int64_t", /*default=*/"64",
           "Target rows of a packed query tile (query heads of a group x "
           "query positions)">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"64",
           "Keys per key tile">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on every attention op: tiled, or why not">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Number of attention ops tiled">
  ];
}

def VectorizeProjectionsPass
    : Pass<"hymir-vectorize-projections", "mlir::func::FuncOp"> {
  let summary = "register-tiled vector code for linear projections on "
                "buffers (y[.., o] += x[.., i] W[o, i])";
  let description = [{
    A `linalg` op on buffers (a model's `linalg.contract` after
    bufferization) computing

      y[r.., e.., o] += x[r.., i] * W[e.., o, i]     (f32, mul then add)

    with loops (r.., e.., o, i), i the only reduction, W of static shape
    (a weight: expert dims e.. then [O, I]) and y's rows contiguous, or with
    the experts summed (a dense MoE's down projection, loops (r.., o, e.., i)):

      y[r.., o] += x[r.., e.., i] * W[e.., o, i]

    is versioned on the last row dim R: for R >= 4 it becomes

      Wt[e.., i, o] = W[e.., o, i]             (one copy per call)
      for r.. (the last in tiles of 4 rows, then single rows), e..:
        for o0 in blocks of `width` (then one block of O mod width):
          acc[j] = y[row j, e.., o0..]          (vector<width x f32>)
          for i: acc[j] += broadcast(x[row j, i]) * Wt[e.., i, o0..]
          y[row j, e.., o0..] = acc[j]

    (summed experts: the e.. loops inside the sum, around i).

    and stays as it is for R < 4 (a decode step: the copy would cost as
    much as the product). convert-linalg-to-loops would otherwise leave the
    reduction innermost with y re-stored every step, which LLVM unrolls and
    vectorizes over o with gathers down W's columns. The sum runs over i in
    the same order with the same (unfused) roundings: results are
    bit-identical.
  }];
  let options = [
    Option<"width", "width", "int64_t", /*default=*/"16",
           "f32 lanes of an output block (16: one AVX-512 register)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def VectorizeValueTilesPass
    : Pass<"hymir-vectorize-value-tiles", "mlir::func::FuncOp"> {
  let summary = "vector rows for the state ops of value-tiled step loops";
  let description = [{
    A value tile of the sequential fallback (`hymir-convert-hymir-to-loops`
    `value-tile`, marked `hymir.value_tiles` on its `scf.forall`) works on
    `[K, vt]` slices of the state whose rows are `vt` contiguous floats. LLVM
    fully unrolls such short inner loops and then vectorizes the outer loop
    over K with gathers and scatters; this pass writes the rows as vectors
    first. Every `linalg.generic` (and `linalg.copy`) on tensors inside such a
    forall with static f32 shapes, one or two loops, the last one parallel
    with a multiple of `width` iterations and contiguous in every operand
    that reads it, becomes on tensors:

      scf.for j0 step width:             (vector<width x f32> columns)
        parallel d0:  scf.for i: out[i, j0..] = payload(rows at (i, j0..))
        reduction d0: acc = out[j0..]; scf.for i: acc = payload(.., acc);
                      out[j0..] = acc

    Operands that do not read the last loop are broadcast. Payloads of
    element-wise `arith` ops only (`math` ops on vectors would reach libm one
    lane at a time); anything else is left for `convert-linalg-to-loops`.
  }];
  let options = [
    Option<"width", "width", "int64_t", /*default=*/"16",
           "f32 lanes of a vector row (16: one AVX-512 register)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized",
              "Number of generics written as vector rows">
  ];
}

def VectorizeChunkMatmulsPass
    : Pass<"hymir-vectorize-chunk-matmuls", "mlir::func::FuncOp"> {
  let summary = "register-tiled vector code for the chunked scans' matrix "
                "products";
  let description = [{
    Rewrites every `linalg.generic` tagged `hymir.chunk_matmul` (by
    `hymir-chunk-scans` and `hymir-tile-attention`) of the form `C[i, j] += Σ_r A(i, r) · B(r, j)` with
    static f32 shapes (A read as `A[i, r]` or `A[r, i]`, B as `B[r, j]` or
    `B[j, r]`, the latter transposed once) into a loop nest on tensors over
    MR × NR output tiles whose MR accumulators of `vector<NR x f32>` stay in
    registers for the whole reduction: per reduction step one vector load of
    B, MR broadcasts of A and MR `vector.fma`s. MR and NR are the largest of
    8, 6, 4, 2, 1 and 32, 16, 8, 4, 2, 1 that divide the tile and do not
    exceed `tile-rows` / `tile-cols` (8 × 32 on AVX-512: 16 zmm
    accumulators).

    Two tags let the products skip known zeros:
    `hymir.lower_triangular_lhs` (A[i, r] = 0 for r > i: the reduction of a
    row tile stops at its last row) and `hymir.lower_triangular_result`
    (only C[i, j] with j ≤ i is needed: column tiles entirely above the
    diagonal are skipped and keep the init's values).

    Where the init is a scaling of another tensor used only by the product,
    a `linalg.generic` `C0[i, j] · s` with `s` a scalar from outside or
    `s[i]` a row (the chunk's state decay), and no tiles are skipped, the
    scaling is folded into the accumulator loads (each loaded row times the
    broadcast factor) and the generic goes away: one pass over the state
    per chunk instead of two.

    A tagged generic of any other form is left for `convert-linalg-to-loops`.
  }];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"8",
           "Largest register tile height MR">,
    Option<"tileCols", "tile-cols", "int64_t", /*default=*/"32",
           "Largest register tile width NR (f32 lanes)">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
  let statistics = [
    Statistic<"numVectorized", "num-vectorized",
              "Number of matrix products vectorized">
  ];
}

def WidenPrefixStatesPass
    : Pass<"hymir-widen-prefix-states", "mlir::ModuleOp"> {
  let summary = "carry the associative prefix components of scan states "
                "(max-plus stabilisers, modular sums) in f64";
  let description = [{
    A scan state component whose update is an associative prefix form of
    `hymir.scan`'s C9 — the max-plus `max(s + a, b)` (mLSTM's stabiliser
    `m_t = max(lf_t + m_{t−1}, i_t)`) or the modular sum `(s + a) mod c`
    (Mamba-3's angle) — is a running sum of small terms added to a value that
    can be much larger. In f32, a term below half an ulp of the sum vanishes:
    with a forget gate near 1 (`lf ≈ −1e−7`, `m ≈ 1–10`) the stabiliser stops
    decreasing and `exp(lf + m_{t−1} − m_t)` rounds to exactly 1, so the
    memory never forgets (docs/numerics-at-length.md measured 4.7e−2 relative
    error in mLSTM's output at T = 64K).

    This pass carries such a component in f64: the init is extended
    (`arith.extf`), the final state truncated back (`arith.truncf`), and in the
    body every `addf`/`subf`/`mulf`/`divf`/`negf`/min/max/`floor` computed from
    it runs in f64; every other user (an `exp`, a tensor op, an output) reads
    it rounded to f32. The component is a scalar (or a short vector) per head,
    so the cost is nil; the result is the f32 program's value computed with a
    more accurate stabiliser, which the float64 reference agrees with better.

    Before (mLSTM):
    ```mlir
    ^bb0(..., %m: f32):
      %lf_m = arith.addf %lf, %m : f32
      %m_new = arith.maximumf %lf_m, %i_t : f32
      %f_log = arith.subf %lf_m, %m_new : f32
      %f_gate = math.exp %f_log : f32
    ```
    After:
    ```mlir
    ^bb0(..., %m: f64):
      %lf64 = arith.extf %lf : f32 to f64
      %lf_m = arith.addf %lf64, %m : f64
      %i64 = arith.extf %i_t : f32 to f64
      %m_new = arith.maximumf %lf_m, %i64 : f64
      %f_log = arith.subf %lf_m, %m_new : f64
      %f_log32 = arith.truncf %f_log : f64 to f32
      %f_gate = math.exp %f_log32 : f32
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

#endif // HYMIR_TRANSFORMS_PASSES_TD
