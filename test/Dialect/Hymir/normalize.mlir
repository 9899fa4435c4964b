// RUN: hymir-opt %s --hymir-normalize -split-input-file | FileCheck %s

// --hymir-normalize records the transition of every hymir.scan. One small
// synthetic body per class and per field of #hymir.transition; K = 4, V = 6.

// Linear attention: S ← S + k ⊗ v, read after the update.
// CHECK-LABEL: func.func @class_identity
// CHECK: transition = #hymir.transition<identity, decay = none, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_identity(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Simple GLA / Mamba-2: S ← e^g S + k ⊗ v.
// CHECK-LABEL: func.func @class_scalar
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_scalar(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %st: tensor<4x6xf32>):
    %a = math.exp %gt : f32
    %sd = hymir.scale %st, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// GLA: a per-key gate, S ← diag(e^g) S + k ⊗ v.
// CHECK-LABEL: func.func @class_diagonal_rows
// CHECK: transition = #hymir.transition<diagonal, decay = rows, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_diagonal_rows(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: tensor<4xf32>, %st: tensor<4x6xf32>):
    %a = math.exp %gt : tensor<4xf32>
    %sd = hymir.scale %st, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// A per-value gate, S ← S diag(e^g) + k ⊗ v.
// CHECK-LABEL: func.func @class_diagonal_cols
// CHECK: transition = #hymir.transition<diagonal, decay = cols, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_diagonal_cols(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %a = math.exp %gt : tensor<6xf32>
    %sd = hymir.scale %st, %a along cols : tensor<4x6xf32>, tensor<6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Mamba-1: a matrix state times a full factor, h ← exp(Δ A) ⊙ h + Δ B x.
// CHECK-LABEL: func.func @class_elementwise
// CHECK: transition = #hymir.transition<elementwise, decay = full, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_elementwise(%dt: tensor<?x?x4xf32>, %b: tensor<?x?x6xf32>, %x: tensor<?x?x4xf32>, %a: tensor<4x6xf32>, %h0: tensor<?x4x6xf32>) {
  %o, %h = hymir.scan ins(%dt, %b, %x : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      params(%a : tensor<4x6xf32>) inits(%h0 : tensor<?x4x6xf32>) -> (tensor<?x?x4xf32>) {
  ^bb0(%dtt: tensor<4xf32>, %bt: tensor<6xf32>, %xt: tensor<4xf32>, %at: tensor<4x6xf32>, %ht: tensor<4x6xf32>):
    %da = hymir.scale %at, %dtt along rows : tensor<4x6xf32>, tensor<4xf32>
    %ea = math.exp %da : tensor<4x6xf32>
    %hd = arith.mulf %ea, %ht : tensor<4x6xf32>
    %dx = arith.mulf %dtt, %xt : tensor<4xf32>
    %u = hymir.outer %dx, %bt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %hn = arith.addf %hd, %u : tensor<4x6xf32>
    %y = hymir.read %hn, %bt along cols : tensor<4x6xf32>, tensor<6xf32> -> tensor<4xf32>
    hymir.yield %y, %hn : tensor<4xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// RG-LRU / HGRN: a vector state, h ← a ⊙ h + (1 − a) ⊙ x, output y = h.
// CHECK-LABEL: func.func @class_vector
// CHECK: transition = #hymir.transition<vector, decay = full, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_vector(%x: tensor<?x?x8xf32>, %a: tensor<?x?x8xf32>, %h0: tensor<?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>) inits(%h0 : tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: tensor<8xf32>, %ht: tensor<8xf32>):
    %one = arith.constant dense<1.0> : tensor<8xf32>
    %b = arith.subf %one, %at : tensor<8xf32>
    %bx = arith.mulf %b, %xt : tensor<8xf32>
    %hd = arith.mulf %at, %ht : tensor<8xf32>
    %hn = arith.addf %hd, %bx : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return
}

// -----

// A vector state with a scalar decay.
// CHECK-LABEL: func.func @class_vector_scalar_decay
// CHECK: transition = #hymir.transition<vector, decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_vector_scalar_decay(%x: tensor<?x?x8xf32>, %a: tensor<?x?xf32>, %h0: tensor<?x8xf32>) {
  %y, %h = hymir.scan ins(%x, %a : tensor<?x?x8xf32>, tensor<?x?xf32>) inits(%h0 : tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>) {
  ^bb0(%xt: tensor<8xf32>, %at: f32, %ht: tensor<8xf32>):
    %hd = hymir.scale %ht, %at : tensor<8xf32>, f32
    %hn = arith.addf %hd, %xt : tensor<8xf32>
    hymir.yield %hn, %hn : tensor<8xf32>, tensor<8xf32>
  }
  return
}

