// SeededRandom: a tiny deterministic generator (SplitMix64) for fault models, tears and
// workloads. Same seed, same sequence, on every compiler and standard library.
#pragma once

#include <cstdint>

namespace flashrig {

class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound); bound == 0 returns 0. (Modulo bias is irrelevant here.)
  uint64_t Below(uint64_t bound) { return bound == 0 ? 0 : Next() % bound; }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  uint8_t Byte() { return static_cast<uint8_t>(Next()); }
  bool Chance(uint32_t numerator, uint32_t denominator) {
    return Below(denominator) < numerator;
  }

 private:
  uint64_t state_;
};

}  // namespace flashrig
