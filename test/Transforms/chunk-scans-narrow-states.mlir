// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 vector-rows=false value-tile=5 parallel-chunks=true narrow-states=true remarks=true" 2>&1 | FileCheck %s

// hymir-chunk-scans{narrow-states} on the delta rule (Gated DeltaNet with
// bf16 activations) in value tiles of 5 columns: the state pass records each
// chunk's incoming [6, 5] state tile as bf16 into the [B, H, chunks, 6, 10]
// workspace, while the delta rule's V' rows stay f32; the outputs (in the
// state pass's tiles of 5: output-value-tile defaults to -1) widen the bf16
// tile back before Q S_c.

// CHECK: remark: chunked (UT/WY, C = 16, parallel chunks, bf16 states): scalar decay, delta rule
// CHECK-LABEL: func.func @gdn_bf16
// The state pass's workspaces: bf16 states, f32 V' rows.
// CHECK: %[[STATES:.*]] = tensor.empty({{.*}}) : tensor<?x2x?x6x10xbf16>
// CHECK: %[[ROWS:.*]] = tensor.empty({{.*}}) : tensor<?x2x?x10xf32>
// CHECK: scf.forall {{.*}} shared_outs({{.*}}, %{{.*}} = %[[STATES]], %{{.*}} = %[[ROWS]])
// CHECK: scf.for
// CHECK: %[[SLOT:.*]] = tensor.extract_slice %{{.*}} : tensor<?x6x5xbf16> to tensor<6x5xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<6x5xf32>) outs(%[[SLOT]] : tensor<6x5xbf16>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.truncf %{{.*}} : f32 to bf16
// CHECK: tensor.insert_slice %{{.*}} : tensor<6x5xbf16> into tensor<?x6x5xbf16>
// The outputs read a bf16 tile and widen it.
// CHECK: tensor.extract_slice %{{.*}} : tensor<?x2x?x6x10xbf16> to tensor<6x5xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<6x5xbf16>) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.extf %{{.*}} : bf16 to f32
// CHECK: return

func.func @gdn_bf16(%q: tensor<?x?x2x6xbf16>, %k: tensor<?x?x2x6xbf16>,
                    %v: tensor<?x?x2x10xbf16>, %g: tensor<?x?x2xf32>,
                    %beta: tensor<?x?x2xf32>, %S0: tensor<?x2x6x10xf32>)
    -> (tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>) {
  %qf = arith.extf %q : tensor<?x?x2x6xbf16> to tensor<?x?x2x6xf32>
  %kf = arith.extf %k : tensor<?x?x2x6xbf16> to tensor<?x?x2x6xf32>
  %vf = arith.extf %v : tensor<?x?x2x10xbf16> to tensor<?x?x2x10xf32>
  %o, %S_T = hymir.scan heads = 2
      ins(%qf, %kf, %vf, %g, %beta : tensor<?x?x2x6xf32>, tensor<?x?x2x6xf32>,
          tensor<?x?x2x10xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>)
      inits(%S0 : tensor<?x2x6x10xf32>) -> (tensor<?x?x2x10xf32>) {
  ^bb0(%q_t: tensor<6xf32>, %k_t: tensor<6xf32>, %v_t: tensor<10xf32>, %g_t: f32, %beta_t: f32,
       %S: tensor<6x10xf32>):
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S, %alpha : tensor<6x10xf32>, f32
    %pred = hymir.read %S_decayed, %k_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    %err = arith.subf %v_t, %pred : tensor<10xf32>
    %u_t = hymir.scale %err, %beta_t : tensor<10xf32>, f32
    %ku = hymir.outer %k_t, %u_t : tensor<6xf32>, tensor<10xf32> -> tensor<6x10xf32>
    %S_new = arith.addf %S_decayed, %ku : tensor<6x10xf32>
    %o_t = hymir.read %S_new, %q_t : tensor<6x10xf32>, tensor<6xf32> -> tensor<10xf32>
    hymir.yield %o_t, %S_new : tensor<10xf32>, tensor<6x10xf32>
  }
  return %o, %S_T : tensor<?x?x2x10xf32>, tensor<?x2x6x10xf32>
}
