//===- IrFuzzer.cpp - libFuzzer target for parsing and verifying IR -------===//
//
// Part of the Hymir project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// hymir-fuzz-ir: the bytes are MLIR text. Parse them with every dialect
// `hymir::registerAllDialects` registers, verify, run `hymir-normalize` and
// `canonicalize` through a PassManager (which verifies after each pass),
// print the result in the generic and the pretty form, and parse and verify
// the pretty form again. Any diagnostic is fine and is swallowed; a crash, a
// hang, an ASan/UBSan report or a leak is a bug. A printed form that does not
// parse again is counted (HYMIR_FUZZ_IR_STATS=1) and is fatal only with
// HYMIR_FUZZ_IR_STRICT_ROUNDTRIP=1.
//
// With -DHYMIR_FUZZ_CPU_PIPELINE (target hymir-fuzz-cpu-pipeline), inputs
// that survive normalize + canonicalize also go through
// `buildHymirCPUPipeline` (down to the LLVM dialect).
//
// Each input gets a fresh single-threaded MLIRContext, so a crash reproduces
// from its input alone and uniqued types and attributes do not accumulate.
//
// HYMIR_FUZZ_IR_VERBOSE=1 prints the diagnostics and how far each input got;
// HYMIR_FUZZ_IR_STATS=1 prints (after every 2^k-th input from 1024 on, and at
// exit) how many inputs failed to parse,
// parsed (with and without hymir ops, i.e. reached the Hymir verifiers),
// verified, failed the passes and were printed.
//
//===----------------------------------------------------------------------===//

#include "hymir/Dialect/Hymir/Transforms/Passes.h"
#include "hymir/InitAll.h"
#ifdef HYMIR_FUZZ_CPU_PIPELINE
#include "hymir/Pipelines/Pipelines.h"
#endif

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace mlir;

namespace {
const DialectRegistry &getRegistry() {
  static const DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    hymir::registerAllDialects(*r);
    return r;
  }();
  return *registry;
}

bool envFlag(const char *name) {
  const char *e = std::getenv(name);
  return e && *e && *e != '0';
}

bool verbose() {
  static const bool v = envFlag("HYMIR_FUZZ_IR_VERBOSE");
  return v;
}

/// How far inputs got; printed at exit with HYMIR_FUZZ_IR_STATS=1.
struct Stats {
  uint64_t inputs = 0, parseFailed = 0, parsed = 0, parsedWithHymir = 0,
           verifyFailed = 0, verifyFailedWithHymir = 0, verified = 0,
           verifiedWithHymir = 0, passesFailed = 0, printed = 0,
           roundTripFailed = 0;
  ~Stats() { print(); }
  /// Also called after every 2^k-th input (k >= 10), so that a run that ends
  /// in a crash still leaves its last numbers.
  void print() const {
    static const bool enabled = envFlag("HYMIR_FUZZ_IR_STATS");
    if (!enabled || !inputs)
      return;
    auto pct = [&](uint64_t n) { return 100.0 * n / inputs; };
    std::fprintf(stderr,
                 "hymir-fuzz-ir stats: %llu inputs\n"
                 "  parse failed          %10llu (%5.1f%%)\n"
                 "  parsed                %10llu (%5.1f%%), with hymir ops "
                 "%llu (%.1f%%)\n"
                 "  verify failed         %10llu (%5.1f%%), with hymir ops "
                 "%llu (%.1f%%)\n"
                 "  verified              %10llu (%5.1f%%), with hymir ops "
                 "%llu (%.1f%%)\n"
                 "  passes failed         %10llu (%5.1f%%)\n"
                 "  printed               %10llu (%5.1f%%)\n"
                 "  round trip failed     %10llu\n"
                 "  skipped (huge dims)   %10llu\n",
                 (unsigned long long)inputs, (unsigned long long)parseFailed,
                 pct(parseFailed), (unsigned long long)parsed, pct(parsed),
                 (unsigned long long)parsedWithHymir, pct(parsedWithHymir),
                 (unsigned long long)verifyFailed, pct(verifyFailed),
                 (unsigned long long)verifyFailedWithHymir,
                 pct(verifyFailedWithHymir), (unsigned long long)verified,
                 pct(verified), (unsigned long long)verifiedWithHymir,
                 pct(verifiedWithHymir), (unsigned long long)passesFailed,
                 pct(passesFailed), (unsigned long long)printed, pct(printed),
                 (unsigned long long)roundTripFailed,
                 (unsigned long long)(inputs - parseFailed - parsed));
  }
} stats;

