// Error-collecting JSON getters used by the campaign and rig loaders.
#include "flashrig/hil/config/config_reader.h"

#include <cmath>
#include <stdexcept>

namespace flashrig::hil {
namespace {

// 2^64, exactly representable: every integral double below it fits a uint64_t.
constexpr double kTwoTo64 = 18446744073709551616.0;

// "/rigs/0/name" -> "/rigs/*/name": the shape of a pointer, independent of array indices.
std::string PointerPattern(const std::string& pointer) {
  std::string out;
  size_t i = 0;
  while (i < pointer.size()) {
    const size_t next = pointer.find('/', i + 1);
    const std::string seg =
        pointer.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
    const bool digits = !seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos;
    out += "/" + (digits ? std::string("*") : seg);
    if (next == std::string::npos) break;
    i = next;
  }
  return out;
}

std::string UintExpectation(const UintRule& rule) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (rule.max == kMax) {
    if (rule.min == 0) return "a non-negative integer";
    if (rule.min == 1) return "a positive integer";
    return "an integer >= " + std::to_string(rule.min);
  }
  return "an integer in [" + std::to_string(rule.min) + ", " + std::to_string(rule.max) + "]";
}

}  // namespace

uint64_t JsonUint(const nlohmann::json& value, uint64_t max) {
  uint64_t n = 0;
  bool ok = false;
  if (value.is_number_unsigned()) {
    n = value.get<uint64_t>();
    ok = true;
  } else if (value.is_number_integer()) {
    ok = value.get<int64_t>() >= 0;
    n = ok ? static_cast<uint64_t>(value.get<int64_t>()) : 0;
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    ok = d >= 0 && d < kTwoTo64 && std::floor(d) == d;
    n = ok ? static_cast<uint64_t>(d) : 0;
  }
  if (!ok || n > max) {
    throw std::out_of_range("expected an integer in [0, " + std::to_string(max) + "], got " +
                            DescribeJson(value));
  }
  return n;
}

std::string JsonPointerSegment(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string DescribeJson(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

void ConfigReader::Error(std::string pointer, std::string message) {
  errors_->push_back({file_, std::move(pointer), std::move(message)});
}

void ConfigReader::NoteAcceptedKey(const std::string& pointer) {
  if (accepted_keys_ != nullptr) accepted_keys_->insert(PointerPattern(pointer));
}

ObjectReader::ObjectReader(ConfigReader& reader, const nlohmann::json& value, std::string pointer)
    : reader_(reader), value_(value), pointer_(std::move(pointer)) {
  valid_ = value_.is_object();
  if (!valid_) reader_.Error(pointer_, "expected an object, got " + DescribeJson(value_));
}

std::string ObjectReader::PointerOf(std::string_view key) const {
  return pointer_ + "/" + JsonPointerSegment(key);
}

bool ObjectReader::Has(std::string_view key) {
  known_.emplace(key);
  reader_.NoteAcceptedKey(PointerOf(key));
  return valid_ && value_.contains(key);
}

const nlohmann::json* ObjectReader::Child(std::string_view key, bool required) {
  if (!Has(key)) {
    if (required && valid_) reader_.Error(PointerOf(key), "required key is missing");
    return nullptr;
  }
  return &value_.find(key).value();
}

bool ObjectReader::Uint(std::string_view key, uint64_t* out, UintRule rule) {
  const nlohmann::json* v = Child(key, rule.required);
  if (v == nullptr) return false;
  bool ok = false;
  uint64_t n = 0;
  if (v->is_number_unsigned()) {
    n = v->get<uint64_t>();
    ok = true;
  } else if (v->is_number_integer()) {
    // Parsed JSON stores non-negative integers as unsigned; values built in code may not.
    const int64_t i = v->get<int64_t>();
    ok = i >= 0;
    n = ok ? static_cast<uint64_t>(i) : 0;
  } else if (v->is_number_float()) {
    // 1e6 is a fine way to write a million; 1.5 is not an integer.
    const double d = v->get<double>();
    if (d >= 0 && d < kTwoTo64 && std::floor(d) == d) {
      n = static_cast<uint64_t>(d);
      ok = true;
    }
  }
  if (!ok || n < rule.min || n > rule.max) {
    // A 32-bit field's limit is noise unless the value actually exceeded it.
    UintRule shown = rule;
    if (rule.max == std::numeric_limits<uint32_t>::max() && !(ok && n > rule.max)) {
      shown.max = std::numeric_limits<uint64_t>::max();
    }
    reader_.Error(PointerOf(key),
                  "expected " + UintExpectation(shown) + ", got " + DescribeJson(*v));
    return false;
  }
  *out = n;
  return true;
}

bool ObjectReader::Uint32(std::string_view key, uint32_t* out, UintRule rule) {
  rule.max = std::min<uint64_t>(rule.max, std::numeric_limits<uint32_t>::max());
  uint64_t n = *out;
  if (!Uint(key, &n, rule)) return false;
  *out = static_cast<uint32_t>(n);
  return true;
}

bool ObjectReader::Number(std::string_view key, double* out, double min, double max,
                          bool required) {
  const nlohmann::json* v = Child(key, required);
  if (v == nullptr) return false;
  if (!v->is_number() || v->get<double>() < min || v->get<double>() > max) {
    reader_.Error(PointerOf(key), "expected a number in [" + DescribeJson(min) + ", " +
                                      DescribeJson(max) + "], got " + DescribeJson(*v));
    return false;
  }
  *out = v->get<double>();
  return true;
}

bool ObjectReader::Bool(std::string_view key, bool* out, bool required) {
  const nlohmann::json* v = Child(key, required);
  if (v == nullptr) return false;
  if (!v->is_boolean()) {
    reader_.Error(PointerOf(key), "expected true or false, got " + DescribeJson(*v));
    return false;
  }
  *out = v->get<bool>();
  return true;
}

bool ObjectReader::String(std::string_view key, std::string* out, bool required, bool non_empty) {
  const nlohmann::json* v = Child(key, required);
  if (v == nullptr) return false;
  if (!v->is_string() || (non_empty && v->get_ref<const std::string&>().empty())) {
    reader_.Error(PointerOf(key), std::string("expected a ") + (non_empty ? "non-empty " : "") +
                                      "string, got " + DescribeJson(*v));
    return false;
  }
  *out = v->get<std::string>();
  return true;
}

void ObjectReader::Finish() {
  if (!valid_) return;
  for (const auto& [key, unused] : value_.items()) {
    // "$schema" (editor support) and "$comment" are allowed on the document root only,
    // as the JSON Schemas say.
    if (pointer_.empty() && (key == "$schema" || key == "$comment")) continue;
    if (known_.count(key) != 0) continue;
    std::string allowed;
    for (const auto& k : known_) allowed += (allowed.empty() ? "" : ", ") + k;
    reader_.Error(PointerOf(key), "unknown key (allowed here: " + allowed + ")");
  }
}

}  // namespace flashrig::hil
