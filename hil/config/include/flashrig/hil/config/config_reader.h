// Typed, error-collecting access to the JSON of a config file. Every getter records a
// ConfigError (file, JSON pointer, expectation, what was found) and carries on, so the
// loaders report every problem in one pass. Unknown keys are errors too (typo guard).
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashrig/hil/config/config_error.h"

namespace flashrig::hil {

// Deepest nesting of arrays/objects a config may have; deeper input is rejected before it
// can exhaust the stack of anything that walks the document recursively.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses JSON text and never throws. Every failure is one ConfigError for `file` at the
// JSON pointer of the value being read: a syntax error (with line and column), a number
// that overflows a double (1e400), invalid UTF-8 in a string, nesting deeper than
// kMaxJsonDepth. Integers too large for 64 bits parse as doubles (the getters reject them).
std::optional<nlohmann::json> ParseJsonText(const std::string& file, const std::string& text,
                                            ConfigErrors* errors);

// `value` as an unsigned integer <= max, for files flashrig wrote itself and reads back
// (checkpoints, chip states), where a hand-edited number must not convert silently or
// with undefined behaviour (nlohmann's get<uint32_t>() of 1e30 or -1). Integral doubles
// (1e6) are fine. Throws std::out_of_range naming what it got otherwise.
uint64_t JsonUint(const nlohmann::json& value, uint64_t max = std::numeric_limits<uint64_t>::max());

// Escapes one RFC 6901 pointer segment ("a/b" -> "a~1b").
std::string JsonPointerSegment(std::string_view key);
// Short rendering of a JSON value for "got ..." messages ("ten" -> "\"ten\"", cut at 40).
std::string DescribeJson(const nlohmann::json& value);

// One file's error sink. Not thread-safe.
class ConfigReader {
 public:
  // `errors` must outlive the reader. `accepted_keys`, if given, collects the pointer
  // pattern of every key the loader asked for ("/rigs/*/partition/offset_bytes"); the
  // schema test uses it to prove the JSON Schemas mention every key the loader accepts.
  ConfigReader(std::string file, ConfigErrors* errors,
               std::set<std::string>* accepted_keys = nullptr)
      : file_(std::move(file)), errors_(errors), accepted_keys_(accepted_keys) {}

  const std::string& file() const { return file_; }
  void Error(std::string pointer, std::string message);
  void NoteAcceptedKey(const std::string& pointer);
  size_t error_count() const { return errors_->size(); }

 private:
  std::string file_;
  ConfigErrors* errors_;
  std::set<std::string>* accepted_keys_;
};

struct UintRule {
  uint64_t min = 0;
  uint64_t max = std::numeric_limits<uint64_t>::max();
  bool required = false;
};

// Reads the members of one JSON object. If the value is not an object, one error is
// recorded and every getter returns false.
class ObjectReader {
 public:
  ObjectReader(ConfigReader& reader, const nlohmann::json& value, std::string pointer);

  bool valid() const { return valid_; }
  const std::string& pointer() const { return pointer_; }
  std::string PointerOf(std::string_view key) const;
  ConfigReader& reader() { return reader_; }

  // True if `key` is present. Marks the key as known.
  bool Has(std::string_view key);
  // The member, or nullptr if absent (an error if `required`). Marks the key as known.
  const nlohmann::json* Child(std::string_view key, bool required = false);

  // Getters: absent -> *out keeps its default and they return false (an error only if
  // required); present but wrong -> an error naming the expectation, false.
  bool Uint(std::string_view key, uint64_t* out, UintRule rule = {});
  bool Uint32(std::string_view key, uint32_t* out, UintRule rule = {});
  bool Number(std::string_view key, double* out, double min, double max, bool required = false);
  bool Bool(std::string_view key, bool* out, bool required = false);
  bool String(std::string_view key, std::string* out, bool required = false, bool non_empty = true);

  // A string from a fixed set of names; the error lists the accepted names.
  template <typename E>
  bool Enum(std::string_view key, E* out, const std::vector<std::pair<std::string, E>>& names,
            bool required = false) {
    std::string text;
    if (!String(key, &text, required)) return false;
    for (const auto& [name, value] : names) {
      if (name == text) {
        *out = value;
        return true;
      }
    }
    reader_.Error(PointerOf(key), "expected one of " + NameList(names) + ", got \"" + text + "\"");
    return false;
  }

  // Records an "unknown key" error for every member no getter asked for.
  void Finish();

  template <typename E>
  static std::string NameList(const std::vector<std::pair<std::string, E>>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
      out += (i == 0 ? "\"" : ", \"") + names[i].first + "\"";
    }
    return out;
  }

 private:
  ConfigReader& reader_;
  const nlohmann::json& value_;
  std::string pointer_;
  bool valid_ = false;
  std::set<std::string, std::less<>> known_;
};

}  // namespace flashrig::hil
