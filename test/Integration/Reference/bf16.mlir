// hymir-run's contract for bf16 arguments and results (both modes): a bf16
// argument takes '<f4' or '<f8' data whose values are rounded to bf16, to
// nearest with ties to even, straight from the file's value (no f32 step);
// a bf16 result is written as float32 '<f4' holding the bf16 value exactly
// (the reference's float64 value rounded to bf16 first; unrounded with
// --output-dtype=f64). A finite value beyond bf16's (or f32's) largest finite
// value is an error naming the argument and element.

// RUN: rm -rf %t && mkdir -p %t
// Ties to even at 1 + 2^-8 (-> 1) and 1 + 3 2^-8 (-> 1 + 2^-6), above a tie
// only in f64 (1 + 2^-8 + 2^-30 -> 1 + 2^-7; through f32 it would be a tie),
// a negative value, a bf16 subnormal (2^-130 + 2^-140 -> 2^-130), the largest
// finite bf16 and a value that rounds to it.
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.array([1 + 2.0**-8, 1 + 3 * 2.0**-8, 1 + 2.0**-8 + 2.0**-30, -3.14159, 2.0**-130 + 2.0**-140, 3.3895313892515355e38, 3.3961e38, 0.0], np.float64))"
// RUN: hymir-run %s --entry=widen --reference --input=%t/x.npy --output=%t/ref
// RUN: hymir-run %s --entry=widen --target=cpu --input=%t/x.npy --output=%t/cpu
// RUN: %python -c "import numpy as np; print(np.load('%t/ref/out0.npy').astype(np.float64).tolist()); print(np.load('%t/cpu/out0.npy').astype(np.float64).tolist())" | FileCheck %s --check-prefix=ARG
// ARG: [1.0, 1.015625, 1.0078125, -3.140625, 7.346839692639297e-40, 3.3895313892515355e+38, 3.3895313892515355e+38, 0.0]
// ARG-NEXT: [1.0, 1.015625, 1.0078125, -3.140625, 7.346839692639297e-40, 3.3895313892515355e+38, 3.3895313892515355e+38, 0.0]

// bf16 results: '<f4' files of bf16 values, the same on both targets.
// RUN: %python -c "import numpy as np; np.save('%t/y.npy', np.array([1 + 2.0**-8, 1 + 3 * 2.0**-8, 1 + 2.0**-8 + 2.0**-20, -0.1], np.float32))"
// RUN: hymir-run %s --entry=narrow --reference --input=%t/y.npy --output=%t/nref
// RUN: hymir-run %s --entry=narrow --target=cpu --input=%t/y.npy --output=%t/ncpu
// RUN: hymir-run %s --entry=narrow --reference --output-dtype=f64 --input=%t/y.npy --output=%t/nf64
// RUN: %python -c "import numpy as np; [print(np.load('%t/' + d + '/out0.npy').dtype.str, np.load('%t/' + d + '/out0.npy').astype(np.float64).tolist()) for d in ('nref', 'ncpu', 'nf64')]" | FileCheck %s --check-prefix=RES
// RES: <f4 [1.0, 1.015625, 1.0078125, -0.10009765625]
// RES-NEXT: <f4 [1.0, 1.015625, 1.0078125, -0.10009765625]
// RES-NEXT: <f8 [1.00390625, 1.01171875, 1.0039072036743164, -0.10000000149011612]

// Values a bf16 (or f32) argument cannot hold.
// RUN: %python -c "import numpy as np; np.save('%t/huge.npy', np.array([1.0, -3.4e38, 2.0, 0.5, 0, 0, 0, 0], np.float64)); np.save('%t/huge4.npy', np.array([1e39, 0, 0, 0], np.float64))"
// RUN: not hymir-run %s --entry=widen --reference --input=%t/huge.npy --output=%t/bad 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not hymir-run %s --entry=widen --target=cpu --input=%t/huge.npy --output=%t/bad 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: argument #0 ({{.*}}huge.npy): element [1] = -3.400000e+38 is out of the range of bf16 (largest finite value 3.389531e+38; pass --allow-nonfinite to accept it as -Inf)
// RUN: not hymir-run %s --entry=narrow --reference --input=%t/huge4.npy --output=%t/bad 2>&1 | FileCheck %s --check-prefix=RANGE32
// RANGE32: error: argument #0 ({{.*}}huge4.npy): element [0] = 1.000000e+39 is out of the range of f32 (largest finite value 3.402823e+38; pass --allow-nonfinite to accept it as +Inf)
// RUN: hymir-run %s --entry=widen --reference --allow-nonfinite --input=%t/huge.npy --output=%t/inf
// RUN: %python -c "import numpy as np; print(np.load('%t/inf/out0.npy').tolist())" | FileCheck %s --check-prefix=INF
// INF: [1.0, -inf, 2.0, 0.5, 0.0, 0.0, 0.0, 0.0]
// RUN: test ! -e %t/bad/out0.npy

// The help text states the rounding.
// RUN: hymir-run --help | FileCheck %s --check-prefix=HELP
// HELP: a bf16 or f16 argument's values are first rounded to
// HELP-NEXT: its type (to nearest, ties to even, straight from the file's value, in every
// HELP: a bf16/f16 result rounded to its type first

func.func @widen(%x: tensor<8xbf16>) -> tensor<8xf32> {
  %w = arith.extf %x : tensor<8xbf16> to tensor<8xf32>
  return %w : tensor<8xf32>
}

func.func @narrow(%x: tensor<4xf32>) -> tensor<4xbf16> {
  %n = arith.truncf %x : tensor<4xf32> to tensor<4xbf16>
  return %n : tensor<4xbf16>
}
