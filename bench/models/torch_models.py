#!/usr/bin/python3
"""The PyTorch peer of the model benchmark: every family hymir-import supports,
in float32 eager PyTorch, on the weights `hymir-import --random-weights` wrote
(read by the checkpoint's tensor names, with test/Import/Inputs/hf_reference.py's
safetensors reader).

  torch_models.py CONFIG.json WEIGHTS.safetensors --prompt-ids=1,2,3 --generate=N
                  [--threads=N] [--check[=TOL]]

Prefill runs the whole prompt at once; decode is a real recurrent step (one
token, carrying conv windows, recurrent states and KV caches). Each mixer kind
is one class shared by the families that use it. Recurrences in prefill:
Mamba-2 (scalar decay) in the chunked SSD form (masked matmuls per chunk of 64,
states passed between chunks), every other one (delta rules, Mamba-1, RG-LRU,
mLSTM, RWKV-7) as a token loop of batched in-place matmuls, as fla's
fused_recurrent kernels and HF's slow paths do. Attention: masked matmuls over
the KV cache (GQA by repeat_interleave).

One untimed warm-up (the prompt and two decode steps) runs first.
Prints the generated ids and prefill / decode tokens per second in the format
of `hymir-run --generate`, and a `peer:` line naming the forms. --check runs
the float64 reference (hf_reference.py) on the prompt followed by the generated
tokens, after the timed part, and prints the relative RMS error of the peer's
prefill logits and of its decode logits; above TOL (default 1e-4) it prints a
WARNING line and exits 1. Written for Debian's python3-torch (1.13).
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "test", "Import", "Inputs"))
import hf_reference  # noqa: E402  (the one safetensors reader; the --check oracle)

SSD_CHUNK = 64


def load_weights(path):
    return {n: torch.from_numpy(a) for n, a in
            hf_reference.read_safetensors(path, np.float32).items()}


# ----------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------

def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def l2_norm(x):
    return x * torch.rsqrt(x.pow(2).sum(-1, keepdim=True) + 1e-6)


def rope(x, pos, rot, theta):
    """Rotates the first `rot` channels of x [T, H, D] (rotate-half pairs)."""
    inv = theta ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    ang = (pos.double()[:, None] * inv[None, :]).float()
    cos = torch.cat([ang.cos()] * 2, dim=1)[:, None, :]
    sin = torch.cat([ang.sin()] * 2, dim=1)[:, None, :]
    xr = x[..., :rot]
    half = rot // 2
    rot_half = torch.cat([-xr[..., half:], xr[..., :half]], dim=-1)
    return torch.cat([xr * cos + rot_half * sin, x[..., rot:]], dim=-1)


def short_conv(x, window, w, bias=None):
    """Depthwise causal conv of x [T, C] after `window` [K-1, C] (the previous
    inputs, zeros at the start); returns the output and the new window."""
    K = w.shape[2]
    if window is None:
        window = x.new_zeros(K - 1, x.shape[1])
    padded = torch.cat([window, x], dim=0)
    if x.shape[0] == 1:
        y = (padded * w[:, 0, :].T).sum(0, keepdim=True)
        if bias is not None:
            y = y + bias
    else:
        y = F.conv1d(padded.T.unsqueeze(0), w, bias, groups=x.shape[1])[0].T
    return y, padded[padded.shape[0] - (K - 1):]


def attend(q, k, v, scale, window=None):
    """q [T, H, D] are the last T positions of keys / values [L, Hkv, *]
    (causal; with a window, query i sees keys i - window < j <= i)."""
    T, H, L = q.shape[0], q.shape[1], k.shape[0]
    rep = H // k.shape[1]
    kk = k.repeat_interleave(rep, dim=1).transpose(0, 1)
    vv = v.repeat_interleave(rep, dim=1).transpose(0, 1)
    s = torch.matmul(q.transpose(0, 1), kk.transpose(1, 2)) * scale   # [H, T, L]
    if T > 1 or (window is not None and L > window):
        i = torch.arange(L - T, L)[:, None]
        j = torch.arange(L)[None, :]
        allowed = j <= i
        if window is not None:
            allowed &= j > i - window
        s = s.masked_fill(~allowed, float("-inf"))
    return torch.matmul(torch.softmax(s, dim=-1), vv).transpose(0, 1)   # [T, H, Dv]


def append_kv(cache, k, v, window=None):
    """Appends to a KV cache; returns the keys / values to attend over and the
    cache to keep (a local layer keeps the last window - 1 keys)."""
    if cache is not None:
        k, v = torch.cat([cache[0], k]), torch.cat([cache[1], v])
    keep = (k, v)
    if window is not None:
        first = max(k.shape[0] - (window - 1), 0)
        keep = (k[first:], v[first:])
    return k, v, keep


def delta_rule(q, k, v, g, beta, S):
    """Gated delta rule, token loop: S ← e^g S; S ← S + k ⊗ β(v − Sᵀk);
    o = Sᵀq. q, k [T, H, K], v [T, H, V], g [T, H] (per head) or [T, H, K]
    (per key channel), beta [T, H]; S [H, K, V] is updated in place."""
    T = q.shape[0]
    decay = g.exp()
    decay = decay[..., None, None] if decay.dim() == 2 else decay[..., None]
    o = v.new_empty(v.shape)
    for t in range(T):
        S.mul_(decay[t])
        kt = k[t].unsqueeze(1)
        u = (v[t] - torch.bmm(kt, S)[:, 0]) * beta[t][:, None]
        S.baddbmm_(kt.transpose(1, 2), u.unsqueeze(1))
        o[t] = torch.bmm(q[t].unsqueeze(1), S)[:, 0]
    return o


def swiglu(x, wg, wu, wd):
    return F.linear(F.silu(F.linear(x, wg)) * F.linear(x, wu), wd)


def route(x, top, weights, expert):
    """Sums expert(e, x[tokens]) × weight over the tokens routed to each expert
    (top [T, k] expert ids, weights [T, k])."""
    out = torch.zeros_like(x)
    for e in torch.unique(top).tolist():
        tok, slot = (top == e).nonzero(as_tuple=True)
        out.index_add_(0, tok, expert(e, x[tok]) * weights[tok, slot, None])
    return out


# ----------------------------------------------------------------------------
# Mixers (each: __call__(x [T, D], state or None, pos) -> (y, state))
# ----------------------------------------------------------------------------

class GatedDeltaNet:
    """Gated DeltaNet: Qwen3-Next's fused layout (in_proj_qkvz / in_proj_ba,
    z gate) or OLMo Hybrid's (fla's q/k/v/a/b/g projections, β×2)."""

    def __init__(self, W, p, hk, hv, dk, dv, eps, layout, neg_eigval=False):
        self.W, self.p, self.eps, self.layout, self.neg = W, p, eps, layout, neg_eigval
        self.hk, self.hv, self.dk, self.dv = hk, hv, dk, dv

    def __call__(self, x, state, pos):
        W, p, T = self.W, self.p, x.shape[0]
        hk, hv, dk, dv = self.hk, self.hv, self.dk, self.dv
        r = hv // hk
        if self.layout == "qwen":
            qkvz = F.linear(x, W[p + "in_proj_qkvz.weight"]).view(T, hk, 2 * dk + 2 * r * dv)
            q, k = qkvz[..., :dk], qkvz[..., dk:2 * dk]
            v = qkvz[..., 2 * dk:2 * dk + r * dv]
            gate = qkvz[..., 2 * dk + r * dv:].reshape(T, hv, dv)
            ba = F.linear(x, W[p + "in_proj_ba.weight"]).view(T, hk, 2 * r)
            b, a = ba[..., :r].reshape(T, hv), ba[..., r:].reshape(T, hv)
            mixed = torch.cat([q.reshape(T, -1), k.reshape(T, -1), v.reshape(T, -1)], dim=1)
            beta = torch.sigmoid(b)
            norm_eps, out = self.eps, "out_proj.weight"
        else:
            mixed = torch.cat([F.linear(x, W[p + n + "_proj.weight"]) for n in "qkv"], dim=1)
            a = F.linear(x, W[p + "a_proj.weight"])
            beta = torch.sigmoid(F.linear(x, W[p + "b_proj.weight"]))
            if self.neg:
                beta = beta * 2.0
            gate = F.linear(x, W[p + "g_proj.weight"]).view(T, hv, dv)
            norm_eps, out = 1e-5, "o_proj.weight"
        mixed, window = short_conv(mixed, state[0] if state else None, W[p + "conv1d.weight"])
        mixed = F.silu(mixed)
        q = mixed[:, :hk * dk].reshape(T, hk, dk).repeat_interleave(r, dim=1)
        k = mixed[:, hk * dk:2 * hk * dk].reshape(T, hk, dk).repeat_interleave(r, dim=1)
        v = mixed[:, 2 * hk * dk:].reshape(T, hv, dv)
        g = -torch.exp(W[p + "A_log"]) * F.softplus(a + W[p + "dt_bias"])
        S = state[1] if state else x.new_zeros(hv, dk, dv)
        o = delta_rule(l2_norm(q) / math.sqrt(dk), l2_norm(k), v, g, beta, S)
        norm_w = W[p + ("norm.weight" if self.layout == "qwen" else "o_norm.weight")]
        o = rms_norm(o, norm_w, norm_eps) * F.silu(gate)
        return F.linear(o.reshape(T, -1), W[p + out]), (window, S)


class KimiDeltaAttention:
    """KDA: separate q/k/v short convs, per-channel decay, sigmoid output gate."""

    def __init__(self, W, p, H, dk, eps):
        self.W, self.p, self.H, self.dk, self.eps = W, p, H, dk, eps

    def __call__(self, x, state, pos):
        W, p, T, H, dk = self.W, self.p, x.shape[0], self.H, self.dk
        state = state or (None, None, None, None)
        qkv, windows = [], []
        for i, n in enumerate("qkv"):
            y, win = short_conv(F.linear(x, W[p + n + "_proj.weight"]), state[i],
                                W[p + n + "_conv1d.weight"])
            qkv.append(F.silu(y).view(T, H, dk))
            windows.append(win)
        q, k, v = qkv
        f = F.linear(F.linear(x, W[p + "f_a_proj.weight"]), W[p + "f_b_proj.weight"])
        g = -torch.exp(W[p + "A_log"].reshape(H))[None, :, None] * \
            F.softplus(f.view(T, H, dk) + W[p + "dt_bias"].reshape(H, dk))
        beta = torch.sigmoid(F.linear(x, W[p + "b_proj.weight"]))
        S = state[3] if state[3] is not None else x.new_zeros(H, dk, dk)
        o = delta_rule(l2_norm(q) / math.sqrt(dk), l2_norm(k), v, g, beta, S)
        og = F.linear(F.linear(x, W[p + "g_a_proj.weight"]), W[p + "g_b_proj.weight"])
        o = rms_norm(o, W[p + "o_norm.weight"], self.eps) * torch.sigmoid(og.view(T, H, dk))
        return F.linear(o.reshape(T, -1), W[p + "o_proj.weight"]), (*windows, S)


class Attention:
    """Softmax attention with a KV cache: q/k/v/o projections (o bias
    optional), Qwen3-Next's output gate and per-head zero-centred q/k norms,
    OLMo's q/k norms over all heads, (partial) RoPE or none, a local window."""

    def __init__(self, W, p, h, hkv, d, scale, rot=0, theta=None, window=None,
                 qk_norm=None, eps=1e-6, out_gate=False, o_bias=False):
        self.W, self.p, self.h, self.hkv, self.d, self.scale = W, p, h, hkv, d, scale
        self.rot, self.theta, self.window, self.qk_norm = rot, theta, window, qk_norm
        self.eps, self.out_gate, self.o_bias = eps, out_gate, o_bias

    def __call__(self, x, cache, pos):
        W, p, T, h, hkv, d = self.W, self.p, x.shape[0], self.h, self.hkv, self.d
        q = F.linear(x, W[p + "q_proj.weight"])
        k = F.linear(x, W[p + "k_proj.weight"])
        v = F.linear(x, W[p + "v_proj.weight"]).view(T, hkv, d)
        if self.out_gate:
            q = q.view(T, h, 2 * d)
            q, gate = q[..., :d], q[..., d:].reshape(T, h * d)
        if self.qk_norm == "all":
            q = rms_norm(q, W[p + "q_norm.weight"], self.eps)
            k = rms_norm(k, W[p + "k_norm.weight"], self.eps)
        q, k = q.reshape(T, h, d), k.reshape(T, hkv, d)
        if self.qk_norm == "zero_centred":
            q = rms_norm(q, 1.0 + W[p + "q_norm.weight"], self.eps)
            k = rms_norm(k, 1.0 + W[p + "k_norm.weight"], self.eps)
        if self.theta:
            positions = torch.arange(pos, pos + T)
            q, k = rope(q, positions, self.rot, self.theta), rope(k, positions, self.rot, self.theta)
        k, v, cache = append_kv(cache, k, v, self.window)
        o = attend(q, k, v, self.scale, self.window).reshape(T, h * d)
        if self.out_gate:
            o = o * torch.sigmoid(gate)
        y = F.linear(o, W[p + "o_proj.weight"], W[p + "o_proj.bias"] if self.o_bias else None)
        return y, cache


