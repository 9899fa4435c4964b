//===- HymirDialect.cpp - Hymir dialect registration ----------------------===//

#include "hymir/Dialect/Hymir/IR/HymirDialect.h"
#include "hymir/Dialect/Hymir/IR/HymirOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace hymir;

#include "hymir/Dialect/Hymir/IR/HymirOpsDialect.cpp.inc"
#include "hymir/Dialect/Hymir/IR/HymirEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "hymir/Dialect/Hymir/IR/HymirAttrs.cpp.inc"

void HymirDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "hymir/Dialect/Hymir/IR/HymirOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "hymir/Dialect/Hymir/IR/HymirAttrs.cpp.inc"
      >();
}
