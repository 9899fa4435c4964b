// RUN: hymir-opt %s --hymir-narrow-inputs -split-input-file | FileCheck %s
// RUN: hymir-opt %s --hymir-narrow-inputs=element-type=f16 -split-input-file | FileCheck %s --check-prefix=F16
// RUN: not hymir-opt %s --hymir-narrow-inputs=element-type=f8 -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// hymir-narrow-inputs: activations bf16, recurrent states f32, widened one
// step at a time inside the scan body.

// BAD: error: hymir-narrow-inputs: element-type must be bf16 or f16, got 'f8'

// CHECK-LABEL: func.func @scan
// CHECK-SAME: (%[[Q:.+]]: tensor<?x?x2x4xbf16>, %[[K:.+]]: tensor<?x?x2x4xbf16>, %[[V:.+]]: tensor<?x?x2x6xbf16>, %[[G:.+]]: tensor<?x?x2xbf16>, %[[A:.+]]: tensor<2xbf16>, %[[S0:.+]]: tensor<?x2x4x6xf32>)
// CHECK-SAME: -> (tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>)
// The parameter is transformed before the scan: widened as a whole (2 values).
// CHECK: %[[AW:.+]] = arith.extf %[[A]] : tensor<2xbf16> to tensor<2xf32>
// CHECK: %[[AN:.+]] = arith.negf %[[AW]]
// CHECK: hymir.scan heads = 2
// CHECK-NEXT: ins(%[[Q]], %[[K]], %[[V]], %[[G]] : tensor<?x?x2x4xbf16>, tensor<?x?x2x4xbf16>, tensor<?x?x2x6xbf16>, tensor<?x?x2xbf16>)
// CHECK-NEXT: params(%[[AN]] : tensor<2xf32>)
// CHECK-NEXT: inits(%[[S0]] : tensor<?x2x4x6xf32>)
// CHECK-NEXT: ^bb0(%[[QT:[a-z0-9]+]]: tensor<4xbf16>, %[[KT:[a-z0-9]+]]: tensor<4xbf16>, %[[VT:[a-z0-9]+]]: tensor<6xbf16>, %[[GT:[a-z0-9]+]]: bf16, %{{.+}}: f32, %{{.+}}: tensor<4x6xf32>):
// CHECK-NEXT: arith.extf %[[QT]] : tensor<4xbf16> to tensor<4xf32>
// CHECK-NEXT: arith.extf %[[KT]] : tensor<4xbf16> to tensor<4xf32>
// CHECK-NEXT: arith.extf %[[VT]] : tensor<6xbf16> to tensor<6xf32>
// CHECK-NEXT: arith.extf %[[GT]] : bf16 to f32
// CHECK: hymir.yield %{{.+}}, %{{.+}} : tensor<6xf32>, tensor<4x6xf32>
// F16-LABEL: func.func @scan
// F16-SAME: tensor<?x?x2x4xf16>
// F16-SAME: %{{.+}}: tensor<?x2x4x6xf32>)
func.func @scan(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>,
                %g: tensor<?x?x2xf32>, %a: tensor<2xf32>, %S0: tensor<?x2x4x6xf32>)
    -> (tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>) {
  %an = arith.negf %a : tensor<2xf32>
  %o, %S_T = hymir.scan heads = 2
      ins(%q, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>,
          tensor<?x?x2xf32>)
      params(%an : tensor<2xf32>)
      inits(%S0 : tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: f32, %a_h: f32,
       %S: tensor<4x6xf32>):
    %x = arith.mulf %g_t, %a_h : f32
    %alpha = math.exp %x : f32
    %Sd = hymir.scale %S, %alpha : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %Sn = arith.addf %Sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %Sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %Sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S_T : tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>
}

// -----

