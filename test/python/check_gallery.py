#!/usr/bin/python3
"""Check the Hymir operator gallery (examples/ops/*.mlir) through `hymir-run` against the
independent float64 oracle of EXAMPLES.md (test/python/hymir_oracle).

  check_gallery.py --hymir-run PATH --examples DIR [--mode reference|cpu|cuda]
                   [--only NAME ...] [--tol X] [--work DIR] [--timeout S]
  check_gallery.py --hymir-run PATH --examples DIR --bad-inputs [--bad-example NAME]

Gallery mode, for each of the 22 examples DIR/NAME.mlir:
  * B in {1, 2} x T in {1, 37, 300} (attention_decode: T is the cache length L;
    gated_delta_net_decode: T is the length of the prefix that produced the state):
    inputs from hymir_oracle.inputs.make_inputs with fixed seeds, saved as float32 .npy, run
        PATH DIR/NAME.mlir --entry=main --reference --input=a0.npy ... --output=OUT
    (--target=cpu|cuda instead of --reference in those modes); the outputs must be exactly
    out0.npy ... out{n-1}.npy, float32 '<f4', C order, with the shapes of EXAMPLES.md section 3;
    each result's relative RMS error ||out - ref||_2 / ||ref||_2 against the oracle must be
    <= tol (1e-5 reference, 1e-4 cpu/cuda); mamba3_siso's angle result compared modulo 2 pi;
  * split consistency through the tool for every recurrent example: B = 2, T = 37, run [0, 11)
    then [11, 37) with the first run's final states (ttt_linear: split at 16) and compare with the
    one-call run (<= 1e-5);
  * decode consistency through the tool: gated_delta_net_decode stepped over tokens 30..36
    starting from gated_delta_net's state after a 30-token prefix == gated_delta_net on 37
    tokens; attention_decode == the last row of attention_causal (L = 37 and L = 20).
A missing example file is a FAIL, as is a timeout or a non-zero exit (its stderr is shown).

With --bf16 (needs --hymir-opt), every example is first rewritten by
    hymir-opt --hymir-narrow-inputs DIR/NAME.mlir
(its float activations taken as bf16, recurrent states and results f32) and the rewritten file
is run instead; the oracle then sees the arguments the variant declares bf16 rounded to bf16
(round to nearest even, done here on the float32 bits), and the default tolerance is 5e-3
(DESIGN.md section 6).

Bad-inputs mode checks hymir-run's diagnostics on one example (default linear_attention):
wrong number of inputs, int32 dtype, wrong rank, wrong static dim, mismatched dynamic B / T
between arguments, T = 0, missing file, malformed npy (bad magic, truncated data): each must exit
with a non-zero status (no crash, no hang), print a diagnostic line on stderr that names the
offending argument (index, 0- or 1-based, or its file name), and leave no out*.npy in the output
directory.  Stale out*.npy in an output directory must be removed by a successful run.
float64 / big-endian / Fortran-order inputs are reported as INFO (the contract does not say
whether a tool may accept them).

Prints one line per case (PASS / FAIL), then 'N passed, M failed'; exit status 1 if any failed.
"""

import argparse
import glob
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hymir_oracle import inputs, ops  # noqa: E402
import bf16_variants  # noqa: E402

GRID_B = (1, 2)
GRID_T = (1, 37, 300)
SPLIT_B, SPLIT_T, SPLIT_T1, SPLIT_T1_TTT = 2, 37, 11, 16
DECODE_PREFIX = 30
TOL_CONSISTENCY = 1e-5
DEFAULT_TOL = {"reference": 1e-5, "exact": 1e-9, "cpu": 1e-4, "cuda": 1e-4}
BF16_TOL = 5e-3



# --------------------------------------------------------------------------------------------
# Comparison helpers
# --------------------------------------------------------------------------------------------

