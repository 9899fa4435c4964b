// RUN: hymir-opt %s --hymir-cpu-pipeline="chunk-size=0" --mlir-disable-threading --mlir-print-ir-after=hymir-vectorize-chunk-matmuls -o /dev/null 2>&1 | FileCheck %s --check-prefix=TILED
// RUN: hymir-opt %s --hymir-cpu-pipeline="tile-attention=false chunk-size=0" --mlir-disable-threading --mlir-print-ir-after=hymir-convert-hymir-to-loops -o /dev/null 2>&1 | FileCheck %s --check-prefix=SEQUENTIAL
// RUN: hymir-opt %s --hymir-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// hymir-cpu-pipeline's tile-attention: by default f32 attention takes the
// tiled form, whose two products per tile become register-tiled vector
// FMAs (8 x 32 tiles: vector<32xf32>) even with chunk-size = 0 scans
// elsewhere; a score_mod keeps the sequential loop. tile-attention = false
// sends every attention op to the sequential loop. Either way the module
// reaches the LLVM dialect.

// TILED-LABEL: func.func @causal
// TILED-NOT:   hymir.attention
// TILED:       scf.forall {{.+}} {
// TILED:         scf.for
// TILED:           vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<32xf32>
// TILED:       } {hymir.attention_tiles}
// TILED-LABEL: func.func @with_score_mod
// TILED:       hymir.attention

// SEQUENTIAL-LABEL: func.func @causal
// SEQUENTIAL-NOT:   vector.fma
// SEQUENTIAL-NOT:   hymir.attention_tiles
// SEQUENTIAL:       scf.forall (%{{.+}}, %{{.+}}) in (%{{.+}}, 4)
// SEQUENTIAL-LABEL: func.func @with_score_mod

// LLVM-LABEL: llvm.func @causal
// LLVM-NOT:   hymir.attention
// LLVM-LABEL: llvm.func @with_score_mod
// LLVM-NOT:   hymir.attention

func.func @causal(%q: tensor<?x?x4x80xf32>, %k: tensor<?x?x2x80xf32>, %v: tensor<?x?x2x64xf32>)
    -> tensor<?x?x4x64xf32> {
  %o = hymir.attention %q, %k, %v {causal, window = 256 : i64}
      : tensor<?x?x4x80xf32>, tensor<?x?x2x80xf32>, tensor<?x?x2x64xf32> -> tensor<?x?x4x64xf32>
  return %o : tensor<?x?x4x64xf32>
}

func.func @with_score_mod(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x1x4xf32>, %v: tensor<?x?x1x4xf32>)
    -> tensor<?x?x2x4xf32> {
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
