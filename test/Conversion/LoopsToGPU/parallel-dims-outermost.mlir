// RUN: hymir-opt %s --hymir-parallel-dims-outermost | FileCheck %s

// hymir.read's reduction Σ_k S[k, v] q[k] iterates k first; after the pass
// the parallel v is the outer loop, so the parallel loop is one, around a
// sequential reduction per element.

// CHECK-DAG: #[[S:.+]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[Q:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[O:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @read
// CHECK: linalg.generic {indexing_maps = [#[[S]], #[[Q]], #[[O]]], iterator_types = ["parallel", "reduction"]}
func.func @read(%S: memref<12x20xf32>, %q: memref<12xf32>, %o: memref<20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, v) -> (k, v)>, affine_map<(k, v) -> (k)>,
                                   affine_map<(k, v) -> (v)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%S, %q : memref<12x20xf32>, memref<12xf32>) outs(%o : memref<20xf32>) {
  ^bb0(%s: f32, %x: f32, %acc: f32):
    %p = arith.mulf %s, %x : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// Already parallel-first: unchanged.
// CHECK-LABEL: func.func @outer
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @outer(%k: memref<12xf32>, %v: memref<20xf32>, %S: memref<12x20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%k, %v : memref<12xf32>, memref<20xf32>) outs(%S : memref<12x20xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}
