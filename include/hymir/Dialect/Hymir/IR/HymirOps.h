//===- HymirOps.h - Hymir operations ----------------------------*- C++ -*-===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIROPS_H
#define HYMIR_DIALECT_HYMIR_IR_HYMIROPS_H

#include "hymir/Dialect/Hymir/IR/HymirAttrs.h"
#include "hymir/Dialect/Hymir/IR/HymirDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/RegionKindInterface.h"

#define GET_OP_CLASSES
#include "hymir/Dialect/Hymir/IR/HymirOps.h.inc"

namespace hymir {
/// The type a step body sees for one element of a sequence, param or state
/// after the leading `drop` dimensions are removed: the element type for a
/// rank-0 remainder, else a static tensor.
mlir::Type getStepType(mlir::RankedTensorType type, unsigned drop);
} // namespace hymir

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIROPS_H
