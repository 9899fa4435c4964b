#!/usr/bin/python3
"""GPU benchmark cases (issue #5's shapes), in two halves like scripts/gpu-check.sh:

  cases.py prepare --hymir-compile PATH --out DIR      (here: artifacts + inputs)
  cases.py device  --runner PATH --cases DIR [--fla DIR] [--reps N]   (on the GPU)

The device half times each Hymir artifact with `hymir-rt-run --bench` and, in the same
process run, its peers with CUDA events: the copy ceiling (`torch.clone` of the state:
what a decode step must at least move) and fla 0.5's kernels (Gated DeltaNet:
`fused_recurrent_gated_delta_rule` for decode, `chunk_gated_delta_rule` for prefill;
simple GLA: `chunk_simple_gla`), imported from DIR (fla's source, fetched into the git-ignored third_party_peers/ and
carried; never committed). It also checks that Hymir and fla agree on the bench inputs
(relative RMS of the outputs); Mamba-2 prefill against mamba_ssm's
`mamba_chunk_scan_combined` (Triton), imported by path from its source (also fetched, into
third_party_peers/mamba). Prints one line per case with ms, peer ms and ratios.
"""

import argparse
import json
import re
import os
import subprocess
import sys

import numpy as np

H, K, V = 16, 128, 128
CASES = {
    # name: (op, mlir, B, T or None for decode, threads per (batch, head) block,
    #        chunk size or None for the pipeline's default)
    # Decode untiled (--sequential-value-tile=0: a block per (batch, head)) and in
    # value tiles of the sequential fallback: a block per (batch, head, 16 value
    # columns) of 128 threads (the pipeline's default; docs/cuda-artifacts.md).
    "gdn_decode_B64": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 256, None),
    "gdn_decode_B64_vt16": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 128, None),
    # Value tiles against threads per block: a thread's share of the state tile
    # (rows x columns / threads) is the rounds of its split loops, unrolled (all
    # loads in flight) only up to 8 rounds (LoopsToGPU.cpp, kMaxRounds).
    "gdn_decode_B64_vt16_t256": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 256, None),
    "gdn_decode_B64_vt8": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 128, None),
    "gdn_decode_B64_vt32": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 256, None),
    "gdn_decode_B64_vt32_t512": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 512, None),
    # Mamba-2's decode step (T = 1 of the prefill file: the sequential fallback in value
    # tiles); peers: the state copy and the same step in PyTorch (fp32, eager).
    "mamba2_decode_B64_vt16": ("mamba2", "bench/gpu/mamba2.mlir", 64, 1, 128, None),
    # _kq: the output read rewritten as o = S'ᵀq + u (k · q) (gdn_decode_kq.mlir).
    # _shared: the state tile in shared memory, not in each thread's registers
    # (--thread-private=false).
    "gdn_decode_B64_vt16_shared": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 128, None),
    "gdn_decode_kq_B64_vt16": ("gdn", "bench/gpu/gdn_decode_kq.mlir", 64, None, 128, None),
    "gdn_decode_kq_B64_vt32": ("gdn", "bench/gpu/gdn_decode_kq.mlir", 64, None, 256, None),
    # The sequential fallback (untiled, and in value tiles of 16), then the chunked
    # form at the pipeline's chunk size with 512 threads per block (measured best for
    # these block-per-(b, h) kernels).
    "gdn_prefill_B4_T1024_seq": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 256, 0),
    "gdn_prefill_B4_T1024_seq_vt16": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 256, 0),
    "gdn_prefill_B4_T1024": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 512, None),
    "gdn_prefill_B4_T4096": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "simple_gla_prefill_B4_T1024": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 1024, 512,
                                    None),
    "simple_gla_prefill_B4_T4096": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 4096, 512,
                                    None),
    # _pc: f32 in the parallel-chunks form (--parallel-chunks=on: chunk terms, state
    # pass and outputs as three kernels, only the state pass sequential over the
    # chunks), against the default above (one block per (batch, head, value tile)
    # runs every chunk in turn).
    "simple_gla_prefill_B4_T4096_pc": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 4096,
                                       512, None),
    # bf16 activations (issue #5's inputs; hymir-narrow-inputs), f32 states: the chunk
    # products on tensor cores (TF32 WMMA tiles, tensor-cores=auto) and, by default
    # (parallel-chunks=auto), the parallel-chunks form at chunks of 32 with all value
    # columns per output block. _sc: the sequential chunk loop instead
    # (--parallel-chunks=off, chunks of 16); _c64: chunks of 64; _ffma: without tensor
    # cores (which also means the sequential chunk loop). fla gets the same bf16 values.
    "simple_gla_prefill_B4_T1024_bf16": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 1024,
                                         512, None),
    "simple_gla_prefill_B4_T1024_bf16_sc": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                            1024, 512, None),
    "simple_gla_prefill_B4_T4096_bf16": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 4096,
                                         512, None),
    "simple_gla_prefill_B4_T4096_bf16_sc": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                            4096, 512, None),
    "simple_gla_prefill_B4_T4096_bf16_c64": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                             4096, 512, 64),
    "simple_gla_prefill_B4_T4096_bf16_ffma": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                              4096, 512, None),
    "simple_gla_prefill_B4_T16384_bf16": ("simple_gla", "bench/gpu/simple_gla.mlir", 4, 16384,
                                          512, None),
    "simple_gla_prefill_B4_T16384_bf16_sc": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                             16384, 512, None),
    "simple_gla_prefill_B4_T16384_bf16_c64": ("simple_gla", "bench/gpu/simple_gla.mlir", 4,
                                              16384, 512, 64),
    "gdn_prefill_B4_T1024_bf16": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 512, None),
    "gdn_prefill_B4_T1024_bf16_sc": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 512, None),
    "gdn_prefill_B4_T4096_bf16": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_sc": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_c64": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, 64),
    "gdn_prefill_B4_T4096_bf16_ffma": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T16384_bf16": ("gdn", "bench/gpu/gdn.mlir", 4, 16384, 512, None),
    "gdn_prefill_B4_T16384_bf16_sc": ("gdn", "bench/gpu/gdn.mlir", 4, 16384, 512, None),
    # The delta rule's triangular inverse (--blocked-inverse, default sequential: doubling
    # blocks in the sequential chunk loop, forward substitution in the parallel-chunks
    # form). _subst: substitution in the f32 chunk loop too (off); _blocked: doubling
    # blocks in the bf16 parallel-chunks form too (on).
    "gdn_prefill_B4_T4096_subst": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T1024_bf16_blocked": ("gdn", "bench/gpu/gdn.mlir", 4, 1024, 512, None),
    "gdn_prefill_B4_T4096_bf16_blocked": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T16384_bf16_blocked": ("gdn", "bench/gpu/gdn.mlir", 4, 16384, 512, None),
    # _smemN: shared memory per block capped at N KiB (--shared-memory); _smem48: the
    # static 48 KiB, the larger chunk temporaries in a global workspace as before dynamic
    # shared memory.
    "simple_gla_prefill_B4_T4096_bf16_smem48": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                                4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_smem48": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # _smem110: at most 110 KiB, two blocks of an SM's 228 KiB (the default on sm_90);
    # _smem227: the per-block limit (GDN's chunk terms then take over half an SM: one block).
    "gdn_prefill_B4_T4096_bf16_smem110": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_smem227": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # _shared: chunk temporaries that each thread keeps to itself left in shared memory
    # (--thread-private=false), for an A/B with the default.
    "simple_gla_prefill_B4_T4096_bf16_shared": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                                4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_shared": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # _c64_smem227: chunks of 64 in the parallel-chunks form, with shared memory up to the
    # per-block limit so that no chunk temporary goes to a global workspace (one block per
    # SM); _smem227 alone: chunks of 32 under the same limit.
    "simple_gla_prefill_B4_T4096_bf16_smem227": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                                 4, 4096, 512, None),
    "simple_gla_prefill_B4_T4096_bf16_c64_smem227": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                                     4, 4096, 512, 64),
    "simple_gla_prefill_B4_T16384_bf16_c64_smem227": ("simple_gla",
                                                      "bench/gpu/simple_gla.mlir", 4, 16384,
                                                      512, 64),
    "gdn_prefill_B4_T4096_bf16_c64_smem227": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, 64),
    "gdn_prefill_B4_T16384_bf16_c64_smem227": ("gdn", "bench/gpu/gdn.mlir", 4, 16384, 512, 64),
    # _nosplit: without hymir-gpu-split-reductions (--split-reductions=false).
    "gdn_decode_B64_vt16_nosplit": ("gdn", "bench/gpu/gdn_decode.mlir", 64, None, 128, None),
    "gdn_prefill_B4_T4096_nosplit": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_nosplit": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # Mamba-2 SSD at issue #5's shape (32 heads, P = 64, N = 128, one B/C group), bf16
    # activations (tensor cores, parallel-chunks form); peer: mamba_ssm's
    # mamba_chunk_scan_combined (chunks of 256, its default) on the same values.
    "mamba2_prefill_B4_T1024_bf16": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir", 4, 1024,
                                     512, None),
    "mamba2_prefill_B4_T4096_bf16": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir", 4, 4096,
                                     512, None),
    "mamba2_prefill_B4_T16384_bf16": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir", 4, 16384,
                                      512, None),
    # _bf16states: the parallel-chunks form's recorded per-chunk states in bf16
    # (--narrow-states), against the default f32.
    "mamba2_prefill_B4_T4096_bf16_bf16states": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir",
                                                4, 4096, 512, None),
    "simple_gla_prefill_B4_T4096_bf16_bf16states": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                                    4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_bf16states": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # _pvtN: the parallel-chunks state pass in value tiles of N columns (--value-tile=N;
    # the pipeline's 32): more, smaller (batch, head, tile) blocks for the sequential
    # chunk loop; _t256: 256 threads per block (every kernel).
    "mamba2_prefill_B4_T4096_bf16_pvt16": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir",
                                           4, 4096, 512, None),
    "mamba2_prefill_B4_T4096_bf16_pvt16_t256": ("mamba2_h32", "bench/gpu/mamba2_prefill.mlir",
                                                4, 4096, 256, None),
    "simple_gla_prefill_B4_T4096_bf16_pvt16": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                               4, 4096, 512, None),
    "simple_gla_prefill_B4_T4096_bf16_pvt64": ("simple_gla", "bench/gpu/simple_gla.mlir",
                                               4, 4096, 512, None),
    "gdn_prefill_B4_T4096_bf16_pvt16": ("gdn", "bench/gpu/gdn.mlir", 4, 4096, 512, None),
    # The same Gated DeltaNet with its q/k norms and gates written as tensor ops before the
    # scan (bench/cpu/ops/gated_delta_net_layer.mlir): hymir-fuse-into-mixers pulls them into
    # the scan's kernels; _unfused compiles it with --fusion=false.
    "gdn_layer_prefill_B4_T4096_bf16": ("gdn", "bench/cpu/ops/gated_delta_net_layer.mlir", 4,
                                        4096, 512, None),
    "gdn_layer_prefill_B4_T4096_bf16_unfused": ("gdn",
                                                "bench/cpu/ops/gated_delta_net_layer.mlir",
                                                4, 4096, 512, None),
}


