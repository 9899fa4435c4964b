// RUN: hymir-opt %s --hymir-prepare-entry-points | FileCheck %s

// Public functions with a body get a C wrapper request and read-only tensor
// arguments; scalar arguments, private helpers and declarations are untouched.

// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%{{.+}}: tensor<?x4xf32> {bufferization.writable = false}, %{{[a-z0-9]+}}: f32, %{{.+}}: tensor<4xf32> {bufferization.writable = false})
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @entry(%x: tensor<?x4xf32>, %a: f32, %w: tensor<4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{[a-z0-9]+}}: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NOT: llvm.emit_c_interface
func.func private @helper(%w: tensor<4xf32>) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// CHECK: func.func private @external(f32) -> f32
// CHECK-NOT: llvm.emit_c_interface
func.func private @external(f32) -> f32

// A model's KV-cache marks are dropped (LLVM translation does not know
// them); other argument attributes stay.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%{{.+}}: tensor<?x?x2xf32> {bufferization.writable = false, test.kept}, %{{.+}}: tensor<?xi32> {bufferization.writable = false})
// CHECK-SAME: -> (tensor<?x?x2xf32>, tensor<?xi32>)
// CHECK-NOT: hymir.kv
func.func @decode(%k: tensor<?x?x2xf32> {hymir.kv_cache, test.kept}, %len: tensor<?xi32> {hymir.kv_lengths})
    -> (tensor<?x?x2xf32> {hymir.kv_cache}, tensor<?xi32> {hymir.kv_lengths}) {
  return %k, %len : tensor<?x?x2xf32>, tensor<?xi32>
}