class MultiLatentAttention:
    """Kimi Linear's MLA without RoPE; the cache holds expanded keys / values."""

    def __init__(self, W, p, h, nope, rope_d, vdim, lora, eps):
        self.W, self.p, self.h, self.nope, self.rope_d = W, p, h, nope, rope_d
        self.vdim, self.lora, self.eps = vdim, lora, eps

    def __call__(self, x, cache, pos):
        W, p, T, h, nope = self.W, self.p, x.shape[0], self.h, self.nope
        q = F.linear(x, W[p + "q_proj.weight"]).view(T, h, nope + self.rope_d)
        ca = F.linear(x, W[p + "kv_a_proj_with_mqa.weight"])
        lat = rms_norm(ca[:, :self.lora], W[p + "kv_a_layernorm.weight"], self.eps)
        kv = F.linear(lat, W[p + "kv_b_proj.weight"]).view(T, h, nope + self.vdim)
        k = torch.cat([kv[..., :nope], ca[:, None, self.lora:].expand(T, h, self.rope_d)], dim=-1)
        k, v, cache = append_kv(cache, k, kv[..., nope:])
        o = attend(q, k, v, (nope + self.rope_d) ** -0.5)
        return F.linear(o.reshape(T, -1), W[p + "o_proj.weight"]), cache


