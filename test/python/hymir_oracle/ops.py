"""Float64 oracle of the 22 gallery examples of EXAMPLES.md, as plain token-by-token loops.

Every function is named exactly as the example file stem, takes the ``@main`` arguments in the
order of EXAMPLES.md section 3 (exact shapes, time-major) and returns a tuple of results in
result order.  Nothing here is clever: loops over batch, head and time, one formula line per
line of EXAMPLES.md section 4.

Conventions (EXAMPLES.md section 1):
  * matrix states are key-major ``S[K, V]``: written with ``outer(k, v)``, read ``S.T @ q``;
  * head ``h`` of the larger head count reads head ``h // (H_large // H_small)`` (block mapping);
  * initial states are the last arguments, final states the last results.

All computation happens in ``COMPUTE_DTYPE`` (float64).  ``set_compute_dtype(np.float32)`` exists
only so the self-check can measure how far a naive float32 token loop drifts on the test
inputs (EXAMPLES.md section 1.2 claims < 6e-6); the oracle itself is always float64.
"""

import math

import numpy as np

EXAMPLES = (
    "attention_causal", "attention_window", "attention_decode", "causal_conv1d",
    "mamba1_selective_scan", "mamba2_ssd", "mamba3_siso", "linear_attention", "retnet",
    "simple_gla", "gla", "rwkv6", "delta_net", "gated_delta_net", "gated_delta_net_decode",
    "kda", "rwkv7", "mlstm", "slstm", "rglru", "log_linear_attention", "ttt_linear",
)

COMPUTE_DTYPE = np.float64


def set_compute_dtype(dtype):
    """Select the arithmetic dtype (float64 for the oracle; float32 only for drift studies)."""
    global COMPUTE_DTYPE
    COMPUTE_DTYPE = np.dtype(dtype).type


def _cast(*arrays):
    """Copy the arguments into fresh arrays of the compute dtype."""
    return [np.array(a, dtype=COMPUTE_DTYPE) for a in arrays]


def _zeros(*shape):
    return np.zeros(shape, dtype=COMPUTE_DTYPE)


F32_CONSTANTS = False


def set_f32_constants(on):
    """Round the formulas' constants (scales, eps, 2π, ...) to float32 first, as the gallery
    files write them, so float64 results can be compared at ~1e-9."""
    global F32_CONSTANTS
    F32_CONSTANTS = bool(on)


def _c(x):
    """A Python constant as a scalar of the compute dtype."""
    if F32_CONSTANTS:
        return COMPUTE_DTYPE(np.float32(x))
    return COMPUTE_DTYPE(x)


# --------------------------------------------------------------------------------------------
# Helper functions of EXAMPLES.md section 1.1 (exact definitions)
# --------------------------------------------------------------------------------------------

def softplus(x):
    """softplus(x) = log(1 + e^x), evaluated as max(x, 0) + log1p(e^{-|x|})."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + e^{-x})."""
    return 1 / (1 + np.exp(-x))


def logsigmoid(x):
    """logsigmoid(x) = -softplus(-x)."""
    return -softplus(-x)


def silu(x):
    """silu(x) = x * sigmoid(x)."""
    return x * sigmoid(x)


def l2norm(x):
    """l2norm(x) = x / sqrt(sum_i x_i^2 + 1e-6) over the last (head) dim; eps inside the sqrt."""
    return x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True) + _c(1e-6))


def layernorm(x):
    """LN(x) = (x - mean(x)) / sqrt(var(x) + 1e-6) over the last dim, biased variance, no affine."""
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + _c(1e-6))


def mod2pi(a):
    """a mod 2pi = a - 2pi * floor(a / 2pi), in [0, 2pi)."""
    two_pi = _c(2 * math.pi)
    return a - two_pi * np.floor(a / two_pi)


def _softmax_weighted_sum(s, values):
    """sum_j exp(s_j - m) values_j / sum_j exp(s_j - m),  m = max_j s_j."""
    m = np.max(s)
    p = np.exp(s - m)
    return (p @ values) / np.sum(p)


# --------------------------------------------------------------------------------------------
# 4.1 - 4.3 softmax attention
# --------------------------------------------------------------------------------------------

def attention_causal(q, k, v):
    """EXAMPLES 4.1: causal GQA softmax attention, Hq=4, Hkv=2, K=12, V=20, scale=1/sqrt(12).

    For query i, head h, kv head h' = h // 2:
        s_ij = scale * <q_i[h], k_j[h']>,  allowed iff j <= i
        o_i[h] = sum_{j<=i} exp(s_ij - m_i) v_j[h'] / sum_{j<=i} exp(s_ij - m_i)
    """
    q, k, v = _cast(q, k, v)
    B, T, Hq, _ = q.shape
    Hkv, V = v.shape[2], v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, Hq, V)
    for b in range(B):
        for h in range(Hq):
            hk = h // (Hq // Hkv)
            for i in range(T):
                s = np.array([scale * np.dot(q[b, i, h], k[b, j, hk]) for j in range(i + 1)])
                o[b, i, h] = _softmax_weighted_sum(s, v[b, :i + 1, hk])
    return (o,)


