// Crashes Debian's mlir-opt 22.1.8 (no Hymir op involved):
//   mlir-opt tensor-from-elements-huge-type.mlir
//   LLVM ERROR: SmallVector unable to grow. Requested capacity (4294967296) is
//   larger than maximum value for size type (4294967295)
// tensor::FromElementsOp::parse builds one operand type per element of the
// result type before checking the operand count. Found by
// hymir-fuzz-cpu-pipeline inside a hymir.scan body (3 inputs in a 10-minute
// run), where the parser of hymir.scan's region called it.
func.func @f(%a: f32) -> tensor<4294967296xf32> {
  %0 = tensor.from_elements %a : tensor<4294967296xf32>
  return %0 : tensor<4294967296xf32>
}
