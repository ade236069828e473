// Seeds for random tests: taken from FLASHRIG_SEED when set (to replay a failure), else a
// fixed default so CI is deterministic. Every random test prints the seed it used.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace flashrig::testing {

inline uint64_t TestSeed(uint64_t default_seed) {
  if (const char* env = std::getenv("FLASHRIG_SEED"); env != nullptr && *env != '\0') {
    return std::strtoull(env, nullptr, 0);
  }
  return default_seed;
}

inline std::string SeedTrace(uint64_t seed) {
  return "seed " + std::to_string(seed) + " (replay with FLASHRIG_SEED=" +
         std::to_string(seed) + ")";
}

}  // namespace flashrig::testing

// Declares `name` from the environment or `default_seed` and attaches it to every failure.
#define FLASHRIG_SEEDED(name, default_seed)                      \
  const uint64_t name = ::flashrig::testing::TestSeed(default_seed); \
  SCOPED_TRACE(::flashrig::testing::SeedTrace(name))
