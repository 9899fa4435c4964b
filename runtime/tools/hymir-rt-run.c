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
#include "hymir_rt/safetensors.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char kUsage[] =
    "usage: hymir-rt-run ARTIFACT_DIR --input=A.npy ... --output=DIR\n"
    "                    [--weights=W.safetensors] [--device=N] [--bench=N]\n"
    "       hymir-rt-run MODEL_DIR --weights=W.safetensors --prompt-ids=1,2,3\n"
    "                    --generate=N [--logits=L.npy] [--device=N]\n"
    "\n"
    "Runs the CUDA artifact that `hymir-compile --target=cuda` wrote in\n"
    "ARTIFACT_DIR: one --input per argument of the compiled entry point, in\n"
    "order, with the dtype and shape it was compiled for (f32 .npy files are\n"
    "rounded to bf16/f16 where the artifact takes those; .npy has no bf16),\n"
    "and writes the results to DIR/out0.npy, out1.npy, ... (bf16/f16 results\n"
    "as f32). --bench=N also times N runs of the kernels (inputs on the\n"
    "device, after 3 warm-up runs) and prints 'time_ms <mean per run>'.\n"
    "An artifact with weights binds them by name from --weights.\n"
    "\n"
    "With a model artifact (hymir-compile MODEL.mlir --target=cuda --batch=B\n"
    "--prompt-len=T --capacity=C: MODEL_DIR/prefill and MODEL_DIR/decode),\n"
    "--generate=N runs @prefill on the prompt (T ids, the same for each of the\n"
    "B sequences), then N-1 greedy @decode steps with the weights and states\n"
    "on the GPU, and prints the N generated ids (one line per sequence) and\n"
    "the prefill and decode throughput; --logits=L.npy writes @prefill's\n"
    "logits. Weights are checked (name, shape, dtype; bf16/f16/f64 converted)\n"
    "before the GPU is touched.\n"
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

/// "1,2,3" -> ids; 0 on success.
static int parse_ids(const char *text, int32_t **ids, size_t *n) {
  size_t cap = 1;
  for (const char *c = text; *c; ++c)
    cap += *c == ',';
  *ids = calloc(cap, sizeof(int32_t));
  *n = 0;
  if (!*ids)
    return 1;
  const char *c = text;
  while (1) {
    char *end;
    long v = strtol(c, &end, 10);
    if (end == c || v < 0 || v > INT32_MAX || (*end && *end != ','))
      return 1;
    (*ids)[(*n)++] = (int32_t)v;
    if (!*end)
      return 0;
    c = end + 1;
  }
}

/// The model runner: weights and states on the device, greedy decoding.
static int run_model(const char *dir, const char *weights_path,
                     const char *prompt_text, int generate,
                     const char *logits_path, int device) {
  hymir_rt_error err;
  hymir_rt_cuda_model_plans model;
  if (hymir_rt_cuda_model_read(dir, &model, &err))
    return report(&err);
  int status = 1;
  int32_t *ids = NULL, *prompt = NULL;
  size_t n = 0;
  hymir_rt_safetensors *st = NULL;
  hymir_rt_cuda_weight_set weights = {0};
  hymir_rt_cuda_generation gen = {0};
  if (parse_ids(prompt_text, &ids, &n)) {
    fprintf(stderr, "hymir-rt-run: error: --prompt-ids=%s: expected ids "
                    "0..2^31-1 joined by ','\n", prompt_text);
    goto done;
  }
  if ((int64_t)n != model.prompt_len) {
    fprintf(stderr,
            "hymir-rt-run: error: the prompt has %zu ids; the artifact was "
            "compiled for T = %lld (CUDA artifacts are specialised per shape: "
            "compile one with --prompt-len=%zu)\n",
            n, (long long)model.prompt_len, n);
    goto done;
  }
  for (size_t i = 0; i < n; ++i)
    if (ids[i] >= model.vocab) {
      fprintf(stderr, "hymir-rt-run: error: --prompt-ids: id %d is not in "
                      "[0, %lld) (the vocabulary)\n", ids[i],
              (long long)model.vocab);
      goto done;
    }
  if (model.has_kv_cache &&
      (int64_t)generate - 1 > model.capacity - model.prompt_len) {
    fprintf(stderr,
            "hymir-rt-run: error: --generate=%d needs %d decode steps; the "
            "artifact's KV capacity %lld leaves room for %lld after the "
            "prompt (compile with a larger --capacity)\n",
            generate, generate - 1, (long long)model.capacity,
            (long long)(model.capacity - model.prompt_len));
    goto done;
  }
  // Weights: every tensor checked and converted before the driver is used.
  if (!weights_path) {
    fprintf(stderr, "hymir-rt-run: error: a model artifact needs "
                    "--weights=W.safetensors\n");
    goto done;
  }
  if (hymir_rt_safetensors_open(weights_path, &st, &err)) {
    report(&err);
    goto done;
  }
  const hymir_rt_cuda_plan *plans[2] = {&model.prefill, &model.decode};
  if (hymir_rt_cuda_weights_load(plans, 2, st, &weights, &err)) {
    report(&err);
    goto done;
  }
  prompt = calloc((size_t)(model.batch * model.prompt_len) + 1,
                  sizeof(int32_t));
  if (!prompt)
    goto done;
  for (int64_t b = 0; b < model.batch; ++b)
    memcpy(prompt + b * model.prompt_len, ids, n * sizeof(int32_t));
  if (hymir_rt_cuda_generate(dir, device, &model, &weights, prompt, generate,
                             &gen, &err)) {
    report(&err);
    goto done;
  }
  for (int64_t b = 0; b < model.batch; ++b)
    for (int i = 0; i < generate; ++i)
      printf("%d%s", gen.ids[b * generate + i], i + 1 < generate ? "," : "\n");
  long long prefilled = (long long)(model.batch * model.prompt_len);
  printf("prefill: %lld tokens in %.3f s (%.1f tokens/s)\n", prefilled,
         gen.prefill_seconds, (double)prefilled / gen.prefill_seconds);
  if (generate > 1) {
    long long decoded = (long long)model.batch * (generate - 1);
    printf("decode: %lld tokens in %.3f s (%.1f tokens/s)\n", decoded,
           gen.decode_seconds, (double)decoded / gen.decode_seconds);
  } else {
    printf("decode: 0 tokens (--generate=1 needs no decode step)\n");
  }
  if (logits_path && hymir_rt_npy_write(logits_path, &gen.prefill_logits, &err)) {
    report(&err);
    goto done;
  }
  status = 0;
done:
  hymir_rt_cuda_generation_free(&gen);
  hymir_rt_cuda_weight_set_free(&weights);
  hymir_rt_safetensors_close(st);
  hymir_rt_cuda_model_plans_free(&model);
  free(ids);
  free(prompt);
  return status;
}

