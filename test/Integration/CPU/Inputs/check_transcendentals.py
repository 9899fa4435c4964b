"""Compares compiled f32 exp, expm1, log, log1p, tanh with float64.

  check_transcendentals.py HYMIR_RUN MODEL.mlir WORKDIR

MODEL's @main takes one f32 vector per function (in that order) and returns
the function of each. Prints the largest error of each function in ulp of the
float64 result rounded to f32 (subnormal results: of the smallest normal,
the polynomials flush them to 0), fails past a bound (MAX_ULP) or when an edge
case (special value, exact point) is not the IEEE result. Prints "OK".
"""
import os
import subprocess
import sys

import numpy as np

N = 200003  # not a multiple of any vector width: the scalar tail runs too
MAX_ULP = {"exp": 4, "expm1": 4, "log": 2, "log1p": 3, "tanh": 5}
INF, NAN = np.inf, np.nan


def magnitudes(rng, lo, hi, n):
    """n values log-uniform in [10^lo, 10^hi]."""
    return 10.0 ** rng.uniform(lo, hi, n)


def inputs(rng):
    """The random inputs and the (input, exact result) edge cases."""
    signs = lambda n: rng.choice([-1.0, 1.0], n)
    m = N // 2
    cases = {
        "exp": (np.concatenate([rng.uniform(-103, 88.7, m),
                                signs(N - m) * magnitudes(rng, -30, 1, N - m)]),
                [(0.0, 1.0), (-INF, 0.0), (INF, INF), (NAN, NAN),
                 (100.0, INF), (-200.0, 0.0)]),
        "expm1": (np.concatenate([rng.uniform(-30, 88.7, m),
                                  signs(N - m) * magnitudes(rng, -30, 0, N - m)]),
                  [(0.0, 0.0), (-INF, -1.0), (INF, INF), (NAN, NAN),
                   (100.0, INF), (-200.0, -1.0)]),
        "log": (np.concatenate([magnitudes(rng, -37, 38, m),
                                rng.uniform(0.5, 2.0, N - m)]),
                [(1.0, 0.0), (0.0, -INF), (INF, INF), (-1.0, NAN),
                 (NAN, NAN)]),
        "log1p": (np.concatenate([magnitudes(rng, -30, 38, m),
                                  -magnitudes(rng, -30, -1e-7, N - m)]),
                  [(0.0, 0.0), (-1.0, -INF), (INF, INF), (-2.0, NAN),
                   (NAN, NAN)]),
        "tanh": (signs(N) * magnitudes(rng, -30, 1.5, N),
                 [(0.0, 0.0), (INF, 1.0), (-INF, -1.0), (NAN, NAN),
                  (50.0, 1.0), (-50.0, -1.0)]),
    }
    return cases


def reference(name, x):
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        return {"exp": np.exp, "expm1": np.expm1, "log": np.log,
                "log1p": np.log1p, "tanh": np.tanh}[name](x)


TINY = float(np.finfo(np.float32).tiny)  # the smallest normal, 2^-126


def ulp_error(got, want):
    """|got - want| in units of the f32 spacing at want (rounded to f32);
    below the normal range, in units of the smallest normal: the polynomials
    flush subnormal results (exp(x) for x < -87.3) to 0."""
    w32 = np.abs(want.astype(np.float32))
    spacing = np.where(w32 < TINY, TINY, np.spacing(w32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


def main():
    hymir_run, model, work = sys.argv[1:4]
    rng = np.random.default_rng(7)
    cases = inputs(rng)
    names = list(cases)
    arrays = {}
    for name in names:
        x, edges = cases[name]
        x = x.astype(np.float32)
        x[: len(edges)] = [e for e, _ in edges]
        arrays[name] = x
        np.save(os.path.join(work, name + ".npy"), x)
    out = os.path.join(work, "out")
    subprocess.run([hymir_run, model, "--target=cpu", "--allow-nonfinite",
                    "--output=" + out] +
                   ["--input=" + os.path.join(work, n + ".npy") for n in names],
                   check=True)
    failed = False
    for i, name in enumerate(names):
        got = np.load(os.path.join(out, "out%d.npy" % i))
        x, (_, edges) = arrays[name], cases[name]
        for j, (arg, want) in enumerate(edges):
            ok = np.isnan(got[j]) if np.isnan(want) else got[j] == want
            if not ok:
                print("FAIL %s(%r) = %r, want %r" % (name, arg, got[j], want))
                failed = True
        rest = slice(len(edges), None)
        want = reference(name, x[rest])
        finite = np.isfinite(want.astype(np.float32))
        if not np.array_equal(np.isfinite(got[rest]), finite):
            bad = np.flatnonzero(np.isfinite(got[rest]) != finite)[0]
            print("FAIL %s(%r) = %r, want %r" % (name, x[rest][bad],
                                                 got[rest][bad], want[bad]))
            failed = True
        err = ulp_error(got[rest][finite], want[finite])
        worst = int(np.argmax(err))
        print("%s: max %.2f ulp at %r (%d inputs)" % (
            name, err[worst], x[rest][finite][worst], finite.sum()))
        if not err[worst] <= MAX_ULP[name]:
            print("FAIL %s: %.2f ulp > %d" % (name, err[worst], MAX_ULP[name]))
            failed = True
    if failed:
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