// -----

// DeltaNet: S ← (I − β k kᵀ) S + β k ⊗ v, no decay.
// CHECK-LABEL: func.func @class_dplr_decay_none
// CHECK: transition = #hymir.transition<dplr, decay = none, correction_rank = 1, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_dplr_decay_none(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %b: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %bt: f32, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %ku : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Gated DeltaNet: S ← α (I − β k kᵀ) S + β k ⊗ v.
// CHECK-LABEL: func.func @class_dplr_decay_scalar
// CHECK: transition = #hymir.transition<dplr, decay = scalar, correction_rank = 1, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_dplr_decay_scalar(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>, %b: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %bt: f32, %st: tensor<4x6xf32>):
    %a = math.exp %gt : f32
    %sd = hymir.scale %st, %a : tensor<4x6xf32>, f32
    %p = hymir.read %sd, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// KDA: a per-key decay before the delta correction, S ← (I − β k kᵀ) diag(α) S + β k ⊗ v.
// CHECK-LABEL: func.func @class_dplr_decay_rows
// CHECK: transition = #hymir.transition<dplr, decay = rows, correction_rank = 1, update_rank = 1, read = post, levels = 0, prefix = 0>
func.func @class_dplr_decay_rows(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?x4xf32>, %b: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: tensor<4xf32>, %bt: f32, %st: tensor<4x6xf32>):
    %a = math.exp %gt : tensor<4xf32>
    %sd = hymir.scale %st, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %p = hymir.read %sd, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %ku : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// DeltaProduct with two Householder steps per token: two corrections, and
// the two updates β_i k_i ⊗ v_i give update rank 2.
// CHECK-LABEL: func.func @class_rank_n
// CHECK: transition = #hymir.transition<rank_n, decay = none, correction_rank = 2, update_rank = 2, read = post, levels = 0, prefix = 0>
func.func @class_rank_n(%q: tensor<?x?x4xf32>, %k1: tensor<?x?x4xf32>, %k2: tensor<?x?x4xf32>, %v1: tensor<?x?x6xf32>, %v2: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k1, %k2, %v1, %v2 : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %k1t: tensor<4xf32>, %k2t: tensor<4xf32>, %v1t: tensor<6xf32>, %v2t: tensor<6xf32>, %st: tensor<4x6xf32>):
    %p1 = hymir.read %st, %k1t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e1 = arith.subf %v1t, %p1 : tensor<6xf32>
    %u1 = hymir.outer %k1t, %e1 : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s1 = arith.addf %st, %u1 : tensor<4x6xf32>
    %p2 = hymir.read %s1, %k2t : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e2 = arith.subf %v2t, %p2 : tensor<6xf32>
    %u2 = hymir.outer %k2t, %e2 : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s2 = arith.addf %s1, %u2 : tensor<4x6xf32>
    %ot = hymir.read %s2, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %s2 : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Two rank-1 corrections that read the old state, without updates.
// CHECK-LABEL: func.func @class_rank_n_two_reads
// CHECK: transition = #hymir.transition<rank_n, decay = none, correction_rank = 2, update_rank = 0, read = none, levels = 0, prefix = 0>
func.func @class_rank_n_two_reads(%a: tensor<?x?x4xf32>, %b: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%a, %b : tensor<?x?x4xf32>, tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%at: tensor<4xf32>, %bt: tensor<4xf32>, %st: tensor<4x6xf32>):
    %ra = hymir.read %st, %at : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %rb = hymir.read %st, %bt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %ua = hymir.outer %bt, %ra : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %ub = hymir.outer %at, %rb : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %u = arith.addf %ua, %ub : tensor<4x6xf32>
    %sn = arith.subf %st, %u : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// Affine but of no structured class: the rows of the state are mixed by a
