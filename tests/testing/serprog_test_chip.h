// Test-only doubles for the serprog tests: a tiny SPI NOR chip seen from its pins (RDID,
// READ, RDSR, WREN, PP with in-page wrap, SE) that records every CS# frame, and an SpiBus
// wrapper that fails on demand. Small on purpose; the full simulator is tested elsewhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "flashrig/driver/spinor/spi_bus.h"
#include "flashrig/driver/spinor/spi_device.h"

namespace flashrig::testing {

class SerprogTestChip final : public driver::SpiDevice {
 public:
  static constexpr uint32_t kSizeBytes = 64 * 1024;
  static constexpr uint32_t kPageBytes = 256;
  static constexpr uint32_t kSectorBytes = 4096;
  static constexpr uint8_t kJedec[3] = {0xEF, 0x40, 0x15};

  SerprogTestChip() : memory_(kSizeBytes, std::byte{0xFF}) {}

  void Select() override {
    selected_ = true;
    frame_.clear();
  }
  void Deselect() override {
    if (!selected_) return;
    selected_ = false;
    frames_.push_back(frame_);
    Finish();
  }
  void Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) override {
    for (size_t i = 0; i < mosi.size(); ++i) {
      const std::byte out = Clock(mosi[i]);
      if (!miso.empty()) miso[i] = out;
    }
  }
  void DummyClocks(uint32_t cycles) override { dummy_clocks_ += cycles; }
  Status SetControlLine(driver::SpiControlLine, bool) override { return Status::Unimplemented(); }

  // Every CS# frame's MOSI bytes, in order.
  const std::vector<std::vector<std::byte>>& frames() const { return frames_; }
  std::vector<std::byte>& memory() { return memory_; }
  uint64_t dummy_clocks() const { return dummy_clocks_; }

 private:
  uint8_t Opcode() const { return static_cast<uint8_t>(frame_[0]); }
  uint32_t Address() const {
    return (static_cast<uint32_t>(frame_[1]) << 16 | static_cast<uint32_t>(frame_[2]) << 8 |
            static_cast<uint32_t>(frame_[3])) %
           kSizeBytes;
  }

  // One byte in, one byte out, inside the current frame.
  std::byte Clock(std::byte in) {
    frame_.push_back(in);
    const size_t index = frame_.size() - 1;
    if (index == 0) return std::byte{0xFF};
    switch (Opcode()) {
      case 0x9F:
        return index <= 3 ? std::byte{kJedec[index - 1]} : std::byte{0xFF};
      case 0x05:
        return std::byte{static_cast<uint8_t>(write_enabled_ ? 0x02 : 0x00)};
      case 0x03:
        if (index < 4) return std::byte{0xFF};
        return memory_[(Address() + (index - 4)) % kSizeBytes];
      default:
        return std::byte{0xFF};
    }
  }

  // CS# rose: commands that act on completion.
  void Finish() {
    if (frame_.empty()) return;
    switch (Opcode()) {
      case 0x06:
        write_enabled_ = frame_.size() == 1;
        break;
      case 0x04:
        write_enabled_ = false;
        break;
      case 0x02:
        if (write_enabled_ && frame_.size() > 4) {
          const uint32_t page = Address() & ~(kPageBytes - 1);
          uint32_t offset = Address() & (kPageBytes - 1);
          for (size_t i = 4; i < frame_.size(); ++i) {
            memory_[page + offset] &= frame_[i];
            offset = (offset + 1) % kPageBytes;  // In-page wrap, as on real parts.
          }
        }
        write_enabled_ = false;
        break;
      case 0x20:
        if (write_enabled_ && frame_.size() == 4) {
          const uint32_t base = Address() & ~(kSectorBytes - 1);
          std::fill_n(memory_.begin() + base, kSectorBytes, std::byte{0xFF});
        }
        write_enabled_ = false;
        break;
      default:
        break;
    }
  }

  std::vector<std::byte> memory_;
  std::vector<std::byte> frame_;
  std::vector<std::vector<std::byte>> frames_;
  bool selected_ = false;
  bool write_enabled_ = false;
  uint64_t dummy_clocks_ = 0;
};

// Forwards to another bus, or fails with `fail_with` for the next `fail_count` transfers.
class FailableSpiBus final : public driver::SpiBus {
 public:
  explicit FailableSpiBus(driver::SpiBus& inner) : inner_(inner) {}
  void FailNext(Status status, int count) {
    fail_with_ = status;
    fail_count_ = count;
  }
  uint32_t clock_hz() const override { return clock_hz_; }
  void set_clock_hz(uint32_t hz) { clock_hz_ = hz; }

 private:
  Status DoTransfer(std::span<const driver::SpiSegment> segments) override {
    if (fail_count_ > 0) {
      --fail_count_;
      return fail_with_;
    }
    return inner_.Transfer(segments);
  }

  driver::SpiBus& inner_;
  Status fail_with_ = Status::Unavailable();
  int fail_count_ = 0;
  uint32_t clock_hz_ = 0;
};

}  // namespace flashrig::testing
