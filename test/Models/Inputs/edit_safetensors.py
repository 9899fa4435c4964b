"""Rewrites a safetensors file with one defect, for the weight-binding tests.

  edit_safetensors.py IN OUT drop NAME        the file without tensor NAME
  edit_safetensors.py IN OUT reshape NAME     NAME flattened to 1-D
  edit_safetensors.py IN OUT retype NAME      NAME as I32 instead of F32
  edit_safetensors.py IN OUT truncate N       the first N bytes of IN
  edit_safetensors.py IN OUT list             prints the tensor names, one a line
  edit_safetensors.py IN OUT convert DTYPE    every F32 tensor as BF16 or F16
                                              (rounded to nearest even)
  edit_safetensors.py IN OUT zero REGEX       every tensor whose name matches
                                              REGEX (re.search) set to 0

Only F32 and I32 tensors are handled (what hymir-run --random-weights writes
for the models of examples/models/).
"""
import json
import re
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "I32": np.int32}


class BF16(np.ndarray):
    """bfloat16 bits (uint16) of a float32 array, for `write`."""


def to_bf16(a):
    bits = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return bits.astype(np.uint16).view(BF16)


def read(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name]
        if isinstance(a, BF16):
            dtype = "BF16"
        else:
            a = np.ascontiguousarray(a)
            dtype = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32",
                     np.dtype(np.float16): "F16"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    src, dst, op = sys.argv[1:4]
    if op == "truncate":
        open(dst, "wb").write(open(src, "rb").read()[:int(sys.argv[4])])
        return
    tensors = read(src)
    if op == "list":
        print("\n".join(sorted(tensors)))
        return
    name = sys.argv[4]
    if op == "convert":
        for k in tensors:
            tensors[k] = to_bf16(tensors[k]) if name == "BF16" else tensors[k].astype(np.float16)
    elif op == "zero":
        hits = [k for k in tensors if re.search(name, k)]
        if not hits:
            sys.exit("no tensor matches " + name)
        for k in hits:
            tensors[k] = np.zeros_like(tensors[k])
    elif op == "drop":
        del tensors[name]
    elif op == "reshape":
        tensors[name] = tensors[name].reshape(-1)
    elif op == "retype":
        tensors[name] = tensors[name].astype(np.int32)
    else:
        sys.exit("unknown operation " + op)
    write(dst, tensors)


if __name__ == "__main__":
    main()
