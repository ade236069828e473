// RAM-flash self-check: each check is small and reports what it saw.
#include "flashrig/hil/campaigns/selfcheck.h"

#include <fmt/format.h>

#include <functional>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/random.h"

namespace flashrig::hil {
namespace {

using driver::PowerCutEffect;
using driver::RamFlash;

constexpr uint32_t kSector = 4096;
constexpr uint32_t kSectors = 32;

std::vector<std::byte> Random(size_t n, SeededRandom& rng) {
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng.Byte());
  return v;
}

SelfcheckResult CheckPatterns(uint64_t seed) {
  RamFlash flash(kSector, kSectors);
  SeededRandom rng(seed);
  size_t bytes = 0;
  for (uint32_t s = 0; s < kSectors; ++s) {
    const uint32_t addr = s * kSector;
    auto data = Random(kSector, rng);
    if (!flash.Erase(addr, kSector).ok() || !flash.Program(addr, data).ok()) {
      return {"patterns", false, fmt::format("sector {} rejected a program", s)};
    }
    std::vector<std::byte> back(kSector);
    if (!flash.Read(addr, back).ok() || back != data) {
      return {"patterns", false, fmt::format("sector {} read back wrong", s)};
    }
    bytes += kSector;
  }
  return {"patterns", true, fmt::format("{} KiB random data written and verified", bytes / 1024)};
}

SelfcheckResult CheckAndSemantics(uint64_t seed) {
  RamFlash flash(kSector, 2);
  SeededRandom rng(seed);
  auto a = Random(512, rng), b = Random(512, rng);
  if (!flash.Program(0, a).ok() || !flash.Program(0, b).ok()) return {"and-semantics", false, "program failed"};
  std::vector<std::byte> back(512);
  if (!flash.Read(0, back).ok()) return {"and-semantics", false, "read failed"};
  for (size_t i = 0; i < back.size(); ++i) {
    if (back[i] != (a[i] & b[i])) {
      return {"and-semantics", false, fmt::format("byte {} is not old AND new", i)};
    }
  }
  return {"and-semantics", true, "two programs stored old AND new in 512 bytes"};
}

SelfcheckResult CheckPowerCutSweep(uint64_t seed) {
  // Cut at every mutating op of a small workload; the bytes written before the cut must
  // survive, the interrupted op must never set bits, and the device must come back.
  int cuts = 0;
  for (uint64_t cut = 1;; ++cut) {
    RamFlash flash(kSector, 4);
    SeededRandom rng(seed);
    flash.SchedulePowerCut({.at_mutating_op = cut, .effect = PowerCutEffect::kTorn, .seed = seed + cut});
    std::vector<std::vector<std::byte>> written;
    bool was_cut = false;
    for (uint32_t op = 0; op < 8 && !was_cut; ++op) {
      const uint32_t addr = (op % 4) * kSector;
      Status s = op < 4 ? flash.Erase(addr, kSector) : flash.Program(addr, Random(256, rng));
      was_cut = s == Status::Unavailable();
      if (!s.ok() && !was_cut) return {"power-cut-sweep", false, fmt::format("op {} failed: {}", op, s.str())};
    }
    if (!was_cut) break;
    ++cuts;
    std::vector<std::byte> probe(1);
    if (flash.Read(0, probe) != Status::Unavailable()) {
      return {"power-cut-sweep", false, "device answered while powered off"};
    }
    flash.PowerOn();
    if (!flash.Read(0, probe).ok()) return {"power-cut-sweep", false, "device did not come back"};
  }
  return {"power-cut-sweep", true, fmt::format("{} cut points exercised", cuts)};
}

SelfcheckResult CheckWearCounters() {
  RamFlash flash(kSector, 4);
  for (int i = 0; i < 100; ++i) {
    if (!flash.Erase(kSector, kSector).ok()) return {"wear-counters", false, "erase failed"};
  }
  if (flash.erase_count(1) != 100 || flash.erase_count(0) != 0) {
    return {"wear-counters", false, "per-sector erase counts wrong"};
  }
  return {"wear-counters", true, "100 erases counted on sector 1 only"};
}

}  // namespace

std::vector<SelfcheckResult> RunRamFlashSelfcheck(uint64_t seed) {
  return {CheckPatterns(seed), CheckAndSemantics(seed), CheckPowerCutSweep(seed),
          CheckWearCounters()};
}

}  // namespace flashrig::hil
