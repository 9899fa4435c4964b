"""Independent float64 forward passes of the families hymir-import supports.

  hf_reference.py CONFIG.json W.safetensors IDS OUT.npy

Writes the logits [T, V] of the token ids IDS (comma separated, one
sequence) as float64. Written from Hugging Face's modeling code
(Qwen3NextForCausalLM, Mamba2ForCausalLM, GraniteMoeHybridForCausalLM; the
xLSTM sLSTM blocks from NX-AI xlstm's sLSTMBlock and vanilla backend) in
its own layouts, not from Hymir's IR: per-token loops for the recurrences
(the Mamba state as [H, P, N], the delta-rule state as [H, dk, dv]),
explicit causal softmax attention, and MoE routing by sorting. It shares
nothing with hymir-import but the config and the tensor names.
"""
import json
import math
import struct
import sys

import numpy as np


def read_safetensors(path, dtype=np.float64):
    """Reads an F32 safetensors file into numpy arrays of `dtype` (also the
    reader of the PyTorch bench peer, bench/models/torch_models.py)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], np.float32).reshape(info["shape"]).astype(dtype)
    return out


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def silu(x):
    return x * sigmoid(x)


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def causal_conv(x, w, bias=None):
    """x [T, C], w [C, 1, K]: depthwise causal conv1d, zero history."""
    t_len, c = x.shape
    k = w.shape[2]
    xp = np.concatenate([np.zeros((k - 1, c)), x], axis=0)
    y = np.zeros_like(x)
    for t in range(t_len):
        y[t] = np.sum(w[:, 0, :].T * xp[t:t + k], axis=0)
    if bias is not None:
        y = y + bias
    return y


def attention(q, k, v, scale, window=None):
    """q [T, H, D], k/v [T, Hkv, D]: causal softmax attention, GQA; with a
    window, query i sees keys i - window < j <= i."""
    t_len, h, _ = q.shape
    rep = h // k.shape[1]
    o = np.zeros((t_len, h, v.shape[2]))
    allowed = np.tril(np.ones((t_len, t_len), bool))
    if window is not None:
        allowed &= ~np.tril(np.ones((t_len, t_len), bool), -window)
    for hh in range(h):
        kk, vv = k[:, hh // rep], v[:, hh // rep]
        s = q[:, hh] @ kk.T * scale
        s = np.where(allowed, s, -np.inf)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        o[:, hh] = (p / p.sum(axis=1, keepdims=True)) @ vv
    return o


def swiglu(x, wg, wu, wd):
    return (silu(x @ wg.T) * (x @ wu.T)) @ wd.T


# ----------------------------------------------------------------------------
# Qwen3-Next
# ----------------------------------------------------------------------------

def qwen3_next(cfg, W, ids):
    eps = cfg.get("rms_norm_eps", 1e-6)
    n_layers = cfg["num_hidden_layers"]
    types = cfg.get("layer_types") or [
        "full_attention" if (i + 1) % cfg.get("full_attention_interval", 4) == 0
        else "linear_attention" for i in range(n_layers)]
    zc = lambda x, w: rmsnorm(x, 1.0 + w, eps)
    h = W["model.embed_tokens.weight"][ids]
    T = len(ids)
    for i in range(n_layers):
        p = "model.layers.%d." % i
        x = zc(h, W[p + "input_layernorm.weight"])
        if types[i] == "linear_attention":
            y = gated_delta_net(cfg, W, p + "linear_attn.", x, eps)
        else:
            y = gated_attention(cfg, W, p + "self_attn.", x, zc)
        h = h + y
        x = zc(h, W[p + "post_attention_layernorm.weight"])
        moe = (cfg.get("num_experts", 0) > 0 and i not in cfg.get("mlp_only_layers", [])
               and (i + 1) % cfg.get("decoder_sparse_step", 1) == 0)
        h = h + (qwen_moe(cfg, W, p + "mlp.", x) if moe else
                 swiglu(x, W[p + "mlp.gate_proj.weight"], W[p + "mlp.up_proj.weight"],
                        W[p + "mlp.down_proj.weight"]))
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return zc(h, W["model.norm.weight"]) @ head.T


def gated_delta_net(cfg, W, p, x, eps):
    T = x.shape[0]
    hk, hv = cfg["linear_num_key_heads"], cfg["linear_num_value_heads"]
    dk, dv = cfg["linear_key_head_dim"], cfg["linear_value_head_dim"]
    r = hv // hk
    qkvz = (x @ W[p + "in_proj_qkvz.weight"].T).reshape(T, hk, 2 * dk + 2 * r * dv)
    q, k = qkvz[..., :dk], qkvz[..., dk:2 * dk]
    v = qkvz[..., 2 * dk:2 * dk + r * dv].reshape(T, hv, dv)
    z = qkvz[..., 2 * dk + r * dv:].reshape(T, hv, dv)
    ba = (x @ W[p + "in_proj_ba.weight"].T).reshape(T, hk, 2 * r)
    b, a = ba[..., :r].reshape(T, hv), ba[..., r:].reshape(T, hv)
    mixed = np.concatenate([q.reshape(T, -1), k.reshape(T, -1), v.reshape(T, -1)], axis=1)
    mixed = silu(causal_conv(mixed, W[p + "conv1d.weight"]))
    q = mixed[:, :hk * dk].reshape(T, hk, dk)
    k = mixed[:, hk * dk:2 * hk * dk].reshape(T, hk, dk)
    v = mixed[:, 2 * hk * dk:].reshape(T, hv, dv)
    beta = sigmoid(b)
    g = -np.exp(W[p + "A_log"]) * softplus(a + W[p + "dt_bias"])
    q, k = np.repeat(q, r, axis=1), np.repeat(k, r, axis=1)
    l2 = lambda u: u / np.sqrt(np.sum(u * u, axis=-1, keepdims=True) + 1e-6)
    q, k = l2(q) / np.sqrt(dk), l2(k)
    S = np.zeros((hv, dk, dv))
    o = np.zeros((T, hv, dv))
    for t in range(T):
        S = S * np.exp(g[t])[:, None, None]
        mem = np.einsum("hk,hkv->hv", k[t], S)
        delta = (v[t] - mem) * beta[t][:, None]
        S = S + k[t][:, :, None] * delta[:, None, :]
        o[t] = np.einsum("hk,hkv->hv", q[t], S)
    o = rmsnorm(o, W[p + "norm.weight"], eps) * silu(z)
    return o.reshape(T, -1) @ W[p + "out_proj.weight"].T


def rope(x, positions, rot, theta):
    inv = theta ** (-np.arange(0, rot, 2) / rot)
    ang = positions[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, axis=1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=1)[:, None, :]
    xr = x[..., :rot]
    rot_half = np.concatenate([-xr[..., rot // 2:], xr[..., :rot // 2]], axis=-1)
    return np.concatenate([xr * cos + rot_half * sin, x[..., rot:]], axis=-1)


def gated_attention(cfg, W, p, x, zc):
    T = x.shape[0]
    h, hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim", cfg["hidden_size"] // h)
    qg = (x @ W[p + "q_proj.weight"].T).reshape(T, h, 2 * d)
    q, gate = qg[..., :d], qg[..., d:].reshape(T, h * d)
    k = (x @ W[p + "k_proj.weight"].T).reshape(T, hkv, d)
    v = (x @ W[p + "v_proj.weight"].T).reshape(T, hkv, d)
    q, k = zc(q, W[p + "q_norm.weight"]), zc(k, W[p + "k_norm.weight"])
    rot = int(d * cfg.get("partial_rotary_factor", 0.25))
    pos = np.arange(T, dtype=np.float64)
    theta = cfg.get("rope_theta", 10000.0)
    q, k = rope(q, pos, rot, theta), rope(k, pos, rot, theta)
    o = attention(q, k, v, d ** -0.5).reshape(T, h * d) * sigmoid(gate)
    return o @ W[p + "o_proj.weight"].T


def qwen_moe(cfg, W, p, x):
    T = x.shape[0]
    e, k = cfg["num_experts"], cfg["num_experts_per_tok"]
    logits = x @ W[p + "gate.weight"].T
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    out = np.zeros_like(x)
    for t in range(T):
        top = np.argsort(-probs[t], kind="stable")[:k]
        w = probs[t, top]
        if cfg.get("norm_topk_prob", True):
            w = w / w.sum()
        for j, wj in zip(top, w):
            q = p + "experts.%d." % j
            out[t] += wj * swiglu(x[t:t + 1], W[q + "gate_proj.weight"], W[q + "up_proj.weight"],
                                  W[q + "down_proj.weight"])[0]
    if cfg.get("shared_expert_intermediate_size", 0) > 0:
        q = p + "shared_expert."
        ys = swiglu(x, W[q + "gate_proj.weight"], W[q + "up_proj.weight"], W[q + "down_proj.weight"])
        out += ys * sigmoid(x @ W[p + "shared_expert_gate.weight"].T)
    return out


# ----------------------------------------------------------------------------
# Mamba-2 and Granite 4.0
# ----------------------------------------------------------------------------

def mamba2_mixer(W, p, x, H, P, N, G, eps, dt_limit=(0.0, np.inf), conv_bias=True):
    T = x.shape[0]
    di = H * P
    cd = di + 2 * G * N
    zxbcdt = x @ W[p + "in_proj.weight"].T
    z, xbc, dt = zxbcdt[:, :di], zxbcdt[:, di:di + cd], zxbcdt[:, di + cd:]
    xbc = silu(causal_conv(xbc, W[p + "conv1d.weight"], W[p + "conv1d.bias"] if conv_bias else None))
    xs = xbc[:, :di].reshape(T, H, P)
    Bs = xbc[:, di:di + G * N].reshape(T, G, N)
    Cs = xbc[:, di + G * N:].reshape(T, G, N)
    dt = np.clip(softplus(dt + W[p + "dt_bias"]), dt_limit[0], dt_limit[1])
    A = -np.exp(W[p + "A_log"])
    D = W[p + "D"]
    state = np.zeros((H, P, N))
    y = np.zeros((T, H, P))
    grp = np.arange(H) // (H // G)
    for t in range(T):
        dA = np.exp(dt[t] * A)
        state = state * dA[:, None, None] + (dt[t][:, None] * xs[t])[:, :, None] * Bs[t][grp][:, None, :]
        y[t] = np.einsum("hpn,hn->hp", state, Cs[t][grp]) + D[:, None] * xs[t]
    y = y.reshape(T, di) * silu(z)
    y = y.reshape(T, G, di // G)
    y = (y / np.sqrt(np.mean(y * y, axis=-1, keepdims=True) + eps)).reshape(T, di)
    y = y * W[p + "norm.weight"]
    return y @ W[p + "out_proj.weight"].T


def mamba2(cfg, W, ids):
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    H, P, N, G = cfg["num_heads"], cfg["head_dim"], cfg["state_size"], cfg.get("n_groups", 1)
    limit = tuple(cfg.get("time_step_limit", (0.0, np.inf)))
    h = W["backbone.embeddings.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "backbone.layers.%d." % i
        h = h + mamba2_mixer(W, p + "mixer.", rmsnorm(h, W[p + "norm.weight"], eps), H, P, N, G,
                             eps, limit, cfg.get("use_conv_bias", True))
    head = W.get("lm_head.weight", W["backbone.embeddings.weight"])
    return rmsnorm(h, W["backbone.norm_f.weight"], eps) @ head.T


def granite(cfg, W, ids):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    rm = cfg.get("residual_multiplier", 1.0)
    h = W["model.embed_tokens.weight"][ids] * cfg.get("embedding_multiplier", 1.0)
    T = len(ids)
    for i, kind in enumerate(cfg["layer_types"]):
        p = "model.layers.%d." % i
        x = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
        if kind == "mamba":
            H = cfg["mamba_n_heads"]
            P = cfg.get("mamba_d_head", "auto")
            if P == "auto":
                P = cfg.get("mamba_expand", 2) * D // H
            y = mamba2_mixer(W, p + "mamba.", x, H, P, cfg["mamba_d_state"],
                             cfg.get("mamba_n_groups", 1), eps,
                             conv_bias=cfg.get("mamba_conv_bias", True))
        else:
            nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
            d = D // nh
            q = (x @ W[p + "self_attn.q_proj.weight"].T).reshape(T, nh, d)
            k = (x @ W[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, d)
            v = (x @ W[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, d)
            if cfg.get("position_embedding_type") == "rope":
                pos = np.arange(T, dtype=np.float64)
                q = rope(q, pos, d, cfg.get("rope_theta", 10000.0))
                k = rope(k, pos, d, cfg.get("rope_theta", 10000.0))
            o = attention(q, k, v, cfg.get("attention_multiplier", 1.0))
            y = o.reshape(T, nh * d) @ W[p + "self_attn.o_proj.weight"].T
        h = h + y * rm
        x = rmsnorm(h, W[p + "post_attention_layernorm.weight"], eps)
        m = np.zeros_like(x)
        E = cfg.get("num_local_experts", 0)
        if E > 0:
            k_top = cfg["num_experts_per_tok"]
            logits = x @ W[p + "block_sparse_moe.router.layer.weight"].T
            win = W[p + "block_sparse_moe.input_linear.weight"]
            wout = W[p + "block_sparse_moe.output_linear.weight"]
            for t in range(T):
                top = np.argsort(-logits[t], kind="stable")[:k_top]
                g = np.exp(logits[t, top] - logits[t, top].max())
                g /= g.sum()
                for j, gj in zip(top, g):
                    gu = win[j] @ x[t]
                    a = silu(gu[:gu.shape[0] // 2]) * gu[gu.shape[0] // 2:]
                    m[t] += gj * (wout[j] @ a)
        if cfg.get("shared_intermediate_size", 0) > 0:
            gu = x @ W[p + "shared_mlp.input_linear.weight"].T
            s = gu.shape[1] // 2
            m += (silu(gu[:, :s]) * gu[:, s:]) @ W[p + "shared_mlp.output_linear.weight"].T
        h = h + m * rm
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return (rmsnorm(h, W["model.norm.weight"], eps) @ head.T) / cfg.get("logits_scaling", 1.0)


# ----------------------------------------------------------------------------
# Mamba-1 and Jamba
# ----------------------------------------------------------------------------

def mamba1_mixer(W, p, x, n, r, eps, inner_norms, conv_bias=True):
    """HF MambaMixer / JambaMambaMixer slow_forward, state [Di, N]."""
    T = x.shape[0]
    xz = x @ W[p + "in_proj.weight"].T
    di = xz.shape[1] // 2
    xs, z = xz[:, :di], xz[:, di:]
    xs = silu(causal_conv(xs, W[p + "conv1d.weight"], W[p + "conv1d.bias"] if conv_bias else None))
    ssm = xs @ W[p + "x_proj.weight"].T
    dt, B, C = ssm[:, :r], ssm[:, r:r + n], ssm[:, r + n:]
    if inner_norms:
        dt = rmsnorm(dt, W[p + "dt_layernorm.weight"], eps)
        B = rmsnorm(B, W[p + "b_layernorm.weight"], eps)
        C = rmsnorm(C, W[p + "c_layernorm.weight"], eps)
    dt = softplus(dt @ W[p + "dt_proj.weight"].T + W[p + "dt_proj.bias"])
    A = -np.exp(W[p + "A_log"])
    h = np.zeros((di, n))
    y = np.zeros((T, di))
    for t in range(T):
        h = np.exp(A * dt[t][:, None]) * h + (dt[t] * xs[t])[:, None] * B[t][None, :]
        y[t] = h @ C[t] + W[p + "D"] * xs[t]
    return (y * silu(z)) @ W[p + "out_proj.weight"].T


def dt_rank(value, hidden):
    return -(-hidden // 16) if value in (None, "auto") else value


def mamba(cfg, W, ids):
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    r = dt_rank(cfg.get("time_step_rank"), cfg["hidden_size"])
    h = W["backbone.embeddings.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "backbone.layers.%d." % i
        h = h + mamba1_mixer(W, p + "mixer.", rmsnorm(h, W[p + "norm.weight"], eps),
                             cfg.get("state_size", 16), r, eps, False,
                             cfg.get("use_conv_bias", True))
    head = W.get("lm_head.weight", W["backbone.embeddings.weight"])
    return rmsnorm(h, W["backbone.norm_f.weight"], eps) @ head.T


def jamba(cfg, W, ids):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    T = len(ids)
    r = dt_rank(cfg.get("mamba_dt_rank"), D)
    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        x = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
        if i % cfg.get("attn_layer_period", 8) == cfg.get("attn_layer_offset", 4):
            nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
            d = D // nh
            q = (x @ W[p + "self_attn.q_proj.weight"].T).reshape(T, nh, d)
            k = (x @ W[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, d)
            v = (x @ W[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, d)
            y = attention(q, k, v, d ** -0.5).reshape(T, D) @ W[p + "self_attn.o_proj.weight"].T
        else:
            y = mamba1_mixer(W, p + "mamba.", x, cfg.get("mamba_d_state", 16), r, eps, True,
                             cfg.get("mamba_conv_bias", True))
        h = h + y
        x = rmsnorm(h, W[p + "pre_ff_layernorm.weight"], eps)
        f = p + "feed_forward."
        E = cfg.get("num_experts", 16)
        if E > 1 and i % cfg.get("expert_layer_period", 2) == cfg.get("expert_layer_offset", 1):
            # HF JambaSparseMoeBlock: softmax over all experts, top-k, no renormalisation.
            logits = x @ W[f + "router.weight"].T
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            m = np.zeros_like(x)
            for t in range(T):
                for j in np.argsort(-probs[t], kind="stable")[:cfg["num_experts_per_tok"]]:
                    e = f + "experts.%d." % j
                    m[t] += probs[t, j] * swiglu(x[t:t + 1], W[e + "gate_proj.weight"],
                                                 W[e + "up_proj.weight"], W[e + "down_proj.weight"])[0]
        else:
            m = swiglu(x, W[f + "gate_proj.weight"], W[f + "up_proj.weight"], W[f + "down_proj.weight"])
        h = h + m
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return rmsnorm(h, W["model.final_layernorm.weight"], eps) @ head.T


# ----------------------------------------------------------------------------
# RecurrentGemma
# ----------------------------------------------------------------------------

def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def bf16(x):
    """Rounds a float to bfloat16 (to nearest even)."""
    u = np.array([x], np.float32).view(np.uint32)[0]
    u = (int(u) + 0x7FFF + ((int(u) >> 16) & 1)) & 0xFFFF0000
    return float(np.array([u], np.uint32).view(np.float32)[0])


def recurrent_gemma(cfg, W, ids):
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    T = len(ids)
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = D // nh
    lw = cfg.get("lru_width") or D
    blocks = cfg.get("block_types", ["recurrent", "recurrent", "attention"])
    gn = lambda x, w: rmsnorm(x, 1.0 + w, eps)
    h = W["model.embed_tokens.weight"][ids] * bf16(np.sqrt(D))
    pos = np.arange(T, dtype=np.float64)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        b = p + "temporal_block."
        x = gn(h, W[p + "temporal_pre_norm.weight"])
        if blocks[i % len(blocks)] == "attention":
            q = (x @ W[b + "q_proj.weight"].T).reshape(T, nh, hd)
            k = (x @ W[b + "k_proj.weight"].T).reshape(T, nkv, hd)
            v = (x @ W[b + "v_proj.weight"].T).reshape(T, nkv, hd)
            rot = int(hd * cfg.get("partial_rotary_factor", 0.5))
            q = rope(q, pos, rot, cfg.get("rope_theta", 10000.0))
            k = rope(k, pos, rot, cfg.get("rope_theta", 10000.0))
            o = attention(q, k, v, hd ** -0.5, cfg.get("attention_window_size", 2048))
            y = o.reshape(T, D) @ W[b + "o_proj.weight"].T + W[b + "o_proj.bias"]
        else:
            yb = gelu_tanh(x @ W[b + "linear_y.weight"].T + W[b + "linear_y.bias"])
            xb = x @ W[b + "linear_x.weight"].T + W[b + "linear_x.bias"]
            xb = causal_conv(xb, W[b + "conv_1d.weight"], W[b + "conv_1d.bias"])
            r = b + "rg_lru."
            bw = lw // nh
            xr = xb.reshape(T, nh, bw)
            gate_x = sigmoid(np.einsum("thi,hij->thj", xr, W[r + "input_gate_weight"])
                             + W[r + "input_gate_bias"]).reshape(T, lw)
            gate_a = sigmoid(np.einsum("thi,hij->thj", xr, W[r + "recurrent_gate_weight"])
                             + W[r + "recurrent_gate_bias"]).reshape(T, lw)
            log_a = -8.0 * gate_a * softplus(W[r + "recurrent_param"])
            a = np.exp(log_a)
            mult = np.sqrt(1.0 - np.exp(2.0 * log_a))
            mult[0] = 1.0  # position 0: reset
            u = xb * gate_x * mult
            state = np.zeros(lw)
            out = np.zeros((T, lw))
            for t in range(T):
                state = (a[t] if t > 0 else 0.0) * state + u[t]
                out[t] = state
            y = (out * yb) @ W[b + "linear_out.weight"].T + W[b + "linear_out.bias"]
        h = h + y
        x = gn(h, W[p + "channel_pre_norm.weight"])
        m = p + "mlp_block."
        g = gelu_tanh(x @ W[m + "gate_proj.weight"].T + W[m + "gate_proj.bias"])
        up = x @ W[m + "up_proj.weight"].T + W[m + "up_proj.bias"]
        h = h + (g * up) @ W[m + "down_proj.weight"].T + W[m + "down_proj.bias"]
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    logits = gn(h, W["model.final_norm.weight"]) @ head.T
    cap = cfg.get("logits_soft_cap", 30.0)
    return np.tanh(logits / cap) * cap


# ----------------------------------------------------------------------------
# xLSTM
# ----------------------------------------------------------------------------

def xlstm(cfg, W, ids):
    """HF xLSTMForCausalLM, weight_mode "single", mlstm_recurrent_step_native
    per token (C, n, m start at zero)."""
    D = cfg.get("hidden_size") or cfg["embedding_dim"]
    L = cfg.get("num_hidden_layers") or cfg["num_blocks"]
    nh = cfg.get("num_heads", 8)
    eps_norm = cfg.get("norm_eps", 1e-6)
    eps = cfg.get("eps", 1e-6)
    gcap = cfg.get("gate_soft_cap", 15.0)
    qk = int(D * cfg.get("qk_dim_factor", 0.5))
    vd = int(D * cfg.get("v_dim_factor", 1.0))
    dk, dv = qk // nh, vd // nh
    cap = lambda x, c: c * np.tanh(x / c)
    T = len(ids)
    h = W["backbone.embeddings.weight"][ids]
    at = cfg.get("slstm_at") or []
    at = list(range(L)) if at == "all" else at
    for i in range(L):
        p = "backbone.blocks.%d." % i
        if i in at:
            h = slstm_block(cfg["slstm_block"], W, p, h, D)
            continue
        x = rmsnorm(h, W[p + "norm_mlstm.weight"], eps_norm)
        m_ = p + "mlstm_layer."
        q = (x @ W[m_ + "q.weight"].T).reshape(T, nh, dk)
        k = (x @ W[m_ + "k.weight"].T).reshape(T, nh, dk)
        v = (x @ W[m_ + "v.weight"].T).reshape(T, nh, dv)
        o = x @ W[m_ + "ogate_preact.weight"].T
        ig = cap(x @ W[m_ + "igate_preact.weight"].T + W[m_ + "igate_preact.bias"], gcap)
        fg = cap(x @ W[m_ + "fgate_preact.weight"].T + W[m_ + "fgate_preact.bias"], gcap)
        C = np.zeros((nh, dk, dv))
        n = np.zeros((nh, dk))
        m = np.zeros(nh)
        hs = np.zeros((T, nh, dv))
        for t in range(T):
            lf = -np.log1p(np.exp(-fg[t]))  # logsigmoid
            m_new = np.maximum(lf + m, ig[t])
            fa = np.exp(lf + m - m_new)
            ia = np.exp(ig[t] - m_new)
            C = fa[:, None, None] * C + ia[:, None, None] * k[t][:, :, None] * v[t][:, None, :]
            n = fa[:, None] * n + ia[:, None] * k[t]
            qs = q[t] * dk ** -0.5
            num = np.einsum("hk,hkv->hv", qs, C)
            den = np.maximum(np.abs(np.sum(qs * n, axis=1)), np.exp(-m_new)) + eps
            hs[t] = num / den[:, None]
            m = m_new
        mu = hs.mean(axis=-1, keepdims=True)
        var = ((hs - mu) ** 2).mean(axis=-1, keepdims=True)
        hn = ((hs - mu) / np.sqrt(var + eps_norm)).reshape(T, vd) * W[m_ + "multihead_norm.weight"]
        h = h + (sigmoid(o) * hn) @ W[m_ + "out_proj.weight"].T
        x = rmsnorm(h, W[p + "norm_ffn.weight"], eps_norm)
        f = p + "ffn."
        h = h + (silu(x @ W[f + "proj_up_gate.weight"].T) * (x @ W[f + "proj_up.weight"].T)) \
            @ W[f + "proj_down.weight"].T
    head = W.get("lm_head.weight", W["backbone.embeddings.weight"])
    logits = rmsnorm(h, W["backbone.out_norm.weight"], eps_norm) @ head.T
    return cap(logits, cfg.get("output_logit_soft_cap", 30.0))


def nx_layer_norm(x, w, eps=1e-5):
    """NX-AI xlstm's LayerNorm: no bias, weight applied as 1 + w."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * (1.0 + w)


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def slstm_block(block, W, p, h, D):
    """NX-AI xlstm's sLSTMBlock (xLSTMBlock with an sLSTMLayer): pre-LayerNorm,
    causal conv + SiLU for the i/f gates, head-wise gate projections (the
    library's `fgate` gives i and `igate` gives f), the vanilla backend's
    slstm_forward_pointwise per token (m = i on the first step, while n is all
    zero), group norm per head, residual; then the gated feed-forward."""
    cell = block.get("slstm") or {}
    nh = cell.get("num_heads", 4)
    K = cell.get("conv1d_kernel_size", 4)
    dh = D // nh
    T = h.shape[0]
    q = p + "xlstm."
    x = nx_layer_norm(h, W[p + "xlstm_norm.weight"])
    xc = silu(causal_conv(x, W[q + "conv1d.conv.weight"], W[q + "conv1d.conv.bias"])) if K > 0 else x

    def headwise(v, name):
        return np.einsum("thd,hod->tho", v.reshape(T, nh, dh), W[q + name + ".weight"])

    i_pre, f_pre = headwise(xc, "fgate"), headwise(xc, "igate")
    z_pre, o_pre = headwise(x, "zgate"), headwise(x, "ogate")
    R = W[q + "slstm_cell._recurrent_kernel_"]
    b = W[q + "slstm_cell._bias_"]
    if cell.get("backend", "cuda") == "vanilla":
        Rg = R.reshape(nh, 4, dh, dh)                      # [h, gate, out, in]
        bg = b.reshape(4, nh, dh).transpose(1, 0, 2)       # [h, gate, out]
    else:
        Rg = R.reshape(nh, dh, 4, dh).transpose(0, 2, 3, 1)
        bg = b.reshape(nh, 4, dh)
    y = np.zeros((nh, dh))
    c, n, m = np.zeros((nh, dh)), np.zeros((nh, dh)), np.zeros((nh, dh))
    ys = np.zeros((T, nh, dh))
    for t in range(T):
        Ry = np.einsum("hgoi,hi->hgo", Rg, y) + bg
        ir, fr = i_pre[t] + Ry[:, 0], f_pre[t] + Ry[:, 1]
        zr, orr = z_pre[t] + Ry[:, 2], o_pre[t] + Ry[:, 3]
        lfm = m - np.log1p(np.exp(-fr))                    # m + logsigmoid(f)
        m_new = ir if np.all(n == 0.0) else np.maximum(ir, lfm)
        ig, fg = np.exp(ir - m_new), np.exp(lfm - m_new)
        c = fg * c + ig * np.tanh(zr)
        n = fg * n + ig
        y = sigmoid(orr) * c / n
        m = m_new
        ys[t] = y
    mu = ys.mean(axis=-1, keepdims=True)
    var = ((ys - mu) ** 2).mean(axis=-1, keepdims=True)
    gn = ((ys - mu) / np.sqrt(var + 1e-5)).reshape(T, D) * (1.0 + W[q + "group_norm.weight"])
    h = h + gn
    ff = block.get("feedforward", {})
    if ff is None:
        return h
    x = nx_layer_norm(h, W[p + "ffn_norm.weight"])
    up = x @ W[p + "ffn.proj_up.weight"].T
    # UpProjConfigMixin: proj_factor · D rounded up to a multiple.
    mult = ff.get("round_proj_up_to_multiple_of", 64)
    units = ff.get("proj_factor", 1.3) * D / mult
    width = int((math.ceil(units) if ff.get("round_proj_up_dim_up", True) else math.floor(units)) * mult)
    assert up.shape[1] == 2 * width, (up.shape, width)
    act = gelu if ff.get("act_fn", "gelu") == "gelu" else silu
    return h + (act(up[:, :width]) * up[:, width:]) @ W[p + "ffn.proj_down.weight"].T


