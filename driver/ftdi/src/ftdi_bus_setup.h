// Private pieces of FtdiSpiBus: the SCK divisor choice, the GPIO pin image (CS, control
// lines, power sequencing) and the user-facing text for open failures.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"

namespace flashrig::driver {

struct FtdiClockSetup {
  uint16_t divisor = 0;
  uint32_t sck_hz = 0;  // What the divisor actually gives.
};

// The fastest SCK not above `requested_hz` (clamped to the chip's maximum).
// kInvalidArgument (with *error) if requested_hz is 0 or the chip has no MPSSE.
Result<FtdiClockSetup> ChooseFtdiClock(FtdiChipType chip, uint32_t requested_hz,
                                       std::string* error);

// kInvalidArgument (with *error) for pins that overlap, collide with SCK/MOSI/MISO, or
// do not exist on the chip.
Status ValidateFtdiPins(const FtdiPins& pins, FtdiChipType chip, std::string* error);

// The message for a failed FtdiPort::Open: what happened and what to do about it.
std::string DescribeFtdiOpenError(Status status, const std::string& url,
                                  const FtdiDeviceInfo& device, const std::string& port_error);

// The levels and directions of ADBUS/ACBUS for the current bus state. Idle: SCK and MOSI
// low (SPI mode 0), CS# high, WP#/HOLD#/RESET# high, VCC on. With VCC off (or while
// "parked" during power-up) every output except the power pin is driven low, so an
// unpowered chip is never fed through its I/O pins.
class FtdiPinState {
 public:
  explicit FtdiPinState(const FtdiPins& pins) : pins_(pins) {}

  bool IsWired(SpiControlLine line) const { return Pin(line) >= 0; }
  void SetLine(SpiControlLine line, bool high) { line_high_[static_cast<size_t>(line)] = high; }
  bool powered() const {
    return !IsWired(SpiControlLine::kChipPower) || LineHigh(SpiControlLine::kChipPower);
  }
  void SetChipSelect(bool high) { chip_select_high_ = high; }
  void set_outputs_parked(bool parked) { parked_ = parked; }

  uint8_t low_value() const { return static_cast<uint8_t>(Value() & 0xFF); }
  uint8_t low_direction() const { return static_cast<uint8_t>(Direction() & 0xFF); }
  uint8_t high_value() const { return static_cast<uint8_t>(Value() >> 8); }
  uint8_t high_direction() const { return static_cast<uint8_t>(Direction() >> 8); }
  bool uses_high_byte() const { return (Direction() >> 8) != 0; }
  bool chip_select_on_high_byte() const { return pins_.chip_select >= 8; }

 private:
  int Pin(SpiControlLine line) const;
  bool LineHigh(SpiControlLine line) const { return line_high_[static_cast<size_t>(line)]; }
  uint16_t Value() const;
  uint16_t Direction() const;

  FtdiPins pins_;
  std::array<bool, 4> line_high_{true, true, true, true};  // Indexed by SpiControlLine.
  bool chip_select_high_ = true;
  bool parked_ = false;
};

}  // namespace flashrig::driver
