"""bf16 variants of the gallery for the checkers (check_gallery.py --bf16, check_long.py's bf16
regime).

``make_variants(hymir_opt, examples, names, out_dir)``
    writes out_dir/NAME.mlir = ``hymir-opt --hymir-narrow-inputs examples/NAME.mlir`` (float
    activations taken as bf16; recurrent states, results and all arithmetic f32) and returns
    {name: indices of the arguments the variant takes in bf16}, read back from its signature.
``round_bf16(a)``
    float32 ``a`` rounded to the nearest bfloat16 (ties to even) on its bits, as float32: what
    hymir-run does to a bf16 argument, written independently of it, so that the float64 oracle
    sees exactly the values the compiled code sees.
"""

import os
import re
import subprocess

import numpy as np


class VariantError(Exception):
    pass


def round_bf16(a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = bits.astype(np.uint32).view(np.float32).reshape(a.shape)
    return np.where(np.isnan(a), a, out)


def bf16_arguments(path):
    """Indices of the arguments of @main in `path` that are bf16 tensors."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"func\.func @main\((.*?)\)\s*->", text, re.S)
    if not m:
        raise VariantError("no @main in %s" % path)
    types = re.findall(r"%\w+\s*:\s*tensor<([^>]*)>", m.group(1))
    return [i for i, t in enumerate(types) if t.endswith("xbf16") or t == "bf16"]


def make_variants(hymir_opt, examples, names, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    narrow = {}
    for name in names:
        src = os.path.join(examples, name + ".mlir")
        dst = os.path.join(out_dir, name + ".mlir")
        p = subprocess.run([hymir_opt, src, "--hymir-narrow-inputs", "-o", dst],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            raise VariantError("hymir-opt --hymir-narrow-inputs %s: exit %d: %s"
                               % (src, p.returncode, p.stderr.strip()[-600:]))
        narrow[name] = bf16_arguments(dst)
        if not narrow[name]:
            raise VariantError("the bf16 variant of %s takes no bf16 argument" % name)
    return narrow


def round_arguments(args, indices):
    """`args` (float32-representable arrays) with those at `indices` rounded to bf16."""
    return [round_bf16(a) if i in indices else a for i, a in enumerate(args)]
