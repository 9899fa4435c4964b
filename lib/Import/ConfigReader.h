//===- ConfigReader.h - Typed, diagnosed access to config.json --*- C++ -*-===//
//
// Private to HymirImport. Reads the fields of a config.json object with the
// types Hugging Face gives them; the first problem (a missing required field,
// a value of the wrong type, a value out of range) is recorded as
//   <file>: field '<name>': <what is wrong>
// and every later read returns its default, so a family reads all its fields
// and checks `failed()` once.
//
//===----------------------------------------------------------------------===//

#ifndef HYMIR_LIB_IMPORT_CONFIGREADER_H
#define HYMIR_LIB_IMPORT_CONFIGREADER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hymir {
namespace import {

class ConfigReader {
public:
  ConfigReader(const llvm::json::Object &object, llvm::StringRef fileName)
      : object(object), fileName(fileName.str()) {}

  bool failed() const { return !message.empty(); }
  const std::string &getMessage() const { return message; }

  /// Records `<file>: field '<field>': <what>` unless an error is recorded.
  void fail(llvm::StringRef field, const llvm::Twine &what);
  /// Records `<file>: <what>` unless an error is recorded.
  void failDocument(const llvm::Twine &what);

  bool has(llvm::StringRef field) const;
  /// Present and not null.
  bool hasValue(llvm::StringRef field) const;
  /// Present and a string.
  bool isString(llvm::StringRef field) const;
  /// Present and an array.
  bool isArray(llvm::StringRef field) const;

  /// A required positive integer.
  int64_t getPositive(llvm::StringRef field);
  /// An optional integer ≥ `min` (default when absent or null).
  int64_t getInt(llvm::StringRef field, int64_t defaultValue, int64_t min = 0);
  /// A required number (an integer is accepted).
  double getNumber(llvm::StringRef field);
  /// An optional number (default when absent or null).
  double getNumber(llvm::StringRef field, double defaultValue);
  bool getBool(llvm::StringRef field, bool defaultValue);
  std::string getString(llvm::StringRef field);
  std::string getString(llvm::StringRef field, llvm::StringRef defaultValue);
  /// An optional list of strings (nullopt when absent or null).
  std::optional<std::vector<std::string>> getStringList(llvm::StringRef field);
  /// An optional list of integers (empty when absent or null).
  std::vector<int64_t> getIntList(llvm::StringRef field);
  /// An optional list of numbers (nullopt when absent or null).
  std::optional<std::vector<double>> getNumberList(llvm::StringRef field);
  /// An optional nested object (null when absent or null).
  const llvm::json::Object *getObject(llvm::StringRef field);

  /// Requires `field`, when present and not null, to be `expected` (a field
  /// whose other values the importer does not implement).
  void requireBool(llvm::StringRef field, bool expected, llvm::StringRef why);
  void requireString(llvm::StringRef field, llvm::StringRef expected);
  /// Requires `field` to be absent or null.
  void requireNull(llvm::StringRef field, llvm::StringRef why);

private:
  const llvm::json::Value *lookup(llvm::StringRef field);
  static std::string describe(const llvm::json::Value &value);

  const llvm::json::Object &object;
  std::string fileName;
  std::string message;
};

} // namespace import
} // namespace hymir

#endif // HYMIR_LIB_IMPORT_CONFIGREADER_H
