// RUN: hymir-opt %s --hymir-fuse-elementwise=shared-cheap -split-input-file | FileCheck %s
// RUN: hymir-opt %s --hymir-fuse-elementwise -split-input-file | FileCheck %s --check-prefix=OFF

// hymir-fuse-elementwise alone: single-use element-wise producers (a decay and
// an outer product) are fused into their consumer (one loop nest, no
// temporaries); the copy into the carried state is left to
// hymir-fold-state-copies.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @single_use
// CHECK:     %[[NEW:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>)
// CHECK:       arith.mulf
// CHECK:       arith.mulf
// CHECK:       arith.addf
// CHECK-NOT: linalg.generic
// CHECK:     linalg.copy ins(%[[NEW]]
func.func @single_use(%s: tensor<4x6xf32>, %k: tensor<4xf32>, %v: tensor<6xf32>, %a: f32,
                      %d: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %e1 = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e1 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %e2 = tensor.empty() : tensor<4x6xf32>
  %kv = linalg.generic {indexing_maps = [#row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%k, %v : tensor<4xf32>, tensor<6xf32>) outs(%e2 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd, %kv : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e1 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %m = arith.addf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %c = linalg.copy ins(%sn : tensor<4x6xf32>) outs(%d : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %c : tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A producer with two users is not fused (it would be computed twice): an
// exponential per element.
// CHECK-LABEL: func.func @two_uses
// CHECK-COUNT-3: linalg.generic
func.func @two_uses(%s: tensor<4x6xf32>, %a: f32) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %e = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = math.exp %x : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.addf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.subf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  return %p, %q : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// A decode step's decayed state `a S`, one multiply per element, read by the
// read `(a S)ᵀ k` and by the update `a S + k ⊗ u`: recomputed in both, so the
// state is not written out and read back (one pass over it fewer).
// Without shared-cheap (the GPU) it stays: three generics.
// OFF-LABEL: func.func @cheap_shared(
// OFF-COUNT-3: linalg.generic
// OFF-LABEL: func.func @cheap_shared_broadcast
// CHECK-LABEL: func.func @cheap_shared
// CHECK-SAME:  (%[[S:.+]]: tensor<4x6xf32>, %{{.+}}: tensor<4xf32>, %[[A:.+]]: f32)
// CHECK:       linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[S]], %{{.+}} : tensor<4x6xf32>, tensor<4xf32>)
// CHECK:         arith.mulf %{{.+}}, %[[A]] : f32
// CHECK:       linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[S]], %{{.+}}, %{{.+}} : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>)
// CHECK:         arith.mulf %{{.+}}, %[[A]] : f32
// CHECK-NOT:   linalg.generic
func.func @cheap_shared(%s: tensor<4x6xf32>, %k: tensor<4xf32>, %a: f32)
    -> (tensor<6xf32>, tensor<4x6xf32>) {
  %e = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %zero = arith.constant 0.0 : f32
  %e6 = tensor.empty() : tensor<6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e6 : tensor<6xf32>) -> tensor<6xf32>
  %u = linalg.generic {indexing_maps = [#id, #row, #col], iterator_types = ["reduction", "parallel"]}
      ins(%sd, %k : tensor<4x6xf32>, tensor<4xf32>) outs(%z : tensor<6xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<6xf32>
  %sn = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd, %k, %u : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %w: f32, %o: f32):
    %m = arith.mulf %y, %w : f32
    %r = arith.addf %x, %m : f32
    linalg.yield %r : f32
  } -> tensor<4x6xf32>
  return %u, %sn : tensor<6xf32>, tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#red = affine_map<(d0, d1, d2) -> (d1, d2)>

// The same producer with one user that broadcasts it (reads it in a loop nest
// with more dims) stays: it would be recomputed per element of that nest.
// CHECK-LABEL: func.func @cheap_shared_broadcast
// CHECK-COUNT-3: linalg.generic
func.func @cheap_shared_broadcast(%s: tensor<4x6xf32>, %a: f32)
    -> (tensor<4x6xf32>, tensor<6x5xf32>) {
  %e = tensor.empty() : tensor<4x6xf32>
  %sd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.addf %x, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %zero = arith.constant 0.0 : f32
  %e65 = tensor.empty() : tensor<6x5xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e65 : tensor<6x5xf32>) -> tensor<6x5xf32>
  %r = linalg.generic {indexing_maps = [#id3, #red], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%sd : tensor<4x6xf32>) outs(%z : tensor<6x5xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.addf %acc, %x : f32
    linalg.yield %m : f32
  } -> tensor<6x5xf32>
  return %p, %r : tensor<4x6xf32>, tensor<6x5xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A producer outside the loop around its consumer (a parameter computed from
// a weight, Mamba's A = -exp(A_log)) is not fused: it would be recomputed on
// every step. The consumer in the loop reads the producer's result.
// CHECK-LABEL: func.func @loop_invariant
// CHECK:       %[[A:.+]] = linalg.generic
// CHECK:         math.exp
// CHECK:       scf.for
// CHECK:         linalg.generic {{.+}} ins(%[[A]], %{{.+}} : tensor<4x6xf32>, tensor<4x6xf32>)
// CHECK-NOT:       math.exp
// CHECK:           arith.mulf
// CHECK:         scf.yield
func.func @loop_invariant(%alog: tensor<4x6xf32>, %s0: tensor<4x6xf32>, %n: index) -> tensor<4x6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<4x6xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%alog : tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = math.exp %x : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %r = scf.for %t = %c0 to %n step %c1 iter_args(%s = %s0) -> tensor<4x6xf32> {
    %sn = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a, %s : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) {
    ^bb0(%x: f32, %y: f32, %z: f32):
      %m = arith.mulf %x, %y : f32
      linalg.yield %m : f32
    } -> tensor<4x6xf32>
    scf.yield %sn : tensor<4x6xf32>
  }
  return %r : tensor<4x6xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>

// Producers that the consumer broadcasts along a dimension are not fused,
// costly (exp, log1p: a softplus per row) or cheap (a product): the fused
// nest would compute them once per element of the [4, 6] result instead of
// once per row.
// CHECK-LABEL: func.func @broadcast
// CHECK:       %[[SP:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]
// CHECK:         math.exp
// CHECK:         math.log1p
// CHECK:       %[[UB:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]
// CHECK:         arith.mulf
// CHECK:       linalg.generic {{.+}} ins(%{{.+}}, %[[SP]], %[[UB]] : tensor<4x6xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NOT:     math.exp
// CHECK:         arith.mulf
// CHECK:         arith.addf
func.func @broadcast(%s: tensor<4x6xf32>, %dt: tensor<4xf32>, %u: tensor<4xf32>, %b: f32) -> tensor<4x6xf32> {
  %e1 = tensor.empty() : tensor<4xf32>
  %sp = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%dt : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %ex = math.exp %x : f32
    %l = math.log1p %ex : f32
    linalg.yield %l : f32
  } -> tensor<4xf32>
  %ub = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%u : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %m = arith.mulf %x, %b : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x6xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %sp, %ub : tensor<4x6xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4x6xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %w: f32):
    %m = arith.mulf %x, %y : f32
    %a = arith.addf %m, %z : f32
    linalg.yield %a : f32
  } -> tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}
