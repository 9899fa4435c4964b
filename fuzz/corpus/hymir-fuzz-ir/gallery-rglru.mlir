func.func @main(%x: tensor<?x?x30xf32>, %W_a: tensor<3x10x10xf32>, %b_a: tensor<3x10xf32>,
                %W_x: tensor<3x10x10xf32>, %b_x: tensor<3x10xf32>, %a_param: tensor<30xf32>,
                %h0: tensor<?x30xf32>) -> (tensor<?x?x30xf32>, tensor<?x30xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %B = tensor.dim %x, %c0 : tensor<?x?x30xf32>
  %T = tensor.dim %x, %c1 : tensor<?x?x30xf32>
  %zero = arith.constant dense<0.0> : tensor<30xf32>
  %a_abs = math.absf %a_param : tensor<30xf32>
  %a_nabs = arith.negf %a_abs : tensor<30xf32>
  %a_exp = math.exp %a_nabs : tensor<30xf32>
  %a_log1p = math.log1p %a_exp : tensor<30xf32>
  %a_pos = arith.maximumf %a_param, %zero : tensor<30xf32>
  %a_sp = arith.addf %a_pos, %a_log1p : tensor<30xf32>
  %x_b = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [%B, %T, 3, 10]
      : tensor<?x?x30xf32> into tensor<?x?x3x10xf32>
  %a_sp_b = tensor.expand_shape %a_sp [[0, 1]] output_shape [3, 10]
      : tensor<30xf32> into tensor<3x10xf32>
  %h0_b = tensor.expand_shape %h0 [[0], [1, 2]] output_shape [%B, 3, 10]
      : tensor<?x30xf32> into tensor<?x3x10xf32>
  %y_b, %h_T_b = hymir.scan heads = 3
      ins(%x_b : tensor<?x?x3x10xf32>)
      params(%W_a, %b_a, %W_x, %b_x, %a_sp_b : tensor<3x10x10xf32>, tensor<3x10xf32>,
             tensor<3x10x10xf32>, tensor<3x10xf32>, tensor<3x10xf32>)
      inits(%h0_b : tensor<?x3x10xf32>) -> (tensor<?x?x3x10xf32>) {
  ^bb0(%x_t: tensor<10xf32>, %Wa: tensor<10x10xf32>, %ba: tensor<10xf32>, %Wx: tensor<10x10xf32>,
       %bx: tensor<10xf32>, %sp: tensor<10xf32>, %h: tensor<10xf32>):
    %one = arith.constant dense<1.0> : tensor<10xf32>
    %two = arith.constant dense<2.0> : tensor<10xf32>
    %minus_c = arith.constant dense<-8.0> : tensor<10xf32>
    %xa = hymir.read %Wa, %x_t : tensor<10x10xf32>, tensor<10xf32> -> tensor<10xf32>
    %ra = arith.addf %xa, %ba : tensor<10xf32>
    %ra_neg = arith.negf %ra : tensor<10xf32>
    %ra_exp = math.exp %ra_neg : tensor<10xf32>
    %ra_den = arith.addf %one, %ra_exp : tensor<10xf32>
    %r_t = arith.divf %one, %ra_den : tensor<10xf32>
    %xx = hymir.read %Wx, %x_t : tensor<10x10xf32>, tensor<10xf32> -> tensor<10xf32>
    %ri = arith.addf %xx, %bx : tensor<10xf32>
    %ri_neg = arith.negf %ri : tensor<10xf32>
    %ri_exp = math.exp %ri_neg : tensor<10xf32>
    %ri_den = arith.addf %one, %ri_exp : tensor<10xf32>
    %i_t = arith.divf %one, %ri_den : tensor<10xf32>
    %cr = arith.mulf %minus_c, %r_t : tensor<10xf32>
    %log_a = arith.mulf %cr, %sp : tensor<10xf32>
    %a_t = math.exp %log_a : tensor<10xf32>
    %log_a2 = arith.mulf %two, %log_a : tensor<10xf32>
    %em1 = math.expm1 %log_a2 : tensor<10xf32>
    %one_minus_a2 = arith.negf %em1 : tensor<10xf32>
    %mult = math.sqrt %one_minus_a2 : tensor<10xf32>
    %h_decayed = arith.mulf %a_t, %h : tensor<10xf32>
    %ix = arith.mulf %i_t, %x_t : tensor<10xf32>
    %inp = arith.mulf %mult, %ix : tensor<10xf32>
    %h_new = arith.addf %h_decayed, %inp : tensor<10xf32>
    hymir.yield %h_new, %h_new : tensor<10xf32>, tensor<10xf32>
  }
  %y = tensor.collapse_shape %y_b [[0], [1], [2, 3]] : tensor<?x?x3x10xf32> into tensor<?x?x30xf32>
  %h_T = tensor.collapse_shape %h_T_b [[0], [1, 2]] : tensor<?x3x10xf32> into tensor<?x30xf32>
  return %y, %h_T : tensor<?x?x30xf32>, tensor<?x30xf32>
}
