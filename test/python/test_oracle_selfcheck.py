#!/usr/bin/python3
"""Self-check of the float64 gallery oracle (hymir_oracle.ops) -- no hymir tool involved.

  1. second forms (hymir_oracle.alt) == token loops, at B in {1, 2} x T in {1, 16, 17, 37, 100},
     relative RMS <= 1e-10 (finite-difference gradient check: <= 1e-6);
  2. split property of every recurrent example: [0, T1) then [T1, T) with carried states == one
     call (T1 in {1, T//2, T-1}; ttt_linear at multiples of 16), relative RMS <= 1e-10;
  3. input domains: a float32 run of the same token loops stays within 6e-6 (relative RMS) of
     the float64 oracle at B = 2, T in {1, 37, 300} (EXAMPLES.md section 1.2).

Prints one line per check, then 'N passed, M failed'; exit status 1 on any failure.
Usage: test_oracle_selfcheck.py [--quick] [--only NAME ...]
"""

import argparse
import math
import os
import sys
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hymir_oracle import alt, inputs, ops  # noqa: E402

TOL_ALT = 1e-10
TOL_SPLIT = 1e-10
TOL_F32 = 6e-6
TOL_FD = 1e-6


def rel_rms(out, ref, angle=False):
    """||out - ref||_2 / ||ref||_2 (absolute if ref == 0); angles: wrapped difference."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    d = out - ref
    if angle:
        d = np.mod(d + math.pi, 2 * math.pi) - math.pi
    nr = np.linalg.norm(ref)
    nd = np.linalg.norm(d)
    if not np.isfinite(nd):
        return float("inf")
    return float(nd / nr) if nr > 0 else float(nd)


def max_rel(name, outs, refs):
    assert len(outs) == len(refs), (len(outs), len(refs))
    errs = []
    for j, (o, r) in enumerate(zip(outs, refs)):
        assert np.shape(o) == np.shape(r), (j, np.shape(o), np.shape(r))
        errs.append(rel_rms(o, r, angle=(name, j) in inputs.ANGLE_RESULTS))
    return max(errs)


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, label, fn, tol):
        try:
            err = fn()
            ok = err <= tol
            detail = "rel=%.3g (tol %.0e)" % (err, tol)
        except Exception as e:  # noqa: BLE001
            ok = False
            detail = "exception: %s: %s" % (type(e).__name__, e)
            traceback.print_exc()
        print("%s %s %s" % ("PASS" if ok else "FAIL", label, detail), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def f64(args):
    return [np.asarray(a, dtype=np.float64) for a in args]


def seed(name, B, T, salt=0):
    return inputs.seed_for(name, B, T, salt)


# --------------------------------------------------------------------------------------------
# 1. second forms
# --------------------------------------------------------------------------------------------

def alt_checks(rep, Bs, Ts, only):
    # (label, example whose inputs are used, second form, reference function, tolerance)
    pairs = [
        ("log_linear_recurrent", "log_linear_attention", alt.log_linear_attention_recurrent,
         ops.log_linear_attention),
        ("mamba3_chunk8", "mamba3_siso",
         lambda *a: alt.mamba3_siso_chunked(*a, chunk=8), ops.mamba3_siso),
        ("mamba3_quadratic", "mamba3_siso",
         lambda *a: alt.mamba3_siso_chunked(*a, chunk=10 ** 6), ops.mamba3_siso),
        ("ttt_dual", "ttt_linear", alt.ttt_linear_dual, ops.ttt_linear),
        ("gdn_wy_chunk8", "gated_delta_net",
         lambda *a: alt.gated_delta_net_chunked(*a, chunk=8), ops.gated_delta_net),
        ("gdn_wy_chunk64", "gated_delta_net",
         lambda *a: alt.gated_delta_net_chunked(*a, chunk=64), ops.gated_delta_net),
        ("mamba2_ssd_chunk8", "mamba2_ssd",
         lambda *a: alt.mamba2_ssd_chunked(*a, chunk=8), ops.mamba2_ssd),
        ("mamba2_ssd_chunk64", "mamba2_ssd",
         lambda *a: alt.mamba2_ssd_chunked(*a, chunk=64), ops.mamba2_ssd),
        ("mamba2_as_simple_gla", "mamba2_ssd", alt.mamba2_as_simple_gla, ops.mamba2_ssd),
        ("attention_decode_vs_causal_last_row", "attention_decode",
         alt.attention_decode_via_causal, ops.attention_decode),
        ("gdn_decode_loop_vs_gdn", "gated_delta_net", alt.gated_delta_net_via_decode,
         ops.gated_delta_net),
        ("causal_conv1d_convolve", "causal_conv1d", alt.causal_conv1d_convolve,
         ops.causal_conv1d),
        ("rglru_dense_gates", "rglru", alt.rglru_dense, ops.rglru),
        ("mlstm_unstabilised_closed_form_m", "mlstm", alt.mlstm_unstabilised, ops.mlstm),
        ("retnet_as_simple_gla", "retnet", alt.simple_gla_as_retnet_args, ops.retnet),
    ]
    for label, name, second, first in pairs:
        if only and name not in only:
            continue
        for B in Bs:
            for T in Ts:
                args = f64(inputs.make_inputs(name, B, T, seed(name, B, T)))
                rep.check("alt:%s B=%d T=%d" % (label, B, T),
                          lambda: max_rel(name, second(*args), first(*args)), TOL_ALT)

    # gla with a key-constant gate == simple_gla (same shapes: H=2 inputs through both).
    if not only or "gla" in only:
        for B in Bs:
            for T in Ts:
                q, k, v, gk, S0 = f64(inputs.make_inputs("gla", B, T, seed("gla", B, T)))
                gk_const = np.repeat(gk[..., :1], gk.shape[-1], axis=-1)
                rep.check("alt:gla_scalar_gate_as_simple_gla B=%d T=%d" % (B, T),
                          lambda: max_rel("gla", alt.simple_gla_as_gla(q, k, v, gk_const, S0),
                                          ops.gla(q, k, v, gk_const, S0)), TOL_ALT)

    # TTT: the closed-form LN backward G_s equals a finite-difference gradient of l_s.
    if not only or "ttt_linear" in only:
        q, k, v, eta, ln_w, ln_b, W0, b0 = f64(inputs.make_inputs("ttt_linear", 1, 8, 7))

        def fd():
            errs = []
            for s in range(8):
                for h in range(2):
                    G = ops.ttt_token_grad(k[0, s, h], v[0, s, h], W0[0, h], b0[0, h],
                                           ln_w[h], ln_b[h])
                    Gn = alt.ttt_grad_numeric(k[0, s, h], v[0, s, h], W0[0, h], b0[0, h],
                                              ln_w[h], ln_b[h])
                    errs.append(rel_rms(G, Gn))
            return max(errs)
        rep.check("alt:ttt_grad_vs_finite_difference", fd, TOL_FD)

    # Fenwick levels: the worked example of EXAMPLES 4.21 and the level bound L = 10.
    if not only or "log_linear_attention" in only:
        def lv():
            got = [ops.fenwick_level(6, s) for s in range(7)]
            assert got == [3, 3, 3, 3, 2, 2, 0], got
            assert max(ops.fenwick_level(t, s) for t in range(512) for s in range(t + 1)) == 9
            return 0.0
        rep.check("alt:fenwick_levels_example_l(6,0..6)=3,3,3,3,2,2,0", lv, 0.0)


# --------------------------------------------------------------------------------------------
# 2. split property
# --------------------------------------------------------------------------------------------

def run_split(name, fn, args, T1):
    """Run [0, T1) then [T1, T) with carried states; return the combined results."""
    time_args, time_res, n_states = inputs.split_spec(name)
    first = [a[:, :T1] if i in time_args else a for i, a in enumerate(args)]
    r1 = fn(*first)
    second = [a[:, T1:] if i in time_args else a for i, a in enumerate(args)]
    second[len(args) - n_states:] = list(r1[len(r1) - n_states:])
    r2 = fn(*second)
    combined = [np.concatenate([r1[j], r2[j]], axis=1) for j in time_res]
    return combined + list(r2[len(r2) - n_states:])


def split_checks(rep, Bs, Ts, only):
    for name in inputs.RECURRENT:
        if only and name not in only:
            continue
        fn = ops.ALL[name]
        for B in Bs:
            for T in Ts:
                valid = inputs.valid_split_points(name, T)
                if name == "ttt_linear":
                    points = valid
                else:
                    points = sorted({p for p in (1, T // 2, T - 1) if p in valid})
                if not points:
                    continue
                args = f64(inputs.make_inputs(name, B, T, seed(name, B, T, 1)))
                full = fn(*args)
                for T1 in points:
                    rep.check("split:%s B=%d T=%d T1=%d" % (name, B, T, T1),
                              lambda: max_rel(name, run_split(name, fn, args, T1), full),
                              TOL_SPLIT)


# --------------------------------------------------------------------------------------------
# 3. float32 drift of the token loops on the test inputs
# --------------------------------------------------------------------------------------------

def f32_checks(rep, Ts, only):
    for name in ops.EXAMPLES:
        if only and name not in only:
            continue
        for T in Ts:
            args = inputs.make_inputs(name, 2, T, seed(name, 2, T))

            def drift():
                ref = ops.ALL[name](*f64(args))
                ops.set_compute_dtype(np.float32)
                try:
                    got = ops.ALL[name](*args)
                finally:
                    ops.set_compute_dtype(np.float64)
                return max_rel(name, [np.asarray(g, np.float32) for g in got], ref)
            rep.check("f32drift:%s B=2 T=%d" % (name, T), drift, TOL_F32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="B=1 and T in {1, 17} only")
    ap.add_argument("--only", nargs="+", default=[], help="example names")
    opt = ap.parse_args()
    for n in opt.only:
        if n not in ops.EXAMPLES:
            ap.error("unknown example %r" % n)
    Bs = [1] if opt.quick else [1, 2]
    Ts = [1, 17] if opt.quick else [1, 16, 17, 37, 100]
    rep = Report()
    alt_checks(rep, Bs, Ts, opt.only)
    split_checks(rep, Bs, Ts, opt.only)
    f32_checks(rep, [1, 37] if opt.quick else [1, 37, 300], opt.only)
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