def is_bf16(name):
    return "_bf16" in name


# The arguments a bf16 case takes in bf16 (what hymir-narrow-inputs makes bf16: every
# activation and gate, not the state S0, which is last).
def bf16_inputs(arrays):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "test", "python"))
    from bf16_variants import round_bf16
    return [round_bf16(x) if i + 1 < len(arrays) else x for i, x in enumerate(arrays)]


def gdn_inputs(B, T, rng, H=H):
    tdims = (B,) if T is None else (B, T)
    f = np.float32
    q = rng.standard_normal(tdims + (H, K)).astype(f)
    k = rng.standard_normal(tdims + (H, K)).astype(f)
    v = rng.standard_normal(tdims + (H, V)).astype(f)
    a = rng.standard_normal(tdims + (H,)).astype(f)
    b = rng.standard_normal(tdims + (H,)).astype(f)
    A_log = np.log(rng.uniform(1, 16, H)).astype(f)
    dt_bias = (0.1 * rng.standard_normal(H)).astype(f)
    S0 = (0.1 * rng.standard_normal((B, H, K, V))).astype(f)
    return [q, k, v, a, b, A_log, dt_bias, S0]


def simple_gla_inputs(B, T, rng, H=H):
    f = np.float32
    q = rng.standard_normal((B, T, H, K)).astype(f)
    k = rng.standard_normal((B, T, H, K)).astype(f)
    v = rng.standard_normal((B, T, H, V)).astype(f)
    g = -rng.uniform(0.01, 0.2, (B, T, H)).astype(f)   # log-decay
    S0 = (0.1 * rng.standard_normal((B, H, K, V))).astype(f)
    return [q, k, v, g, S0]


