// hymir-run's command line: modes, entry selection, file and parse errors.

// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.ones(4, np.float32))"

// --target=cpu (also the default mode) compiles and runs the module
// (--target=cuda: test/Target/CUDA/hymir-rt-run.test).
// DEFINE: %{exit} = %python -c "import subprocess, sys; r = subprocess.run(sys.argv[1:]); print('exit status', r.returncode)"
// RUN: hymir-run %s --target=cpu --entry=twice --input=%t/x.npy --output=%t/out
// RUN: %python -c "import numpy as np; assert np.load('%t/out/out0.npy').tolist() == [2.0] * 4"
// RUN: rm -rf %t/out && hymir-run %s --entry=twice --input=%t/x.npy --output=%t/out
// RUN: %python -c "import numpy as np; assert np.load('%t/out/out0.npy').tolist() == [2.0] * 4"
// RUN: %{exit} hymir-run %s --target=cpu --output-dtype=f64 --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=CPU64
// CPU64: error: --output-dtype=f64 needs --reference (compiled code computes in f32)
// CPU64-NEXT: exit status 2
// RUN: %{exit} hymir-run %s --target=tpu --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=TPU
// TPU: error: unknown --target=tpu (expected cpu or cuda)
// TPU-NEXT: exit status 2
// RUN: %{exit} hymir-run %s --reference --target=cpu --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: --reference and --target are exclusive
// BOTH-NEXT: exit status 2
// RUN: %{exit} hymir-run %s --reference --input=%t/x.npy 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: error: --output=DIR is required
// NOOUT-NEXT: exit status 2
// RUN: %{exit} hymir-run %s --reference --bogus --output=%t/out 2>&1 | FileCheck %s --check-prefix=BADOPT
// BADOPT: Unknown command line argument '--bogus'
// BADOPT: exit status 2

// Entry selection: unknown or private functions list the public ones.
// RUN: not hymir-run %s --reference --entry=nope --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: no public function @nope in {{.*}}modes.mlir; available: @main, @twice
// RUN: not hymir-run %s --reference --entry=helper --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=PRIVATE
// PRIVATE: error: no public function @helper in {{.*}}modes.mlir; available: @main, @twice
// RUN: hymir-run %s --reference --entry=twice --input=%t/x.npy --output=%t/out
// RUN: %python -c "import numpy as np; assert np.load('%t/out/out0.npy').tolist() == [2.0] * 4"

// A missing module file and a module that does not parse.
// RUN: not hymir-run %t/missing.mlir --reference --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot open {{.*}}missing.mlir: No such file or directory
// RUN: %python -c "open('%t/bad.mlir', 'w').write('func.func @main( {')"
// RUN: not hymir-run %t/bad.mlir --reference --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: bad.mlir:1:{{[0-9]+}}: error:
// RUN: not ls %t/out/out0.npy

// The help text documents the conventions.
// RUN: hymir-run --help | FileCheck %s --check-prefix=HELP
// HELP: a '?' at position i of an argument's type stands for the same size in
// HELP: a dynamic dim must not be 0 (an empty batch or sequence is an error)
// HELP: NaN and Inf inputs are rejected unless --allow-nonfinite is given
// HELP: Stale out*.npy files in DIR are removed first
// HELP: --output-dtype

func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = arith.addf %x, %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @twice(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = func.call @helper(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