def rel_rms(out, ref, angle=False):
    """||out - ref||_2 / ||ref||_2 in float64 (absolute norm if ref == 0); angle: the difference
    is wrapped into [-pi, pi) first."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    d = out - ref
    if angle:
        d = np.mod(d + math.pi, 2 * math.pi) - math.pi
    nd = np.linalg.norm(d)
    if not np.isfinite(nd):
        return float("inf")
    nr = np.linalg.norm(ref)
    return float(nd / nr) if nr > 0 else float(nd)


def compare(name, outs, refs, tol):
    """(max_rel, [problems]) comparing result lists; problems name the failing results."""
    errs, problems = [], []
    for j, (o, r) in enumerate(zip(outs, refs)):
        if np.shape(o) != np.shape(r):
            problems.append("out%d shape %s != %s" % (j, np.shape(o), np.shape(r)))
            errs.append(float("inf"))
            continue
        e = rel_rms(o, r, angle=(name, j) in inputs.ANGLE_RESULTS)
        errs.append(e)
        if not np.all(np.isfinite(o)):
            problems.append("out%d has non-finite values" % j)
        elif not e <= tol:
            problems.append("out%d rel=%.3g > tol %.0e" % (j, e, tol))
    return (max(errs) if errs else 0.0), problems


# --------------------------------------------------------------------------------------------
# Running the tool
# --------------------------------------------------------------------------------------------

class ToolError(Exception):
    pass


def short(text, n=800):
    text = (text or "").strip()
    if len(text) > n:
        text = "..." + text[-n:]
    return text.replace("\n", " | ")


class Runner:
    def __init__(self, tool, examples, mode, timeout, extra_args=()):
        self.tool = tool
        self.examples = examples
        self.mode = mode
        self.timeout = timeout
        self.extra_args = list(extra_args)

    def mlir(self, name):
        return os.path.join(self.examples, name + ".mlir")

    def invoke(self, name, input_paths, outdir):
        """Run the tool; return (returncode or None on timeout, stdout, stderr)."""
        if self.mode == "reference":
            mode_flags = ["--reference"]
        elif self.mode == "exact":
            mode_flags = ["--reference", "--output-dtype=f64"]
        else:
            mode_flags = ["--target=" + self.mode]
        cmd = ([self.tool, self.mlir(name), "--entry=main"] + mode_flags + self.extra_args
               + ["--input=" + p for p in input_paths] + ["--output=" + outdir])
        try:
            # Own session, so that a timeout kills the tool and anything it started.
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            return -1, "", "cannot execute %s: %s" % (self.tool, e)
        try:
            out, err = p.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                out, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:      # a descendant left the group, pipes open
                out, err = b"", b"(output lost: a descendant of hymir-run kept its pipes open)"
            return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def run(self, name, args, case_dir, B, T):
        """Save args, run the tool, load and validate outputs; return the list of results
        (float32 arrays).  Raises ToolError with a one-line reason."""
        if not os.path.isfile(self.mlir(name)):
            raise ToolError("missing example file %s" % self.mlir(name))
        if os.path.exists(case_dir):
            shutil.rmtree(case_dir)
        os.makedirs(case_dir)
        paths = []
        for i, a in enumerate(args):
            p = os.path.join(case_dir, "a%d.npy" % i)
            np.save(p, np.ascontiguousarray(a, dtype=np.float32))
            paths.append(p)
        outdir = os.path.join(case_dir, "out")          # not created: the tool must create it
        rc, _, err = self.invoke(name, paths, outdir)
        if rc is None:
            raise ToolError("hymir-run timed out after %ds; stderr: %s" % (self.timeout, short(err)))
        if rc != 0:
            raise ToolError("hymir-run exit %d; stderr: %s" % (rc, short(err)))
        shapes = [inputs.concrete(s, B, T) for s in inputs.result_signature(name)]
        return load_outputs(outdir, shapes, "<f8" if self.mode == "exact" else "<f4")


def npy_header(path):
    """(shape, fortran_order, dtype) from a .npy header."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(f)
        return np.lib.format.read_array_header_2_0(f)


