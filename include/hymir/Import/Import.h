//===- Import.h - Model config (config.json) to a model module --*- C++ -*-===//
//
// hymir-import's library (DESIGN.md §3, docs/models.md): reads the config.json
// that published checkpoints ship (Hugging Face field names and values) and
// writes a model module in Hymir's model format: weights as external
// `ml_program.global`s named like the checkpoint's tensors, `@prefill` and
// `@decode` entry points, recurrent states and KV caches as explicit values.
//
// The module is produced as MLIR text (readable, with a header comment that
// lists the config, the layer pattern and the states); the tool parses and
// verifies it before writing it. Alongside it comes the list of weights with
// an initialisation rule each, from which `hymir-import --random-weights`
// writes a deterministic safetensors file.
//
// Every problem with the config is one message of the form
//   <file>: field '<name>': <what is wrong>
// (or `<file>: <what is wrong>` for the document as a whole).
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_IMPORT_IMPORT_H
#define HYMIR_IMPORT_IMPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hymir {
namespace import {

/// How `--random-weights` fills a tensor (see docs/models.md).
enum class WeightInit {
  /// normal(0, 1/sqrt(last dim)): projections, embeddings, convs, routers.
  FanIn,
  /// 1 + normal(0, 0.1): norm weights applied as `w`, Mamba's D.
  NearOne,
  /// normal(0, 0.1): zero-centred norm weights (applied as 1 + w), biases.
  NearZero,
  /// log(uniform(1, 16)): A_log of Mamba / Gated DeltaNet.
  ALog,
  /// softplus⁻¹(dt), dt log-uniform in [1e-3, 1e-1]: Mamba's dt_bias.
  DtBias,
};

/// One external global of the module.
struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  WeightInit init = WeightInit::FanIn;
};

/// The imported model.
struct ImportedModel {
  /// The module, as MLIR text (not yet parsed or verified).
  std::string mlir;
  /// Every external global, in declaration order.
  std::vector<WeightSpec> weights;
  /// The model type of the config (e.g. "qwen3_next").
  std::string modelType;
};

/// The model types hymir-import understands, comma separated.
llvm::StringRef getSupportedModelTypes();

/// How the module computes a top-k MoE.
enum class MoeDispatch {
  /// Each expert runs on the tokens routed to it only (compact their rows,
  /// gather, run the expert, scatter-add the weighted result).
  Sparse,
  /// Every expert runs on every token, weighted by its routing weight (0
  /// where not routed): the reference formulation.
  Dense,
};

struct ImportOptions {
  MoeDispatch moe = MoeDispatch::Sparse;
};

/// Imports the config `json` read from `fileName` (used in messages only).
llvm::Expected<ImportedModel> importConfig(llvm::StringRef json,
                                           llvm::StringRef fileName,
                                           const ImportOptions &options = {});

} // namespace import
} // namespace hymir

#endif // HYMIR_IMPORT_IMPORT_H
