// SerprogPacedBus: lets a simulated chip's virtual time follow the wall clock when an
// outside client (flashrom over serprog) drives it. Before each transaction, the chip's
// VirtualClock advances by the wall time since the last one, times `speedup`, so an erase
// the client polls for really finishes (at datasheet pace, or faster for CI).
#pragma once

#include <cstdint>
#include <span>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::driver {

// Not thread-safe; one user, like every SpiBus.
class SerprogPacedBus final : public SpiBus {
 public:
  // `inner`, `chip_clock` and `wall_clock` must outlive the bus. `speedup`: virtual
  // seconds per wall second; 1 = datasheet pace, 1000 = a 45 ms erase in 45 us. Values
  // <= 0 are treated as 1.
  SerprogPacedBus(SpiBus& inner, VirtualClock& chip_clock, const Clock& wall_clock, double speedup);

  uint32_t clock_hz() const override { return inner_.clock_hz(); }
  double speedup() const { return speedup_; }

 private:
  // Advances chip_clock, then forwards. Same statuses as `inner`.
  Status DoTransfer(std::span<const SpiSegment> segments) override;
  Status DoSetControlLine(SpiControlLine line, bool high) override;
  void CatchUp();

  SpiBus& inner_;
  VirtualClock& chip_clock_;
  const Clock& wall_clock_;
  double speedup_;
  Clock::TimePoint last_wall_;
};

}  // namespace flashrig::driver
