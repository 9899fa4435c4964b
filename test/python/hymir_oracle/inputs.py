"""Inputs for the gallery examples: signatures (EXAMPLES.md section 3) and random arguments.

``signature(name)``         argument shapes, dynamic dims as 'B' / 'T' (attention_decode: 'T' is
                            the cache length L), static dims as ints.
``result_signature(name)``  the same for the results.
``arg_names(name)``         the argument names of section 3 (for messages only).
``make_inputs(name, B, T, seed)``
                            the argument list: float32, C-contiguous, drawn in the domains of
                            EXAMPLES.md section 1.2 and section 4 (log-decays <= 0, beta in (0, 1),
                            unit-norm keys where the example does not normalise, realistic gate
                            biases, non-zero initial states of moderate size, ...).
"""

import math
import re

import numpy as np

from . import ops

# EXAMPLES.md section 3, copied verbatim (normative; argument and result order is the .npy order).
SIGNATURES_TEXT = """\
attention_causal:
  func.func @main(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>) -> (tensor<?x?x4x20xf32>)
attention_window:
  func.func @main(%q: tensor<?x?x3x20xf32>, %k: tensor<?x?x1x20xf32>, %v: tensor<?x?x1x20xf32>) -> (tensor<?x?x3x20xf32>)
attention_decode:
  func.func @main(%q: tensor<?x4x12xf32>, %k_cache: tensor<?x?x2x12xf32>, %v_cache: tensor<?x?x2x20xf32>) -> (tensor<?x4x20xf32>)
causal_conv1d:
  func.func @main(%x: tensor<?x?x36xf32>, %weight: tensor<36x4xf32>, %bias: tensor<36xf32>, %conv_state: tensor<?x3x36xf32>) -> (tensor<?x?x36xf32>, tensor<?x3x36xf32>)
mamba1_selective_scan:
  func.func @main(%u: tensor<?x?x24xf32>, %delta: tensor<?x?x24xf32>, %A_log: tensor<24x10xf32>, %B_ssm: tensor<?x?x10xf32>, %C_ssm: tensor<?x?x10xf32>, %D_skip: tensor<24xf32>, %z: tensor<?x?x24xf32>, %delta_bias: tensor<24xf32>, %h0: tensor<?x24x10xf32>) -> (tensor<?x?x24xf32>, tensor<?x24x10xf32>)
mamba2_ssd:
  func.func @main(%x: tensor<?x?x3x20xf32>, %dt: tensor<?x?x3xf32>, %A_log: tensor<3xf32>, %B_ssm: tensor<?x?x1x12xf32>, %C_ssm: tensor<?x?x1x12xf32>, %D_skip: tensor<3xf32>, %dt_bias: tensor<3xf32>, %S0: tensor<?x3x12x20xf32>) -> (tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>)
mamba3_siso:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x10xf32>, %adt: tensor<?x?x4xf32>, %dt: tensor<?x?x4xf32>, %trap: tensor<?x?x4xf32>, %q_bias: tensor<4x12xf32>, %k_bias: tensor<4x12xf32>, %angles: tensor<?x?x4x3xf32>, %D_skip: tensor<4xf32>, %z: tensor<?x?x4x10xf32>, %phi0: tensor<?x4x3xf32>, %S0: tensor<?x4x12x10xf32>, %k_prev0: tensor<?x4x12xf32>, %v_prev0: tensor<?x4x10xf32>) -> (tensor<?x?x4x10xf32>, tensor<?x4x3xf32>, tensor<?x4x12x10xf32>, tensor<?x4x12xf32>, tensor<?x4x10xf32>)
linear_attention:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>)
retnet:
  func.func @main(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x4x12xf32>, %v: tensor<?x?x4x20xf32>, %S0: tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>)
simple_gla:
  func.func @main(%q: tensor<?x?x3x12xf32>, %k: tensor<?x?x3x12xf32>, %v: tensor<?x?x3x20xf32>, %g: tensor<?x?x3xf32>, %S0: tensor<?x3x12x20xf32>) -> (tensor<?x?x3x20xf32>, tensor<?x3x12x20xf32>)
gla:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %gk: tensor<?x?x2x12xf32>, %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>)
rwkv6:
  func.func @main(%r: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %w: tensor<?x?x2x12xf32>, %u: tensor<2x12xf32>, %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>)
delta_net:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %beta: tensor<?x?x2xf32>, %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>)
gated_delta_net:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x4x20xf32>, %a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>, %A_log: tensor<4xf32>, %dt_bias: tensor<4xf32>, %S0: tensor<?x4x12x20xf32>) -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>)
gated_delta_net_decode:
  func.func @main(%q: tensor<?x2x12xf32>, %k: tensor<?x2x12xf32>, %v: tensor<?x4x20xf32>, %a: tensor<?x4xf32>, %b: tensor<?x4xf32>, %A_log: tensor<4xf32>, %dt_bias: tensor<4xf32>, %S: tensor<?x4x12x20xf32>) -> (tensor<?x4x20xf32>, tensor<?x4x12x20xf32>)
kda:
  func.func @main(%q: tensor<?x?x2x20xf32>, %k: tensor<?x?x2x20xf32>, %v: tensor<?x?x2x12xf32>, %g_raw: tensor<?x?x2x20xf32>, %b: tensor<?x?x2xf32>, %A_log: tensor<2xf32>, %dt_bias: tensor<2x20xf32>, %S0: tensor<?x2x20x12xf32>) -> (tensor<?x?x2x12xf32>, tensor<?x2x20x12xf32>)
rwkv7:
  func.func @main(%r: tensor<?x?x2x12xf32>, %w: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %a: tensor<?x?x2x12xf32>, %b: tensor<?x?x2x12xf32>, %S0: tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>)
mlstm:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %i: tensor<?x?x2xf32>, %f: tensor<?x?x2xf32>, %C0: tensor<?x2x12x20xf32>, %n0: tensor<?x2x12xf32>, %m0: tensor<?x2xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>, tensor<?x2x12xf32>, tensor<?x2xf32>)
slstm:
  func.func @main(%wx: tensor<?x?x4x2x10xf32>, %R: tensor<4x2x10x10xf32>, %bias: tensor<4x2x10xf32>, %h0: tensor<?x2x10xf32>, %c0: tensor<?x2x10xf32>, %n0: tensor<?x2x10xf32>, %m0: tensor<?x2x10xf32>) -> (tensor<?x?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>)
rglru:
  func.func @main(%x: tensor<?x?x30xf32>, %W_a: tensor<3x10x10xf32>, %b_a: tensor<3x10xf32>, %W_x: tensor<3x10x10xf32>, %b_x: tensor<3x10xf32>, %a_param: tensor<30xf32>, %h0: tensor<?x30xf32>) -> (tensor<?x?x30xf32>, tensor<?x30xf32>)
log_linear_attention:
  func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>, %g: tensor<?x?x2xf32>, %lam: tensor<?x?x2x10xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x10x12x20xf32>)
ttt_linear:
  func.func @main(%q: tensor<?x?x2x20xf32>, %k: tensor<?x?x2x20xf32>, %v: tensor<?x?x2x20xf32>, %eta: tensor<?x?x2xf32>, %ln_w: tensor<2x20xf32>, %ln_b: tensor<2x20xf32>, %W0: tensor<?x2x20x20xf32>, %b0: tensor<?x2x20xf32>) -> (tensor<?x?x2x20xf32>, tensor<?x2x20x20xf32>, tensor<?x2x20xf32>)
"""


