// The output protocol of hymir-run: DIR is created if missing, stale
// out*.npy are removed, results are out0.npy, out1.npy, ... in result order,
// float32 by default or the reference's float64 values with
// --output-dtype=f64, and a failed run leaves no out*.npy.

// The reference computes in float64: S_t = S_{t-1} + tanh(x_t * w), o_t = S_t.
// DEFINE: %{check} = import sys, numpy as np; x, w, s0 = [np.load(p).astype(np.float64) for p in sys.argv[1:4]]; o = np.load(sys.argv[4] + '/out0.npy'); s = np.load(sys.argv[4] + '/out1.npy'); assert o.dtype.str == '<' + sys.argv[5] and s.dtype.str == '<' + sys.argv[5], (o.dtype, s.dtype); assert o.flags.c_contiguous; ref = s0[:, None, :] + np.cumsum(np.tanh(x * w), axis=1); tol = 1e-15 if sys.argv[5] == 'f8' else 1e-7; assert np.allclose(o, ref, rtol=tol, atol=0) and np.allclose(s, ref[:, -1], rtol=tol, atol=0), (o, ref)
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.arange(12, dtype=np.float32).reshape(2, 3, 2) / 10); np.save('%t/w.npy', np.array([0.1, 3.0], np.float32)); np.save('%t/s.npy', np.array([[1, 2], [3, 4]], np.float32))"

// A fresh, nested output directory.
// RUN: hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/s.npy --output=%t/a/b
// RUN: %python -c "%{check}" %t/x.npy %t/w.npy %t/s.npy %t/a/b f4

// Stale outputs go, other files stay; f64 output keeps the float64 values.
// RUN: mkdir -p %t/c && touch %t/c/out0.npy %t/c/out7.npy %t/c/out_old.npy %t/c/keep.txt
// RUN: hymir-run %s --reference --output-dtype=f64 --input=%t/x.npy --input=%t/w.npy --input=%t/s.npy --output=%t/c
// RUN: not ls %t/c/out7.npy
// RUN: not ls %t/c/out_old.npy
// RUN: ls %t/c/keep.txt
// RUN: %python -c "%{check}" %t/x.npy %t/w.npy %t/s.npy %t/c f8

// A failed run removes the previous results.
// RUN: not hymir-run %s --reference --input=%t/x.npy --output=%t/c
// RUN: not ls %t/c/out0.npy
// RUN: not ls %t/c/out1.npy
// RUN: ls %t/c/keep.txt

// Chaining: the final state of one run, read from DIR, feeds the next run
// into the same DIR (inputs are read before stale outputs are removed).
// RUN: hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/s.npy --output=%t/c
// RUN: hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/c/out1.npy --output=%t/c
// RUN: %python -c "import numpy as np; s = np.load('%t/c/out1.npy'); x = np.load('%t/x.npy').astype(np.float64); w = np.array([0.1, 3.0], np.float32).astype(np.float64); ref = np.array([[1, 2], [3, 4]]) + 2 * np.tanh(x * w).sum(axis=1); assert np.allclose(s, ref, rtol=1e-6), (s, ref)"


func.func @main(%x: tensor<?x?x2xf32>, %w: tensor<2xf32>, %s0: tensor<?x2xf32>) -> (tensor<?x?x2xf32>, tensor<?x2xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x2xf32>) params(%w : tensor<2xf32>) inits(%s0 : tensor<?x2xf32>) -> (tensor<?x?x2xf32>) {
  ^bb0(%xt: tensor<2xf32>, %wt: tensor<2xf32>, %st: tensor<2xf32>):
    %u = arith.mulf %xt, %wt : tensor<2xf32>
    %t = math.tanh %u : tensor<2xf32>
    %sn = arith.addf %st, %t : tensor<2xf32>
    hymir.yield %sn, %sn : tensor<2xf32>, tensor<2xf32>
  }
  return %o, %s : tensor<?x?x2xf32>, tensor<?x2xf32>
}
