"""Second forms of some gallery examples, used only to validate the token-loop oracle (ops.py).

Each function takes the same arguments as its ops.py counterpart and returns the same results,
but computes them another way (chunked, quadratic, dual, recurrent, ...).  Written from
EXAMPLES.md section 4 and OPS.md; float64 throughout.
"""

import math

import numpy as np

from . import ops
from .ops import l2norm, layernorm, mod2pi, rotate_pairs, sigmoid, silu, softplus


def _f64(*arrays):
    return [np.array(a, dtype=np.float64) for a in arrays]


def _decay_matrix(G):
    """D[t, s] = exp(G[t] - G[s]) for s <= t, else 0 (exponent masked before exp)."""
    n = len(G)
    D = np.zeros((n, n))
    for t in range(n):
        for s in range(t + 1):
            D[t, s] = math.exp(G[t] - G[s])
    return D


def _chunks(T, C):
    return [(c0, min(c0 + C, T)) for c0 in range(0, T, C)]


# --------------------------------------------------------------------------------------------
# log-linear attention: recurrent Fenwick form (EXAMPLES 4.21 recipe)
# --------------------------------------------------------------------------------------------

def trailing_ones(n):
    j = 0
    while n & 1:
        j += 1
        n >>= 1
    return j


def log_linear_attention_recurrent(q, k, v, g, lam):
    """Keep L level states. From t-1 to t: j = trailing 1-bits of t-1; S[j+1] += sum_{l<=j} S[l];
    S[0..j] = 0; multiply all levels by exp(g_t); S[0] = k_t (x) v_t; o_t = sum_l lam_t[l] S[l]^T q_t.
    Final S_levels = S after the last token."""
    q, k, v, g, lam = _f64(q, k, v, g, lam)
    B, T, H, K = q.shape
    V = v.shape[3]
    L = lam.shape[3]
    o = np.zeros((B, T, H, V))
    S_levels = np.zeros((B, H, L, K, V))
    for b in range(B):
        for h in range(H):
            S = np.zeros((L, K, V))
            for t in range(T):
                if t > 0:
                    j = trailing_ones(t - 1)
                    assert j + 1 < L, "position %d needs more than %d levels" % (t, L)
                    S[j + 1] += S[:j + 1].sum(axis=0)
                    S[:j + 1] = 0
                S *= math.exp(g[b, t, h])
                S[0] = np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = sum(lam[b, t, h, lvl] * S[lvl].T @ q[b, t, h] for lvl in range(L))
            S_levels[b, h] = S
    return o, S_levels


# --------------------------------------------------------------------------------------------
# Mamba-2 SSD chunked form (OPS.md section 4), key-major state
# --------------------------------------------------------------------------------------------

def mamba2_ssd_chunked(x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0, chunk=8):
    """Per chunk with chunk-local Gam_t = sum_{r<=t} dl_r A_h:
        Y_diag = (L o (C B^T)) (dl * X),  L_ts = exp(Gam_t - Gam_s) (s <= t)
        Y_off_t = exp(Gam_t) S_prev^T C_t
        S_new = exp(Gam_end) S_prev + sum_s exp(Gam_end - Gam_s) dl_s B_s (x) x_s
        Y = Y_diag + Y_off + D X"""
    x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0 = _f64(
        x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0)
    Bt, T, H, P = x.shape
    G = B_ssm.shape[2]
    y = np.zeros_like(x)
    ST = np.zeros_like(S0)
    for b in range(Bt):
        for h in range(H):
            g = h // (H // G)
            A = -math.exp(A_log[h])
            S = S0[b, h].copy()
            for c0, c1 in _chunks(T, chunk):
                dl = softplus(dt[b, c0:c1, h] + dt_bias[h])
                Gam = np.cumsum(dl * A)
                X, Bm, Cm = x[b, c0:c1, h], B_ssm[b, c0:c1, g], C_ssm[b, c0:c1, g]
                Lmat = _decay_matrix(Gam)
                Y_diag = (Lmat * (Cm @ Bm.T)) @ (dl[:, None] * X)
                Y_off = np.exp(Gam)[:, None] * (Cm @ S)
                y[b, c0:c1, h] = Y_diag + Y_off + D_skip[h] * X
                w_end = np.exp(Gam[-1] - Gam) * dl
                S = math.exp(Gam[-1]) * S + (Bm * w_end[:, None]).T @ X
            ST[b, h] = S
    return y, ST