def _parse_signatures(text):
    sigs = {}
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i in range(0, len(lines), 2):
        name = lines[i].rstrip(":")
        m = re.fullmatch(r"func\.func @main\((.*)\) -> \((.*)\)", lines[i + 1])
        assert m, lines[i + 1]
        arg_text, res_text = m.group(1), m.group(2)
        names = re.findall(r"%(\w+):", arg_text)
        args = [_parse_type(s) for s in re.findall(r"tensor<([^>]*)>", arg_text)]
        results = [_parse_type(s) for s in re.findall(r"tensor<([^>]*)>", res_text)]
        assert len(names) == len(args)
        sigs[name] = (names, args, results)
    return sigs


def _parse_type(s):
    """'?x?x4x12xf32' -> ('B', 'T', 4, 12): the first '?' is B, the second T (or L)."""
    parts = s.split("x")
    assert parts[-1] == "f32", s
    dims, symbols = [], ["B", "T"]
    for p in parts[:-1]:
        dims.append(symbols.pop(0) if p == "?" else int(p))
    return tuple(dims)


_SIGS = _parse_signatures(SIGNATURES_TEXT)
assert sorted(_SIGS) == sorted(ops.EXAMPLES), sorted(set(_SIGS) ^ set(ops.EXAMPLES))


