//===- HymirAttrs.h - Hymir attributes --------------------------*- C++ -*-===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_H
#define HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "hymir/Dialect/Hymir/IR/HymirEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "hymir/Dialect/Hymir/IR/HymirAttrs.h.inc"

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIRATTRS_H
