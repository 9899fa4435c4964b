#!/usr/bin/python3
"""Writes the hand-made seed inputs of fuzz/corpus/ (run with Debian's python3,
which has numpy): run it after adding gallery files or lit tests.

  hymir-fuzz-ir           every examples/ops/*.mlir and every split
                          (`// -----`) of test/Dialect/Hymir/*.mlir, comments
                          stripped: gallery-*.mlir, test-*.mlir
  hymir-fuzz-npy          valid .npy files of every dtype, rank 0..8, format
                          1.0/2.0/3.0, and one file per rejection class
  hymir-fuzz-safetensors  valid files of every dtype, metadata, empty
                          tensors, and one file per rejection class
  hymir-fuzz-reference    for every gallery entry point, inputs of B=1 T=3,
                          B=2 T=5, per-argument dims and hostile mode

Inputs that libFuzzer added (`scripts/fuzz.sh --merge`, named by their SHA-1)
are left alone; seeds of the same name are overwritten.
"""

import io
import json
import os
import random
import re
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("HYMIR_FUZZ_CORPUS") or os.path.join(ROOT, "fuzz", "corpus")


def out_dir(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    return d


def write(target, name, data):
    mode = "w" if isinstance(data, str) else "wb"
    with open(os.path.join(out_dir(target), name), mode) as f:
        f.write(data)


# --- hymir-fuzz-ir -----------------------------------------------------------

def strip_comment(line):
    i = line.find("//")
    if i >= 0 and '"' not in line[:i]:
        line = line[:i]
    return line.rstrip()


def ir_seeds():
    srcs = [("gallery-", os.path.join("examples", "ops")),
            ("test-", os.path.join("test", "Dialect", "Hymir"))]
    n = 0
    for prefix, d in srcs:
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            if not f.endswith(".mlir"):
                continue
            text = open(os.path.join(ROOT, d, f)).read()
            parts = re.split(r"^// -----.*$", text, flags=re.M)
            base = f[:-5]
            for i, part in enumerate(parts):
                lines = [strip_comment(l) for l in part.splitlines()]
                body = "\n".join(l for l in lines if l.strip()) + "\n"
                if not body.strip():
                    continue
                name = (f"{prefix}{base}.mlir" if len(parts) == 1
                        else f"{prefix}{base}-{i:03d}.mlir")
                write("hymir-fuzz-ir", name, body)
                n += 1
    return n


# --- hymir-fuzz-npy ----------------------------------------------------------

def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a, allow_pickle=False)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def npy_raw(header, data=b"", major=1):
    h = header.encode("latin1")
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h += b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes([major, 0]) + struct.pack("<H", len(h)) + h + data


