//===- RunCUDA.cpp - hymir-run --target=cuda ------------------------------===//

#include "RunCUDA.h"

#include "hymir/Target/CUDA/Artifact.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using namespace hymir;

static llvm::raw_ostream &error() {
  return llvm::WithColor::error(llvm::errs(), "hymir-run");
}

/// The runner: next to this executable (a build or install tree), else PATH.
static std::optional<std::string> findRunner(const char *argv0) {
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&hymir::runOnCuda));
  llvm::SmallString<256> runner(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(runner, "hymir-rt-run");
  if (llvm::sys::fs::can_execute(runner))
    return runner.str().str();
  if (auto found = llvm::sys::findProgramByName("hymir-rt-run"))
    return *found;
  error() << "--target=cuda needs the runtime's hymir-rt-run (build the "
             "runtime with CUDA: cmake -S runtime), not found next to "
          << self << " or on PATH\n";
  return std::nullopt;
}

/// Writes an artifact into a fresh temporary directory with `write`, runs
/// the runner on it with `args` after the directory, removes it.
static int runInTemporaryDirectory(
    const std::string &runner,
    llvm::function_ref<LogicalResult(llvm::StringRef, std::string &)> write,
    llvm::ArrayRef<std::string> args) {
  llvm::SmallString<256> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("hymir-cuda", dir)) {
    error() << "cannot create a temporary directory: " << ec.message() << "\n";
    return 1;
  }
  std::string message;
  int status = 1;
  if (failed(write(dir, message))) {
    error() << message << "\n";
  } else {
    std::vector<std::string> all{runner, dir.str().str()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<llvm::StringRef> refs(all.begin(), all.end());
    std::string execError;
    status = llvm::sys::ExecuteAndWait(runner, refs, std::nullopt, {}, 0, 0,
                                       &execError);
    if (status < 0) {
      error() << "cannot run " << runner << ": " << execError << "\n";
      status = 1;
    }
  }
  llvm::sys::fs::remove_directories(dir);
  return status;
}

int hymir::runOnCuda(ModuleOp module, llvm::StringRef entry,
                     llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
                     llvm::ArrayRef<std::string> inputPaths,
                     llvm::StringRef outputDir, llvm::StringRef weightsPath,
                     const char *argv0) {
  std::optional<std::string> runner = findRunner(argv0);
  if (!runner)
    return 1;
  FailureOr<CUDAArtifact> artifact =
      compileCUDAArtifact(module, entry, shapes, CUDAPipelineOptions());
  if (failed(artifact))
    return 1;
  std::vector<std::string> args{"--output=" + outputDir.str()};
  for (const std::string &path : inputPaths)
    args.push_back("--input=" + path);
  if (!weightsPath.empty())
    args.push_back("--weights=" + weightsPath.str());
  return runInTemporaryDirectory(
      *runner,
      [&](llvm::StringRef dir, std::string &message) {
        return writeCUDAArtifact(*artifact, dir, message);
      },
      args);
}

int hymir::generateOnCuda(ModuleOp module, llvm::StringRef weightsPath,
                          llvm::ArrayRef<int64_t> promptIds, unsigned generate,
                          const char *argv0) {
  std::optional<std::string> runner = findRunner(argv0);
  if (!runner)
    return 1;
  CUDAModelShape shape;
  shape.batch = 1;
  shape.promptLen = static_cast<int64_t>(promptIds.size());
  shape.capacity = shape.promptLen + generate - 1;
  FailureOr<CUDAModelArtifact> artifact =
      compileCUDAModel(module, shape, CUDAPipelineOptions());
  if (failed(artifact))
    return 1;
  std::string ids;
  for (auto [i, id] : llvm::enumerate(promptIds))
    ids += (i ? "," : "") + std::to_string(id);
  std::vector<std::string> args{"--weights=" + weightsPath.str(),
                                "--prompt-ids=" + ids,
                                "--generate=" + std::to_string(generate)};
  return runInTemporaryDirectory(
      *runner,
      [&](llvm::StringRef dir, std::string &message) {
        return writeCUDAModelArtifact(*artifact, dir, message);
      },
      args);
}