def load_outputs(outdir, shapes, descr="<f4"):
    """Exactly out0.npy ... out{n-1}.npy of dtype `descr`, little-endian, C order, given
    shapes."""
    if not os.path.isdir(outdir):
        raise ToolError("output directory %s was not created" % outdir)
    found = sorted(os.path.basename(p) for p in glob.glob(os.path.join(outdir, "out*.npy")))
    expected = ["out%d.npy" % j for j in range(len(shapes))]
    if sorted(found) != sorted(expected):
        raise ToolError("expected %d outputs %s, found %s" % (len(shapes), expected, found))
    results = []
    for j, shape in enumerate(shapes):
        p = os.path.join(outdir, "out%d.npy" % j)
        try:
            hshape, fortran, dtype = npy_header(p)
            arr = np.load(p, allow_pickle=False)
        except Exception as e:  # noqa: BLE001
            raise ToolError("out%d.npy unreadable: %s" % (j, e))
        if dtype != np.dtype(descr):
            raise ToolError("out%d.npy dtype %s, expected '%s'" % (j, dtype.str, descr))
        if fortran:
            raise ToolError("out%d.npy is Fortran-ordered, expected C order" % j)
        if tuple(hshape) != tuple(shape):
            raise ToolError("out%d.npy shape %s, expected %s" % (j, tuple(hshape), tuple(shape)))
        results.append(arr)
    return results


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def line(self, ok, label, detail):
        print("%s %s %s" % ("PASS" if ok else "FAIL", label, detail), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def info(self, label, detail):
        print("INFO %s %s" % (label, detail), flush=True)

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)


def f64(args):
    return [np.asarray(a, dtype=np.float64) for a in args]


# --------------------------------------------------------------------------------------------
# Gallery mode
# --------------------------------------------------------------------------------------------

