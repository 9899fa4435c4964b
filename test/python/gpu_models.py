#!/usr/bin/python3
"""The GPU protocol for models (docs/cuda-artifacts.md): no machine has both the compiler and
a GPU, so

  gpu_models.py prepare --bin BUILD/bin --configs DIR --out CASES [--only NAME ...]
                        [--compile-only] [--grid full|ci] [--jobs 2]

runs here: for every tiny config (tiny-*.json) it imports the model (hymir-import --moe=dense,
random weights with --seed=1), compiles a model artifact for each shape of the grid
(hymir-compile --target=cuda --batch --prompt-len --capacity) and computes with the float64
reference (hymir-run --reference) the greedy ids of --generate and @prefill's logits
(tokens [B, T], the prompt repeated in every sequence), written to CASES/manifest.json.
With --compile-only it compiles (ptxas) and checks every artifact's plans with
hymir-rt-plan, and computes nothing: CI's check.

  gpu_models.py run --runner PATH --cases CASES [--tol 1e-4] [--summary FILE]

runs on the GPU machine (numpy only): `hymir-rt-run MODEL --weights --prompt-ids --generate
--logits`; a case passes when every sequence's ids equal the reference's and the prefill
logits are within relative RMS --tol of it. One PASS/FAIL line per case (with the GPU's
prefill and decode tokens/s), then 'N passed, M failed'.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# (batch, prompt, generated ids): T = 1, T not a multiple of any chunk, B = 2.
GRIDS = {"full": [(2, 1, 4), (1, 7, 6)], "ci": [(2, 3, 3)]}


def prompt_for(name, T):
    """Deterministic prompt ids (vocabularies of the tiny configs are >= 64)."""
    seed = sum(ord(c) for c in name) + T
    return [int(x) for x in np.random.default_rng(seed).integers(0, 64, size=T)]


def run_checked(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd[:2]), proc.stderr.strip()[-800:]))
    return proc.stdout


def prepare_case(args, name, mlir, weights, B, T, N):
    """Compiles one artifact (and computes its reference); returns (case, error)."""
    b = lambda tool: os.path.join(args.bin, tool)  # noqa: E731
    tag = "%s_B%d_T%d" % (name, B, T)
    art = os.path.join(args.out, name, "B%d_T%d" % (B, T))
    prompt = prompt_for(name, T)
    t0 = time.time()
    try:
        run_checked([b("hymir-compile"), mlir, "--target=cuda", "-o", art, "--batch=%d" % B,
                     "--prompt-len=%d" % T, "--capacity=%d" % (T + N - 1)])
        run_checked([b("hymir-rt-plan"), art, "--weights=" + weights])
    except RuntimeError as e:
        return None, "FAIL compile %s: %s" % (tag, e)
    case = {"name": name, "B": B, "T": T, "N": N, "prompt": prompt,
            "artifact": os.path.relpath(art, args.out),
            "weights": os.path.relpath(weights, args.out)}
    if not args.compile_only:
        try:
            # Greedy ids: the reference's --generate (batch 1; the B sequences of the
            # artifact share the prompt, so each must give these ids).
            out = run_checked([b("hymir-run"), mlir, "--reference", "--weights=" + weights,
                               "--generate=%d" % N,
                               "--prompt-ids=" + ",".join(map(str, prompt))])
            case["ids"] = [int(x) for x in out.splitlines()[0].split(",")]
            tokens = os.path.join(art, "tokens.npy")
            np.save(tokens, np.array([prompt] * B, dtype=np.int32))
            run_checked([b("hymir-run"), mlir, "--reference", "--weights=" + weights,
                         "--entry=prefill", "--input=" + tokens,
                         "--output=" + os.path.join(art, "ref"), "--output-dtype=f64"])
            case["logits"] = os.path.relpath(os.path.join(art, "ref", "out0.npy"), args.out)
        except RuntimeError as e:
            return None, "FAIL reference %s: %s" % (tag, e)
    return case, "ok   %s %s (%.1f s)" % ("compile" if args.compile_only else "prepare", tag,
                                         time.time() - t0)


def prepare(args):
    b = lambda tool: os.path.join(args.bin, tool)  # noqa: E731
    names = args.only or sorted(f[len("tiny-"):-len(".json")] for f in os.listdir(args.configs)
                                if f.startswith("tiny-") and f.endswith(".json"))
    os.makedirs(args.out, exist_ok=True)
    jobs, failures = [], 0
    for name in names:
        model_dir = os.path.join(args.out, name)
        os.makedirs(model_dir, exist_ok=True)
        mlir = os.path.join(model_dir, "model.mlir")
        weights = os.path.join(model_dir, "weights.safetensors")
        try:
            # --moe=dense: the sparse dispatch's routed-row count sizes its
            # buffers, which a CUDA plan (static sizes, the host only
            # launches) cannot express yet (docs/models.md).
            run_checked([b("hymir-import"), os.path.join(args.configs, "tiny-%s.json" % name),
                         "-o", mlir, "--moe=dense", "--random-weights=" + weights, "--seed=1"])
        except RuntimeError as e:
            failures += 1
            print("FAIL import %s: %s" % (name, e))
            continue
        jobs += [(name, mlir, weights, B, T, N) for B, T, N in GRIDS[args.grid]]
    cases = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for case, line in pool.map(lambda j: prepare_case(args, *j), jobs):
            print(line, flush=True)
            if case:
                cases.append(case)
            else:
                failures += 1
    manifest = os.path.join(args.out, "manifest.json")
    if args.only and os.path.exists(manifest):
        # Redoing some models: the other models' cases stay.
        with open(manifest) as f:
            cases = [c for c in json.load(f)["cases"] if c["name"] not in names] + cases
    with open(manifest, "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    print("%d prepared, %d failed" % (len(cases), failures))
    return 1 if failures else 0


def rel_rms(out, ref):
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    return float(np.sqrt(np.mean((out - ref) ** 2)) / max(np.sqrt(np.mean(ref ** 2)), 1e-30))


def run(args):
    with open(os.path.join(args.cases, "manifest.json")) as f:
        manifest = json.load(f)
    lines, passed, failed = [], 0, 0
    for case in manifest["cases"]:
        label = "model %s B=%d T=%d N=%d" % (case["name"], case["B"], case["T"], case["N"])
        art = os.path.join(args.cases, case["artifact"])
        logits = os.path.join(art, "gpu-logits.npy")
        cmd = [args.runner, art, "--weights=" + os.path.join(args.cases, case["weights"]),
               "--prompt-ids=" + ",".join(map(str, case["prompt"])),
               "--generate=%d" % case["N"], "--logits=" + logits]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        problems, err, speed = [], float("nan"), ""
        if proc.returncode != 0:
            problems.append("runner failed: " + proc.stderr.strip()[-400:])
        else:
            out = proc.stdout.splitlines()
            got = [[int(x) for x in line.split(",")] for line in out[:case["B"]]]
            for b, ids in enumerate(got):
                if ids != case["ids"]:
                    problems.append("sequence %d ids %s != %s" % (b, ids, case["ids"]))
            speed = " | " + " | ".join(out[case["B"]:])
            ref = np.load(os.path.join(args.cases, case["logits"]))
            gpu = np.load(logits)
            if gpu.shape != ref.shape:
                problems.append("logits shape %s != %s" % (gpu.shape, ref.shape))
            else:
                err = rel_rms(gpu, ref)
                if not err <= args.tol:
                    problems.append("logits rel=%.3g > tol %.0e" % (err, args.tol))
        ok = not problems
        passed += ok
        failed += not ok
        lines.append("%s %s logits_rel=%.3g%s%s" % (
            "PASS" if ok else "FAIL", label, err, speed,
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
    p.add_argument("--bin", required=True)
    p.add_argument("--configs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--only", nargs="*")
    p.add_argument("--compile-only", action="store_true")
    p.add_argument("--grid", choices=sorted(GRIDS), default="full")
    p.add_argument("--jobs", type=int, default=2)
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
