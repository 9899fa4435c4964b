//===- Passes.h - Hymir conversion passes -----------------------*- C++ -*-===//

#ifndef HYMIR_CONVERSION_PASSES_H
#define HYMIR_CONVERSION_PASSES_H

#include "hymir/Conversion/HymirToLoops/HymirToLoops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace hymir {
#define GEN_PASS_DECL
#include "hymir/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

#endif // HYMIR_CONVERSION_PASSES_H