class Gallery:
    def __init__(self, runner, work, tol, report):
        self.runner = runner
        self.work = work
        self.tol = tol
        self.rep = report
        self.cache = {}          # (name, B, T) -> (args, tool results) of successful grid runs
        self.versus = None       # a second Runner whose results every grid case must match
        self.grid_t = list(GRID_T)
        self.split = True
        self.bf16 = None         # {name: indices of bf16 arguments} with --bf16

    def grid_inputs(self, name, B, T):
        return inputs.make_inputs(name, B, T, inputs.seed_for(name, B, T))

    def oracle(self, name, args):
        """The float64 oracle on the arguments as the tool sees them (bf16 ones rounded)."""
        args = [np.asarray(a, dtype=np.float32) for a in args]
        if self.bf16 is not None:
            args = bf16_variants.round_arguments(args, self.bf16[name])
        return ops.ALL[name](*f64(args))

    def tool_results(self, name, B, T):
        """Tool results on the grid inputs (cached from the grid run, else run now)."""
        key = (name, B, T)
        if key not in self.cache:
            args = self.grid_inputs(name, B, T)
            res = self.runner.run(name, args, self.case_dir(name, "grid_B%d_T%d" % (B, T)), B, T)
            self.cache[key] = (args, res)
        return self.cache[key]

    def case_dir(self, name, tag):
        return os.path.join(self.work, name, tag)

    def grid_case(self, name, B, T):
        label = "%s B=%d T=%d" % (name, B, T)
        try:
            args = self.grid_inputs(name, B, T)
            res = self.runner.run(name, args, self.case_dir(name, "grid_B%d_T%d" % (B, T)), B, T)
        except ToolError as e:
            self.rep.line(False, label, str(e))
            return
        ref = self.oracle(name, args)
        err, problems = compare(name, res, ref, self.tol)
        if not problems:
            self.cache[(name, B, T)] = (args, res)
        self.rep.line(not problems, label, "max_rel=%.3g%s" % (
            err, "" if not problems else " (" + "; ".join(problems) + ")"))
        if self.versus is not None:
            label = "%s B=%d T=%d vs %s" % (name, B, T, " ".join(self.versus.extra_args))
            try:
                other = self.versus.run(name, args, self.case_dir(name, "vs_B%d_T%d" % (B, T)),
                                        B, T)
            except ToolError as e:
                self.rep.line(False, label, str(e))
                return
            err, problems = compare(name, res, other, TOL_CONSISTENCY)
            self.rep.line(not problems, label, "max_rel=%.3g%s" % (
                err, "" if not problems else " (" + "; ".join(problems) + ")"))

    def split_case(self, name):
        B, T = SPLIT_B, SPLIT_T
        T1 = SPLIT_T1_TTT if name == "ttt_linear" else SPLIT_T1
        label = "%s split B=%d T=%d T1=%d" % (name, B, T, T1)
        time_args, time_res, n_states = inputs.split_spec(name)
        try:
            args, full = self.tool_results(name, B, T)
            first = [a[:, :T1] if i in time_args else a for i, a in enumerate(args)]
            r1 = self.runner.run(name, first, self.case_dir(name, "split_a"), B, T1)
            second = [a[:, T1:] if i in time_args else a for i, a in enumerate(args)]
            second[len(args) - n_states:] = r1[len(r1) - n_states:]
            r2 = self.runner.run(name, second, self.case_dir(name, "split_b"), B, T - T1)
        except ToolError as e:
            self.rep.line(False, label, str(e))
            return
        combined = ([np.concatenate([r1[j], r2[j]], axis=1) for j in time_res]
                    + list(r2[len(r2) - n_states:]))
        err, problems = compare(name, combined, full, TOL_CONSISTENCY)
        self.rep.line(not problems, label, "max_rel=%.3g%s" % (
            err, "" if not problems else " (" + "; ".join(problems) + ")"))

    def gdn_decode_case(self):
        """gated_delta_net_decode stepped over tokens P..T-1 from gated_delta_net's state after
        the prefix [0, P) reproduces gated_delta_net on [0, T) (outputs of those tokens and S_T)."""
        B, T, P = SPLIT_B, SPLIT_T, DECODE_PREFIX
        label = "gated_delta_net_decode decode-loop B=%d prefix=%d steps=%d" % (B, P, T - P)
        try:
            args, (o_full, S_full) = self.tool_results("gated_delta_net", B, T)
            q, k, v, a, b, A_log, dt_bias, S0 = args
            prefix = [x[:, :P] for x in (q, k, v, a, b)] + [A_log, dt_bias, S0]
            _, S = self.runner.run("gated_delta_net", prefix,
                                   self.case_dir("gated_delta_net_decode", "prefix"), B, P)
            outs = []
            for t in range(P, T):
                step = [q[:, t], k[:, t], v[:, t], a[:, t], b[:, t], A_log, dt_bias, S]
                o_t, S = self.runner.run("gated_delta_net_decode", step,
                                         self.case_dir("gated_delta_net_decode", "step%d" % t),
                                         B, 1)
                outs.append(o_t)
        except ToolError as e:
            self.rep.line(False, label, str(e))
            return
        err, problems = compare("gated_delta_net_decode", [np.stack(outs, axis=1), S],
                                [o_full[:, P:], S_full], TOL_CONSISTENCY)
        self.rep.line(not problems, label, "max_rel=%.3g%s" % (
            err, "" if not problems else " (" + "; ".join(problems) + ")"))

    def attention_decode_case(self, L):
        """attention_decode(q_{L-1}, k[:L], v[:L]) == row L-1 of attention_causal."""
        B, T = SPLIT_B, SPLIT_T
        label = "attention_decode vs attention_causal last row B=%d L=%d" % (B, L)
        try:
            (q, k, v), (o_causal,) = self.tool_results("attention_causal", B, T)
            (o_dec,) = self.runner.run("attention_decode", [q[:, L - 1], k[:, :L], v[:, :L]],
                                       self.case_dir("attention_decode", "vs_causal_L%d" % L),
                                       B, L)
        except ToolError as e:
            self.rep.line(False, label, str(e))
            return
        err, problems = compare("attention_decode", [o_dec], [o_causal[:, L - 1]],
                                TOL_CONSISTENCY)
        self.rep.line(not problems, label, "max_rel=%.3g%s" % (
            err, "" if not problems else " (" + "; ".join(problems) + ")"))

    def guard(self, label, fn, *args):
        """Run one case; an unexpected exception in the checker is a FAIL of that case."""
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001
            self.rep.line(False, label, "checker exception %s: %s" % (type(e).__name__, e))

    def run_all(self, names):
        for name in names:
            for B in GRID_B:
                for T in self.grid_t:
                    self.guard("%s B=%d T=%d" % (name, B, T), self.grid_case, name, B, T)
        if not self.split:
            return
        for name in names:
            if name in inputs.RECURRENT:
                self.guard("%s split" % name, self.split_case, name)
        if "gated_delta_net_decode" in names:
            self.guard("gated_delta_net_decode decode-loop", self.gdn_decode_case)
        if "attention_decode" in names:
            for L in (SPLIT_T, 20):
                self.guard("attention_decode vs attention_causal L=%d" % L,
                           self.attention_decode_case, L)


