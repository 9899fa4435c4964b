// RUN: hymir-opt %s --split-input-file --hymir-gpu-chunk-matmuls-to-mma | FileCheck %s
// RUN: hymir-opt %s --split-input-file --hymir-gpu-chunk-matmuls-to-mma=only-narrow-inputs=true \
// RUN:   | FileCheck %s --check-prefix=NARROW

// The chunk products of a scan (bufferized, inside its batch × heads nest)
// become 16 × 16 warp tiles of m16n16k8 TF32 products: each tile loads its C
// tile, accumulates over the reduction 8 at a time (the fragments of 4
// steps loaded before their 4 products, so that the loads overlap), and
// stores it back.

#q_s = affine_map<(i, j, r) -> (i, r)>
#s   = affine_map<(i, j, r) -> (r, j)>
#o   = affine_map<(i, j, r) -> (i, j)>
#kT  = affine_map<(i, j, r) -> (r, i)>
#vT  = affine_map<(i, j, r) -> (j, r)>

// CHECK-LABEL: func.func @products
// Q S: [16, 128] × [128, 32] -> 1 × 2 tiles, 16 steps of 8 in 4 groups.
// CHECK: scf.parallel (%[[TI:.+]], %[[TJ:.+]]) = (%c0{{[_0-9]*}}, %c0{{[_0-9]*}}) to (%c1{{[_0-9]*}}, %c2{{[_0-9]*}})
// CHECK:   %[[I:.+]] = arith.muli %[[TI]], %c16{{[_0-9]*}}
// CHECK:   %[[J:.+]] = arith.muli %[[TJ]], %c16{{[_0-9]*}}
// CHECK:   %[[ACC:.+]] = gpu.subgroup_mma_load_matrix %{{.+}}[%[[I]], %[[J]]] {leadDimension = 32 : index} : memref<16x32xf32> -> !gpu.mma_matrix<16x16xf32, "COp">
// CHECK:   %[[SUM:.+]] = scf.for %[[R:.+]] = %c0{{[_0-9]*}} to %c128{{[_0-9]*}} step %c32{{[_0-9]*}} iter_args(%[[X:.+]] = %[[ACC]])
// CHECK:     %[[A:.+]] = gpu.subgroup_mma_load_matrix %{{.+}}[%[[I]], %[[R]]] {leadDimension = 128 : index} : memref<16x128xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
// CHECK:     %[[B:.+]] = gpu.subgroup_mma_load_matrix %{{.+}}[%[[R]], %[[J]]] {leadDimension = 128 : index} : memref<128x32xf32, strided<[128, 1], offset: ?>> -> !gpu.mma_matrix<8x16xf32, "BOp">
// CHECK:     %[[R1:.+]] = arith.addi %[[R]], %c8
// CHECK:     gpu.subgroup_mma_load_matrix %{{.+}}[%[[I]], %[[R1]]]
// CHECK-COUNT-5: gpu.subgroup_mma_load_matrix
// CHECK:     %[[P0:.+]] = gpu.subgroup_mma_compute %[[A]], %[[B]], %[[X]] :
// CHECK-COUNT-3: gpu.subgroup_mma_compute
// CHECK:     scf.yield
// CHECK:   gpu.subgroup_mma_store_matrix %[[SUM]], %{{.+}}[%[[I]], %[[J]]] {leadDimension = 32 : index}
// CHECK: } {hymir.warp_tiles}
// Kᵀ V with K read transposed (column-major A): indices in memory order.
// CHECK: scf.parallel ({{.+}}) = (%c0{{[_0-9]*}}, %c0{{[_0-9]*}}) to (%c8{{[_0-9]*}}, %c2{{[_0-9]*}})
// CHECK:   gpu.subgroup_mma_load_matrix %{{.+}}[%{{.+}}, %{{.+}}] {leadDimension = 128 : index, transpose} : memref<16x128xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
// CHECK:   gpu.subgroup_mma_compute {{.+}} {a_transpose}
// CHECK: } {hymir.warp_tiles}
// Q Kᵀ with K read transposed as B (column-major B).
// CHECK: scf.parallel ({{.+}}) = (%c0{{[_0-9]*}}, %c0{{[_0-9]*}}) to (%c1{{[_0-9]*}}, %c1{{[_0-9]*}})
// CHECK:   gpu.subgroup_mma_load_matrix %{{.+}} {leadDimension = 128 : index, transpose} : memref<16x128xf32> -> !gpu.mma_matrix<8x16xf32, "BOp">
// CHECK:   gpu.subgroup_mma_compute {{.+}} {b_transpose}
// CHECK: } {hymir.warp_tiles}
// CHECK-NOT: linalg.generic
// With only-narrow-inputs, an f32 function keeps its FFMA loops.
// NARROW-LABEL: func.func @products
// NARROW-NOT: gpu.subgroup_mma
// NARROW-COUNT-3: linalg.generic
func.func @products(%state: memref<4x16x128x128xf32>, %b: index, %h: index) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  scf.forall (%vt) in (4) {
    %col = arith.muli %vt, %c32 : index
    %S = memref.subview %state[%b, %h, 0, %col] [1, 1, 128, 32] [1, 1, 1, 1]
        : memref<4x16x128x128xf32> to memref<128x32xf32, strided<[128, 1], offset: ?>>
    %q = memref.alloc() : memref<16x128xf32>
    %k = memref.alloc() : memref<16x128xf32>
    %v = memref.alloc() : memref<16x32xf32>
    %o = memref.alloc() : memref<16x32xf32>
    %p = memref.alloc() : memref<16x16xf32>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %S : memref<16x128xf32>, memref<128x32xf32, strided<[128, 1], offset: ?>>)
        outs(%o : memref<16x32xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
    linalg.generic {indexing_maps = [#kT, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%k, %v : memref<16x128xf32>, memref<16x32xf32>)
        outs(%S : memref<128x32xf32, strided<[128, 1], offset: ?>>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
    linalg.generic {indexing_maps = [#q_s, #vT, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %k : memref<16x128xf32>, memref<16x128xf32>)
        outs(%p : memref<16x16xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
  }
  return
}

// -----

// In a function that takes bf16 activations, only-narrow-inputs rewrites too.
// NARROW-LABEL: func.func @narrow
// NARROW: gpu.subgroup_mma_compute
// NARROW-NOT: linalg.generic
#q_s = affine_map<(i, j, r) -> (i, r)>
#s   = affine_map<(i, j, r) -> (r, j)>
#o   = affine_map<(i, j, r) -> (i, j)>
func.func @narrow(%x: memref<4x16xbf16>) {
  scf.forall (%i) in (4) {
    %a = memref.alloc() : memref<16x16xf32>
    %b = memref.alloc() : memref<16x16xf32>
    %c = memref.alloc() : memref<16x16xf32>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %b : memref<16x16xf32>, memref<16x16xf32>)
        outs(%c : memref<16x16xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x0: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x0, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

// What WMMA cannot take stays FFMA loops: a row count that is not a multiple
// of 16 (chunk 12), a view whose start is not 32-byte aligned (column 4), an
// input that is a view of the output's buffer, a product outside any nest,
// and a product that is not tagged.
// CHECK-LABEL: func.func @kept
// NARROW-LABEL: func.func @kept
// CHECK-NOT: gpu.subgroup_mma
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: gpu.subgroup_mma
#q_s = affine_map<(i, j, r) -> (i, r)>
#s   = affine_map<(i, j, r) -> (r, j)>
#o   = affine_map<(i, j, r) -> (i, j)>
func.func @kept(%big: memref<64x64xf32>, %top: memref<16x16xf32>) {
  scf.forall (%i) in (4) {
    %a12 = memref.alloc() : memref<12x16xf32>
    %b = memref.alloc() : memref<16x16xf32>
    %c12 = memref.alloc() : memref<12x16xf32>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a12, %b : memref<12x16xf32>, memref<16x16xf32>)
        outs(%c12 : memref<12x16xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    %odd = memref.subview %big[0, 4] [16, 16] [1, 1]
        : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: 4>>
    %c = memref.alloc() : memref<16x16xf32>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%odd, %b : memref<16x16xf32, strided<[64, 1], offset: 4>>, memref<16x16xf32>)
        outs(%c : memref<16x16xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    %lhs = memref.subview %big[0, 0] [16, 16] [1, 1]
        : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1]>>
    %out = memref.subview %big[16, 16] [16, 16] [1, 1]
        : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: 1040>>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%lhs, %b : memref<16x16xf32, strided<[64, 1]>>, memref<16x16xf32>)
        outs(%out : memref<16x16xf32, strided<[64, 1], offset: 1040>>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%b, %b : memref<16x16xf32>, memref<16x16xf32>)
        outs(%c : memref<16x16xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
  }
  %b0 = memref.alloc() : memref<16x16xf32>
  linalg.generic {indexing_maps = [#q_s, #s, #o],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%b0, %b0 : memref<16x16xf32>, memref<16x16xf32>)
      outs(%top : memref<16x16xf32>) attrs = {hymir.chunk_matmul} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A chunk's outputs: a zero fill of O, then O += Q̂ S and O += P V. The two
// products are one run: one warp-tile loop whose accumulator starts as a
// zero fragment (the fill goes: the products overwrite all of O), takes
// both products in turn and is stored once; O is never loaded. A zero
// buffer that is read between its fill and the product stays, and is loaded.

#q_s = affine_map<(i, j, r) -> (i, r)>
#s   = affine_map<(i, j, r) -> (r, j)>
#o   = affine_map<(i, j, r) -> (i, j)>

// CHECK-LABEL: func.func @output_run
// CHECK-NOT:   linalg.fill
// CHECK:       scf.parallel
// CHECK:         %[[Z:.+]] = gpu.subgroup_mma_constant_matrix %{{.+}} : !gpu.mma_matrix<16x16xf32, "COp">
// CHECK:         %[[QS:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[Z]])
// CHECK:           gpu.subgroup_mma_load_matrix %{{.+}} {leadDimension = 128 : index} : memref<128x32xf32
// P V's two steps, unrolled, continue from Q S's sum.
// CHECK:         gpu.subgroup_mma_load_matrix %{{.+}} {leadDimension = 16 : index} : memref<16x16xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
// CHECK:         %[[PV0:.+]] = gpu.subgroup_mma_compute %{{.+}}, %{{.+}}, %[[QS]]
// CHECK:         %[[PV:.+]] = gpu.subgroup_mma_compute %{{.+}}, %{{.+}}, %[[PV0]]
// CHECK-NOT:     gpu.subgroup_mma_load_matrix {{.+}} -> !gpu.mma_matrix<16x16xf32, "COp">
// CHECK:         gpu.subgroup_mma_store_matrix %[[PV]], %{{.+}} : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x32xf32>
// CHECK:       } {hymir.warp_tiles}
// The read between fill and product keeps both.
// CHECK:       linalg.fill
// CHECK:       memref.load
// CHECK:       scf.parallel
// CHECK:         gpu.subgroup_mma_load_matrix {{.+}} -> !gpu.mma_matrix<16x16xf32, "COp">
// CHECK:       } {hymir.warp_tiles}
func.func @output_run(%state: memref<4x16x128x128xf32>, %b: index, %h: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  scf.forall (%vt) in (4) {
    %col = arith.muli %vt, %c32 : index
    %S = memref.subview %state[%b, %h, 0, %col] [1, 1, 128, 32] [1, 1, 1, 1]
        : memref<4x16x128x128xf32> to memref<128x32xf32, strided<[128, 1], offset: ?>>
    %q = memref.alloc() : memref<16x128xf32>
    %p = memref.alloc() : memref<16x16xf32>
    %v = memref.alloc() : memref<16x32xf32>
    %o = memref.alloc() : memref<16x32xf32>
    linalg.fill ins(%zero : f32) outs(%o : memref<16x32xf32>)
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %S : memref<16x128xf32>, memref<128x32xf32, strided<[128, 1], offset: ?>>)
        outs(%o : memref<16x32xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%p, %v : memref<16x16xf32>, memref<16x32xf32>)
        outs(%o : memref<16x32xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
    %o2 = memref.alloc() : memref<16x32xf32>
    linalg.fill ins(%zero : f32) outs(%o2 : memref<16x32xf32>)
    %peek = memref.load %o2[%c0, %c0] : memref<16x32xf32>
    linalg.generic {indexing_maps = [#q_s, #s, #o],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%p, %v : memref<16x16xf32>, memref<16x32xf32>)
        outs(%o2 : memref<16x32xf32>) attrs = {hymir.chunk_matmul} {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %a = arith.addf %acc, %m : f32
      linalg.yield %a : f32
    }
  }
  return %zero : f32
}
