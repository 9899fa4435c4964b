//===- PlanAttributes.h - What the CUDA plan needs past the pipeline --*- C++ -*-===//
//
// Function attributes that prepareModelEntry (Model.cpp) sets on an entry
// point and the plan writer (Artifact.cpp) reads after hymir-cuda-pipeline:
// discardable attributes of the function survive bufferization, argument
// attributes are not guaranteed to. Private to lib/Target/CUDA.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_TARGET_CUDA_PLANATTRIBUTES_H
#define HYMIR_LIB_TARGET_CUDA_PLANATTRIBUTES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringRef.h"

namespace hymir::cuda_plan {

/// The checkpoint names of the weight arguments, which come last.
inline constexpr llvm::StringLiteral kWeightsAttr = "hymir.cuda.weights";
/// Per argument / result: "", "kv_cache" or "kv_lengths".
inline constexpr llvm::StringLiteral kInputRolesAttr = "hymir.cuda.input_roles";
inline constexpr llvm::StringLiteral kOutputRolesAttr =
    "hymir.cuda.output_roles";

/// The plan role of an argument or result (docs/models.md, model format 2).
inline llvm::StringRef roleOf(mlir::DictionaryAttr attrs) {
  if (attrs && attrs.get("hymir.kv_cache"))
    return "kv_cache";
  if (attrs && attrs.get("hymir.kv_lengths"))
    return "kv_lengths";
  return "";
}

} // namespace hymir::cuda_plan

#endif // HYMIR_LIB_TARGET_CUDA_PLANATTRIBUTES_H
