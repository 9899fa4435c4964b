// RUN: hymir-opt %s --hymir-tile-attention=remarks=true -split-input-file -verify-diagnostics --canonicalize | FileCheck %s
// RUN: hymir-opt %examples/ops/attention_causal.mlir --hymir-tile-attention=remarks=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=GALLERY_CAUSAL
// RUN: hymir-opt %examples/ops/attention_window.mlir --hymir-tile-attention=remarks=true -o /dev/null 2>&1 | FileCheck %s --check-prefix=GALLERY_WINDOW

// hymir-tile-attention: which attention ops take the tiled (FlashAttention)
// form and its structure; the others keep the sequential lowering.
// GALLERY_CAUSAL: remark: tiled (flash): 2 head(s) x 32 query positions = 64 rows per tile, 64 keys per tile
// GALLERY_WINDOW: remark: tiled (flash): 3 head(s) x 16 query positions = 48 rows per tile, 64 keys per tile

// Causal GQA (4 query heads on 2 kv heads): a forall over (b, kv head, query
// tile); the two query heads of a group share one 64-row tile (2 x 32
// positions). Query tiles in zigzag order; the key-tile loop stops at the
// tile holding the last row's diagonal key (tiles above the diagonal are
// never visited); only tiles that cross the diagonal or the end of the keys
// take the masked branch; the products are tagged for the register tiling.
// CHECK-LABEL: func.func @causal_gqa
// CHECK-NOT:   hymir.attention
// CHECK:       %[[TQ:.+]] = tensor.dim %arg0, %c1
// CHECK:       %[[TK:.+]] = tensor.dim %arg1, %c1
// CHECK:       %[[NT:.+]] = arith.ceildivui %[[TQ]], %c32
// CHECK:       %[[DELTA:.+]] = arith.subi %[[TK]], %[[TQ]]
// CHECK:       scf.forall (%[[B:.+]], %[[HK:.+]], %[[N:.+]]) in (%{{.+}}, 2, %[[NT]])
// CHECK:         %[[HALF:.+]] = arith.divui %[[N]], %c2
// CHECK:         %[[ODD:.+]] = arith.remui %[[N]], %c2
// CHECK:         %[[EVEN:.+]] = arith.cmpi eq, %[[ODD]], %c0
// CHECK:         %[[LASTT:.+]] = arith.subi %[[NT]], %c1
// CHECK:         %[[MIRROR:.+]] = arith.subi %[[LASTT]], %[[HALF]]
// CHECK:         %[[TILE:.+]] = arith.select %[[EVEN]], %[[HALF]], %[[MIRROR]]
// CHECK:         %[[I0:.+]] = arith.muli %[[TILE]], %c32
// CHECK:         %[[LEN:.+]] = arith.minui %{{.+}}, %c32
// CHECK:         %[[H0:.+]] = arith.muli %[[HK]], %c2
// Scaled Qᵀ of both heads, [K, R].
// CHECK:         scf.for {{.+}} -> (tensor<12x64xf32>)
// CHECK:           tensor.extract %arg0[%[[B]], %{{.+}}, %{{.+}}, %{{.+}}]
// CHECK:           arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:           tensor.insert
// CHECK:         %[[FIRST:.+]] = arith.addi %[[I0]], %[[DELTA]]
// CHECK:         %[[LASTPLUS:.+]] = arith.addi %[[FIRST]], %[[LEN]]
// CHECK:         %[[MIN:.+]] = arith.minsi %[[TK]], %[[LASTPLUS]]
// CHECK:         %[[END:.+]] = arith.maxsi %[[MIN]], %c0
// CHECK:         %[[TILES:.+]] = arith.ceildivui %[[END]], %c64
// CHECK:         scf.for %[[JT:.+]] = %c0 to %[[TILES]] step %c1 iter_args({{.+}}) -> (tensor<64x20xf32>, vector<64xf32>, vector<64xf32>)
// CHECK:           %[[J0:.+]] = arith.muli %[[JT]], %c64
// CHECK:           vector.transfer_read %arg1[%[[B]], %{{.+}}, %[[HK]], %c0]{{.+}} : tensor<?x?x2x12xf32>, vector<12xf32>
// CHECK:           vector.transfer_read %arg2[%[[B]], %{{.+}}, %[[HK]], %c0]{{.+}} : tensor<?x?x2x20xf32>, vector<20xf32>
// CHECK:           %[[S:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x12xf32>, tensor<12x64xf32>) outs(%{{.+}} : tensor<64x64xf32>) attrs = {hymir.chunk_matmul}
// CHECK:           %[[JEND:.+]] = arith.addi %[[J0]], %c64
// CHECK:           %[[INK:.+]] = arith.cmpi sle, %[[JEND]], %[[TK]]
// CHECK:           %[[DIAG:.+]] = arith.addi %[[FIRST]], %c1
// CHECK:           %[[BELOW:.+]] = arith.cmpi sle, %[[JEND]], %[[DIAG]]
// CHECK:           %[[FULL:.+]] = arith.andi %[[INK]], %[[BELOW]]
// CHECK:           scf.if %[[FULL]] -> (tensor<64x64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// The unmasked branch: no compare of key positions, polynomial exp.
// CHECK-NOT:         arith.cmpi sle, %{{.+}} : vector<64xi64>
// CHECK-NOT:         math.exp
// CHECK:             llvm.intr.floor
// CHECK:           } else {
// CHECK:             arith.cmpi sle, %{{.+}}, %{{.+}} : vector<64xi64>
// CHECK:           } {hymir.attention_mask}
// O rescaled, then O += P V.
// CHECK:           scf.for {{.+}} -> (tensor<64x20xf32>)
// CHECK:             arith.mulf %{{.+}}, %{{.+}} : vector<20xf32>
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x20xf32>) outs(%{{.+}} : tensor<64x20xf32>) attrs = {hymir.chunk_matmul}
// CHECK:         } {hymir.attention_key_tiles}
// CHECK:         tensor.extract_slice %{{.+}}[%[[B]], %[[I0]], %[[H0]], 0] [1, %[[LEN]], 2, 20]
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}}[%[[B]], %[[I0]], %[[H0]], 0] [1, %[[LEN]], 2, 20]
// CHECK:       } {hymir.attention_tiles}
func.func @causal_gqa(%q: tensor<?x?x4x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>)
    -> tensor<?x?x4x20xf32> {
  // expected-remark @+1 {{tiled (flash): 2 head(s) x 32 query positions = 64 rows per tile, 64 keys per tile}}
  %o = hymir.attention %q, %k, %v {causal}
      : tensor<?x?x4x12xf32>, tensor<?x?x2x12xf32>, tensor<?x?x2x20xf32> -> tensor<?x?x4x20xf32>
  return %o : tensor<?x?x4x20xf32>
}