def signature(name):
    """Argument shapes of @main with 'B'/'T' symbolic (attention_decode: 'T' is L)."""
    return list(_SIGS[name][1])


def result_signature(name):
    """Result shapes of @main with 'B'/'T' symbolic."""
    return list(_SIGS[name][2])


def arg_names(name):
    return list(_SIGS[name][0])


def concrete(shape, B, T):
    """Substitute B and T into a symbolic shape."""
    return tuple(B if d == "B" else T if d == "T" else d for d in shape)


# --------------------------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------------------------

# Divisors c of the log-decays logsigmoid(U)/c: fast (0.5) to slow (32) decay.
DECAY_DIVISORS = (0.5, 2.0, 8.0, 32.0)


class _Draw:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, *shape, std=1.0, mean=0.0):
        return mean + std * self.rng.standard_normal(shape)

    def uniform(self, lo, hi, *shape):
        return self.rng.uniform(lo, hi, shape)

    def unit(self, *shape):
        """Vectors of exactly unit L2 norm along the last axis."""
        x = self.rng.standard_normal(shape)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    def log_decay(self, *shape, head_axis=2, per_element=False):
        """log-decay logsigmoid(U + 1)/c <= 0, c from DECAY_DIVISORS: one c per head (cycling
        over the head axis) or, with per_element, one c per element (key channel)."""
        u = self.rng.standard_normal(shape) + 1.0
        if per_element:
            c = self.rng.choice(DECAY_DIVISORS, size=shape)
        else:
            idx = np.arange(shape[head_axis]) % len(DECAY_DIVISORS)
            c_head = np.array(DECAY_DIVISORS)[idx]
            c = c_head.reshape([-1 if a == head_axis else 1 for a in range(len(shape))])
        return logsigmoid64(u) / c

    def dt_bias(self, *shape, lo=1e-3, hi=1e-1):
        """Mamba-style time-step bias: inverse softplus of dt, log-uniform in [lo, hi]."""
        dt = np.exp(self.rng.uniform(math.log(lo), math.log(hi), shape))
        return inv_softplus(dt)

    def a_log(self, *shape, lo=1.0, hi=16.0):
        """A_log = log(A), A uniform in [lo, hi] (Mamba-2 / GDN / KDA init)."""
        return np.log(self.rng.uniform(lo, hi, shape))


def logsigmoid64(x):
    return -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))


def sigmoid64(x):
    return 1 / (1 + np.exp(-x))


def inv_softplus(y):
    return np.log(np.expm1(y))


# --------------------------------------------------------------------------------------------
# One generator per example: returns the float64 draws in argument order.
# --------------------------------------------------------------------------------------------

def _attention_causal(d, B, T):
    return [d.normal(B, T, 4, 12), d.normal(B, T, 2, 12), d.normal(B, T, 2, 20)]


def _attention_window(d, B, T):
    # Larger q, k so that scores reach ~10 and the softcap 30*tanh(s/30) matters.
    return [d.normal(B, T, 3, 20, std=2.5), d.normal(B, T, 1, 20, std=1.5),
            d.normal(B, T, 1, 20)]


def _attention_decode(d, B, L):
    return [d.normal(B, 4, 12), d.normal(B, L, 2, 12), d.normal(B, L, 2, 20)]


def _causal_conv1d(d, B, T):
    return [d.normal(B, T, 36), d.normal(36, 4, std=0.5), d.normal(36, std=0.2),
            d.normal(B, 3, 36)]


def _mamba1_selective_scan(d, B, T):
    A_log = np.log(np.tile(np.arange(1, 11, dtype=np.float64), (24, 1))) + d.normal(24, 10, std=0.1)
    return [d.normal(B, T, 24),                 # u
            d.normal(B, T, 24, std=0.5),        # delta (raw)
            A_log,                              # S4D-real init: A = -(1 ... 10)
            d.normal(B, T, 10),                 # B_ssm
            d.normal(B, T, 10),                 # C_ssm
            d.normal(24, mean=1.0, std=0.1),    # D_skip
            d.normal(B, T, 24),                 # z
            d.dt_bias(24),                      # delta_bias: softplus^-1 of dt in [1e-3, 1e-1]
            d.normal(B, 24, 10, std=0.5)]       # h0


