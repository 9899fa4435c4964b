// RUN: hymir-opt %s --hymir-convert-hymir-to-loops="value-tile=16" -split-input-file | FileCheck %s --check-prefix=STEP
// RUN: hymir-opt %s --hymir-convert-hymir-to-loops="value-tile=16 parallel-value-tiles=true" -split-input-file | FileCheck %s --check-prefix=GRID
// RUN: hymir-opt %s --hymir-convert-hymir-to-loops -split-input-file | FileCheck %s --check-prefix=FLAT

// Value tiles of the sequential fallback (ColumnAnalysis.h). The delta rule
// u = Sᵀk, S' = a S + k ⊗ β (v − u), o = S'ᵀq works column by column of
// S [K, V]: with value-tile = 16 and V = 40, the most tiles up to ⌈40/16⌉ = 3
// that divide 40 are 2, of 20 columns. K = 24 (not a power of two).

// In steps (the CPU form): the state-independent ops (the key's norm, the
// gate's exp) once per step, then a loop over the 2 tiles in which every
// state op works on [24, 20]; the value is sliced to the tile's columns;
// tiles are copied into the carried output row and state.
// STEP-LABEL: func.func @delta_rule
// STEP: scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 3) shared_outs
// STEP: scf.for %[[T:[a-z0-9_]+]] = {{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<?x40xf32>, tensor<24x40xf32>)
// STEP: math.sqrt
// STEP: math.exp
// STEP: scf.for %[[J:[a-z0-9_]+]] = %{{.+}} to %c2 step %c1 iter_args(%[[OT:[a-z0-9_]+]] = %{{.+}}, %[[ST:[a-z0-9_]+]] = %{{.+}})
// STEP-NOT: math.sqrt
// STEP:   %[[COL:.+]] = arith.muli %[[J]], %c20
// STEP:   %[[TILE:.+]] = tensor.extract_slice %[[ST]][0, %[[COL]]] [24, 20] [1, 1] : tensor<24x40xf32> to tensor<24x20xf32>
// STEP:   %[[SD:.+]] = linalg.generic {{.+}} ins(%[[TILE]] : tensor<24x20xf32>) outs(%{{.+}} : tensor<24x20xf32>)
// STEP:   linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[SD]], %{{.+}} : tensor<24x20xf32>, tensor<24xf32>) outs(%{{.+}} : tensor<20xf32>)
// STEP:   %[[VT:.+]] = tensor.extract_slice %{{.+}}[%[[COL]]] [20] [1] : tensor<40xf32> to tensor<20xf32>
// STEP:   arith.subf %[[VT]], %{{.+}} : tensor<20xf32>
// STEP:   %[[SN:.+]] = arith.addf %[[SD]], %{{.+}} : tensor<24x20xf32>
// STEP:   %[[OUT:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[SN]], %{{.+}} : tensor<24x20xf32>, tensor<24xf32>) outs(%{{.+}} : tensor<20xf32>)
// STEP:   %[[OSLOT:.+]] = tensor.extract_slice %[[OT]][%[[T]], %[[COL]]] [1, 20] [1, 1] : tensor<?x40xf32> to tensor<20xf32>
// STEP:   %[[OCOPY:.+]] = linalg.copy ins(%[[OUT]] : tensor<20xf32>) outs(%[[OSLOT]] : tensor<20xf32>)
// STEP:   %[[ONEXT:.+]] = tensor.insert_slice %[[OCOPY]] into %[[OT]][%[[T]], %[[COL]]] [1, 20] [1, 1]
// STEP:   %[[SSLOT:.+]] = tensor.extract_slice %[[ST]][0, %[[COL]]] [24, 20] [1, 1]
// STEP:   %[[SCOPY:.+]] = linalg.copy ins(%[[SN]] : tensor<24x20xf32>) outs(%[[SSLOT]] : tensor<24x20xf32>)
// STEP:   %[[SNEXT:.+]] = tensor.insert_slice %[[SCOPY]] into %[[ST]][0, %[[COL]]] [24, 20] [1, 1]
// STEP:   scf.yield %[[ONEXT]], %[[SNEXT]]
// STEP: } {hymir.value_tiles}

