//===- Passes.h - Hymir cross-dialect transforms ----------------*- C++ -*-===//
//
// Transforms on the IR the hymir lowerings produce (linalg, scf, memref):
// the chunked scan algorithms and the small passes that make the generated
// loops cheap. Declared in Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TRANSFORMS_PASSES_H
#define HYMIR_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

namespace hymir {
/// Where hymir-chunk-scans builds the delta rule's triangular inverse by
/// doubling blocks (tensor rows only) instead of forward substitution.
enum class BlockedInverse {
  Off,        // forward substitution everywhere
  Sequential, // in the chunk loop a block runs in turn, not parallel chunks
  On,         // in every form
};

/// The command-line spellings of BlockedInverse, for every option that
/// takes one (the pass's, the pipelines', the tools').
inline llvm::cl::ValuesClass blockedInverseValues() {
  return llvm::cl::values(
      clEnumValN(BlockedInverse::Off, "off", "forward substitution"),
      clEnumValN(BlockedInverse::Sequential, "sequential",
                 "in the sequential chunk loop, not in the parallel-chunks "
                 "form (the CUDA pipeline's default)"),
      clEnumValN(BlockedInverse::On, "on", "in every form"));
}

#define GEN_PASS_DECL
#include "hymir/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hymir/Transforms/Passes.h.inc"
} // namespace hymir

#endif // HYMIR_TRANSFORMS_PASSES_H
