// TracingFlash: records every call (op, address, length, result) over any Flash,
// like littlefs's emubd trace. Tests compare logs; the CLI can print them.
#pragma once

#include <deque>
#include <string>

#include "flashrig/driver/flash/fault_rule.h"
#include "flashrig/driver/flash/flash_wrapper.h"

namespace flashrig::driver {

struct FlashTraceEntry {
  FlashOp op;
  uint32_t address;
  uint32_t length;
  Status result;

  friend bool operator==(const FlashTraceEntry&, const FlashTraceEntry&) = default;
};

// "program 0x1000+16 -> kOk"
std::string ToString(const FlashTraceEntry& entry);

class TracingFlash final : public FlashWrapper {
 public:
  // Keeps at most `capacity` entries (oldest dropped); 0 = unlimited.
  explicit TracingFlash(Flash& target, size_t capacity = 0)
      : FlashWrapper(target), capacity_(capacity) {}

  const std::deque<FlashTraceEntry>& entries() const { return entries_; }
  void Clear() { entries_.clear(); }

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override;
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;
  void Record(FlashOp op, uint32_t address, size_t length, Status result);

  size_t capacity_;
  std::deque<FlashTraceEntry> entries_;
};

}  // namespace flashrig::driver