// As forall iterations (the GPU form, a block each): (b, h, tile); each
// iteration owns [24, 20] of the state and 20 columns of the output from
// the start, and computes the key's norm itself.
// GRID-LABEL: func.func @delta_rule
// GRID: scf.forall (%[[B:[a-z0-9_]+]], %[[H:[a-z0-9_]+]], %[[J:[a-z0-9_]+]]) in (%{{.+}}, 3, 2) shared_outs(%[[O:[a-z0-9_]+]] = %{{.+}}, %[[F:[a-z0-9_]+]] = %{{.+}})
// GRID:   %[[COL:.+]] = arith.muli %[[J]], %c20
// GRID:   tensor.extract_slice %[[O]][%[[B]], 0, %[[H]], %[[COL]]] [1, %{{.+}}, 1, 20] [1, 1, 1, 1] : tensor<?x?x3x40xf32> to tensor<?x20xf32>
// GRID:   %[[S0:.+]] = tensor.extract_slice %arg4[%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 24, 20] [1, 1, 1, 1] : tensor<?x3x24x40xf32> to tensor<24x20xf32>
// GRID:   %[[FS:.+]] = tensor.extract_slice %[[F]][%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 24, 20] [1, 1, 1, 1]
// GRID:   linalg.copy ins(%[[S0]] : tensor<24x20xf32>) outs(%[[FS]] : tensor<24x20xf32>)
// GRID:   scf.for
// GRID:     math.sqrt
// GRID:     linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<24x20xf32>, tensor<24xf32>) outs(%{{.+}} : tensor<20xf32>)
// GRID:   scf.forall.in_parallel
// GRID:     tensor.parallel_insert_slice %{{.+}} into %[[O]][%[[B]], 0, %[[H]], %[[COL]]] [1, %{{.+}}, 1, 20]
// GRID:     tensor.parallel_insert_slice %{{.+}} into %[[F]][%[[B]], %[[H]], 0, %[[COL]]] [1, 1, 24, 20]
// GRID: } {hymir.value_tiles}

// Without value-tile, one (b, h) iteration works on the whole state.
// FLAT-LABEL: func.func @delta_rule
// FLAT: scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 3)
// FLAT: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<24x40xf32>, tensor<24xf32>) outs(%{{.+}} : tensor<40xf32>)
// FLAT-NOT: hymir.value_tiles
// FLAT: return
func.func @delta_rule(%q: tensor<?x?x3x24xf32>, %k: tensor<?x?x3x24xf32>,
                      %v: tensor<?x?x3x40xf32>, %g: tensor<?x?x3xf32>,
                      %S0: tensor<?x3x24x40xf32>)
    -> (tensor<?x?x3x40xf32>, tensor<?x3x24x40xf32>) {
  %o, %S = hymir.scan heads = 3
      ins(%q, %k, %v, %g : tensor<?x?x3x24xf32>, tensor<?x?x3x24xf32>,
          tensor<?x?x3x40xf32>, tensor<?x?x3xf32>)
      inits(%S0 : tensor<?x3x24x40xf32>) -> (tensor<?x?x3x40xf32>) {
  ^bb0(%q_t: tensor<24xf32>, %k_t: tensor<24xf32>, %v_t: tensor<40xf32>, %g_t: f32,
       %s: tensor<24x40xf32>):
    %k_n = hymir.l2_norm %k_t {eps = 1.0e-06 : f32} : tensor<24xf32>
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<24x40xf32>, f32
    %p = hymir.read %sd, %k_n : tensor<24x40xf32>, tensor<24xf32> -> tensor<40xf32>
    %e = arith.subf %v_t, %p : tensor<40xf32>
    %ku = hymir.outer %k_n, %e : tensor<24xf32>, tensor<40xf32> -> tensor<24x40xf32>
    %sn = arith.addf %sd, %ku : tensor<24x40xf32>
    %o_t = hymir.read %sn, %q_t : tensor<24x40xf32>, tensor<24xf32> -> tensor<40xf32>
    hymir.yield %o_t, %sn : tensor<40xf32>, tensor<24x40xf32>
  }
  return %o, %S : tensor<?x?x3x40xf32>, tensor<?x3x24x40xf32>
}

// -----

// Not column-separable: the read along cols (S v) reduces over the value
// columns, so the body keeps one iteration per (b, h) with the whole state.
// STEP-LABEL: func.func @read_along_cols
// STEP: scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 2)
// STEP-NOT: hymir.value_tiles
// STEP: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<8x32xf32>, tensor<32xf32>)
// STEP-NOT: hymir.value_tiles
// STEP: return
// GRID-LABEL: func.func @read_along_cols
// GRID: scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 2)
// GRID-NOT: hymir.value_tiles
// GRID: return
func.func @read_along_cols(%x: tensor<?x?x2x32xf32>, %k: tensor<?x?x2x8xf32>,
                           %S0: tensor<?x2x8x32xf32>)
    -> (tensor<?x?x2x8xf32>, tensor<?x2x8x32xf32>) {
  %o, %S = hymir.scan heads = 2
      ins(%x, %k : tensor<?x?x2x32xf32>, tensor<?x?x2x8xf32>)
      inits(%S0 : tensor<?x2x8x32xf32>) -> (tensor<?x?x2x8xf32>) {
  ^bb0(%x_t: tensor<32xf32>, %k_t: tensor<8xf32>, %s: tensor<8x32xf32>):
    %kx = hymir.outer %k_t, %x_t : tensor<8xf32>, tensor<32xf32> -> tensor<8x32xf32>
    %sn = arith.addf %s, %kx : tensor<8x32xf32>
    %o_t = hymir.read %sn, %x_t along cols : tensor<8x32xf32>, tensor<32xf32> -> tensor<8xf32>
    hymir.yield %o_t, %sn : tensor<8xf32>, tensor<8x32xf32>
  }
  return %o, %S : tensor<?x?x2x8xf32>, tensor<?x2x8x32xf32>
}