def _mamba2_ssd(d, B, T):
    return [d.normal(B, T, 3, 20),              # x
            d.normal(B, T, 3, std=0.5),         # dt (raw)
            d.a_log(3),                         # A_log, A in [1, 16]
            d.normal(B, T, 1, 12),              # B_ssm
            d.normal(B, T, 1, 12),              # C_ssm
            d.normal(3, mean=1.0, std=0.1),     # D_skip
            d.dt_bias(3),                       # dt_bias
            d.normal(B, 3, 12, 20, std=0.5)]    # S0


def _mamba3_siso(d, B, T):
    # dt > 0 log-uniform; heads 0-1 in [1e-3, 0.1] (module init), heads 2-3 in [0.05, 1] so that
    # the angle phi wraps around 2pi within a few hundred tokens.  adt = -A dt with A in [0.5, 8]
    # drawn independently per token (adt and dt are independent inputs).
    lo = np.array([1e-3, 1e-3, 0.05, 0.05])
    hi = np.array([0.1, 0.1, 1.0, 1.0])
    u = d.uniform(0.0, 1.0, B, T, 4)
    dt = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    A = np.exp(d.uniform(math.log(0.5), math.log(8.0), B, T, 4))
    adt = -A * dt
    return [d.normal(B, T, 2, 12),                  # q (= C)
            d.normal(B, T, 2, 12),                  # k (= B)
            d.normal(B, T, 4, 10),                  # v (= x)
            adt,                                    # adt <= 0
            dt,                                     # dt > 0
            d.normal(B, T, 4),                      # trap (raw logit)
            d.normal(4, 12, mean=1.0, std=0.2),     # q_bias
            d.normal(4, 12, mean=1.0, std=0.2),     # k_bias
            d.normal(B, T, 4, 3, std=1.5),          # angles (raw)
            d.normal(4, mean=1.0, std=0.1),         # D_skip
            d.normal(B, T, 4, 10),                  # z
            d.uniform(0.0, 2 * math.pi, B, 4, 3),   # phi0 in [0, 2pi)
            d.normal(B, 4, 12, 10, std=0.5),        # S0
            d.normal(B, 4, 12),                     # k_prev0 (rotated key incl. bias)
            d.normal(B, 4, 10)]                     # v_prev0


def _linear_attention(d, B, T):
    return [d.normal(B, T, 2, 12), d.unit(B, T, 2, 12), d.normal(B, T, 2, 20),
            d.normal(B, 2, 12, 20, std=0.5)]


def _retnet(d, B, T):
    return [d.normal(B, T, 4, 12), d.unit(B, T, 4, 12), d.normal(B, T, 4, 20),
            d.normal(B, 4, 12, 20, std=0.5)]


def _simple_gla(d, B, T):
    return [d.normal(B, T, 3, 12), d.unit(B, T, 3, 12), d.normal(B, T, 3, 20),
            d.log_decay(B, T, 3), d.normal(B, 3, 12, 20, std=0.5)]


def _gla(d, B, T):
    return [d.normal(B, T, 2, 12), d.unit(B, T, 2, 12), d.normal(B, T, 2, 20),
            d.log_decay(B, T, 2, 12, per_element=True), d.normal(B, 2, 12, 20, std=0.5)]


def _rwkv6(d, B, T):
    # raw w in [-6, 0.5]: per-step decay exp(-exp(w)) from 0.9975 down to 0.19.
    return [d.normal(B, T, 2, 12), d.unit(B, T, 2, 12), d.normal(B, T, 2, 20),
            d.uniform(-6.0, 0.5, B, T, 2, 12), d.normal(2, 12, std=0.5),
            d.normal(B, 2, 12, 20, std=0.5)]


def _delta_net(d, B, T):
    return [d.unit(B, T, 2, 12), d.unit(B, T, 2, 12), d.normal(B, T, 2, 20),
            sigmoid64(d.normal(B, T, 2)), d.normal(B, 2, 12, 20, std=0.5)]


