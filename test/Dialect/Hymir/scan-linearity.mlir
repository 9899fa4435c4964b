// RUN: hymir-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// Scan bodies that invariant C9 must accept: each state update is affine in
// its own group of components, or a recognised associative prefix, and
// outputs are unrestricted. The rejected counterparts are the scan_c9_* cases
// of invalid.mlir.

// Affine with additive input terms: a decay computed non-linearly from the
// inputs, an outer-product update, a matrix input and a constant.
// CHECK-LABEL: func.func @affine_additive_inputs
func.func @affine_additive_inputs(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %g: tensor<?x?xf32>,
                                  %x: tensor<?x?x4x6xf32>, %s0: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %s = hymir.scan ins(%k, %v, %g, %x : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?x4x6xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %gt: f32, %xt: tensor<4x6xf32>, %st: tensor<4x6xf32>):
    %sp = math.exp %gt : f32
    %lg = math.log1p %sp : f32
    %a = arith.negf %lg : f32
    %sd = hymir.scale %st, %a : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %t = math.tanh %xt : tensor<4x6xf32>
    %c = arith.constant dense<0.5> : tensor<4x6xf32>
    %s1 = arith.addf %sd, %kv : tensor<4x6xf32>
    %s2 = arith.subf %s1, %t : tensor<4x6xf32>
    %s3 = arith.addf %c, %s2 : tensor<4x6xf32>
    %two = arith.constant 2.0 : f32
    %s4 = arith.divf %s3, %c : tensor<4x6xf32>
    %s5 = hymir.scale %s4, %two : tensor<4x6xf32>, f32
    hymir.yield %s5 : tensor<4x6xf32>
  }
  return %s : tensor<?x4x6xf32>
}

// -----

// The delta rule: the state is read, and the read feeds a rank-1 correction
// (affine: one factor of each product depends on the state).
// CHECK-LABEL: func.func @affine_delta_rule
func.func @affine_delta_rule(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %b: tensor<?x?xf32>,
                             %s0: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %s = hymir.scan ins(%k, %v, %b : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0 : tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %bt: f32, %st: tensor<4x6xf32>):
    %p = hymir.read %st, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %vt, %p : tensor<6xf32>
    %u = hymir.scale %e, %bt : tensor<6xf32>, f32
    %ku = hymir.outer %kt, %u : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.addf %st, %ku : tensor<4x6xf32>
    hymir.yield %sn : tensor<4x6xf32>
  }
  return %s : tensor<?x4x6xf32>
}

// -----

// A select on an input condition and a comparison of inputs stay affine.
// CHECK-LABEL: func.func @affine_select_on_input
func.func @affine_select_on_input(%x: tensor<?x?x4xf32>, %r: tensor<?x?xf32>, %h0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %h = hymir.scan ins(%x, %r : tensor<?x?x4xf32>, tensor<?x?xf32>) inits(%h0 : tensor<?x4xf32>) -> () {
  ^bb0(%xt: tensor<4xf32>, %rt: f32, %ht: tensor<4xf32>):
    %z = arith.constant 0.0 : f32
    %reset = arith.cmpf olt, %rt, %z : f32
    %zero = arith.constant dense<0.0> : tensor<4xf32>
    %kept = arith.select %reset, %zero, %ht : tensor<4xf32>
    %hn = arith.addf %kept, %xt : tensor<4xf32>
    hymir.yield %hn : tensor<4xf32>
  }
  return %h : tensor<?x4xf32>
}

// -----

