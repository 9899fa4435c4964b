//===- ColumnAnalysis.h - Value-column separability of step bodies -*- C++ -*-===//
//
// A step body is column-separable when every value that depends on the
// states can be computed one slice of value columns at a time: the delta
// rule u = Sᵀk, S' = a S + k ⊗ β (v − u), o = S'ᵀq works column by column of
// S [K, V], and so do the identity, scalar and diagonal classes. Then a
// (batch, head) iteration can be split into (batch, head, value tile)
// iterations that each read and write only a [K, vt] tile of the state
// (hymir-chunk-scans' value tiles on the GPU; the sequential fallback's
// value tiles, which keep the tile in cache for all of a step's uses).
//
// The analysis gives every state-dependent ("column") value the dim that
// indexes the states' value columns; values that do not depend on a state
// ("free") are computed whole, and sliced where a column op reads them.
// An op is separable when its column operands meet at one iteration dim that
// survives into its result (scale, outer, read along rows, element-wise ops);
// anything that reduces over, moves or mixes value columns (a read along
// cols, hymir.dot, a norm of a column value, tensor ops) makes the body
// non-separable.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_DIALECT_HYMIR_IR_COLUMNANALYSIS_H
#define HYMIR_DIALECT_HYMIR_IR_COLUMNANALYSIS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

#include <string>

namespace hymir {

/// Where the value columns are in a column-separable body.
struct ColumnPlan {
  /// V: the last dim of every state.
  int64_t valueDim = 0;
  /// The column dim of every state-dependent value (states: their last dim).
  llvm::DenseMap<mlir::Value, unsigned> columnDim;
  /// Free operands a column op (or the yield) reads sliced to the tile:
  /// the operand and the dim of it that indexes value columns.
  llvm::DenseMap<mlir::OpOperand *, unsigned> slicedOperands;
};

/// Fills `plan` and returns "" when the body of `stepOp` (a hymir.scan or
/// hymir.recurrence) is column-separable; else why not. Every state must be a
/// tensor with the same static last dim V, and every yielded output must
/// depend on a state (a free output would be written by every tile).
std::string analyzeValueColumns(mlir::Operation *stepOp, ColumnPlan &plan);

/// The number of value tiles of about `tile` columns for V columns: the most
/// tiles, up to ⌈V / tile⌉, that divide V evenly (static tile shapes); 1 for
/// tile <= 0 or V <= tile.
int64_t valueTileCount(int64_t valueDim, int64_t tile);

} // namespace hymir

#endif // HYMIR_DIALECT_HYMIR_IR_COLUMNANALYSIS_H
