// The CPU pipeline's decode step passes over its state twice: the decayed
// state `e^g S` is recomputed in its readers (hymir-fuse-elementwise
// {shared-cheap}), the new state is computed into the result slice
// (hymir-copy-into-producers{in-place}) and read as it is computed
// (hymir-fuse-state-reads). Checked on the IR bufferization receives.
// docs/decode-cpu.md.

// RUN: hymir-opt %examples/ops/gated_delta_net_decode.mlir --hymir-cpu-pipeline \
// RUN:   --mlir-print-ir-before=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s

// CHECK:     scf.forall {{.+}} shared_outs(%{{[^ ]+}} = %{{[^,]+}}, %[[STATES:[^ ]+]] = %{{[^)]+}})
// CHECK:       %[[INIT:.+]] = tensor.extract_slice %arg7
// CHECK:       %[[RESULT:.+]] = tensor.extract_slice %[[STATES]]
// The read (e^g S)ᵀk, from the initial state.
// CHECK:       linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[INIT]],
// The update and the read S_newᵀq in one nest, writing the result slice.
// CHECK:       %[[NEW:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[INIT]], {{.+}} outs(%[[RESULT]], {{.+}} : tensor<12x20xf32>, tensor<20xf32>)
// CHECK-NOT:   linalg.copy
// CHECK-NOT:   linalg.generic
// CHECK:       tensor.parallel_insert_slice %[[NEW]]#0 into %[[STATES]]