def attention_window(q, k, v):
    """EXAMPLES 4.2: causal sliding window w=13 + softcap 30, MQA (Hq=3, Hkv=1), K=V=20.

        s_ij = 30 * tanh(scale * <q_i[h], k_j> / 30),  scale = 1/sqrt(20)   (softcap after scaling)
        allowed iff i - 13 < j <= i                                        (13 keys once i >= 12)
        o_i[h] = softmax over allowed j of s_ij, applied to v_j (max-subtracted)
    """
    q, k, v = _cast(q, k, v)
    B, T, Hq, _ = q.shape
    Hkv, V = v.shape[2], v.shape[3]
    scale = _c(1 / math.sqrt(20))
    cap = _c(30.0)
    w = 13
    o = _zeros(B, T, Hq, V)
    for b in range(B):
        for h in range(Hq):
            hk = h // (Hq // Hkv)
            for i in range(T):
                allowed = [j for j in range(T) if i - w < j <= i]
                s = np.array([cap * np.tanh(scale * np.dot(q[b, i, h], k[b, j, hk]) / cap)
                              for j in allowed])
                o[b, i, h] = _softmax_weighted_sum(s, v[b, allowed, hk])
    return (o,)


def attention_decode(q, k_cache, v_cache):
    """EXAMPLES 4.3: one query at position L-1 against a KV cache of length L (own key included).

        o[h] = sum_{j<L} softmax_j(scale * <q[h], k_cache_j[h//2]>) v_cache_j[h//2],  scale=1/sqrt(12)
    """
    q, k_cache, v_cache = _cast(q, k_cache, v_cache)
    B, Hq, _ = q.shape
    L, Hkv, V = v_cache.shape[1], v_cache.shape[2], v_cache.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, Hq, V)
    for b in range(B):
        for h in range(Hq):
            hk = h // (Hq // Hkv)
            s = np.array([scale * np.dot(q[b, h], k_cache[b, j, hk]) for j in range(L)])
            o[b, h] = _softmax_weighted_sum(s, v_cache[b, :, hk])
    return (o,)


# --------------------------------------------------------------------------------------------
# 4.4 short causal conv
# --------------------------------------------------------------------------------------------

def causal_conv1d(x, weight, bias, conv_state):
    """EXAMPLES 4.4: depthwise causal conv, D=36, W=4, bias + SiLU, conv state oldest first.

        xx = concat_time(conv_state, x)            (xx[t+3] = x_t)
        y_t[c] = silu(bias[c] + sum_{j=0}^{3} weight[c, j] * xx[t + j, c])
        conv_state_out = xx[T : T+3]
    """
    x, weight, bias, conv_state = _cast(x, weight, bias, conv_state)
    B, T, D = x.shape
    W = weight.shape[1]
    y = _zeros(B, T, D)
    state_out = _zeros(B, W - 1, D)
    for b in range(B):
        xx = np.concatenate([conv_state[b], x[b]], axis=0)
        for t in range(T):
            for c in range(D):
                acc = bias[c]
                for j in range(W):
                    acc = acc + weight[c, j] * xx[t + j, c]
                y[b, t, c] = silu(acc)
        state_out[b] = xx[T:T + W - 1]
    return y, state_out


# --------------------------------------------------------------------------------------------
# 4.5 - 4.7 Mamba
# --------------------------------------------------------------------------------------------

def mamba1_selective_scan(u, delta, A_log, B_ssm, C_ssm, D_skip, z, delta_bias, h0):
    """EXAMPLES 4.5: Mamba-1, D=24, N=10, channel-major state h[d, n].

        A[d,n]   = -exp(A_log[d,n])
        dl_t[d]  = softplus(delta_t[d] + delta_bias[d])
        h_t[d,n] = exp(dl_t[d] A[d,n]) h_{t-1}[d,n] + dl_t[d] B_ssm_t[n] u_t[d]
        y_t[d]   = sum_n C_ssm_t[n] h_t[d,n] + D_skip[d] u_t[d]
        out_t[d] = y_t[d] * silu(z_t[d])
    """
    u, delta, A_log, B_ssm, C_ssm, D_skip, z, delta_bias, h0 = _cast(
        u, delta, A_log, B_ssm, C_ssm, D_skip, z, delta_bias, h0)
    Bt, T, D = u.shape
    N = A_log.shape[1]
    A = -np.exp(A_log)
    out = _zeros(Bt, T, D)
    hT = _zeros(Bt, D, N)
    for b in range(Bt):
        h = h0[b].copy()
        for t in range(T):
            for d in range(D):
                dl = softplus(delta[b, t, d] + delta_bias[d])
                for n in range(N):
                    h[d, n] = np.exp(dl * A[d, n]) * h[d, n] + dl * B_ssm[b, t, n] * u[b, t, d]
                y = np.dot(C_ssm[b, t], h[d]) + D_skip[d] * u[b, t, d]
                out[b, t, d] = y * silu(z[b, t, d])
        hT[b] = h
    return out, hT


