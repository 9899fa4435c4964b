// hymir-run checks every input against the entry's signature before anything
// runs: each violation is one `error:` line naming the argument by index and
// file, exit status 1, and no out*.npy left in the output directory.

// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.ones((2, 5, 3), np.float32)); np.save('%t/w.npy', np.ones(3, np.float32)); np.save('%t/s.npy', np.zeros((2, 3), np.float32))"

// Wrong number of inputs.
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: @main takes 3 argument(s) but 2 --input file(s) were given (argument #2 of type tensor<?x3xf32> has none)
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/s.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=COUNT4
// COUNT4: error: @main takes 3 argument(s) but 4 --input file(s) were given

// Wrong rank.
// RUN: %python -c "import numpy as np; np.save('%t/x_rank.npy', np.ones((2, 5), np.float32))"
// RUN: not hymir-run %s --reference --input=%t/x_rank.npy --input=%t/w.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: error: argument #0 ({{.*}}x_rank.npy): rank 2 (shape 2x5) does not fit tensor<?x?x3xf32> (expected rank 3)

// Wrong static dim.
// RUN: %python -c "import numpy as np; np.save('%t/w4.npy', np.ones(4, np.float32))"
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w4.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC: error: argument #1 ({{.*}}w4.npy): shape 4 has size 4 in dim 0 where tensor<3xf32> needs 3

// Wrong dtype: integers and f16 for a float argument, floats for an integer one.
// RUN: %python -c "import numpy as np; np.save('%t/x_i32.npy', np.ones((2, 5, 3), np.int32)); np.save('%t/x_f16.npy', np.ones((2, 5, 3), np.float16)); np.save('%t/f2.npy', np.ones(2, np.float32))"
// RUN: not hymir-run %s --reference --input=%t/x_i32.npy --input=%t/w.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: argument #0 ({{.*}}x_i32.npy): dtype '<i4' (i32) does not fit tensor<?x?x3xf32> (expected '<f4' or '<f8')
// RUN: not hymir-run %s --reference --input=%t/x_f16.npy --input=%t/w.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=F16
// F16: error: argument #0 ({{.*}}x_f16.npy): dtype '<f2' (f16) does not fit tensor<?x?x3xf32> (expected '<f4' or '<f8')
// RUN: not hymir-run %s --entry=ints --reference --input=%t/f2.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=INTDTYPE
// INTDTYPE: error: argument #0 ({{.*}}f2.npy): dtype '<f4' (f32) does not fit tensor<2xi32> (expected '<i4' or '<i8')
// RUN: %python -c "import numpy as np; np.save('%t/big.npy', np.array([1, 2**40], np.int64))"
// RUN: not hymir-run %s --entry=ints --reference --input=%t/big.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=INTRANGE
// INTRANGE: error: argument #0 ({{.*}}big.npy): element [1] = 1099511627776 does not fit i32

// A dynamic dim of size 0: empty batch or sequence.
// RUN: %python -c "import numpy as np; np.save('%t/x_T0.npy', np.ones((2, 0, 3), np.float32))"
// RUN: not hymir-run %s --reference --input=%t/x_T0.npy --input=%t/w.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: argument #0 ({{.*}}x_T0.npy): dynamic dim 1 of tensor<?x?x3xf32> is 0 (empty batch or sequence)

// Dynamic dims at the same position that disagree across arguments.
// RUN: %python -c "import numpy as np; np.save('%t/s_B3.npy', np.zeros((3, 3), np.float32))"
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/s_B3.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=DYN
// DYN: error: argument #2 ({{.*}}s_B3.npy): dynamic dim 0 is 3 but argument #0 has 2 there (a '?' at the same position must have the same size in every argument)

// Missing file and malformed .npy (messages of the runtime's reader).
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/nope.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: argument #1: {{.*}}nope.npy: cannot open for reading: No such file or directory
// RUN: %python -c "open('%t/bad.npy', 'wb').write(b'NOTNUMPY' + bytes(120))"
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/bad.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=MAGIC
// MAGIC: error: argument #2: {{.*}}bad.npy: not a .npy file: bad magic

// Non-finite values are rejected unless --allow-nonfinite is given.
// RUN: %python -c "import numpy as np; x = np.ones((2, 5, 3), np.float32); x[1, 2, 0] = np.nan; np.save('%t/x_nan.npy', x); s = np.zeros((2, 3), np.float32); s[0, 1] = -np.inf; np.save('%t/s_inf.npy', s)"
// RUN: not hymir-run %s --reference --input=%t/x_nan.npy --input=%t/w.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=NAN
// NAN: error: argument #0 ({{.*}}x_nan.npy): element [1, 2, 0] is NaN (pass --allow-nonfinite to accept non-finite inputs)
// RUN: not hymir-run %s --reference --input=%t/x.npy --input=%t/w.npy --input=%t/s_inf.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=INF
// INF: error: argument #2 ({{.*}}s_inf.npy): element [0, 1] is -Inf
// RUN: hymir-run %s --reference --allow-nonfinite --input=%t/x_nan.npy --input=%t/w.npy --input=%t/s.npy --output=%t/nan 2>&1 | FileCheck %s --check-prefix=ALLOWED
// ALLOWED: warning: result #0 has {{[0-9]+}} non-finite value(s)
// RUN: %python -c "import numpy as np; o = np.load('%t/nan/out0.npy'); assert np.isnan(o[1, 2:, 0]).all() and np.isfinite(o[0]).all()"

// Each failure above left the output directory without out*.npy.
// RUN: not ls %t/out/out0.npy

// The dtypes that are accepted: f64 for float arguments, i64 and i32 for
// integer ones.
// RUN: %python -c "import numpy as np; np.save('%t/x64.npy', np.ones((2, 5, 3), np.float64)); np.save('%t/i64.npy', np.array([7, -8], np.int64))"
// RUN: hymir-run %s --reference --input=%t/x64.npy --input=%t/w.npy --input=%t/s.npy --output=%t/ok
// RUN: hymir-run %s --entry=ints --reference --input=%t/i64.npy --output=%t/ints
// RUN: %python -c "import numpy as np; o = np.load('%t/ints/out0.npy'); assert o.dtype == np.int32 and o.tolist() == [8, -7], o"

func.func @main(%x: tensor<?x?x3xf32>, %w: tensor<3xf32>, %s0: tensor<?x3xf32>) -> (tensor<?x?x3xf32>, tensor<?x3xf32>) {
  %o, %s = hymir.scan ins(%x : tensor<?x?x3xf32>) params(%w : tensor<3xf32>) inits(%s0 : tensor<?x3xf32>) -> (tensor<?x?x3xf32>) {
  ^bb0(%xt: tensor<3xf32>, %wt: tensor<3xf32>, %st: tensor<3xf32>):
    %u = arith.mulf %xt, %wt : tensor<3xf32>
    %sn = arith.addf %st, %u : tensor<3xf32>
    hymir.yield %sn, %sn : tensor<3xf32>, tensor<3xf32>
  }
  return %o, %s : tensor<?x?x3xf32>, tensor<?x3xf32>
}

func.func @ints(%x: tensor<2xi32>) -> tensor<2xi32> {
  %one = arith.constant dense<1> : tensor<2xi32>
  %y = arith.addi %x, %one : tensor<2xi32>
  return %y : tensor<2xi32>
}