def _gated_delta_net(d, B, T):
    return [d.normal(B, T, 2, 12),              # q (raw)
            d.normal(B, T, 2, 12),              # k (raw)
            d.normal(B, T, 4, 20),              # v
            d.normal(B, T, 4),                  # a (raw gate input)
            d.normal(B, T, 4),                  # b (raw beta logit)
            d.a_log(4),                         # A_log
            d.dt_bias(4),                       # dt_bias
            d.normal(B, 4, 12, 20, std=0.5)]    # S0


def _gated_delta_net_decode(d, B, T):
    """One decode token whose state S comes from a real GDN prefix of length T (same A_log,
    dt_bias), as EXAMPLES 4.15 prescribes; T plays the role of the prefix length."""
    full = [np.asarray(a, dtype=np.float32) for a in _gated_delta_net(d, B, T + 1)]
    q, k, v, a, b, A_log, dt_bias, S0 = full
    prefix = [x[:, :T] for x in (q, k, v, a, b)] + [A_log, dt_bias, S0]
    _, S = ops.gated_delta_net(*[p.astype(np.float64) for p in prefix])
    return [q[:, T], k[:, T], v[:, T], a[:, T], b[:, T], A_log, dt_bias, S]


def _kda(d, B, T):
    return [d.normal(B, T, 2, 20), d.normal(B, T, 2, 20), d.normal(B, T, 2, 12),
            d.normal(B, T, 2, 20),              # g_raw
            d.normal(B, T, 2),                  # b
            d.a_log(2),                         # A_log
            d.dt_bias(2, 20),                   # dt_bias [H, K]
            d.normal(B, 2, 20, 12, std=0.5)]    # S0


def _rwkv7(d, B, T):
    # RWKV-7 structure: a = -kappa_hat, b = kappa_hat * a_tilde, |kappa_hat| = 1,
    # a_tilde in (0, 1), log-decay w in (-0.6, 0).
    kappa = d.unit(B, T, 2, 12)
    a_tilde = sigmoid64(d.normal(B, T, 2, 12))
    w = -0.6 * sigmoid64(d.normal(B, T, 2, 12, std=2.0))
    return [d.normal(B, T, 2, 12),              # r
            w,                                  # w (log-decay)
            d.normal(B, T, 2, 12, std=0.3),     # k
            d.normal(B, T, 2, 20),              # v
            -kappa,                             # a
            kappa * a_tilde,                    # b
            d.normal(B, 2, 12, 20, std=0.5)]    # S0


def _mlstm(d, B, T):
    f_bias = np.linspace(3.0, 6.0, 2)           # xLSTM forget-gate bias init
    return [d.normal(B, T, 2, 12), d.normal(B, T, 2, 12), d.normal(B, T, 2, 20),
            d.normal(B, T, 2, mean=-1.0),       # i (exponential input gate pre-activation);
                                                # with N(0, 1.5) the f32 loop drifts to 1e-5
                                                # (|n.q| cancellation), above the 6e-6 of 1.2
            d.normal(B, T, 2) + f_bias,         # f (sigmoid forget gate pre-activation)
            d.normal(B, 2, 12, 20, std=0.5),    # C0
            d.normal(B, 2, 12, std=0.5),        # n0
            d.normal(B, 2)]                     # m0


def _slstm(d, B, T):
    bias = d.normal(4, 2, 10, std=0.1)
    bias[1] += np.linspace(3.0, 6.0, 10)        # forget gate bias (i, f, z, o order)
    return [d.normal(B, T, 4, 2, 10),           # wx
            d.normal(4, 2, 10, 10, std=1 / math.sqrt(10)),   # R[g, h, out, in]
            bias,
            d.normal(B, 2, 10, std=0.5),        # h0
            d.normal(B, 2, 10, std=0.5),        # c0
            d.uniform(0.5, 2.0, B, 2, 10),      # n0 (partly below 1: the clamp acts)
            d.normal(B, 2, 10)]                 # m0


def _rglru(d, B, T):
    a_base = d.uniform(0.9, 0.999, 30)          # recurrentgemma: a^c in [0.9, 0.999] at init
    a_param = inv_softplus(-np.log(a_base) / 8.0)
    return [d.normal(B, T, 30),
            d.normal(3, 10, 10, std=1 / math.sqrt(10)), d.normal(3, 10, std=0.1),
            d.normal(3, 10, 10, std=1 / math.sqrt(10)), d.normal(3, 10, std=0.1),
            a_param,
            d.normal(B, 30, std=0.5)]


