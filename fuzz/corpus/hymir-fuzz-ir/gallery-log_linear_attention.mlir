func.func @main(%q: tensor<?x?x2x12xf32>, %k: tensor<?x?x2x12xf32>, %v: tensor<?x?x2x20xf32>,
                %g: tensor<?x?x2xf32>, %lam: tensor<?x?x2x10xf32>)
    -> (tensor<?x?x2x20xf32>, tensor<?x2x10x12x20xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %B = tensor.dim %q, %c0 : tensor<?x?x2x12xf32>
  %empty = tensor.empty(%B) : tensor<?x2x10x12x20xf32>
  %S0 = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x2x10x12x20xf32>)
      -> tensor<?x2x10x12x20xf32>
  %o, %S_levels = hymir.scan heads = 2
      ins(%q, %k, %v, %g, %lam : tensor<?x?x2x12xf32>, tensor<?x?x2x12xf32>,
          tensor<?x?x2x20xf32>, tensor<?x?x2xf32>, tensor<?x?x2x10xf32>)
      inits(%S0 : tensor<?x2x10x12x20xf32>) -> (tensor<?x?x2x20xf32>) {
  ^bb0(%t: index, %q_t: tensor<12xf32>, %k_t: tensor<12xf32>, %v_t: tensor<20xf32>, %g_t: f32,
       %lam_t: tensor<10xf32>, %S: tensor<10x12x20xf32>):
    %row = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                                 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                 [2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
                                 [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
                                 [4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
                                 [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
                                 [6, 6, 6, 6, 6, 6, 6, 6, 6, 6],
                                 [7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
                                 [8, 8, 8, 8, 8, 8, 8, 8, 8, 8],
                                 [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]]> : tensor<10x10xi64>
    %col = arith.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]> : tensor<10x10xi64>
    %ones = arith.constant dense<1.0> : tensor<10x10xf32>
    %zeros = arith.constant dense<0.0> : tensor<10x10xf32>
    %c1_i64 = arith.constant 1 : i64
    %all_ones = arith.constant -1 : i64
    %t_i64 = arith.index_cast %t : index to i64
    %t_prev = arith.subi %t_i64, %c1_i64 : i64
    %t_prev_not = arith.xori %t_prev, %all_ones : i64
    %j = math.cttz %t_prev_not : i64
    %target = arith.addi %j, %c1_i64 : i64
    %target_m = tensor.splat %target : tensor<10x10xi64>
    %is_target = arith.cmpi eq, %row, %target_m : tensor<10x10xi64>
    %l_le = arith.cmpi sle, %col, %target_m : tensor<10x10xi64>
    %merge = arith.andi %is_target, %l_le : tensor<10x10xi1>
    %above = arith.cmpi sgt, %row, %target_m : tensor<10x10xi64>
    %diag = arith.cmpi eq, %row, %col : tensor<10x10xi64>
    %keep = arith.andi %above, %diag : tensor<10x10xi1>
    %nonzero = arith.ori %merge, %keep : tensor<10x10xi1>
    %M = arith.select %nonzero, %ones, %zeros : tensor<10x10xi1>, tensor<10x10xf32>
    %S_merged = hymir.mix %M, %S : tensor<10x10xf32>, tensor<10x12x20xf32> -> tensor<10x12x20xf32>
    %alpha = math.exp %g_t : f32
    %S_decayed = hymir.scale %S_merged, %alpha : tensor<10x12x20xf32>, f32
    %kv = hymir.outer %k_t, %v_t : tensor<12xf32>, tensor<20xf32> -> tensor<12x20xf32>
    %S_new = tensor.insert_slice %kv into %S_decayed[0, 0, 0] [1, 12, 20] [1, 1, 1]
        : tensor<12x20xf32> into tensor<10x12x20xf32>
    %lam_row = tensor.expand_shape %lam_t [[0, 1]] output_shape [1, 10]
        : tensor<10xf32> into tensor<1x10xf32>
    %S_lam = hymir.mix %lam_row, %S_new
        : tensor<1x10xf32>, tensor<10x12x20xf32> -> tensor<1x12x20xf32>
    %S_w = tensor.extract_slice %S_lam[0, 0, 0] [1, 12, 20] [1, 1, 1]
        : tensor<1x12x20xf32> to tensor<12x20xf32>
    %o_t = hymir.read %S_w, %q_t : tensor<12x20xf32>, tensor<12xf32> -> tensor<20xf32>
    hymir.yield %o_t, %S_new : tensor<20xf32>, tensor<10x12x20xf32>
  }
  return %o, %S_levels : tensor<?x?x2x20xf32>, tensor<?x2x10x12x20xf32>
}
