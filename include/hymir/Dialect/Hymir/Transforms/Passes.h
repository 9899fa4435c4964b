//===- Passes.h - Hymir dialect passes --------------------------*- C++ -*-===//

#ifndef HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_H
#define HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace hymir {
#define GEN_PASS_DECL
#include "hymir/Dialect/Hymir/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hymir/Dialect/Hymir/Transforms/Passes.h.inc"
} // namespace hymir

#endif // HYMIR_DIALECT_HYMIR_TRANSFORMS_PASSES_H