def mamba2_inputs(B, T, rng, H=H, P=V):
    f = np.float32
    x = rng.standard_normal((B, T, H, P)).astype(f)
    dt = (0.5 * rng.standard_normal((B, T, H)) - 1.0).astype(f)   # softplus(dt + bias) ~ 0.3
    A_log = np.log(rng.uniform(1, 16, H)).astype(f)
    B_ssm = rng.standard_normal((B, T, 1, K)).astype(f)
    C_ssm = rng.standard_normal((B, T, 1, K)).astype(f)
    D_skip = rng.standard_normal(H).astype(f)
    dt_bias = (0.1 * rng.standard_normal(H)).astype(f)
    S0 = (0.1 * rng.standard_normal((B, H, K, P))).astype(f)
    return [x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0]


def case_inputs(op, B, T, H=H):
    """The inputs of a case: deterministic (seeded by B and T), made where they
    are used (the B = 64 decode state alone is 64 MiB, more than can be carried).
    H other than 16 is for test/python/gpu_cases.py's tensor-core cases."""
    rng = np.random.default_rng(1000 * B + (T or 0))
    if op == "mamba2_h32":  # issue #5's Mamba-2 shape
        return mamba2_inputs(B, T, rng, 32, 64)
    make = {"gdn": gdn_inputs, "mamba2": mamba2_inputs}.get(op, simple_gla_inputs)
    return make(B, T, rng, H)


