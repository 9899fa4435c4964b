"""Checks that decode after prefill equals prefill over the whole sequence.

  decode_matches_prefill.py HYMIR_RUN MODEL.mlir W.safetensors WORKDIR IDS T1 [TOL [TARGET]]

Runs @prefill on IDS[0:T1] (batch 1), then @decode on IDS[T1], IDS[T1+1], ...
carrying the states (out1.npy, out2.npy, ... of the previous call), and
@prefill on all of IDS. Every decode step's logits must equal the matching
row of the full prefill's logits, and the states after the last decode step
must equal the full prefill's states, within TOL (default 1e-9) relative to
the largest magnitude of the reference. All runs use --reference
--output-dtype=f64, or with TARGET=cpu --target=cpu (f32 results). Prints one
line per step and "OK".
"""
import os
import subprocess
import sys

import numpy as np


MODE = ["--reference", "--output-dtype=f64"]


def run(hymir_run, model, weights, entry, inputs, out):
    cmd = [hymir_run, model] + MODE + [
           "--weights=" + weights, "--entry=" + entry, "--output=" + out]
    cmd += ["--input=" + p for p in inputs]
    subprocess.run(cmd, check=True)
    n = len([f for f in os.listdir(out) if f.startswith("out")])
    return [os.path.join(out, "out%d.npy" % i) for i in range(n)]


def rel_err(got, want):
    return float(np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want))))


def main():
    hymir_run, model, weights, work = sys.argv[1:5]
    ids = [int(x) for x in sys.argv[5].split(",")]
    t1 = int(sys.argv[6])
    tol = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-9
    if len(sys.argv) > 8:
        global MODE
        assert sys.argv[8] == "cpu", sys.argv[8]
        MODE = ["--target=cpu"]
    assert 1 <= t1 < len(ids)
    os.makedirs(work, exist_ok=True)

    np.save(os.path.join(work, "all.npy"), np.array([ids], np.int32))
    full = run(hymir_run, model, weights, "prefill",
               [os.path.join(work, "all.npy")], os.path.join(work, "full"))
    ref_logits = np.load(full[0])[0]  # [T, V]

    np.save(os.path.join(work, "head.npy"), np.array([ids[:t1]], np.int32))
    outs = run(hymir_run, model, weights, "prefill",
               [os.path.join(work, "head.npy")], os.path.join(work, "step0"))
    worst = rel_err(np.load(outs[0])[0], ref_logits[:t1])
    print("prefill[0:%d]: %.3g" % (t1, worst))
    for t in range(t1, len(ids)):
        tok = os.path.join(work, "tok%d.npy" % t)
        np.save(tok, np.array([ids[t]], np.int32))
        outs = run(hymir_run, model, weights, "decode", [tok] + outs[1:],
                   os.path.join(work, "step%d" % (t - t1 + 1)))
        err = rel_err(np.load(outs[0])[0], ref_logits[t])
        print("decode t=%d: %.3g" % (t, err))
        worst = max(worst, err)
    for i in range(1, len(full)):
        err = rel_err(np.load(outs[i]), np.load(full[i]))
        print("state %d: %.3g" % (i, err))
        worst = max(worst, err)
    if not worst <= tol:
        sys.exit("FAIL: max relative error %.3g > %.3g" % (worst, tol))
    print("OK")


if __name__ == "__main__":
    main()
