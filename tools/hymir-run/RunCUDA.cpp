//===- RunCUDA.cpp - hymir-run --target=cuda ------------------------------===//

#include "RunCUDA.h"

#include "hymir/Target/CUDA/Artifact.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int hymir::runOnCuda(ModuleOp module, llvm::StringRef entry,
                     llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes,
                     llvm::ArrayRef<std::string> inputPaths,
                     llvm::StringRef outputDir, const char *argv0) {
  auto error = []() -> llvm::raw_ostream & {
    return llvm::WithColor::error(llvm::errs(), "hymir-run");
  };
  // The runner: next to this executable (a build or install tree), else PATH.
  std::string self = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&hymir::runOnCuda));
  llvm::SmallString<256> runner(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(runner, "hymir-rt-run");
  if (!llvm::sys::fs::can_execute(runner)) {
    auto found = llvm::sys::findProgramByName("hymir-rt-run");
    if (!found) {
      error() << "--target=cuda needs the runtime's hymir-rt-run (build the "
                 "runtime with CUDA: cmake -S runtime), not found next to "
              << self << " or on PATH\n";
      return 1;
    }
    runner = *found;
  }

  FailureOr<CUDAArtifact> artifact =
      compileCUDAArtifact(module, entry, shapes, CUDAPipelineOptions());
  if (failed(artifact))
    return 1;
  llvm::SmallString<256> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("hymir-cuda", dir)) {
    error() << "cannot create a temporary directory: " << ec.message() << "\n";
    return 1;
  }
  std::string message;
  int status = 1;
  if (failed(writeCUDAArtifact(*artifact, dir, message))) {
    error() << message << "\n";
  } else {
    std::vector<std::string> args{runner.str().str(), dir.str().str(),
                                  "--output=" + outputDir.str()};
    for (const std::string &path : inputPaths)
      args.push_back("--input=" + path);
    std::vector<llvm::StringRef> refs(args.begin(), args.end());
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
