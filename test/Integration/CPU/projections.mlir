// Linear projections y[.., o] = x[.., i] W[o, i] compiled for the CPU
// (hymir-vectorize-projections: tiles of 4 rows × 16 outputs over a
// transposed copy of W) against the float64 reference at awkward shapes:
// T = 1 (below one row tile: the untouched loops), T = 13 and 6 (row tiles
// and leftover rows), O = 20 (a 16-wide block and a 4-wide one), I = 7,
// B = 2, the experts' form y[b, t, e, o] = x[b, t, i] W[e, o, i] and a
// dense MoE's down projection y[b, t, o] = sum_e,i x[b, t, e, i] W[e, o, i].

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; r = np.random.default_rng(5); [np.save('%t/%%s.npy' %% n, r.normal(size=s).astype(np.float32)) for n, s in [('x1', (2, 1, 7)), ('x13', (2, 13, 7)), ('x6', (1, 6, 7)), ('w', (20, 7)), ('we', (3, 20, 7)), ('acc13', (2, 13, 20)), ('xe13', (2, 13, 3, 7)), ('xe1', (1, 1, 3, 7))]]"
// RUN: hymir-run %s --check --entry=proj --input=%t/x1.npy --input=%t/w.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=proj --input=%t/x13.npy --input=%t/w.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=proj --input=%t/x6.npy --input=%t/w.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=experts --input=%t/x13.npy --input=%t/we.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=experts --input=%t/x1.npy --input=%t/we.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=accumulate --input=%t/x13.npy --input=%t/w.npy --input=%t/acc13.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=moe_down --input=%t/xe13.npy --input=%t/we.npy | FileCheck %s
// RUN: hymir-run %s --check --entry=moe_down --input=%t/xe1.npy --input=%t/we.npy | FileCheck %s
// CHECK: check: OK, 1 result(s), max relative RMS {{.*}} <= 1e-04

// The compiled code has the vector blocks (AVX-512: 16 lanes; the 4-wide
// tail block) and no gathers.
// RUN: hymir-compile %s --target=cpu --emit=llvm -o %t/proj.ll
// RUN: FileCheck %s --check-prefix=IR < %t/proj.ll
// IR-LABEL: define {{.*}} @_mlir_ciface_proj(
// IR: fadd <16 x float>
// IR: fadd <4 x float>
// IR-NOT: llvm.masked.gather
// IR-LABEL: define {{.*}} @_mlir_ciface_experts(
// IR: fadd <16 x float>
// IR-NOT: llvm.masked.gather
// IR-LABEL: define {{.*}} @_mlir_ciface_accumulate(
// IR-LABEL: define {{.*}} @_mlir_ciface_moe_down(
// IR: fadd <16 x float>
// IR-NOT: llvm.masked.gather

#px = affine_map<(b, t, o, i) -> (b, t, i)>
#pw = affine_map<(b, t, o, i) -> (o, i)>
#py = affine_map<(b, t, o, i) -> (b, t, o)>
#sx = affine_map<(b, t, e, o, i) -> (b, t, i)>
#sw = affine_map<(b, t, e, o, i) -> (e, o, i)>
#sy = affine_map<(b, t, e, o, i) -> (b, t, e, o)>
#dx = affine_map<(b, t, o, e, i) -> (b, t, e, i)>
#dw = affine_map<(b, t, o, e, i) -> (e, o, i)>
#dy = affine_map<(b, t, o, e, i) -> (b, t, o)>

func.func @proj(%x: tensor<?x?x7xf32>, %w: tensor<20x7xf32>) -> tensor<?x?x20xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %x, %c0 : tensor<?x?x7xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x7xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x20xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  %y = linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : tensor<?x?x7xf32>, tensor<20x7xf32>) outs(%z : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  return %y : tensor<?x?x20xf32>
}

func.func @experts(%x: tensor<?x?x7xf32>, %w: tensor<3x20x7xf32>) -> tensor<?x?x3x20xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %x, %c0 : tensor<?x?x7xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x7xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x3x20xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x3x20xf32>) -> tensor<?x?x3x20xf32>
  %y = linalg.contract indexing_maps = [#sx, #sw, #sy] ins(%x, %w : tensor<?x?x7xf32>, tensor<3x20x7xf32>) outs(%z : tensor<?x?x3x20xf32>) -> tensor<?x?x3x20xf32>
  return %y : tensor<?x?x3x20xf32>
}

// Accumulates into y's values (a residual), not into zeros.
func.func @accumulate(%x: tensor<?x?x7xf32>, %w: tensor<20x7xf32>, %acc: tensor<?x?x20xf32>) -> tensor<?x?x20xf32> {
  %y = linalg.contract indexing_maps = [#px, #pw, #py] ins(%x, %w : tensor<?x?x7xf32>, tensor<20x7xf32>) outs(%acc : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  return %y : tensor<?x?x20xf32>
}

func.func @moe_down(%x: tensor<?x?x3x7xf32>, %w: tensor<3x20x7xf32>) -> tensor<?x?x20xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %x, %c0 : tensor<?x?x3x7xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x3x7xf32>
  %e = tensor.empty(%B, %T) : tensor<?x?x20xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  %y = linalg.contract indexing_maps = [#dx, #dw, #dy] ins(%x, %w : tensor<?x?x3x7xf32>, tensor<3x20x7xf32>) outs(%z : tensor<?x?x20xf32>) -> tensor<?x?x20xf32>
  return %y : tensor<?x?x20xf32>
}
