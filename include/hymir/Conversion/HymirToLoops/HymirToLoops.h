//===- HymirToLoops.h - Sequential fallback lowering ------------*- C++ -*-===//

#ifndef HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H
#define HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace hymir {
/// Patterns that rewrite every hymir op into scf/tensor/linalg/arith/math ops
/// on tensors (the sequential fallback; see `hymir-convert-hymir-to-loops`).
/// They create hymir per-step ops when they clone step bodies, so drive them
/// to a fixed point (the greedy driver does). `valueTile` > 0 splits
/// column-separable scans and recurrences into value tiles of about that many
/// columns (the pass's `value-tile`, `parallel-value-tiles`).
void populateHymirToLoopsPatterns(mlir::RewritePatternSet &patterns,
                                  int64_t valueTile = 0,
                                  bool parallelValueTiles = false);
} // namespace hymir

#endif // HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H
