// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=16 remarks=true" -split-input-file -verify-diagnostics --canonicalize | FileCheck %s
// RUN: hymir-opt %s --hymir-normalize --hymir-chunk-scans="chunk-size=0 remarks=true" -split-input-file 2>&1 | FileCheck %s --check-prefix=OFF

// hymir-chunk-scans: which scans take a chunked (masked-matmul or UT/WY) form and
// why the others keep the sequential fallback. chunk-size = 0 chunks nothing.
// OFF-COUNT-14: remark: sequential fallback: chunk-size = 0
// OFF-NOT: scf.forall

// Scalar decay a = exp(g) with GQA (q, k of 2 heads read by 4), a time index
// and a skip term: the body's state-independent part is cloned into the
// per-step prepare loop, g (not exp(g)) is the log-decay, head h reads
// h // 2 of q and k.
// CHECK-LABEL: func.func @scalar_gqa
// CHECK-NOT:   hymir.scan
// CHECK:       scf.forall (%[[B:.+]], %[[H:.+]]) in (%{{.+}}, 4)
// CHECK:         %[[HX:.+]] = arith.divui %[[H]], %c2
// CHECK:         %[[N:.+]] = arith.ceildivui %[[T:.+]], %c16
// CHECK:         scf.for %[[C:.+]] = %c0 to %[[N]] step %c1 iter_args(%[[S:.+]] = %{{.+}}, %[[O:.+]] = %{{.+}}) -> (tensor<4x6xf32>, tensor<?x6xf32>)
// CHECK:           %[[T0:.+]] = arith.muli %[[C]], %c16
// CHECK:           %[[L:.+]] = arith.minui
// The chunk rows start undefined (no zero fill of full chunks) ...
// CHECK-NOT:       linalg.fill
// CHECK:           %[[ROWS:.+]]:5 = scf.for %[[I:.+]] = %c0 to %[[L]] step %c1 iter_args({{.+}}) -> (tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x6xf32>, tensor<16xf32>, tensor<16x6xf32>)
// CHECK:             %[[TI:.+]] = arith.addi %[[T0]], %[[I]]
// CHECK:             tensor.extract_slice %arg0[%[[B]], %[[TI]], %[[HX]], 0] [1, 1, 1, 4]
// CHECK:             %[[G:.+]] = tensor.extract %arg3[%[[B]], %[[TI]], %[[H]]]
// CHECK:             arith.index_cast %[[TI]]
// CHECK:             vector.transfer_write %{{.+}}, %{{.+}}[%[[I]], %c0] {in_bounds = [true]} : vector<4xf32>, tensor<16x4xf32>
// CHECK:             tensor.insert %[[G]] into
// ... the prepare loop is tagged for hymir-prefetch-chunk-rows, and only the
// rows past the end of the sequence, [L, 16), are zeroed after it.
// CHECK:           } {hymir.chunk_prepare = 16 : i64}
// CHECK:           %[[TAIL:.+]] = arith.subi %c16, %[[L]]
// CHECK:           %[[PAST:.+]] = tensor.extract_slice %[[ROWS]]#0[%[[L]], 0] [%[[TAIL]], 4] [1, 1]
// CHECK:           %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[PAST]] : tensor<?x4xf32>)
// CHECK:           tensor.insert_slice %[[ZERO]] into %[[ROWS]]#0[%[[L]], 0] [%[[TAIL]], 4] [1, 1]
// CHECK-COUNT-4:   linalg.fill
// The in-chunk cumulative log-decay G: a running sum.
// CHECK:           %[[CUM:.+]]:2 = scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args(%{{.+}} = %cst{{.*}}, %{{.+}} = %{{.+}}) -> (f32, tensor<16xf32>)
// CHECK:             arith.addf
// CHECK:           linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<16x4xf32>, tensor<16x4xf32>) outs(%{{.+}} : tensor<16x16xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_result}
// The causal decay mask row by row, as vectors; its exponentials are
// polynomials (vectorizable), not libm calls.
// CHECK:           scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (tensor<16x16xf32>)
// CHECK:             arith.cmpi uge, %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK:             arith.subf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK-NOT:         math.exp
// CHECK:             llvm.intr.floor(%{{.+}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK:             arith.select %{{.+}}, %{{.+}}, %{{.+}} : vector<16xi1>, vector<16xf32>
// CHECK:             vector.transfer_write
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[S]] : tensor<16x4xf32>, tensor<4x6xf32>) {{.+}} attrs = {hymir.chunk_matmul}
// CHECK:           linalg.generic {{.+}} ins(%{{.+}} : tensor<16x16xf32>, tensor<16x6xf32>) {{.+}} attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:           %[[NEXT:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<16x4xf32>, tensor<16x6xf32>) outs(%{{.+}} : tensor<4x6xf32>) attrs = {hymir.chunk_matmul}
// CHECK:           %[[W:.+]] = scf.for %[[I2:.+]] = %c0 to %[[L]] step %c1 iter_args(%[[OD:.+]] = %[[O]]) -> (tensor<?x6xf32>)
// CHECK:             %[[ROW:.+]] = vector.transfer_read %{{.+}}[%[[I2]], %c0]{{.+}} : tensor<16x6xf32>, vector<6xf32>
// CHECK:             %[[TO:.+]] = arith.addi %[[T0]], %[[I2]]
// CHECK:             vector.transfer_write %[[ROW]], %[[OD]][%[[TO]], %c0]
// CHECK:           scf.yield %[[NEXT]], %[[W]]
// CHECK:         scf.forall.in_parallel
func.func @scalar_gqa(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x6xf32>,
                      %g: tensor<?x?x4xf32>, %S0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  // expected-remark @+1 {{chunked (masked matmul, C = 16): scalar decay, rank-1 update, read + skip}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v, %g : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x4x6xf32>,
          tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%t: index, %q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: f32,
       %s: tensor<4x6xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %kv, %sd : tensor<4x6xf32>
    %r = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %ti = arith.index_cast %t : index to i64
    %tf = arith.uitofp %ti : i64 to f32
    %skip = hymir.scale %v_t, %tf : tensor<6xf32>, f32
    %o_t = arith.addf %skip, %r : tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// Identity (linear attention): no decay, no cumulative sum, no exp.
// CHECK-LABEL: func.func @identity
// CHECK:       scf.forall
// CHECK-NOT:   llvm.intr.fma
// CHECK-COUNT-4: attrs = {hymir.chunk_matmul
// CHECK-NOT:   llvm.intr.fma
// CHECK:       scf.forall.in_parallel
func.func @identity(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                    %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{chunked (masked matmul, C = 16): no decay, rank-1 update, read}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %s, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// A decay given by a constant positive parameter (RetNet's γ): its log is
// taken per step.
// CHECK-LABEL: func.func @positive_param
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           math.log
// CHECK:       attrs = {hymir.chunk_matmul}
func.func @positive_param(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>,
                          %S0: tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>) {
  %gamma = arith.constant dense<[0.5, 0.875]> : tensor<2xf32>
  // expected-remark @+1 {{chunked (masked matmul, C = 16): scalar decay, rank-1 update, read}}
  %o, %S = hymir.scan heads = 2
      ins(%q, %k, %v : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>)
      params(%gamma : tensor<2xf32>) inits(%S0 : tensor<?x2x4x6xf32>) -> (tensor<?x?x2x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %gm: f32, %s: tensor<4x6xf32>):
    %sd = hymir.scale %s, %gm : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x2x6xf32>, tensor<?x2x4x6xf32>
}

// -----

// A decay that may be zero or negative (a parameter not known at compile
// time): no logarithm, so no chunked form.
// CHECK-LABEL: func.func @unknown_sign
// CHECK:       hymir.scan
func.func @unknown_sign(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                        %gamma: tensor<f32>, %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the decay factor is neither exp(x) nor a positive constant (its logarithm may not exist)}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      params(%gamma : tensor<f32>) inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %gm: f32, %s: tensor<4x6xf32>):
    %sd = hymir.scale %s, %gm : tensor<4x6xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The output reads the state before the update (RWKV-6 style): not chunked
// yet.
// CHECK-LABEL: func.func @pre_read
// CHECK:       hymir.scan
func.func @pre_read(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                    %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the output does not read the updated state}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %s, %kv : tensor<4x6xf32>
    %o_t = hymir.read %s, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The output divides by a second read of the state (a normaliser): the
// chunk algebra would drop it, so the scan keeps the fallback.
// CHECK-LABEL: func.func @normaliser
// CHECK:       hymir.scan
func.func @normaliser(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                      %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the output is not 'S_tᵀ q [+ e]' of the updated state}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %s, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %o_t = arith.divf %r, %r : tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// Two reads of the updated state, one of them summed with the other's
// addend: the extra read would be lost.
// CHECK-LABEL: func.func @second_read
// CHECK:       hymir.scan
func.func @second_read(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                       %S0: tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>, tensor<?x4x6xf32>) {
  // expected-remark @+1 {{sequential fallback: the output is not 'S_tᵀ q [+ e]' of the updated state}}
  %o, %S = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%S0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %s: tensor<4x6xf32>):
    %kv = hymir.outer %k_t, %v_t : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %s, %kv : tensor<4x6xf32>
    %r = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %r2 = hymir.read %sn, %k_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %o_t = arith.addf %r, %r2 : tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x6xf32>, tensor<?x4x6xf32>
}

