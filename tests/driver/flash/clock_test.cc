// Clocks: virtual time advances only when told; system time is monotonic.
#include "flashrig/driver/flash/clock.h"

#include <gtest/gtest.h>

namespace flashrig {
namespace {

using namespace std::chrono_literals;

TEST(VirtualClockTest, StartsAtZeroAndSleepAdvancesInstantly) {
  VirtualClock clock;
  EXPECT_EQ(clock.Now(), 0ns);
  clock.SleepFor(3ms);
  EXPECT_EQ(clock.Now(), 3ms);
  clock.Advance(250us);
  EXPECT_EQ(clock.Now(), 3250us);
}

TEST(VirtualClockTest, NegativeDurationsDoNotGoBack) {
  VirtualClock clock;
  clock.SleepFor(1ms);
  clock.SleepFor(-5ms);
  clock.Advance(-1ns);
  EXPECT_EQ(clock.Now(), 1ms);
}

TEST(VirtualClockTest, UsableThroughTheInterface) {
  VirtualClock virtual_clock;
  Clock& clock = virtual_clock;
  const auto deadline = clock.Now() + 10ms;
  int polls = 0;
  while (clock.Now() < deadline) {
    clock.SleepFor(1ms);
    ++polls;
  }
  EXPECT_EQ(polls, 10);
}

TEST(SystemClockTest, IsMonotonicAndSleeps) {
  SystemClock clock;
  const auto a = clock.Now();
  clock.SleepFor(1ms);
  const auto b = clock.Now();
  EXPECT_GE(b - a, 1ms);
}

}  // namespace
}  // namespace flashrig
