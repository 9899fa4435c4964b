"""Checks that decode after prefill equals prefill over the whole sequence.

  decode_matches_prefill.py HYMIR_RUN MODEL.mlir W.safetensors WORKDIR IDS T1 [TOL [TARGET [EXTRA]]]

Runs @prefill on IDS[0:T1] (batch 1), grows its KV caches (model format 2:
the states marked {hymir.kv_cache}) along axis 1 to len(IDS) + EXTRA rows,
as a runner does, then @decode on IDS[T1], IDS[T1+1], ... carrying the states
(out1.npy, out2.npy, ... of the previous call), and @prefill on all of IDS.
Every decode step's logits must equal the matching row of the full prefill's
logits, and the states after the last decode step must equal the full
prefill's states (caches: their first len(IDS) rows), within TOL (default
1e-9) relative to the largest magnitude of the reference. With EXTRA > 0 the
grown rows are random values, not zeros: rows past the lengths must not
matter. All runs use --reference --output-dtype=f64, or with TARGET=cpu
--target=cpu (f32 results; TARGET=ref keeps the reference). Prints one line
per step and "OK".
"""
import os
import subprocess
import sys

import numpy as np

from kv_cache import grow, kv_states


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
    if len(sys.argv) > 8 and sys.argv[8] != "ref":
        global MODE
        assert sys.argv[8] == "cpu", sys.argv[8]
        MODE = ["--target=cpu"]
    extra = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    assert 1 <= t1 < len(ids)
    caches, lengths = kv_states(model)
    rng = np.random.default_rng(1) if extra else None
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
    for i in lengths:
        assert np.all(np.load(outs[1 + i]) == t1), "lengths after prefill"
    # The runner's growth: capacity len(ids) + extra rows.
    for i in caches:
        grown = os.path.join(work, "grown%d.npy" % i)
        np.save(grown, grow(np.load(outs[1 + i]), len(ids) + extra, rng))
        outs[1 + i] = grown
    for t in range(t1, len(ids)):
        tok = os.path.join(work, "tok%d.npy" % t)
        np.save(tok, np.array([ids[t]], np.int32))
        outs = run(hymir_run, model, weights, "decode", [tok] + outs[1:],
                   os.path.join(work, "step%d" % (t - t1 + 1)))
        err = rel_err(np.load(outs[0])[0], ref_logits[t])
        print("decode t=%d: %.3g" % (t, err))
        worst = max(worst, err)
    for i in range(1, len(full)):
        got, want = np.load(outs[i]), np.load(full[i])
        if i - 1 in caches:
            assert got.shape[1] == len(ids) + extra, got.shape
            got = got[:, :len(ids)]
        if i - 1 in lengths:
            assert np.all(got == want) and np.all(want == len(ids)), (got, want)
        err = rel_err(got, want)
        print("state %d: %.3g" % (i, err))
        worst = max(worst, err)
    if not worst <= tol:
        sys.exit("FAIL: max relative error %.3g > %.3g" % (worst, tol))
    print("OK")


if __name__ == "__main__":
    main()
