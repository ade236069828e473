// The ftdi-emu: and ftdi:// target schemes: an emulated FT232H in front of the simulated
// W25Q128JV opens, probes and stores data; bad URLs and options are bad input (exit 2).
#include "flashrig/hil/targets/ftdi_target.h"

#include <gtest/gtest.h>

#include <vector>

#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {
namespace {

TEST(FtdiTargetTest, EmulatedFt232hInFrontOfSimulatedChip) {
  RegisterFtdiTargets();
  TargetOpenResult opened = OpenTarget("ftdi-emu:W25Q128JV?seed=3&clock_hz=15000000");
  ASSERT_NE(opened.target, nullptr) << opened.error;
  Target& t = *opened.target;
  ASSERT_NE(t.spi_nor(), nullptr);
  ASSERT_NE(t.chip(), nullptr);
  ASSERT_NE(t.virtual_clock(), nullptr);
  EXPECT_EQ(t.spi_nor()->info().jedec_id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x18}));
  const std::vector<std::byte> data = {std::byte{0x12}, std::byte{0x34}};
  ASSERT_EQ(t.flash().Erase(0x10000, 4096), Status::Ok());
  ASSERT_EQ(t.flash().Program(0x10000, data), Status::Ok());
  std::vector<std::byte> back(2);
  ASSERT_EQ(t.flash().Read(0x10000, back), Status::Ok());
  EXPECT_EQ(back, data);
  EXPECT_EQ(t.chip()->contents()[0x10001], std::byte{0x34});
  EXPECT_GT(t.clock().Now().count(), 0);  // Modelled USB + wire + busy time.
}

TEST(FtdiTargetTest, BadInputIsReportedAsSuch) {
  RegisterFtdiTargets();
  for (const char* url :
       {"ftdi-emu:", "ftdi-emu:NOPE9000", "ftdi-emu:W25Q128JV?speed=1", "ftdi://ftdi:232r/1",
        "ftdi://ftdi:232h/1?cs=1", "ftdi://ftdi:232h/1?power=99", "ftdi://ftdi:232h/1?x"}) {
    TargetOpenResult opened = OpenTarget(url);
    EXPECT_EQ(opened.target, nullptr) << url;
    EXPECT_TRUE(opened.bad_input) << url << ": " << opened.error;
    EXPECT_FALSE(opened.error.empty()) << url;
  }
}

TEST(FtdiTargetTest, ParseOptions_PinsClockAndPolarity) {
  driver::FtdiOptions o;
  EXPECT_EQ(ParseFtdiTargetOptions(
                "ftdi://ftdi:2232h:FT1/2?clock_hz=10000000&cs=4&power=8&power_active=low&wp=5", &o),
            "");
  EXPECT_EQ(o.url, "ftdi://ftdi:2232h:FT1/2");
  EXPECT_EQ(o.clock_hz, 10'000'000u);
  EXPECT_EQ(o.pins.chip_select, 4);
  EXPECT_EQ(o.pins.chip_power, 8);
  EXPECT_FALSE(o.pins.chip_power_active_high);
  EXPECT_EQ(o.pins.write_protect, 5);
  EXPECT_NE(ParseFtdiTargetOptions("ftdi:///1?clock_hz=0", &o).find("clock_hz"), std::string::npos);
}

}  // namespace
}  // namespace flashrig::hil
