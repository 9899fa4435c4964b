"""Checks an imported model against the independent float64 forward pass.

  compare_hf.py HYMIR_RUN MODEL.mlir W.safetensors CONFIG.json WORKDIR B T SEED [TOL]

Draws random token ids [B, T] (numpy, SEED), runs @prefill on the reference
(--output-dtype=f64) and hf_reference.py on each sequence, and requires
max |hymir - ref| / max |ref| <= TOL (default 1e-6: the module holds its
constants — eps, scales, RoPE frequencies — as f32, the oracle in float64).
Prints the error of each sequence and "OK".
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference  # noqa: E402


def main():
    hymir_run, model, weights, config, work = sys.argv[1:6]
    b, t, seed = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    tol = float(sys.argv[9]) if len(sys.argv) > 9 else 1e-6
    import json
    cfg = json.load(open(config))
    os.makedirs(work, exist_ok=True)
    ids = np.random.default_rng(seed).integers(0, cfg["vocab_size"], size=(b, t)).astype(np.int32)
    np.save(os.path.join(work, "ids.npy"), ids)
    out = os.path.join(work, "out")
    subprocess.run([hymir_run, model, "--reference", "--output-dtype=f64", "--weights=" + weights,
                    "--entry=prefill", "--input=" + os.path.join(work, "ids.npy"),
                    "--output=" + out], check=True)
    logits = np.load(os.path.join(out, "out0.npy"))
    assert logits.shape == (b, t, cfg["vocab_size"]), logits.shape
    W = hf_reference.read_safetensors(weights)
    family = hf_reference.FAMILIES[cfg["model_type"]]
    worst = 0.0
    for i in range(b):
        ref = family(cfg, W, ids[i])
        err = float(np.max(np.abs(logits[i] - ref)) / np.max(np.abs(ref)))
        print("sequence %d: %.3g (max |logit| %.3g)" % (i, err, np.max(np.abs(ref))))
        worst = max(worst, err)
    if not worst <= tol:
        sys.exit("FAIL: relative error %.3g > %.3g" % (worst, tol))
    print("OK")


if __name__ == "__main__":
    main()
