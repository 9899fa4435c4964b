#!/usr/bin/python3
"""The PyTorch peer of the model benchmark: Qwen3-Next's architecture (Gated DeltaNet
layers with their short conv and output gate, gated attention with partial RoPE and
q/k norms, SwiGLU MLPs, zero-centred RMSNorms) in float32 eager PyTorch, on the
weights `hymir-import --random-weights` wrote, by the checkpoint's tensor names.
Prefill runs the whole prompt (the Gated DeltaNet recurrence token by token, as
fla's fused_recurrent does; attention as masked matmuls); decode carries the same
states Hymir's model module returns (conv window, delta-rule state, KV cache).

  qwen3_next_torch.py CONFIG.json WEIGHTS.safetensors --prompt-ids=1,2,3 --generate=N
                      [--threads=N]

Prints the generated ids and prefill / decode tokens per second, in the format of
`hymir-run --generate`, so bench/models/run.sh can compare them (and check that
both generate the same ids). Written for Debian's python3-torch (1.13).
"""

import argparse
import json
import struct
import sys
import time

import torch
import torch.nn.functional as F


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit("%s: dtype %s (the peer reads F32 only)" % (name, info["dtype"]))
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(
            info["shape"])
    return out


def zc_norm(x, w, eps):
    """Qwen3-Next's zero-centred RMSNorm: x / rms(x) * (1 + w)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + w)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class Qwen3Next:
    def __init__(self, cfg, W):
        self.cfg, self.W = cfg, W
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        n = cfg["num_hidden_layers"]
        interval = cfg.get("full_attention_interval", 4)
        self.types = cfg.get("layer_types") or [
            "full_attention" if (i + 1) % interval == 0 else "linear_attention"
            for i in range(n)]
        self.hk, self.hv = cfg["linear_num_key_heads"], cfg["linear_num_value_heads"]
        self.dk, self.dv = cfg["linear_key_head_dim"], cfg["linear_value_head_dim"]
        self.kconv = cfg.get("linear_conv_kernel_dim", 4)
        self.h, self.hkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.d = cfg.get("head_dim", cfg["hidden_size"] // self.h)
        self.rot = int(self.d * cfg.get("partial_rotary_factor", 0.25))
        theta = float(cfg.get("rope_theta", 10000.0))
        self.inv_freq = theta ** (-torch.arange(0, self.rot, 2, dtype=torch.float32) / self.rot)

    # -- layers ---------------------------------------------------------------
    def gdn(self, p, x, state):
        """x [T, hidden]; state = (conv window [K-1, C], S [HV, K, V]) or None."""
        W, T = self.W, x.shape[0]
        hk, hv, dk, dv = self.hk, self.hv, self.dk, self.dv
        r = hv // hk
        qkvz = (x @ W[p + "in_proj_qkvz.weight"].T).reshape(T, hk, 2 * dk + 2 * r * dv)
        q, k = qkvz[..., :dk], qkvz[..., dk:2 * dk]
        v = qkvz[..., 2 * dk:2 * dk + r * dv].reshape(T, hv, dv)
        z = qkvz[..., 2 * dk + r * dv:].reshape(T, hv, dv)
        ba = (x @ W[p + "in_proj_ba.weight"].T).reshape(T, hk, 2 * r)
        b, a = ba[..., :r].reshape(T, hv), ba[..., r:].reshape(T, hv)
        mixed = torch.cat([q.reshape(T, -1), k.reshape(T, -1), v.reshape(T, -1)], dim=1)
        C = mixed.shape[1]
        window = state[0] if state else torch.zeros(self.kconv - 1, C)
        padded = torch.cat([window, mixed], dim=0)           # [K-1+T, C]
        w = W[p + "conv1d.weight"]                           # [C, 1, K]
        conv = F.conv1d(padded.T.unsqueeze(0), w, groups=C)[0].T
        mixed = F.silu(conv)
        new_window = padded[-(self.kconv - 1):]
        q = mixed[:, :hk * dk].reshape(T, hk, dk).repeat_interleave(r, dim=1)
        k = mixed[:, hk * dk:2 * hk * dk].reshape(T, hk, dk).repeat_interleave(r, dim=1)
        v = mixed[:, 2 * hk * dk:].reshape(T, hv, dv)
        beta = torch.sigmoid(b)
        g = -torch.exp(W[p + "A_log"]) * F.softplus(a + W[p + "dt_bias"])
        q = q * torch.rsqrt(q.pow(2).sum(-1, keepdim=True) + 1e-6) / dk ** 0.5
        k = k * torch.rsqrt(k.pow(2).sum(-1, keepdim=True) + 1e-6)
        S = state[1].clone() if state else torch.zeros(hv, dk, dv)
        o = torch.empty(T, hv, dv)
        decay = torch.exp(g)
        for t in range(T):
            S.mul_(decay[t][:, None, None])
            mem = torch.einsum("hk,hkv->hv", k[t], S)
            delta = (v[t] - mem) * beta[t][:, None]
            S.add_(k[t][:, :, None] * delta[:, None, :])
            o[t] = torch.einsum("hk,hkv->hv", q[t], S)
        o = rms_norm(o, W[p + "norm.weight"], self.eps) * F.silu(z)
        return o.reshape(T, -1) @ W[p + "out_proj.weight"].T, (new_window, S)

    def rope(self, x, pos):
        ang = pos[:, None] * self.inv_freq[None, :]
        cos = torch.cat([ang.cos()] * 2, dim=1)[:, None, :]
        sin = torch.cat([ang.sin()] * 2, dim=1)[:, None, :]
        xr, rest = x[..., :self.rot], x[..., self.rot:]
        half = self.rot // 2
        rot_half = torch.cat([-xr[..., half:], xr[..., :half]], dim=-1)
        return torch.cat([xr * cos + rot_half * sin, rest], dim=-1)

    def attention(self, p, x, cache, start):
        W, T, h, hkv, d = self.W, x.shape[0], self.h, self.hkv, self.d
        qg = (x @ W[p + "q_proj.weight"].T).reshape(T, h, 2 * d)
        q, gate = qg[..., :d], qg[..., d:].reshape(T, h * d)
        k = (x @ W[p + "k_proj.weight"].T).reshape(T, hkv, d)
        v = (x @ W[p + "v_proj.weight"].T).reshape(T, hkv, d)
        q = zc_norm(q, W[p + "q_norm.weight"], self.eps)
        k = zc_norm(k, W[p + "k_norm.weight"], self.eps)
        pos = torch.arange(start, start + T, dtype=torch.float32)
        q, k = self.rope(q, pos), self.rope(k, pos)
        if cache:
            k = torch.cat([cache[0], k], dim=0)
            v = torch.cat([cache[1], v], dim=0)
        L = k.shape[0]
        rep = h // hkv
        kk = k.repeat_interleave(rep, dim=1).transpose(0, 1)   # [h, L, d]
        vv = v.repeat_interleave(rep, dim=1).transpose(0, 1)
        s = torch.matmul(q.transpose(0, 1), kk.transpose(1, 2)) * d ** -0.5   # [h, T, L]
        mask = torch.ones(T, L, dtype=torch.bool).tril(diagonal=L - T)
        s = s.masked_fill(~mask, float("-inf"))
        o = torch.matmul(torch.softmax(s, dim=-1), vv).transpose(0, 1).reshape(T, h * d)
        o = o * torch.sigmoid(gate)
        return o @ W[p + "o_proj.weight"].T, (k, v)

    # -- model ----------------------------------------------------------------
    def forward(self, ids, states, start):
        W, eps = self.W, self.eps
        h = W["model.embed_tokens.weight"][ids]
        new_states = []
        for i, kind in enumerate(self.types):
            p = "model.layers.%d." % i
            x = zc_norm(h, W[p + "input_layernorm.weight"], eps)
            st = states[i] if states else None
            if kind == "linear_attention":
                y, st = self.gdn(p + "linear_attn.", x, st)
            else:
                y, st = self.attention(p + "self_attn.", x, st, start)
            new_states.append(st)
            h = h + y
            x = zc_norm(h, W[p + "post_attention_layernorm.weight"], eps)
            h = h + (F.silu(x @ W[p + "mlp.gate_proj.weight"].T) *
                     (x @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
        head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
        return zc_norm(h, W["model.norm.weight"], eps) @ head.T, new_states


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("weights")
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--generate", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.load(open(args.config))
    if cfg.get("num_experts", 0):
        sys.exit("the peer implements the dense MLP only")
    model = Qwen3Next(cfg, read_safetensors(args.weights))
    ids = torch.tensor([int(t) for t in args.prompt_ids.split(",")])
    with torch.no_grad():
        t0 = time.perf_counter()
        logits, states = model.forward(ids, None, 0)
        t1 = time.perf_counter()
        out = [int(logits[-1].argmax())]
        pos = len(ids)
        for _ in range(args.generate - 1):
            logits, states = model.forward(torch.tensor([out[-1]]), states, pos)
            pos += 1
            out.append(int(logits[-1].argmax()))
        t2 = time.perf_counter()
    print(",".join(map(str, out)))
    print("prefill: %d tokens in %.3f s (%.1f tokens/s)" % (len(ids), t1 - t0, len(ids) / (t1 - t0)))
    n = args.generate - 1
    if n:
        print("decode: %d tokens in %.3f s (%.1f tokens/s)" % (n, t2 - t1, n / (t2 - t1)))


if __name__ == "__main__":
    main()
