// Decorators over any Flash: counting, tracing and fault injection, and the conformance
// suite run through a decorator stack (a wrapper must not change the contract).
#include <memory>

#include <gtest/gtest.h>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/flash/counting_flash.h"
#include "flashrig/driver/flash/fault_injecting_flash.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/tracing_flash.h"
#include "testing/bytes.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::FlashConformance;
constexpr uint32_t kSector = 4096;

class DecoratedRamFlash final : public flashrig::testing::FlashUnderTest {
 public:
  DecoratedRamFlash() : ram_(kSector, 16), faults_(ram_), counting_(faults_), tracing_(counting_) {}
  Flash& flash() override { return tracing_; }
  void PowerOff() override { ram_.PowerOff(); }
  void PowerOn() override { ram_.PowerOn(); }

 private:
  RamFlash ram_;
  FaultInjectingFlash faults_;
  CountingFlash counting_;
  TracingFlash tracing_;
};

INSTANTIATE_TEST_SUITE_P(
    Decorated, FlashConformance,
    ::testing::Values(flashrig::testing::FlashBackend{
        "TracingCountingFaultInjectingRam",
        [] { return std::make_unique<DecoratedRamFlash>(); }}),
    flashrig::testing::FlashBackendName);

TEST(CountingFlashTest, CountsSuccessfulCallsAndFailures) {
  RamFlash ram(kSector, 4);
  CountingFlash counting(ram);
  ASSERT_EQ(counting.Erase(0, 2 * kSector), Status::Ok());
  ASSERT_EQ(counting.Program(3, Bytes({1, 2})), Status::Ok());
  ram.PowerOff();
  std::vector<std::byte> b(5);
  EXPECT_EQ(counting.Read(0, b), Status::Unavailable());
  ram.PowerOn();
  ASSERT_EQ(counting.Read(0, b), Status::Ok());
  const auto& c = counting.counters();
  EXPECT_EQ(c.erase_ops, 1u);
  EXPECT_EQ(c.bytes_erased, 2 * kSector);
  EXPECT_EQ(c.program_ops, 1u);
  EXPECT_EQ(c.bytes_programmed, 2u);
  EXPECT_EQ(c.read_ops, 1u);
  EXPECT_EQ(c.failed_ops, 1u);
  EXPECT_EQ(counting.erase_count(1), 1u);
  EXPECT_EQ(counting.erase_count(2), 0u);
}

TEST(TracingFlashTest, RecordsEveryCallWithItsResult) {
  RamFlash ram(kSector, 4);
  TracingFlash tracing(ram, /*capacity=*/2);
  ASSERT_EQ(tracing.Erase(kSector, kSector), Status::Ok());
  ASSERT_EQ(tracing.Program(kSector + 1, Bytes({0})), Status::Ok());
  ram.PowerOff();
  std::vector<std::byte> b(3);
  EXPECT_EQ(tracing.Read(16, b), Status::Unavailable());
  ASSERT_EQ(tracing.entries().size(), 2u);  // capacity drops the oldest
  EXPECT_EQ(ToString(tracing.entries()[0]), "program 0x1001+1 -> kOk");
  EXPECT_EQ(ToString(tracing.entries()[1]), "read 0x10+3 -> kUnavailable");
}

TEST(FaultInjectingFlashTest, InjectedFaultNeverReachesTarget) {
  RamFlash ram(kSector, 4);
  FaultInjectingFlash faults(ram);
  faults.AddFault({.ops = static_cast<FlashOpMask>(FlashOp::kErase),
                   .status = Status::DeadlineExceeded(),
                   .times = 1});
  ASSERT_EQ(faults.Program(0, Bytes({0x00})), Status::Ok());
  EXPECT_EQ(faults.Erase(0, kSector), Status::DeadlineExceeded());
  EXPECT_EQ(ram.counters().erase_ops, 0u);
  std::vector<std::byte> b(1);
  ASSERT_EQ(ram.Read(0, b), Status::Ok());
  EXPECT_EQ(b[0], std::byte{0x00});
  EXPECT_EQ(faults.Erase(0, kSector), Status::Ok());
  EXPECT_EQ(faults.faults().fired(0), 1u);
}

}  // namespace
}  // namespace flashrig::driver