# --------------------------------------------------------------------------------------------
# Mamba-3 SISO quadratic (chunk) form (OPS.md section 5 "Chunked form (SISO)")
# --------------------------------------------------------------------------------------------

def mamba3_siso_chunked(q, k, v, adt, dt, trap, q_bias, k_bias, angles, D_skip, z,
                        phi0, S0, k_prev0, v_prev0, chunk=8):
    """Per chunk [c0, c1) with carried (S, k_prev, v_prev) and Gam_t = sum_{c0<=r<=t} adt_r:
        Sbar = S + (1 - lam_c0) dt_c0 k_prev (x) v_prev        (lag term of the carried state)
        sc_s = lam_s dt_s + (1 - lam_{s+1}) dt_{s+1}            (second term 0 at the chunk end)
        y_t = sum_{s<=t} exp(Gam_t - Gam_s) sc_s (qr_t . kr_s) v_s
              - (1 - lam_{t+1}) dt_{t+1} (q'_t . k'_t) v_t       (unrotated q' = q+q_bias, k' = k+k_bias;
                                                                  0 at the chunk end)
              + exp(Gam_t) Sbar^T qr_t + D v_t
        S_new = exp(Gam_end) Sbar + sum_s exp(Gam_end - Gam_s) sc_s kr_s (x) v_s
    The angles use a cumulative sum: phi_t = (phi0 + sum_{r<=t} theta_r dt_r) mod 2pi."""
    (q, k, v, adt, dt, trap, q_bias, k_bias, angles, D_skip, z,
     phi0, S0, k_prev0, v_prev0) = _f64(q, k, v, adt, dt, trap, q_bias, k_bias, angles,
                                        D_skip, z, phi0, S0, k_prev0, v_prev0)
    Bt, T, H, P = v.shape
    G, N = q.shape[2], q.shape[3]
    out = np.zeros_like(v)
    phiT = np.zeros_like(phi0)
    ST, kpT, vpT = np.zeros_like(S0), np.zeros_like(k_prev0), np.zeros_like(v_prev0)
    for b in range(Bt):
        for h in range(H):
            g = h // (H // G)
            theta = math.pi * np.tanh(angles[b, :, h])                   # [T, R]
            phi = mod2pi(phi0[b, h] + np.cumsum(theta * dt[b, :, h, None], axis=0))
            qb = q[b, :, g] + q_bias[h]                                  # unrotated, [T, N]
            kb = k[b, :, g] + k_bias[h]
            qr = np.array([rotate_pairs(phi[t], qb[t]) for t in range(T)])
            kr = np.array([rotate_pairs(phi[t], kb[t]) for t in range(T)])
            lam = sigmoid(trap[b, :, h])
            d = dt[b, :, h]
            vv = v[b, :, h]
            S, kp, vp = S0[b, h].copy(), k_prev0[b, h].copy(), v_prev0[b, h].copy()
            for c0, c1 in _chunks(T, chunk):
                n = c1 - c0
                Gam = np.cumsum(adt[b, c0:c1, h])
                Sbar = S + (1 - lam[c0]) * d[c0] * np.outer(kp, vp)
                nxt = np.zeros(n)                   # (1 - lam_{s+1}) dt_{s+1} inside the chunk
                for i in range(n - 1):
                    nxt[i] = (1 - lam[c0 + i + 1]) * d[c0 + i + 1]
                sc = lam[c0:c1] * d[c0:c1] + nxt
                Lmat = _decay_matrix(Gam)
                QK = qr[c0:c1] @ kr[c0:c1].T
                diag_qk = np.sum(qb[c0:c1] * kb[c0:c1], axis=1)
                Y = ((Lmat * QK) * sc[None, :]) @ vv[c0:c1]
                Y -= (nxt * diag_qk)[:, None] * vv[c0:c1]
                Y += np.exp(Gam)[:, None] * (qr[c0:c1] @ Sbar)
                Y += D_skip[h] * vv[c0:c1]
                out[b, c0:c1, h] = Y * silu(z[b, c0:c1, h])
                w_end = np.exp(Gam[-1] - Gam) * sc
                S = math.exp(Gam[-1]) * Sbar + (kr[c0:c1] * w_end[:, None]).T @ vv[c0:c1]
                kp, vp = kr[c1 - 1], vv[c1 - 1]
            phiT[b, h], ST[b, h], kpT[b, h], vpT[b, h] = phi[T - 1], S, kp, vp
    return out, phiT, ST, kpT, vpT


