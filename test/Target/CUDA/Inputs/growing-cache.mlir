// A model in format 1 (docs/models.md): @decode appends the token's row to
// its cache with tensor.concat, so the state comes back one row longer than
// it went in. The CUDA target needs states of a fixed shape.
#tok2 = affine_map<(b, t, v) -> (b, t)>
#out3 = affine_map<(b, t, v) -> (b, t, v)>
#tok1 = affine_map<(b, v) -> (b)>
#out2 = affine_map<(b, v) -> (b, v)>

func.func @prefill(%tokens: tensor<?x?xi32>) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %tokens, %c0 : tensor<?x?xi32>
  %T = tensor.dim %tokens, %c1 : tensor<?x?xi32>
  %e = tensor.empty(%B, %T) : tensor<?x?x4xf32>
  %x = linalg.generic {indexing_maps = [#tok2, #out3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%tokens : tensor<?x?xi32>) outs(%e : tensor<?x?x4xf32>) {
  ^bb0(%t: i32, %o: f32):
    %f = arith.sitofp %t : i32 to f32
    linalg.yield %f : f32
  } -> tensor<?x?x4xf32>
  return %x, %x : tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

func.func @decode(%tokens: tensor<?xi32>, %cache: tensor<?x?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %B = tensor.dim %tokens, %c0 : tensor<?xi32>
  %e = tensor.empty(%B) : tensor<?x4xf32>
  %x = linalg.generic {indexing_maps = [#tok1, #out2], iterator_types = ["parallel", "parallel"]}
      ins(%tokens : tensor<?xi32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%t: i32, %o: f32):
    %f = arith.sitofp %t : i32 to f32
    linalg.yield %f : f32
  } -> tensor<?x4xf32>
  %x3 = tensor.expand_shape %x [[0, 1], [2]] output_shape [%B, 1, 4]
      : tensor<?x4xf32> into tensor<?x1x4xf32>
  %grown = tensor.concat dim(1) %cache, %x3
      : (tensor<?x?x4xf32>, tensor<?x1x4xf32>) -> tensor<?x?x4xf32>
  return %x, %grown : tensor<?x4xf32>, tensor<?x?x4xf32>
}