def _log_linear_attention(d, B, T):
    assert 1 <= T <= 512, "log_linear_attention needs 1 <= T <= 512"
    lam = d.uniform(0.0, 1.0, B, T, 2, 10)
    lam[d.uniform(0.0, 1.0, B, T, 2, 10) < 0.15] = 0.0     # lam >= 0, some exact zeros
    return [d.normal(B, T, 2, 12), d.unit(B, T, 2, 12), d.normal(B, T, 2, 20),
            d.log_decay(B, T, 2), lam]


def _ttt_linear(d, B, T):
    return [d.normal(B, T, 2, 20), d.normal(B, T, 2, 20), d.normal(B, T, 2, 20),
            0.02 * sigmoid64(d.normal(B, T, 2)),            # eta > 0
            d.normal(2, 20, mean=1.0, std=0.1),             # ln_w
            d.normal(2, 20, std=0.1),                       # ln_b
            d.normal(B, 2, 20, 20, std=1 / math.sqrt(20)),  # W0 [in, out]
            d.normal(B, 2, 20, std=0.1)]                    # b0


_GENERATORS = {name: globals()["_" + name] for name in ops.EXAMPLES}


def make_inputs(name, B, T, seed):
    """Argument list of example `name` for batch B and length T (attention_decode: cache length
    L = T; gated_delta_net_decode: the state comes from a GDN prefix of length T).
    float32, C-contiguous, shapes exactly as EXAMPLES.md section 3."""
    if name not in _GENERATORS:
        raise KeyError("unknown example %r" % name)
    if B < 1 or T < 1:
        raise ValueError("B and T must be >= 1")
    arrays = _GENERATORS[name](_Draw(seed), B, T)
    sig = signature(name)
    assert len(arrays) == len(sig), name
    out = []
    for i, (a, shape) in enumerate(zip(arrays, sig)):
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
        assert a.shape == concrete(shape, B, T), (name, i, a.shape, shape)
        assert np.all(np.isfinite(a)) and np.any(a != 0), (name, i)
        out.append(a)
    return out


def seed_for(name, B, T, salt=0):
    """A fixed seed per (example, B, T)."""
    import zlib
    return zlib.crc32(("%s/%d/%d/%d" % (name, B, T, salt)).encode())


# --------------------------------------------------------------------------------------------
# Split-sequence metadata (EXAMPLES.md section 1, "States")
# --------------------------------------------------------------------------------------------

# Examples with initial states as last arguments and final states as last results, for which the
# split property holds (ttt_linear: only at multiples of 16).  Not here: the attention examples
# (no state), gated_delta_net_decode (no time axis), log_linear_attention (no initial state).
RECURRENT = (
    "causal_conv1d", "mamba1_selective_scan", "mamba2_ssd", "mamba3_siso", "linear_attention",
    "retnet", "simple_gla", "gla", "rwkv6", "delta_net", "gated_delta_net", "kda", "rwkv7",
    "mlstm", "slstm", "rglru", "ttt_linear",
)

# (example, result index) compared modulo 2 pi.
ANGLE_RESULTS = {("mamba3_siso", 1)}


def split_spec(name):
    """(time_arg_indices, time_result_indices, n_states) of a recurrent example.
    Time arguments / results have shape (B, T, ...); the n_states last results are the final
    states and match, shape for shape, the n_states last arguments (the initial states)."""
    args, res = signature(name), result_signature(name)
    time_args = [i for i, s in enumerate(args) if s[:2] == ("B", "T")]
    time_res = [i for i, s in enumerate(res) if s[:2] == ("B", "T")]
    n_states = len(res) - len(time_res)
    assert time_res == list(range(len(time_res))), name
    assert n_states >= 1 and args[-n_states:] == res[-n_states:], name
    return time_args, time_res, n_states


def valid_split_points(name, T):
    """Split points T1 (0 < T1 < T) at which the split property must hold."""
    if name == "ttt_linear":
        return [t1 for t1 in range(16, T, 16)]
    return list(range(1, T))