// An initial state reached through another op stays f32; so does a scalar
// argument (only tensors are narrowed). A size read from an activation does
// not make it a state; a reshape moves to the narrow side; a parameter is
// widened once, outside the scan.
// CHECK-LABEL: func.func @state_through_op
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x6xbf16>, %[[W:.+]]: tensor<2x3xbf16>, %[[H0:.+]]: tensor<?x6xf32>, %{{.+}}: f32)
// CHECK: %[[WW:.+]] = arith.extf %[[W]] : tensor<2x3xbf16> to tensor<2x3xf32>
// CHECK: %[[B:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x?x6xbf16>
// CHECK: tensor.empty(%[[B]])
// CHECK: %[[XE:.+]] = tensor.expand_shape %[[X]] {{.+}} : tensor<?x?x6xbf16> into tensor<?x?x2x3xbf16>
// CHECK: hymir.scan heads = 2
// CHECK-NEXT: ins(%[[XE]] : tensor<?x?x2x3xbf16>)
// CHECK-NEXT: params(%[[WW]] : tensor<2x3xf32>)
// CHECK-NEXT: inits(%{{.+}} : tensor<?x2x3xf32>)
// CHECK-NEXT: ^bb0(%[[XT:.+]]: tensor<3xbf16>, %{{.+}}: tensor<3xf32>, %{{.+}}: tensor<3xf32>):
// CHECK-NEXT: arith.extf %[[XT]] : tensor<3xbf16> to tensor<3xf32>
func.func @state_through_op(%x: tensor<?x?x6xf32>, %w: tensor<2x3xf32>, %h0: tensor<?x6xf32>, %c: f32)
    -> (tensor<?x?x2x3xf32>, tensor<?x2x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %x, %c0 : tensor<?x?x6xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x6xf32>
  %e = tensor.empty(%B) : tensor<?x6xf32>
  %h0n = arith.addf %h0, %e : tensor<?x6xf32>
  %h0b = tensor.expand_shape %h0n [[0], [1, 2]] output_shape [%B, 2, 3]
      : tensor<?x6xf32> into tensor<?x2x3xf32>
  %xb = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [%B, %T, 2, 3]
      : tensor<?x?x6xf32> into tensor<?x?x2x3xf32>
  %y, %h_T = hymir.scan heads = 2 ins(%xb : tensor<?x?x2x3xf32>) params(%w : tensor<2x3xf32>)
      inits(%h0b : tensor<?x2x3xf32>) -> (tensor<?x?x2x3xf32>) {
  ^bb0(%x_t: tensor<3xf32>, %w_h: tensor<3xf32>, %h: tensor<3xf32>):
    %hs = hymir.scale %h, %c : tensor<3xf32>, f32
    %hw = arith.mulf %hs, %w_h : tensor<3xf32>
    %hn = arith.addf %hw, %x_t : tensor<3xf32>
    hymir.yield %hn, %hn : tensor<3xf32>, tensor<3xf32>
  }
  return %y, %h_T : tensor<?x?x2x3xf32>, tensor<?x2x3xf32>
}

// -----

// Attention on bf16 operands (f32 accumulation inside), its bf16 result
// widened for the f32 result of the function.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.+]]: tensor<?x?x2x8xbf16>, %[[K:.+]]: tensor<?x?x1x8xbf16>, %[[V:.+]]: tensor<?x?x1x5xbf16>) -> tensor<?x?x2x5xf32>
// CHECK: %[[O:.+]] = hymir.attention %[[Q]], %[[K]], %[[V]] {causal, scale = 5.000000e-01 : f32} : tensor<?x?x2x8xbf16>, tensor<?x?x1x8xbf16>, tensor<?x?x1x5xbf16> -> tensor<?x?x2x5xbf16>
// CHECK: %[[W:.+]] = arith.extf %[[O]] : tensor<?x?x2x5xbf16> to tensor<?x?x2x5xf32>
// CHECK: return %[[W]]
func.func @attention(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x1x8xf32>, %v: tensor<?x?x1x5xf32>)
    -> tensor<?x?x2x5xf32> {
  %o = hymir.attention %q, %k, %v {causal, scale = 0.5 : f32}
      : tensor<?x?x2x8xf32>, tensor<?x?x1x8xf32>, tensor<?x?x1x5xf32> -> tensor<?x?x2x5xf32>
  return %o : tensor<?x?x2x5xf32>
}

// -----

// Private functions are left alone.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: tensor<4xf32>
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