def mamba2_ssd(x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0):
    """EXAMPLES 4.6: Mamba-2 SSD, H=3, P=20, N=12, G=1 (head h reads group h // (H/G)).

        A_h    = -exp(A_log[h]);   dl_t = softplus(dt_t[h] + dt_bias[h])   (no clamp)
        S_t[h] = exp(dl_t A_h) S_{t-1}[h] + dl_t * B_t (x) x_t[h]        (N x P, key-major)
        y_t[h] = S_t[h]^T C_t + D_skip[h] x_t[h]
    """
    x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0 = _cast(
        x, dt, A_log, B_ssm, C_ssm, D_skip, dt_bias, S0)
    Bt, T, H, P = x.shape
    G, N = B_ssm.shape[2], B_ssm.shape[3]
    y = _zeros(Bt, T, H, P)
    ST = _zeros(Bt, H, N, P)
    for b in range(Bt):
        for h in range(H):
            g = h // (H // G)
            A = -np.exp(A_log[h])
            S = S0[b, h].copy()
            for t in range(T):
                dl = softplus(dt[b, t, h] + dt_bias[h])
                S = np.exp(dl * A) * S + dl * np.outer(B_ssm[b, t, g], x[b, t, h])
                y[b, t, h] = S.T @ C_ssm[b, t, g] + D_skip[h] * x[b, t, h]
            ST[b, h] = S
    return y, ST


def rotate_pairs(phi, x):
    """Rot(phi) x: for i < R, (x_2i, x_2i+1) -> (x_2i cos phi_i - x_2i+1 sin phi_i,
    x_2i sin phi_i + x_2i+1 cos phi_i); x_j unchanged for j >= 2R (interleaved pairs)."""
    y = x.copy()
    for i in range(len(phi)):
        c, s = np.cos(phi[i]), np.sin(phi[i])
        y[2 * i] = x[2 * i] * c - x[2 * i + 1] * s
        y[2 * i + 1] = x[2 * i] * s + x[2 * i + 1] * c
    return y


def mamba3_siso(q, k, v, adt, dt, trap, q_bias, k_bias, angles, D_skip, z,
                phi0, S0, k_prev0, v_prev0):
    """EXAMPLES 4.7: Mamba-3 SISO, H=4, G=2 (h reads group h // 2), N=12, P=10, R=3.

        theta_t = pi * tanh(angles_t)
        phi_t   = (phi_{t-1} + theta_t * dt_t) mod 2pi                    phi_{-1} = phi0
        qr_t = Rot(phi_t)(q_t[g] + q_bias[h]);  kr_t = Rot(phi_t)(k_t[g] + k_bias[h])
        lam_t = sigmoid(trap_t); alpha_t = exp(adt_t); beta_t = (1-lam_t) dt_t alpha_t; gamma_t = lam_t dt_t
        S_t = alpha_t S_{t-1} + beta_t kbar_{t-1} (x) vbar_{t-1} + gamma_t kr_t (x) v_t     (N x P)
              kbar_{-1} = k_prev0, vbar_{-1} = v_prev0;  kbar_t = kr_t, vbar_t = v_t
        y_t = S_t^T qr_t + D_skip[h] v_t;   out_t = y_t * silu(z_t)
    Results: out, phi_T = phi_{T-1}, S_T, k_prev_T = kr_{T-1} (stored rotated), v_prev_T = v_{T-1}.
    """
    (q, k, v, adt, dt, trap, q_bias, k_bias, angles, D_skip, z,
     phi0, S0, k_prev0, v_prev0) = _cast(q, k, v, adt, dt, trap, q_bias, k_bias, angles,
                                         D_skip, z, phi0, S0, k_prev0, v_prev0)
    Bt, T, H, P = v.shape
    G, N = q.shape[2], q.shape[3]
    R = angles.shape[3]
    pi = _c(math.pi)
    out = _zeros(Bt, T, H, P)
    phiT = _zeros(Bt, H, R)
    ST = _zeros(Bt, H, N, P)
    kpT = _zeros(Bt, H, N)
    vpT = _zeros(Bt, H, P)
    for b in range(Bt):
        for h in range(H):
            g = h // (H // G)
            phi = phi0[b, h].copy()
            S = S0[b, h].copy()
            k_prev = k_prev0[b, h].copy()
            v_prev = v_prev0[b, h].copy()
            for t in range(T):
                theta = pi * np.tanh(angles[b, t, h])
                phi = mod2pi(phi + theta * dt[b, t, h])
                qr = rotate_pairs(phi, q[b, t, g] + q_bias[h])
                kr = rotate_pairs(phi, k[b, t, g] + k_bias[h])
                lam = sigmoid(trap[b, t, h])
                alpha = np.exp(adt[b, t, h])
                beta = (1 - lam) * dt[b, t, h] * alpha
                gamma = lam * dt[b, t, h]
                S = (alpha * S + beta * np.outer(k_prev, v_prev)
                     + gamma * np.outer(kr, v[b, t, h]))
                y = S.T @ qr + D_skip[h] * v[b, t, h]
                out[b, t, h] = y * silu(z[b, t, h])
                k_prev = kr
                v_prev = v[b, t, h].copy()
            phiT[b, h] = phi
            ST[b, h] = S
            kpT[b, h] = k_prev
            vpT[b, h] = v_prev
    return out, phiT, ST, kpT, vpT


