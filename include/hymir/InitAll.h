//===- InitAll.h - Register everything Hymir tools need ---------*- C++ -*-===//

#ifndef HYMIR_INITALL_H
#define HYMIR_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace hymir {
/// The hymir dialect and the upstream dialects model descriptions use.
void registerAllDialects(mlir::DialectRegistry &registry);
/// Hymir's passes and pipelines.
void registerAllPasses();
} // namespace hymir

#endif // HYMIR_INITALL_H