class Mamba2Mixer:
    """Mamba-2: chunked SSD in prefill, the recurrent step in decode; gated
    RMSNorm per group (mamba_ssm's RMSNormGated)."""

    def __init__(self, W, p, H, P, N, G, eps, dt_limit, conv_bias):
        self.W, self.p, self.H, self.P, self.N, self.G = W, p, H, P, N, G
        self.eps, self.dt_limit, self.conv_bias = eps, dt_limit, conv_bias

    def __call__(self, x, state, pos):
        W, p, T, H, P, N, G = self.W, self.p, x.shape[0], self.H, self.P, self.N, self.G
        di = H * P
        cd = di + 2 * G * N
        zxbcdt = F.linear(x, W[p + "in_proj.weight"])
        z, xbc, dt = zxbcdt[:, :di], zxbcdt[:, di:di + cd], zxbcdt[:, di + cd:]
        xbc, window = short_conv(xbc, state[0] if state else None, W[p + "conv1d.weight"],
                                 W[p + "conv1d.bias"] if self.conv_bias else None)
        xbc = F.silu(xbc)
        xs = xbc[:, :di].reshape(T, H, P)
        B = xbc[:, di:di + G * N].reshape(T, G, N).repeat_interleave(H // G, dim=1)
        C = xbc[:, di + G * N:].reshape(T, G, N).repeat_interleave(H // G, dim=1)
        dt = F.softplus(dt + W[p + "dt_bias"])
        if self.dt_limit != (0.0, math.inf):
            dt = dt.clamp(self.dt_limit[0], self.dt_limit[1])
        A = -torch.exp(W[p + "A_log"])
        S = state[1] if state else x.new_zeros(H, P, N)
        xdt = (xs * dt[..., None]).transpose(0, 1)          # [H, T, P]
        B, C, dA = B.transpose(0, 1), C.transpose(0, 1), (dt * A).T   # [H, T, N], [H, T]
        if T == 1:
            S.mul_(dA.exp()[:, :, None]).baddbmm_(xdt.transpose(1, 2), B)
            y = torch.bmm(C, S.transpose(1, 2))
        else:
            y = torch.empty_like(xdt)
            for c in range(0, T, SSD_CHUNK):
                sl = slice(c, min(c + SSD_CHUNK, T))
                y[:, sl], S = self.ssd_chunk(xdt[:, sl], B[:, sl], C[:, sl], dA[:, sl], S)
        y = y.transpose(0, 1) + W[p + "D"][:, None] * xs
        y = (y.reshape(T, di) * F.silu(z)).view(T, G, di // G)
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        y = y.reshape(T, di) * W[p + "norm.weight"]
        return F.linear(y, W[p + "out_proj.weight"]), (window, S)

    @staticmethod
    def ssd_chunk(xdt, B, C, dA, S):
        """One chunk of L steps: y = (causal decay mask ⊙ C Bᵀ) (Δx) + e^{cum A}
        C Sᵀ; S ← e^{ΣA} S + Σ_s e^{ΣA − cum A_s} (Δx)_s ⊗ B_s."""
        L = xdt.shape[1]
        cum = dA.cumsum(-1)                                   # [H, L]
        seg = cum[:, :, None] - cum[:, None, :]
        causal = torch.ones(L, L, dtype=torch.bool).tril()
        decay = seg.masked_fill(~causal, float("-inf")).exp()
        y = torch.bmm(torch.bmm(C, B.transpose(1, 2)) * decay, xdt)
        y += cum.exp()[:, :, None] * torch.bmm(C, S.transpose(1, 2))
        tail = (cum[:, -1:] - cum).exp()[:, :, None]
        S = cum[:, -1].exp()[:, None, None] * S + torch.bmm((xdt * tail).transpose(1, 2), B)
        return y, S


class Mamba1Mixer:
    """Mamba-1 (HF MambaMixer's slow path; Jamba's with dt/B/C RMSNorms)."""

    def __init__(self, W, p, n, r, eps, inner_norms, conv_bias):
        self.W, self.p, self.n, self.r, self.eps = W, p, n, r, eps
        self.inner_norms, self.conv_bias = inner_norms, conv_bias

    def __call__(self, x, state, pos):
        W, p, T, n, r = self.W, self.p, x.shape[0], self.n, self.r
        xz = F.linear(x, W[p + "in_proj.weight"])
        di = xz.shape[1] // 2
        xs, z = xz[:, :di], xz[:, di:]
        xs, window = short_conv(xs, state[0] if state else None, W[p + "conv1d.weight"],
                                W[p + "conv1d.bias"] if self.conv_bias else None)
        xs = F.silu(xs)
        ssm = F.linear(xs, W[p + "x_proj.weight"])
        dt, B, C = ssm[:, :r], ssm[:, r:r + n], ssm[:, r + n:]
        if self.inner_norms:
            dt = rms_norm(dt, W[p + "dt_layernorm.weight"], self.eps)
            B = rms_norm(B, W[p + "b_layernorm.weight"], self.eps)
            C = rms_norm(C, W[p + "c_layernorm.weight"], self.eps)
        dt = F.softplus(F.linear(dt, W[p + "dt_proj.weight"], W[p + "dt_proj.bias"]))
        dA = torch.exp(-torch.exp(W[p + "A_log"]) * dt[:, :, None])     # [T, Di, N]
        dBx = (dt * xs)[:, :, None] * B[:, None, :]
        h = state[1] if state else x.new_zeros(di, n)
        y = torch.empty_like(xs)
        for t in range(T):
            h.mul_(dA[t]).add_(dBx[t])
            y[t] = torch.mv(h, C[t])
        y = (y + W[p + "D"] * xs) * F.silu(z)
        return F.linear(y, W[p + "out_proj.weight"]), (window, h)


class RecurrentBlock:
    """RecurrentGemma's recurrent block: linear_y / linear_x, conv with bias,
    RG-LRU (block-diagonal gates; position 0 is not scaled), linear_out."""

    def __init__(self, W, p, nh, lw):
        self.W, self.p, self.nh, self.lw = W, p, nh, lw

    def __call__(self, x, state, pos):
        W, p, T, nh, lw = self.W, self.p, x.shape[0], self.nh, self.lw
        yb = F.gelu(F.linear(x, W[p + "linear_y.weight"], W[p + "linear_y.bias"]),
                    approximate="tanh")
        xb = F.linear(x, W[p + "linear_x.weight"], W[p + "linear_x.bias"])
        xb, window = short_conv(xb, state[0] if state else None, W[p + "conv_1d.weight"],
                                W[p + "conv_1d.bias"])
        r = p + "rg_lru."
        xr = xb.view(T, nh, lw // nh).transpose(0, 1)                    # [nh, T, w]
        gate_x = torch.sigmoid(torch.baddbmm(W[r + "input_gate_bias"][:, None, :], xr,
                                             W[r + "input_gate_weight"]))
        gate_a = torch.sigmoid(torch.baddbmm(W[r + "recurrent_gate_bias"][:, None, :], xr,
                                             W[r + "recurrent_gate_weight"]))
        gate_x, gate_a = gate_x.transpose(0, 1).reshape(T, lw), gate_a.transpose(0, 1).reshape(T, lw)
        log_a = -8.0 * gate_a * F.softplus(W[r + "recurrent_param"])
        a = log_a.exp()
        mult = torch.sqrt(1.0 - torch.exp(2.0 * log_a))
        if pos == 0:
            a[0], mult[0] = 0.0, 1.0     # position 0: reset, input not scaled
        u = xb * gate_x * mult
        h = state[1] if state else x.new_zeros(lw)
        out = torch.empty_like(u)
        for t in range(T):
            h.mul_(a[t]).add_(u[t])
            out[t] = h
        y = F.linear(out * yb, W[p + "linear_out.weight"], W[p + "linear_out.bias"])
        return y, (window, h)


class MLSTM:
    """xLSTM's mLSTM layer: soft-capped gates, stabilised matrix memory (the
    recurrent step per token), multi-head LayerNorm, output gate."""

    def __init__(self, W, p, nh, dk, dv, eps, eps_norm, gcap):
        self.W, self.p, self.nh, self.dk, self.dv = W, p, nh, dk, dv
        self.eps, self.eps_norm, self.gcap = eps, eps_norm, gcap

    def __call__(self, x, state, pos):
        W, p, T, nh, dk, dv = self.W, self.p, x.shape[0], self.nh, self.dk, self.dv
        cap = lambda u: self.gcap * torch.tanh(u / self.gcap)
        q = F.linear(x, W[p + "q.weight"]).view(T, nh, dk) * dk ** -0.5
        k = F.linear(x, W[p + "k.weight"]).view(T, nh, dk)
        v = F.linear(x, W[p + "v.weight"]).view(T, nh, dv)
        og = F.linear(x, W[p + "ogate_preact.weight"])
        ig = cap(F.linear(x, W[p + "igate_preact.weight"], W[p + "igate_preact.bias"]))
        lf = F.logsigmoid(cap(F.linear(x, W[p + "fgate_preact.weight"], W[p + "fgate_preact.bias"])))
        if state:
            C, n, m = state
        else:
            C, n, m = x.new_zeros(nh, dk, dv), x.new_zeros(nh, dk), x.new_zeros(nh)
        hs = v.new_empty(T, nh, dv)
        for t in range(T):
            m_new = torch.maximum(lf[t] + m, ig[t])
            fa, ia = torch.exp(lf[t] + m - m_new), torch.exp(ig[t] - m_new)
            C.mul_(fa[:, None, None]).baddbmm_((ia[:, None] * k[t]).unsqueeze(2), v[t].unsqueeze(1))
            n.mul_(fa[:, None]).add_(ia[:, None] * k[t])
            num = torch.bmm(q[t].unsqueeze(1), C)[:, 0]
            den = torch.maximum((q[t] * n).sum(-1).abs(), torch.exp(-m_new)) + self.eps
            hs[t] = num / den[:, None]
            m = m_new
        hn = F.layer_norm(hs, (dv,), eps=self.eps_norm).reshape(T, nh * dv)
        y = torch.sigmoid(og) * hn * W[p + "multihead_norm.weight"]
        return F.linear(y, W[p + "out_proj.weight"]), (C, n, m)


class SLSTM:
    """xLSTM's sLSTM layer (NX-AI xlstm's sLSTMLayer with the vanilla backend's
    pointwise step): causal conv + SiLU for the i/f gates (the library's
    `fgate` weight gives i, `igate` gives f), head-wise gate projections, the
    recurrent matrices per head (one batched matvec per token), group norm per
    head. The state is (conv window, h, c, n, m)."""

    def __init__(self, W, p, nh, dh, K, vanilla):
        self.W, self.p, self.nh, self.dh, self.K = W, p, nh, dh, K
        R, b = W[p + "slstm_cell._recurrent_kernel_"], W[p + "slstm_cell._bias_"]
        if vanilla:   # [NH, 4·DH (gate, out), DH (in)], bias (gate, head, out)
            self.R = R.reshape(nh, 4 * dh, dh)
            self.b = b.view(4, nh, dh).transpose(0, 1).reshape(nh, 4 * dh)
        else:         # cuda: [NH, DH (in), 4·DH (gate, out)], bias (head, gate, out)
            self.R = R.reshape(nh, dh, 4 * dh).transpose(1, 2).contiguous()
            self.b = b.view(nh, 4 * dh)
        self.w = [W[p + g + ".weight"] for g in ("fgate", "igate", "zgate", "ogate")]

    def __call__(self, x, state, pos):
        W, p, T, nh, dh = self.W, self.p, x.shape[0], self.nh, self.dh
        if state:
            window, y, c, n, m = state
        else:
            window = None
            y, c, n, m = (x.new_zeros(nh, dh) for _ in range(4))
        xc = x
        if self.K > 0:
            xc, window = short_conv(x, window, W[p + "conv1d.conv.weight"], W[p + "conv1d.conv.bias"])
            xc = F.silu(xc)
        hw = lambda v, w: torch.einsum("thd,hod->tho", v.reshape(T, nh, dh), w)
        pre = torch.stack([hw(xc, self.w[0]), hw(xc, self.w[1]), hw(x, self.w[2]),
                           hw(x, self.w[3])], dim=2).reshape(T, nh, 4 * dh) + self.b
        ys = x.new_empty(T, nh, dh)
        for t in range(T):
            raw = pre[t] + torch.bmm(self.R, y.unsqueeze(2))[..., 0]
            ir, fr, zr, orr = raw.view(nh, 4, dh).unbind(1)
            lfm = m + F.logsigmoid(fr)
            m_new = ir if bool((n == 0).all()) else torch.maximum(ir, lfm)
            ig, fg = torch.exp(ir - m_new), torch.exp(lfm - m_new)
            c = fg * c + ig * torch.tanh(zr)
            n = fg * n + ig
            y = torch.sigmoid(orr) * c / n
            m = m_new
            ys[t] = y
        out = F.layer_norm(ys, (dh,), eps=1e-5).reshape(T, nh * dh) * (1.0 + W[p + "group_norm.weight"])
        return out, (window, y, c, n, m)


class RWKV7TimeMix:
    """RWKV-7 time mix (fla's recurrent form). The state is (last x, S);
    v_first (block 0's v) is passed through `self.v_first` per call."""

    def __init__(self, W, p, H, K, eps, first):
        self.W, self.p, self.H, self.K, self.eps, self.first = W, p, H, K, eps, first
        self.mix = torch.stack([W[p + n].reshape(-1) for n in
                                ("x_r", "x_w", "x_k", "x_v", "x_a", "x_g")])

    def lora(self, x, n, act=None, bias=True):
        W = self.W
        y = F.linear(x, W[n + ".lora.0.weight"])
        y = torch.tanh(y) if act == "tanh" else torch.sigmoid(y) if act == "sigmoid" else y
        return F.linear(y, W[n + ".lora.2.weight"], W[n + ".lora.2.bias"] if bias else None)

    def __call__(self, x, state, v_first):
        W, p, T, H, K = self.W, self.p, x.shape[0], self.H, self.K
        prev = state[0] if state else x.new_zeros(1, x.shape[1])
        delta = torch.cat([prev, x[:-1]]) - x
        xr, xw, xk, xv, xa, xg = (x + delta * self.mix[i] for i in range(6))
        r = F.linear(xr, W[p + "r_proj.weight"])
        w = -0.6065306597126334 * torch.sigmoid(self.lora(xw, p + "w_lora", "tanh"))
        k = F.linear(xk, W[p + "k_proj.weight"])
        v = F.linear(xv, W[p + "v_proj.weight"])
        if self.first:
            v_first = v
        else:
            v = v + (v_first - v) * torch.sigmoid(self.lora(xv, p + "v_lora"))
        a = torch.sigmoid(self.lora(xa, p + "a_lora"))
        g = self.lora(xg, p + "g_lora", "sigmoid", bias=False)
        kk = F.normalize((k * W[p + "k_k"]).view(T, H, K), dim=-1, eps=1e-12)
        k = k * (1 + (a - 1) * W[p + "k_a"])
        V = v.shape[1] // H
        r4, w4, k4, a4, v4 = r.view(T, H, K), w.view(T, H, K), k.view(T, H, K), \
            a.view(T, H, K), v.view(T, H, V)
        decay = w4.exp()[..., None]
        S = state[1] if state else x.new_zeros(H, K, V)
        o = v4.new_empty(T, H, V)
        for t in range(T):
            Sa = torch.bmm(-kk[t].unsqueeze(1), S)                       # [H, 1, V]
            S.mul_(decay[t]).baddbmm_((kk[t] * a4[t]).unsqueeze(2), Sa)
            S.baddbmm_(k4[t].unsqueeze(2), v4[t].unsqueeze(1))
            o[t] = torch.bmm(r4[t].unsqueeze(1), S)[:, 0]
        on = F.group_norm(o.reshape(T, H * V), H, W[p + "g_norm.weight"], W[p + "g_norm.bias"],
                          K * self.eps)
        bonus = (r4 * k4 * W[p + "r_k"]).sum(-1, keepdim=True) * v4
        y = F.linear((on + bonus.reshape(T, -1)) * g, W[p + "o_proj.weight"])
        return y, (x[-1:], S), v_first


# ----------------------------------------------------------------------------
# MLPs and MoEs (each: __call__(x) -> y)
# ----------------------------------------------------------------------------

class SwiGLU:
    def __init__(self, W, p, gate="gate_proj", up="up_proj", down="down_proj"):
        self.wg, self.wu, self.wd = (W[p + n + ".weight"] for n in (gate, up, down))

    def __call__(self, x):
        return swiglu(x, self.wg, self.wu, self.wd)


class GeluMLP:
    """RecurrentGemma's MLP: gelu_tanh(gate) · up, with biases."""

    def __init__(self, W, p):
        self.W, self.p = W, p

    def __call__(self, x):
        W, p = self.W, self.p
        g = F.gelu(F.linear(x, W[p + "gate_proj.weight"], W[p + "gate_proj.bias"]),
                   approximate="tanh")
        up = F.linear(x, W[p + "up_proj.weight"], W[p + "up_proj.bias"])
        return F.linear(g * up, W[p + "down_proj.weight"], W[p + "down_proj.bias"])


class GatedFFN:
    """NX-AI xlstm's GatedFeedForward: [gate | up] = proj_up x, act(gate) · up,
    proj_down."""

    def __init__(self, W, p, act):
        self.wu, self.wd, self.act = W[p + "proj_up.weight"], W[p + "proj_down.weight"], act

    def __call__(self, x):
        gate, up = F.linear(x, self.wu).chunk(2, dim=-1)
        return F.linear(self.act(gate) * up, self.wd)


class MoE:
    """Token-routed experts: `scoring` picks top-k and weights from the router
    logits; experts are SwiGLUs (separate or stacked weights); an optional
    shared expert (with an optional sigmoid gate)."""

    def __init__(self, router, top_k, scoring, experts, shared=None, shared_gate=None):
        self.router, self.top_k, self.scoring = router, top_k, scoring
        self.experts, self.shared, self.shared_gate = experts, shared, shared_gate

    def __call__(self, x):
        logits = F.linear(x, self.router)
        top, weights = self.scoring(logits, self.top_k)
        out = route(x, top, weights, lambda e, xs: self.experts[e](xs))
        if self.shared is not None:
            ys = self.shared(x)
            if self.shared_gate is not None:
                ys = ys * torch.sigmoid(F.linear(x, self.shared_gate))
            out = out + ys
        return out


def softmax_topk(renormalise):
    def score(logits, k):
        w, top = torch.softmax(logits, dim=-1).topk(k, dim=-1)
        return top, (w / w.sum(-1, keepdim=True) if renormalise else w)
    return score


def topk_softmax(logits, k):
    w, top = logits.topk(k, dim=-1)
    return top, torch.softmax(w, dim=-1)


class StackedExpert:
    """Granite's experts: input_linear [E, 2I, D] (gate | up), output_linear [E, D, I]."""

    def __init__(self, win, wout):
        self.win, self.wout = win, wout

    def __call__(self, x):
        gu = F.linear(x, self.win)
        i = gu.shape[1] // 2
        return F.linear(F.silu(gu[:, :i]) * gu[:, i:], self.wout)


# ----------------------------------------------------------------------------
# Families: forward(ids, states or None, pos) -> (logits [T, V], states)
# ----------------------------------------------------------------------------

class PreNormModel:
    """h += mixer(norm(h)); h += mlp(norm(h)) (mlp optional); final norm,
    head, then `post` on the logits. `norm(x, w)` is the family's norm; a
    block (norm1, mixer, norm2, mlp, norm) brings its own."""

    def __init__(self, W, embed, head, final_norm, norm, blocks, embed_scale=1.0,
                 residual_scale=1.0, post=None):
        self.W, self.embed, self.head, self.final_norm = W, embed, head, final_norm
        self.norm, self.blocks, self.embed_scale = norm, blocks, embed_scale
        self.residual_scale, self.post = residual_scale, post

    def forward(self, ids, states, pos):
        W = self.W
        h = W[self.embed][ids]
        if self.embed_scale != 1.0:
            h = h * self.embed_scale
        new_states = []
        for i, block in enumerate(self.blocks):
            norm1, mixer, norm2, mlp = block[:4]
            norm = block[4] if len(block) > 4 else self.norm
            y, st = mixer(norm(h, W[norm1]), states[i] if states else None, pos)
            new_states.append(st)
            h = h + y * self.residual_scale if self.residual_scale != 1.0 else h + y
            if mlp is not None:
                m = mlp(norm(h, W[norm2]))
                h = h + m * self.residual_scale if self.residual_scale != 1.0 else h + m
        logits = F.linear(self.norm(h, W[self.final_norm]), W.get(self.head, W[self.embed]))
        return (self.post(logits) if self.post else logits), new_states


def rms(eps):
    return lambda x, w: rms_norm(x, w, eps)


def zero_centred(eps):
    return lambda x, w: rms_norm(x, 1.0 + w, eps)


def qwen3_next(cfg, W):
    eps = cfg.get("rms_norm_eps", 1e-6)
    n = cfg["num_hidden_layers"]
    types = cfg.get("layer_types") or [
        "full_attention" if (i + 1) % cfg.get("full_attention_interval", 4) == 0
        else "linear_attention" for i in range(n)]
    h, hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim", cfg["hidden_size"] // h)
    blocks = []
    for i in range(n):
        p = "model.layers.%d." % i
        if types[i] == "linear_attention":
            mixer = GatedDeltaNet(W, p + "linear_attn.", cfg["linear_num_key_heads"],
                                  cfg["linear_num_value_heads"], cfg["linear_key_head_dim"],
                                  cfg["linear_value_head_dim"], eps, "qwen")
        else:
            mixer = Attention(W, p + "self_attn.", h, hkv, d, d ** -0.5,
                              int(d * cfg.get("partial_rotary_factor", 0.25)),
                              float(cfg.get("rope_theta", 10000.0)), qk_norm="zero_centred",
                              eps=eps, out_gate=True)
        m = p + "mlp."
        if (cfg.get("num_experts", 0) > 0 and i not in cfg.get("mlp_only_layers", [])
                and (i + 1) % cfg.get("decoder_sparse_step", 1) == 0):
            experts = [SwiGLU(W, m + "experts.%d." % e) for e in range(cfg["num_experts"])]
            shared = gate = None
            if cfg.get("shared_expert_intermediate_size", 0) > 0:
                shared, gate = SwiGLU(W, m + "shared_expert."), W[m + "shared_expert_gate.weight"]
            mlp = MoE(W[m + "gate.weight"], cfg["num_experts_per_tok"],
                      softmax_topk(cfg.get("norm_topk_prob", True)), experts, shared, gate)
        else:
            mlp = SwiGLU(W, m)
        blocks.append((p + "input_layernorm.weight", mixer, p + "post_attention_layernorm.weight",
                       mlp))
    return PreNormModel(W, "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                        zero_centred(eps), blocks)


def mamba2(cfg, W):
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    H, P, N, G = cfg["num_heads"], cfg["head_dim"], cfg["state_size"], cfg.get("n_groups", 1)
    limit = tuple(float(v) for v in cfg.get("time_step_limit", (0.0, math.inf)))
    blocks = [("backbone.layers.%d.norm.weight" % i,
               Mamba2Mixer(W, "backbone.layers.%d.mixer." % i, H, P, N, G, eps, limit,
                           cfg.get("use_conv_bias", True)), None, None)
              for i in range(cfg["num_hidden_layers"])]
    return PreNormModel(W, "backbone.embeddings.weight", "lm_head.weight",
                        "backbone.norm_f.weight", rms(eps), blocks)


def granite(cfg, W):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    blocks = []
    for i, kind in enumerate(cfg["layer_types"]):
        p = "model.layers.%d." % i
        if kind == "mamba":
            H = cfg["mamba_n_heads"]
            P = cfg.get("mamba_d_head", "auto")
            if P == "auto":
                P = cfg.get("mamba_expand", 2) * D // H
            mixer = Mamba2Mixer(W, p + "mamba.", H, P, cfg["mamba_d_state"],
                                cfg.get("mamba_n_groups", 1), eps, (0.0, math.inf),
                                cfg.get("mamba_conv_bias", True))
        else:
            nh = cfg["num_attention_heads"]
            d = D // nh
            use_rope = cfg.get("position_embedding_type") == "rope"
            mixer = Attention(W, p + "self_attn.", nh, cfg["num_key_value_heads"], d,
                              cfg.get("attention_multiplier", 1.0), d,
                              cfg.get("rope_theta", 10000.0) if use_rope else None)
        mlp = None
        E = cfg.get("num_local_experts", 0)
        m = p + "block_sparse_moe."
        if E > 0:
            win, wout = W[m + "input_linear.weight"], W[m + "output_linear.weight"]
            experts = [StackedExpert(win[e], wout[e]) for e in range(E)]
            shared = None
            if cfg.get("shared_intermediate_size", 0) > 0:
                shared = StackedExpert(W[p + "shared_mlp.input_linear.weight"],
                                       W[p + "shared_mlp.output_linear.weight"])
            mlp = MoE(W[m + "router.layer.weight"], cfg["num_experts_per_tok"], topk_softmax,
                      experts, shared)
        elif cfg.get("shared_intermediate_size", 0) > 0:
            mlp = StackedExpert(W[p + "shared_mlp.input_linear.weight"],
                                W[p + "shared_mlp.output_linear.weight"])
        blocks.append((p + "input_layernorm.weight", mixer, p + "post_attention_layernorm.weight",
                       mlp))
    scaling = cfg.get("logits_scaling", 1.0)
    return PreNormModel(W, "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                        rms(eps), blocks, cfg.get("embedding_multiplier", 1.0),
                        cfg.get("residual_multiplier", 1.0), lambda l: l / scaling)


def dt_rank(value, hidden):
    return -(-hidden // 16) if value in (None, "auto") else value


def mamba(cfg, W):
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    r = dt_rank(cfg.get("time_step_rank"), cfg["hidden_size"])
    blocks = [("backbone.layers.%d.norm.weight" % i,
               Mamba1Mixer(W, "backbone.layers.%d.mixer." % i, cfg.get("state_size", 16), r, eps,
                           False, cfg.get("use_conv_bias", True)), None, None)
              for i in range(cfg["num_hidden_layers"])]
    return PreNormModel(W, "backbone.embeddings.weight", "lm_head.weight",
                        "backbone.norm_f.weight", rms(eps), blocks)


def jamba(cfg, W):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    r = dt_rank(cfg.get("mamba_dt_rank"), D)
    blocks = []
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        if i % cfg.get("attn_layer_period", 8) == cfg.get("attn_layer_offset", 4):
            nh = cfg["num_attention_heads"]
            mixer = Attention(W, p + "self_attn.", nh, cfg["num_key_value_heads"], D // nh,
                              (D // nh) ** -0.5)
        else:
            mixer = Mamba1Mixer(W, p + "mamba.", cfg.get("mamba_d_state", 16), r, eps, True,
                                cfg.get("mamba_conv_bias", True))
        f = p + "feed_forward."
        E = cfg.get("num_experts", 16)
        if E > 1 and i % cfg.get("expert_layer_period", 2) == cfg.get("expert_layer_offset", 1):
            mlp = MoE(W[f + "router.weight"], cfg["num_experts_per_tok"], softmax_topk(False),
                      [SwiGLU(W, f + "experts.%d." % e) for e in range(E)])
        else:
            mlp = SwiGLU(W, f)
        blocks.append((p + "input_layernorm.weight", mixer, p + "pre_ff_layernorm.weight", mlp))
    return PreNormModel(W, "model.embed_tokens.weight", "lm_head.weight",
                        "model.final_layernorm.weight", rms(eps), blocks)


def recurrent_gemma(cfg, W):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    hd = D // nh
    kinds = cfg.get("block_types", ["recurrent", "recurrent", "attention"])
    blocks = []
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        b = p + "temporal_block."
        if kinds[i % len(kinds)] == "attention":
            mixer = Attention(W, b, nh, cfg.get("num_key_value_heads", nh), hd, hd ** -0.5,
                              int(hd * cfg.get("partial_rotary_factor", 0.5)),
                              cfg.get("rope_theta", 10000.0),
                              window=cfg.get("attention_window_size", 2048), o_bias=True)
        else:
            mixer = RecurrentBlock(W, b, nh, cfg.get("lru_width") or D)
        blocks.append((p + "temporal_pre_norm.weight", mixer, p + "channel_pre_norm.weight",
                       GeluMLP(W, p + "mlp_block.")))
    cap = cfg.get("logits_soft_cap", 30.0)
    return PreNormModel(W, "model.embed_tokens.weight", "lm_head.weight", "model.final_norm.weight",
                        zero_centred(eps), blocks, hf_reference.bf16(math.sqrt(D)),
                        post=lambda l: torch.tanh(l / cap) * cap)


def xlstm(cfg, W):
    D = cfg.get("hidden_size") or cfg["embedding_dim"]
    nh = cfg.get("num_heads", 8)
    eps_norm = cfg.get("norm_eps", 1e-6)
    dk = int(D * cfg.get("qk_dim_factor", 0.5)) // nh
    dv = int(D * cfg.get("v_dim_factor", 1.0)) // nh
    blocks = []
    L = cfg.get("num_hidden_layers") or cfg["num_blocks"]
    at = cfg.get("slstm_at") or []
    at = range(L) if at == "all" else at
    for i in range(L):
        p = "backbone.blocks.%d." % i
        if i in at:
            blocks.append(slstm_block(cfg["slstm_block"], W, p, D))
            continue
        blocks.append((p + "norm_mlstm.weight",
                       MLSTM(W, p + "mlstm_layer.", nh, dk, dv, cfg.get("eps", 1e-6), eps_norm,
                             cfg.get("gate_soft_cap", 15.0)),
                       p + "norm_ffn.weight",
                       SwiGLU(W, p + "ffn.", "proj_up_gate", "proj_up", "proj_down")))
    cap = cfg.get("output_logit_soft_cap", 30.0)
    return PreNormModel(W, "backbone.embeddings.weight", "lm_head.weight",
                        "backbone.out_norm.weight", rms(eps_norm), blocks,
                        post=lambda l: cap * torch.tanh(l / cap))


def slstm_block(block, W, p, D):
    """An sLSTM block of an xLSTM stack (NX-AI's sLSTMBlock): its own
    LayerNorms (no bias, weight 1 + w, eps 1e-5) and gated feed-forward."""
    cell, ff = block.get("slstm") or {}, block.get("feedforward", {})
    nh = cell.get("num_heads", 4)
    mixer = SLSTM(W, p + "xlstm.", nh, D // nh, cell.get("conv1d_kernel_size", 4),
                  cell.get("backend", "cuda") == "vanilla")
    mlp = None
    if ff is not None:
        mlp = GatedFFN(W, p + "ffn.", F.gelu if ff.get("act_fn", "gelu") == "gelu" else F.silu)
    norm = lambda x, w: F.layer_norm(x, (D,), 1.0 + w, None, 1e-5)
    return (p + "xlstm_norm.weight", mixer, p + "ffn_norm.weight", mlp, norm)


def kimi_linear(cfg, W):
    eps = cfg.get("rms_norm_eps", 1e-5)
    lin = cfg["linear_attn_config"]
    E = cfg.get("num_experts") or cfg.get("n_routed_experts") or 0
    topk = cfg.get("num_experts_per_token") or cfg.get("num_experts_per_tok")
    scaling = cfg.get("routed_scaling_factor", 1.0)
    renorm = cfg.get("moe_renormalize", True)
    blocks = []
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = p + "self_attn."
        if (i + 1) in set(lin["kda_layers"]):
            mixer = KimiDeltaAttention(W, a, lin["num_heads"], lin["head_dim"], eps)
        else:
            mixer = MultiLatentAttention(W, a, cfg["num_attention_heads"], cfg["qk_nope_head_dim"],
                                         cfg.get("qk_rope_head_dim", 0), cfg["v_head_dim"],
                                         cfg["kv_lora_rank"], eps)
        if E and i >= cfg.get("first_k_dense_replace", 0) and i % cfg.get("moe_layer_freq", 1) == 0:
            m = p + "block_sparse_moe."
            bias = W[m + "gate.e_score_correction_bias"]

            def score(logits, k, bias=bias):
                s = torch.sigmoid(logits)
                top = (s + bias).topk(k, dim=-1).indices
                w = s.gather(-1, top)
                if renorm:
                    w = w / w.sum(-1, keepdim=True)
                return top, w * scaling
            experts = [SwiGLU(W, m + "experts.%d." % e, "w1", "w3", "w2") for e in range(E)]
            shared = SwiGLU(W, m + "shared_experts.") if cfg.get("num_shared_experts", 0) else None
            mlp = MoE(W[m + "gate.weight"], topk, score, experts, shared)
        else:
            mlp = SwiGLU(W, p + "mlp.")
        blocks.append((p + "input_layernorm.weight", mixer, p + "post_attention_layernorm.weight",
                       mlp))
    return PreNormModel(W, "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                        rms(eps), blocks)


class OlmoHybrid:
    """Pre-norm Gated DeltaNet layers, post-norm OLMo-3 attention layers."""

    def __init__(self, cfg, W):
        self.W, self.eps = W, cfg.get("rms_norm_eps", 1e-6)
        D, L = cfg["hidden_size"], cfg["num_hidden_layers"]
        nh = cfg["num_attention_heads"]
        nkv = cfg.get("num_key_value_heads") or nh
        self.types = cfg.get("layer_types") or [
            "full_attention" if i % 4 == 3 else "linear_attention" for i in range(L)]
        hk = cfg.get("linear_num_key_heads") or nh
        hv = cfg.get("linear_num_value_heads") or nh
        dk = cfg.get("linear_key_head_dim") or int(0.75 * D / hk)
        dv = cfg.get("linear_value_head_dim") or 2 * dk
        theta = (cfg.get("rope_parameters") or {}).get("rope_theta", cfg.get("rope_theta"))
        self.layers = []
        for i in range(L):
            p = "model.layers.%d." % i
            if self.types[i] == "linear_attention":
                mixer = GatedDeltaNet(W, p + "linear_attn.", hk, hv, dk, dv, self.eps, "olmo",
                                      cfg.get("linear_allow_neg_eigval", True))
            else:
                mixer = Attention(W, p + "self_attn.", nh, nkv, D // nh, (D // nh) ** -0.5,
                                  D // nh, theta, qk_norm="all", eps=self.eps)
            self.layers.append((p, mixer, SwiGLU(W, p + "mlp.")))

    def forward(self, ids, states, pos):
        W, eps = self.W, self.eps
        h = W["model.embed_tokens.weight"][ids]
        new_states = []
        for i, (p, mixer, mlp) in enumerate(self.layers):
            st = states[i] if states else None
            if self.types[i] == "linear_attention":
                y, st = mixer(rms_norm(h, W[p + "input_layernorm.weight"], eps), st, pos)
                h = h + y
                h = h + mlp(rms_norm(h, W[p + "post_attention_layernorm.weight"], eps))
            else:
                y, st = mixer(h, st, pos)
                h = h + rms_norm(y, W[p + "post_attention_layernorm.weight"], eps)
                h = h + rms_norm(mlp(h), W[p + "post_feedforward_layernorm.weight"], eps)
            new_states.append(st)
        head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
        return F.linear(rms_norm(h, W["model.norm.weight"], eps), head), new_states


class RWKV7:
    """fla's RWKV7ForCausalLM: time mix + squared-ReLU channel mix, both with
    token shift; states per block: (time-mix state, channel-mix last x)."""

    def __init__(self, cfg, W):
        self.W, self.eps = W, cfg.get("norm_eps", 1e-5)
        D = cfg["hidden_size"]
        K = cfg.get("head_dim") or D // cfg["num_heads"]
        self.norm_first = cfg.get("norm_first", True)
        self.mixers = [RWKV7TimeMix(W, "model.layers.%d.attn." % i, D // K, K, self.eps, i == 0)
                       for i in range(cfg["num_hidden_layers"])]

    def ln(self, x, n):
        return F.layer_norm(x, (x.shape[1],), self.W[n + ".weight"], self.W[n + ".bias"], self.eps)

    def forward(self, ids, states, pos):
        W = self.W
        h = W["model.embeddings.weight"][ids]
        v_first, new_states = None, []
        for i, mixer in enumerate(self.mixers):
            p = "model.layers.%d." % i
            if i == 0 and self.norm_first:
                h = self.ln(h, p + "pre_norm")
            tm, cm = states[i] if states else (None, None)
            y, tm, v_first = mixer(self.ln(h, p + "attn_norm"), tm, v_first)
            h = h + y
            x = self.ln(h, p + "ffn_norm")
            prev = cm if cm is not None else x.new_zeros(1, x.shape[1])
            xk = x + (torch.cat([prev, x[:-1]]) - x) * W[p + "ffn.x_k"]
            h = h + F.linear(torch.relu(F.linear(xk, W[p + "ffn.key.weight"])).square(),
                             W[p + "ffn.value.weight"])
            new_states.append((tm, x[-1:]))
        head = W.get("lm_head.weight", W["model.embeddings.weight"])
        return F.linear(self.ln(h, "model.norm"), head), new_states


FAMILIES = {"qwen3_next": qwen3_next, "mamba2": mamba2, "granitemoehybrid": granite,
            "jamba": jamba, "mamba": mamba, "recurrent_gemma": recurrent_gemma, "xlstm": xlstm,
            "olmo_hybrid": OlmoHybrid, "rwkv7": RWKV7, "kimi_linear": kimi_linear}

FORMS = ("prefill: Mamba-2 chunked SSD (chunk %d), other recurrences token loops, attention "
         "masked matmuls; decode: one recurrent step per token, KV caches" % SSD_CHUNK)


def relative_rms(x, ref):
    return float(np.sqrt(np.mean((x - ref) ** 2)) / np.sqrt(np.mean(ref ** 2)))


def build(config, weights):
    cfg = json.load(open(config))
    if cfg.get("model_type") not in FAMILIES:
        sys.exit("error: %s: model_type %r is not one of %s" % (
            config, cfg.get("model_type"), ", ".join(sorted(FAMILIES))))
    return cfg, FAMILIES[cfg["model_type"]](cfg, load_weights(weights))


def generate(model, ids, n, warmup=0, keep_logits=False):
    """Greedy generation of n ids after the prompt `ids` (a list). Returns the
    ids, the prefill and decode seconds, the prefill logits [T, V] and (with
    keep_logits) the decode steps' logits [n - 1, V]."""
    prompt = torch.tensor(ids)
    decode_logits = []
    with torch.inference_mode():
        # PyTorch's first calls allocate and pick kernels: not counted (hymir-run
        # compiles before its clock starts).
        for _ in range(warmup):
            logits, states = model.forward(prompt, None, 0)
            for step in range(2):
                logits, states = model.forward(logits[-1:].argmax(-1), states, len(ids) + step)
        t0 = time.perf_counter()
        prefill_logits, states = model.forward(prompt, None, 0)
        t1 = time.perf_counter()
        out = [int(prefill_logits[-1].argmax())]
        for step in range(n - 1):
            logits, states = model.forward(torch.tensor([out[-1]]), states, len(ids) + step)
            out.append(int(logits[-1].argmax()))
            if keep_logits:
                decode_logits.append(logits[-1])
        t2 = time.perf_counter()
    dec = torch.stack(decode_logits) if decode_logits else None
    return out, t1 - t0, t2 - t1, prefill_logits, dec


def reference_errors(cfg, weights, ids, out, prefill_logits, decode_logits):
    """Relative RMS errors of the peer's prefill and decode logits against the
    float64 reference run over prompt + generated ids (its first rows are the
    prefill's logits, the others those of the decode steps)."""
    seq = np.array(list(ids) + out[:-1])
    ref = hf_reference.FAMILIES[cfg["model_type"]](cfg, hf_reference.read_safetensors(weights), seq)
    T = len(ids)
    errs = {"prefill": relative_rms(prefill_logits.double().numpy(), ref[:T])}
    if decode_logits is not None:
        errs["decode"] = relative_rms(decode_logits.double().numpy(), ref[T:])
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("weights")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--generate", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of the prompt and two decode steps first")
    ap.add_argument("--check", nargs="?", type=float, const=1e-4, default=None, metavar="TOL")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg, model = build(args.config, args.weights)
    ids = [int(t) for t in args.prompt_ids.split(",")]
    out, tp, td, prefill_logits, decode_logits = generate(
        model, ids, args.generate, args.warmup, args.check is not None)
    print(",".join(map(str, out)))
    print("prefill: %d tokens in %.3f s (%.1f tokens/s)" % (len(ids), tp, len(ids) / tp))
    n = args.generate - 1
    if n:
        print("decode: %d tokens in %.3f s (%.1f tokens/s)" % (n, td, n / td))
    print("peer: PyTorch %s eager float32, %d threads; %s" % (torch.__version__, args.threads, FORMS))
    if args.check is None:
        return
    bad = False
    errs = reference_errors(cfg, args.weights, ids, out, prefill_logits, decode_logits)
    for phase, e in errs.items():
        print("check %s: relative RMS %.2e vs the float64 reference" % (phase, e))
        if not e <= args.check:
            print("WARNING: %s %s logits differ from the float64 reference: relative RMS %.2e > %g"
                  % (cfg["model_type"], phase, e, args.check))
            bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
