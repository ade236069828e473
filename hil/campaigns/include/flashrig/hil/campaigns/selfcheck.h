// The RAM-flash self-check: a quick end-to-end proof that the Flash seam and the NOR
// model behave (program/erase semantics, counters, power cuts, tears) on this machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flashrig::hil {

struct SelfcheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // What was measured, or what went wrong.
};

// Runs every check; never throws. `seed` drives the random patterns and tears.
std::vector<SelfcheckResult> RunRamFlashSelfcheck(uint64_t seed);

}  // namespace flashrig::hil
