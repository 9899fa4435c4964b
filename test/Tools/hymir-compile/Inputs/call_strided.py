"""Loads the shared library emit-so.mlir builds (argv[1]) with ctypes, calls
_mlir_ciface_strided on a 4x4 matrix through the C interface the generated
header documents, prints the result and frees its buffer."""
import ctypes
import sys


class Memref2(ctypes.Structure):
    _fields_ = [("allocated", ctypes.POINTER(ctypes.c_float)),
                ("aligned", ctypes.POINTER(ctypes.c_float)),
                ("offset", ctypes.c_int64),
                ("sizes", ctypes.c_int64 * 2),
                ("strides", ctypes.c_int64 * 2)]


lib = ctypes.CDLL(sys.argv[1])
data = (ctypes.c_float * 16)(*range(16))
ptr = ctypes.cast(data, ctypes.POINTER(ctypes.c_float))
x = Memref2(ptr, ptr, 0, (4, 4), (4, 1))
result = Memref2()
lib._mlir_ciface_strided(ctypes.byref(result), ctypes.byref(x))
print("sizes", list(result.sizes), "strides", list(result.strides))
print("values", [result.aligned[result.offset + i] for i in range(8)])
libc = ctypes.CDLL(None)
libc.free.argtypes = [ctypes.c_void_p]
libc.free(ctypes.cast(result.allocated, ctypes.c_void_p))
