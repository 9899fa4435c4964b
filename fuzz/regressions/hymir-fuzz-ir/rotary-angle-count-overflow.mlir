// hymir.rotary's verifier (C2) computes 2 * r for the angle count r: with
// r = 2^62 or more the product overflows int64 (UBSan: signed integer
// overflow at dialects/Hymir/IR/HymirOps.cpp, RotaryOp::verify). Expected: a
// C2 diagnostic ("... angles rotate ... dims, more than the 8 available").
func.func @f(%x: tensor<2x8xf32>, %a: tensor<2x9223372036854775807xf32>) -> tensor<2x8xf32> {
  %y = hymir.rotary %x, %a : tensor<2x8xf32>, tensor<2x9223372036854775807xf32>
  return %y : tensor<2x8xf32>
}
