// SerprogPacedBus: virtual chip time catches up with (scaled) wall time per transaction.
#include "flashrig/driver/serprog/serprog_paced_bus.h"

namespace flashrig::driver {

SerprogPacedBus::SerprogPacedBus(SpiBus& inner, VirtualClock& chip_clock, const Clock& wall_clock,
                                 double speedup)
    : inner_(inner),
      chip_clock_(chip_clock),
      wall_clock_(wall_clock),
      speedup_(speedup > 0 ? speedup : 1.0),
      last_wall_(wall_clock.Now()) {}

void SerprogPacedBus::CatchUp() {
  const Clock::TimePoint now = wall_clock_.Now();
  const double elapsed_ns = static_cast<double>((now - last_wall_).count()) * speedup_;
  last_wall_ = now;
  // Cap one step at an hour of chip time: nothing on a NOR chip takes longer, and it
  // keeps a huge speedup after a long idle gap from overflowing the clock.
  constexpr double kMaxStepNs = 3600e9;
  const double step_ns = elapsed_ns < kMaxStepNs ? elapsed_ns : kMaxStepNs;
  chip_clock_.Advance(Clock::Duration(static_cast<int64_t>(step_ns)));
}

Status SerprogPacedBus::DoTransfer(std::span<const SpiSegment> segments) {
  CatchUp();
  return inner_.Transfer(segments);
}

Status SerprogPacedBus::DoSetControlLine(SpiControlLine line, bool high) {
  CatchUp();
  return inner_.SetControlLine(line, high);
}

}  // namespace flashrig::driver
