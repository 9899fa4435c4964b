// RUN: hymir-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128 shared-memory=81920}))' \
// RUN:   | FileCheck %s --check-prefix=DYN
// RUN: hymir-opt %s \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s --check-prefix=STATIC

// A block's temporaries beyond the 48 KiB of static shared memory (a
// 128 x 128 f32 tile, 64 KiB, and a 16-element vector) within
// `shared-memory` bytes are slices of the dynamic shared memory at 256-byte
// aligned offsets (65536 + 256 bytes, which the launch declares), each
// marked a buffer of its own: the loops that fill the two need no barrier
// between them. With the default 48 KiB the tile is a slice of a global
// workspace instead and the vector a static workgroup buffer.

// DYN-LABEL: func.func @two_temporaries
// DYN-NOT:   memref.alloc
// DYN:       %[[SIZE:.+]] = arith.constant 65792 : i32
// DYN:       gpu.launch
// DYN-SAME:  dynamic_shared_memory_size %[[SIZE]]
// DYN-NOT:   workgroup(
// DYN:       %[[BASE:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// DYN:       memref.view %[[BASE]][%c0{{[0-9_]*}}][] {hymir.disjoint_slice} : memref<?xi8, #gpu.address_space<workgroup>> to memref<128x128xf32, #gpu.address_space<workgroup>>
// DYN:       memref.view %[[BASE]][%c65536{{[0-9_]*}}][] {hymir.disjoint_slice} : memref<?xi8, #gpu.address_space<workgroup>> to memref<16xf32, #gpu.address_space<workgroup>>
// DYN:       gpu.barrier
// DYN-NEXT:  scf.for
// DYN-NOT:   gpu.barrier
// DYN:       arith.cmpi ult, %{{.+}}, %c16
// DYN:       gpu.barrier

// STATIC-LABEL: func.func @two_temporaries
// STATIC:       memref.alloc() {alignment = 256 : i64} : memref<131072xi8>
// STATIC:       gpu.launch
// STATIC-NOT:   dynamic_shared_memory_size
// STATIC-SAME:  workgroup(%{{.+}} : memref<16xf32, #gpu.address_space<workgroup>>)
// STATIC-NOT:   gpu.dynamic_shared_memory
func.func @two_temporaries(%x: memref<2x128x128xf32>, %y: memref<2x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %tile = memref.alloc() : memref<128x128xf32>
    %vec = memref.alloc() : memref<16xf32>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
        %v = memref.load %x[%b, %i, %j] : memref<2x128x128xf32>
        memref.store %v, %tile[%i, %j] : memref<128x128xf32>
        scf.reduce
      }
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %v = memref.load %y[%b, %i] : memref<2x16xf32>
        memref.store %v, %vec[%i] : memref<16xf32>
        scf.reduce
      }
      scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
        %v = memref.load %tile[%j, %i] : memref<128x128xf32>
        %s = memref.load %vec[%c0] : memref<16xf32>
        %w = arith.mulf %v, %s : f32
        memref.store %w, %x[%b, %i, %j] : memref<2x128x128xf32>
        scf.reduce
      }
    }
    memref.dealloc %tile : memref<128x128xf32>
    memref.dealloc %vec : memref<16xf32>
    scf.reduce
  }
  return
}