def npy_seeds():
    r = np.random.default_rng(0)
    f32 = r.standard_normal((2, 3)).astype(np.float32)
    good = npy_bytes(f32)
    seeds = {
        "f32_2x3.npy": good,
        "f64_scalar.npy": npy_bytes(np.array(3.5)),
        "f16_5.npy": npy_bytes(r.standard_normal(5).astype(np.float16)),
        "i32_4x1x2.npy": npy_bytes(np.arange(8, dtype=np.int32).reshape(4, 1, 2)),
        "i64_3.npy": npy_bytes(np.array([-1, 0, 2**62], dtype=np.int64)),
        "i8_2x2.npy": npy_bytes(np.array([[-128, 127], [0, 1]], dtype=np.int8)),
        "f32_empty_0x4.npy": npy_bytes(np.zeros((0, 4), np.float32)),
        "f32_rank8.npy": npy_bytes(np.ones((1, 2, 1, 2, 1, 2, 1, 1), np.float32)),
        "f32_nonfinite.npy": npy_bytes(np.array([np.nan, np.inf, -np.inf, -0.0], np.float32)),
        "f32_v2.npy": npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3), (2, 0)),
        "f64_v3.npy": npy_bytes(np.arange(3, dtype=np.float64), (3, 0)),
        "bad_magic.npy": b"\x93NUMPZ" + good[6:],
        "bad_version.npy": good[:6] + b"\x04\x00" + good[8:],
        "truncated_data.npy": good[:-5],
        "trailing_bytes.npy": good + b"\0\0\0\0",
        "truncated_header.npy": good[:40],
        "big_endian.npy": npy_raw("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", b"\0" * 8),
        "fortran.npy": npy_raw("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", b"\0" * 16),
        "complex.npy": npy_raw("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", b"\0" * 8),
        "structured.npy": npy_raw("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", b"\0" * 4),
        "negative_dim.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }"),
        "huge_dims.npy": npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"),
        "rank9.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", b"\0" * 4),
        "dup_key.npy": npy_raw("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", b"\0" * 4),
        "missing_key.npy": npy_raw("{'descr': '<f4', 'shape': (1,), }", b"\0" * 4),
        "unknown_key.npy": npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }", b"\0" * 4),
        "dq_strings.npy": npy_raw('{"descr": "<i4", "fortran_order": False, "shape": (1,)}', b"\0" * 4),
        "no_trailing_comma.npy": npy_raw("{'descr':'<i8','fortran_order':False,'shape':(2,)}", b"\0" * 16),
        "header_len_huge.npy": b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFFF) + b"{'descr'",
        "empty.npy": b"",
        "magic_only.npy": b"\x93NUMPY",
    }
    for name, data in seeds.items():
        write("hymir-fuzz-npy", name, data)
    return len(seeds)


# --- hymir-fuzz-safetensors --------------------------------------------------