// -----

// Not causal, with a window of 100 keys: no upper band edge (the key loop
// runs to the last tile), the loop starts at the tile of the first row's
// window start, and a tile is full when it also lies inside the last row's
// window. Head dims that are not powers of two; one head per kv head.
// CHECK-LABEL: func.func @window_noncausal
// CHECK:       scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}}, 2, %{{.+}})
// CHECK:         arith.index_cast %[[FIRST:.+]] : index to i64
// CHECK:         %[[LASTPLUS:.+]] = arith.addi %[[FIRST]], %{{.+}} : index
// CHECK:         %[[LOW:.+]] = arith.addi %[[FIRST]], %c-99
// CHECK:         %[[BEGIN:.+]] = arith.maxsi %[[LOW]], %c0
// CHECK:         %[[TB:.+]] = arith.divui %[[BEGIN]], %c64
// CHECK:         %[[TE:.+]] = arith.ceildivui %[[TK:.+]], %c64
// CHECK:         scf.for %{{.+}} = %[[TB]] to %[[TE]] step %c1
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x80xf32>, tensor<80x64xf32>) outs(%{{.+}} : tensor<64x64xf32>) attrs = {hymir.chunk_matmul}
// CHECK:           %[[WLOW:.+]] = arith.subi %[[LASTPLUS]], %c101
// CHECK:           arith.cmpi sgt, %{{.+}}, %[[WLOW]]
// CHECK:           scf.if
// CHECK:           linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x72xf32>) outs(%{{.+}} : tensor<64x72xf32>) attrs = {hymir.chunk_matmul}
func.func @window_noncausal(%q: tensor<?x?x2x80xf32>, %k: tensor<?x?x2x80xf32>, %v: tensor<?x?x2x72xf32>)
    -> tensor<?x?x2x72xf32> {
  // expected-remark @+1 {{tiled (flash): 1 head(s) x 64 query positions = 64 rows per tile, 64 keys per tile}}
  %o = hymir.attention %q, %k, %v {window = 100 : i64}
      : tensor<?x?x2x80xf32>, tensor<?x?x2x80xf32>, tensor<?x?x2x72xf32> -> tensor<?x?x2x72xf32>
  return %o : tensor<?x?x2x72xf32>
}

