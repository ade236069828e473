// MpsseStream: builds one MPSSE command stream (GPIO writes, shifts, clocks) in a reused
// buffer and counts the reply bytes it will produce, so FtdiSpiBus sends a whole
// transaction in one USB write and reads the whole reply in one go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

class MpsseStream {
 public:
  // `high_speed`: the engine has the H-series opcodes (8Eh/8Fh clocks without data).
  explicit MpsseStream(bool high_speed) : high_speed_(high_speed) {}

  void Clear() {
    bytes_.clear();
    reply_bytes_ = 0;
  }
  std::span<const std::byte> bytes() const { return bytes_; }
  size_t reply_bytes() const { return reply_bytes_; }

  // One opcode with no arguments (clock setup, loopback, send immediate, sync).
  void Op(uint8_t opcode);
  void SetLowByte(uint8_t value, uint8_t direction);
  void SetHighByte(uint8_t value, uint8_t direction);
  void SetDivisor(uint16_t divisor);
  // Shifts `data` out, mode 0, split at the 64 KiB command limit.
  void Write(std::span<const std::byte> data);
  // Shifts `n` bytes in, mode 0, split at the 64 KiB command limit.
  void Read(size_t n);
  // `clocks` SCK cycles with no data. kInvalidArgument on a full-speed engine when
  // clocks is not a multiple of 8 (it can only shift whole 0xFF bytes there).
  Status DummyClocks(uint32_t clocks);

 private:
  void Put(uint8_t b) { bytes_.push_back(std::byte{b}); }
  void PutLength(size_t n);  // N-1 as LL HH.

  bool high_speed_;
  std::vector<std::byte> bytes_;
  size_t reply_bytes_ = 0;
};

}  // namespace flashrig::driver
