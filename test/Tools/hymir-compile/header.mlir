// --header: the C header of gated_delta_net.mlir. It declares the entry
// point with the source's argument names, one descriptor struct per
// (element type, rank) with its helpers, the results struct and the helper
// that frees the results; it compiles as C99 and C++ without a warning, and
// two generated headers can be included together.

// RUN: rm -rf %t && mkdir -p %t
// RUN: hymir-compile %examples/ops/gated_delta_net.mlir --target=cpu --emit=obj -o %t/gdn.o --header=%t/gdn.h
// RUN: FileCheck %s < %t/gdn.h
// CHECK: /* gdn.h: the C entry points of gated_delta_net.mlir.
// CHECK: Compiled for {{.+}}, CPU {{.+}}: the code may use every
// Its decay exp(g) is a polynomial (hymir-polynomial-math): no libmvec.
// CHECK: Link with the C library and libm (-lm).
// CHECK: #ifndef HYMIR_GENERATED_GDN_H
// CHECK: #include <stdint.h>
// CHECK: extern "C" {

// CHECK: typedef struct hymir_memref_f32_rank4 {
// CHECK-NEXT:   float *allocated;
// CHECK-NEXT:   float *aligned;
// CHECK-NEXT:   int64_t offset;
// CHECK-NEXT:   int64_t sizes[4];
// CHECK-NEXT:   int64_t strides[4];
// CHECK-NEXT: } hymir_memref_f32_rank4;
// CHECK: static inline hymir_memref_f32_rank4 hymir_memref_f32_rank4_make(float *data, const int64_t sizes[4]) {
// CHECK: static inline int64_t hymir_memref_f32_rank4_numel(const hymir_memref_f32_rank4 *m) {
// CHECK: static inline float *hymir_memref_f32_rank4_data(const hymir_memref_f32_rank4 *m) {
// CHECK: static inline void hymir_memref_f32_rank4_free(hymir_memref_f32_rank4 *m) {
// CHECK: typedef struct hymir_memref_f32_rank3 {
// CHECK: typedef struct hymir_memref_f32_rank1 {

// CHECK:      /* @main(%q: tensor<?x?x2x12xf32>,
// CHECK-NEXT:  *       %k: tensor<?x?x2x12xf32>,
// CHECK:       *       %S0: tensor<?x4x12x20xf32>)
// CHECK-NEXT:  *   -> (tensor<?x?x4x20xf32>, tensor<?x4x12x20xf32>)
// CHECK:       * The caller frees the result buffers with hymir_main_results_free.
// CHECK:      typedef struct hymir_main_results {
// CHECK-NEXT:   hymir_memref_f32_rank4 result0; /* tensor<?x?x4x20xf32> */
// CHECK-NEXT:   hymir_memref_f32_rank4 result1; /* tensor<?x4x12x20xf32> */
// CHECK-NEXT: } hymir_main_results;
// CHECK:      static inline void hymir_main_results_free(hymir_main_results *results) {
// CHECK:      void _mlir_ciface_main(hymir_main_results *results,
// CHECK-NEXT:                        const hymir_memref_f32_rank4 *q,
// CHECK-NEXT:                        const hymir_memref_f32_rank4 *k,
// CHECK-NEXT:                        const hymir_memref_f32_rank4 *v,
// CHECK-NEXT:                        const hymir_memref_f32_rank3 *a,
// CHECK-NEXT:                        const hymir_memref_f32_rank3 *b,
// CHECK-NEXT:                        const hymir_memref_f32_rank1 *A_log,
// CHECK-NEXT:                        const hymir_memref_f32_rank1 *dt_bias,
// CHECK-NEXT:                        const hymir_memref_f32_rank4 *S0);
// CHECK: #endif /* HYMIR_GENERATED_GDN_H */

// RUN: %cc22 -x c-header -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only %t/gdn.h
// RUN: %cxx22 -x c++-header -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only %t/gdn.h

// A second module's header next to the first: the descriptor types they
// share are defined once. (Their entry points must differ: two modules with
// a @main cannot be linked into one program.)
// RUN: hymir-compile %S/Inputs/twice.in --emit=obj -o %t/twice.o --header=%t/twice.h
// RUN: %cc22 -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I%t %S/Inputs/both.c
// RUN: %cxx22 -x c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I%t %S/Inputs/both.c
