// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128}))' \
// RUN:   | FileCheck %s
// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128 shared-memory=66000}))' \
// RUN:   | FileCheck %s --check-prefix=TIGHT
// RUN: hymir-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(hymir-parallel-loops-to-gpu{nest-threads=128 shared-memory=70000}))' \
// RUN:   | FileCheck %s --check-prefix=ROOM

// A block temporary that feeds tensor cores, with rows of a multiple of 32
// f32 (128 bytes, all 32 banks), in dynamic shared memory (60 KiB, within
// 70000 bytes): its rows are padded by 4 elements, so that the 8 rows a
// fragment load reads at once start in different banks. The buffer is
// 96 x 164; its users see the 96 x 160 view with row stride 164, the
// fragment ops' leading dimension 164. They address the workgroup buffer
// itself (wmma.load...shared), the element-wise store a generic view.
// Within the default 48 KiB it goes to the global workspace, unpadded.

// CHECK-LABEL: func.func @padded
// CHECK:       memref.view %{{.+}} to memref<96x160xf32>
// ROOM-LABEL:  func.func @padded
// ROOM:        dynamic_shared_memory_size
// ROOM:        %[[WG:.+]] = memref.view %{{.+}} to memref<96x164xf32, #gpu.address_space<workgroup>>
// ROOM:        %[[GEN:.+]] = memref.memory_space_cast %[[WG]] : memref<96x164xf32, #gpu.address_space<workgroup>> to memref<96x164xf32>
// ROOM:        %[[WVIEW:.+]] = memref.subview %[[WG]][0, 0] [96, 160] [1, 1] : memref<96x164xf32, #gpu.address_space<workgroup>> to memref<96x160xf32, strided<[164, 1]>, #gpu.address_space<workgroup>>
// ROOM:        %[[VIEW:.+]] = memref.subview %[[GEN]][0, 0] [96, 160] [1, 1] : memref<96x164xf32> to memref<96x160xf32, strided<[164, 1]>>
// ROOM:        memref.store %{{.+}}, %[[VIEW]]
// ROOM:        gpu.subgroup_mma_load_matrix %[[WVIEW]][%{{.+}}, %{{.+}}] {leadDimension = 164 : index} : memref<96x160xf32, strided<[164, 1]>, #gpu.address_space<workgroup>> -> !gpu.mma_matrix<16x8xf32, "AOp">
func.func @padded(%x: memref<2x16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c96 = arith.constant 96 : index
  %c160 = arith.constant 160 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %a = memref.alloc() : memref<96x160xf32>
    %c = memref.subview %x[%b, 0, 0] [1, 16, 16] [1, 1, 1]
        : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c96, %c160) step (%c1, %c1) {
        memref.store %cst, %a[%i, %j] : memref<96x160xf32>
        scf.reduce
      }
      scf.parallel (%ti) = (%c0) to (%c1) step (%c1) {
        %acc = gpu.subgroup_mma_load_matrix %c[%c0, %c0] {leadDimension = 16 : index}
            : memref<16x16xf32, strided<[16, 1], offset: ?>> -> !gpu.mma_matrix<16x16xf32, "COp">
        %l = gpu.subgroup_mma_load_matrix %a[%c0, %c8] {leadDimension = 160 : index}
            : memref<96x160xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
        %m = gpu.subgroup_mma_load_matrix %a[%c8, %c0] {leadDimension = 160 : index}
            : memref<96x160xf32> -> !gpu.mma_matrix<8x16xf32, "BOp">
        %z = gpu.subgroup_mma_compute %l, %m, %acc
            : !gpu.mma_matrix<16x8xf32, "AOp">, !gpu.mma_matrix<8x16xf32, "BOp">
            -> !gpu.mma_matrix<16x16xf32, "COp">
        gpu.subgroup_mma_store_matrix %z, %c[%c0, %c0] {leadDimension = 16 : index}
            : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x16xf32, strided<[16, 1], offset: ?>>
        scf.reduce
      } {hymir.warp_tiles}
    }
    memref.dealloc %a : memref<96x160xf32>
    scf.reduce
  }
  return
}

// -----

// The same temporary in a block whose temporaries fit the static 48 KiB:
// neither layout. Measured in bf16 Gated DeltaNet's state pass (4 KiB of
// static shared memory), padding and workgroup-space fragment ops each made
// it slower (LoopsToGPU.cpp says by how much): the buffer stays 32 x 32 and
// the fragment ops address the generic view.

// CHECK-LABEL: func.func @static_shared
// CHECK:       gpu.launch
// CHECK-SAME:  workgroup(%[[WG:.+]] : memref<32x32xf32, #gpu.address_space<workgroup>>)
// CHECK:       %[[GEN:.+]] = memref.memory_space_cast %[[WG]]
// CHECK:       gpu.subgroup_mma_load_matrix %[[GEN]][%{{.+}}, %{{.+}}] {leadDimension = 32 : index} : memref<32x32xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
func.func @static_shared(%x: memref<2x16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %a = memref.alloc() : memref<32x32xf32>
    %c = memref.subview %x[%b, 0, 0] [1, 16, 16] [1, 1, 1]
        : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c32, %c32) step (%c1, %c1) {
        memref.store %cst, %a[%i, %j] : memref<32x32xf32>
        scf.reduce
      }
      scf.parallel (%ti) = (%c0) to (%c1) step (%c1) {
        %acc = gpu.subgroup_mma_load_matrix %c[%c0, %c0] {leadDimension = 16 : index}
            : memref<16x16xf32, strided<[16, 1], offset: ?>> -> !gpu.mma_matrix<16x16xf32, "COp">
        %l = gpu.subgroup_mma_load_matrix %a[%c0, %c8] {leadDimension = 32 : index}
            : memref<32x32xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
        %m = gpu.subgroup_mma_load_matrix %a[%c8, %c0] {leadDimension = 32 : index}
            : memref<32x32xf32> -> !gpu.mma_matrix<8x16xf32, "BOp">
        %z = gpu.subgroup_mma_compute %l, %m, %acc
            : !gpu.mma_matrix<16x8xf32, "AOp">, !gpu.mma_matrix<8x16xf32, "BOp">
            -> !gpu.mma_matrix<16x16xf32, "COp">
        gpu.subgroup_mma_store_matrix %z, %c[%c0, %c0] {leadDimension = 16 : index}
            : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x16xf32, strided<[16, 1], offset: ?>>
        scf.reduce
      } {hymir.warp_tiles}
    }
    memref.dealloc %a : memref<32x32xf32>
    scf.reduce
  }
  return
}

