// A small XML well-formedness checker for tests (no XML library in our dependency set):
// prolog, one root element, balanced and properly nested tags, quoted attributes, and
// only the five predefined entities or numeric character references.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace flashrig::hil::testing {

inline std::string CheckWellFormedXml(std::string_view x) {
  size_t i = 0;
  const auto fail = [&](const std::string& what) {
    return what + " at offset " + std::to_string(i);
  };
  const auto is_name = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':';
  };
  const auto entity_ok = [&](size_t at) {
    for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (x.substr(at, e.size()) == e) return true;
    }
    if (x.substr(at, 2) == "&#") {
      size_t j = at + 2;
      while (j < x.size() && std::isalnum(static_cast<unsigned char>(x[j]))) ++j;
      return j < x.size() && x[j] == ';' && j > at + 2;
    }
    return false;
  };
  if (x.substr(0, 5) != "<?xml") return "missing <?xml prolog";
  i = x.find("?>");
  if (i == std::string_view::npos) return "unterminated prolog";
  i += 2;
  std::vector<std::string> stack;
  bool root_done = false;
  while (i < x.size()) {
    const char c = x[i];
    if (c != '<') {
      if (c == '&' && !entity_ok(i)) return fail("bad entity");
      if (c == '>') return fail("raw '>' in text");
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(c)))
        return fail("text outside the root");
      ++i;
      continue;
    }
    if (x.substr(i, 4) == "<!--") {
      const size_t end = x.find("-->", i);
      if (end == std::string_view::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (x.substr(i, 2) == "</") {
      size_t j = i + 2;
      while (j < x.size() && is_name(x[j])) ++j;
      const std::string name(x.substr(i + 2, j - i - 2));
      if (stack.empty() || stack.back() != name) return fail("mismatched </" + name + ">");
      if (j >= x.size() || x[j] != '>') return fail("bad closing tag");
      stack.pop_back();
      if (stack.empty()) root_done = true;
      i = j + 1;
      continue;
    }
    if (root_done) return fail("second root element");
    size_t j = i + 1;
    while (j < x.size() && is_name(x[j])) ++j;
    const std::string name(x.substr(i + 1, j - i - 1));
    if (name.empty()) return fail("empty tag name");
    // Attributes: name="value" separated by whitespace.
    while (true) {
      while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      if (j >= x.size()) return fail("unterminated tag");
      if (x[j] == '>' || x.substr(j, 2) == "/>") break;
      const size_t a = j;
      while (j < x.size() && is_name(x[j])) ++j;
      if (j == a || j + 1 >= x.size() || x[j] != '=' || x[j + 1] != '"')
        return fail("bad attribute");
      j += 2;
      while (j < x.size() && x[j] != '"') {
        if (x[j] == '<') return fail("'<' in attribute");
        if (x[j] == '&' && !entity_ok(j)) return fail("bad entity in attribute");
        ++j;
      }
      if (j >= x.size()) return fail("unterminated attribute");
      ++j;
    }
    if (x[j] == '/') {
      if (stack.empty()) root_done = true;
      i = j + 2;
    } else {
      stack.push_back(name);
      i = j + 1;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_done) return "no root element";
  return "";
}

}  // namespace flashrig::hil::testing