// fixed matrix [[0, 1], [1, 1]] through slices (S ← M S + k ⊗ v).
// CHECK-LABEL: func.func @class_general_mixed_rows
// CHECK: transition = #hymir.transition<general, decay = none, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
func.func @class_general_mixed_rows(%k: tensor<?x?x2xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x2x6xf32>) {
  %s = hymir.scan ins(%k, %v : tensor<?x?x2xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x2x6xf32>) -> () {
  ^bb0(%kt: tensor<2xf32>, %vt: tensor<6xf32>, %st: tensor<2x6xf32>):
    %r0 = tensor.extract_slice %st[0, 0] [1, 6] [1, 1] : tensor<2x6xf32> to tensor<1x6xf32>
    %r1 = tensor.extract_slice %st[1, 0] [1, 6] [1, 1] : tensor<2x6xf32> to tensor<1x6xf32>
    %r01 = arith.addf %r0, %r1 : tensor<1x6xf32>
    %e = tensor.empty() : tensor<2x6xf32>
    %m0 = tensor.insert_slice %r1 into %e[0, 0] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<2x6xf32>
    %m1 = tensor.insert_slice %r01 into %m0[1, 0] [1, 6] [1, 1] : tensor<1x6xf32> into tensor<2x6xf32>
    %kv = hymir.outer %kt, %vt : tensor<2xf32>, tensor<6xf32> -> tensor<2x6xf32>
    %sn = arith.addf %m1, %kv : tensor<2x6xf32>
    hymir.yield %sn : tensor<2x6xf32>
  }
  return
}

// -----

// Affine but of no structured class: the state is replaced by a rank-1 map
// of itself, S ← k (Sᵀa)ᵀ (a correction with no diagonal part, D = 0).
// CHECK-LABEL: func.func @class_general_no_direct_part
// CHECK: transition = #hymir.transition<general, decay = none, correction_rank = 1, update_rank = 0, read = none, levels = 0, prefix = 0>
func.func @class_general_no_direct_part(%k: tensor<?x?x4xf32>, %a: tensor<?x?x4xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %a : tensor<?x?x4xf32>, tensor<?x?x4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %at: tensor<4xf32>, %st: tensor<4x6xf32>):
    %r = hymir.read %st, %at : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %sn = hymir.outer %kt, %r : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// Regression: the direct part of S + S and of −S is a scalar multiple, not
// the identity.
// CHECK-LABEL: func.func @direct_part_sum_and_negation
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
func.func @direct_part_sum_and_negation(%x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %s2 = arith.addf %st, %st : tensor<4x6xf32>
    %sn = arith.addf %s2, %xt : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  %t = hymir.scan ins(%x : tensor<?x?x4x6xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %sn = arith.subf %xt, %st : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// Regression: a reset on an input condition, S ← r ? 0 : S, scales the
// state by 0 or 1 (a scalar decay), it is not the identity.
// CHECK-LABEL: func.func @select_reset
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
func.func @select_reset(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %r: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %s = hymir.scan ins(%k, %v, %r : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>) inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %rt: f32, %st: tensor<4x6xf32>):
    %z = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %rt, %z : f32
    %zero = arith.constant dense<0.0> : tensor<4x6xf32>
    %kept = arith.select %c, %zero, %st : tensor<4x6xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %kept, %kv : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return
}

// -----

// Mamba-3 MIMO: a rank-R update with R = 2 (one hymir.outer of [2, K] and
// [2, V]).
// CHECK-LABEL: func.func @update_rank_2_mimo
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 2, read = post, levels = 0, prefix = 0>
func.func @update_rank_2_mimo(%q: tensor<?x?x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x6xf32>, %a: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %a : tensor<?x?x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<2x4xf32>, %vt: tensor<2x6xf32>, %at: f32, %st: tensor<4x6xf32>):
    %sd = hymir.scale %st, %at : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<2x4xf32>, tensor<2x6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Mamba-3 SISO: the trapezoid's two-term update β k_prev ⊗ v_prev + γ k ⊗ v,
// with the lag states as two prefix components.
// CHECK-LABEL: func.func @update_rank_2_trapezoid
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 2, read = post, levels = 0, prefix = 2>
func.func @update_rank_2_trapezoid(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %a: tensor<?x?xf32>,
                                   %b: tensor<?x?xf32>, %c: tensor<?x?xf32>, %s0: tensor<?x4x6xf32>, %kp0: tensor<?x4xf32>, %vp0: tensor<?x6xf32>) {
  %o, %s, %kp, %vp = hymir.scan ins(%q, %k, %v, %a, %b, %c : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%s0, %kp0, %vp0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %at: f32, %bt: f32, %ct: f32, %st: tensor<4x6xf32>, %kpt: tensor<4xf32>, %vpt: tensor<6xf32>):
    %sd = hymir.scale %st, %at : tensor<4x6xf32>, f32
    %lag = hymir.outer %kpt, %vpt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %lagb = hymir.scale %lag, %bt : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kvc = hymir.scale %kv, %ct : tensor<4x6xf32>, f32
    %u = arith.addf %lagb, %kvc : tensor<4x6xf32>
    %sn = arith.addf %sd, %u : tensor<4x6xf32>
    %ot = hymir.read %sn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn, %kt, %vt : tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>
  }
  return
}

