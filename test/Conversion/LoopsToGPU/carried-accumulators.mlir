// RUN: hymir-opt %s --split-input-file --hymir-gpu-chunk-matmuls-to-mma | FileCheck %s

// The state pass of the parallel-chunks form: a sequential loop over the
// chunks that copies the state S out, scales it by the chunk's decay and adds
// the chunk's Kᵀ V. Each 16 × 16 tile of S depends only on itself, so the
// loop moves inside the warp tiles and carries the tile as a WMMA
// accumulator: S is loaded once before the loop and stored once after it.

#kT = affine_map<(i, j, r) -> (r, i)>
#v  = affine_map<(i, j, r) -> (r, j)>
#o  = affine_map<(i, j, r) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>

// CHECK-LABEL: func.func @state_pass
// CHECK:      linalg.copy
// CHECK:      scf.parallel (%[[TI:.+]], %[[TJ:.+]]) = {{.+}} to (%c8{{[_0-9]*}}, %c2{{[_0-9]*}})
// CHECK:        %[[I:.+]] = arith.muli %[[TI]], %c16
// CHECK:        %[[J:.+]] = arith.muli %[[TJ]], %c16
// CHECK:        %[[S0:.+]] = gpu.subgroup_mma_load_matrix %[[S:[a-z0-9_]+]][%[[I]], %[[J]]] {leadDimension = 32 : index}
// CHECK:        %[[END:.+]] = scf.for %[[C:.+]] = %c0{{[_0-9]*}} to %c128{{[_0-9]*}} step %c1{{[_0-9]*}} iter_args(%[[ACC:.+]] = %[[S0]])
// CHECK:          %[[OUT:.+]] = memref.subview %{{.+}}[%[[C]], 0, 0]
// CHECK:          gpu.subgroup_mma_store_matrix %[[ACC]], %[[OUT]][%[[I]], %[[J]]]
// CHECK:          %[[G:.+]] = memref.load %{{.+}}[%[[C]]]
// CHECK:          %[[SPLAT:.+]] = gpu.subgroup_mma_constant_matrix %[[G]]
// CHECK:          %[[SCALED:.+]] = gpu.subgroup_mma_elementwise  mulf %[[ACC]], %[[SPLAT]]
// The chunk's product unrolled, its 4 steps' fragments loaded first.
// CHECK-COUNT-8:  gpu.subgroup_mma_load_matrix
// CHECK-NOT:      gpu.subgroup_mma_load_matrix
// CHECK:          %[[P0:.+]] = gpu.subgroup_mma_compute {{.+}}, %[[SCALED]] {a_transpose}
// CHECK:          %[[P1:.+]] = gpu.subgroup_mma_compute {{.+}}, %[[P0]] {a_transpose}
// CHECK:          %[[P2:.+]] = gpu.subgroup_mma_compute {{.+}}, %[[P1]] {a_transpose}
// CHECK:          %[[P3:.+]] = gpu.subgroup_mma_compute {{.+}}, %[[P2]] {a_transpose}
// CHECK:          scf.yield %[[P3]]
// CHECK:        gpu.subgroup_mma_store_matrix %[[END]], %[[S]][%[[I]], %[[J]]]
// CHECK:      } {hymir.warp_tiles}
// CHECK-NOT:  linalg.generic
// CHECK-NOT:  gpu.barrier
func.func @state_pass(%init: memref<128x32xf32>, %state: memref<128x32xf32>,
                      %states: memref<128x128x32xf32>, %k: memref<4096x128xf32>,
                      %v: memref<4096x32xf32>, %g: memref<128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.forall (%b) in (1) {
    linalg.copy ins(%init : memref<128x32xf32>) outs(%state : memref<128x32xf32>)
    scf.for %c = %c0 to %c128 step %c1 {
      %t = arith.muli %c, %c32 : index
      %out = memref.subview %states[%c, 0, 0] [1, 128, 32] [1, 1, 1]
          : memref<128x128x32xf32> to memref<128x32xf32, strided<[32, 1], offset: ?>>
      linalg.copy ins(%state : memref<128x32xf32>)
          outs(%out : memref<128x32xf32, strided<[32, 1], offset: ?>>)
      %gc = memref.load %g[%c] : memref<128xf32>
      %kc = memref.subview %k[%t, 0] [32, 128] [1, 1]
          : memref<4096x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      %vc = memref.subview %v[%t, 0] [32, 32] [1, 1]
          : memref<4096x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
      linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
          outs(%state : memref<128x32xf32>) {
      ^bb0(%x: f32):
        %m = arith.mulf %x, %gc : f32
        linalg.yield %m : f32
      }
      linalg.generic {indexing_maps = [#kT, #v, #o],
                      iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%kc, %vc : memref<32x128xf32, strided<[128, 1], offset: ?>>,
                         memref<32x32xf32, strided<[32, 1], offset: ?>>)
          outs(%state : memref<128x32xf32>) attrs = {hymir.chunk_matmul} {
      ^bb0(%x: f32, %y: f32, %acc: f32):
        %m = arith.mulf %x, %y : f32
        %a = arith.addf %acc, %m : f32
        linalg.yield %a : f32
      }
    }
  }
  return
}

// -----

// The loop also reads S (a load of one element; nothing else in the loop
// disqualifies it): the tiles stay inside the loop, each chunk loads and
// stores its accumulator.

#kT = affine_map<(i, j, r) -> (r, i)>
#v  = affine_map<(i, j, r) -> (r, j)>
#o  = affine_map<(i, j, r) -> (i, j)>

// CHECK-LABEL: func.func @state_read_in_loop
// CHECK:      scf.for
// CHECK:        memref.load %{{.+}}[%c0{{[_0-9]*}}, %c0{{[_0-9]*}}]
// CHECK:        scf.parallel
// CHECK:          gpu.subgroup_mma_load_matrix {{.+}} -> !gpu.mma_matrix<16x16xf32, "COp">
// CHECK:          gpu.subgroup_mma_store_matrix
// CHECK:        } {hymir.warp_tiles}
func.func @state_read_in_loop(%state: memref<128x32xf32>, %k: memref<4096x128xf32>,
                              %v: memref<4096x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.forall (%b) in (1) {
    scf.for %c = %c0 to %c128 step %c1 {
      %t = arith.muli %c, %c32 : index
      %x = memref.load %state[%c0, %c0] : memref<128x32xf32>
      %kc = memref.subview %k[%t, 0] [32, 128] [1, 1]
          : memref<4096x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      %vc = memref.subview %v[%t, 0] [32, 32] [1, 1]
          : memref<4096x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
      linalg.generic {indexing_maps = [#kT, #v, #o],
                      iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%kc, %vc : memref<32x128xf32, strided<[128, 1], offset: ?>>,
                         memref<32x32xf32, strided<[32, 1], offset: ?>>)
          outs(%state : memref<128x32xf32>) attrs = {hymir.chunk_matmul} {
      ^bb0(%x0: f32, %y: f32, %acc: f32):
        %m = arith.mulf %x0, %y : f32
        %a = arith.addf %acc, %m : f32
        linalg.yield %a : f32
      }
    }
  }
  return
}

// -----

// The product reads what the loop copies S into (the previous chunk's state):
// not carried, the copy must reach memory before the product.

#kT = affine_map<(i, j, r) -> (r, i)>
#v  = affine_map<(i, j, r) -> (r, j)>
#o  = affine_map<(i, j, r) -> (i, j)>

// CHECK-LABEL: func.func @product_reads_copy
// CHECK:      scf.for
// CHECK:        linalg.copy
// CHECK:        scf.parallel
// CHECK:        } {hymir.warp_tiles}
func.func @product_reads_copy(%state: memref<128x32xf32>, %states: memref<128x128x32xf32>,
                              %k: memref<4096x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.forall (%b) in (1) {
    scf.for %c = %c0 to %c128 step %c1 {
      %t = arith.muli %c, %c32 : index
      %out = memref.subview %states[%c, 0, 0] [1, 128, 32] [1, 1, 1]
          : memref<128x128x32xf32> to memref<128x32xf32, strided<[32, 1], offset: ?>>
      linalg.copy ins(%state : memref<128x32xf32>)
          outs(%out : memref<128x32xf32, strided<[32, 1], offset: ?>>)
      %kc = memref.subview %k[%t, 0] [32, 128] [1, 1]
          : memref<4096x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      %prev = memref.subview %states[%c, 0, 0] [1, 32, 32] [1, 1, 1]
          : memref<128x128x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
      linalg.generic {indexing_maps = [#kT, #v, #o],
                      iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%kc, %prev : memref<32x128xf32, strided<[128, 1], offset: ?>>,
                           memref<32x32xf32, strided<[32, 1], offset: ?>>)
          outs(%state : memref<128x32xf32>) attrs = {hymir.chunk_matmul} {
      ^bb0(%x: f32, %y: f32, %acc: f32):
        %m = arith.mulf %x, %y : f32
        %a = arith.addf %acc, %m : f32
        linalg.yield %a : f32
      }
    }
  }
  return
}

// -----

// A scale whose factor is computed inside the generic (here the state itself:
// S ⊙ S) is not a splat: not carried.

#kT = affine_map<(i, j, r) -> (r, i)>
#v  = affine_map<(i, j, r) -> (r, j)>
#o  = affine_map<(i, j, r) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>

// CHECK-LABEL: func.func @square_not_a_scale
// CHECK:      scf.for
// CHECK:        linalg.generic
// CHECK:          arith.mulf
// CHECK:        scf.parallel
// CHECK:        } {hymir.warp_tiles}
func.func @square_not_a_scale(%state: memref<128x32xf32>, %k: memref<4096x128xf32>,
                              %v: memref<4096x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.forall (%b) in (1) {
    scf.for %c = %c0 to %c128 step %c1 {
      %t = arith.muli %c, %c32 : index
      linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
          outs(%state : memref<128x32xf32>) {
      ^bb0(%x: f32):
        %m = arith.mulf %x, %x : f32
        linalg.yield %m : f32
      }
      %kc = memref.subview %k[%t, 0] [32, 128] [1, 1]
          : memref<4096x128xf32> to memref<32x128xf32, strided<[128, 1], offset: ?>>
      %vc = memref.subview %v[%t, 0] [32, 32] [1, 1]
          : memref<4096x32xf32> to memref<32x32xf32, strided<[32, 1], offset: ?>>
      linalg.generic {indexing_maps = [#kT, #v, #o],
                      iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%kc, %vc : memref<32x128xf32, strided<[128, 1], offset: ?>>,
                         memref<32x32xf32, strided<[32, 1], offset: ?>>)
          outs(%state : memref<128x32xf32>) attrs = {hymir.chunk_matmul} {
      ^bb0(%x: f32, %y: f32, %acc: f32):
        %m = arith.mulf %x, %y : f32
        %a = arith.addf %acc, %m : f32
        linalg.yield %a : f32
      }
    }
  }
  return
}
