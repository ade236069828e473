// SpiBus: the seam below the SPI NOR driver. One call is one chip-select-framed
// transaction made of segments (write bytes, read bytes, dummy clocks), plus optional
// control lines. Backends: the simulated chip, the FTDI MPSSE bridge, serprog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// One piece of a transaction. Segments are clocked in order while CS# stays low.
struct SpiSegment {
  enum class Kind : uint8_t {
    kWrite,        // Shift `write` out on MOSI (MISO ignored).
    kRead,         // Shift read.size() bytes in from MISO (MOSI driven high / don't care).
    kDummyClocks,  // Clock `dummy_clocks` cycles with no data (FAST_READ, SFDP).
  };
  Kind kind = Kind::kWrite;
  std::span<const std::byte> write{};
  std::span<std::byte> read{};
  uint32_t dummy_clocks = 0;

  static SpiSegment Write(std::span<const std::byte> bytes) {
    return {.kind = Kind::kWrite, .write = bytes};
  }
  static SpiSegment Read(std::span<std::byte> bytes) {
    return {.kind = Kind::kRead, .read = bytes};
  }
  static SpiSegment Dummy(uint32_t clocks) {
    return {.kind = Kind::kDummyClocks, .dummy_clocks = clocks};
  }
};

// Optional control lines a rig may wire to the chip.
enum class SpiControlLine : uint8_t {
  kChipPower,     // true = VCC on.
  kWriteProtect,  // WP#: true = line high (writes to status register allowed).
  kHold,          // HOLD#: true = line high (not holding).
  kReset,         // RESET#: true = line high (not in reset).
};

// One user at a time; not thread-safe.
class SpiBus {
 public:
  virtual ~SpiBus() = default;

  // Runs one transaction: CS# low, every segment in order, CS# high.
  //   kOk
  //   kInvalidArgument   no segments, or a dummy-clock count the bus cannot produce
  //   kUnavailable       the bus or device is gone (unplugged, chip unpowered on a bus
  //                      that can tell)
  //   kDeadlineExceeded  the bridge did not answer in time
  //   kDataLoss          short or corrupt reply from the bridge
  // On error, the contents of read segments are unspecified.
  Status Transfer(std::span<const SpiSegment> segments) {
    if (segments.empty()) return Status::InvalidArgument();
    return DoTransfer(segments);
  }

  // Drives a control line. kUnimplemented: the line is not wired on this rig.
  Status SetControlLine(SpiControlLine line, bool high) { return DoSetControlLine(line, high); }

  // The SCK frequency the bus actually runs at (0 if not meaningful, e.g. simulated).
  virtual uint32_t clock_hz() const { return 0; }

  // What a transaction that reads something back costs beyond its SPI wire time: a USB
  // round trip on a bridge, zero for an in-process bus. The SPI NOR driver uses it to
  // decide whether polling status early is worth a round trip.
  virtual Clock::Duration round_trip_cost() const { return Clock::Duration::zero(); }

 private:
  virtual Status DoTransfer(std::span<const SpiSegment> segments) = 0;
  virtual Status DoSetControlLine(SpiControlLine /*line*/, bool /*high*/) {
    return Status::Unimplemented();
  }
};

}  // namespace flashrig::driver
