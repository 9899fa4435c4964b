"""Calls @prefill of a model compiled by hymir-compile --emit=so (ctypes).

  call_compiled_prefill.py M.so W.safetensors TOKENS.npy EXPECTED_LOGITS.npy

Fills every exported weight buffer "hymir.weight.<name>" from the f32 tensor
<name> of W.safetensors (the size of the buffer is the tensor's: the symbol
table gives it), calls _mlir_ciface_prefill on the [B, T] i32 tokens and
requires the logits (result 0) to equal EXPECTED_LOGITS.npy (<= 1e-5
relative). Prints "OK".

Why not bit-exact: the JIT runs the model on one thread per core (OpenMP),
the shared library on one, and a loop of libmvec's functions (the rotary
angles' sin and cos) may run as its vector copy in one and its scalar copy in
the other, which round differently; so the logits may differ in the last
bits. (Before buffers came from aligned_alloc, the heap layout picked copies
too: once more than 1e-6 apart, in CI under ASan.) A missing or misplaced
weight changes them at O(1).
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import edit_safetensors  # noqa: E402


def descriptor(rank):
    class D(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]
    return D


def main():
    so, weights, tokens, expected = sys.argv[1:5]
    lib = ctypes.CDLL(os.path.abspath(so))
    # Weight symbols and sizes from the dynamic symbol table.
    sizes = {}
    for line in subprocess.run(["nm", "-D", "-S", "--defined-only", so], check=True,
                               capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith("hymir.weight."):
            sizes[parts[3][len("hymir.weight."):]] = int(parts[1], 16)
    tensors = edit_safetensors.read(weights)
    assert sizes and set(sizes) <= set(tensors), sorted(set(sizes) - set(tensors))
    for name, nbytes in sizes.items():
        data = np.ascontiguousarray(tensors[name], np.float32).tobytes()
        assert len(data) == nbytes, (name, len(data), nbytes)
        address = ctypes.addressof(ctypes.c_char.in_dll(lib, "hymir.weight." + name))
        ctypes.memmove(address, data, nbytes)
    ids = np.ascontiguousarray(np.load(tokens), np.int32)
    want = np.load(expected)
    # Results: logits [B, T, V] then the states; all descriptors are 8-byte
    # words, so a struct of descriptors is a plain array of words.
    n_results = 10  # tiny_qwen3_next: logits + 9 states (k3, v3, len3 last)
    ranks = [3, 3, 4, 3, 4, 3, 4, 4, 4, 1]
    words = sum(3 + 2 * r for r in ranks[:n_results])
    results = (ctypes.c_int64 * words)()
    T = descriptor(2)
    tok = T(ids.ctypes.data, ids.ctypes.data, 0, (ctypes.c_int64 * 2)(*ids.shape),
            (ctypes.c_int64 * 2)(ids.shape[1], 1))
    lib._mlir_ciface_prefill(ctypes.byref(results), ctypes.byref(tok))
    aligned, offset = results[1], results[2]
    shape = tuple(results[3:6])
    assert shape == want.shape, (shape, want.shape)
    got = np.ctypeslib.as_array(ctypes.cast(aligned, ctypes.POINTER(ctypes.c_float)),
                                shape=(int(np.prod(shape)) + offset,))[offset:].reshape(shape)
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    print("logits %s: %.3g" % ("x".join(map(str, shape)), err))
    if not err <= 1e-5:
        sys.exit("FAIL")
    print("OK")


if __name__ == "__main__":
    main()
