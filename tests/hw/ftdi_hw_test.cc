// Real-hardware checks (ctest label hw; never run in CI): the Flash conformance suite and
// a short throughput run on a chip behind a real FTDI bridge. Needs
//   FLASHRIG_FTDI_URL="ftdi://ftdi:232h/1?power=4"   (power= for the power-off test)
// Only the last 256 KiB of the chip are touched. Fails (does not skip) when unset.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/targets/ftdi_target.h"
#include "flashrig/hil/targets/partition_flash.h"

namespace flashrig::driver {
namespace {

constexpr uint32_t kWindowBytes = 256 * 1024;

class RealChip final : public flashrig::testing::FlashUnderTest {
 public:
  RealChip() {
    const char* url = std::getenv("FLASHRIG_FTDI_URL");
    if (url == nullptr || *url == '\0') {
      ADD_FAILURE() << "set FLASHRIG_FTDI_URL, e.g. ftdi://ftdi:232h/1?power=4";
      return;
    }
    FtdiOptions options;
    const std::string bad = hil::ParseFtdiTargetOptions(url, &options);
    if (!bad.empty()) {
      ADD_FAILURE() << url << ": " << bad;
      return;
    }
    std::string message;
    auto bus = OpenFtdiSpiBus(options, &message);
    if (!bus.ok()) {
      ADD_FAILURE() << message;
      return;
    }
    bus_ = std::move(bus).value();
    hil::ConfigErrors errors;
    hil::LoadPartDirectory(hil::DefaultPartsDirectory(), &parts_, &errors);
    auto flash = SpiNorFlash::Probe(*bus_, clock_, &parts_,
                                    {.confirm_write_enable = true, .polls_per_typical = 1});
    if (!flash.ok()) {
      ADD_FAILURE() << "probe failed: " << flash.status() << " " << bus_->last_error();
      return;
    }
    chip_ = std::move(flash).value();
    const uint32_t size = chip_->geometry().size_bytes;
    window_ = std::make_unique<hil::PartitionFlash>(*chip_, size - kWindowBytes, kWindowBytes);
    if (chip_->ReadProtection().ok()) chip_->Unlock().IgnoreError();
  }
  bool ok() const { return window_ != nullptr; }
  Flash& flash() override { return *window_; }
  void PowerOff() override {
    EXPECT_EQ(bus_->SetControlLine(SpiControlLine::kChipPower, false), Status::Ok())
        << "wire a load switch and add ?power=PIN to FLASHRIG_FTDI_URL";
  }
  void PowerOn() override {
    EXPECT_EQ(bus_->SetControlLine(SpiControlLine::kChipPower, true), Status::Ok());
    clock_.SleepFor(std::chrono::milliseconds(5));  // Supply ramp and tPUW margin.
  }
  FtdiSpiBus& bus() { return *bus_; }
  SystemClock& clock() { return clock_; }

 private:
  SystemClock clock_;
  PartDatabase parts_;
  std::unique_ptr<FtdiSpiBus> bus_;
  std::unique_ptr<SpiNorFlash> chip_;
  std::unique_ptr<hil::PartitionFlash> window_;
};

using flashrig::testing::FlashConformance;

INSTANTIATE_TEST_SUITE_P(RealFtdi, FlashConformance,
                         ::testing::Values(flashrig::testing::FlashBackend{
                             "FromEnv",
                             []() -> std::unique_ptr<flashrig::testing::FlashUnderTest> {
                               auto chip = std::make_unique<RealChip>();
                               if (!chip->ok()) return nullptr;
                               return chip;
                             }}),
                         flashrig::testing::FlashBackendName);

// Erase, program and read back 64 KiB; prints measured MB/s and USB round trips.
TEST(FtdiHwTest, ShortThroughputRun) {
  RealChip chip;
  ASSERT_TRUE(chip.ok());
  SeededRandom rng(1);
  std::vector<std::byte> data(64 * 1024);
  for (auto& b : data) b = std::byte{rng.Byte()};
  auto seconds = [&](auto t0) {
    return std::chrono::duration<double>(chip.clock().Now() - t0).count();
  };
  auto t0 = chip.clock().Now();
  ASSERT_EQ(chip.flash().Erase(0, 64 * 1024), Status::Ok());
  const double erase_s = seconds(t0);
  const uint64_t rt0 = chip.bus().stats().round_trips;
  t0 = chip.clock().Now();
  ASSERT_EQ(chip.flash().Program(0, data), Status::Ok());
  const double program_s = seconds(t0);
  const double rt_per_page = static_cast<double>(chip.bus().stats().round_trips - rt0) / 256;
  std::vector<std::byte> back(data.size());
  t0 = chip.clock().Now();
  ASSERT_EQ(chip.flash().Read(0, back), Status::Ok());
  const double read_s = seconds(t0);
  EXPECT_EQ(back, data);
  std::printf(
      "FTDI %s at %u Hz: erase 64 KiB %.1f ms, program %.3f MB/s (%.2f round trips/page),"
      " read %.3f MB/s\n",
      chip.bus().device().serial.c_str(), chip.bus().clock_hz(), erase_s * 1e3,
      data.size() / program_s / 1e6, rt_per_page, data.size() / read_s / 1e6);
}

}  // namespace
}  // namespace flashrig::driver
