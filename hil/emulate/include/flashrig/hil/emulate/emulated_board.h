// An emulated FTDI board: an FT232H, FT2232H or FT4232H (FtdiUsbDevice) with one
// MpsseEmulator per channel and a simulated SPI NOR chip wired to channel A's MPSSE pins
// (SCK ADBUS0, MOSI ADBUS1, MISO ADBUS2, CS# ADBUS3, as flashrom's ft2232_spi, pyftdi's
// SpiController and flashrig's ftdi:// default expect), all on one virtual clock. This
// is what `flashrig emulate` plugs into its umockdev testbed.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/hil/emulate/ftdi_chip_shape.h"
#include "flashrig/hil/emulate/ftdi_usb_device.h"

namespace flashrig::hil {

namespace internal {
class PolledChip;
class NoChip;
}  // namespace internal

struct EmulatedBoardOptions {
  const FtdiChipShape* shape = nullptr;  // nullptr: FT232H.
  driver::ChipModel part{};              // REQUIRES: ValidateChipModel(part).ok().
  driver::SimulatedChipOptions chip{};   // Timing, seed (sck_hz is forced to 0).
  std::string serial = kDefaultEmulatedSerial;
  // Virtual time advances by `speedup` x the wall time that passes, plus the USB and wire
  // time the channels model; with fast_forward it also jumps to
  // the end of a program/erase when the host polls the busy chip.
  double speedup = 1.0;
  bool fast_forward = true;
  // Every complaint of the USB device and the channels ("channel A: ..." for these), as
  // it happens, on umockdev's worker thread with the device lock held.
  std::function<void(const std::string&)> on_complaint{};
  // Channel A's MPSSE stream as the host sends it (bulk OUT payloads, in order); may be
  // empty.
  std::function<void(std::span<const uint8_t>)> on_channel_a_stream{};
  // Fault injection for tests (kernel driver bound, detach denied).
  bool kernel_driver_bound = false;
  bool detach_denied = false;
};

struct EmulatedBoardStats {
  UsbCounters usb;
  driver::MpsseEmulatorStats channel_a;
  driver::ChipCounters chip;
  uint64_t fast_forwards = 0;
  Clock::Duration fast_forwarded{0};
  Clock::Duration virtual_time{0};
};

class EmulatedBoard {
 public:
  explicit EmulatedBoard(const EmulatedBoardOptions& options);
  ~EmulatedBoard();
  EmulatedBoard(const EmulatedBoard&) = delete;
  EmulatedBoard& operator=(const EmulatedBoard&) = delete;

  const FtdiChipShape& shape() const { return shape_; }
  FtdiUsbDevice& usb() { return *usb_; }
  // Only under usb().Lock() while a client may be using the device.
  driver::SimulatedSpiNorChip& chip() { return *chip_; }
  driver::MpsseEmulator& channel(size_t index) { return *channels_[index]; }
  VirtualClock& clock() { return clock_; }

  // "ftdi://ftdi:232h:FREMU0001/1" (pyftdi and flashrig ftdi:// URLs), and flashrom's
  // programmer argument "ft2232_spi:type=232H,port=A,serial=FREMU0001".
  std::string url() const;
  std::string flashrom_programmer() const;

  // The chip's contents from/to an image file (whole chip; atomic save), under the lock.
  //   kNotFound: no such file | kInvalidArgument: wrong size | kUnavailable: I/O error
  Status LoadImage(const std::string& path);
  Status SaveImage(const std::string& path);
  EmulatedBoardStats stats() const;

 private:
  FtdiChipShape shape_;
  std::string serial_;
  VirtualClock clock_;
  std::unique_ptr<driver::SimulatedSpiNorChip> chip_;
  std::unique_ptr<internal::PolledChip> polled_;
  std::unique_ptr<internal::NoChip> nothing_;
  std::vector<std::unique_ptr<driver::MpsseEmulator>> channels_;
  std::unique_ptr<FtdiUsbDevice> usb_;
};

}  // namespace flashrig::hil
