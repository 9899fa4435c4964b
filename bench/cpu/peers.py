#!/usr/bin/python3
"""PyTorch CPU peers of the Hymir bench ops (bench/README.md).

Run by hymir-bench as a child process: reads the manifest it wrote (the raw f32
inputs of every op and Hymir's first output), runs each PyTorch form on the
same inputs with the same number of threads, and prints one JSON object a line:

  {"header": "..."}                                   torch / OpenBLAS facts
  {"op": NAME, "impl": FORM, "ms": median, "err": rel. RMS difference vs Hymir}

Forms: "token loop" (the recurrence one step at a time, batched over heads,
in-place where torch allows), "chunked" (the chunked matmul form, chunk 64),
"matmul+softmax" (causal attention as Q·Kᵀ, mask, softmax, ·V per head),
"token step" (the decode step, batched over sequences and heads).
"""

import argparse
import ctypes
import json
import math
import time

import numpy as np
import torch

CHUNK = 64


def emit(**fields):
    print(json.dumps(fields), flush=True)


def openblas():
    """The OpenBLAS library torch is using, or None."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "openblas" in path and ".so" in path:
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                return lib
    return None


def timed(fn, reps, budget):
    """Warm-up once, then the median of up to `reps` runs within about
    `budget` seconds (at least 3). Returns (ms, result of the last run)."""
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    n = max(3, min(reps, int(budget / max(first, 1e-6))))
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - start)
    return 1e3 * float(np.median(samples)), out


def rel_rms(x, ref):
    x = x.detach().double().numpy().ravel()
    ref = ref.astype(np.float64).ravel()
    return float(np.sqrt(np.sum((x - ref) ** 2) / max(np.sum(ref**2), 1e-300)))


def softplus(x):
    # max(x, 0) + log1p(exp(-|x|)), as in the gallery bodies.
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def l2norm(x, eps=1e-6):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + eps)


def chunks(x, C):
    """[B, T, H, ...] -> [B, H, n, C, ...]."""
    B, T, H = x.shape[:3]
    rest = x.shape[3:]
    x = x.reshape(B, T // C, C, H, *rest)
    perm = (0, 3, 1, 2) + tuple(range(4, 4 + len(rest)))
    return x.permute(*perm).contiguous()


def unchunk(o):
    """[B, H, n, C, V] -> [B, T, H, V]."""
    B, H, n, C, V = o.shape
    return o.permute(0, 2, 3, 1, 4).reshape(B, n * C, H, V)


def outer_add_(S, col, row):
    """S += col ⊗ row in place, batched: S [B, H, K, V] (contiguous), col
    [B, H or 1, K, 1], row [B, H, 1, V]."""
    B, H, K, V = S.shape
    S.view(B * H, K, V).baddbmm_(col.expand(B, H, K, 1).reshape(B * H, K, 1),
                                 row.expand(B, H, 1, V).reshape(B * H, 1, V))


def causal_mask(C, strict=False):
    return torch.tril(torch.ones(C, C, dtype=torch.bool), diagonal=-1 if strict else 0)


def decay_matrix(b, strict=False):
    """exp(b_i − b_j) for j ≤ i (j < i when strict), else 0; b [..., C]."""
    C = b.shape[-1]
    diff = b[..., :, None] - b[..., None, :]
    return torch.exp(diff.masked_fill(~causal_mask(C, strict), float("-inf")))


# --- simple_gla: S_t = exp(g_t) S + k ⊗ v, o = Sᵀ (scale q) ---------------


def simple_gla_token(q, k, v, g, S0):
    B, T, H, K = q.shape
    V = v.shape[-1]
    scale = 1 / math.sqrt(K)
    qs = (q * scale).reshape(B, T, H, 1, K)
    kc = k.reshape(B, T, H, K, 1)
    vr = v.reshape(B, T, H, 1, V)
    alpha = torch.exp(g).reshape(B, T, H, 1, 1)
    S = S0.clone()
    o = torch.empty(B, T, H, V)
    for t in range(T):
        S.mul_(alpha[:, t])
        outer_add_(S, kc[:, t], vr[:, t])
        o[:, t] = torch.matmul(qs[:, t], S).reshape(B, H, V)
    return o, S


def scalar_decay_chunked(q, k, v, logdecay, S0, scale, C=CHUNK):
    """Chunked form of S_t = exp(l_t) S + k ⊗ v, o = Sᵀ (scale q); q, k may
    have 1 head (shared, Mamba-2 B/C)."""
    B, T, H, V = v.shape
    qh, kh, vh = chunks(q * scale, C), chunks(k, C), chunks(v, C)  # [B, H|1, n, C, .]
    b = chunks(logdecay, C).cumsum(-1)  # [B, H, n, C]
    scores = qh @ kh.transpose(-1, -2)  # [B, H|1, n, C, C]
    o = (scores * decay_matrix(b)) @ vh  # intra-chunk
    qdec = qh * torch.exp(b)[..., None]  # q_i exp(b_i)
    kdec = kh * torch.exp(b[..., -1:] - b)[..., None]  # k_j exp(b_C − b_j)
    last = torch.exp(b[..., -1])[..., None, None]  # [B, H, n, 1, 1]
    S = S0.clone()
    for c in range(T // C):
        o[:, :, c] += qdec[:, :, c] @ S
        S = last[:, :, c] * S + kdec[:, :, c].transpose(-1, -2) @ vh[:, :, c]
    return unchunk(o), S


def simple_gla_chunked(q, k, v, g, S0):
    return scalar_decay_chunked(q, k, v, g, S0, 1 / math.sqrt(q.shape[-1]))


# --- gla: S_t = diag(exp(gk_t)) S + k ⊗ v ---------------------------------


def gla_token(q, k, v, gk, S0):
    B, T, H, K = q.shape
    V = v.shape[-1]
    qs = (q / math.sqrt(K)).reshape(B, T, H, 1, K)
    kc = k.reshape(B, T, H, K, 1)
    vr = v.reshape(B, T, H, 1, V)
    alpha = torch.exp(gk).reshape(B, T, H, K, 1)
    S = S0.clone()
    o = torch.empty(B, T, H, V)
    for t in range(T):
        S.mul_(alpha[:, t])
        outer_add_(S, kc[:, t], vr[:, t])
        o[:, t] = torch.matmul(qs[:, t], S).reshape(B, H, V)
    return o, S


def gla_chunked(q, k, v, gk, S0, C=CHUNK):
    B, T, H, K = q.shape
    qh, kh, vh = chunks(q / math.sqrt(K), C), chunks(k, C), chunks(v, C)
    b = chunks(gk, C).cumsum(-2)  # [B, H, n, C, K]
    qt = qh * torch.exp(b)  # q_i ⊙ exp(b_i)
    kt = kh * torch.exp(-b)  # k_j ⊙ exp(−b_j)
    scores = (qt @ kt.transpose(-1, -2)).masked_fill(~causal_mask(C), 0)
    o = scores @ vh
    blast = b[..., -1:, :]  # [B, H, n, 1, K]
    kdec = kh * torch.exp(blast - b)
    S = S0.clone()
    for c in range(T // C):
        o[:, :, c] += qt[:, :, c] @ S
        S = torch.exp(blast[:, :, c]).transpose(-1, -2) * S + \
            kdec[:, :, c].transpose(-1, -2) @ vh[:, :, c]
    return unchunk(o), S


# --- gated_delta_net ------------------------------------------------------


def gdn_gates(a, b, A_log, dt_bias):
    g = -torch.exp(A_log) * softplus(a + dt_bias)  # log decay
    beta = torch.sigmoid(b)
    return g, beta


def delta_token(q, k, v, log_decay, beta, S0):
    """The gated delta rule one token at a time: S' = diag(α) S (a decay per
    head, [B, T, H], or per key, [B, T, H, K]), u = β (v − S'ᵀ k̂),
    S = S' + k̂ ⊗ u, o = Sᵀ (q̂ / √K)."""
    B, T, H, K = q.shape
    V = v.shape[-1]
    qs = (l2norm(q) / math.sqrt(K)).reshape(B, T, H, 1, K)
    kn = l2norm(k)
    kr, kc = kn.reshape(B, T, H, 1, K), kn.reshape(B, T, H, K, 1)
    alpha = torch.exp(log_decay).reshape(B, T, H, -1, 1)
    beta = beta.reshape(B, T, H, 1, 1)
    vr = v.reshape(B, T, H, 1, V)
    S = S0.clone()
    o = torch.empty(B, T, H, V)
    for t in range(T):
        S.mul_(alpha[:, t])
        u = (vr[:, t] - torch.matmul(kr[:, t], S)) * beta[:, t]
        outer_add_(S, kc[:, t], u)
        o[:, t] = torch.matmul(qs[:, t], S).reshape(B, H, V)
    return o, S


def gdn_token(q, k, v, a, b, A_log, dt_bias, S0):
    return delta_token(q, k, v, *gdn_gates(a, b, A_log, dt_bias), S0)


def gdn_chunked(q, k, v, a, b, A_log, dt_bias, S0, C=CHUNK):
    """WY/UT form: per chunk, (I + L) [Ū | W] = [diag(β) V | diag(βγ) K] with
    L = diag(β) ((K Kᵀ) ⊙ Γ) strictly lower, U = Ū − W S,
    O = diag(γ) Q S + ((Q Kᵀ) ⊙ Γ) U, S' = γ_C S + (K ⊙ γ_C/γ)ᵀ U."""
    B, T, H, K = q.shape
    g, beta = gdn_gates(a, b, A_log, dt_bias)
    qh = chunks(l2norm(q) / math.sqrt(K), C)
    kh, vh = chunks(l2norm(k), C), chunks(v, C)
    bcum = chunks(g, C).cumsum(-1)  # [B, H, n, C]
    bh = chunks(beta, C)[..., None]  # [B, H, n, C, 1]
    gamma = torch.exp(bcum)[..., None]
    kk = kh @ kh.transpose(-1, -2)
    L = bh * kk * decay_matrix(bcum, strict=True)
    eye = torch.eye(C).expand_as(L)
    rhs = torch.cat([bh * vh, bh * gamma * kh], dim=-1)
    sol = torch.linalg.solve_triangular(eye + L, rhs, upper=False, unitriangular=True)
    Ubar, W = sol[..., :vh.shape[-1]], sol[..., vh.shape[-1]:]
    qk = (qh @ kh.transpose(-1, -2)) * decay_matrix(bcum)
    qdec = qh * gamma
    kdec = kh * torch.exp(bcum[..., -1:] - bcum)[..., None]
    last = torch.exp(bcum[..., -1])[..., None, None]
    o = torch.empty_like(vh)
    S = S0.clone()
    for c in range(T // C):
        U = Ubar[:, :, c] - W[:, :, c] @ S
        o[:, :, c] = qdec[:, :, c] @ S + qk[:, :, c] @ U
        S = last[:, :, c] * S + kdec[:, :, c].transpose(-1, -2) @ U
    return unchunk(o), S


# --- kda: gated delta rule with a per-key decay ---------------------------


def kda_gates(g_raw, b, A_log, dt_bias):
    gk = -torch.exp(A_log)[:, None] * softplus(g_raw + dt_bias)  # [B, T, H, K]
    return gk, torch.sigmoid(b)


def kda_token(q, k, v, g_raw, b, A_log, dt_bias, S0):
    return delta_token(q, k, v, *kda_gates(g_raw, b, A_log, dt_bias), S0)


KDA_CHUNK = 16


def kda_chunked(q, k, v, g_raw, b, A_log, dt_bias, S0, C=KDA_CHUNK):
    """gdn_chunked with a per-key decay: with b the in-chunk cumulative
    log-decay [C, K] and m its middle row, the scores Σ_k x_ik k_jk e^{b_ik − b_jk}
    are (X e^{b − m})(K e^{m − b})ᵀ (each factor's exponent at most half the
    chunk's decay: chunks of 16 keep it finite at this gate's strongest heads,
    where factoring against the chunk's start overflows);
    L = diag(β) (K Kᵀ scores) strictly lower, (I + L) [Ū | W] =
    [diag(β) V | diag(β) (K e^b)], U = Ū − W S,
    O = (Q e^b) S + (Q Kᵀ scores, masked) U, S' = e^{b_C} S + (K e^{b_C − b})ᵀ U."""
    B, T, H, K = q.shape
    gk, beta = kda_gates(g_raw, b, A_log, dt_bias)
    qh = chunks(l2norm(q) / math.sqrt(K), C)
    kh, vh = chunks(l2norm(k), C), chunks(v, C)
    bcum = chunks(gk, C).cumsum(-2)  # [B, H, n, C, K]
    mid = bcum[..., C // 2:C // 2 + 1, :]
    bh = chunks(beta, C)[..., None]  # [B, H, n, C, 1]
    up, down = torch.exp(bcum - mid), torch.exp(mid - bcum)
    kneg = kh * down
    L = (bh * ((kh * up) @ kneg.transpose(-1, -2))).masked_fill(~causal_mask(C, True), 0)
    eye = torch.eye(C).expand_as(L)
    rhs = torch.cat([bh * vh, bh * kh * torch.exp(bcum)], dim=-1)
    sol = torch.linalg.solve_triangular(eye + L, rhs, upper=False, unitriangular=True)
    Ubar, W = sol[..., :vh.shape[-1]], sol[..., vh.shape[-1]:]
    qdec = qh * torch.exp(bcum)
    qk = ((qh * up) @ kneg.transpose(-1, -2)).masked_fill(~causal_mask(C), 0)
    blast = bcum[..., -1:, :]  # [B, H, n, 1, K]
    kdec = kh * torch.exp(blast - bcum)
    o = torch.empty_like(vh)
    S = S0.clone()
    for c in range(T // C):
        U = Ubar[:, :, c] - W[:, :, c] @ S
        o[:, :, c] = qdec[:, :, c] @ S + qk[:, :, c] @ U
        S = torch.exp(blast[:, :, c]).transpose(-1, -2) * S + \
            kdec[:, :, c].transpose(-1, -2) @ U
    return unchunk(o), S


# --- rwkv7: the general dplr transition -----------------------------------


def rwkv7_vectors(kappa, a_raw):
    """RWKV-7's a = −κ̂ and b = κ̂ ⊙ sigmoid(ã), κ̂ = l2norm(κ)."""
    kn = l2norm(kappa)
    return -kn, kn * torch.sigmoid(a_raw)


def rwkv7_token(r, w, k, v, kappa, a_raw, S0):
    """S = diag(e^w) S + b ⊗ (Sᵀ a) + k ⊗ v (a reads the state before the
    decay), o = Sᵀ r, one token at a time, batched over heads."""
    B, T, H, K = r.shape
    V = v.shape[-1]
    a, b = rwkv7_vectors(kappa, a_raw)
    ar, bc = a.reshape(B, T, H, 1, K), b.reshape(B, T, H, K, 1)
    rr, kc = r.reshape(B, T, H, 1, K), k.reshape(B, T, H, K, 1)
    vr = v.reshape(B, T, H, 1, V)
    alpha = torch.exp(w).reshape(B, T, H, K, 1)
    S = S0.clone()
    o = torch.empty(B, T, H, V)
    for t in range(T):
        sa = torch.matmul(ar[:, t], S)
        S.mul_(alpha[:, t])
        outer_add_(S, bc[:, t], sa)
        outer_add_(S, kc[:, t], vr[:, t])
        o[:, t] = torch.matmul(rr[:, t], S).reshape(B, H, V)
    return o, S


RWKV7_CHUNK = 16


def rwkv7_chunked(r, w, k, v, kappa, a_raw, S0, C=RWKV7_CHUNK):
    """fla's dplr chunk form: with G the in-chunk cumulative log-decay and
    Gx = G − w (the correction reads S_{t−1}), per chunk
    (I − A_ab) U = A_ak V + (A e^{Gx}) S,  A_xy = (X e^{Gx−m})(Y e^{m−G})ᵀ
    strictly lower; O = (R e^G) S + A_rk V + A_rb U (j ≤ i);
    S' = e^{G_C} S + (K e^{G_C−G})ᵀ V + (B e^{G_C−G})ᵀ U. m is the chunk's
    middle row (RWKV-7's decay ≥ e^−0.61 keeps chunks of 16 finite)."""
    B, T, H, K = r.shape
    V = v.shape[-1]
    a, b = rwkv7_vectors(kappa, a_raw)
    rh, kh, vh, ah, bh = (chunks(x, C) for x in (r, k, v, a, b))
    G = chunks(w, C).cumsum(-2)  # [B, H, n, C, K]
    Gx = G - chunks(w, C)
    mid = G[..., C // 2:C // 2 + 1, :]
    down = torch.exp(mid - G)
    ax, rx = ah * torch.exp(Gx - mid), rh * torch.exp(G - mid)
    kd, bd = kh * down, bh * down
    strict, causal = ~causal_mask(C, True), ~causal_mask(C)
    A_ab = (ax @ bd.transpose(-1, -2)).masked_fill(strict, 0)
    A_ak = (ax @ kd.transpose(-1, -2)).masked_fill(strict, 0)
    A_rk = (rx @ kd.transpose(-1, -2)).masked_fill(causal, 0)
    A_rb = (rx @ bd.transpose(-1, -2)).masked_fill(causal, 0)
    eye = torch.eye(C).expand_as(A_ab)
    rhs = torch.cat([A_ak @ vh, ah * torch.exp(Gx)], dim=-1)
    sol = torch.linalg.solve_triangular(eye - A_ab, rhs, upper=False, unitriangular=True)
    Ubar, W = sol[..., :V], sol[..., V:]
    rdec = rh * torch.exp(G)
    o = A_rk @ vh
    last = G[..., -1:, :]
    kdec, bdec = kh * torch.exp(last - G), bh * torch.exp(last - G)
    S = S0.clone()
    for c in range(T // C):
        U = Ubar[:, :, c] + W[:, :, c] @ S
        o[:, :, c] += rdec[:, :, c] @ S + A_rb[:, :, c] @ U
        S = torch.exp(last[:, :, c]).transpose(-1, -2) * S + \
            kdec[:, :, c].transpose(-1, -2) @ vh[:, :, c] + \
            bdec[:, :, c].transpose(-1, -2) @ U
    return unchunk(o), S


def gdn_decode_step(q, k, v, a, b, A_log, dt_bias, S):
    """One step for every sequence; the new state is a fresh tensor (the old
    one is an input and stays as it was, as in Hymir's entry points)."""
    B, H, K = q.shape
    V = v.shape[-1]
    g, beta = gdn_gates(a, b, A_log, dt_bias)
    qs = (l2norm(q) / math.sqrt(K)).reshape(B * H, 1, K)
    kn = l2norm(k)
    S1 = S * torch.exp(g).reshape(B, H, 1, 1)
    flat = S1.view(B * H, K, V)
    u = (v.reshape(B * H, 1, V) - torch.bmm(kn.reshape(B * H, 1, K), flat)) * \
        beta.reshape(B * H, 1, 1)
    flat.baddbmm_(kn.reshape(B * H, K, 1), u)
    o = torch.bmm(qs, flat).reshape(B, H, V)
    return o, S1


# --- mamba2_ssd -----------------------------------------------------------


def mamba2_inputs(x, dt, A_log, dt_bias):
    delta = softplus(dt + dt_bias)  # [B, T, H]
    logdecay = delta * -torch.exp(A_log)
    return delta, logdecay


def mamba2_token(x, dt, A_log, Bm, Cm, D, dt_bias, S0):
    B, T, H, P = x.shape
    N = Bm.shape[-1]
    delta, logdecay = mamba2_inputs(x, dt, A_log, dt_bias)
    alpha = torch.exp(logdecay).reshape(B, T, H, 1, 1)
    xr = (x * delta[..., None]).reshape(B, T, H, 1, P)
    Bc = Bm.reshape(B, T, 1, N, 1)
    Cr = Cm.reshape(B, T, 1, 1, N)
    S = S0.clone()
    y = torch.empty(B, T, H, P)
    for t in range(T):
        S.mul_(alpha[:, t])
        outer_add_(S, Bc[:, t], xr[:, t])
        y[:, t] = torch.matmul(Cr[:, t], S).reshape(B, H, P)
    return y + D[:, None] * x, S


def mamba2_chunked(x, dt, A_log, Bm, Cm, D, dt_bias, S0):
    delta, logdecay = mamba2_inputs(x, dt, A_log, dt_bias)
    y, S = scalar_decay_chunked(Cm, Bm, x * delta[..., None], logdecay, S0, 1.0)
    return y + D[:, None] * x, S


# --- attention ------------------------------------------------------------


def attention_matmul_softmax(q, k, v):
    B, T, H, D = q.shape
    scale = 1 / math.sqrt(D)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    o = torch.empty(B, T, H, v.shape[-1])
    for bi in range(B):
        for h in range(H):
            s = (q[bi, :, h] @ k[bi, :, h].T) * scale
            s.masked_fill_(mask, float("-inf"))
            o[bi, :, h] = torch.softmax(s, dim=-1) @ v[bi, :, h]
    return (o,)


PEERS = {
    "simple_gla": [("token loop", simple_gla_token), ("chunked", simple_gla_chunked)],
    "gla": [("token loop", gla_token), ("chunked", gla_chunked)],
    "gated_delta_net": [("token loop", gdn_token), ("chunked", gdn_chunked)],
    "gated_delta_net_layer": [("chunked", gdn_chunked)],
    "kda": [("token loop", kda_token), ("chunked", kda_chunked)],
    "rwkv7": [("token loop", rwkv7_token), ("chunked", rwkv7_chunked)],
    "mamba2_ssd": [("token loop", mamba2_token), ("chunked", mamba2_chunked)],
    "attention_causal": [("matmul+softmax", attention_matmul_softmax)],
    "gated_delta_net_decode": [("token step", gdn_decode_step)],
}


def read_manifest(path):
    ops, current = [], None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "op":
                current = {"name": parts[1], "inputs": [], "out": None}
                ops.append(current)
            elif parts[0] == "in":
                shape = tuple(int(d) for d in parts[3:])
                current["inputs"].append((parts[1], parts[2], shape))
            elif parts[0] == "out":
                current["out"] = parts[1]
    return ops


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--budget", type=float, default=6.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    torch.ones(8, 8) @ torch.ones(8, 8)  # load BLAS
    blas = openblas()
    core = "no OpenBLAS loaded"
    if blas:
        blas.openblas_set_num_threads(args.threads)
        core = "OpenBLAS %s, kernel %s, %d threads" % (
            blas.openblas_get_config().decode().split()[1],
            blas.openblas_get_corename().decode(), blas.openblas_get_num_threads())
    sdpa = hasattr(torch.nn.functional, "scaled_dot_product_attention")
    emit(header="torch %s (%d threads), %s%s" % (
        torch.__version__, torch.get_num_threads(), core,
        "" if sdpa else "; no scaled_dot_product_attention in this torch: attention is "
        "matmul + masked softmax"))

    # With N > 1 threads each form also runs with torch's own intra-op
    # parallelism off and OpenBLAS alone on the N threads: on the 2-core
    # machine this was measured faster for the matmul-heavy forms (torch's
    # OpenMP threads slow its element-wise ops down there); the bench takes
    # the faster of the two and names it.
    configs = [(args.threads, "")]
    if args.threads > 1:
        configs.append((1, " [torch 1 thr, BLAS %d]" % args.threads))

    for op in read_manifest(args.manifest):
        inputs = [torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(shape))
                  for _, path, shape in op["inputs"]]
        try:
            reference = np.fromfile(op["out"], dtype=np.float32)
        except OSError:
            reference = None
        for impl, fn in PEERS.get(op["name"], []):
            T = inputs[0].shape[1]
            if impl == "chunked" and T % CHUNK:
                emit(op=op["name"], impl=impl, note="T %% %d != 0: not run" % CHUNK)
                continue
            for torch_threads, label in configs:
                torch.set_num_threads(torch_threads)
                ms, out = timed(lambda: fn(*inputs), args.reps, args.budget)
                fields = dict(op=op["name"], impl=impl + label, ms=ms)
                if reference is not None and reference.size == out[0].numel():
                    fields["err"] = rel_rms(out[0], reference)
                emit(**fields)
            torch.set_num_threads(args.threads)

if __name__ == "__main__":
    main()
