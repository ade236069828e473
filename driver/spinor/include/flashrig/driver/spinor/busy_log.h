// BusyLog: the busy time of each program/erase/status write the SPI NOR driver waited
// for (measured by WIP polling), kept for the harness's timing reports.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

enum class BusyKind : uint8_t { kProgram, kErase, kChipErase, kWriteStatus, kCount };

const char* BusyKindName(BusyKind kind);

struct BusyRecord {
  BusyKind kind = BusyKind::kProgram;
  uint32_t address = 0;
  uint32_t size_bytes = 0;
  // From the end of the command to the first status read showing WIP clear. Resolution
  // is the poll interval (SpiNorOptions::polls_per_typical).
  Clock::Duration busy{0};
  uint32_t polls = 0;        // Status reads, including the final one.
  Status result = Status();  // kOk, or kDeadlineExceeded / kUnavailable.
};

struct BusyStats {
  uint64_t count = 0;
  Clock::Duration total{0};
  Clock::Duration min{0};
  Clock::Duration max{0};
};

class BusyLog {
 public:
  // Keeps the newest `capacity` records (0 = none); statistics cover every record.
  explicit BusyLog(size_t capacity = 4096) : capacity_(capacity) {}

  void Add(const BusyRecord& record);
  const std::deque<BusyRecord>& records() const { return records_; }
  const BusyStats& stats(BusyKind kind) const { return stats_[static_cast<size_t>(kind)]; }
  void Clear();

 private:
  size_t capacity_;
  std::deque<BusyRecord> records_;
  std::array<BusyStats, static_cast<size_t>(BusyKind::kCount)> stats_{};
};

}  // namespace flashrig::driver
