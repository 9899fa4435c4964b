//===- HymirToLoops.h - Sequential fallback lowering ------------*- C++ -*-===//

#ifndef HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H
#define HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace hymir {
/// Patterns that rewrite every hymir op into scf/tensor/linalg/arith/math ops
/// on tensors (the sequential fallback; see `hymir-convert-hymir-to-loops`).
/// They create hymir per-step ops when they clone step bodies, so drive them
/// to a fixed point (the greedy driver does).
void populateHymirToLoopsPatterns(mlir::RewritePatternSet &patterns);
} // namespace hymir

#endif // HYMIR_CONVERSION_HYMIRTOLOOPS_HYMIRTOLOOPS_H