# --------------------------------------------------------------------------------------------
# 4.8 - 4.12 linear attention family
# --------------------------------------------------------------------------------------------

def linear_attention(q, k, v, S0):
    """EXAMPLES 4.8: H=2, K=12, V=20, scale=1/sqrt(12), identity feature map, no normaliser.

        S_t = S_{t-1} + k_t (x) v_t;    o_t = S_t^T (scale q_t)
    """
    q, k, v, S0 = _cast(q, k, v, S0)
    B, T, H, _ = q.shape
    V = v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            S = S0[b, h].copy()
            for t in range(T):
                S = S + np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = S.T @ (scale * q[b, t, h])
            ST[b, h] = S
    return o, ST


def retnet(q, k, v, S0):
    """EXAMPLES 4.9: H=4, K=12, V=20, scale=1/sqrt(12), gamma_h = 1 - 2^(-5-h) (31/32 ... 255/256).

        S_t = gamma_h S_{t-1} + k_t (x) v_t;    o_t = S_t^T (scale q_t)
    """
    q, k, v, S0 = _cast(q, k, v, S0)
    B, T, H, _ = q.shape
    V = v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            gamma = _c(1 - 2.0 ** (-5 - h))
            S = S0[b, h].copy()
            for t in range(T):
                S = gamma * S + np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = S.T @ (scale * q[b, t, h])
            ST[b, h] = S
    return o, ST


def simple_gla(q, k, v, g, S0):
    """EXAMPLES 4.10: H=3, K=12, V=20, scale=1/sqrt(12), scalar log-decay g (<= 0) given.

        S_t = exp(g_t) S_{t-1} + k_t (x) v_t;    o_t = S_t^T (scale q_t)
    """
    q, k, v, g, S0 = _cast(q, k, v, g, S0)
    B, T, H, _ = q.shape
    V = v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            S = S0[b, h].copy()
            for t in range(T):
                S = np.exp(g[b, t, h]) * S + np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = S.T @ (scale * q[b, t, h])
            ST[b, h] = S
    return o, ST


def gla(q, k, v, gk, S0):
    """EXAMPLES 4.11: H=2, K=12, V=20, scale=1/sqrt(12), per-key log-decay gk (<= 0) given.

        S_t = diag(exp(gk_t)) S_{t-1} + k_t (x) v_t    (row i of S scaled by exp(gk_t[i]))
        o_t = S_t^T (scale q_t)
    """
    q, k, v, gk, S0 = _cast(q, k, v, gk, S0)
    B, T, H, K = q.shape
    V = v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            S = S0[b, h].copy()
            for t in range(T):
                for i in range(K):
                    S[i, :] = np.exp(gk[b, t, h, i]) * S[i, :]
                S = S + np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = S.T @ (scale * q[b, t, h])
            ST[b, h] = S
    return o, ST


