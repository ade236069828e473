// What sits on the emulated board's channels: the simulated chip on channel A behind
// PolledChip, which runs the chip's virtual clock ahead to the end of a program or erase
// when the host polls a status register while the chip is busy (the client sees the
// operation finished at its first poll instead of waiting out the datasheet time), and
// NoChip on the other channels (nothing wired: MISO pulled up).
#pragma once

#include <cstdint>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"

namespace flashrig::hil::internal {

class PolledChip final : public driver::SpiDevice {
 public:
  // `fast_forward` false: busy time passes only as the clock does (datasheet pace).
  PolledChip(driver::SimulatedSpiNorChip& chip, VirtualClock& clock, bool fast_forward)
      : chip_(chip), clock_(clock), fast_forward_(fast_forward) {}

  void Select() override {
    frame_start_ = true;
    chip_.Select();
  }
  void Deselect() override { chip_.Deselect(); }
  void Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) override;
  void DummyClocks(uint32_t cycles) override {
    frame_start_ = false;
    chip_.DummyClocks(cycles);
  }
  Status SetControlLine(driver::SpiControlLine line, bool high) override {
    return chip_.SetControlLine(line, high);
  }
  bool powered() const override { return chip_.powered(); }

  uint64_t fast_forwards() const { return fast_forwards_; }
  Clock::Duration fast_forwarded() const { return fast_forwarded_; }

 private:
  driver::SimulatedSpiNorChip& chip_;
  VirtualClock& clock_;
  bool fast_forward_;
  bool frame_start_ = false;
  uint64_t fast_forwards_ = 0;
  Clock::Duration fast_forwarded_{0};
};

class NoChip final : public driver::SpiDevice {
 public:
  void Select() override {}
  void Deselect() override {}
  void Exchange(std::span<const std::byte>, std::span<std::byte> miso) override {
    for (std::byte& b : miso) b = std::byte{0xFF};
  }
  void DummyClocks(uint32_t) override {}
  Status SetControlLine(driver::SpiControlLine, bool) override { return Status::Ok(); }
};

}  // namespace flashrig::hil::internal
