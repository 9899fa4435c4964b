// Resource limits (docs/input-validation.md §4): buffers whose size would
// exceed the memory limit (--max-memory, default the physical memory) are
// refused with one error line before they are allocated, and running out of
// memory anyway is an error line too, never a crash. Exit status 1 (2 for a
// malformed --max-memory); no out*.npy is left behind.

// RUN: rm -rf %t && mkdir -p %t/out
// RUN: %python -c "import numpy as np; r = np.random.default_rng(7); np.save('%t/big.npy', r.standard_normal((1000, 1000)).astype(np.float32)); np.save('%t/x.npy', r.standard_normal((1, 3, 2)).astype(np.float32)); np.save('%t/s.npy', r.standard_normal((1, 2)).astype(np.float32)); np.save('%t/n.npy', r.standard_normal((4000,)).astype(np.float32))"
// RUN: touch %t/out/out0.npy

// A .npy input larger than the limit: refused from its header, before its
// data is read.
// RUN: not hymir-run %s --entry=identity --reference --max-memory=1M --input=%t/big.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=NPY
// NPY: error: argument #0: {{.*}}big.npy: a '<f4' array of shape (1000, 1000) needs 3.8 MiB, more than the memory limit of 1.0 MiB
// RUN: not ls %t/out/out0.npy

// The inputs fit as .npy but not once widened to float64.
// RUN: not hymir-run %s --entry=identity --reference --max-memory=5M --input=%t/big.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=WIDE
// WIDE: error: argument #0 ({{.*}}big.npy): the arguments so far need 7.6 MiB once converted, more than the memory limit of 5.0 MiB (--max-memory)

// Results sized from the result types (a '?' by the dynamic-dim convention)
// before anything runs, in both modes.
// RUN: not hymir-run %s --entry=wide_result --reference --max-memory=100M --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=RESULT
// RESULT: error: @wide_result needs at least 114.4 MiB for its arguments (48 bytes) and results (114.4 MiB), more than the memory limit of 100.0 MiB (--max-memory)
// RUN: not hymir-run %s --entry=wide_result --target=cpu --threads=1 --max-memory=100M --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=RESULT-CPU
// RESULT-CPU: error: @wide_result needs at least 228.9 MiB for its arguments (72 bytes) and results (228.9 MiB), more than the memory limit of 100.0 MiB (--max-memory)

// An intermediate of the reference interpreter whose size comes from the data.
// RUN: not hymir-run %s --entry=square --reference --max-memory=64M --input=%t/n.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: memory-limits.mlir:{{[0-9]+}}:8: error: 'tensor.empty': result of shape 4000x4000 needs 122.1 MiB, more than the memory limit of 64.0 MiB (float64 reference)

// A scan output with a huge static per-step shape: refused at the scan (the
// function's result is a slice of it), with the default limit.
// RUN: not hymir-run %s --entry=scan_output --reference --input=%t/x.npy --input=%t/s.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=SCAN
// SCAN: error: 'hymir.scan': output #0 of shape 1x3x1099511627776 needs 24.0 TiB, more than the memory limit of {{.*}} (float64 reference)

// Weights (safetensors): their float64 total, before each is loaded.
// RUN: hymir-run %examples/models/tiny_qwen3_next.mlir --random-weights=%t/w.safetensors --seed=3
// RUN: not hymir-run %examples/models/tiny_qwen3_next.mlir --reference --weights=%t/w.safetensors --prompt-ids=1,2 --generate=1 --max-memory=100K 2>&1 | FileCheck %s --check-prefix=WEIGHTS
// WEIGHTS: error: {{.*}}w.safetensors: the weights up to tensor '{{.*}}' need {{.*}} as float64, more than the memory limit of 100.0 KiB
// RUN: hymir-run %examples/models/tiny_qwen3_next.mlir --reference --weights=%t/w.safetensors --prompt-ids=1,2 --generate=1 --max-memory=10M

// A malformed limit is a command-line error.
// RUN: not hymir-run %s --entry=identity --reference --max-memory=12Q --input=%t/x.npy --output=%t/out 2>&1 | FileCheck %s --check-prefix=USAGE
// USAGE: error: --max-memory=12Q is not a size (expected bytes > 0, optionally with a K, M, G or T suffix)

// Running out of memory anyway: out-of-memory.test (not under ASan).

// The same runs pass within the limit.
// RUN: hymir-run %s --entry=identity --reference --max-memory=16M --input=%t/big.npy --output=%t/out
// RUN: ls %t/out/out0.npy

func.func @identity(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  return %x : tensor<?x?xf32>
}

func.func @wide_result(%x: tensor<?x?x2xf32>) -> tensor<?x?x5000000xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x2xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x2xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x5000000xf32>
  return %e : tensor<?x?x5000000xf32>
}

func.func @square(%x: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n, %n) : tensor<?x?xf32>
  return %e : tensor<?x?xf32>
}

func.func @square_filled(%x: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n, %n) : tensor<?x?xf32>
  %f = linalg.fill ins(%one : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %f : tensor<?x?xf32>
}

func.func @scan_output(%x: tensor<?x?x2xf32>, %s0: tensor<?x2xf32>) -> tensor<?x?x4xf32> {
  %o, %s = hymir.scan ins(%x : tensor<?x?x2xf32>) inits(%s0 : tensor<?x2xf32>) -> (tensor<?x?x1099511627776xf32>) {
  ^bb0(%xt: tensor<2xf32>, %st: tensor<2xf32>):
    %sn = arith.addf %st, %xt : tensor<2xf32>
    %big = tensor.empty() : tensor<1099511627776xf32>
    hymir.yield %big, %sn : tensor<1099511627776xf32>, tensor<2xf32>
  }
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x2xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x2xf32>
  %r = tensor.extract_slice %o[0, 0, 0] [%b, %t, 4] [1, 1, 1] : tensor<?x?x1099511627776xf32> to tensor<?x?x4xf32>
  return %r : tensor<?x?x4xf32>
}