/// Uploads the plan's weights (an op artifact with weights); `*ptrs` owned
/// by the caller.
static int bind_op_weights(hymir_rt_cuda_executable *exe,
                           const hymir_rt_cuda_weight_set *set,
                           hymir_rt_cuda_ptr **ptrs, hymir_rt_error *err) {
  *ptrs = calloc(set->count + 1, sizeof(**ptrs));
  if (!*ptrs)
    return hymir_rt_error_set(err, HYMIR_RT_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < set->count; ++i) {
    size_t bytes = hymir_rt_cuda_tensor_bytes(&set->tensors[i]);
    int rc = hymir_rt_cuda_alloc(exe, bytes, &(*ptrs)[i], err);
    if (!rc)
      rc = hymir_rt_cuda_upload(exe, (*ptrs)[i], set->values[i].data, bytes,
                                err);
    if (rc)
      return rc;
  }
  // One plan: the set holds its weights in plan order.
  return hymir_rt_cuda_bind_weights(exe, *ptrs, set->count, err);
}

int main(int argc, char **argv) {
  const char *artifact = NULL, *outdir = NULL;
  const char **input_paths = calloc((size_t)argc, sizeof(char *));
  size_t num_inputs = 0;
  const char *weights_path = NULL, *prompt_ids = NULL, *logits_path = NULL;
  int device = 0, bench = 0, generate = 0;
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
    else if (strncmp(a, "--weights=", 10) == 0)
      weights_path = a + 10;
    else if (strncmp(a, "--prompt-ids=", 13) == 0)
      prompt_ids = a + 13;
    else if (strncmp(a, "--logits=", 9) == 0)
      logits_path = a + 9;
    else if (strncmp(a, "--generate=", 11) == 0) {
      generate = atoi(a + 11);
      if (generate < 1)
        return free(input_paths),
               usage_error("--generate needs a positive count: ", a);
    } else if (strncmp(a, "--device=", 9) == 0)
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
  if (generate || prompt_ids || logits_path) {
    if (!generate || !prompt_ids)
      return free(input_paths),
             usage_error("a model runs with --prompt-ids=ID,... and "
                         "--generate=N together",
                         NULL);
    if (num_inputs || outdir || bench)
      return free(input_paths),
             usage_error("--generate takes no --input, --output or --bench",
                         NULL);
    free(input_paths);
    return run_model(artifact, weights_path, prompt_ids, generate,
                     logits_path, device);
  }
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
  hymir_rt_safetensors *st = NULL;
  hymir_rt_cuda_weight_set weights = {0};
  hymir_rt_cuda_ptr *weight_ptrs = NULL;
  int status = 1;
  if (!inputs || !outputs)
    goto done;
  if (plan.num_weights || weights_path) {
    const hymir_rt_cuda_plan *plans[1] = {&plan};
    if (weights_path && hymir_rt_safetensors_open(weights_path, &st, &err)) {
      report(&err);
      goto done;
    }
    if (hymir_rt_cuda_weights_load(plans, 1, st, &weights, &err)) {
      report(&err);
      goto done;
    }
  }
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
  if (hymir_rt_cuda_load(artifact, device, &exe, &err) ||
      (plan.num_weights &&
       bind_op_weights(exe, &weights, &weight_ptrs, &err))) {
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
  for (size_t i = 0; exe && weight_ptrs && i < weights.count; ++i)
    hymir_rt_cuda_free(exe, weight_ptrs[i]);
  free(weight_ptrs);
  hymir_rt_cuda_weight_set_free(&weights);
  hymir_rt_safetensors_close(st);
  hymir_rt_cuda_unload(exe);
  return status;
}