// mLSTM: tuple state (C, n, m) with the max-plus stabiliser
// m ← max(m + log f, i) as a prefix; C and n use exp(m_old − m_new), which is
// fine because m is computed first and acts as an input.
// CHECK-LABEL: func.func @prefix_max_plus_mlstm
func.func @prefix_max_plus_mlstm(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %i: tensor<?x?xf32>,
                                 %f: tensor<?x?xf32>, %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>,
                                 %m0: tensor<?xf32>) {
  %c, %n, %m = hymir.scan ins(%k, %v, %i, %f : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      inits(%c0, %n0, %m0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %it: f32, %ft: f32, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>, %mt: f32):
    %nf = arith.negf %ft : f32
    %e = math.exp %nf : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %one, %e : f32
    %l = math.log %d : f32
    %lf = arith.negf %l : f32
    %mf = arith.addf %lf, %mt : f32
    %mn = arith.maximumf %mf, %it : f32
    %a = arith.subf %mf, %mn : f32
    %fg = math.exp %a : f32
    %b = arith.subf %it, %mn : f32
    %ig = math.exp %b : f32
    %cd = hymir.scale %ct, %fg : tensor<4x6xf32>, f32
    %iv = hymir.scale %vt, %ig : tensor<6xf32>, f32
    %kv = hymir.outer %kt, %iv : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %cd, %kv : tensor<4x6xf32>
    %nd = hymir.scale %nt, %fg : tensor<4xf32>, f32
    %ik = hymir.scale %kt, %ig : tensor<4xf32>, f32
    %nn = arith.addf %nd, %ik : tensor<4xf32>
    hymir.yield %cn, %nn, %mn : tensor<4x6xf32>, tensor<4xf32>, f32
  }
  return
}

// -----

// Mamba-3's angle: φ ← (φ + θ) mod 2π, written with floor and a splat
// constant, is a modular-sum prefix; the rotated key then feeds the update.
// CHECK-LABEL: func.func @prefix_modular_sum_angle
func.func @prefix_modular_sum_angle(%k: tensor<?x?x8xf32>, %v: tensor<?x?x6xf32>, %th: tensor<?x?x3xf32>,
                                    %p0: tensor<?x3xf32>, %s0: tensor<?x8x6xf32>) {
  %p, %s = hymir.scan ins(%k, %v, %th : tensor<?x?x8xf32>, tensor<?x?x6xf32>, tensor<?x?x3xf32>)
      inits(%p0, %s0 : tensor<?x3xf32>, tensor<?x8x6xf32>) -> () {
  ^bb0(%kt: tensor<8xf32>, %vt: tensor<6xf32>, %tht: tensor<3xf32>, %pt: tensor<3xf32>, %st: tensor<8x6xf32>):
    %twopi = arith.constant dense<6.28318548> : tensor<3xf32>
    %x = arith.addf %pt, %tht : tensor<3xf32>
    %q = arith.divf %x, %twopi : tensor<3xf32>
    %fl = math.floor %q : tensor<3xf32>
    %w = arith.mulf %twopi, %fl : tensor<3xf32>
    %pn = arith.subf %x, %w : tensor<3xf32>
    %kr = hymir.rotary %kt, %pn {interleaved} : tensor<8xf32>, tensor<3xf32>
    %kv = hymir.outer %kr, %vt : tensor<8xf32>, tensor<6xf32> -> tensor<8x6xf32>
    %sn = arith.addf %st, %kv : tensor<8x6xf32>
    hymir.yield %pn, %sn : tensor<3xf32>, tensor<8x6xf32>
  }
  return
}

// -----

// The scalar form of the modular sum, with the constant on the other side
// of the product.
// CHECK-LABEL: func.func @prefix_modular_sum_scalar
func.func @prefix_modular_sum_scalar(%th: tensor<?x?xf32>, %p0: tensor<?xf32>) -> tensor<?xf32> {
  %p = hymir.scan ins(%th : tensor<?x?xf32>) inits(%p0 : tensor<?xf32>) -> () {
  ^bb0(%tht: f32, %pt: f32):
    %c = arith.constant 6.28318548 : f32
    %x = arith.addf %tht, %pt : f32
    %q = arith.divf %x, %c : f32
    %fl = math.floor %q : f32
    %w = arith.mulf %fl, %c : f32
    %pn = arith.subf %x, %w : f32
    hymir.yield %pn : f32
  }
  return %p : tensor<?xf32>
}

// -----

