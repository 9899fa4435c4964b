"""A ragged batch through model format 2's KV cache.

  kv_cache_ragged.py HYMIR_RUN MODEL.mlir W.safetensors WORKDIR IDS_A P_A IDS_B P_B EXTRA [TOL [TARGET]]

Prefills sequence A on IDS_A[0:P_A] and sequence B on IDS_B[0:P_B] (batch
1 each, P_A != P_B), joins their states into one batch of 2 (caches grown
along axis 1 to max(P_A, P_B) + EXTRA rows of random values, lengths
[P_A, P_B]), then decodes both together, one token of each per step, until
either runs out of ids. Every step's logits of sequence A (B) must equal
the logits at that position of a prefill over A (B) alone, within TOL
(default 1e-9, --reference --output-dtype=f64; TARGET=cpu: --target=cpu):
each sequence writes its own cache row and uses its own RoPE position.
"""
import os
import subprocess
import sys

import numpy as np

from kv_cache import grow, kv_states


def main():
    hymir_run, model, weights, work = sys.argv[1:5]
    ids = [[int(x) for x in sys.argv[5].split(",")],
           [int(x) for x in sys.argv[7].split(",")]]
    prompts = [int(sys.argv[6]), int(sys.argv[8])]
    extra = int(sys.argv[9])
    tol = float(sys.argv[10]) if len(sys.argv) > 10 else 1e-9
    mode = ["--reference", "--output-dtype=f64"]
    if len(sys.argv) > 11:
        assert sys.argv[11] == "cpu", sys.argv[11]
        mode = ["--target=cpu"]
    assert prompts[0] != prompts[1]
    steps = min(len(i) - p for i, p in zip(ids, prompts))
    assert steps >= 1
    caches, lengths = kv_states(model)
    assert caches and lengths, "the model has no KV cache"
    os.makedirs(work, exist_ok=True)

    def run(entry, arrays, name):
        paths = []
        for i, a in enumerate(arrays):
            paths.append(os.path.join(work, "%s_in%d.npy" % (name, i)))
            np.save(paths[-1], a)
        out = os.path.join(work, name)
        subprocess.run([hymir_run, model, "--weights=" + weights,
                        "--entry=" + entry, "--output=" + out] + mode +
                       ["--input=" + p for p in paths], check=True)
        n = len([f for f in os.listdir(out) if f.startswith("out")])
        return [np.load(os.path.join(out, "out%d.npy" % i)) for i in range(n)]

    want = [run("prefill", [np.array([s[:p + steps]], np.int32)], "full%d" % j)[0][0]
            for j, (s, p) in enumerate(zip(ids, prompts))]
    heads = [run("prefill", [np.array([s[:p]], np.int32)], "head%d" % j)
             for j, (s, p) in enumerate(zip(ids, prompts))]
    rng = np.random.default_rng(2)
    capacity = max(prompts) + steps + extra
    states = []
    for i in range(len(heads[0]) - 1):
        parts = [h[1 + i] for h in heads]
        if i in caches:
            parts = [grow(p, capacity, rng) for p in parts]
        states.append(np.concatenate(parts, axis=0))
    for i in lengths:
        assert list(states[i]) == prompts, states[i]
    worst = 0.0
    for s in range(steps):
        tok = np.array([ids[0][prompts[0] + s], ids[1][prompts[1] + s]], np.int32)
        outs = run("decode", [tok] + states, "step%d" % s)
        for j in range(2):
            ref = want[j][prompts[j] + s]
            err = float(np.max(np.abs(outs[0][j] - ref)) / max(1.0, np.max(np.abs(ref))))
            print("step %d sequence %d (position %d): %.3g" % (s, j, prompts[j] + s, err))
            worst = max(worst, err)
        states = outs[1:]
        for i in lengths:
            assert list(states[i]) == [p + s + 1 for p in prompts], states[i]
    if not worst <= tol:
        sys.exit("FAIL: max relative error %.3g > %.3g" % (worst, tol))
    print("OK")


if __name__ == "__main__":
    main()
