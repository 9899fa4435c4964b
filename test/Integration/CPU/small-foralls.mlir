// hymir-cpu-pipeline at threads=2 runs a (b, h) forall of fewer than two
// iterations in order and versions one with dynamic bounds on its trip count
// (test/Pipelines/sequential-small-foralls.mlir). Tiny Mamba-1, whose
// selective scan is parallel over the batch only: batch 1 takes the
// sequential branch, batch 3 the OpenMP loop; both match the float64
// reference, and the results at 2 threads are the ones at 1 thread, bit for bit.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-import %examples/models/configs/tiny-mamba.json -o %t/m.mlir --random-weights=%t/w.safetensors --seed=4
// RUN: %python -c "import numpy as np; r = np.random.default_rng(5); np.save('%t/t1.npy', r.integers(0, 64, (1, 7)).astype(np.int32)); np.save('%t/t3.npy', r.integers(0, 64, (3, 5)).astype(np.int32))"
// RUN: hymir-run %t/m.mlir --check --threads=2 --weights=%t/w.safetensors --entry=prefill --input=%t/t1.npy --output=%t/b1-2 | FileCheck %s --check-prefix=B1
// RUN: hymir-run %t/m.mlir --check --threads=2 --weights=%t/w.safetensors --entry=prefill --input=%t/t3.npy --output=%t/b3-2 | FileCheck %s --check-prefix=B3
// RUN: hymir-run %t/m.mlir --target=cpu --threads=1 --weights=%t/w.safetensors --entry=prefill --input=%t/t1.npy --output=%t/b1-1
// RUN: hymir-run %t/m.mlir --target=cpu --threads=1 --weights=%t/w.safetensors --entry=prefill --input=%t/t3.npy --output=%t/b3-1
// RUN: %python -c "import numpy as np, glob, os; fs = sorted(glob.glob('%t/b1-1/*.npy')) + sorted(glob.glob('%t/b3-1/*.npy')); assert len(fs) >= 4; [np.testing.assert_array_equal(np.load(f), np.load(f.replace('-1/', '-2/'))) for f in fs]"
// B1: result #0 (1x7x64): relative RMS
// B1: check: OK
// B3: result #0 (3x5x64): relative RMS
// B3: check: OK
