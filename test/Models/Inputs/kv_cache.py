"""Model format 2's KV-cache states, as a runner sees them (docs/models.md).

kv_states(MODEL.mlir) reads @decode's signature and returns the state
indices (0 = the first state, i.e. @decode's argument #1) that carry
{hymir.kv_cache} and {hymir.kv_lengths}. grow(cache, capacity, rng) copies a
cache into a [B, capacity, ...] buffer along axis 1, as the runners do: the
new rows are zeros, or random values with an rng (rows past lengths must not
matter).
"""
import re

import numpy as np


def _decode_args(text):
    start = text.index("func.func @decode(")
    i = start + len("func.func @decode(")
    depth, args, cur = 1, [], ""
    while depth:
        c = text[i]
        if c in "(<{[":
            depth += 1
        elif c in ")>}]":
            depth -= 1
        if depth == 1 and c == ",":
            args.append(cur)
            cur = ""
        elif depth:
            cur += c
        i += 1
    args.append(cur)
    return args


def kv_states(model):
    with open(model) as f:
        text = f.read()
    if not re.search(r"hymir\.model_format\s*=\s*2\b", text):
        raise SystemExit("%s: not a model of format 2" % model)
    args = _decode_args(text)[1:]  # drop the tokens
    caches = [i for i, a in enumerate(args) if "hymir.kv_cache" in a]
    lengths = [i for i, a in enumerate(args) if "hymir.kv_lengths" in a]
    return caches, lengths


def grow(cache, capacity, rng=None):
    b, c = cache.shape[:2]
    assert capacity >= c, (capacity, c)
    shape = (b, capacity) + cache.shape[2:]
    if rng is None:
        out = np.zeros(shape, cache.dtype)
    else:
        out = rng.standard_normal(shape).astype(cache.dtype)
    out[:, :c] = cache
    return out
