func.func @main(%q: tensor<?x?x3x20xf32>, %k: tensor<?x?x1x20xf32>, %v: tensor<?x?x1x20xf32>)
    -> (tensor<?x?x3x20xf32>) {
  %o = hymir.attention %q, %k, %v
      {causal, scale = 0.223606795 : f32, window = 13 : i64, softcap = 30.0 : f32}
      : tensor<?x?x3x20xf32>, tensor<?x?x1x20xf32>, tensor<?x?x1x20xf32> -> tensor<?x?x3x20xf32>
  return %o : tensor<?x?x3x20xf32>
}
