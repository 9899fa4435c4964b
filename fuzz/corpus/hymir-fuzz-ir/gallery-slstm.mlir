func.func @main(%wx: tensor<?x?x4x2x10xf32>, %R: tensor<4x2x10x10xf32>, %bias: tensor<4x2x10xf32>,
                %h0: tensor<?x2x10xf32>, %c0: tensor<?x2x10xf32>, %n0: tensor<?x2x10xf32>,
                %m0: tensor<?x2x10xf32>)
    -> (tensor<?x?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>,
        tensor<?x2x10xf32>) {
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %B = tensor.dim %wx, %i0 : tensor<?x?x4x2x10xf32>
  %T = tensor.dim %wx, %i1 : tensor<?x?x4x2x10xf32>
  %wx_init = tensor.empty(%B, %T) : tensor<?x?x2x4x10xf32>
  %wx_h = linalg.transpose ins(%wx : tensor<?x?x4x2x10xf32>)
      outs(%wx_init : tensor<?x?x2x4x10xf32>) permutation = [0, 1, 3, 2, 4]
  %R_init = tensor.empty() : tensor<2x4x10x10xf32>
  %R_h = linalg.transpose ins(%R : tensor<4x2x10x10xf32>)
      outs(%R_init : tensor<2x4x10x10xf32>) permutation = [1, 0, 2, 3]
  %bias_init = tensor.empty() : tensor<2x4x10xf32>
  %bias_h = linalg.transpose ins(%bias : tensor<4x2x10xf32>)
      outs(%bias_init : tensor<2x4x10xf32>) permutation = [1, 0, 2]
  %h, %h_T, %c_T, %n_T, %m_T = hymir.recurrence heads = 2
      ins(%wx_h : tensor<?x?x2x4x10xf32>)
      params(%R_h, %bias_h : tensor<2x4x10x10xf32>, tensor<2x4x10xf32>)
      inits(%h0, %c0, %n0, %m0
          : tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>)
      -> (tensor<?x?x2x10xf32>) {
  ^bb0(%wx_t: tensor<4x10xf32>, %R_p: tensor<4x10x10xf32>, %b_p: tensor<4x10xf32>,
       %h_prev: tensor<10xf32>, %c: tensor<10xf32>, %n: tensor<10xf32>, %m: tensor<10xf32>):
    %zero = arith.constant dense<0.0> : tensor<10xf32>
    %one = arith.constant dense<1.0> : tensor<10xf32>
    %R_stacked = tensor.collapse_shape %R_p [[0, 1], [2]]
        : tensor<4x10x10xf32> into tensor<40x10xf32>
    %Rh_flat = hymir.read %R_stacked, %h_prev along cols
        : tensor<40x10xf32>, tensor<10xf32> -> tensor<40xf32>
    %Rh = tensor.expand_shape %Rh_flat [[0, 1]] output_shape [4, 10]
        : tensor<40xf32> into tensor<4x10xf32>
    %pre = arith.addf %wx_t, %Rh : tensor<4x10xf32>
    %raw = arith.addf %pre, %b_p : tensor<4x10xf32>
    %raw_i = tensor.extract_slice %raw[0, 0] [1, 10] [1, 1] : tensor<4x10xf32> to tensor<10xf32>
    %raw_f = tensor.extract_slice %raw[1, 0] [1, 10] [1, 1] : tensor<4x10xf32> to tensor<10xf32>
    %raw_z = tensor.extract_slice %raw[2, 0] [1, 10] [1, 1] : tensor<4x10xf32> to tensor<10xf32>
    %raw_o = tensor.extract_slice %raw[3, 0] [1, 10] [1, 1] : tensor<4x10xf32> to tensor<10xf32>
    %x = arith.negf %raw_f : tensor<10xf32>
    %x_abs = math.absf %x : tensor<10xf32>
    %x_nabs = arith.negf %x_abs : tensor<10xf32>
    %x_exp = math.exp %x_nabs : tensor<10xf32>
    %x_log1p = math.log1p %x_exp : tensor<10xf32>
    %x_pos = arith.maximumf %x, %zero : tensor<10xf32>
    %softplus = arith.addf %x_pos, %x_log1p : tensor<10xf32>
    %lf = arith.negf %softplus : tensor<10xf32>
    %lfm = arith.addf %lf, %m : tensor<10xf32>
    %m_new = arith.maximumf %raw_i, %lfm : tensor<10xf32>
    %i_log = arith.subf %raw_i, %m_new : tensor<10xf32>
    %i_gate = math.exp %i_log : tensor<10xf32>
    %f_log = arith.subf %lfm, %m_new : tensor<10xf32>
    %f_gate = math.exp %f_log : tensor<10xf32>
    %c_decayed = arith.mulf %f_gate, %c : tensor<10xf32>
    %z_t = math.tanh %raw_z : tensor<10xf32>
    %c_in = arith.mulf %i_gate, %z_t : tensor<10xf32>
    %c_new = arith.addf %c_decayed, %c_in : tensor<10xf32>
    %n_decayed = arith.mulf %f_gate, %n : tensor<10xf32>
    %n_sum = arith.addf %n_decayed, %i_gate : tensor<10xf32>
    %n_new = arith.maximumf %n_sum, %one : tensor<10xf32>
    %o_neg = arith.negf %raw_o : tensor<10xf32>
    %o_exp = math.exp %o_neg : tensor<10xf32>
    %o_den = arith.addf %one, %o_exp : tensor<10xf32>
    %o_gate = arith.divf %one, %o_den : tensor<10xf32>
    %oc = arith.mulf %o_gate, %c_new : tensor<10xf32>
    %h_new = arith.divf %oc, %n_new : tensor<10xf32>
    hymir.yield %h_new, %h_new, %c_new, %n_new, %m_new
        : tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>
  }
  return %h, %h_T, %c_T, %n_T, %m_T
      : tensor<?x?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>, tensor<?x2x10xf32>,
        tensor<?x2x10xf32>
}
