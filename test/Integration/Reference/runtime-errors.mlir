// Errors raised while the reference interpreter runs are diagnostics at the
// op that failed, with notes for the enclosing iteration; exit status 1 and
// no out*.npy.

// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.ones((1, 3, 2), np.float32)); np.save('%t/s.npy', np.zeros((1, 2), np.float32)); np.save('%t/i.npy', np.array([5], np.int64))"
// RUN: touch %t/out/out0.npy

// An index out of bounds in step t = 2 of a scan.
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=STEP
// STEP: runtime-errors.mlir:[[@LINE+20]]:10: error: 'tensor.extract' index 2 is out of bounds for dim 0 of size 2
// STEP: runtime-errors.mlir:[[@LINE+17]]:12: note: while executing step (batch = 0, t = 2) of 'hymir.scan'
// RUN: not ls %t/out/out0.npy

// An out-of-range dynamic slice.
// RUN: not hymir-run %s --entry=slice --reference --input=%t/i.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=SLICE
// SLICE: error: 'tensor.extract_slice' slice of dim 0 (offset 5, size 2, stride 1) is out of bounds for size 4

// An op the interpreter does not support is named before anything runs.
// RUN: not hymir-run %s --entry=unsupported --reference --input=%t/i.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=UNSUP
// UNSUP: error: 'arith.bitcast' is not supported by the reference interpreter

// Integer division by zero.
// RUN: %python -c "import numpy as np; np.save('%t/z.npy', np.array([0], np.int64))"
// RUN: not hymir-run %s --entry=divide --reference --input=%t/z.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=DIV
// DIV: error: 'arith.divsi': division by zero (operands 7 and 0)

func.func @main(%x: tensor<?x?x2xf32>, %s0: tensor<?x2xf32>) -> (tensor<?x?xf32>, tensor<?x2xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x2xf32>) inits(%s0 : tensor<?x2xf32>) -> (tensor<?x?xf32>) {
  ^bb0(%t: index, %xt: tensor<2xf32>, %st: tensor<2xf32>):
    %e = tensor.extract %xt[%t] : tensor<2xf32>
    %sn = arith.addf %st, %xt : tensor<2xf32>
    hymir.yield %e, %sn : f32, tensor<2xf32>
  }
  return %o, %s : tensor<?x?xf32>, tensor<?x2xf32>
}

func.func @slice(%i: tensor<1xi64>) -> tensor<2xf32> {
  %c0 = arith.constant 0 : index
  %e = tensor.extract %i[%c0] : tensor<1xi64>
  %o = arith.index_cast %e : i64 to index
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %s = tensor.extract_slice %x[%o] [2] [1] : tensor<4xf32> to tensor<2xf32>
  return %s : tensor<2xf32>
}

func.func @unsupported(%i: tensor<1xi64>) -> tensor<1xf64> {
  %f = arith.bitcast %i : tensor<1xi64> to tensor<1xf64>
  return %f : tensor<1xf64>
}

func.func @divide(%i: tensor<1xi64>) -> tensor<1xi64> {
  %seven = arith.constant dense<7> : tensor<1xi64>
  %q = arith.divsi %seven, %i : tensor<1xi64>
  return %q : tensor<1xi64>
}
