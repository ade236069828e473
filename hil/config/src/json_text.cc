// JSON text -> nlohmann::json without exceptions escaping: a SAX handler builds the
// document and keeps the JSON pointer of the value being read, so a number too large for
// a double (1e400), invalid UTF-8 in a string, nesting deeper than kMaxJsonDepth or a
// syntax error becomes one ConfigError naming the file, that pointer, line and column.
#include <string>
#include <utility>
#include <vector>

#include "flashrig/hil/config/config_reader.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

// Line and column (1-based) of byte offset `pos` in `text`.
std::pair<size_t, size_t> LineColumn(const std::string& text, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 7, column 3:
// syntax error ..." or "[json.exception.out_of_range.406] number overflow parsing '1e400'":
// keep the explanation. Bytes >= 0x80 (the token may hold invalid UTF-8) become \xNN, so
// the message is safe to print and to put into JSON.
std::string Explanation(const std::string& what) {
  size_t start = what.find("] ");
  start = start == std::string::npos ? 0 : start + 2;
  if (const size_t colon = what.find(": ", start); colon != std::string::npos) start = colon + 2;
  std::string out;
  for (size_t i = start; i < what.size(); ++i) {
    const auto c = static_cast<unsigned char>(what[i]);
    if (c < 0x80) {
      out += what[i];
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
    }
  }
  return out;
}

// Builds the DOM like nlohmann's own parser and tracks where it is.
class PointerTrackingSax final : public json::json_sax_t {
 public:
  explicit PointerTrackingSax(json* root) : root_(root) {}

  bool null() override { return Put(json(nullptr)); }
  bool boolean(bool v) override { return Put(json(v)); }
  bool number_integer(number_integer_t v) override { return Put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(json(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) override { return Put(json(v)); }
  bool string(string_t& v) override { return Put(json(std::move(v))); }
  bool binary(binary_t& v) override { return Put(json::binary(std::move(v))); }
  bool start_object(std::size_t /*elements*/) override { return Open(json::object(), true); }
  bool key(string_t& k) override {
    Level& level = levels_.back();
    level.key = k;
    level.in_value = true;
    member_ = &(*containers_.back())[k];
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t /*elements*/) override { return Open(json::array(), false); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const json::exception& ex) override {
    error_position_ = position;
    error_ = Explanation(ex.what());
    return false;
  }

  // The pointer of the value being read: inside an object only while a member's value is
  // being read (a syntax error between members points at the object), inside an array the
  // element about to be read.
  std::string Pointer() const {
    // Appended piece by piece: "/" + std::string trips GCC 12's false -Wrestrict at -O3.
    std::string out;
    for (const Level& level : levels_) {
      if (!level.is_object) {
        out += '/';
        out += std::to_string(level.index);
      } else if (level.in_value) {
        out += '/';
        out += JsonPointerSegment(level.key);
      }
    }
    return out;
  }
  bool too_deep() const { return too_deep_; }
  size_t error_position() const { return error_position_; }
  const std::string& error() const { return error_; }

 private:
  struct Level {
    bool is_object = false;
    bool in_value = false;  // Objects: a key was read, its value not finished yet.
    size_t index = 0;       // Arrays: elements finished so far.
    std::string key{};
  };

  // Stores a finished value where the parser is; returns where it went.
  json* Store(json value) {
    json* slot = nullptr;
    if (containers_.empty()) {
      *root_ = std::move(value);
      slot = root_;
    } else if (!levels_.back().is_object) {
      containers_.back()->push_back(std::move(value));
      slot = &containers_.back()->back();
    } else {
      *member_ = std::move(value);
      slot = member_;
    }
    return slot;
  }
  // A scalar finished: the enclosing level moves past it.
  bool Put(json value) {
    Store(std::move(value));
    Finished();
    return true;
  }
  void Finished() {
    if (levels_.empty()) return;
    Level& level = levels_.back();
    if (level.is_object) {
      level.in_value = false;
    } else {
      ++level.index;
    }
  }
  bool Open(json container, bool is_object) {
    if (levels_.size() >= kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    containers_.push_back(Store(std::move(container)));
    levels_.push_back({.is_object = is_object, .in_value = false, .index = 0, .key = {}});
    return true;
  }
  bool Close() {
    containers_.pop_back();
    levels_.pop_back();
    Finished();
    return true;
  }

  json* root_;
  std::vector<json*> containers_;
  std::vector<Level> levels_;
  json* member_ = nullptr;
  bool too_deep_ = false;
  size_t error_position_ = 0;
  std::string error_;
};

}  // namespace

std::optional<nlohmann::json> ParseJsonText(const std::string& file, const std::string& text,
                                            ConfigErrors* errors) {
  json doc;
  PointerTrackingSax sax(&doc);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &sax);
  } catch (const std::exception& e) {  // Only std::bad_alloc is left to throw here.
    errors->push_back({file, sax.Pointer(), std::string("cannot parse the JSON: ") + e.what()});
    return std::nullopt;
  }
  if (ok) return doc;
  if (sax.too_deep()) {
    errors->push_back({file, sax.Pointer(),
                       "nested deeper than " + std::to_string(kMaxJsonDepth) +
                           " arrays/objects (no flashrig file needs more than a few)"});
    return std::nullopt;
  }
  const size_t pos = sax.error_position();
  const auto [line, col] = LineColumn(text, pos == 0 ? 0 : pos - 1);
  errors->push_back({file, sax.Pointer(),
                     "invalid JSON at line " + std::to_string(line) + ", column " +
                         std::to_string(col) + ": " + sax.error()});
  return std::nullopt;
}

}  // namespace flashrig::hil
