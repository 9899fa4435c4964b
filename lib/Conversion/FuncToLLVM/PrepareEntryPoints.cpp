//===- PrepareEntryPoints.cpp - The C entry-point ABI of public functions -===//

#include "hymir/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#define DEBUG_TYPE "hymir-prepare-entry-points"

namespace hymir {
#define GEN_PASS_DEF_PREPAREENTRYPOINTSPASS
#include "hymir/Conversion/Passes.h.inc"
} // namespace hymir

using namespace mlir;

namespace {
struct PrepareEntryPointsPass
    : public hymir::impl::PrepareEntryPointsPassBase<PrepareEntryPointsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(ctx));
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        if (isa<TensorType>(type))
          func.setArgAttr(
              i, bufferization::BufferizationDialect::kWritableAttrName,
              BoolAttr::get(ctx, false));
      // A model's KV-cache marks (hymir.kv_cache, hymir.kv_lengths) are for
      // runners reading the source module; LLVM translation does not know
      // them and would warn about every one.
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (DictionaryAttr attrs = func.getArgAttrDict(i))
          for (NamedAttribute attr : attrs)
            if (attr.getName().strref().starts_with("hymir."))
              func.removeArgAttr(i, attr.getName());
      for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
        if (DictionaryAttr attrs = func.getResultAttrDict(i))
          for (NamedAttribute attr : attrs)
            if (attr.getName().strref().starts_with("hymir."))
              func.removeResultAttr(i, attr.getName());
    }
  }
};
} // namespace