def prepare(args):
    manifest = []
    for name, (op, mlir, B, T, threads, chunk) in CASES.items():
        if args.only and name not in args.only:
            continue
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        shapes = [x.shape for x in case_inputs(op, B, 1 if T else None)]
        shapes = [(s[0], T) + s[2:] if T and len(s) >= 3 and s[1] == 1 else s for s in shapes]
        if is_bf16(name):
            narrowed = os.path.join(d, "input.mlir")
            subprocess.run([os.path.join(os.path.dirname(args.hymir_compile), "hymir-opt"),
                            mlir, "--hymir-narrow-inputs", "-o", narrowed], check=True)
            mlir = narrowed
        cmd = [args.hymir_compile, mlir, "--target=cuda", "-o", os.path.join(d, "artifact"),
               "--nest-threads=%d" % threads]
        if chunk is not None:  # either form's chunks
            cmd += ["--chunk-size=%d" % chunk, "--parallel-chunk-size=%d" % chunk]
        state_tile = re.search(r"_pvt(\d+)", name)
        if state_tile:
            cmd.append("--value-tile=" + state_tile.group(1))
        value_tile = re.search(r"_vt(\d+)", name)
        if value_tile:
            cmd.append("--sequential-value-tile=" + value_tile.group(1))
        elif T is None or name.endswith("_seq"):  # the untiled fallback
            cmd.append("--sequential-value-tile=0")
        if name.endswith("_ffma"):  # the same bf16 case without tensor cores
            cmd.append("--tensor-cores=off")
        if name.endswith("_pc"):
            cmd.append("--parallel-chunks=on")
        if name.endswith("_sc"):
            cmd.append("--parallel-chunks=off")
        if name.endswith("_subst"):
            cmd.append("--blocked-inverse=off")
        if name.endswith("_blocked"):
            cmd.append("--blocked-inverse=on")
        if name.endswith("_shared"):
            cmd.append("--thread-private=false")
        if name.endswith("_nosplit"):
            cmd.append("--split-reductions=false")
        if name.endswith("_unfused"):
            cmd.append("--fusion=false")
        if name.endswith("_bf16states"):
            cmd.append("--narrow-states")
        smem = re.search(r"_smem(\d+)$", name)
        if smem:  # KiB
            cmd.append("--shared-memory=%d" % (int(smem.group(1)) * 1024))
        cmd += ["--shape=" + "x".join(map(str, s)) for s in shapes]
        subprocess.run(cmd, check=True)
        manifest.append({"name": name, "op": op, "B": B, "T": T,
                         "artifact": name + "/artifact"})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return 0


