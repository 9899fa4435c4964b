// hymir-run --check: the compiled CPU code and the float64 reference on the
// same inputs, the relative RMS error of every result, exit status 1 above
// 1e-4. @main's second result, (x + 1e8) - 1e8, loses x in f32 arithmetic
// (spacing 8 at 1e8) but not in the reference's float64 arithmetic.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(1).uniform(0.5, 3.0, (2, 5)).astype(np.float32)); np.save('%t/tok.npy', np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]], np.int32))"

// A result within tolerance: OK, exit 0, --output gets the CPU's results.
// RUN: hymir-run %s --check --entry=good --input=%t/x.npy --output=%t/good | FileCheck %s --check-prefix=GOOD
// GOOD: result #0 (2x5): relative RMS {{.*}}
// GOOD-NEXT: check: OK, 1 result(s), max relative RMS {{.*}} <= 1e-04
// RUN: %python -c "import numpy as np; x = np.load('%t/x.npy'); o = np.load('%t/good/out0.npy'); assert o.dtype == np.float32 and np.allclose(o, np.tanh(x) * x, rtol=1e-6)"

// A result that is not: exit 1, the error names it, no output left.
// RUN: mkdir -p %t/bad && touch %t/bad/out0.npy
// RUN: not hymir-run %s --check --entry=main --input=%t/x.npy --output=%t/bad > %t/bad.txt 2> %t/bad.err
// RUN: FileCheck %s --check-prefix=BAD < %t/bad.txt
// RUN: FileCheck %s --check-prefix=BADERR < %t/bad.err
// BAD: result #0 (2x5): relative RMS {{[0-9.e-]+}}
// BAD-NEXT: result #1 (2x5): relative RMS {{[0-9.e-]+}}
// BAD-NOT: check: OK
// BADERR: error: check: result #1 differs from the reference: relative RMS {{.*}} > 1e-04
// RUN: not ls %t/bad/out0.npy

// A model: weights bound for both.
// RUN: hymir-run %examples/models/tiny_qwen3_next.mlir --random-weights=%t/w.safetensors --seed=2
// RUN: hymir-run %examples/models/tiny_qwen3_next.mlir --check --weights=%t/w.safetensors --entry=prefill --input=%t/tok.npy | FileCheck %s --check-prefix=MODEL
// MODEL: result #0 (2x5x64): relative RMS
// MODEL: result #8 (2x5x2x16): relative RMS
// MODEL-NEXT: result #9 (2): relative RMS 0{{$}}
// MODEL-NEXT: check: OK, 10 result(s)

// Usage errors.
// RUN: not hymir-run %s --check --reference --entry=good --input=%t/x.npy 2>&1 | FileCheck %s --check-prefix=USAGE
// RUN: not hymir-run %s --check --target=cuda --entry=good --input=%t/x.npy 2>&1 | FileCheck %s --check-prefix=USAGE
// USAGE: error: --check compares --target=cpu with the reference on --input files

func.func @good(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %t = math.tanh %x : tensor<2x5xf32>
  %y = arith.mulf %t, %x : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

func.func @main(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  %big = arith.constant dense<1.0e8> : tensor<2x5xf32>
  %a = arith.addf %x, %big : tensor<2x5xf32>
  %b = arith.subf %a, %big : tensor<2x5xf32>
  return %x, %b : tensor<2x5xf32>, tensor<2x5xf32>
}
