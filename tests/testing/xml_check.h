// A small XML well-formedness checker for tests (no XML library in our dependency set):
// prolog, one root element, balanced and properly nested tags, quoted attributes, and
// only the five predefined entities or numeric character references.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace flashrig::hil::testing {

// The checker's state: the text and the offset it has reached.
class XmlWellFormedness {
 public:
  explicit XmlWellFormedness(std::string_view x) : x_(x) {}

  // "" if well formed, else what is wrong and at which offset.
  std::string Check() {
    if (x_.substr(0, 5) != "<?xml") return "missing <?xml prolog";
    i_ = x_.find("?>");
    if (i_ == std::string_view::npos) return "unterminated prolog";
    i_ += 2;
    while (i_ < x_.size()) {
      std::string error = x_[i_] != '<'                ? Text()
                          : x_.substr(i_, 4) == "<!--" ? Comment()
                          : x_.substr(i_, 2) == "</"   ? ClosingTag()
                                                       : OpeningTag();
      if (!error.empty()) return error;
    }
    if (!stack_.empty()) return "unclosed <" + stack_.back() + ">";
    if (!root_done_) return "no root element";
    return "";
  }

 private:
  std::string Fail(const std::string& what) const {
    return what + " at offset " + std::to_string(i_);
  }
  static bool IsName(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':';
  }
  bool EntityOk(size_t at) const {
    for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (x_.substr(at, e.size()) == e) return true;
    }
    if (x_.substr(at, 2) == "&#") {
      size_t j = at + 2;
      while (j < x_.size() && std::isalnum(static_cast<unsigned char>(x_[j]))) ++j;
      return j < x_.size() && x_[j] == ';' && j > at + 2;
    }
    return false;
  }
  std::string Text() {
    const char c = x_[i_];
    if (c == '&' && !EntityOk(i_)) return Fail("bad entity");
    if (c == '>') return Fail("raw '>' in text");
    if (stack_.empty() && !std::isspace(static_cast<unsigned char>(c)))
      return Fail("text outside the root");
    ++i_;
    return "";
  }
  std::string Comment() {
    const size_t end = x_.find("-->", i_);
    if (end == std::string_view::npos) return Fail("unterminated comment");
    i_ = end + 3;
    return "";
  }
  std::string ClosingTag() {
    size_t j = i_ + 2;
    while (j < x_.size() && IsName(x_[j])) ++j;
    const std::string name(x_.substr(i_ + 2, j - i_ - 2));
    if (stack_.empty() || stack_.back() != name) return Fail("mismatched </" + name + ">");
    if (j >= x_.size() || x_[j] != '>') return Fail("bad closing tag");
    stack_.pop_back();
    if (stack_.empty()) root_done_ = true;
    i_ = j + 1;
    return "";
  }
  // Attributes: name="value" separated by whitespace; stops at '>' or "/>".
  std::string Attributes(size_t& j) const {
    while (true) {
      while (j < x_.size() && std::isspace(static_cast<unsigned char>(x_[j]))) ++j;
      if (j >= x_.size()) return Fail("unterminated tag");
      if (x_[j] == '>' || x_.substr(j, 2) == "/>") return "";
      const size_t a = j;
      while (j < x_.size() && IsName(x_[j])) ++j;
      if (j == a || j + 1 >= x_.size() || x_[j] != '=' || x_[j + 1] != '"')
        return Fail("bad attribute");
      j += 2;
      while (j < x_.size() && x_[j] != '"') {
        if (x_[j] == '<') return Fail("'<' in attribute");
        if (x_[j] == '&' && !EntityOk(j)) return Fail("bad entity in attribute");
        ++j;
      }
      if (j >= x_.size()) return Fail("unterminated attribute");
      ++j;
    }
  }
  std::string OpeningTag() {
    if (root_done_) return Fail("second root element");
    size_t j = i_ + 1;
    while (j < x_.size() && IsName(x_[j])) ++j;
    const std::string name(x_.substr(i_ + 1, j - i_ - 1));
    if (name.empty()) return Fail("empty tag name");
    if (std::string error = Attributes(j); !error.empty()) return error;
    if (x_[j] == '/') {
      if (stack_.empty()) root_done_ = true;
      i_ = j + 2;
    } else {
      stack_.push_back(name);
      i_ = j + 1;
    }
    return "";
  }

  std::string_view x_;
  size_t i_ = 0;
  std::vector<std::string> stack_;
  bool root_done_ = false;
};

inline std::string CheckWellFormedXml(std::string_view x) { return XmlWellFormedness(x).Check(); }

}  // namespace flashrig::hil::testing