def cuda_ms(fn, reps):
    import torch
    for _ in range(10):  # Triton autotuning and clocks settle
        fn()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / reps


def cuda_graph_ms(fn, reps):
    """cuda_ms of `fn` captured once in a CUDA graph and replayed: the GPU's time
    without the host's launch overhead (for peers whose Python launches many kernels)."""
    import torch
    for _ in range(10):  # Triton autotuning, outside the capture
        fn()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return cuda_ms(graph.replay, reps)


def fla_times(run, reps):
    """fla's eager time, and (where the capture works) its time replayed from a CUDA graph:
    ' | fla ... ms (in a CUDA graph ... ms)' and the two times."""
    eager = cuda_ms(run, reps)
    try:
        graph = cuda_graph_ms(run, reps)
    except Exception:  # noqa: BLE001  (a peer that syncs the host cannot be captured)
        graph = None
    text = " | fla %8.3f ms" % eager
    if graph is not None:
        text += " (in a CUDA graph %.3f ms)" % graph
    return text, eager, graph


def fla_ratio(eager, graph, hymir_ms):
    text = " | fla/hymir %.3f" % (eager / hymir_ms)
    if graph is not None:
        text += " (graph %.3f)" % (graph / hymir_ms)
    return text


def rel_rms(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def device(args):
    import torch
    if args.fla:
        sys.path.insert(0, args.fla)
    with open(os.path.join(args.cases, "manifest.json")) as f:
        manifest = json.load(f)
    print("device:", torch.cuda.get_device_name(), "| torch", torch.__version__)
    for case in manifest:
        name, op, B, T = case["name"], case["op"], case["B"], case["T"]
        outdir = os.path.join(args.cases, name, "out")
        os.makedirs(outdir, exist_ok=True)
        arrays = case_inputs(op, B, T)
        if is_bf16(name):
            arrays = bf16_inputs(arrays)
        paths = []
        for i, x in enumerate(arrays):
            paths.append(os.path.join(args.cases, name, "in%d.npy" % i))
            np.save(paths[-1], x)
        cmd = [args.runner, os.path.join(args.cases, case["artifact"]), "--output=" + outdir,
               "--bench=%d" % args.reps]
        cmd += ["--input=" + p for p in paths]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print("%s: hymir-rt-run failed: %s" % (name, proc.stderr.strip()))
            continue
        hymir_ms = float(proc.stdout.split()[-1])
        data = [torch.from_numpy(x).cuda() for x in arrays]
        if is_bf16(name):  # fla's activations in bf16 (the same values)
            data[:3] = [x.bfloat16() for x in data[:3]]
        line = "%-36s hymir %9.3f ms" % (name, hymir_ms)
        if op == "mamba2" and T == 1:
            print(line + mamba2_step_peers(args, data, outdir, hymir_ms), flush=True)
            continue
        if op == "simple_gla":
            print(line + simple_gla_peer(args, data, outdir, hymir_ms), flush=True)
            continue
        if op == "mamba2_h32":
            print(line + mamba2_prefill_peer(args, arrays, outdir, hymir_ms), flush=True)
            continue
        q, k, v, a, b, A_log, dt_bias, S0 = data
        state_bytes = S0.numel() * 4
        if T is None:
            copy_ms = cuda_ms(lambda: S0.clone(), args.reps)
            copy_gbs = 2 * state_bytes / copy_ms / 1e6
            hymir_gbs = 2 * state_bytes / hymir_ms / 1e6
            line += " | copy %7.3f ms (%5.0f GB/s) | hymir %5.0f GB/s = %4.0f%% of copy" % (
                copy_ms, copy_gbs, hymir_gbs, 100 * hymir_gbs / copy_gbs)
        try:
            from fla.ops.gated_delta_rule import (chunk_gated_delta_rule,
                                                  fused_recurrent_gated_delta_rule)
        except Exception as e:  # noqa: BLE001  (report, keep the other numbers)
            print(line + " | fla unavailable: %s" % e)
            continue
        # fla computes g = -exp(A_log) softplus(a + dt_bias) and beta = sigmoid(b) itself
        # with use_gate_in_kernel / use_beta_sigmoid_in_kernel (fused_recurrent) or from
        # precomputed log-space g (chunk); both normalize q and k in the kernel.
        tq, tk, tv, ta, tb = (x.unsqueeze(1) if T is None else x for x in (q, k, v, a, b))
        if T is None:
            def run():
                return fused_recurrent_gated_delta_rule(
                    tq, tk, tv, g=ta, beta=tb, scale=K ** -0.5, initial_state=S0,
                    output_final_state=True, use_qk_l2norm_in_kernel=True,
                    use_gate_in_kernel=True, A_log=A_log, dt_bias=dt_bias,
                    use_beta_sigmoid_in_kernel=True)
        else:
            g = -torch.exp(A_log) * torch.nn.functional.softplus(ta + dt_bias)
            beta = torch.sigmoid(tb)

            def run():
                return chunk_gated_delta_rule(
                    tq, tk, tv, g=g, beta=beta, scale=K ** -0.5, initial_state=S0,
                    output_final_state=True, use_qk_l2norm_in_kernel=True)
        times, fla_ms, graph_ms = fla_times(run, args.reps)
        o, S = run()
        o_h = np.load(os.path.join(outdir, "out0.npy"))
        S_h = np.load(os.path.join(outdir, "out1.npy"))
        o_f = o.squeeze(1).float().cpu().numpy() if T is None else o.float().cpu().numpy()
        diff = max(rel_rms(o_h, o_f), rel_rms(S_h, S.float().cpu().numpy()))
        line += times + fla_ratio(fla_ms, graph_ms, hymir_ms) + " | rel. RMS diff. %.1e" % diff
        print(line, flush=True)
    return 0


def mamba2_step_peers(args, data, outdir, hymir_ms):
    """One Mamba-2 step: the copy ceiling, PyTorch's eager step, and the float64
    reference: ' | copy ... | torch ... ms | ratio | diff'."""
    import torch
    x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0 = data
    state_bytes = S0.numel() * 4
    copy_ms = cuda_ms(lambda: S0.clone(), args.reps)
    copy_gbs = 2 * state_bytes / copy_ms / 1e6
    hymir_gbs = 2 * state_bytes / hymir_ms / 1e6

    def step(x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0):
        delta = torch.nn.functional.softplus(dt[:, 0] + dt_bias)            # [B, H]
        alpha = torch.exp(-torch.exp(A_log) * delta)                       # [B, H]
        xd = x[:, 0] * delta[..., None]                                    # [B, H, P]
        S = alpha[..., None, None] * S0 + B_ssm[:, 0, 0, None, :, None] * xd[:, :, None, :]
        y = torch.einsum("bhnp,bn->bhp", S, C_ssm[:, 0, 0]) + D_skip[:, None] * x[:, 0]
        return y[:, None], S
    torch_ms = cuda_ms(lambda: step(*data), args.reps)
    ref = step(*[torch.from_numpy(np.asarray(t.cpu().numpy(), np.float64)) for t in data])
    o_h = np.load(os.path.join(outdir, "out0.npy"))
    S_h = np.load(os.path.join(outdir, "out1.npy"))
    diff = max(rel_rms(o_h, ref[0].numpy()), rel_rms(S_h, ref[1].numpy()))
    return (" | copy %7.3f ms (%5.0f GB/s) | hymir %5.0f GB/s = %4.0f%% of copy"
            " | torch %7.3f ms | torch/hymir %.3f | rel. RMS vs float64 %.1e" % (
                copy_ms, copy_gbs, hymir_gbs, 100 * hymir_gbs / copy_gbs, torch_ms,
                torch_ms / hymir_ms, diff))


def mamba_chunk_scan_combined(root):
    """mamba_ssm's mamba_chunk_scan_combined from its source at `root`, imported by path:
    the package's top level loads a CUDA extension, so its packages are made empty here
    and only the Triton modules below them are imported."""
    import types
    for name in ("mamba_ssm", "mamba_ssm.ops", "mamba_ssm.ops.triton", "mamba_ssm.utils"):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [os.path.join(root, *name.split("."))]
            sys.modules[name] = module
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined as fn
    return fn


def mamba2_prefill_peer(args, arrays, outdir, hymir_ms):
    """mamba_ssm's SSD on the same (bf16-rounded) values: x, B and C in bf16, dt and the
    per-head parameters in f32, the initial state transposed to its [B, H, P, N]:
    ' | mamba_ssm ... ms | ratio | diff'."""
    import torch
    if not args.mamba:
        return " | mamba_ssm not given (--mamba)"
    try:
        combined = mamba_chunk_scan_combined(args.mamba)
    except Exception as e:  # noqa: BLE001
        return " | mamba_ssm unavailable: %s" % e
    x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0 = [torch.from_numpy(a).cuda()
                                                        for a in arrays]
    x, B_ssm, C_ssm = x.bfloat16(), B_ssm.bfloat16(), C_ssm.bfloat16()
    A = -torch.exp(A_log)
    h0 = S0.transpose(-1, -2).contiguous()

    def run():
        return combined(x, dt, A, B_ssm, C_ssm, chunk_size=256, D=D_skip, dt_bias=dt_bias,
                        initial_states=h0, dt_softplus=True, return_final_states=True)
    peer_ms = cuda_ms(run, args.reps)
    graph_ms = cuda_graph_ms(run, args.reps)
    y, S = run()
    o_h = np.load(os.path.join(outdir, "out0.npy"))
    S_h = np.load(os.path.join(outdir, "out1.npy"))
    diff = max(rel_rms(o_h, y.float().cpu().numpy()),
               rel_rms(S_h, S.transpose(-1, -2).float().cpu().numpy()))
    return (" | mamba_ssm %8.3f ms (in a CUDA graph %.3f ms) | mamba_ssm/hymir %.3f"
            " (graph %.3f) | rel. RMS diff. %.1e" % (peer_ms, graph_ms, peer_ms / hymir_ms,
                                                      graph_ms / hymir_ms, diff))


def simple_gla_peer(args, data, outdir, hymir_ms):
    """fla's chunk_simple_gla on the same inputs: ' | fla ... ms | ratio | diff'."""
    try:
        from fla.ops.simple_gla import chunk_simple_gla
    except Exception as e:  # noqa: BLE001
        return " | fla unavailable: %s" % e
    q, k, v, g, S0 = data

    def run():
        return chunk_simple_gla(q, k, v, g=g, scale=K ** -0.5, initial_state=S0,
                                output_final_state=True)
    times, fla_ms, graph_ms = fla_times(run, args.reps)
    o, S = run()
    o_h = np.load(os.path.join(outdir, "out0.npy"))
    S_h = np.load(os.path.join(outdir, "out1.npy"))
    diff = max(rel_rms(o_h, o.float().cpu().numpy()), rel_rms(S_h, S.float().cpu().numpy()))
    return times + fla_ratio(fla_ms, graph_ms, hymir_ms) + " | rel. RMS diff. %.1e" % diff


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--hymir-compile", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--only", nargs="+", help="prepare these cases only")
    d = sub.add_parser("device")
    d.add_argument("--runner", required=True)
    d.add_argument("--cases", required=True)
    d.add_argument("--fla")
    d.add_argument("--mamba", help="mamba_ssm's source (the folder that holds mamba_ssm/)")
    d.add_argument("--reps", type=int, default=50)
    args = ap.parse_args()
    return prepare(args) if args.cmd == "prepare" else device(args)


if __name__ == "__main__":
    sys.exit(main())