// -----

// Not column-separable: an l2-norm of a state-dependent value mixes all of
// its columns (mLSTM-like normalisation of the read).
// STEP-LABEL: func.func @norm_of_read
// STEP-NOT: hymir.value_tiles
// STEP: return
func.func @norm_of_read(%q: tensor<?x?x16xf32>, %v: tensor<?x?x48xf32>,
                        %S0: tensor<?x16x48xf32>)
    -> (tensor<?x?x48xf32>, tensor<?x16x48xf32>) {
  %o, %S = hymir.scan
      ins(%q, %v : tensor<?x?x16xf32>, tensor<?x?x48xf32>)
      inits(%S0 : tensor<?x16x48xf32>) -> (tensor<?x?x48xf32>) {
  ^bb0(%q_t: tensor<16xf32>, %v_t: tensor<48xf32>, %s: tensor<16x48xf32>):
    %qv = hymir.outer %q_t, %v_t : tensor<16xf32>, tensor<48xf32> -> tensor<16x48xf32>
    %sn = arith.addf %s, %qv : tensor<16x48xf32>
    %r = hymir.read %sn, %q_t : tensor<16x48xf32>, tensor<16xf32> -> tensor<48xf32>
    %o_t = hymir.l2_norm %r {eps = 1.0e-06 : f32} : tensor<48xf32>
    hymir.yield %o_t, %sn : tensor<48xf32>, tensor<16x48xf32>
  }
  return %o, %S : tensor<?x?x48xf32>, tensor<?x16x48xf32>
}

// -----

// A single step (static T = 1, decode) in tiles: each state tile is read
// straight from the initial state, no copy of the whole state into the
// result first; the new tile is copied into the result.
// STEP-LABEL: func.func @decode_step
// STEP: scf.forall (%[[B:[a-z0-9_]+]]) in (%{{.+}}) shared_outs(%{{.+}} = %{{.+}}, %[[F:[a-z0-9_]+]] = %{{.+}})
// STEP:   %[[INIT:.+]] = tensor.extract_slice %arg3[%[[B]], 0, 0] [1, 8, 32] [1, 1, 1] : tensor<?x8x32xf32> to tensor<8x32xf32>
// STEP-NOT: linalg.copy ins(%[[INIT]]
// STEP:   scf.for %[[J:[a-z0-9_]+]] = %{{.+}} to %c2
// STEP:     %[[COL:.+]] = arith.muli %[[J]], %c16
// STEP:     %[[TILE:.+]] = tensor.extract_slice %[[INIT]][0, %[[COL]]] [8, 16] [1, 1] : tensor<8x32xf32> to tensor<8x16xf32>
// STEP:     linalg.generic {{.+}} ins(%[[TILE]] : tensor<8x16xf32>)
// STEP:     linalg.copy ins(%{{.+}} : tensor<8x16xf32>) outs(%{{.+}} : tensor<8x16xf32>)
func.func @decode_step(%k: tensor<?x1x8xf32>, %v: tensor<?x1x32xf32>, %g: tensor<?x1xf32>,
                       %S0: tensor<?x8x32xf32>)
    -> (tensor<?x1x32xf32>, tensor<?x8x32xf32>) {
  %o, %S = hymir.scan ins(%k, %v, %g : tensor<?x1x8xf32>, tensor<?x1x32xf32>, tensor<?x1xf32>)
      inits(%S0 : tensor<?x8x32xf32>) -> (tensor<?x1x32xf32>) {
  ^bb0(%k_t: tensor<8xf32>, %v_t: tensor<32xf32>, %g_t: f32, %s: tensor<8x32xf32>):
    %a = math.exp %g_t : f32
    %sd = hymir.scale %s, %a : tensor<8x32xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<8xf32>, tensor<32xf32> -> tensor<8x32xf32>
    %sn = arith.addf %sd, %kv : tensor<8x32xf32>
    %o_t = hymir.read %sn, %k_t : tensor<8x32xf32>, tensor<8xf32> -> tensor<32xf32>
    hymir.yield %o_t, %sn : tensor<32xf32>, tensor<8x32xf32>
  }
  return %o, %S : tensor<?x1x32xf32>, tensor<?x8x32xf32>
}