void stage(const char *what) {
  if (verbose())
    std::fprintf(stderr, "hymir-fuzz-ir: %s\n", what);
}

bool hasHymirOps(Operation *root) {
  bool found = false;
  root->walk([&](Operation *op) {
    if (op->getName().getDialectNamespace() == "hymir") {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Parses `text`; verification is separate so that parse and verify
/// failures can be told apart.
OwningOpRef<ModuleOp> parse(MLIRContext &context, llvm::StringRef text) {
  // A copy with the NUL terminator the MLIR lexer relies on.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.mlir"), llvm::SMLoc());
  ParserConfig config(&context, /*verifyAfterParse=*/false);
  return parseSourceFile<ModuleOp>(sourceMgr, config);
}

LogicalResult swallow(Diagnostic &diag) {
  if (verbose())
    llvm::errs() << diag.getLocation() << ": " << diag << "\n";
  return success();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ++stats.inputs;
  if (stats.inputs >= 1024 && (stats.inputs & (stats.inputs - 1)) == 0)
    stats.print();
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler handler(&context, swallow);

  OwningOpRef<ModuleOp> module = parse(
      context,
      llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!module) {
    ++stats.parseFailed;
    stage("parse failed");
    return 0;
  }
  bool withHymir = hasHymirOps(*module);
  ++stats.parsed;
  stats.parsedWithHymir += withHymir;
  if (failed(verify(*module))) {
    ++stats.verifyFailed;
    stats.verifyFailedWithHymir += withHymir;
    stage("verify failed");
    return 0;
  }
  ++stats.verified;
  stats.verifiedWithHymir += withHymir;
  stage("verified");

  PassManager pm(&context, ModuleOp::getOperationName());
  pm.enableVerifier(true);
  pm.addPass(hymir::createNormalizePass());
  pm.addPass(createCanonicalizerPass());
#ifdef HYMIR_FUZZ_CPU_PIPELINE
  hymir::CPUPipelineOptions options;
  hymir::buildHymirCPUPipeline(pm, options);
#endif
  if (failed(pm.run(*module))) {
    ++stats.passesFailed;
    stage("passes failed");
    return 0;
  }
  stage("passes succeeded");

  std::string text;
  {
    llvm::raw_string_ostream os(text);
    module->print(os, OpPrintingFlags().printGenericOpForm());
  }
  text.clear();
  {
    llvm::raw_string_ostream os(text);
    module->print(os);
  }
  ++stats.printed;
  stage("printed");

  // The printed form must parse and verify again. A failure is a printer or
  // parser bug, not a crash: counted, and fatal with
  // HYMIR_FUZZ_IR_STRICT_ROUNDTRIP=1.
  MLIRContext context2(getRegistry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler handler2(&context2, swallow);
  OwningOpRef<ModuleOp> again = parse(context2, text);
  if (!again || failed(verify(*again))) {
    ++stats.roundTripFailed;
    stage("round trip failed");
    static const bool strict = envFlag("HYMIR_FUZZ_IR_STRICT_ROUNDTRIP");
    if (strict) {
      std::fprintf(stderr, "hymir-fuzz-ir: the printed IR does not parse "
                           "and verify again:\n%s\n",
                   text.c_str());
      std::abort();
    }
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Mutator
//===----------------------------------------------------------------------===//
//
// Byte-level mutations of MLIR text almost always break the syntax (98.5% of
// the inputs of a 150 s run failed to parse without this mutator): the
// verifiers and passes see few inputs. Seven out of eight mutations here are
// token-level instead and
// keep the text parseable more often: change an integer (a dim, an attribute
// value, a head count) or a type or op for a related one, mostly in every
// occurrence so that the types of an SSA value's uses stay consistent; rename
// a use of an SSA value to another value, insert or drop a tensor dim, or
// delete, duplicate or swap lines. The rest are libFuzzer's own mutations
// (which use the dictionary). HYMIR_FUZZ_IR_BYTES_ONLY=1 turns this off.

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
using Span = std::pair<size_t, size_t>; // [begin, end)

bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
         c == '$' || c == '-';
}

/// Spans of decimal integers not part of an identifier or a float.
std::vector<Span> findIntegers(const std::string &s) {
  std::vector<Span> spans;
  for (size_t i = 0; i < s.size();) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
      ++j;
    bool inIdent = i > 0 && (std::isalpha(static_cast<unsigned char>(s[i - 1])) ||
                             s[i - 1] == '_' || s[i - 1] == '%' || s[i - 1] == '.');
    bool isFloat = j < s.size() && (s[j] == '.' || s[j] == 'e');
    if (!inIdent && !isFloat)
      spans.push_back({i, j});
    i = j;
  }
  return spans;
}

/// Spans of SSA value uses/definitions: %name.
std::vector<Span> findValues(const std::string &s) {
  std::vector<Span> spans;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%')
      continue;
    size_t j = i + 1;
    while (j < s.size() && isIdentChar(s[j]) && s[j] != '.')
      ++j;
    if (j > i + 1)
      spans.push_back({i, j});
    i = j - 1;
  }
  return spans;
}

/// Groups of interchangeable words; a mutation replaces one occurrence of a
/// member by another member of its group.
const std::vector<std::vector<const char *>> &wordGroups() {
  static const std::vector<std::vector<const char *>> groups = {
      {"f32", "f64", "f16", "bf16", "index", "i32", "i64", "i1"},
      {"hymir.scale", "hymir.outer", "hymir.read", "hymir.dot", "hymir.mix",
       "hymir.rotary", "hymir.sum"},
      {"hymir.l2_norm", "hymir.rms_norm", "hymir.layer_norm"},
      {"hymir.scan", "hymir.recurrence"},
      {"hymir.attention", "hymir.attention_decode"},
      {"arith.addf", "arith.subf", "arith.mulf", "arith.divf",
       "arith.maximumf", "arith.minimumf"},
      {"math.exp", "math.log", "math.tanh", "math.absf", "math.sqrt",
       "math.log1p", "math.expm1", "arith.negf"},
      {"rows", "cols"},
      {"ins(", "params(", "inits("},
      {"causal", "interleaved"},
      {"tensor.expand_shape", "tensor.collapse_shape"},
  };
  return groups;
}

std::string mutateText(std::string s, std::minstd_rand &rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  // Weights: integers 30%, words 25%, lines 15%, values 10%, dims 10%, none
  // 10% (then libFuzzer's own mutation).
  static const int kCase[20] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
                                1, 4, 4, 4, 2, 2, 3, 3, 5, 5};
  switch (kCase[pick(20)]) {
  case 0: { // an integer: one occurrence, or every occurrence of its value
    std::vector<Span> ints = findIntegers(s);
    if (ints.empty())
      break;
    Span sp = ints[pick(ints.size())];
    std::string old = s.substr(sp.first, sp.second - sp.first);
    unsigned long long v = std::strtoull(old.c_str(), nullptr, 10);
    static const char *fixed[] = {"0", "1", "2", "3", "4", "8", "12", "20",
                                  "64", "4294967296", "9223372036854775807"};
    std::string r;
    switch (pick(4)) { // unsigned: wraps instead of overflowing
    case 0: r = std::to_string(v + 1); break;
    case 1: r = std::to_string(v ? v - 1 : 0); break;
    case 2: r = std::to_string(v * 2); break;
    default: r = fixed[pick(sizeof(fixed) / sizeof(fixed[0]))]; break;
    }
    if (pick(4) != 0) { // every occurrence: shapes stay consistent
      for (auto it = ints.rbegin(); it != ints.rend(); ++it)
        if (s.compare(it->first, it->second - it->first, old) == 0)
          s.replace(it->first, it->second - it->first, r);
    } else {
      s.replace(sp.first, sp.second - sp.first, r);
    }
    return s;
  }
  case 1: { // a word for a related one: one occurrence, or every occurrence
    const auto &groups = wordGroups();
    const auto &group = groups[pick(groups.size())];
    std::vector<Span> hits;
    for (const char *w : group)
      for (size_t at = s.find(w); at != std::string::npos;
           at = s.find(w, at + 1)) {
        size_t end = at + std::strlen(w);
        if ((end < s.size() && isIdentChar(s[end]) && w[std::strlen(w) - 1] != '(') ||
            (at > 0 && isIdentChar(s[at - 1])))
          continue; // part of a longer word
        hits.push_back({at, end});
      }
    if (hits.empty())
      break;
    Span sp = hits[pick(hits.size())];
    std::string old = s.substr(sp.first, sp.second - sp.first);
    const char *r = group[pick(group.size())];
    if (pick(4) != 0) { // every occurrence: types stay consistent
      std::sort(hits.begin(), hits.end());
      for (auto it = hits.rbegin(); it != hits.rend(); ++it)
        if (s.compare(it->first, it->second - it->first, old) == 0)
          s.replace(it->first, it->second - it->first, r);
    } else {
      s.replace(sp.first, sp.second - sp.first, r);
    }
    return s;
  }
  case 2: { // a value for another
    std::vector<Span> vals = findValues(s);
    if (vals.size() < 2)
      break;
    Span a = vals[pick(vals.size())], b = vals[pick(vals.size())];
    std::string name = s.substr(b.first, b.second - b.first);
    s.replace(a.first, a.second - a.first, name);
    return s;
  }
  case 3: { // insert or drop a tensor dim
    std::vector<size_t> at;
    for (size_t p = s.find("tensor<"); p != std::string::npos;
         p = s.find("tensor<", p + 1))
      at.push_back(p + 7);
    if (at.empty())
      break;
    size_t p = at[pick(at.size())];
    size_t x = s.find('x', p);
    size_t close = s.find('>', p);
    if (pick(2) == 0 || x == std::string::npos || x > close) {
      static const char *dims[] = {"1x", "2x", "?x", "0x", "3x"};
      s.insert(p, dims[pick(5)]);
    } else {
      s.erase(p, x + 1 - p);
    }
    return s;
  }
  case 4: { // delete, duplicate or swap lines
    std::vector<Span> lines;
    for (size_t b = 0; b < s.size();) {
      size_t e = s.find('\n', b);
      e = e == std::string::npos ? s.size() : e + 1;
      lines.push_back({b, e});
      b = e;
    }
    if (lines.size() < 2)
      break;
    Span a = lines[pick(lines.size())], b = lines[pick(lines.size())];
    std::string la = s.substr(a.first, a.second - a.first);
    std::string lb = s.substr(b.first, b.second - b.first);
    switch (pick(3)) {
    case 0: s.erase(a.first, a.second - a.first); break;
    case 1: s.insert(b.first, la); break;
    default:
      if (a.first > b.first)
        std::swap(a, b), std::swap(la, lb);
      if (a.first == b.first)
        break;
      s.replace(b.first, b.second - b.first, la);
      s.replace(a.first, a.second - a.first, lb);
    }
    return s;
  }
  default:
    break;
  }
  return std::string(); // nothing applied: fall back to libFuzzer's
}
} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  static const bool bytesOnly = envFlag("HYMIR_FUZZ_IR_BYTES_ONLY");
  std::minstd_rand rng(seed);
  if (!bytesOnly && rng() % 8 != 0) {
    std::string text = mutateText(
        std::string(reinterpret_cast<const char *>(data), size), rng);
    if (!text.empty() && text.size() <= maxSize) {
      std::memcpy(data, text.data(), text.size());
      return text.size();
    }
  }
  return LLVMFuzzerMutate(data, size, maxSize);
}