// -----

// Rows of 24 f32 are not a multiple of 32 elements: no padding; in dynamic
// shared memory the fragment load still addresses the workgroup buffer.

// ROOM-LABEL: func.func @unpadded
// ROOM:       %[[WG:.+]] = memref.view %{{.+}} to memref<640x24xf32, #gpu.address_space<workgroup>>
// ROOM:       gpu.subgroup_mma_load_matrix %[[WG]][%{{.+}}, %{{.+}}] {leadDimension = 24 : index} : memref<640x24xf32, #gpu.address_space<workgroup>>
func.func @unpadded(%x: memref<2x16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c640 = arith.constant 640 : index
  %c24 = arith.constant 24 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %a = memref.alloc() : memref<640x24xf32>
    %c = memref.subview %x[%b, 0, 0] [1, 16, 16] [1, 1, 1]
        : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c640, %c24) step (%c1, %c1) {
        memref.store %cst, %a[%i, %j] : memref<640x24xf32>
        scf.reduce
      }
      scf.parallel (%ti) = (%c0) to (%c1) step (%c1) {
        %acc = gpu.subgroup_mma_load_matrix %a[%c0, %c0] {leadDimension = 24 : index}
            : memref<640x24xf32> -> !gpu.mma_matrix<16x16xf32, "COp">
        gpu.subgroup_mma_store_matrix %acc, %c[%c0, %c0] {leadDimension = 16 : index}
            : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x16xf32, strided<[16, 1], offset: ?>>
        scf.reduce
      } {hymir.warp_tiles}
    }
    memref.dealloc %a : memref<640x24xf32>
    scf.reduce
  }
  return
}

// -----

// A 128 x 128 tile (64 KiB) padded would be 66 KiB. Within 66000 bytes of
// shared memory it fits only unpadded, and padding never moves a temporary
// to the global workspace: it stays 128 x 128 in dynamic shared memory.
// Within 70000 bytes it is padded. Within the default 48 KiB it goes to
// the workspace either way, unpadded.

// CHECK-LABEL: func.func @padding_needs_room
// CHECK:       memref.alloc() {alignment = 256 : i64} : memref<131072xi8>
// CHECK:       memref.view %{{.+}} : memref<131072xi8> to memref<128x128xf32>
// TIGHT-LABEL: func.func @padding_needs_room
// TIGHT:       dynamic_shared_memory_size
// TIGHT:       memref.view %{{.+}} to memref<128x128xf32, #gpu.address_space<workgroup>>
// ROOM-LABEL:  func.func @padding_needs_room
// ROOM:        dynamic_shared_memory_size
// ROOM:        memref.view %{{.+}} to memref<128x132xf32, #gpu.address_space<workgroup>>
func.func @padding_needs_room(%x: memref<2x16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %cst = arith.constant 1.0 : f32
  scf.parallel (%b) = (%c0) to (%c2) step (%c1) {
    %a = memref.alloc() : memref<128x128xf32>
    %c = memref.subview %x[%b, 0, 0] [1, 16, 16] [1, 1, 1]
        : memref<2x16x16xf32> to memref<16x16xf32, strided<[16, 1], offset: ?>>
    scf.for %t = %c0 to %c2 step %c1 {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
        memref.store %cst, %a[%i, %j] : memref<128x128xf32>
        scf.reduce
      }
      scf.parallel (%ti) = (%c0) to (%c1) step (%c1) {
        %acc = gpu.subgroup_mma_load_matrix %c[%c0, %c0] {leadDimension = 16 : index}
            : memref<16x16xf32, strided<[16, 1], offset: ?>> -> !gpu.mma_matrix<16x16xf32, "COp">
        %l = gpu.subgroup_mma_load_matrix %a[%c0, %c8] {leadDimension = 128 : index}
            : memref<128x128xf32> -> !gpu.mma_matrix<16x8xf32, "AOp">
        %m = gpu.subgroup_mma_load_matrix %a[%c8, %c0] {leadDimension = 128 : index}
            : memref<128x128xf32> -> !gpu.mma_matrix<8x16xf32, "BOp">
        %z = gpu.subgroup_mma_compute %l, %m, %acc
            : !gpu.mma_matrix<16x8xf32, "AOp">, !gpu.mma_matrix<8x16xf32, "BOp">
            -> !gpu.mma_matrix<16x16xf32, "COp">
        gpu.subgroup_mma_store_matrix %z, %c[%c0, %c0] {leadDimension = 16 : index}
            : !gpu.mma_matrix<16x16xf32, "COp">, memref<16x16xf32, strided<[16, 1], offset: ?>>
        scf.reduce
      } {hymir.warp_tiles}
    }
    memref.dealloc %a : memref<128x128xf32>
    scf.reduce
  }
  return
}
