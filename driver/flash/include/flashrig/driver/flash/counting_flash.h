// CountingFlash: counts operations, bytes and per-sector erases over any Flash
// (e.g. a real chip, whose own backend keeps no counters).
#pragma once

#include <algorithm>
#include <vector>

#include "flashrig/driver/flash/flash_counters.h"
#include "flashrig/driver/flash/flash_wrapper.h"

namespace flashrig::driver {

class CountingFlash final : public FlashWrapper {
 public:
  explicit CountingFlash(Flash& target)
      : FlashWrapper(target), erase_counts_(target.geometry().sector_count(), 0) {}

  const FlashCounters& counters() const { return counters_; }
  uint64_t erase_count(uint32_t sector_index) const { return erase_counts_.at(sector_index); }
  void Reset() {
    counters_ = {};
    std::fill(erase_counts_.begin(), erase_counts_.end(), 0);
  }

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override;
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;

  FlashCounters counters_;
  std::vector<uint64_t> erase_counts_;
};

}  // namespace flashrig::driver
