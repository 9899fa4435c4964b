//===- Passes.td - Hymir conversion passes ------------------*- tablegen -*-===//
//
// Lowerings that move IR out of the hymir dialect (and the small preparation
// steps they need). One section per lowering, alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_CONVERSION_PASSES_TD
#define HYMIR_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// FuncToLLVM
//===----------------------------------------------------------------------===//

def PrepareEntryPointsPass : Pass<"hymir-prepare-entry-points", "mlir::ModuleOp"> {
  let summary = "give public functions the C entry-point ABI";
  let description = [{
    Every public `func.func` with a body is an entry point that the JIT and,
    later, the CPU runtime call from C. This pass fixes its ABI before
    bufferization:

    * `llvm.emit_c_interface`, so that `convert-func-to-llvm` emits a
      `_mlir_ciface_<name>` wrapper taking memrefs as pointers to
      `StridedMemRefType` descriptors (and returning results through a pointer
      in the first argument);
    * `bufferization.writable = false` on every tensor argument, so that
      one-shot bufferization never writes into a caller's buffer. Without it,
      `%a = math.exp %A_log` on a weight argument bufferizes in place and the
      second call of the function sees corrupted weights;
    * no `hymir.*` argument / result attributes (a model's `hymir.kv_cache`
      and `hymir.kv_lengths` marks are for runners reading the source module;
      LLVM translation would warn about each).

    Unlike upstream `llvm-request-c-wrappers`, declarations (external
    functions, e.g. libm symbols or user-provided kernels) and private helpers
    are left alone: a declaration carrying the attribute would be called
    through a `_mlir_ciface_` symbol that nobody defines.

    Before:
    ```mlir
    func.func @main(%x: tensor<?xf32>) -> tensor<?xf32> { ... }
    func.func private @helper(%x: f32) -> f32 { ... }
    ```
    After:
    ```mlir
    func.func @main(%x: tensor<?xf32> {bufferization.writable = false})
        -> tensor<?xf32> attributes {llvm.emit_c_interface} { ... }
    func.func private @helper(%x: f32) -> f32 { ... }
    ```
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

//===----------------------------------------------------------------------===//
// LoopsToGPU
//===----------------------------------------------------------------------===//

def MemRefCopyToLinalgPass : Pass<"hymir-memref-copy-to-linalg"> {
  let summary = "rewrite memref.copy as linalg.copy so that it becomes a loop";
  let description = [{
    Bufferization copies buffers with `memref.copy`, which the LLVM lowering
    turns into a call of the host library function `memrefCopy` when a side
    is strided. GPU kernels cannot call it, and a copy between device buffers
    is a kernel anyway: this pass rewrites every `memref.copy` into the
    equivalent `linalg.copy`, which `convert-linalg-to-parallel-loops` turns
    into a parallel loop like any other element-wise op.

    Before:
    ```mlir
    memref.copy %a, %b : memref<20xf32> to memref<20xf32, strided<[1], offset: ?>>
    ```
    After:
    ```mlir
    linalg.copy ins(%a : memref<20xf32>) outs(%b : memref<20xf32, strided<[1], offset: ?>>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ParallelLoopsToGPUPass : Pass<"hymir-parallel-loops-to-gpu",
                                  "mlir::func::FuncOp"> {
  let summary = "turn every outermost scf.parallel into a gpu.launch";
  let description = [{
    The host side of a CUDA artifact only allocates buffers and launches
    kernels. This pass first wraps whatever other work the function does at
    its top level (e.g. the time loop of a scan whose batch × heads loop
    folded away at B = H = 1) into one-iteration parallel loops, then turns
    each outermost `scf.parallel` (static bounds required: the CUDA pipeline
    compiles for specialised shapes; a dynamic bound is an error at the loop)
    into a `gpu.launch`, with a rule per kind of nest:

    * element-wise nests (no loop in the body): one thread per iteration,
      `threads-per-block` threads per block, the linear index delinearized
      into the loop's dimensions and guarded against the trip count;
    * nests with loops inside (the batch × heads loop of a scan, recurrence
      or attention, whose body runs the time steps): up to three innermost
      dimensions on block x, y, z (within the grid limits), the rest as
      `scf.for` loops, `nest-threads` threads per block running the body
      SPMD: the sequential code (the time loop) in every thread, each
      nested `scf.parallel` split across the threads (a strided loop over
      its iterations), every other write in thread 0, a `gpu.barrier` on
      both sides of each, and the step's temporaries in shared memory.
      A body that does not fit (a write whose result is used, a dynamic
      inner bound) runs in thread 0 alone. Temporaries up to 48 KiB are
      static shared memory; more, up to `shared-memory` bytes, dynamic
      shared memory (the plan's launch line carries the size); beyond that
      the largest go to a global workspace, a slice per block.
      Last, each strided loop with constant bounds becomes a loop over the
      thread's rounds (`for r < ⌈N / threads⌉: i = tid + r · threads`, an
      `scf.if` where N is not a multiple), a constant trip count that LLVM
      unrolls, so a thread's loads of several rounds are in flight at once.
      Before that, with `thread-private`, a shared temporary whose every
      element is touched by one thread only, in rounds that unroll (the
      decode step's state tile: scaled, read in per-thread partial sums,
      updated, read again), becomes a stack array per thread with the
      rounds unrolled and constant indices, which LLVM keeps in registers.
      Loads at the top level of the body from buffers that nothing in the
      kernel writes move up to just after their operands (barriers do not
      order them), so that the decode step's state loads issue first.

    The second rule is DESIGN §1's sequential fallback on the GPU: correct
    for every body; the state update and read of a step are spread over
    the block's threads. Upstream
    `convert-parallel-loops-to-gpu` is not used because it rejects bodies
    holding region ops other than parallel loops (the time loop).

    Before:
    ```mlir
    scf.parallel (%b, %h) = (%c0, %c0) to (%c2, %c4) step (%c1, %c1) {
      scf.for %t = %c0 to %c37 step %c1 { ... }
    }
    ```
    After:
    ```mlir
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c2, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      scf.for %t = %c0 to %c37 step %c1 { ... uses %by, %bx ... }
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t", /*default=*/"256",
           "Threads per block of element-wise kernels">,
    Option<"nestThreads", "nest-threads", "int64_t", /*default=*/"256",
           "Threads per block of nest kernels (1: the block's single thread "
           "runs the body)">,
    Option<"sharedMemory", "shared-memory", "int64_t", /*default=*/"49152",
           "Shared memory a nest kernel's block may take, in bytes (above "
           "48 KiB as dynamic shared memory; at most the chip's per-block "
           "limit, 232448 on sm_90, 166912 on sm_80)">,
    Option<"threadPrivate", "thread-private", "bool", /*default=*/"true",
           "Shared temporaries whose elements each thread touches only its "
           "own of (in rounds that unroll) become per-thread arrays in "
           "registers">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::gpu::GPUDialect",
    "mlir::scf::SCFDialect",
  ];
}

def ParallelDimsOutermostPass : Pass<"hymir-parallel-dims-outermost",
                                     "mlir::func::FuncOp"> {
  let summary = "order every linalg.generic's loops parallel first, reductions last";
  let description = [{
    `convert-linalg-to-parallel-loops` keeps a generic's loop order: a
    reduction dimension that comes first (`hymir.read`'s `Σ_k S[k, v] q[k]`
    iterates `k` outermost) becomes an `scf.for` around the `scf.parallel`,
    and on the GPU every iteration of it costs two block barriers. Moving
    the parallel dimensions outermost (stable within each kind) gives one
    parallel loop whose iterations each run the reduction sequentially —
    one barrier pair, and neighbouring threads read neighbouring elements.
    Only the iteration order changes: each output element's reduction still
    runs in order.

    Before:
    ```mlir
    linalg.generic {indexing_maps = [(k, v) -> (k, v), (k, v) -> (k), (k, v) -> (v)],
                    iterator_types = ["reduction", "parallel"]} ...
    ```
    After:
    ```mlir
    linalg.generic {indexing_maps = [(v, k) -> (k, v), (v, k) -> (k), (v, k) -> (v)],
                    iterator_types = ["parallel", "reduction"]} ...
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def GPUSplitReductionsPass : Pass<"hymir-gpu-split-reductions",
                                  "mlir::func::FuncOp"> {
  let summary = "split long reductions with few outputs into partial sums "
                "that a block's threads share";
  let description = [{
    On the GPU a generic's parallel iterations are spread over a block's
    threads and each runs its reduction in order. `hymir.read`'s
    `Σ_k S[k, v] q[k]` on a value tile of the sequential fallback (16
    outputs, 128 terms) so keeps 16 of the block's threads busy through a
    chain of 128 dependent adds. This pass rewrites such a generic (tensor
    semantics, one reduction dimension, static shapes, P outputs with
    2 ≤ P ≤ `threads` / 4, R ≥ 64 terms; not a `hymir.chunk_matmul`, whose
    products have their own tiling) with upstream `linalg::splitReduction`: R = (R / N) × N with the
    N partial sums a parallel dimension (innermost, so that neighbouring
    threads read neighbouring terms), then a reduction of the N partials.
    N is the largest power of two with P N ≤ `threads`, R / N ≥ 8 and N
    dividing R. The sums are reassociated: results differ in the last bits.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per block of the kernels these generics run in">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def GPUPrivateBuffersPass : Pass<"hymir-gpu-private-buffers",
                                 "mlir::func::FuncOp"> {
  let summary = "turn buffers allocated inside GPU kernels into per-thread stack buffers";
  let description = [{
    A kernel cannot call `malloc`. Every static `memref.alloc` inside a
    `gpu.launch` body belongs to one iteration of the parallel loop that the
    thread runs (bufferization gives each iteration its own temporaries), so
    it becomes one `memref.alloca` at the start of the kernel, reused by
    every iteration of the loops around it; its deallocations are dropped.
    Reuse is only correct when no view of the buffer outlives the iteration
    that allocated it: an allocation that is yielded, returned, stored or
    passed to a call, or whose size is dynamic, is an error at the op.

    Before:
    ```mlir
    gpu.launch ... {
      scf.for %t = %c0 to %T step %c1 {
        %tmp = memref.alloc() : memref<12x20xf32>
        ...
        memref.dealloc %tmp : memref<12x20xf32>
      }
      gpu.terminator
    }
    ```
    After:
    ```mlir
    gpu.launch ... {
      %tmp = memref.alloca() : memref<12x20xf32>
      scf.for %t = %c0 to %T step %c1 {
        ...
      }
      gpu.terminator
    }
    ```
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def GPUChunkMatmulsToMMAPass : Pass<"hymir-gpu-chunk-matmuls-to-mma",
                                     "mlir::func::FuncOp"> {
  let summary = "run the chunked forms' matrix products on tensor cores (TF32 WMMA)";
  let description = [{
    Rewrites every bufferized `linalg.generic` tagged `hymir.chunk_matmul`
    (`C[i, j] += Σ_r A[i, r] B[r, j]`, either operand possibly read
    transposed) that sits inside a batch × heads nest into a loop over
    16 × 16 output tiles marked `hymir.warp_tiles`: each tile loads its C
    tile, accumulates `m16n16k8` TF32 products over the reduction with
    `gpu.subgroup_mma_compute`, and stores it back.
    `hymir-parallel-loops-to-gpu` gives each tile to one warp of the block.

    A product is rewritten when M and N are multiples of 16, R of 8, all
    three operands are f32 buffers whose innermost stride is 1, their
    leading dimensions and offsets keep every tile 32-byte aligned, and
    neither input is a view of the output's buffer. Others stay as they
    are (FFMA loops).

    TF32 keeps 10 mantissa bits of each operand: a relative error near
    1e-3, fine for bf16/f16 activations (8/11 bits already) but not for the
    f32 gallery's 1e-4. With `only-narrow-inputs` (the CUDA pipeline's
    `tensor-cores=auto`) the pass rewrites only in functions that take a
    bf16 or f16 argument.

    Before (bufferized):
    ```mlir
    linalg.generic {indexing_maps = [(i, j, r) -> (i, r), (i, j, r) -> (r, j),
                                     (i, j, r) -> (i, j)], ...}
        ins(%a, %b : memref<16x128xf32>, memref<128x32xf32>)
        outs(%c : memref<16x32xf32>) attrs = {hymir.chunk_matmul} {...}
    ```
    After:
    ```mlir
    scf.parallel (%ti, %tj) = (%c0, %c0) to (%c1, %c2) step (%c1, %c1) {
      %acc = gpu.subgroup_mma_load_matrix %c[%i, %j] ... "COp"
      %sum = scf.for %r = %c0 to %c128 step %c8 iter_args(%x = %acc) -> (...) {
        %a8 = gpu.subgroup_mma_load_matrix %a[%i, %r] ... "AOp"
        %b8 = gpu.subgroup_mma_load_matrix %b[%r, %j] ... "BOp"
        %y = gpu.subgroup_mma_compute %a8, %b8, %x ...
        scf.yield %y
      }
      gpu.subgroup_mma_store_matrix %sum, %c[%i, %j] ...
      scf.reduce
    } {hymir.warp_tiles}
    ```
  }];
  let options = [
    Option<"onlyNarrowInputs", "only-narrow-inputs", "bool", /*default=*/"false",
           "Rewrite only in functions with a bf16 or f16 argument">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::gpu::GPUDialect",
    "mlir::scf::SCFDialect",
  ];
}

def GPUAlignWorkgroupBuffersPass : Pass<"hymir-gpu-align-workgroup-buffers",
                                        "mlir::gpu::GPUModuleOp"> {
  let summary = "align every kernel's shared-memory buffers to 128 bytes";
  let description = [{
    Tensor-core loads (`wmma.load`) need 32-byte aligned addresses, and
    shared-memory globals are otherwise aligned to their element type only.
    Sets `llvm.align = 128` on every workgroup attribution of every
    `gpu.func` (kept where one is already larger), which
    `convert-gpu-to-nvvm` turns into the alignment of the `.shared` global.
    Run again after that conversion, it raises the shared-memory globals
    themselves to 128 bytes (the dynamic shared memory's, which the
    conversion aligns to 16, holds tiles at 256-byte offsets) and makes the
    dynamic one external: NVPTX would demote the internal zero-sized array
    the conversion makes to a one-byte local `.shared` variable instead of
    `.extern .shared .b8 name[]`.
  }];
}

def GPULowerAllReducePass : Pass<"hymir-gpu-lower-all-reduce",
                                  "mlir::gpu::GPUModuleOp"> {
  let summary = "lower gpu.all_reduce to warp shuffles and shared memory";
  let description = [{
    Upstream's all-reduce lowering (`populateGpuAllReducePatterns`): each
    warp reduces with shuffles, the warps' results meet in a workgroup
    buffer, and every thread reads the total. The SPMD kernels of
    `hymir-parallel-loops-to-gpu` use `gpu.all_reduce` for sums that every
    thread would otherwise compute alone. The lowering splits blocks, so it
    runs on kernels whose structured control flow is already branches.
  }];
  let dependentDialects = ["mlir::cf::ControlFlowDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

//===----------------------------------------------------------------------===//
// MathToLibm
//===----------------------------------------------------------------------===//

def ConvertMathToLibmPass : Pass<"hymir-convert-math-to-libm", "mlir::ModuleOp"> {
  let summary = "call libm for the math ops it implements, keep the others";
  let description = [{
    Rewrites every scalar `math` op that has a libm function (`tanh`, `expm1`,
    `log1p`, `exp`, `erf`, `atan2`, ...) into a `func.call` of it, declaring
    the function (`readnone`) in the module, and leaves every other `math` op
    (`cttz`, `ctlz`, `ctpop`, `absi`, `fpowi`, ...) for
    `convert-math-to-llvm`.

    Upstream `convert-math-to-libm` fails on a module that still holds such
    an op, and running `convert-math-to-llvm` first is not an option: it
    lowers `math.expm1` to `exp(x) − 1` and `math.log1p` to `log(1 + x)`,
    losing the precision those ops exist for. LLVM turns the libm calls that
    have an intrinsic (`fabsf`, `expf`, ...) back into intrinsics. The ops
    IEEE 754 defines exactly (`fma`, `sqrt`, `floor`, `ceil`, `trunc`,
    `round`, `roundeven`) are left for `convert-math-to-llvm` as well: their
    intrinsics give the same results, and a call of `fmaf` (which LLVM keeps
    a call) stops the loop vectorizer on the whole loop around it.

    Before:
    ```mlir
    %y = math.expm1 %x : f32
    %j = math.cttz %i : i64
    ```
    After:
    ```mlir
    func.func private @expm1f(f32) -> f32 attributes {llvm.readnone}
    %y = call @expm1f(%x) : (f32) -> f32
    %j = math.cttz %i : i64
    ```
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

//===----------------------------------------------------------------------===//
// HymirToLoops
//===----------------------------------------------------------------------===//

def ConvertHymirToLoopsPass : Pass<"hymir-convert-hymir-to-loops"> {
  let summary = "lower every hymir op to sequential loops on tensors";
  let description = [{
    The sequential fallback of the CPU code generator: every hymir op becomes
    upstream ops on tensors that one-shot bufferization understands (`scf.for`
    nests, `tensor.extract_slice`/`insert_slice`/`extract`/`insert`,
    `linalg.generic`, `arith`, `math`). Correct for every op and shape; the
    chunked and tiled lowerings replace it where they apply.

    * `hymir.scan` / `hymir.recurrence`: an `scf.forall` over batch `b` and
      head `h` (when `heads` is set), each iteration owning its output
      slices, around a loop over time `t`. Initial states are sliced at `[b, h]`, and
      carried through the time loop as `iter_args`; inputs are sliced at
      `[b, t, h // (H / Hx)]` and params at `[h // (H / Hp)]` (rank-reducing
      slices, `tensor.extract` for scalars). The body is cloned into the time
      loop with its block arguments mapped to those slices (the optional
      leading `index` argument to `t`); outputs are inserted at `[b, t, h]` and
      the final states at `[b, h]`. A yielded tensor state is copied into the
      carried state with `linalg.copy`, so the loop bufferizes in place.
      With `value-tile` > 0, a column-separable body with a matrix state
      (`hymir::analyzeValueColumns`, docs/decode-cpu.md) works on value
      tiles of about that many columns: a loop over tiles inside each step,
      after the step's state-independent ops (a single static step reads
      each tile straight from the initial state), or with
      `parallel-value-tiles` one forall iteration per (b, h, tile). The
      forall is marked `hymir.value_tiles`.
    * Per-step ops (`scale`, `outer`, `read`, `dot`, `sum`, `mix`, `rotary`,
      `l2_norm`, `layer_norm`, `rms_norm`): `linalg.generic` on tensors (any
      rank, dynamic dims allowed), reductions accumulated in at least f32.
    * `hymir.attention` / `hymir.attention_decode`: scalar loops over
      `(b, h, i)` and an online-softmax loop over the allowed keys only
      (running max `m`, sum `l`, a `[V]` accumulator; no `T×T` buffer). The
      sink starts the running sum; a row with no allowed key yields 0.
    * `hymir.causal_conv1d`: scalar loops over `(b, t, c)` with the taps
      unrolled; taps before `t = 0` read the state (or zero).

    Batch and time sizes come from `tensor.dim`. Element-wise `arith`/`math`
    ops on tensors inside step bodies are left for
    `convert-elementwise-to-linalg`.

    Before:
    ```mlir
    %o, %s = hymir.scan ins(%x : tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
        -> (tensor<?x?x8xf32>) { ... }
    ```
    After:
    ```mlir
    %r:2 = scf.for %b = %c0 to %B step %c1 iter_args(%o = ..., %f = ...) {
      %s0 = tensor.extract_slice %h0[%b, 0] [1, 8] [1, 1] : ... to tensor<8xf32>
      %t:2 = scf.for %t = %c0 to %T step %c1 iter_args(%oo = %o, %st = %s0) {
        %xt = tensor.extract_slice %x[%b, %t, 0] [1, 1, 8] [1, 1, 1] : ...
        ... cloned body ...
        %oo2 = tensor.insert_slice %ot into %oo[%b, %t, 0] [1, 1, 8] [1, 1, 1]
        %sc = linalg.copy ins(%sn : tensor<8xf32>) outs(%st : tensor<8xf32>)
        scf.yield %oo2, %sc
      }
      %f2 = tensor.insert_slice %t#1 into %f[%b, 0] [1, 8] [1, 1]
      scf.yield %t#0, %f2
    }
    ```
  }];
  let options = [
    Option<"valueTile", "value-tile", "int64_t", /*default=*/"0",
           "Split the value columns of column-separable scans and "
           "recurrences with a matrix state into tiles of about this many "
           "columns (the most tiles up to ceil(V / value-tile) that divide V "
           "evenly). 0: no tiles">,
    Option<"parallelValueTiles", "parallel-value-tiles", "bool",
           /*default=*/"false",
           "Value tiles as iterations of the forall, (batch, head, tile) "
           "(a GPU block each), instead of a loop over tiles inside each "
           "step after the step's state-independent ops (the CPU)">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
  ];
  let statistics = [
    Statistic<"numLowered", "num-lowered", "Number of hymir ops lowered">
  ];
}

#endif // HYMIR_CONVERSION_PASSES_TD
