//===- InitAll.cpp - Register Hymir dialects and passes -------------------===//

#include "hymir/InitAll.h"
#include "hymir/Conversion/Passes.h"
#include "hymir/Dialect/Hymir/IR/HymirDialect.h"
#include "hymir/Dialect/Hymir/Transforms/Passes.h"
#include "hymir/Pipelines/Pipelines.h"
#include "hymir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Transforms/Passes.h"

void hymir::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<hymir::HymirDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::ml_program::MLProgramDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect,
                  // Parsed by the lit tests of the passes on vector code.
                  mlir::vector::VectorDialect>();
  hymir::registerCPUPipelineDialects(registry);
  hymir::registerCUDAPipelineDialects(registry);
}

void hymir::registerAllPasses() {
  hymir::registerHymirPasses();
  hymir::registerHymirConversionPasses();
  hymir::registerHymirTransformsPasses();
  hymir::registerHymirCPUPipeline();
  hymir::registerHymirCUDAPipeline();
  // Every upstream pass, so that lit tests and users can run the stages of
  // both pipelines one by one.
  mlir::registerAllPasses();
}