// -----

// RWKV-6: the output reads the state before the update (plus a bonus).
// CHECK-LABEL: func.func @read_pre
// CHECK: transition = #hymir.transition<diagonal, decay = rows, correction_rank = 0, update_rank = 1, read = pre, levels = 0, prefix = 0>
func.func @read_pre(%r: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %w: tensor<?x?x4xf32>, %u: tensor<4xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%r, %k, %v, %w : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?x4xf32>)
      params(%u : tensor<4xf32>) inits(%s0 : tensor<?x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%rt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %wt: tensor<4xf32>, %ut: tensor<4xf32>, %st: tensor<4x6xf32>):
    %old = hymir.read %st, %rt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %ruk = arith.mulf %rt, %ut : tensor<4xf32>
    %bonus = hymir.dot %ruk, %kt : tensor<4xf32>, tensor<4xf32> -> f32
    %bv = hymir.scale %vt, %bonus : tensor<6xf32>, f32
    %ot = arith.addf %old, %bv : tensor<6xf32>
    %a = math.exp %wt : tensor<4xf32>
    %sd = hymir.scale %st, %a along rows : tensor<4x6xf32>, tensor<4xf32>
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %sd, %kv : tensor<4x6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Outputs that never read the state (a skip connection only): read = none.
// CHECK-LABEL: func.func @read_none
// CHECK: transition = #hymir.transition<identity, decay = none, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
func.func @read_none(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>) {
  %o, %s = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>) inits(%s0 : tensor<?x4x6xf32>)
      -> (tensor<?x?x6xf32>) {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %kv : tensor<4x6xf32>
    %ot = math.tanh %vt : tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// mLSTM: the stabiliser m is one prefix component; n is not read by C, so it
// is no prefix of the primary state.
// CHECK-LABEL: func.func @prefix_mlstm
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 0, prefix = 1>
func.func @prefix_mlstm(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %i: tensor<?x?xf32>, %lf: tensor<?x?xf32>,
                        %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>, %m0: tensor<?xf32>) {
  %h, %c, %n, %m = hymir.scan ins(%q, %k, %v, %i, %lf : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%c0, %n0, %m0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %it: f32, %lft: f32, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>, %mt: f32):
    %mf = arith.addf %mt, %lft : f32
    %mn = arith.maximumf %mf, %it : f32
    %fl = arith.subf %mf, %mn : f32
    %f = math.exp %fl : f32
    %il = arith.subf %it, %mn : f32
    %ig = math.exp %il : f32
    %cd = hymir.scale %ct, %f : tensor<4x6xf32>, f32
    %iv = hymir.scale %vt, %ig : tensor<6xf32>, f32
    %kv = hymir.outer %kt, %iv : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %cd, %kv : tensor<4x6xf32>
    %nd = hymir.scale %nt, %f : tensor<4xf32>, f32
    %ik = hymir.scale %kt, %ig : tensor<4xf32>, f32
    %nn = arith.addf %nd, %ik : tensor<4xf32>
    %num = hymir.read %cn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %den = hymir.dot %nn, %qt : tensor<4xf32>, tensor<4xf32> -> f32
    %ad = math.absf %den : f32
    %one = arith.constant 1.0 : f32
    %mx = arith.maximumf %ad, %one : f32
    %inv = arith.divf %one, %mx : f32
    %ht = hymir.scale %num, %inv : tensor<6xf32>, f32
    hymir.yield %ht, %cn, %nn, %mn : tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>, f32
  }
  return
}

// -----

