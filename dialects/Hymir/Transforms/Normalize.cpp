//===- Normalize.cpp - Classify scan transitions --------------------------===//

#include "hymir/Dialect/Hymir/IR/HymirOps.h"
#include "hymir/Dialect/Hymir/IR/ScanAnalysis.h"
#include "hymir/Dialect/Hymir/Transforms/Passes.h"

#define DEBUG_TYPE "hymir-normalize"

namespace hymir {
#define GEN_PASS_DEF_NORMALIZEPASS
#include "hymir/Dialect/Hymir/Transforms/Passes.h.inc"
} // namespace hymir

using namespace mlir;
using namespace hymir;

namespace {
struct NormalizePass : public hymir::impl::NormalizePassBase<NormalizePass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation()->walk([&](ScanOp scan) {
      scan->setAttr("transition", classifyScan(scan));
      ++numScans;
    });
  }
};
} // namespace