def rwkv6(r, k, v, w, u, S0):
    """EXAMPLES 4.12: RWKV-6, H=2, K=12, V=20, scale 1, raw decay w (log-decay -exp(w) inside).

        o_t = (S_{t-1} + diag(u) (k_t (x) v_t))^T r_t          (reads the previous state + bonus)
        S_t = diag(exp(-exp(w_t))) S_{t-1} + k_t (x) v_t
    """
    r, k, v, w, u, S0 = _cast(r, k, v, w, u, S0)
    B, T, H, K = r.shape
    V = v.shape[3]
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            S = S0[b, h].copy()
            for t in range(T):
                kv = np.outer(k[b, t, h], v[b, t, h])
                o[b, t, h] = (S + np.diag(u[h]) @ kv).T @ r[b, t, h]
                decay = np.exp(-np.exp(w[b, t, h]))
                S = np.diag(decay) @ S + kv
            ST[b, h] = S
    return o, ST


# --------------------------------------------------------------------------------------------
# 4.13 - 4.17 delta rules
# --------------------------------------------------------------------------------------------

def delta_net(q, k, v, beta, S0):
    """EXAMPLES 4.13: delta rule, H=2, K=12, V=20, scale=1/sqrt(12); q, k, beta used as given.

        u_t = beta_t (v_t - S_{t-1}^T k_t);   S_t = S_{t-1} + k_t (x) u_t
        o_t = S_t^T (scale q_t)
    """
    q, k, v, beta, S0 = _cast(q, k, v, beta, S0)
    B, T, H, _ = q.shape
    V = v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(B, T, H, V)
    ST = np.zeros_like(S0)
    for b in range(B):
        for h in range(H):
            S = S0[b, h].copy()
            for t in range(T):
                u = beta[b, t, h] * (v[b, t, h] - S.T @ k[b, t, h])
                S = S + np.outer(k[b, t, h], u)
                o[b, t, h] = S.T @ (scale * q[b, t, h])
            ST[b, h] = S
    return o, ST


def gated_delta_net(q, k, v, a, b, A_log, dt_bias, S0):
    """EXAMPLES 4.14: GDN, H=2 q/k heads, HV=4 value heads (h reads h // 2), K=12, V=20.

        qn_t = l2norm(q_t[h//2]);  kn_t = l2norm(k_t[h//2])                 (eps 1e-6 inside sqrt)
        g_t = -exp(A_log[h]) softplus(a_t[h] + dt_bias[h]);   beta_t = sigmoid(b_t[h])
        S' = exp(g_t) S_{t-1};  u_t = beta_t (v_t - S'^T kn_t);  S_t = S' + kn_t (x) u_t
        o_t = S_t^T (scale qn_t),  scale = 1/sqrt(12)
    """
    q, k, v, a, b, A_log, dt_bias, S0 = _cast(q, k, v, a, b, A_log, dt_bias, S0)
    Bt, T, H, _ = q.shape
    HV, V = v.shape[2], v.shape[3]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(Bt, T, HV, V)
    ST = np.zeros_like(S0)
    for bb in range(Bt):
        for h in range(HV):
            hq = h // (HV // H)
            S = S0[bb, h].copy()
            for t in range(T):
                qn = l2norm(q[bb, t, hq])
                kn = l2norm(k[bb, t, hq])
                g = -np.exp(A_log[h]) * softplus(a[bb, t, h] + dt_bias[h])
                beta = sigmoid(b[bb, t, h])
                Sd = np.exp(g) * S
                u = beta * (v[bb, t, h] - Sd.T @ kn)
                S = Sd + np.outer(kn, u)
                o[bb, t, h] = S.T @ (scale * qn)
            ST[bb, h] = S
    return o, ST


def gated_delta_net_decode(q, k, v, a, b, A_log, dt_bias, S):
    """EXAMPLES 4.15: one GDN step (no time axis), same dims and math as gated_delta_net on T=1.

        qn = l2norm(q[h//2]); kn = l2norm(k[h//2]); g = -exp(A_log[h]) softplus(a[h] + dt_bias[h])
        beta = sigmoid(b[h]);  S' = exp(g) S;  u = beta (v - S'^T kn);  S_new = S' + kn (x) u
        o = S_new^T (scale qn)
    """
    q, k, v, a, b, A_log, dt_bias, S = _cast(q, k, v, a, b, A_log, dt_bias, S)
    Bt, H, _ = q.shape
    HV, V = v.shape[1], v.shape[2]
    scale = _c(1 / math.sqrt(12))
    o = _zeros(Bt, HV, V)
    S_new = np.zeros_like(S)
    for bb in range(Bt):
        for h in range(HV):
            hq = h // (HV // H)
            qn = l2norm(q[bb, hq])
            kn = l2norm(k[bb, hq])
            g = -np.exp(A_log[h]) * softplus(a[bb, h] + dt_bias[h])
            beta = sigmoid(b[bb, h])
            Sd = np.exp(g) * S[bb, h]
            u = beta * (v[bb, h] - Sd.T @ kn)
            S_new[bb, h] = Sd + np.outer(kn, u)
            o[bb, h] = S_new[bb, h].T @ (scale * qn)
    return o, S_new


