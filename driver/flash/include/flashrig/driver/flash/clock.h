// Clock: the time seam. Every wait on hardware takes a Clock and a deadline, so "no hang"
// is testable in milliseconds with VirtualClock, and real rigs use SystemClock.
#pragma once

#include <chrono>
#include <cstdint>

namespace flashrig {

class Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  using TimePoint = std::chrono::nanoseconds;  // Since an arbitrary, fixed epoch.

  virtual ~Clock() = default;
  // Monotonic time; never goes backwards.
  virtual TimePoint Now() const = 0;
  // Blocks (or, for virtual time, advances) for at least `duration`.
  virtual void SleepFor(Duration duration) = 0;
};

// Monotonic host time (std::chrono::steady_clock).
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  void SleepFor(Duration duration) override;
};

// Virtual time: SleepFor advances instantly; Advance lets models (the simulated chip)
// account for time spent on the wire. Starts at 0.
class VirtualClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  void SleepFor(Duration duration) override { Advance(duration); }
  void Advance(Duration duration) {
    if (duration.count() > 0) now_ += duration;
  }

 private:
  TimePoint now_{0};
};

}  // namespace flashrig
