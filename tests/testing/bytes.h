// Small helpers for building and comparing byte buffers in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "flashrig/driver/flash/random.h"

namespace flashrig::testing {

inline std::vector<std::byte> Bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

inline std::vector<std::byte> Filled(size_t n, uint8_t value) {
  return std::vector<std::byte>(n, static_cast<std::byte>(value));
}

inline std::vector<std::byte> RandomBytes(size_t n, SeededRandom& rng) {
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng.Byte());
  return out;
}

inline std::vector<std::byte> FromString(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

}  // namespace flashrig::testing
