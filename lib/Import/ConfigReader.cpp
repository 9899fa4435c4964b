//===- ConfigReader.cpp - Typed, diagnosed access to config.json ----------===//

#include "ConfigReader.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

using namespace hymir::import;
using llvm::json::Value;

void ConfigReader::fail(llvm::StringRef field, const llvm::Twine &what) {
  if (failed())
    return;
  message = (fileName + ": field '" + field + "': " + what).str();
}

void ConfigReader::failDocument(const llvm::Twine &what) {
  if (failed())
    return;
  message = (fileName + ": " + what).str();
}

bool ConfigReader::has(llvm::StringRef field) const {
  return object.get(field) != nullptr;
}

bool ConfigReader::hasValue(llvm::StringRef field) const {
  const Value *v = object.get(field);
  return v && v->kind() != Value::Null;
}

bool ConfigReader::isString(llvm::StringRef field) const {
  const Value *v = object.get(field);
  return v && v->kind() == Value::String;
}

bool ConfigReader::isArray(llvm::StringRef field) const {
  const Value *v = object.get(field);
  return v && v->kind() == Value::Array;
}

std::string ConfigReader::describe(const Value &value) {
  switch (value.kind()) {
  case Value::Null:
    return "null";
  case Value::Boolean:
    return *value.getAsBoolean() ? "true" : "false";
  case Value::Number: {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << value;
    return "the number " + s;
  }
  case Value::String: {
    std::string s = value.getAsString()->str();
    if (s.size() > 40)
      s = s.substr(0, 40) + "...";
    return "the string \"" + s + "\"";
  }
  case Value::Array:
    return "an array";
  case Value::Object:
    return "an object";
  }
  return "a value";
}

const Value *ConfigReader::lookup(llvm::StringRef field) {
  const Value *v = object.get(field);
  if (!v || v->kind() == Value::Null)
    return nullptr;
  return v;
}

int64_t ConfigReader::getPositive(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v) {
    fail(field, "missing (a positive integer is required)");
    return 1;
  }
  std::optional<int64_t> i = v->getAsInteger();
  if (!i) {
    fail(field, "expected a positive integer, got " + describe(*v));
    return 1;
  }
  if (*i <= 0) {
    fail(field, "expected a positive integer, got " + llvm::Twine(*i));
    return 1;
  }
  return *i;
}

int64_t ConfigReader::getInt(llvm::StringRef field, int64_t defaultValue,
                             int64_t min) {
  const Value *v = lookup(field);
  if (!v)
    return defaultValue;
  std::optional<int64_t> i = v->getAsInteger();
  if (!i) {
    fail(field, "expected an integer, got " + describe(*v));
    return defaultValue;
  }
  if (*i < min) {
    fail(field, "expected an integer >= " + llvm::Twine(min) + ", got " +
                    llvm::Twine(*i));
    return defaultValue;
  }
  return *i;
}

double ConfigReader::getNumber(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v) {
    fail(field, "missing (a number is required)");
    return 1.0;
  }
  std::optional<double> d = v->getAsNumber();
  if (!d) {
    fail(field, "expected a number, got " + describe(*v));
    return 1.0;
  }
  return *d;
}

double ConfigReader::getNumber(llvm::StringRef field, double defaultValue) {
  if (!lookup(field))
    return defaultValue;
  return getNumber(field);
}

bool ConfigReader::getBool(llvm::StringRef field, bool defaultValue) {
  const Value *v = lookup(field);
  if (!v)
    return defaultValue;
  std::optional<bool> b = v->getAsBoolean();
  if (!b) {
    fail(field, "expected true or false, got " + describe(*v));
    return defaultValue;
  }
  return *b;
}

std::string ConfigReader::getString(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v) {
    fail(field, "missing (a string is required)");
    return "";
  }
  std::optional<llvm::StringRef> s = v->getAsString();
  if (!s) {
    fail(field, "expected a string, got " + describe(*v));
    return "";
  }
  return s->str();
}

std::string ConfigReader::getString(llvm::StringRef field,
                                    llvm::StringRef defaultValue) {
  if (!lookup(field))
    return defaultValue.str();
  return getString(field);
}

std::optional<std::vector<std::string>>
ConfigReader::getStringList(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v)
    return std::nullopt;
  const llvm::json::Array *a = v->getAsArray();
  if (!a) {
    fail(field, "expected an array of strings, got " + describe(*v));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (auto [i, e] : llvm::enumerate(*a)) {
    std::optional<llvm::StringRef> s = e.getAsString();
    if (!s) {
      fail(field, "element " + llvm::Twine(i) + ": expected a string, got " +
                      describe(e));
      return std::nullopt;
    }
    out.push_back(s->str());
  }
  return out;
}

std::vector<int64_t> ConfigReader::getIntList(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v)
    return {};
  const llvm::json::Array *a = v->getAsArray();
  if (!a) {
    fail(field, "expected an array of integers, got " + describe(*v));
    return {};
  }
  std::vector<int64_t> out;
  for (auto [i, e] : llvm::enumerate(*a)) {
    std::optional<int64_t> n = e.getAsInteger();
    if (!n) {
      fail(field, "element " + llvm::Twine(i) + ": expected an integer, got " +
                      describe(e));
      return {};
    }
    out.push_back(*n);
  }
  return out;
}

std::optional<std::vector<double>>
ConfigReader::getNumberList(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v)
    return std::nullopt;
  const llvm::json::Array *a = v->getAsArray();
  if (!a) {
    fail(field, "expected an array of numbers, got " + describe(*v));
    return std::nullopt;
  }
  std::vector<double> out;
  for (auto [i, e] : llvm::enumerate(*a)) {
    std::optional<double> n = e.getAsNumber();
    if (!n) {
      fail(field, "element " + llvm::Twine(i) + ": expected a number, got " +
                      describe(e));
      return std::nullopt;
    }
    out.push_back(*n);
  }
  return out;
}

const llvm::json::Object *ConfigReader::getObject(llvm::StringRef field) {
  const Value *v = lookup(field);
  if (!v)
    return nullptr;
  const llvm::json::Object *o = v->getAsObject();
  if (!o)
    fail(field, "expected an object, got " + describe(*v));
  return o;
}

void ConfigReader::requireBool(llvm::StringRef field, bool expected,
                               llvm::StringRef why) {
  const Value *v = lookup(field);
  if (!v)
    return;
  bool b = getBool(field, expected);
  if (!failed() && b != expected)
    fail(field, llvm::Twine(b ? "true" : "false") + " is not supported (" +
                    why + ")");
}

void ConfigReader::requireString(llvm::StringRef field,
                                 llvm::StringRef expected) {
  const Value *v = lookup(field);
  if (!v)
    return;
  std::string s = getString(field);
  if (!failed() && s != expected)
    fail(field, "'" + s + "' is not supported (only '" + expected + "')");
}

void ConfigReader::requireNull(llvm::StringRef field, llvm::StringRef why) {
  const Value *v = lookup(field);
  if (v)
    fail(field, describe(*v) + " is not supported (" + why + ")");
}
