// Formatting of config errors for terminals and logs.
#include "flashrig/hil/config/config_error.h"

namespace flashrig::hil {

std::string ConfigError::ToString() const {
  return file + ": " + (json_pointer.empty() ? std::string("/") : json_pointer) + ": " + message;
}

std::string FormatConfigErrors(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace flashrig::hil