# --------------------------------------------------------------------------------------------
# Gated DeltaNet chunked WY form (OPS.md section 10)
# --------------------------------------------------------------------------------------------

def gated_delta_net_chunked(q, k, v, a, b, A_log, dt_bias, S0, chunk=8):
    """Per chunk, Gam = chunk-local cumsum of g, D_ts = exp(Gam_t - Gam_s) (s <= t):
        A  = tril(diag(beta)(K K^T o D), -1);   Tm = (I + A)^{-1} diag(beta)
        W  = Tm (K o exp(Gam));  U = Tm V;  V' = U - W S_0
        O  = (Q o exp(Gam)) S_0 + (tril(Q K^T) o D) V'
        S_C = exp(Gam_C) S_0 + (K o exp(Gam_C - Gam))^T V'
    with K, Q the l2-normalised keys / scaled queries."""
    q, k, v, a, b, A_log, dt_bias, S0 = _f64(q, k, v, a, b, A_log, dt_bias, S0)
    Bt, T, H, _ = q.shape
    HV = v.shape[2]
    scale = 1 / math.sqrt(12)
    o = np.zeros_like(v)
    ST = np.zeros_like(S0)
    for bb in range(Bt):
        for h in range(HV):
            hq = h // (HV // H)
            S = S0[bb, h].copy()
            for c0, c1 in _chunks(T, chunk):
                n = c1 - c0
                Q = scale * l2norm(q[bb, c0:c1, hq])
                K = l2norm(k[bb, c0:c1, hq])
                V = v[bb, c0:c1, h]
                g = -math.exp(A_log[h]) * softplus(a[bb, c0:c1, h] + dt_bias[h])
                beta = sigmoid(b[bb, c0:c1, h])
                Gam = np.cumsum(g)
                D = _decay_matrix(Gam)
                Amat = np.tril(np.diag(beta) @ ((K @ K.T) * D), -1)
                Tm = np.linalg.solve(np.eye(n) + Amat, np.diag(beta))
                W = Tm @ (K * np.exp(Gam)[:, None])
                U = Tm @ V
                Vp = U - W @ S
                o[bb, c0:c1, h] = (Q * np.exp(Gam)[:, None]) @ S + (np.tril(Q @ K.T) * D) @ Vp
                S = math.exp(Gam[-1]) * S + (K * np.exp(Gam[-1] - Gam)[:, None]).T @ Vp
            ST[bb, h] = S
    return o, ST


# --------------------------------------------------------------------------------------------
# TTT-Linear dual form per mini-batch (EXAMPLES 4.22)
# --------------------------------------------------------------------------------------------

def ttt_linear_dual(q, k, v, eta, ln_w, ln_b, W0, b0):
    """Per mini-batch (rows Q, K, V, eta), weights (W, c) at its start:
        Z = K W + c;  Zh = LN(Z);  sigma = sqrt(var(Z) + 1e-6);  E = ln_w Zh + ln_b - (V - K)
        Gz = ln_w E;  G = (Gz - mean(Gz) - Zh mean(Gz Zh)) / sigma          (row-wise)
        Y = Q W + c - (tril(Q K^T) diag(eta) + tril(1) diag(eta)) G
        o = Q + ln_w LN(Y) + ln_b
        W <- W - K^T diag(eta) G;   c <- c - sum_rows diag(eta) G"""
    q, k, v, eta, ln_w, ln_b, W0, b0 = _f64(q, k, v, eta, ln_w, ln_b, W0, b0)
    B, T, H, D = q.shape
    M = ops.TTT_MINI_BATCH
    o = np.zeros_like(q)
    WT, bT = np.zeros_like(W0), np.zeros_like(b0)
    for bb in range(B):
        for h in range(H):
            W, c = W0[bb, h].copy(), b0[bb, h].copy()
            for c0, c1 in _chunks(T, M):
                Q, K, V = q[bb, c0:c1, h], k[bb, c0:c1, h], v[bb, c0:c1, h]
                et = np.diag(eta[bb, c0:c1, h])
                Z = K @ W + c
                Zh = layernorm(Z)
                sigma = np.sqrt(np.var(Z, axis=1, keepdims=True) + 1e-6)
                E = ln_w[h] * Zh + ln_b[h] - (V - K)
                Gz = ln_w[h] * E
                Gm = (Gz - Gz.mean(axis=1, keepdims=True)
                      - Zh * (Gz * Zh).mean(axis=1, keepdims=True)) / sigma
                n = c1 - c0
                Y = Q @ W + c - (np.tril(Q @ K.T) @ et + np.tril(np.ones((n, n))) @ et) @ Gm
                o[bb, c0:c1, h] = Q + ln_w[h] * layernorm(Y) + ln_b[h]
                W = W - K.T @ et @ Gm
                c = c - np.sum(et @ Gm, axis=0)
            WT[bb, h], bT[bb, h] = W, c
    return o, WT, bT


