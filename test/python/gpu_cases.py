#!/usr/bin/python3
"""The GPU test protocol (DESIGN.md §6): no machine has both the compiler and a GPU, so

  gpu_cases.py prepare --hymir-compile PATH --examples DIR --out CASES [--only NAME ...]
                       [--grid ci|full]

runs here: for every gallery example and shape of the grid it writes the inputs (float32
.npy, hymir_oracle.inputs with the seeds check_gallery.py uses), the float64 oracle results
(hymir_oracle.ops) and the CUDA artifact `hymir-compile --target=cuda` makes for those
shapes, plus CASES/manifest.json. With --compile-only it compiles (and ptxas-assembles)
every case and writes no data: CI's check that every gallery op builds for sm_90a.

With --tensor-cores it also writes the tensor-core cases: the bench files of
bench/gpu (K = V = 128: shapes the TF32 WMMA tiles take; 2 heads instead of 16, to keep
the data small) made bf16 by hymir-narrow-inputs, inputs rounded to bf16, the float64 reference from the interpreter
(`hymir-run --reference --output-dtype=f64`) on exactly those values, tolerance 5e-3
(issue #5), and a check here that the PTX of each artifact with T > 1 holds `wmma.mma`
(the products did go to tensor cores) and that at T = 1 it does not (a single step takes
the sequential form).

  gpu_cases.py run --runner PATH --cases CASES [--tol 1e-4] [--summary FILE]

runs on the GPU machine (numpy only): each artifact through the runtime's `hymir-rt-run`,
each result compared with the oracle by relative RMS error (angles modulo 2 pi, as
check_gallery.py does); one PASS/FAIL line per case and 'N passed, M failed'.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

GRIDS = {
    # T = 1, T not a multiple of any chunk, B = 1 and 2.
    "ci": [(1, 1), (2, 37)],
    "full": [(1, 1), (2, 1), (1, 37), (2, 37), (1, 300), (2, 300)],
}
# Every case as the pipeline builds it by default, and the f32 scans with a chunked form
# also in the parallel-chunks form (docs/cuda-artifacts.md): chunk terms, state pass and
# outputs as three kernels; chunks of 32, the outputs one block per chunk with all value
# columns. The bf16 tensor-core cases take that form by default (parallel-chunks=auto),
# and also the sequential chunk loop (_sc) and chunks of 64 with shared memory up to the
# per-block limit (_c64: 64-term in-chunk sums, no global workspace).
COMPILE_VARIANTS = [("", []), ("_pc", ["--parallel-chunks=on"])]
TENSOR_CORE_VARIANTS = [("", []), ("_sc", ["--parallel-chunks=off"]),
                        ("_c64", ["--parallel-chunk-size=64", "--shared-memory=232448"])]
PARALLEL_CHUNK_OPS = {"linear_attention", "retnet", "simple_gla", "mamba2_ssd", "delta_net",
                      "gated_delta_net"}

from check_gallery import rel_rms  # noqa: E402  (numpy only)
from hymir_oracle.inputs import ANGLE_RESULTS  # noqa: E402


def shape_arg(a):
    a = np.asarray(a)
    return "scalar" if a.ndim == 0 else "x".join(str(d) for d in a.shape)


# Tensor-core cases: (name, bench file, input generator of bench/gpu/cases.py).
TENSOR_CORE_CASES = [("simple_gla", "simple_gla"), ("gdn", "gdn"), ("mamba2", "mamba2")]
TENSOR_CORE_GRID = [(1, 1), (2, 37), (1, 300), (2, 128)]  # 128: whole chunks only
TENSOR_CORE_TOL = 5e-3
TENSOR_CORE_HEADS = 2


def with_heads(text, heads):
    """A bench file (16 heads) with `heads` heads instead."""
    import re
    text = text.replace("heads = 16", "heads = %d" % heads)
    text = re.sub(r"x16x128", "x%dx128" % heads, text)
    text = re.sub(r"\?x16xf32", "?x%dxf32" % heads, text)
    return text.replace("tensor<16xf32>", "tensor<%dxf32>" % heads)


def prepare_tensor_cores(args, cases):
    """The bf16 tensor-core cases (see the module docstring); returns the failure count."""
    import bf16_variants  # noqa: E402
    root = os.path.dirname(os.path.dirname(HERE))
    sys.path.insert(0, os.path.join(root, "bench", "gpu"))
    import cases as bench_cases  # noqa: E402  (the bench's deterministic inputs)
    bench_dir = os.path.join(root, "bench", "gpu")
    hymir_bin = os.path.dirname(args.hymir_compile)
    variants = os.path.join(args.out, "bf16-variants")
    sources = os.path.join(variants, "f32")
    os.makedirs(sources, exist_ok=True)
    failures = 0
    for name, op in TENSOR_CORE_CASES:
        with open(os.path.join(bench_dir, name + ".mlir")) as f:
            text = with_heads(f.read(), TENSOR_CORE_HEADS)
        with open(os.path.join(sources, name + ".mlir"), "w") as f:
            f.write(text)
        narrow = bf16_variants.make_variants(os.path.join(hymir_bin, "hymir-opt"), sources,
                                             [name], variants)[name]
        mlir = os.path.join(variants, name + ".mlir")
        for (B, T), (suffix, flags) in [(bt, v) for bt in TENSOR_CORE_GRID
                                        for v in TENSOR_CORE_VARIANTS]:
            tag = "tc_%s_bf16_B%d_T%d%s" % (name, B, T, suffix)
            case_dir = os.path.join(args.out, tag)
            os.makedirs(case_dir, exist_ok=True)
            data = bf16_variants.round_arguments(
                bench_cases.case_inputs(op, B, T, TENSOR_CORE_HEADS), narrow)
            shapes = ["--shape=" + shape_arg(a) for a in data]
            base = [args.hymir_compile, mlir, "--target=cuda"] + shapes + flags
            ptx = os.path.join(case_dir, "kernels.ptx")
            procs = [subprocess.run(base + ["-o", os.path.join(case_dir, "artifact")],
                                    capture_output=True, text=True),
                     subprocess.run(base + ["--emit=ptx", "-o", ptx],
                                    capture_output=True, text=True)]
            bad = [p.stderr.strip()[-600:] for p in procs if p.returncode != 0]
            # T = 1 is a single step, which takes the sequential form (no chunk
            # products); every longer sequence runs its products on tensor cores.
            if not bad:
                with open(ptx) as f:
                    mma = "wmma.mma.sync" in f.read()
                if T > 1 and not mma:
                    bad.append("no wmma.mma in the PTX: the products did not go to "
                               "tensor cores")
                if T == 1 and mma:
                    bad.append("wmma.mma in the PTX at T = 1: a single step should take "
                               "the sequential form")
            if bad:
                failures += 1
                print("FAIL compile %s: %s" % (tag, "; ".join(bad)))
                continue
            print("ok   compile %s (%s)" % (tag, "tensor cores" if T > 1 else "sequential step"))
            case = {"name": name + " bf16 tensor cores" + suffix, "B": B, "T": T,
                    "artifact": tag + "/artifact", "inputs": [], "refs": [],
                    "tol": TENSOR_CORE_TOL}
            for i, a in enumerate(data):
                np.save(os.path.join(case_dir, "in%d.npy" % i), a)
                case["inputs"].append("%s/in%d.npy" % (tag, i))
            ref_dir = os.path.join(case_dir, "ref")
            proc = subprocess.run(
                [os.path.join(hymir_bin, "hymir-run"), mlir, "--reference",
                 "--output-dtype=f64", "--output=" + ref_dir] +
                ["--input=" + os.path.join(case_dir, "in%d.npy" % i) for i in range(len(data))],
                capture_output=True, text=True)
            if proc.returncode != 0:
                failures += 1
                print("FAIL reference %s: %s" % (tag, proc.stderr.strip()[-600:]))
                continue
            for j in range(len([f for f in os.listdir(ref_dir) if f.endswith(".npy")])):
                case["refs"].append("%s/ref/out%d.npy" % (tag, j))
            cases.append(case)
    return failures


def prepare(args):
    from hymir_oracle import inputs, ops  # noqa: E402  (numpy oracle; here only)

    names = args.only or sorted(os.path.splitext(f)[0] for f in os.listdir(args.examples)
                                if f.endswith(".mlir"))
    os.makedirs(args.out, exist_ok=True)
    cases, failures = [], 0
    for name in names:
        variants = COMPILE_VARIANTS if name in PARALLEL_CHUNK_OPS else COMPILE_VARIANTS[:1]
        for (B, T), (suffix, flags) in [(bt, v) for bt in GRIDS[args.grid] for v in variants]:
            tag = "%s_B%d_T%d%s" % (name, B, T, suffix)
            case_dir = os.path.join(args.out, tag)
            os.makedirs(case_dir, exist_ok=True)
            data = inputs.make_inputs(name, B, T, inputs.seed_for(name, B, T))
            data = [np.asarray(a, dtype=np.float32) for a in data]
            cmd = [args.hymir_compile, os.path.join(args.examples, name + ".mlir"),
                   "--target=cuda", "-o", os.path.join(case_dir, "artifact")] + flags
            cmd += ["--shape=" + shape_arg(a) for a in data]
            t0 = time.time()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.time() - t0
            if proc.returncode != 0:
                failures += 1
                print("FAIL compile %s: %s" % (tag, proc.stderr.strip()[-600:]))
                continue
            print("ok   compile %s (%.2f s)" % (tag, dt))
            case = {"name": name + suffix, "B": B, "T": T, "artifact": tag + "/artifact",
                    "inputs": [], "refs": []}
            if not args.compile_only:
                for i, a in enumerate(data):
                    np.save(os.path.join(case_dir, "in%d.npy" % i), a)
                    case["inputs"].append("%s/in%d.npy" % (tag, i))
                refs = ops.ALL[name](*[np.asarray(a, dtype=np.float64) for a in data])
                for j, r in enumerate(refs):
                    np.save(os.path.join(case_dir, "ref%d.npy" % j), np.asarray(r, np.float64))
                    case["refs"].append("%s/ref%d.npy" % (tag, j))
            cases.append(case)
    if args.tensor_cores:
        failures += prepare_tensor_cores(args, cases)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"grid": args.grid, "cases": cases}, f, indent=1)
    print("%d compiled, %d failed" % (len(cases), failures))
    return 1 if failures else 0


def run(args):
    with open(os.path.join(args.cases, "manifest.json")) as f:
        manifest = json.load(f)
    lines, passed, failed = [], 0, 0
    for case in manifest["cases"]:
        label = "%s B=%d T=%d" % (case["name"], case["B"], case["T"])
        outdir = os.path.join(args.cases, case["artifact"] + "-out")
        os.makedirs(outdir, exist_ok=True)
        cmd = [args.runner, os.path.join(args.cases, case["artifact"]),
               "--output=" + outdir]
        cmd += ["--input=" + os.path.join(args.cases, p) for p in case["inputs"]]
        t0 = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        dt = time.time() - t0
        problems, worst = [], 0.0
        if proc.returncode != 0:
            problems.append("runner failed: " + proc.stderr.strip()[-400:])
        else:
            for j, ref_path in enumerate(case["refs"]):
                ref = np.load(os.path.join(args.cases, ref_path))
                out = np.load(os.path.join(outdir, "out%d.npy" % j))
                if out.shape != ref.shape:
                    problems.append("out%d shape %s != %s" % (j, out.shape, ref.shape))
                    continue
                if not np.all(np.isfinite(out)):
                    problems.append("out%d has non-finite values" % j)
                e = rel_rms(out, ref, angle=(case["name"], j) in ANGLE_RESULTS)
                worst = max(worst, e)
                tol = case.get("tol", args.tol)
                if not e <= tol:
                    problems.append("out%d rel=%.3g > tol %.0e" % (j, e, tol))
        ok = not problems
        passed += ok
        failed += not ok
        lines.append("%s %s max_rel=%.3g (%.2f s)%s" % (
            "PASS" if ok else "FAIL", label, worst, dt,
            "" if ok else " (" + "; ".join(problems) + ")"))
        print(lines[-1], flush=True)
    lines.append("%d passed, %d failed" % (passed, failed))
    print(lines[-1])
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--hymir-compile", required=True)
    p.add_argument("--examples", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--only", nargs="*")
    p.add_argument("--grid", choices=sorted(GRIDS), default="full")
    p.add_argument("--compile-only", action="store_true")
    p.add_argument("--tensor-cores", action="store_true",
                   help="also the bf16 tensor-core cases (bench/gpu files)")
    r = sub.add_parser("run")
    r.add_argument("--runner", required=True)
    r.add_argument("--cases", required=True)
    r.add_argument("--tol", type=float, default=1e-4)
    r.add_argument("--timeout", type=float, default=120)
    r.add_argument("--summary")
    args = ap.parse_args()
    return prepare(args) if args.cmd == "prepare" else run(args)


if __name__ == "__main__":
    sys.exit(main())
