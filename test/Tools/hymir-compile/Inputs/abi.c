/* Calls every entry point of abi.mlir through the generated header abi.h and
 * checks the calling convention the header documents: a tensor result
 * through `result`, several results through `results`, a scalar result as the
 * return value, scalars by value, rank-0 descriptors, result buffers that
 * are never an argument's memory, and hymir_<f>_results_free freeing a buffer
 * shared by a value returned twice once (ASan or valgrind would see a double
 * free). Prints one line per function; exits non-zero on the first
 * mismatch. */
#include "abi.h"

#include <stdio.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAILED line %d: %s\n", __LINE__, #cond);                         \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(void) {
  /* @twice(tensor<?x3xf32>) -> tensor<?x3xf32> */
  float x[6] = {0, 1, 2, 3, 4, 5};
  const int64_t xShape[2] = {2, 3};
  hymir_memref_f32_rank2 xd = hymir_memref_f32_rank2_make(x, xShape);
  hymir_memref_f32_rank2 y;
  int64_t i;
  CHECK(xd.strides[0] == 3 && xd.strides[1] == 1);
  _mlir_ciface_twice(&y, &xd);
  CHECK(y.sizes[0] == 2 && y.sizes[1] == 3);
  CHECK(y.strides[0] == 3 && y.strides[1] == 1);
  CHECK(hymir_memref_f32_rank2_numel(&y) == 6);
  for (i = 0; i < 6; ++i)
    CHECK(hymir_memref_f32_rank2_data(&y)[i] == 2 * x[i]);
  CHECK(x[5] == 5); /* arguments are read only */
  hymir_memref_f32_rank2_free(&y);
  CHECK(y.allocated == NULL);
  printf("twice ok\n");

  /* @axpb(f32, f32, i64) -> f32 */
  CHECK(_mlir_ciface_axpb(2.0f, 3.0f, 4) == 10.0f);
  printf("axpb ok\n");

  /* @mixed(tensor<4xf64>, f32) -> (tensor<4xf64>, f32, tensor<4xf64>, tensor<4xf64>) */
  {
    double v[4] = {1, 2, 3, 4};
    const int64_t vShape[1] = {4};
    hymir_memref_f64_rank1 vd = hymir_memref_f64_rank1_make(v, vShape);
    hymir_mixed_results r;
    _mlir_ciface_mixed(&r, &vd, 1.5f);
    CHECK(r.result1 == 3.0f);
    CHECK(r.result0.sizes[0] == 4 && r.result2.sizes[0] == 4 &&
          r.result3.sizes[0] == 4);
    for (i = 0; i < 4; ++i) {
      CHECK(hymir_memref_f64_rank1_data(&r.result0)[i] == v[i]);
      CHECK(hymir_memref_f64_rank1_data(&r.result2)[i] == v[i] * v[i]);
      CHECK(hymir_memref_f64_rank1_data(&r.result3)[i] == v[i] * v[i]);
    }
    /* A returned argument is a copy; the value returned twice is one buffer
     * behind two descriptors, which the helper frees once. */
    CHECK(r.result0.allocated != v);
    CHECK(r.result0.allocated != r.result2.allocated);
    printf("mixed ok, results 2 and 3 %s\n",
           r.result2.allocated == r.result3.allocated ? "share a buffer"
                                                      : "have two buffers");
    hymir_mixed_results_free(&r);
    CHECK(r.result0.allocated == NULL && r.result3.aligned == NULL);
  }

  /* @square0(tensor<f32>) -> tensor<f32> */
  {
    float s = 3.0f;
    hymir_memref_f32_rank0 sd = hymir_memref_f32_rank0_make(&s);
    hymir_memref_f32_rank0 r;
    _mlir_ciface_square0(&r, &sd);
    CHECK(hymir_memref_f32_rank0_numel(&r) == 1);
    CHECK(*hymir_memref_f32_rank0_data(&r) == 9.0f);
    hymir_memref_f32_rank0_free(&r);
    printf("square0 ok\n");
  }

  /* @nothing(tensor<2xi32>) */
  {
    int32_t n[2] = {1, 2};
    const int64_t nShape[1] = {2};
    hymir_memref_i32_rank1 nd = hymir_memref_i32_rank1_make(n, nShape);
    _mlir_ciface_nothing(&nd);
    printf("nothing ok\n");
  }
  return 0;
}