def ttt_loss(k_s, v_s, W, c, ln_w, ln_b):
    """l_s(W, c) = 1/2 || ln_w LN(k_s W + c) + ln_b - (v_s - k_s) ||^2."""
    e = ln_w * layernorm(k_s @ W + c) + ln_b - (v_s - k_s)
    return 0.5 * float(np.sum(e * e))


def ttt_grad_numeric(k_s, v_s, W, c, ln_w, ln_b, eps=1e-6):
    """dl_s/dZ by central differences in Z (Z = k_s W + c enters only through c here)."""
    G = np.zeros_like(c)
    for j in range(len(c)):
        cp, cm = c.copy(), c.copy()
        cp[j] += eps
        cm[j] -= eps
        G[j] = (ttt_loss(k_s, v_s, W, cp, ln_w, ln_b) - ttt_loss(k_s, v_s, W, cm, ln_w, ln_b)) / (2 * eps)
    return G


# --------------------------------------------------------------------------------------------
# Decode identities
# --------------------------------------------------------------------------------------------

def attention_decode_via_causal(q, k_cache, v_cache):
    """attention_decode == row L-1 of attention_causal on the full sequence (other query rows
    arbitrary: they do not influence row L-1)."""
    q, k_cache, v_cache = _f64(q, k_cache, v_cache)
    B, L = k_cache.shape[:2]
    q_full = np.zeros((B, L) + q.shape[1:])
    q_full[:, :L - 1] = 0.3                          # any values; causal rows are independent
    q_full[:, L - 1] = q
    (o_full,) = ops.attention_causal(q_full, k_cache, v_cache)
    return (o_full[:, L - 1],)


def gated_delta_net_via_decode(q, k, v, a, b, A_log, dt_bias, S0):
    """gated_delta_net == gated_delta_net_decode looped over t = 0 .. T-1 with carried S."""
    T = q.shape[1]
    S = np.array(S0, dtype=np.float64)
    outs = []
    for t in range(T):
        o_t, S = ops.gated_delta_net_decode(q[:, t], k[:, t], v[:, t], a[:, t], b[:, t],
                                            A_log, dt_bias, S)
        outs.append(o_t)
    return np.stack(outs, axis=1), S


# --------------------------------------------------------------------------------------------
# Small extra identities (cheap cross-checks of indexing / closed forms)
# --------------------------------------------------------------------------------------------

def causal_conv1d_convolve(x, weight, bias, conv_state):
    """y[:, c] = silu(bias[c] + np.convolve(xx[:, c], weight[c, ::-1], 'valid'))."""
    x, weight, bias, conv_state = _f64(x, weight, bias, conv_state)
    B, T, D = x.shape
    y = np.zeros_like(x)
    st = np.zeros_like(conv_state)
    for b in range(B):
        xx = np.concatenate([conv_state[b], x[b]])
        for c in range(D):
            y[b, :, c] = silu(bias[c] + np.convolve(xx[:, c], weight[c, ::-1], mode="valid"))
        st[b] = xx[-(weight.shape[1] - 1):]
    return y, st


