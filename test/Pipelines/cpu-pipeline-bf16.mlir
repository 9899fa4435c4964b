// RUN: hymir-opt %s --hymir-cpu-pipeline --mlir-disable-threading --mlir-print-ir-after=convert-linalg-to-loops -o /dev/null 2>&1 | FileCheck %s
// RUN: hymir-opt %s --hymir-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// bf16 activations on the CPU target (what hymir-narrow-inputs makes of the
// gallery): the compiled code loads bf16 elements (half the bytes) straight
// from the caller's buffers and widens them in registers (arith.extf next to
// each load); no f32 copy of a whole input is ever made; the state stays f32.
// One scan takes the chunked form (scalar class), one the token-sequential
// fallback (a general dplr body). Single-threaded, so that the per-function
// IR dumps come in module order.

// CHECK-LABEL: func.func @chunked(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<?x?x2x12xbf16>, %[[K:[a-z0-9]+]]: memref<?x?x2x12xbf16>, %[[V:[a-z0-9]+]]: memref<?x?x2x20xbf16>, %[[G:[a-z0-9]+]]: memref<?x?x2xbf16>
// The only buffer of a [B, T, ...] shape is the output o; no f32 (or other)
// copy of q, k (?x?x2x12), v (?x?x2x20, the shape of o) or g (?x?x2).
// CHECK-NOT: memref<?x?x2x12xf32>
// CHECK-NOT: memref<?x?x2xf32>
// CHECK: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x2x20xf32>
// CHECK-NOT: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x
// CHECK-NOT: memref<?x?x2x12xf32>
// The chunk's prepare loop reads bf16 elements of the inputs and widens them.
// CHECK: %[[L:.+]] = memref.load %{{.+}}[%{{.+}}] : memref<12xbf16, strided<[1], offset: ?>>
// CHECK-NEXT: arith.extf %[[L]] : bf16 to f32
// CHECK-NOT: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x
// CHECK-NOT: memref<?x?x2x12xf32>
// CHECK-LABEL: func.func @sequential(
// CHECK-SAME: memref<?x?x2x12xbf16>
// CHECK-NOT: memref<?x?x2x12xf32>
// CHECK-NOT: memref<?x?x2xf32>
// CHECK: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x2x20xf32>
// CHECK-NOT: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x
// CHECK-NOT: memref<?x?x2x12xf32>
// CHECK: %[[L2:.+]] = memref.load %{{.+}}[%{{.+}}] : memref<12xbf16, strided<[1], offset: ?>>
// CHECK-NEXT: arith.extf %[[L2]] : bf16 to f32
// CHECK-NOT: memref.alloc(%{{.+}}, %{{.+}}) {{.*}}: memref<?x?x
// CHECK-NOT: memref<?x?x2x12xf32>

// At the end: 2-byte loads widened by fpext.
// LLVM-LABEL: llvm.func @chunked(
// LLVM: llvm.load %{{.+}} : !llvm.ptr -> bf16
// LLVM: llvm.fpext %{{.+}} : bf16 to f32
// LLVM-LABEL: llvm.func @sequential(
// LLVM: llvm.load %{{.+}} : !llvm.ptr -> bf16
// LLVM: llvm.fpext %{{.+}} : bf16 to f32

// simple_gla with bf16 q, k, v, g (f32 state).
func.func @chunked(%q: tensor<?x?x2x12xbf16>, %k: tensor<?x?x2x12xbf16>, %v: tensor<?x?x2x20xbf16>,
                   %g: tensor<?x?x2xbf16>, %S0: tensor<?x2x12x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %g : tensor<?x?x2x12xbf16>, tensor<?x?x2x12xbf16>, tensor<?x?x2x20xbf16>,
          tensor<?x?x2xbf16>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%q_h: tensor<12xbf16>, %k_h: tensor<12xbf16>, %v_h: tensor<20xbf16>, %g_h: bf16,
       %S: tensor<12x20xf32>):
    %q_t = arith.extf %q_h : tensor<12xbf16> to tensor<12xf32>
    %k_t = arith.extf %k_h : tensor<12xbf16> to tensor<12xf32>
    %v_t = arith.extf %v_h : tensor<20xbf16> to tensor<20xf32>
    %g_t = arith.extf %g_h : bf16 to f32
    %alpha = math.exp %g_t : f32
    %Sd = hymir.scale %S, %alpha : tensor<12x20xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %Sn = arith.addf %Sd, %kv : tensor<12x20xf32>
    %o_t = hymir.read %Sn, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %Sn : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}

// A delta-rule body with bf16 q, k, v, beta (f32 state) whose correction
// reads the state with q, not k: a general dplr scan, which the chunked UT/WY
// form does not take, so it stays token-sequential.
func.func @sequential(%q: tensor<?x?x2x12xbf16>, %k: tensor<?x?x2x12xbf16>, %v: tensor<?x?x2x20xbf16>,
                      %beta: tensor<?x?x2xbf16>, %S0: tensor<?x2x12x20xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>) {
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %beta : tensor<?x?x2x12xbf16>, tensor<?x?x2x12xbf16>, tensor<?x?x2x20xbf16>,
          tensor<?x?x2xbf16>)
      inits(%S0 : tensor<?x2x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%q_h: tensor<12xbf16>, %k_h: tensor<12xbf16>, %v_h: tensor<20xbf16>, %b_h: bf16,
       %S: tensor<12x20xf32>):
    %q_t = arith.extf %q_h : tensor<12xbf16> to tensor<12xf32>
    %k_t = arith.extf %k_h : tensor<12xbf16> to tensor<12xf32>
    %v_t = arith.extf %v_h : tensor<20xbf16> to tensor<20xf32>
    %b_t = arith.extf %b_h : bf16 to f32
    %p = hymir.read %S, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    %e = arith.subf %v_t, %p : tensor<20xf32>
    %u = hymir.scale %e, %b_t : tensor<20xf32>, f32
    %ku = hymir.outer %k_t, %u : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %Sn = arith.addf %S, %ku : tensor<12x20xf32>
    %o_t = hymir.read %Sn, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %Sn : tensor<20xf32>, tensor<12x20xf32>
  }
  return %o, %S_T : tensor<?x?x2x20xf32>, tensor<?x2x12x20xf32>
}
