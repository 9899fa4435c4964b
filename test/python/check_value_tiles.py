#!/usr/bin/python3
"""Value tiles of the sequential fallback (hymir-convert-hymir-to-loops value-tile, inside
hymir-cpu-pipeline) on awkward shapes, against the independent float64 oracle and against the
untiled fallback.

  check_value_tiles.py --hymir-run PATH [--work DIR]

The scans of check_chunked_delta.py (Gated DeltaNet with GVA: 2 q/k heads read by 6 value heads,
l2-norm, softplus gate and sigmoid beta inside the body; DeltaNet with 3 heads), K = 24, at
  * V = 48, value-tile 16: 3 tiles of 16 columns (the vector rows of hymir-vectorize-value-tiles);
  * V = 40, value-tile 16: 2 tiles of 20 columns (not a multiple of the vector width: scalar rows);
  * V = 37, value-tile 16: V prime, no tiling divides it (one tile, the untiled code);
T = 1 (decode) and T = 37 (the state tile carried over 37 steps), B in {1, 2}, non-zero initial
states, every scan through the fallback (--chunk-size=0). Per case the tiled code must match
  * the oracle: relative RMS <= 1e-4 for the output and the final state;
  * the untiled fallback (--value-tile=0): <= 1e-6;
  * itself at --threads=2: byte-identical outputs.
Prints one line per case, then 'N passed, M failed'; exit status 1 if any failed.
"""

import argparse
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_chunked_delta as delta  # noqa: E402
from chunked_check import instantiate, rel_rms, run  # noqa: E402
from hymir_oracle import ops  # noqa: E402

TOL_ORACLE, TOL_UNTILED = 1e-4, 1e-6
K = 24


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hymir-run", required=True)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="value-tiles-")
    os.makedirs(work, exist_ok=True)

    passed = failed = 0
    n = 0
    for V in (48, 40, 37):
        delta.V = V  # the input makers read the module's V
        cases = {
            "gdn": (instantiate(delta.GDN, H=delta.GDN_H, HV=delta.GDN_HV, K=K, V=V),
                    delta.gdn_inputs, ops.gated_delta_net),
            "delta": (instantiate(delta.DELTA, H=delta.DN_H, K=K, V=V), delta.delta_inputs,
                      ops.delta_net),
        }
        for name, (source, make, oracle) in cases.items():
            for B in (1, 2):
                for T in (1, 37):
                    n += 1
                    case = os.path.join(work, "case%d" % n)
                    os.makedirs(case, exist_ok=True)
                    mlir = os.path.join(case, name + ".mlir")
                    with open(mlir, "w") as f:
                        f.write(source)
                    rng = np.random.default_rng(2000 + n)
                    regime = "typical" if name == "gdn" else "sigmoid"
                    inputs = [np.asarray(x, np.float32) for x in make(rng, B, T, regime)]
                    paths = []
                    for i, x in enumerate(inputs):
                        paths.append(os.path.join(case, "a%d.npy" % i))
                        np.save(paths[-1], x)
                    refs = oracle(*[x.astype(np.float64) for x in inputs])
                    label = "%s V=%d B=%d T=%d" % (name, V, B, T)
                    seq = ["--chunk-size=0"]
                    try:
                        tiled, raw1 = run(args.hymir_run, mlir, paths, os.path.join(case, "t1"),
                                          seq + ["--value-tile=16", "--threads=1"])
                        _, raw2 = run(args.hymir_run, mlir, paths, os.path.join(case, "t2"),
                                      seq + ["--value-tile=16", "--threads=2"])
                        flat, _ = run(args.hymir_run, mlir, paths, os.path.join(case, "flat"),
                                      seq + ["--value-tile=0", "--threads=1"])
                    except Exception as e:  # noqa: BLE001 - reported as a failed case
                        print("FAIL %s: %s" % (label, e), flush=True)
                        failed += 1
                        continue
                    e_oracle = max(rel_rms(t, r) for t, r in zip(tiled, refs))
                    e_flat = max(rel_rms(t, f) for t, f in zip(tiled, flat))
                    problems = []
                    if not all(np.all(np.isfinite(t)) for t in tiled):
                        problems.append("non-finite outputs")
                    if e_oracle > TOL_ORACLE:
                        problems.append("oracle error %.2e > %.0e" % (e_oracle, TOL_ORACLE))
                    if e_flat > TOL_UNTILED:
                        problems.append("untiled difference %.2e > %.0e" % (e_flat, TOL_UNTILED))
                    if raw1 != raw2:
                        problems.append("threads=2 output differs from threads=1")
                    status = "FAIL" if problems else "PASS"
                    print("%s %s: oracle %.2e, untiled %.2e%s" % (
                        status, label, e_oracle, e_flat,
                        "" if not problems else " (" + "; ".join(problems) + ")"), flush=True)
                    if problems:
                        failed += 1
                    else:
                        passed += 1
    print("%d passed, %d failed" % (passed, failed))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
