//===- hymir-opt.cpp - Hymir optimizer driver -----------------------------===//

#include "hymir/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  hymir::registerAllDialects(registry);
  hymir::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Hymir optimizer driver\n", registry));
}