// -----

// Sinks start the running max (σ of each row's head) and the sum (1).
// CHECK-LABEL: func.func @sinks
// CHECK:       scf.for %[[R:.+]] = %c0 to %c64 step %c1 iter_args(%{{.+}}) -> (tensor<64xf32>)
// CHECK:         %[[G:.+]] = arith.divui %[[R]], %c16
// CHECK:         %[[H:.+]] = arith.addi %{{.+}}, %[[G]]
// CHECK:         tensor.extract %arg3[%[[H]]] : tensor<8xf32>
// CHECK:       %[[M0:.+]] = vector.transfer_read {{.+}} : tensor<64xf32>, vector<64xf32>
// CHECK:       scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %[[M0]], %{{.+}} = %[[ONE:.+]]) -> (tensor<64x16xf32>, vector<64xf32>, vector<64xf32>)
func.func @sinks(%q: tensor<?x?x8x16xf32>, %k: tensor<?x?x2x16xf32>, %v: tensor<?x?x2x16xf32>,
                 %s: tensor<8xf32>) -> tensor<?x?x8x16xf32> {
  // expected-remark @+1 {{tiled (flash): 4 head(s) x 16 query positions = 64 rows per tile, 64 keys per tile}}
  %o = hymir.attention %q, %k, %v sinks(%s : tensor<8xf32>) {causal, softcap = 20.0 : f32}
      : tensor<?x?x8x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32> -> tensor<?x?x8x16xf32>
  return %o : tensor<?x?x8x16xf32>
}

// -----

// A score_mod region keeps the sequential lowering.
// CHECK-LABEL: func.func @score_mod
// CHECK:       hymir.attention
func.func @score_mod(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x1x4xf32>, %v: tensor<?x?x1x4xf32>)
    -> tensor<?x?x2x4xf32> {
  // expected-remark @+1 {{sequential fallback: a score_mod region is not tiled yet}}
  %o = hymir.attention %q, %k, %v {causal}
      : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x?x2x4xf32>
      score_mod {
  ^bb0(%sc: f32, %i: index, %j: index, %h: index):
    %d = arith.subi %i, %j : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %r = arith.subf %sc, %df : f32
    hymir.yield %r : f32
  }
  return %o : tensor<?x?x2x4xf32>
}

// -----

// f64 keeps the sequential lowering.
// CHECK-LABEL: func.func @f64
// CHECK:       hymir.attention
func.func @f64(%q: tensor<?x?x2x4xf64>, %k: tensor<?x?x2x4xf64>, %v: tensor<?x?x2x4xf64>)
    -> tensor<?x?x2x4xf64> {
  // expected-remark @+1 {{sequential fallback: only f32 attention is tiled}}
  %o = hymir.attention %q, %k, %v {causal}
      : tensor<?x?x2x4xf64>, tensor<?x?x2x4xf64>, tensor<?x?x2x4xf64> -> tensor<?x?x2x4xf64>
  return %o : tensor<?x?x2x4xf64>
}

// -----

// A dynamic head dim keeps the sequential lowering (the tiles need static
// shapes).
// CHECK-LABEL: func.func @dynamic_head_dim
// CHECK:       hymir.attention
func.func @dynamic_head_dim(%q: tensor<?x?x2x?xf32>, %k: tensor<?x?x2x?xf32>, %v: tensor<?x?x2x8xf32>)
    -> tensor<?x?x2x8xf32> {
  // expected-remark @+1 {{sequential fallback: the head count and head dims must be static}}
  %o = hymir.attention %q, %k, %v {causal, scale = 0.5 : f32}
      : tensor<?x?x2x?xf32>, tensor<?x?x2x?xf32>, tensor<?x?x2x8xf32> -> tensor<?x?x2x8xf32>
  return %o : tensor<?x?x2x8xf32>
}