def kda(q, k, v, g_raw, b, A_log, dt_bias, S0):
    """EXAMPLES 4.16: Kimi Delta Attention, H=HV=2, K=20, V=12, scale=1/sqrt(20).

        qn_t, kn_t = l2norm(q_t), l2norm(k_t)
        gk_t[i] = -exp(A_log[h]) softplus(g_raw_t[i] + dt_bias[h, i]);   beta_t = sigmoid(b_t)
        S' = diag(exp(gk_t)) S_{t-1};  u_t = beta_t (v_t - S'^T kn_t);  S_t = S' + kn_t (x) u_t
        o_t = S_t^T (scale qn_t)
    """
    q, k, v, g_raw, b, A_log, dt_bias, S0 = _cast(q, k, v, g_raw, b, A_log, dt_bias, S0)
    Bt, T, H, K = q.shape
    HV, V = v.shape[2], v.shape[3]
    scale = _c(1 / math.sqrt(20))
    o = _zeros(Bt, T, HV, V)
    ST = np.zeros_like(S0)
    for bb in range(Bt):
        for h in range(HV):
            hq = h // (HV // H)
            S = S0[bb, h].copy()
            for t in range(T):
                qn = l2norm(q[bb, t, hq])
                kn = l2norm(k[bb, t, hq])
                gk = -np.exp(A_log[h]) * softplus(g_raw[bb, t, h] + dt_bias[h])
                beta = sigmoid(b[bb, t, h])
                Sd = np.diag(np.exp(gk)) @ S
                u = beta * (v[bb, t, h] - Sd.T @ kn)
                S = Sd + np.outer(kn, u)
                o[bb, t, h] = S.T @ (scale * qn)
            ST[bb, h] = S
    return o, ST


def rwkv7(r, w, k, v, a, b, S0):
    """EXAMPLES 4.17: RWKV-7 generalized delta rule, H=2, K=12, V=20, scale 1, inputs as given.

        S_t = diag(exp(w_t)) S_{t-1} + b_t (x) (S_{t-1}^T a_t) + k_t (x) v_t   (a reads UN-decayed S)
        o_t = S_t^T r_t
    """
    r, w, k, v, a, b, S0 = _cast(r, w, k, v, a, b, S0)
    Bt, T, H, K = r.shape
    V = v.shape[3]
    o = _zeros(Bt, T, H, V)
    ST = np.zeros_like(S0)
    for bb in range(Bt):
        for h in range(H):
            S = S0[bb, h].copy()
            for t in range(T):
                S = (np.diag(np.exp(w[bb, t, h])) @ S
                     + np.outer(b[bb, t, h], S.T @ a[bb, t, h])
                     + np.outer(k[bb, t, h], v[bb, t, h]))
                o[bb, t, h] = S.T @ r[bb, t, h]
            ST[bb, h] = S
    return o, ST


# --------------------------------------------------------------------------------------------
# 4.18 - 4.19 xLSTM
# --------------------------------------------------------------------------------------------

def mlstm(q, k, v, i, f, C0, n0, m0):
    """EXAMPLES 4.18: mLSTM, H=2, K=12, V=20, exponential input gate, sigmoid forget gate.

        lf_t = logsigmoid(f_t)
        m_t  = max(lf_t + m_{t-1}, i_t)
        f'_t = exp(lf_t + m_{t-1} - m_t);     i'_t = exp(i_t - m_t)
        C_t  = f'_t C_{t-1} + i'_t k_t (x) v_t;   n_t = f'_t n_{t-1} + i'_t k_t
        qs_t = q_t / sqrt(12)
        h_t  = C_t^T qs_t / (max(|n_t . qs_t|, exp(-m_t)) + 1e-6)
    States returned are the stabilised ones (C_T, n_T, m_T).
    """
    q, k, v, i, f, C0, n0, m0 = _cast(q, k, v, i, f, C0, n0, m0)
    B, T, H, _ = q.shape
    V = v.shape[3]
    hs = _zeros(B, T, H, V)
    CT, nT, mT = np.zeros_like(C0), np.zeros_like(n0), np.zeros_like(m0)
    for b in range(B):
        for h in range(H):
            C, n, m = C0[b, h].copy(), n0[b, h].copy(), m0[b, h]
            for t in range(T):
                lf = logsigmoid(f[b, t, h])
                m_new = max(lf + m, i[b, t, h])
                fp = np.exp(lf + m - m_new)
                ip = np.exp(i[b, t, h] - m_new)
                C = fp * C + ip * np.outer(k[b, t, h], v[b, t, h])
                n = fp * n + ip * k[b, t, h]
                m = m_new
                qs = q[b, t, h] * _c(1 / math.sqrt(12))
                denom = max(abs(np.dot(n, qs)), np.exp(-m)) + _c(1e-6)
                hs[b, t, h] = (C.T @ qs) / denom
            CT[b, h], nT[b, h], mT[b, h] = C, n, m
    return hs, CT, nT, mT