// Mamba-3's lag states: k_prev and v_prev are overwritten by the inputs each
// step, and S reads them through a product k_prev ⊗ v_prev. Across groups
// that product is an input of S's update, not a non-linearity.
// CHECK-LABEL: func.func @lag_state_product
func.func @lag_state_product(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %b: tensor<?x?xf32>,
                             %s0: tensor<?x4x6xf32>, %kp0: tensor<?x4xf32>, %vp0: tensor<?x6xf32>) {
  %s, %kp, %vp = hymir.scan ins(%k, %v, %b : tensor<?x?x4xf32>, tensor<?x?x6xf32>, tensor<?x?xf32>)
      inits(%s0, %kp0, %vp0 : tensor<?x4x6xf32>, tensor<?x4xf32>, tensor<?x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %bt: f32, %st: tensor<4x6xf32>, %kpt: tensor<4xf32>, %vpt: tensor<6xf32>):
    %lag = hymir.outer %kpt, %vpt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %lagb = hymir.scale %lag, %bt : tensor<4x6xf32>, f32
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %s1 = arith.addf %st, %lagb : tensor<4x6xf32>
    %sn = arith.addf %s1, %kv : tensor<4x6xf32>
    hymir.yield %sn, %kt, %vt : tensor<4x6xf32>, tensor<4xf32>, tensor<6xf32>
  }
  return
}

// -----

// Titans-style momentum: S and M form one group (each reads the other), and
// the group is jointly affine.
// CHECK-LABEL: func.func @affine_cycle
func.func @affine_cycle(%k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>, %s0: tensor<?x4x6xf32>,
                        %m0: tensor<?x4x6xf32>) {
  %s, %m = hymir.scan ins(%k, %v : tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%s0, %m0 : tensor<?x4x6xf32>, tensor<?x4x6xf32>) -> () {
  ^bb0(%kt: tensor<4xf32>, %vt: tensor<6xf32>, %st: tensor<4x6xf32>, %mt: tensor<4x6xf32>):
    %p = hymir.read %mt, %kt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %e = arith.subf %p, %vt : tensor<6xf32>
    %grad = hymir.outer %kt, %e : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %sn = arith.subf %st, %grad : tensor<4x6xf32>
    %mn = arith.addf %mt, %sn : tensor<4x6xf32>
    hymir.yield %sn, %mn : tensor<4x6xf32>, tensor<4x6xf32>
  }
  return
}

// -----

// Outputs are unrestricted: mLSTM's normalised read divides two reads of the
// state, and a tanh and a norm of the state are fine in an output.
// CHECK-LABEL: func.func @nonlinear_output
func.func @nonlinear_output(%q: tensor<?x?x4xf32>, %k: tensor<?x?x4xf32>, %v: tensor<?x?x6xf32>,
                            %c0: tensor<?x4x6xf32>, %n0: tensor<?x4xf32>)
    -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  %h, %g, %c, %n = hymir.scan ins(%q, %k, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x6xf32>)
      inits(%c0, %n0 : tensor<?x4x6xf32>, tensor<?x4xf32>) -> (tensor<?x?x6xf32>, tensor<?x?x6xf32>) {
  ^bb0(%qt: tensor<4xf32>, %kt: tensor<4xf32>, %vt: tensor<6xf32>, %ct: tensor<4x6xf32>, %nt: tensor<4xf32>):
    %kv = hymir.outer %kt, %vt : tensor<4xf32>, tensor<6xf32> -> tensor<4x6xf32>
    %cn = arith.addf %ct, %kv : tensor<4x6xf32>
    %nn = arith.addf %nt, %kt : tensor<4xf32>
    %num = hymir.read %cn, %qt : tensor<4x6xf32>, tensor<4xf32> -> tensor<6xf32>
    %den = hymir.dot %nn, %qt : tensor<4xf32>, tensor<4xf32> -> f32
    %ad = math.absf %den : f32
    %one = arith.constant 1.0 : f32
    %mx = arith.maximumf %ad, %one : f32
    %inv = arith.divf %one, %mx : f32
    %h = hymir.scale %num, %inv : tensor<6xf32>, f32
    %t = math.tanh %num : tensor<6xf32>
    %g = hymir.l2_norm %t : tensor<6xf32>
    hymir.yield %h, %g, %cn, %nn : tensor<6xf32>, tensor<6xf32>, tensor<4x6xf32>, tensor<4xf32>
  }
  return %h, %g : tensor<?x?x6xf32>, tensor<?x?x6xf32>
}