def rglru_dense(x, W_a, b_a, W_x, b_x, a_param, h0):
    """RG-LRU with the block-diagonal gates as one dense 30x30 matrix (checks BD indexing)."""
    x, W_a, b_a, W_x, b_x, a_param, h0 = _f64(x, W_a, b_a, W_x, b_x, a_param, h0)
    nb, n, _ = W_a.shape

    def dense(W):
        M = np.zeros((nb * n, nb * n))
        for h in range(nb):
            M[h * n:(h + 1) * n, h * n:(h + 1) * n] = W[h]
        return M

    Ma, Mx = dense(W_a), dense(W_x)
    r = sigmoid(x @ Ma + b_a.reshape(-1))
    i = sigmoid(x @ Mx + b_x.reshape(-1))
    log_a = -8 * r * softplus(a_param)
    a = np.exp(log_a)
    mult = np.sqrt(1 - a * a)
    h = h0.copy()
    y = np.zeros_like(x)
    for t in range(x.shape[1]):
        h = a[:, t] * h + mult[:, t] * i[:, t] * x[:, t]
        y[:, t] = h
    return y, h


def mlstm_unstabilised(q, k, v, i, f, C0, n0, m0):
    """mLSTM without the stabiliser: Ct = exp(lf) Ct + exp(i) k (x) v, nt likewise, from
    Ct_{-1} = exp(m0) C0, nt_{-1} = exp(m0) n0;  h = Ct^T qs / (max(|nt.qs|, 1) + 1e-6 exp(m_t)).
    Also m_T by the closed form of EXAMPLES 4.18. Returns (h, exp(-m_T) Ct_T, exp(-m_T) nt_T, m_T)."""
    q, k, v, i, f, C0, n0, m0 = _f64(q, k, v, i, f, C0, n0, m0)
    B, T, H, _ = q.shape
    hs = np.zeros(v.shape)
    CT, nT, mT = np.zeros_like(C0), np.zeros_like(n0), np.zeros_like(m0)
    for b in range(B):
        for hh in range(H):
            lf = ops.logsigmoid(f[b, :, hh])
            C = math.exp(m0[b, hh]) * C0[b, hh]
            n = math.exp(m0[b, hh]) * n0[b, hh]
            for t in range(T):
                C = math.exp(lf[t]) * C + math.exp(i[b, t, hh]) * np.outer(k[b, t, hh], v[b, t, hh])
                n = math.exp(lf[t]) * n + math.exp(i[b, t, hh]) * k[b, t, hh]
                # m_t by the closed form max(m0 + sum_{r<=t} lf_r, max_s (i_s + sum_{s<r<=t} lf_r))
                m_t = max([m0[b, hh] + lf[:t + 1].sum()]
                          + [i[b, s, hh] + lf[s + 1:t + 1].sum() for s in range(t + 1)])
                qs = q[b, t, hh] / math.sqrt(12)
                hs[b, t, hh] = (C.T @ qs) / (max(abs(n @ qs), 1.0) + 1e-6 * math.exp(m_t))
            CT[b, hh], nT[b, hh], mT[b, hh] = math.exp(-m_t) * C, math.exp(-m_t) * n, m_t
    return hs, CT, nT, mT


def simple_gla_as_retnet_args(q, k, v, S0):
    """retnet(q, k, v, S0) == simple_gla(q, k, v, g = log gamma_h, S0)."""
    B, T, H, _ = q.shape
    g = np.zeros((B, T, H))
    for h in range(H):
        g[:, :, h] = math.log(1 - 2.0 ** (-5 - h))
    return ops.simple_gla(q, k, v, g, S0)


def simple_gla_as_gla(q, k, v, gk, S0):
    """gla with gk constant over the key channels == simple_gla with that scalar (uses gk[..., 0])."""
    return ops.simple_gla(q, k, v, gk[..., 0], S0)


def mamba2_as_simple_gla(x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0):
    """mamba2_ssd == simple_gla with q = C * sqrt(12) (cancels the 1/sqrt(12) scale), k = B,
    v = dl * x, g = dl * A, plus D * x (G = 1)."""
    x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0 = _f64(
        x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0)
    H = x.shape[2]
    dl = softplus(dt + dt_bias)
    A = -np.exp(A_log)
    qq = np.repeat(C_ssm, H, axis=2) * math.sqrt(12)
    kk = np.repeat(B_ssm, H, axis=2)
    o, S = ops.simple_gla(qq, kk, dl[..., None] * x, dl * A, S0)
    return o + D_skip[None, None, :, None] * x, S