# ----------------------------------------------------------------------------
# OLMo Hybrid
# ----------------------------------------------------------------------------

def olmo_hybrid(cfg, W, ids):
    """HF OlmoHybridForCausalLM: pre-norm GDN layers (separate q/k/v/a/b/g
    projections, beta x2 with allow_neg_eigval, o_norm eps 1e-5) and OLMo-3
    post-norm attention layers (q_norm / k_norm over all heads)."""
    eps = cfg.get("rms_norm_eps", 1e-6)
    D = cfg["hidden_size"]
    L = cfg["num_hidden_layers"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = D // nh
    types = cfg.get("layer_types") or ["full_attention" if i % 4 == 3 else "linear_attention"
                                       for i in range(L)]
    hk = cfg.get("linear_num_key_heads") or nh
    hv = cfg.get("linear_num_value_heads") or nh
    dk = cfg.get("linear_key_head_dim") or int(0.75 * D / hk)
    dv = cfg.get("linear_value_head_dim") or 2 * dk
    r = hv // hk
    rope_params = cfg.get("rope_parameters") or {}
    theta = rope_params.get("rope_theta", cfg.get("rope_theta"))
    T = len(ids)
    h = W["model.embed_tokens.weight"][ids]
    for i in range(L):
        p = "model.layers.%d." % i
        mlp = lambda x: swiglu(x, W[p + "mlp.gate_proj.weight"], W[p + "mlp.up_proj.weight"],
                               W[p + "mlp.down_proj.weight"])
        if types[i] == "linear_attention":
            a_ = p + "linear_attn."
            x = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
            q = x @ W[a_ + "q_proj.weight"].T
            k = x @ W[a_ + "k_proj.weight"].T
            v = x @ W[a_ + "v_proj.weight"].T
            mixed = silu(causal_conv(np.concatenate([q, k, v], axis=1), W[a_ + "conv1d.weight"]))
            q = mixed[:, :hk * dk].reshape(T, hk, dk)
            k = mixed[:, hk * dk:2 * hk * dk].reshape(T, hk, dk)
            v = mixed[:, 2 * hk * dk:].reshape(T, hv, dv)
            beta = sigmoid(x @ W[a_ + "b_proj.weight"].T)
            if cfg.get("linear_allow_neg_eigval", True):
                beta = beta * 2.0
            g = -np.exp(W[a_ + "A_log"]) * softplus(x @ W[a_ + "a_proj.weight"].T + W[a_ + "dt_bias"])
            q, k = np.repeat(q, r, axis=1), np.repeat(k, r, axis=1)
            l2 = lambda u: u / np.sqrt(np.sum(u * u, axis=-1, keepdims=True) + 1e-6)
            q, k = l2(q) / np.sqrt(dk), l2(k)
            S = np.zeros((hv, dk, dv))
            o = np.zeros((T, hv, dv))
            for t in range(T):
                S = S * np.exp(g[t])[:, None, None]
                delta = (v[t] - np.einsum("hk,hkv->hv", k[t], S)) * beta[t][:, None]
                S = S + k[t][:, :, None] * delta[:, None, :]
                o[t] = np.einsum("hk,hkv->hv", q[t], S)
            gate = (x @ W[a_ + "g_proj.weight"].T).reshape(T, hv, dv)
            o = rmsnorm(o, W[a_ + "o_norm.weight"], 1e-5) * silu(gate)
            h = h + o.reshape(T, -1) @ W[a_ + "o_proj.weight"].T
            h = h + mlp(rmsnorm(h, W[p + "post_attention_layernorm.weight"], eps))
        else:
            a_ = p + "self_attn."
            q = rmsnorm(h @ W[a_ + "q_proj.weight"].T, W[a_ + "q_norm.weight"], eps).reshape(T, nh, hd)
            k = rmsnorm(h @ W[a_ + "k_proj.weight"].T, W[a_ + "k_norm.weight"], eps).reshape(T, nkv, hd)
            v = (h @ W[a_ + "v_proj.weight"].T).reshape(T, nkv, hd)
            if theta:
                pos = np.arange(T, dtype=np.float64)
                q, k = rope(q, pos, hd, theta), rope(k, pos, hd, theta)
            y = attention(q, k, v, hd ** -0.5).reshape(T, nh * hd) @ W[a_ + "o_proj.weight"].T
            h = h + rmsnorm(y, W[p + "post_attention_layernorm.weight"], eps)
            h = h + rmsnorm(mlp(h), W[p + "post_feedforward_layernorm.weight"], eps)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return rmsnorm(h, W["model.norm.weight"], eps) @ head.T


# ----------------------------------------------------------------------------
# RWKV-7
# ----------------------------------------------------------------------------

def layer_norm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rwkv7(cfg, W, ids):
    """fla's RWKV7ForCausalLM (RWKV7Block, RWKV7Attention, RWKV7FeedForward),
    recurrent form: S ← diag(e^w) S + (kk·a) ⊗ (Sᵀ(−kk)) + k ⊗ v, o = Sᵀ r."""
    D = cfg["hidden_size"]
    eps = cfg.get("norm_eps", 1e-5)
    K = cfg.get("head_dim") or D // cfg["num_heads"]
    H = D // K
    T = len(ids)
    ln = lambda x, n: layer_norm(x, W[n + ".weight"], W[n + ".bias"], eps)

    def lora(x, n, act, bias=True):
        y = x @ W[n + ".lora.0.weight"].T
        y = np.tanh(y) if act == "tanh" else sigmoid(y) if act == "sigmoid" else y
        y = y @ W[n + ".lora.2.weight"].T
        return y + W[n + ".lora.2.bias"] if bias else y

    def shift(x):
        return np.concatenate([np.zeros((1, x.shape[1])), x[:-1]], axis=0)

    h = W["model.embeddings.weight"][ids]
    v_first = None
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a_ = p + "attn."
        resid = ln(h, p + "pre_norm") if i == 0 and cfg.get("norm_first", True) else h
        x = ln(resid, p + "attn_norm")
        delta = shift(x) - x
        xr, xw, xk, xv, xa, xg = (x + delta * W[a_ + n].reshape(-1)
                                  for n in ("x_r", "x_w", "x_k", "x_v", "x_a", "x_g"))
        r = xr @ W[a_ + "r_proj.weight"].T
        w = -0.6065306597126334 * sigmoid(lora(xw, a_ + "w_lora", "tanh"))
        k = xk @ W[a_ + "k_proj.weight"].T
        v = xv @ W[a_ + "v_proj.weight"].T
        if i == 0:
            v_first = v
        else:
            v = v + (v_first - v) * sigmoid(lora(xv, a_ + "v_lora", None))
        a = sigmoid(lora(xa, a_ + "a_lora", None))
        g = lora(xg, a_ + "g_lora", "sigmoid", bias=False)
        kk = (k * W[a_ + "k_k"]).reshape(T, H, K)
        kk = kk / np.maximum(np.linalg.norm(kk, axis=-1, keepdims=True), 1e-12)
        k = k * (1 + (a - 1) * W[a_ + "k_a"])
        Vd = v.shape[1] // H
        r4, w4, k4, a4 = (t.reshape(T, H, K) for t in (r, w, k, a))
        v4 = v.reshape(T, H, Vd)
        S = np.zeros((H, K, Vd))
        o = np.zeros((T, H, Vd))
        for t in range(T):
            Sa = np.einsum("hkv,hk->hv", S, -kk[t])
            S = np.exp(w4[t])[:, :, None] * S + (kk[t] * a4[t])[:, :, None] * Sa[:, None, :] \
                + k4[t][:, :, None] * v4[t][:, None, :]
            o[t] = np.einsum("hkv,hk->hv", S, r4[t])
        mu = o.mean(axis=-1, keepdims=True)
        var = ((o - mu) ** 2).mean(axis=-1, keepdims=True)
        on = ((o - mu) / np.sqrt(var + K * eps)).reshape(T, -1) * W[a_ + "g_norm.weight"] \
            + W[a_ + "g_norm.bias"]
        bonus = (r4 * k4 * W[a_ + "r_k"]).sum(-1, keepdims=True) * v4
        o = (on + bonus.reshape(T, -1)) * g
        h = resid + o @ W[a_ + "o_proj.weight"].T
        x = ln(h, p + "ffn_norm")
        xk = x + (shift(x) - x) * W[p + "ffn.x_k"]
        h = h + (np.maximum(xk @ W[p + "ffn.key.weight"].T, 0) ** 2) @ W[p + "ffn.value.weight"].T
    head = W.get("lm_head.weight", W["model.embeddings.weight"])
    return ln(h, "model.norm") @ head.T


# ----------------------------------------------------------------------------
# Kimi Linear
# ----------------------------------------------------------------------------

def kimi_linear(cfg, W, ids):
    """Kimi Linear as the checkpoint's loaders define it (vLLM's kimi_linear /
    kda, HF's KimiLinear): KDA layers (separate q/k/v short convs, per-channel
    gate from f_a/f_b, sigmoid output gate), MLA without RoPE (the cache
    holds expanded keys / values), DeepSeek-V3 MoE with sigmoid routing."""
    eps = cfg.get("rms_norm_eps", 1e-5)
    D = cfg["hidden_size"]
    T = len(ids)
    lin = cfg["linear_attn_config"]
    H, dk = lin["num_heads"], lin["head_dim"]
    kda_layers = set(lin["kda_layers"])
    nh = cfg["num_attention_heads"]
    nope, rope_d, vdim, lr = (cfg["qk_nope_head_dim"], cfg.get("qk_rope_head_dim", 0),
                              cfg["v_head_dim"], cfg["kv_lora_rank"])
    E = cfg.get("num_experts") or cfg.get("n_routed_experts") or 0
    topk = cfg.get("num_experts_per_token") or cfg.get("num_experts_per_tok")
    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a_ = p + "self_attn."
        x = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
        if (i + 1) in kda_layers:
            q = silu(causal_conv(x @ W[a_ + "q_proj.weight"].T, W[a_ + "q_conv1d.weight"]))
            k = silu(causal_conv(x @ W[a_ + "k_proj.weight"].T, W[a_ + "k_conv1d.weight"]))
            v = silu(causal_conv(x @ W[a_ + "v_proj.weight"].T, W[a_ + "v_conv1d.weight"]))
            q, k, v = (t.reshape(T, H, dk) for t in (q, k, v))
            f = (x @ W[a_ + "f_a_proj.weight"].T) @ W[a_ + "f_b_proj.weight"].T
            g = -np.exp(W[a_ + "A_log"].reshape(H))[None, :, None] * \
                softplus(f.reshape(T, H, dk) + W[a_ + "dt_bias"].reshape(H, dk))
            beta = sigmoid(x @ W[a_ + "b_proj.weight"].T)
            l2 = lambda u: u / np.sqrt(np.sum(u * u, axis=-1, keepdims=True) + 1e-6)
            q, k = l2(q) / np.sqrt(dk), l2(k)
            S = np.zeros((H, dk, dk))
            o = np.zeros((T, H, dk))
            for t in range(T):
                S = S * np.exp(g[t])[:, :, None]
                delta = (v[t] - np.einsum("hkv,hk->hv", S, k[t])) * beta[t][:, None]
                S = S + k[t][:, :, None] * delta[:, None, :]
                o[t] = np.einsum("hkv,hk->hv", S, q[t])
            og = ((x @ W[a_ + "g_a_proj.weight"].T) @ W[a_ + "g_b_proj.weight"].T).reshape(T, H, dk)
            o = rmsnorm(o, W[a_ + "o_norm.weight"], eps) * sigmoid(og)
            y = o.reshape(T, -1) @ W[a_ + "o_proj.weight"].T
        else:
            q = (x @ W[a_ + "q_proj.weight"].T).reshape(T, nh, nope + rope_d)
            ca = x @ W[a_ + "kv_a_proj_with_mqa.weight"].T
            lat = rmsnorm(ca[:, :lr], W[a_ + "kv_a_layernorm.weight"], eps)
            k_pe = ca[:, lr:]
            kv = (lat @ W[a_ + "kv_b_proj.weight"].T).reshape(T, nh, nope + vdim)
            k = np.concatenate([kv[..., :nope], np.repeat(k_pe[:, None, :], nh, axis=1)], axis=-1)
            v = kv[..., nope:]
            o = attention(q, k, v, (nope + rope_d) ** -0.5)
            y = o.reshape(T, -1) @ W[a_ + "o_proj.weight"].T
        h = h + y
        x = rmsnorm(h, W[p + "post_attention_layernorm.weight"], eps)
        if E and i >= cfg.get("first_k_dense_replace", 0) and i % cfg.get("moe_layer_freq", 1) == 0:
            m_ = p + "block_sparse_moe."
            scores = sigmoid(x @ W[m_ + "gate.weight"].T)
            choice = scores + W[m_ + "gate.e_score_correction_bias"]
            out = np.zeros_like(x)
            for t in range(T):
                top = np.argsort(-choice[t], kind="stable")[:topk]
                w = scores[t, top]
                if cfg.get("moe_renormalize", True):
                    w = w / w.sum()
                w = w * cfg.get("routed_scaling_factor", 1.0)
                for j, wj in zip(top, w):
                    e_ = m_ + "experts.%d." % j
                    out[t] += wj * swiglu(x[t:t + 1], W[e_ + "w1.weight"], W[e_ + "w3.weight"],
                                          W[e_ + "w2.weight"])[0]
            if cfg.get("num_shared_experts", 0):
                s_ = m_ + "shared_experts."
                out += swiglu(x, W[s_ + "gate_proj.weight"], W[s_ + "up_proj.weight"],
                              W[s_ + "down_proj.weight"])
            h = h + out
        else:
            h = h + swiglu(x, W[p + "mlp.gate_proj.weight"], W[p + "mlp.up_proj.weight"],
                           W[p + "mlp.down_proj.weight"])
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return rmsnorm(h, W["model.norm.weight"], eps) @ head.T


FAMILIES = {"kimi_linear": kimi_linear, "rwkv7": rwkv7, "olmo_hybrid": olmo_hybrid, "xlstm": xlstm, "recurrent_gemma": recurrent_gemma, "qwen3_next": qwen3_next, "mamba2": mamba2, "granitemoehybrid": granite,
            "jamba": jamba, "mamba": mamba}


def main():
    cfg = json.load(open(sys.argv[1]))
    W = read_safetensors(sys.argv[2])
    ids = np.array([int(t) for t in sys.argv[3].split(",")])
    np.save(sys.argv[4], FAMILIES[cfg["model_type"]](cfg, W, ids))


if __name__ == "__main__":
    main()
