// ConfigError: one problem in a config file, located by file and JSON pointer, plus the
// collector the loaders fill so a user sees every problem at once, not just the first.
#pragma once

#include <string>
#include <vector>

namespace flashrig::hil {

struct ConfigError {
  std::string file;          // The path as the user gave it ("configs/campaigns/x.json").
  std::string json_pointer;  // RFC 6901 pointer to the offending value; "" = whole file.
  std::string message;       // What was expected and what was found.

  // "file: /pointer: message" (the pointer part is "/" for the whole document).
  std::string ToString() const;
};

using ConfigErrors = std::vector<ConfigError>;

// One error per line, in the order found.
std::string FormatConfigErrors(const ConfigErrors& errors);

}  // namespace flashrig::hil
