//===- Alignment.h - What the GPU lowering knows of addresses ---*- C++ -*-===//
//
// Facts about buffer addresses that wide accesses (WMMA fragments, 16-byte
// vector loads) need and that follow from the IR alone: the runtime's
// buffers are 256-byte aligned, shared memory is aligned by
// hymir-gpu-align-workgroup-buffers, and views move the start by offsets
// whose divisors the index arithmetic shows.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_CONVERSION_LOOPSTOGPU_ALIGNMENT_H
#define HYMIR_LIB_CONVERSION_LOOPSTOGPU_ALIGNMENT_H

#include "mlir/IR/Value.h"

namespace hymir::gpu {

/// A divisor of the index `v` known from its definition (constants, sums,
/// products); 0 stands for the value 0, which every number divides.
int64_t knownDivisor(mlir::Value v);

/// Whether the first element of the f32 buffer `memref` is at a multiple of
/// `elements` elements from a 256-byte aligned address: allocations with
/// the identity layout and arguments at a static offset that is a multiple
/// are; a subview is if its source is and every offset times its stride is
/// a multiple.
bool alignedStart(mlir::Value memref, int64_t elements);

} // namespace hymir::gpu

#endif // HYMIR_LIB_CONVERSION_LOOPSTOGPU_ALIGNMENT_H
