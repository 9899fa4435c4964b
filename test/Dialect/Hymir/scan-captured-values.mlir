// RUN: hymir-opt %s --hymir-normalize -o /dev/null
// Regression (fuzzing): the scan analysis must not hold references into its
// value map while values defined above the scan are added to it.
// hymir.scan's linearity analysis (C9, dialects/Hymir/IR/ScanAnalysis.cpp,
// DegreeAnalysis::visit -> combine) holds a reference into its DenseMap
// `infos` (the result's DegreeInfo) while it looks up the operands; get()
// inserts every value it has not seen, here the 59 constants defined above
// the scan and captured by the body, so the map grows, rehashes, and the
// reference dangles: heap-use-after-free under ASan on valid IR, silent
// memory corruption in a release build. Expected: verifies (the update is
// affine), classification as for any scan.
func.func @f(%x: tensor<1x3x4xf32>, %s0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %e1 = arith.constant 1.0 : f32
  %e2 = arith.constant 2.0 : f32
  %e3 = arith.constant 3.0 : f32
  %e4 = arith.constant 4.0 : f32
  %e5 = arith.constant 5.0 : f32
  %e6 = arith.constant 6.0 : f32
  %e7 = arith.constant 7.0 : f32
  %e8 = arith.constant 8.0 : f32
  %e9 = arith.constant 9.0 : f32
  %e10 = arith.constant 10.0 : f32
  %e11 = arith.constant 11.0 : f32
  %e12 = arith.constant 12.0 : f32
  %e13 = arith.constant 13.0 : f32
  %e14 = arith.constant 14.0 : f32
  %e15 = arith.constant 15.0 : f32
  %e16 = arith.constant 16.0 : f32
  %e17 = arith.constant 17.0 : f32
  %e18 = arith.constant 18.0 : f32
  %e19 = arith.constant 19.0 : f32
  %e20 = arith.constant 20.0 : f32
  %e21 = arith.constant 21.0 : f32
  %e22 = arith.constant 22.0 : f32
  %e23 = arith.constant 23.0 : f32
  %e24 = arith.constant 24.0 : f32
  %e25 = arith.constant 25.0 : f32
  %e26 = arith.constant 26.0 : f32
  %e27 = arith.constant 27.0 : f32
  %e28 = arith.constant 28.0 : f32
  %e29 = arith.constant 29.0 : f32
  %e30 = arith.constant 30.0 : f32
  %e31 = arith.constant 31.0 : f32
  %e32 = arith.constant 32.0 : f32
  %e33 = arith.constant 33.0 : f32
  %e34 = arith.constant 34.0 : f32
  %e35 = arith.constant 35.0 : f32
  %e36 = arith.constant 36.0 : f32
  %e37 = arith.constant 37.0 : f32
  %e38 = arith.constant 38.0 : f32
  %e39 = arith.constant 39.0 : f32
  %e40 = arith.constant 40.0 : f32
  %e41 = arith.constant 41.0 : f32
  %e42 = arith.constant 42.0 : f32
  %e43 = arith.constant 43.0 : f32
  %e44 = arith.constant 44.0 : f32
  %e45 = arith.constant 45.0 : f32
  %e46 = arith.constant 46.0 : f32
  %e47 = arith.constant 47.0 : f32
  %e48 = arith.constant 48.0 : f32
  %e49 = arith.constant 49.0 : f32
  %e50 = arith.constant 50.0 : f32
  %e51 = arith.constant 51.0 : f32
  %e52 = arith.constant 52.0 : f32
  %e53 = arith.constant 53.0 : f32
  %e54 = arith.constant 54.0 : f32
  %e55 = arith.constant 55.0 : f32
  %e56 = arith.constant 56.0 : f32
  %e57 = arith.constant 57.0 : f32
  %e58 = arith.constant 58.0 : f32
  %e59 = arith.constant 59.0 : f32
  %o, %s = hymir.scan ins(%x : tensor<1x3x4xf32>) inits(%s0 : tensor<1x4xf32>)
      -> (tensor<1x3x60xf32>) {
  ^bb0(%x_t: tensor<4xf32>, %s_t: tensor<4xf32>):
    %a = hymir.sum %s_t : tensor<4xf32> -> f32
    %v = tensor.from_elements %a, %e1, %e2, %e3, %e4, %e5, %e6, %e7, %e8, %e9, %e10, %e11, %e12, %e13, %e14, %e15, %e16, %e17, %e18, %e19, %e20, %e21, %e22, %e23, %e24, %e25, %e26, %e27, %e28, %e29, %e30, %e31, %e32, %e33, %e34, %e35, %e36, %e37, %e38, %e39, %e40, %e41, %e42, %e43, %e44, %e45, %e46, %e47, %e48, %e49, %e50, %e51, %e52, %e53, %e54, %e55, %e56, %e57, %e58, %e59 : tensor<60xf32>
    hymir.yield %v, %s_t : tensor<60xf32>, tensor<4xf32>
  }
  return %s : tensor<1x4xf32>
}