// Mamba-3 with all three prefix components of S: the angle φ (a modular
// sum) and the lag states k_prev, v_prev.
// CHECK-LABEL: func.func @prefix_mamba3
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 2, read = post, levels = 0, prefix = 3>
func.func @prefix_mamba3(%q: tensor<?x?x8xf32>, %k: tensor<?x?x8xf32>, %v: tensor<?x?x6xf32>, %th: tensor<?x?x3xf32>, %a: tensor<?x?xf32>,
                         %p0: tensor<?x3xf32>, %s0: tensor<?x8x6xf32>, %kp0: tensor<?x8xf32>, %vp0: tensor<?x6xf32>) {
  %o, %p, %s, %kp, %vp = hymir.scan ins(%q, %k, %v, %th, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x3xf32>, tensor<?x?xf32>)
      inits(%p0, %s0, %kp0, %vp0 : tensor<?x3xf32>, tensor<?x8x6xf32>, tensor<?x8xf32>, tensor<?x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<8xf32>, %kt: tensor<8xf32>, %vt: tensor<6xf32>, %tht: tensor<3xf32>, %at: f32,
       %pt: tensor<3xf32>, %st: tensor<8x6xf32>, %kpt: tensor<8xf32>, %vpt: tensor<6xf32>):
    %twopi = arith.constant dense<6.28318548> : tensor<3xf32>
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %dq = arith.divf %x, %twopi : tensor<3xf32>
    %fl = math.floor %dq : tensor<3xf32>
    %w = arith.mulf %twopi, %fl : tensor<3xf32>
    %pn = arith.subf %x, %w : tensor<3xf32>
    %kr = hymir.rotary %kt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %qr = hymir.rotary %qt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %sd = hymir.scale %st, %at : tensor<8x6xf32>, f32
    %lag = hymir.outer %kpt, %vpt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %kv = hymir.outer %kr, %vt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %s1 = arith.addf %sd, %lag : tensor<8x6xf32>
    %sn = arith.addf %s1, %kv : tensor<8x6xf32>
    %ot = hymir.read %sn, %qr : tensor<8x6xf32>, tensor<8xf32> -> tensor<6xf32>
    hymir.yield %ot, %pn, %sn, %kr, %vt : tensor<6xf32>, tensor<3xf32>, tensor<8x6xf32>, tensor<8xf32>, tensor<6xf32>
  }
  return
}

// -----

// Log-linear attention: an array of L = 3 states mixed by a per-step matrix
// (hymir.mix), decayed by a scalar, with the new token written to level 0.
// CHECK-LABEL: func.func @levels
// CHECK: transition = #hymir.transition<scalar, decay = scalar, correction_rank = 0, update_rank = 1, read = post, levels = 3, prefix = 0>
func.func @levels(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>, %lam: tensor<?x?x3xf32>,
                  %mix: tensor<?x?x3x3xf32>, %s0: tensor<?x3x4x6xf32>) {
  %o, %s = hymir.scan ins(%q, %k, %v, %g, %lam, %mix : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?x3xf32>, tensor<?x?x3x3xf32>)
      inits(%s0 : tensor<?x3x4x6xf32>) -> (tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %lt: tensor<3xf32>, %mt: tensor<3x3xf32>, %st: tensor<3x4x6xf32>):
    %merged = hymir.mix %mt, %st : tensor<3x3xf32>, tensor<3x4x6xf32> -> tensor<3x4x6xf32>
    %a = math.exp %gt : f32
    %sd = hymir.scale %merged, %a : tensor<3x4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %kv3 = tensor.expand_shape %kv [[0, 1], [2]] output_shape [1, 4, 6] : tensor<4x6xf32> into tensor<1x4x6xf32>
    %z = arith.constant dense<0.0> : tensor<3x4x6xf32>
    %u = tensor.insert_slice %kv3 into %z[0, 0, 0] [1, 4, 6] [1, 1, 1] : tensor<1x4x6xf32> into tensor<3x4x6xf32>
    %sn = arith.addf %sd, %u : tensor<3x4x6xf32>
    %lt2 = tensor.expand_shape %lt [[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
    %w = hymir.mix %lt2, %sn : tensor<1x3xf32>, tensor<3x4x6xf32> -> tensor<1x4x6xf32>
    %w2 = tensor.collapse_shape %w [[0, 1], [2]] : tensor<1x4x6xf32> into tensor<4x6xf32>
    %ot = hymir.read %w2, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    hymir.yield %ot, %sn : tensor<6xf32>, tensor<3x4x6xf32>
  }
  return
}

// -----

// A stale transition attribute is recomputed from the body.
// CHECK-LABEL: func.func @recompute_stale
// CHECK: transition = #hymir.transition<identity, decay = none, correction_rank = 0, update_rank = 1, read = none, levels = 0, prefix = 0>
// CHECK-NOT: rank_n
func.func @recompute_stale(%x: tensor<?x?x4xf32>, %h0: tensor<?x4x4xf32>) {
  %h = hymir.scan ins(%x : tensor<?x?x4xf32>) inits(%h0 : tensor<?x4x4xf32>) -> () attributes {transition =
      #hymir.transition<rank_n, decay = full, correction_rank = 7, update_rank = 7, read = pre, levels = 0, prefix = 0>} {
  ^bb0(%xt: tensor<4xf32>, %ht: tensor<4x4xf32>):
    %u = hymir.outer %xt, %xt : tensor<4xf32>, tensor<4xf32> -> tensor<4x4xf32>
    %hn = arith.addf %ht, %u : tensor<4x4xf32>
    hymir.yield %hn : tensor<4x4xf32>
  }
  return
}