def slstm(wx, R, bias, h0, c0, n0, m0):
    """EXAMPLES 4.19: sLSTM, H=2, d=10, gate order (i, f, z, o), R[g, h, out, in].

        raw_g = wx_t[g] + R[g,h] h_{t-1} + bias[g,h]       ((R x)_o = sum_in R[g,h,o,in] x_in)
        lfm = logsigmoid(raw_f) + m_{t-1};   m_t = max(raw_i, lfm)
        i' = exp(raw_i - m_t);  f' = exp(lfm - m_t)
        c_t = f' c_{t-1} + i' tanh(raw_z);   n_t = max(f' n_{t-1} + i', 1)
        h_t = sigmoid(raw_o) c_t / n_t
    Results: every h_t, then h_T, c_T, n_T, m_T.
    """
    wx, R, bias, h0, c0, n0, m0 = _cast(wx, R, bias, h0, c0, n0, m0)
    B, T, _, H, d = wx.shape
    GI, GF, GZ, GO = 0, 1, 2, 3
    hs = _zeros(B, T, H, d)
    hT, cT, nT, mT = (np.zeros_like(h0), np.zeros_like(c0), np.zeros_like(n0),
                      np.zeros_like(m0))
    for b in range(B):
        for hd in range(H):
            hp, c, n, m = h0[b, hd].copy(), c0[b, hd].copy(), n0[b, hd].copy(), m0[b, hd].copy()
            for t in range(T):
                raw = [wx[b, t, g, hd] + R[g, hd] @ hp + bias[g, hd] for g in range(4)]
                lfm = logsigmoid(raw[GF]) + m
                m = np.maximum(raw[GI], lfm)
                ip = np.exp(raw[GI] - m)
                fp = np.exp(lfm - m)
                c = fp * c + ip * np.tanh(raw[GZ])
                n = np.maximum(fp * n + ip, 1)
                hp = sigmoid(raw[GO]) * c / n
                hs[b, t, hd] = hp
            hT[b, hd], cT[b, hd], nT[b, hd], mT[b, hd] = hp, c, n, m
    return hs, hT, cT, nT, mT


# --------------------------------------------------------------------------------------------
# 4.20 RG-LRU
# --------------------------------------------------------------------------------------------

def block_diag_linear(x, W, b):
    """BD(x; W, b)[10h + j] = sum_{i<10} x[10h + i] W[h, i, j] + b[h, j]   (W[h, in, out])."""
    nb, din, dout = W.shape
    y = _zeros(nb * dout)
    for h in range(nb):
        for j in range(dout):
            y[dout * h + j] = b[h, j] + sum(x[din * h + i] * W[h, i, j] for i in range(din))
    return y


def rglru(x, W_a, b_a, W_x, b_x, a_param, h0):
    """EXAMPLES 4.20: Griffin RG-LRU, D=30 in 3 blocks of 10, c=8, no resets.

        r_t = sigmoid(BD(x_t; W_a, b_a));  i_t = sigmoid(BD(x_t; W_x, b_x))
        log a_t = -8 r_t softplus(a_param);  a_t = exp(log a_t)
        mult_t = sqrt(-expm1(2 log a_t))                    (= sqrt(1 - a_t^2))
        h_t = a_t h_{t-1} + mult_t (i_t x_t);   y_t = h_t
    """
    x, W_a, b_a, W_x, b_x, a_param, h0 = _cast(x, W_a, b_a, W_x, b_x, a_param, h0)
    B, T, D = x.shape
    y = _zeros(B, T, D)
    hT = np.zeros_like(h0)
    for b in range(B):
        h = h0[b].copy()
        for t in range(T):
            r = sigmoid(block_diag_linear(x[b, t], W_a, b_a))
            ig = sigmoid(block_diag_linear(x[b, t], W_x, b_x))
            log_a = -8 * r * softplus(a_param)
            a = np.exp(log_a)
            mult = np.sqrt(-np.expm1(2 * log_a))
            h = a * h + mult * (ig * x[b, t])
            y[b, t] = h
        hT[b] = h
    return y, hT


# --------------------------------------------------------------------------------------------
# 4.21 log-linear attention (from the definition: the T x T sum)
# --------------------------------------------------------------------------------------------

def fenwick_level(t, s):
    """l(t, t) = 0;  l(t, s) = bit_length(t XOR s) for s < t."""
    return (t ^ s).bit_length()