// -----

// The delta rule without β (β = 1) and no decay: the UT/WY form, with a
// constant β row.
// CHECK-LABEL: func.func @delta
// CHECK:       %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:       scf.forall
// CHECK:           tensor.insert %[[ONE]] into %{{.+}} : tensor<16xf32>
// CHECK:       scf.forall.in_parallel
func.func @delta(%k: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>, %S0: tensor<?x4x4xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{chunked (UT/WY, C = 16): no decay, delta rule, read}}
  %o, %S = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %p = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %s, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}

// -----

// The output's query is the correction's own read of the state (K = V):
// the chunk rows cannot hold a state-dependent query.
// CHECK-LABEL: func.func @delta_state_query
// CHECK:       hymir.scan
func.func @delta_state_query(%k: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>, %S0: tensor<?x4x4xf32>)
    -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: the output's query depends on the state}}
  %o, %S = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %p = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %s, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %p : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}

// -----

// Gated DeltaNet's shape (scalar decay exp(g), β, GVA: q/k of 2 heads read
// by 4): per chunk the prepare loop fills q, k, v, g and β rows; then K Kᵀ,
// A = strictly-lower(diag(β) (K Kᵀ ∘ D)) (cmpi ugt: j < i), the forward
// substitution L = (I + A)⁻¹ row by row (vector FMAs over rows j < i),
// U = L diag(β) V and −W = −L diag(β e^G) K (lower-triangular lhs), V' =
// U − W S, then the masked-matmul algebra on V'.
// CHECK-LABEL: func.func @gated_delta
// CHECK:       scf.forall (%[[B:.+]], %[[H:.+]]) in (%{{.+}}, 4)
// CHECK:         arith.divui %[[H]], %c2
// CHECK:         scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(%[[S:.+]] = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<4x6xf32>, tensor<?x6xf32>)
// CHECK:           scf.for {{.+}} -> (tensor<16x4xf32>, tensor<16x4xf32>, tensor<16x6xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:           linalg.generic {{.+}} ins(%[[K:.+]], %[[K]] : tensor<16x4xf32>, tensor<16x4xf32>) outs(%{{.+}} : tensor<16x16xf32>) attrs = {hymir.chunk_matmul, hymir.lower_triangular_result}
// CHECK:           scf.for
// CHECK:             arith.cmpi ugt, %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK:           %[[L:.+]] = scf.for %[[I:.+]] = %c0 to %c16 step %c1 iter_args(%[[LA:.+]] = %{{.+}}) -> (tensor<16x16xf32>)
// CHECK:             scf.for %[[J:.+]] = %c0 to %[[I]] step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<16xf32>)
// CHECK:               vector.transfer_read %[[LA]][%[[J]], %c0]
// CHECK:               vector.fma
// CHECK:           %[[U:.+]] = linalg.generic {{.+}} ins(%[[L]], %{{.+}} : tensor<16x16xf32>, tensor<16x6xf32>) {{.+}} attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:           %[[W:.+]] = linalg.generic {{.+}} ins(%[[L]], %{{.+}} : tensor<16x16xf32>, tensor<16x4xf32>) {{.+}} attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:           %[[VP:.+]] = linalg.generic {{.+}} ins(%[[W]], %[[S]] : tensor<16x4xf32>, tensor<4x6xf32>) outs(%[[U]] : tensor<16x6xf32>) attrs = {hymir.chunk_matmul}
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[VP]] : tensor<16x16xf32>, tensor<16x6xf32>) {{.+}} attrs = {hymir.chunk_matmul, hymir.lower_triangular_lhs}
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %[[VP]] : tensor<16x4xf32>, tensor<16x6xf32>) outs(%{{.+}} : tensor<4x6xf32>) attrs = {hymir.chunk_matmul}
// CHECK:         scf.forall.in_parallel
func.func @gated_delta(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x4x6xf32>,
                       %g: tensor<?x?x4xf32>, %beta: tensor<?x?x4xf32>, %S0: tensor<?x4x4x6xf32>)
    -> (tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>) {
  // expected-remark @+1 {{chunked (UT/WY, C = 16): scalar decay, delta rule, read}}
  %o, %S = hymir.scan heads = 4
      ins(%q, %k, %v, %g, %beta : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x4x6xf32>,
          tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4x6xf32>) -> (tensor<?x?x4x6xf32>) {
  ^bb0(%q_t: tensor<4xf32>, %k_t: tensor<4xf32>, %v_t: tensor<6xf32>, %g_t: f32, %b_t: f32,
       %s: tensor<4x6xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<4x6xf32>, f32
    %p = hymir.read %sd, %k_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %v_t, %p : tensor<6xf32>
    %u = hymir.scale %e, %b_t : tensor<6xf32>, f32
    %ku = hymir.outer %k_t, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %o_t = hymir.read %sn, %q_t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %o_t, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return %o, %S : tensor<?x?x4x6xf32>, tensor<?x4x4x6xf32>
}

// -----

// The correction reads the state before its decay ((a I − β k kᵀ) S: not
// Gated DeltaNet's a (I − β k kᵀ) S): the fallback.
// CHECK-LABEL: func.func @delta_undecayed_read
// CHECK:       hymir.scan
func.func @delta_undecayed_read(%k: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>, %g: tensor<?x?xf32>,
                                %S0: tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: the correction does not read the decayed state S' along rows}}
  %o, %S = hymir.scan ins(%k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %g_t: f32, %s: tensor<4x4xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<4x4xf32>, f32
    %p = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %sd, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}

// -----

// The correction reads the state with another vector than the update's key
// (I − k wᵀ, a general dplr transition): the fallback.
// CHECK-LABEL: func.func @delta_other_vector
// CHECK:       hymir.scan
func.func @delta_other_vector(%k: tensor<?x?x4xf32>, %w: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>,
                              %S0: tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: the correction reads the state with another vector than the update's key (general dplr)}}
  %o, %S = hymir.scan ins(%k, %w, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %w_t: tensor<4xf32>, %v_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %p = hymir.read %s, %w_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %s, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}

// -----

// A per-key decay whose correction reads the undecayed state
// ((diag(a) − β k kᵀ) S: not KDA's order): the per-key UT/WY form needs the
// read of S' = diag(a) S (chunk-scans-diagonal.mlir has KDA).
// CHECK-LABEL: func.func @delta_per_key_undecayed_read
// CHECK:       hymir.scan
func.func @delta_per_key_undecayed_read(%k: tensor<?x?x4xf32>, %v: tensor<?x?x4xf32>, %g: tensor<?x?x4xf32>,
                               %S0: tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: the correction does not read the decayed state S' along rows}}
  %o, %S = hymir.scan ins(%k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %g_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %a = math.exp %g_t : tensor<4xf32>
    %sd = hymir.scale %s, %a along rows : tensor<4x4xf32>, tensor<4xf32>
    %p = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %sd, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x?x4xf32>, tensor<?x4x4xf32>
}

// -----

// A decode step (static T = 1): one partial chunk would cost C² work for one
// token, so the scan keeps the sequential form.
// CHECK-LABEL: func.func @single_step
// CHECK:       hymir.scan
func.func @single_step(%k: tensor<?x1x4xf32>, %v: tensor<?x1x4xf32>, %S0: tensor<?x4x4xf32>)
    -> (tensor<?x1x4xf32>, tensor<?x4x4xf32>) {
  // expected-remark @+1 {{sequential fallback: a single step (static T = 1) is cheaper sequentially}}
  %o, %S = hymir.scan ins(%k, %v : tensor<?x1x4xf32>, tensor<?x1x4xf32>)
      inits(%S0 : tensor<?x4x4xf32>) -> (tensor<?x1x4xf32>) {
  ^bb0(%k_t: tensor<4xf32>, %v_t: tensor<4xf32>, %s: tensor<4x4xf32>):
    %p = hymir.read %s, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %e = arith.subf %v_t, %p : tensor<4xf32>
    %ke = hymir.outer %k_t, %e : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %sn = arith.addf %s, %ke : tensor<4x4xf32>
    %o_t = hymir.read %sn, %k_t : tensor<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    hymir.yield %o_t, %sn : tensor<4xf32>, tensor<4x4xf32>
  }
  return %o, %S : tensor<?x1x4xf32>, tensor<?x4x4xf32>
}
