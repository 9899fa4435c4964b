//===- hymir-rt-run.c - Run a CUDA artifact with .npy in and out -----------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The GPU machine's runner (DESIGN §5): no LLVM, no MLIR, only the runtime
// and the CUDA driver. Same .npy contract as `hymir-run`: one --input per
// argument in order, results written as DIR/out0.npy, out1.npy, ... under
// temporary names (stale out*.npy removed first).
//
//===----------------------------------------------------------------------===//

#include "hymir_rt/cuda.h"
#include "hymir_rt/npy.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char kUsage[] =
    "usage: hymir-rt-run ARTIFACT_DIR --input=A.npy ... --output=DIR\n"
    "                    [--device=N] [--bench=REPEATS]\n"
    "\n"
    "Runs the CUDA artifact that `hymir-compile --target=cuda` wrote in\n"
    "ARTIFACT_DIR: one --input per argument of the compiled entry point, in\n"
    "order, with the dtype and shape it was compiled for (f32 .npy files are\n"
    "rounded to bf16/f16 where the artifact takes those; .npy has no bf16),\n"
    "and writes the results to DIR/out0.npy, out1.npy, ... (bf16/f16 results\n"
    "as f32). --bench=N also times N runs of the kernels (inputs on the\n"
    "device, after 3 warm-up runs) and prints 'time_ms <mean per run>'.\n"
    "\n"
    "Exit status: 0 on success, 1 on a failed run (bad input, CUDA error), 2\n"
    "on a bad command line.\n";

static int usage_error(const char *msg, const char *arg) {
  fprintf(stderr, "hymir-rt-run: error: %s%s\n%s", msg, arg ? arg : "", kUsage);
  return 2;
}

static int report(const hymir_rt_error *err) {
  fprintf(stderr, "hymir-rt-run: error: %s\n", err->message);
  return 1;
}

/// Removes DIR/out<digits>.npy, so that a run never leaves a mix.
static void remove_stale_outputs(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    size_t len = strlen(n);
    if (len < 8 || strncmp(n, "out", 3) || strcmp(n + len - 4, ".npy"))
      continue;
    int digits = 1;
    for (size_t i = 3; i < len - 4; ++i)
      digits &= n[i] >= '0' && n[i] <= '9';
    if (!digits)
      continue;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", dir, n) < (int)sizeof(path))
      unlink(path);
  }
  closedir(d);
}

int main(int argc, char **argv) {
  const char *artifact = NULL, *outdir = NULL;
  const char **input_paths = calloc((size_t)argc, sizeof(char *));
  size_t num_inputs = 0;
  int device = 0, bench = 0;
  if (!input_paths)
    return 1;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(kUsage, stdout);
      free(input_paths);
      return 0;
    }
    if (strncmp(a, "--input=", 8) == 0)
      input_paths[num_inputs++] = a + 8;
    else if (strncmp(a, "--output=", 9) == 0)
      outdir = a + 9;
    else if (strncmp(a, "--device=", 9) == 0)
      device = atoi(a + 9);
    else if (strncmp(a, "--bench=", 8) == 0) {
      bench = atoi(a + 8);
      if (bench < 1)
        return free(input_paths), usage_error("--bench needs a positive count: ", a);
    } else if (a[0] == '-')
      return free(input_paths), usage_error("unknown option ", a);
    else if (!artifact)
      artifact = a;
    else
      return free(input_paths), usage_error("more than one artifact: ", a);
  }
  if (!artifact)
    return free(input_paths), usage_error("no artifact directory", NULL);
  if (!outdir)
    return free(input_paths), usage_error("--output=DIR is required", NULL);

  hymir_rt_error err;
  hymir_rt_cuda_executable *exe = NULL;
  hymir_rt_cuda_plan plan;
  // Plan and inputs are checked before the driver is touched, so a bad
  // input is reported the same way on any machine.
  if (hymir_rt_cuda_plan_read(artifact, &plan, &err)) {
    free(input_paths);
    return report(&err);
  }
  hymir_rt_array *inputs = calloc(num_inputs + 1, sizeof(hymir_rt_array));
  hymir_rt_array *outputs = calloc(plan.num_outputs + 1, sizeof(hymir_rt_array));
  int status = 1;
  if (!inputs || !outputs)
    goto done;
  if (num_inputs != plan.num_inputs) {
    fprintf(stderr,
            "hymir-rt-run: error: %s takes %zu inputs, %zu --input given\n",
            plan.function, plan.num_inputs, num_inputs);
    goto done;
  }
  for (size_t i = 0; i < num_inputs; ++i) {
    if (hymir_rt_npy_read(input_paths[i], &inputs[i], &err)) {
      fprintf(stderr, "hymir-rt-run: error: input #%zu: %s\n", i, err.message);
      goto done;
    }
    hymir_rt_dtype want = plan.inputs[i].dtype;
    if ((want == HYMIR_RT_DTYPE_BF16 || want == HYMIR_RT_DTYPE_F16) &&
        inputs[i].dtype == HYMIR_RT_DTYPE_F32) {
      hymir_rt_array rounded;
      if (hymir_rt_array_convert(&inputs[i], want, &rounded, &err)) {
        fprintf(stderr, "hymir-rt-run: error: input #%zu: %s\n", i,
                err.message);
        goto done;
      }
      hymir_rt_array_free(&inputs[i]);
      inputs[i] = rounded;
    }
  }
  if (hymir_rt_cuda_check_inputs(&plan, inputs, num_inputs, &err)) {
    report(&err);
    goto done;
  }
  if (hymir_rt_cuda_load(artifact, device, &exe, &err)) {
    report(&err);
    goto done;
  }
  remove_stale_outputs(outdir);
  if (hymir_rt_cuda_run(exe, inputs, num_inputs, outputs, &err)) {
    report(&err);
    goto done;
  }
  for (size_t k = 0; k < plan.num_outputs; ++k) {
    hymir_rt_array *out = &outputs[k];
    if (out->dtype == HYMIR_RT_DTYPE_BF16 || out->dtype == HYMIR_RT_DTYPE_F16) {
      hymir_rt_array wide;
      if (hymir_rt_array_convert(out, HYMIR_RT_DTYPE_F32, &wide, &err)) {
        report(&err);
        goto done;
      }
      hymir_rt_array_free(out);
      *out = wide;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/out%zu.npy", outdir, k);
    if (hymir_rt_npy_write(path, out, &err)) {
      report(&err);
      goto done;
    }
  }
  if (bench) {
    double ms = 0;
    if (hymir_rt_cuda_time(exe, inputs, num_inputs, 3, bench, &ms, &err)) {
      report(&err);
      goto done;
    }
    printf("time_ms %.6f\n", ms);
  }
  status = 0;
done:
  for (size_t i = 0; inputs && i < num_inputs; ++i)
    hymir_rt_array_free(&inputs[i]);
  for (size_t k = 0; outputs && k < plan.num_outputs; ++k)
    hymir_rt_array_free(&outputs[k]);
  hymir_rt_cuda_plan_free(&plan);
  free(inputs);
  free(outputs);
  free(input_paths);
  hymir_rt_cuda_unload(exe);
  return status;
}
