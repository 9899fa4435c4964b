//===- ImportFuzzer.cpp - libFuzzer target for hymir-import ---------------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-import: arbitrary bytes as a model config.json through the
// importer (lib/Import). A rejection (an llvm::Error with a message) is fine;
// a crash or sanitizer report is not, and neither is an accepted config
// whose module does not parse and verify (the importer promises a valid
// module). Modules above 4 MiB of text are only checked for being accepted:
// parsing the module of a 48-layer config on every execution would starve
// the search (the published configs, tested in test/Import, cover that).
//
//===----------------------------------------------------------------------===//

#include "hymir/Import/Import.h"
#include "hymir/InitAll.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef json(reinterpret_cast<const char *>(data), size);
  llvm::Expected<hymir::import::ImportedModel> model =
      hymir::import::importConfig(json, "fuzz.json");
  if (!model) {
    std::string message = llvm::toString(model.takeError());
    if (message.empty())
      abort(); // every rejection says why
    return 0;
  }
  if (model->mlir.size() > (4u << 20))
    return 0;
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    hymir::registerAllDialects(*r);
    return r;
  }();
  mlir::MLIRContext context(*registry);
  context.loadAllAvailableDialects();
  bool diagnosed = false;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &) {
    diagnosed = true;
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(model->mlir, &context);
  if (!module || diagnosed || failed(mlir::verify(*module)))
    abort(); // an accepted config must give a valid module
  return 0;
}
