//===- ThreadsOption.h - The --threads option of the tools ------*- C++ -*-===//
//
// libLLVM already registers a hidden global command-line option named
// "threads" (unrelated to ours), so `cl::opt` cannot declare --threads: the
// parser would take the value for LLVM's option and ours would silently keep
// its default. The tools take it out of argv before
// cl::ParseCommandLineOptions.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_TOOLS_THREADSOPTION_H
#define HYMIR_TOOLS_THREADSOPTION_H

#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace hymir {

/// The most worker threads a tool accepts.
constexpr unsigned kMaxThreads = 4096;

/// Removes --threads=N / --threads N (one or two dashes) from `args` and
/// stores N in `threads` (the last one given wins); `given` says whether
/// any was. Returns the offending value if one is not a count in
/// [0, kMaxThreads].
inline std::optional<std::string> extractThreads(std::vector<char *> &args,
                                                 unsigned &threads,
                                                 bool &given) {
  std::vector<char *> kept;
  given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef arg(args[i]);
    llvm::StringRef name = arg.starts_with("--") ? arg.drop_front(2)
                           : arg.starts_with("-") ? arg.drop_front(1)
                                                  : llvm::StringRef();
    llvm::StringRef value;
    if (name == "threads" && i + 1 < args.size()) {
      value = args[++i];
    } else if (name.starts_with("threads=")) {
      value = name.drop_front(std::strlen("threads="));
    } else {
      kept.push_back(args[i]);
      continue;
    }
    if (value.getAsInteger(10, threads) || threads > kMaxThreads)
      return value.str();
    given = true;
  }
  args = std::move(kept);
  return std::nullopt;
}

} // namespace hymir

#endif // HYMIR_TOOLS_THREADSOPTION_H
