//===- HymirDialect.h - Hymir dialect ---------------------------*- C++ -*-===//

#ifndef HYMIR_DIALECT_HYMIR_IR_HYMIRDIALECT_H
#define HYMIR_DIALECT_HYMIR_IR_HYMIRDIALECT_H

#include "mlir/IR/Dialect.h"

#include "hymir/Dialect/Hymir/IR/HymirOpsDialect.h.inc"

#endif // HYMIR_DIALECT_HYMIR_IR_HYMIRDIALECT_H