def log_linear_attention(q, k, v, g, lam):
    """EXAMPLES 4.21: log-linear simple GLA, H=2, K=12, V=20, L=10 levels, no q scaling.

        o_t = sum_{s<=t} lam_t[l(t,s)] exp(sum_{r=s+1}^{t} g_r) (q_t . k_s) v_s
        S_levels[l] = sum_{s<=T-1, l(T-1,s)=l} exp(sum_{r=s+1}^{T-1} g_r) k_s (x) v_s
    Positions are absolute from 0; no initial state.  Computed from the definition (O(T^2)).
    """
    q, k, v, g, lam = _cast(q, k, v, g, lam)
    B, T, H, K = q.shape
    V = v.shape[3]
    L = lam.shape[3]
    o = _zeros(B, T, H, V)
    S_levels = _zeros(B, H, L, K, V)
    for b in range(B):
        for h in range(H):
            for t in range(T):
                acc = _zeros(V)
                log_decay = _c(0.0)        # sum_{r=s+1}^{t} g_r, grown as s goes down
                for s in range(t, -1, -1):
                    lvl = fenwick_level(t, s)
                    acc = acc + (lam[b, t, h, lvl] * np.exp(log_decay)
                                 * np.dot(q[b, t, h], k[b, s, h]) * v[b, s, h])
                    log_decay = log_decay + g[b, s, h]
                o[b, t, h] = acc
            t = T - 1
            log_decay = _c(0.0)
            for s in range(t, -1, -1):
                lvl = fenwick_level(t, s)
                S_levels[b, h, lvl] += np.exp(log_decay) * np.outer(k[b, s, h], v[b, s, h])
                log_decay = log_decay + g[b, s, h]
    return o, S_levels


# --------------------------------------------------------------------------------------------
# 4.22 TTT-Linear
# --------------------------------------------------------------------------------------------

TTT_MINI_BATCH = 16


def ttt_token_grad(k_s, v_s, W, c, ln_w, ln_b):
    """G_s = dl_s/dZ_s at (W, c) for l_s = 1/2 || ln_w * LN(k_s W + c) + ln_b - (v_s - k_s) ||^2.

        Z = k W + c;  Zh = LN(Z);  sigma = sqrt(var(Z) + 1e-6)
        e = ln_w * Zh + ln_b - (v - k);   gz = ln_w * e
        G = (gz - mean(gz) - Zh mean(gz * Zh)) / sigma
    """
    Z = k_s @ W + c
    Zh = layernorm(Z)
    sigma = np.sqrt(np.mean((Z - np.mean(Z)) ** 2) + _c(1e-6))
    e = ln_w * Zh + ln_b - (v_s - k_s)
    gz = ln_w * e
    return (gz - np.mean(gz) - Zh * np.mean(gz * Zh)) / sigma


def ttt_linear(q, k, v, eta, ln_w, ln_b, W0, b0):
    """EXAMPLES 4.22: TTT-Linear, H=2, D=20, mini-batch 16 (last one partial), no q scaling.

    For each mini-batch starting with weights (W, c), all gradients G_s at (W, c):
        W_t = W - sum_{s<=t in mb} eta_s k_s (x) G_s;   c_t = c - sum_{s<=t in mb} eta_s G_s
        o_t = q_t + ln_w * LN(q_t W_t + c_t) + ln_b
    At the end of each mini-batch (W, c) <- (W_t, c_t) of its last token.
    Results: o, W_T, b_T (weights after the last token).
    """
    q, k, v, eta, ln_w, ln_b, W0, b0 = _cast(q, k, v, eta, ln_w, ln_b, W0, b0)
    B, T, H, D = q.shape
    M = TTT_MINI_BATCH
    o = _zeros(B, T, H, D)
    WT, bT = np.zeros_like(W0), np.zeros_like(b0)
    for b in range(B):
        for h in range(H):
            W, c = W0[b, h].copy(), b0[b, h].copy()          # weights at mini-batch start
            for start in range(0, T, M):
                Wt, ct = W.copy(), c.copy()                   # running W_t, c_t
                for s in range(start, min(start + M, T)):
                    G = ttt_token_grad(k[b, s, h], v[b, s, h], W, c, ln_w[h], ln_b[h])
                    Wt = Wt - eta[b, s, h] * np.outer(k[b, s, h], G)
                    ct = ct - eta[b, s, h] * G
                    o[b, s, h] = q[b, s, h] + ln_w[h] * layernorm(q[b, s, h] @ Wt + ct) + ln_b[h]
                W, c = Wt, ct
            WT[b, h], bT[b, h] = W, c
    return o, WT, bT


ALL = {name: globals()[name] for name in EXAMPLES}
