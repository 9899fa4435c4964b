// Bench shape of examples/ops/attention_causal.mlir: causal softmax attention, H = 16 query
// and kv heads, D = 128, scale = 1/√128.

func.func @main(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>, %v: tensor<?x?x16x128xf32>)
    -> (tensor<?x?x16x128xf32>) {
  %o = hymir.attention %q, %k, %v {causal, scale = 0.088388348 : f32}
      : tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32>, tensor<?x?x16x128xf32> -> tensor<?x?x16x128xf32>
  return %o : tensor<?x?x16x128xf32>
}