# --------------------------------------------------------------------------------------------
# Bad-inputs mode
# --------------------------------------------------------------------------------------------

def write_npy_raw(path, arr):
    """np.save without any normalisation (keeps dtype / byte order / Fortran order)."""
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


def mentions(stderr, arg_indices, paths, names):
    """True if one stderr line names one of the arguments: its file (base name), its index
    (0- or 1-based: the contract does not fix the base) after 'arg' / 'argument' / 'input' /
    '%arg' / '#', or its SSA name '%name'."""
    pat = re.compile(r"(?i)(?:\barg(?:ument)?s?|\binputs?|#|%arg)\s*[#:\[(]?\s*(\d+)")
    wanted = set()
    for i in arg_indices:
        wanted.update({i, i + 1})
    for line in stderr.splitlines():
        if any(os.path.basename(p) in line for p in paths):
            return True
        if any(int(m) in wanted for m in pat.findall(line)):
            return True
        if any(re.search(r"%" + re.escape(n) + r"\b", line) for n in names):
            return True
    return False


class BadInputs:
    def __init__(self, runner, work, name, tol, report):
        self.runner = runner
        self.work = work
        self.name = name
        self.tol = tol
        self.rep = report
        self.sig = inputs.signature(name)
        self.names = inputs.arg_names(name)
        self.B, self.T = 2, 5
        self.args = inputs.make_inputs(name, self.B, self.T, 12345)

    def setup(self, tag):
        d = os.path.join(self.work, "bad_inputs", tag)
        if os.path.exists(d):
            shutil.rmtree(d)
        os.makedirs(d)
        return d

    def save_all(self, d, arrays, raw=False):
        paths = []
        for i, a in enumerate(arrays):
            p = os.path.join(d, "a%d.npy" % i)
            if raw:
                write_npy_raw(p, a)
            else:
                np.save(p, a)
            paths.append(p)
        return paths

    def expect_failure(self, tag, paths, culprits, culprit_paths, require_mention=True):
        """The tool must exit non-zero (not by a signal, not by timeout), say on stderr which
        argument is wrong, and leave no out*.npy in a fresh output directory."""
        label = "bad-inputs %s %s" % (self.name, tag)
        outdir = os.path.join(os.path.dirname(paths[0]) if paths else self.work, "out")
        rc, _, err = self.runner.invoke(self.name, paths, outdir)
        problems = []
        if rc is None:
            problems.append("timed out after %ds" % self.runner.timeout)
        elif rc == 0:
            problems.append("exit status 0 (accepted)")
        elif rc < 0:
            problems.append("killed by signal %d (crash, not a diagnostic)" % -rc)
        if rc is not None and rc != 0:
            if not err.strip():
                problems.append("empty stderr")
            elif require_mention and not mentions(err, culprits, culprit_paths,
                                                  [self.names[i] for i in culprits]):
                problems.append("stderr does not name argument %s or its file" %
                                "/".join(str(i) for i in culprits))
        left = glob.glob(os.path.join(outdir, "out*.npy"))
        if left:
            problems.append("left %s" % sorted(os.path.basename(p) for p in left))
        first = next((ln for ln in err.splitlines() if ln.strip()), "")
        self.rep.line(not problems, label, ("diag: %s" % short(first, 200)) if not problems
                      else "; ".join(problems) + " | stderr: " + short(err, 400))

    def info_case(self, tag, paths):
        """Report what the tool does; not counted (the contract leaves it open)."""
        outdir = os.path.join(os.path.dirname(paths[0]), "out")
        rc, _, err = self.runner.invoke(self.name, paths, outdir)
        if rc == 0:
            try:
                shapes = [inputs.concrete(s, self.B, self.T)
                          for s in inputs.result_signature(self.name)]
                res = load_outputs(outdir, shapes)
                ref = ops.ALL[self.name](*f64(self.args))
                e, problems = compare(self.name, res, ref, self.tol)
                what = "accepted, max_rel=%.3g%s" % (e, " (" + "; ".join(problems) + ")"
                                                      if problems else "")
            except ToolError as ex:
                what = "accepted, but %s" % ex
        elif rc is None:
            what = "TIMEOUT"
        else:
            what = "rejected (exit %d): %s" % (rc, short(next(
                (ln for ln in err.splitlines() if ln.strip()), ""), 200))
        self.rep.info("bad-inputs %s %s" % (self.name, tag), what)

    def time_args(self):
        return [i for i, s in enumerate(self.sig) if len(s) > 1 and s[1] == "T"]

    def run_all(self):
        A, sig, n = self.args, self.sig, len(self.args)
        static_i = next(i for i, s in enumerate(sig) if any(isinstance(d, int) for d in s))
        batch_i = [i for i, s in enumerate(sig) if s and s[0] == "B"]
        t_i = self.time_args()

        # Number of inputs.
        d = self.setup("too_few")
        paths = self.save_all(d, A[:-1])
        self.expect_failure("too-few-inputs(%d of %d)" % (n - 1, n), paths, [], [],
                            require_mention=False)
        d = self.setup("too_many")
        paths = self.save_all(d, A + [A[-1]])
        self.expect_failure("too-many-inputs(%d of %d)" % (n + 1, n), paths, [], [],
                            require_mention=False)

        # dtype: int32 must be rejected.
        d = self.setup("int32")
        arrs = list(A)
        arrs[0] = np.round(A[0] * 10).astype(np.int32)
        paths = self.save_all(d, arrs)
        self.expect_failure("int32-arg0", paths, [0], [paths[0]])

        # Rank: one extra trailing axis on argument 0.
        d = self.setup("rank")
        arrs = list(A)
        arrs[0] = A[0][..., None]
        paths = self.save_all(d, arrs)
        self.expect_failure("wrong-rank-arg%d%s" % (0, arrs[0].shape), paths, [0], [paths[0]])

        # Static dim: last dim of the first argument with a static dim, plus one.
        d = self.setup("static_dim")
        arrs = list(A)
        a = A[static_i]
        arrs[static_i] = np.concatenate([a, a[..., :1]], axis=-1)
        paths = self.save_all(d, arrs)
        self.expect_failure("wrong-static-dim-arg%d%s" % (static_i, arrs[static_i].shape),
                            paths, [static_i], [paths[static_i]])

        # Dynamic B mismatch between two arguments (the second batch argument gets B - 1).
        if len(batch_i) >= 2:
            j = batch_i[1]
            d = self.setup("batch_mismatch")
            arrs = list(A)
            arrs[j] = np.ascontiguousarray(A[j][:self.B - 1])
            paths = self.save_all(d, arrs)
            self.expect_failure("B-mismatch-arg%d(B=%d vs %d)" % (j, self.B - 1, self.B), paths,
                                [batch_i[0], j], [paths[batch_i[0]], paths[j]])

        # Dynamic T mismatch between two time arguments.
        if len(t_i) >= 2:
            j = t_i[1]
            d = self.setup("time_mismatch")
            arrs = list(A)
            arrs[j] = np.ascontiguousarray(A[j][:, :self.T - 1])
            paths = self.save_all(d, arrs)
            self.expect_failure("T-mismatch-arg%d(T=%d vs %d)" % (j, self.T - 1, self.T), paths,
                                [t_i[0], j], [paths[t_i[0]], paths[j]])

        # Empty sequence T = 0.
        if t_i:
            d = self.setup("empty_T")
            arrs = [np.ascontiguousarray(a[:, :0]) if i in t_i else a for i, a in enumerate(A)]
            paths = self.save_all(d, arrs)
            self.expect_failure("T=0", paths, t_i, [paths[i] for i in t_i])

        # Missing file for argument 1.
        d = self.setup("missing_file")
        paths = self.save_all(d, A)
        missing = os.path.join(d, "missing_a1.npy")
        paths[1] = missing
        self.expect_failure("missing-file-arg1", paths, [1], [missing])

        # Malformed npy: bad magic.
        d = self.setup("bad_magic")
        paths = self.save_all(d, A)
        with open(paths[1], "wb") as f:
            f.write(b"NOTNUMPY" + bytes(range(256)) * 4)
        self.expect_failure("bad-magic-arg1", paths, [1], [paths[1]])

        # Malformed npy: valid header, data truncated to half.
        d = self.setup("truncated")
        paths = self.save_all(d, A)
        size = os.path.getsize(paths[0])
        with open(paths[0], "r+b") as f:
            f.truncate(size - A[0].nbytes // 2)
        self.expect_failure("truncated-data-arg0", paths, [0], [paths[0]])

        # Stale outputs are removed by a successful run.
        self.stale_outputs()

        # Left open by the contract: report only.
        for tag, conv in (("float64-arg0", lambda a: a.astype(np.float64)),
                          ("big-endian-f4-arg0", lambda a: a.astype(">f4")),
                          ("fortran-order-arg0", lambda a: np.asfortranarray(a))):
            d = self.setup(tag)
            arrs = list(A)
            arrs[0] = conv(A[0])
            paths = self.save_all(d, arrs, raw=True)
            self.info_case(tag, paths)

    def stale_outputs(self):
        label = "bad-inputs %s stale-outputs-removed" % self.name
        d = self.setup("stale")
        paths = self.save_all(d, self.args)
        outdir = os.path.join(d, "out")
        os.makedirs(outdir)
        np.save(os.path.join(outdir, "out0.npy"), np.zeros(3, np.float32))
        np.save(os.path.join(outdir, "out7.npy"), np.zeros(3, np.float32))
        np.save(os.path.join(outdir, "out%d.npy" % len(inputs.result_signature(self.name))),
                np.zeros(3, np.float32))
        rc, _, err = self.runner.invoke(self.name, paths, outdir)
        if rc != 0:
            self.rep.line(False, label, "valid inputs: exit %s; stderr: %s" % (rc, short(err)))
            return
        try:
            shapes = [inputs.concrete(s, self.B, self.T)
                      for s in inputs.result_signature(self.name)]
            res = load_outputs(outdir, shapes)
        except ToolError as e:
            self.rep.line(False, label, str(e))
            return
        e, problems = compare(self.name, res, ops.ALL[self.name](*f64(self.args)), self.tol)
        self.rep.line(not problems, label, "max_rel=%.3g%s" % (
            e, "" if not problems else " (" + "; ".join(problems) + ")"))


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Check examples/ops/*.mlir through hymir-run "
                                             "against the float64 oracle of EXAMPLES.md.")
    ap.add_argument("--hymir-run", required=True, help="path of the hymir-run executable")
    ap.add_argument("--examples", required=True, help="directory holding NAME.mlir")
    ap.add_argument("--mode", choices=("reference", "exact", "cpu", "cuda"), default="reference",
                    help="reference: --reference, f32 outputs at 1e-5; exact: --reference with "
                         "float64 outputs against the oracle with the gallery's f32-rounded "
                         "constants, at 1e-9; cpu/cuda: compiled code at 1e-4")
    ap.add_argument("--only", nargs="+", default=[], metavar="NAME")
    ap.add_argument("--tol", type=float, default=None,
                    help="relative RMS tolerance (default 1e-5 reference, 1e-4 cpu/cuda)")
    ap.add_argument("--work", default=None, help="work directory (kept); default: temporary")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per hymir-run call")
    ap.add_argument("--tool-arg", action="append", default=[], metavar="ARG",
                    help="extra hymir-run argument (repeatable), e.g. --tool-arg=--chunk-size=16")
    ap.add_argument("--versus-arg", action="append", default=None, metavar="ARG",
                    help="also run every grid case with these hymir-run arguments instead of "
                         "--tool-arg's and compare the two results (<= 1e-5), e.g. "
                         "--versus-arg=--chunk-size=0 (chunked form vs sequential fallback)")
    ap.add_argument("--grid-t", type=int, nargs="+", default=list(GRID_T), metavar="T",
                    help="sequence lengths of the grid (default %s)" % " ".join(map(str, GRID_T)))
    ap.add_argument("--no-split", action="store_true",
                    help="grid cases only (no split / decode consistency cases)")
    ap.add_argument("--bf16", action="store_true",
                    help="run the bf16 variants (hymir-opt --hymir-narrow-inputs) against the "
                         "oracle on bf16-rounded arguments (default tolerance 5e-3)")
    ap.add_argument("--hymir-opt", default=None, help="path of hymir-opt (for --bf16)")
    ap.add_argument("--bad-inputs", action="store_true",
                    help="only check hymir-run's diagnostics on malformed inputs")
    ap.add_argument("--bad-example", default="linear_attention",
                    help="example used by --bad-inputs (default linear_attention)")
    opt = ap.parse_args()

    for n in opt.only + [opt.bad_example]:
        if n not in ops.EXAMPLES:
            ap.error("unknown example %r (known: %s)" % (n, ", ".join(ops.EXAMPLES)))
    if opt.bf16 and not opt.hymir_opt:
        ap.error("--bf16 needs --hymir-opt")
    tol = opt.tol if opt.tol is not None else DEFAULT_TOL[opt.mode]
    if opt.bf16 and opt.tol is None and opt.mode != "exact":
        tol = BF16_TOL
    if opt.mode == "exact":
        ops.set_f32_constants(True)
    tool = os.path.abspath(opt.hymir_run) if os.sep in opt.hymir_run else opt.hymir_run
    runner = Runner(tool, os.path.abspath(opt.examples), opt.mode, opt.timeout, opt.tool_arg)
    versus = None
    if opt.versus_arg is not None:
        versus = Runner(tool, runner.examples, opt.mode, opt.timeout, opt.versus_arg)
    work = opt.work or tempfile.mkdtemp(prefix="hymir_gallery_")
    work = os.path.abspath(work)
    os.makedirs(work, exist_ok=True)
    print("hymir-run=%s examples=%s mode=%s tol=%g work=%s" % (
        tool, runner.examples, opt.mode, tol, work), flush=True)

    rep = Report()
    if opt.bad_inputs:
        try:
            BadInputs(runner, work, opt.bad_example, tol, rep).run_all()
        except Exception as e:  # noqa: BLE001
            rep.line(False, "bad-inputs", "checker exception %s: %s" % (type(e).__name__, e))
    else:
        names = [n for n in ops.EXAMPLES if not opt.only or n in opt.only]
        gallery = Gallery(runner, work, tol, rep)
        if opt.bf16:
            variants = os.path.join(work, "bf16-variants")
            try:
                gallery.bf16 = bf16_variants.make_variants(opt.hymir_opt, runner.examples,
                                                           names, variants)
            except bf16_variants.VariantError as e:
                rep.line(False, "bf16 variants", str(e))
                rep.summary()
                return 1
            runner.examples = variants
            if versus is not None:
                versus.examples = variants
            for n in names:
                rep.info(n, "bf16 arguments %s" % ",".join(
                    inputs.arg_names(n)[i] for i in gallery.bf16[n]))
        gallery.versus = versus
        gallery.grid_t = opt.grid_t
        gallery.split = not opt.no_split
        gallery.run_all(names)
    rep.summary()
    if opt.work is None and rep.failed == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
