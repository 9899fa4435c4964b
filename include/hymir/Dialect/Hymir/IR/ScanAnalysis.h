//===- ScanAnalysis.h - Linearity and transition class of scans -*- C++ -*-===//
//
// The analysis behind hymir.scan's central promise: the body is proven affine
// in its state, and its transition is classified into OPS.md §18.1's classes.
//
// Every value of the body gets, per state component (or strongly connected
// group of components), a degree: independent of it, affine in it, or
// non-linear. Components whose update reads only themselves and earlier
// components form a DAG; each component must be affine in its own group, or be
// a recognised associative prefix (max-plus, modular sum).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_DIALECT_HYMIR_IR_SCANANALYSIS_H
#define HYMIR_DIALECT_HYMIR_IR_SCANANALYSIS_H

#include "hymir/Dialect/Hymir/IR/HymirAttrs.h"
#include "mlir/Support/LLVM.h"

namespace hymir {
class ScanOp;

/// Verifies invariant C9 of hymir.scan: reports the op that makes a state
/// update non-affine and returns failure.
mlir::LogicalResult verifyScanLinearity(ScanOp op);

/// Classifies the transition of a verified scan (see TransitionAttr).
TransitionAttr classifyScan(ScanOp op);

} // namespace hymir

#endif // HYMIR_DIALECT_HYMIR_IR_SCANANALYSIS_H
