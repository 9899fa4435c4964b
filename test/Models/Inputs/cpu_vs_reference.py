"""Checks a model's @prefill on the CPU target against the reference.

  cpu_vs_reference.py HYMIR_RUN MODEL.mlir W.safetensors WORKDIR B T SEED [TOL]

Draws random token ids [B, T] (numpy, SEED) below the vocabulary (the last
dim of @prefill's logits, read from the module), runs @prefill with
--reference --output-dtype=f64 and with --target=cpu (f32), and requires the
relative RMS error sqrt(mean((cpu - ref)^2)) / sqrt(mean(ref^2)) of every
float result (logits and states) to be at most TOL (default 1e-4), and
integer results (KV-cache lengths) to be equal. Prints the
error of each result and "OK".
"""
import os
import re
import subprocess
import sys

import numpy as np


def run(hymir_run, mode, model, weights, entry, inputs, out):
    cmd = [hymir_run, model, "--weights=" + weights, "--entry=" + entry,
           "--output=" + out] + mode
    cmd += ["--input=" + p for p in inputs]
    subprocess.run(cmd, check=True)
    n = len([f for f in os.listdir(out) if re.fullmatch(r"out\d+\.npy", f)])
    return [np.load(os.path.join(out, "out%d.npy" % i)) for i in range(n)]


def rel_rms(got, want):
    den = float(np.sqrt(np.mean(want.astype(np.float64) ** 2)))
    num = float(np.sqrt(np.mean((got.astype(np.float64) - want) ** 2)))
    return num / den if den > 0 else num


def vocab_of(model):
    text = open(model).read()
    m = re.search(r"func\.func @prefill\(.*?-> \(tensor<\?x\?x(\d+)x", text, re.S)
    assert m, "no @prefill with static vocabulary in " + model
    return int(m.group(1))


def main():
    hymir_run, model, weights, work = sys.argv[1:5]
    b, t, seed = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    tol = float(sys.argv[8]) if len(sys.argv) > 8 else 1e-4
    os.makedirs(work, exist_ok=True)
    ids = np.random.default_rng(seed).integers(0, vocab_of(model), size=(b, t)).astype(np.int32)
    path = os.path.join(work, "ids.npy")
    np.save(path, ids)
    ref = run(hymir_run, ["--reference", "--output-dtype=f64"], model, weights, "prefill",
              [path], os.path.join(work, "ref"))
    cpu = run(hymir_run, ["--target=cpu"], model, weights, "prefill", [path],
              os.path.join(work, "cpu"))
    assert len(ref) == len(cpu) >= 1, (len(ref), len(cpu))
    worst = 0.0
    for i, (c, r) in enumerate(zip(cpu, ref)):
        assert c.shape == r.shape, (i, c.shape, r.shape)
        if r.dtype.kind == "i":
            # KV-cache lengths (model format 2): exact.
            assert c.dtype == r.dtype and np.array_equal(c, r), (i, c, r)
            print("lengths %d %s: exact" % (i, "x".join(map(str, r.shape))))
            continue
        assert c.dtype == np.float32, (i, c.dtype)
        assert np.all(np.isfinite(c)), "result %d has non-finite values" % i
        err = rel_rms(c, r)
        print("%s %d %s: relative RMS %.3g" % ("logits" if i == 0 else "state", i,
                                                "x".join(map(str, r.shape)), err))
        worst = max(worst, err)
    # The logits must not be trivially small (a test that cannot fail).
    assert np.sqrt(np.mean(ref[0] ** 2)) > 1e-3
    if not worst <= tol:
        sys.exit("FAIL: relative RMS %.3g > %.3g" % (worst, tol))
    print("OK")


if __name__ == "__main__":
    main()