def st_bytes(tensors, metadata=None, raw_header=None, trailing=b""):
    """tensors: (name, dtype, shape, bytes); the header is padded to 8."""
    hdr, data = {}, b""
    if metadata is not None:
        hdr["__metadata__"] = metadata
    for name, dt, shape, b in tensors:
        hdr[name] = {"dtype": dt, "shape": list(shape),
                     "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    if raw_header is None:
        h = json.dumps(hdr, separators=(",", ":")).encode()
        h += b" " * ((8 - len(h) % 8) % 8)
    else:
        h = raw_header
    return struct.pack("<Q", len(h)) + h + data + trailing


def safetensors_seeds():
    r = np.random.default_rng(0)
    f32 = r.standard_normal((2, 3)).astype(np.float32)
    one = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'
    seeds = {
        "f32_one.safetensors": st_bytes([("w", "F32", (2, 3), f32.tobytes())]),
        "mixed.safetensors": st_bytes(
            [("a.A_log", "F32", (4,), np.arange(4, dtype=np.float32).tobytes()),
             ("b.bias", "BF16", (2, 2), b"\x80\x3f" * 4),
             ("c.half", "F16", (3,), np.ones(3, np.float16).tobytes()),
             ("d.idx", "I64", (2,), np.array([1, -1], np.int64).tobytes()),
             ("e.i32", "I32", (1, 1), np.array([[7]], np.int32).tobytes()),
             ("f.i8", "I8", (3,), b"\x01\xff\x00"),
             ("g.f64", "F64", (), np.array(2.5).tobytes())],
            metadata={"format": "pt"}),
        "other_dtypes.safetensors": st_bytes(
            [("bool", "BOOL", (2,), b"\x00\x01"), ("u8", "U8", (1,), b"\x07"),
             ("u16", "U16", (1,), b"\x01\x00"), ("fp8", "F8_E4M3", (2,), b"\x38\x40"),
             ("c64", "C64", (1,), b"\0" * 8)]),
        "empty_tensor.safetensors": st_bytes([("z", "F32", (0, 4), b"")]),
        "no_tensors.safetensors": st_bytes([]),
        "metadata_only.safetensors": st_bytes([], metadata={"k": "v", "format": "np"}),
        "rank8.safetensors": st_bytes([("r8", "F32", (1, 1, 1, 1, 1, 1, 1, 2), b"\0" * 8)]),
        "unicode_name.safetensors": st_bytes([("modèle.poids", "F32", (1,), b"\0\0\x80\x3f")]),
        "short.safetensors": b"\x08\0\0\0",
        "header_too_long.safetensors": struct.pack("<Q", 1 << 40) + b"{}",
        "bad_json.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F32",'),
        "bad_utf8.safetensors": st_bytes([], raw_header=one.replace(b'"w"', b'"\xff\xfe"') + b"}", trailing=b"\0" * 4),
        "dup_name.safetensors": st_bytes([], raw_header=one + b"," + one[1:] + b"}", trailing=b"\0" * 4),
        "unknown_key.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}', trailing=b"\0" * 4),
        "missing_key.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F32","shape":[1]}}', trailing=b"\0" * 4),
        "unknown_dtype.safetensors": st_bytes([("w", "Q7", (1,), b"\0")]),
        "negative_dim.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', trailing=b"\0" * 4),
        "huge_dims.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}', trailing=b"\0" * 8),
        "rank9.safetensors": st_bytes([("w", "F32", (1,) * 9, b"\0" * 4)]),
        "size_mismatch.safetensors": st_bytes([("w", "F32", (2,), b"\0" * 4)]),
        "overlap.safetensors": st_bytes([], raw_header=b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', trailing=b"\0" * 8),
        "hole.safetensors": st_bytes([], raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', trailing=b"\0" * 8),
        "out_of_bounds.safetensors": st_bytes([], raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', trailing=b"\0" * 2),
        "trailing.safetensors": st_bytes([("w", "F32", (1,), b"\0" * 4)], trailing=b"\0" * 4),
        "metadata_not_string.safetensors": st_bytes([], raw_header=b'{"__metadata__":{"k":1}}'),
        "escapes.safetensors": st_bytes([], raw_header=b'{"a\\u00e9\\n\\"\\ud83d\\ude00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', trailing=b"\0" * 4),
        "lone_surrogate.safetensors": st_bytes([], raw_header=b'{"a\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', trailing=b"\0" * 4),
        "deep_nesting.safetensors": st_bytes([], raw_header=b'{"__metadata__":' + b"[" * 5000 + b"]" * 5000 + b"}"),
        "numbers.safetensors": st_bytes([], raw_header=b'{"w":{"dtype":"F32","shape":[1e3, 2.0, 0x10],"data_offsets":[0,4]}}', trailing=b"\0" * 4),
    }
    for name, data in seeds.items():
        write("hymir-fuzz-safetensors", name, data)
    return len(seeds)


# --- hymir-fuzz-reference ----------------------------------------------------

def reference_seeds():
    """FuzzedDataProvider takes integers from the end of the input: the
    module index, the mode, then 8 dynamic dims (each byte % 7); the element
    bytes (b < 240 is (b - 120) / 30) come after, also from the end."""
    rnd = random.Random(1)
    files = sorted(f for f in os.listdir(os.path.join(ROOT, "examples", "ops"))
                   if f.endswith(".mlir"))

    def seed(idx, mode, dims, nbytes):
        payload = bytes(rnd.randrange(240) for _ in range(nbytes))
        return payload + bytes(reversed([idx, mode] + dims))

    n = 0
    for i, f in enumerate(files):  # one public function per gallery file
        base = f[:-5]
        write("hymir-fuzz-reference", f"{base}-b1t3", seed(i, 0, [1, 3] + [1] * 6, 3000))
        write("hymir-fuzz-reference", f"{base}-b2t5", seed(i, 0, [2, 5] + [2] * 6, 6000))
        write("hymir-fuzz-reference", f"{base}-per-arg", seed(i, 6, [1, 2] + [1] * 6, 500))
        write("hymir-fuzz-reference", f"{base}-hostile", seed(i, 7, [1, 2] + [1] * 6, 300))
        n += 4
    return n


if __name__ == "__main__":
    counts = {
        "hymir-fuzz-ir": ir_seeds(),
        "hymir-fuzz-npy": npy_seeds(),
        "hymir-fuzz-safetensors": safetensors_seeds(),
        "hymir-fuzz-reference": reference_seeds(),
    }
    for target, n in counts.items():
        print(f"{target}: {n} seeds")
    sys.exit(0)
