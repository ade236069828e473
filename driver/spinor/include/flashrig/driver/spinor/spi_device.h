// SpiDevice: a chip as seen from its pins, byte by byte inside a CS# frame. The simulated
// SPI NOR chip implements it; SpiDeviceBus turns it into an SpiBus; the MPSSE emulator and
// the serprog server drive it directly, because they see CS# edges and bytes, not whole
// transactions.
#pragma once

#include <cstddef>
#include <span>

#include "flashrig/driver/flash/status.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::driver {

class SpiDevice {
 public:
  virtual ~SpiDevice() = default;

  // CS# falls: a new command starts.
  virtual void Select() = 0;
  // CS# rises: the command completes (a program or erase starts now, as on real parts).
  virtual void Deselect() = 0;
  // Clocks mosi.size() bytes full duplex; miso receives what the chip drives (0xFF when
  // it drives nothing). REQUIRES: miso.size() == mosi.size() or miso is empty.
  virtual void Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) = 0;
  // Clocks `cycles` with no data (MOSI high, MISO ignored).
  virtual void DummyClocks(uint32_t cycles) = 0;
  // Control pins. kUnimplemented if the device has no such pin.
  virtual Status SetControlLine(SpiControlLine line, bool high) = 0;
  // False when the device is known to be unpowered (a rig that switches chip power, or
  // the simulator after a power cut); SpiDeviceBus then fails transactions with
  // kUnavailable, as a real bus that can tell would.
  virtual bool powered() const { return true; }
};

// An SpiBus that frames each transaction around an SpiDevice.
class SpiDeviceBus final : public SpiBus {
 public:
  // `device` must outlive the bus.
  explicit SpiDeviceBus(SpiDevice& device) : device_(device) {}

 private:
  Status DoTransfer(std::span<const SpiSegment> segments) override;
  Status DoSetControlLine(SpiControlLine line, bool high) override {
    return device_.SetControlLine(line, high);
  }

  SpiDevice& device_;
};

}  // namespace flashrig::driver
