// The whole stack CI can run without hardware: SpiNorFlash -> FtdiSpiBus -> MPSSE
// emulator (an FT232H at 30 MHz) -> SimulatedSpiNorChip. Runs the Flash conformance
// suite, a probe, round-trip budgets, power switching through a GPIO, and a short KV
// power-loss sweep, all over the same MPSSE byte streams a real FT232H would get.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "kvstore/power_loss_sweep.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Filled;

// A 256 KiB Winbond-style part (W25Q-family command set and timings), small so the
// conformance suite stays fast.
ChipModel SmallWinbond() {
  ChipModel m;
  m.name = "W25Q20-EMU";
  m.vendor = "Winbond";
  m.source = "W25Q family timings (shared/reference/spi-nor.md), shrunk for tests";
  m.jedec_id = {0xEF, 0x40, 0x12};
  m.size_bytes = 256 * 1024;
  m.page_bytes = 256;
  m.erase_types = {{.size_bytes = 4096, .opcode = 0x20, .time = {45'000, 400'000}},
                   {.size_bytes = 32768, .opcode = 0x52, .time = {120'000, 1'600'000}},
                   {.size_bytes = 65536, .opcode = 0xD8, .time = {150'000, 2'000'000}}};
  m.page_program = {400, 3000};
  m.chip_erase = {1'000'000, 5'000'000};
  m.status_read_opcodes = {0x05, 0x35, 0x15};
  m.status_write_opcodes = {0x01, 0x31, 0x11};
  m.block_protect = {.bp_bit_positions = {2, 3, 4}, .tb_bit = 5, .first_protected_bytes = 4096};
  return m;
}

constexpr FtdiPins kPins{.chip_select = 3, .chip_power = 4};

// Owns the stack; the chip's supply is switched through ADBUS4 like a real rig's load
// switch, so power cuts travel through the MPSSE GPIO path too.
class FtdiSimStack {
 public:
  explicit FtdiSimStack(SimulatedChipOptions chip_options = {},
                        const SpiNorOptions& nor_options = {})
      : chip_(SmallWinbond(), clock_, chip_options) {
    auto emu = std::make_unique<MpsseEmulator>(
        chip_, MpsseEmulatorOptions{.pins = kPins, .clock = &clock_});
    emu_ = emu.get();
    auto bus = OpenFtdiSpiBus(std::move(emu), {.pins = kPins}, clock_, &message_);
    if (!bus.ok()) {
      status_ = bus.status();
      return;
    }
    bus_ = std::move(bus).value();
    auto flash = SpiNorFlash::Probe(*bus_, clock_, nullptr, nor_options);
    status_ = flash.status();
    if (flash.ok()) flash_ = std::move(flash).value();
  }

  Status status() const { return status_; }
  const std::string& message() const { return message_; }
  VirtualClock& clock() { return clock_; }
  SimulatedSpiNorChip& chip() { return chip_; }
  MpsseEmulator& emu() { return *emu_; }
  FtdiSpiBus& bus() { return *bus_; }
  SpiNorFlash& flash() { return *flash_; }

 private:
  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  MpsseEmulator* emu_ = nullptr;  // Owned by bus_.
  std::unique_ptr<FtdiSpiBus> bus_;
  std::unique_ptr<SpiNorFlash> flash_;
  Status status_;
  std::string message_;
};

class FtdiFlashUnderTest final : public flashrig::testing::FlashUnderTest {
 public:
  FtdiFlashUnderTest() { EXPECT_EQ(stack_.status(), Status::Ok()) << stack_.message(); }
  Flash& flash() override { return stack_.flash(); }
  void PowerOff() override {
    EXPECT_EQ(stack_.bus().SetControlLine(SpiControlLine::kChipPower, false), Status::Ok());
  }
  void PowerOn() override {
    EXPECT_EQ(stack_.bus().SetControlLine(SpiControlLine::kChipPower, true), Status::Ok());
  }

 private:
  FtdiSimStack stack_;
};

using flashrig::testing::FlashConformance;

INSTANTIATE_TEST_SUITE_P(FtdiMpsseSim, FlashConformance,
                         ::testing::Values(flashrig::testing::FlashBackend{
                             "Ft232hW25q", [] { return std::make_unique<FtdiFlashUnderTest>(); }}),
                         flashrig::testing::FlashBackendName);

TEST(FtdiSimTest, Probe_FindsTheChipThroughMpsse) {
  FtdiSimStack stack;
  ASSERT_EQ(stack.status(), Status::Ok()) << stack.message();
  auto id = stack.flash().ReadJedecId();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x12}));
  EXPECT_EQ(stack.flash().geometry().size_bytes, 256u * 1024);
  EXPECT_EQ(stack.flash().info().sfdp_status, Status::Ok());
  EXPECT_EQ(stack.bus().clock_hz(), 30'000'000u);
  EXPECT_TRUE(stack.emu().errors().empty()) << stack.emu().errors()[0];
  EXPECT_EQ(stack.emu().pending_command_bytes(), 0u);
}

// Over USB every status read is a round trip, so the driver schedules the first poll at
// the learned completion time instead of polling at once. Per page: the WEL read-back
// (defaults) + about 1.1 polls; without the read-back about 1.1; polling at once 3+.
double RoundTripsPerPage(const SpiNorOptions& options) {
  FtdiSimStack stack({}, options);
  EXPECT_EQ(stack.status(), Status::Ok()) << stack.message();
  if (stack.status() != Status::Ok()) return 0;
  EXPECT_EQ(stack.flash().Erase(0, 65536), Status::Ok());
  const uint64_t rt0 = stack.bus().stats().round_trips;
  EXPECT_EQ(stack.flash().Program(0, Filled(256 * 256, 0x5A)), Status::Ok());
  const double per_page = static_cast<double>(stack.bus().stats().round_trips - rt0) / 256.0;
  std::vector<std::byte> out(4096);
  const uint64_t rt1 = stack.bus().stats().round_trips;
  EXPECT_EQ(stack.flash().Read(0, out), Status::Ok());
  EXPECT_EQ(stack.bus().stats().round_trips - rt1, 1u);
  EXPECT_EQ(out, Filled(4096, 0x5A));
  EXPECT_EQ(stack.emu().stats().latency_timer_waits, 0u);
  EXPECT_TRUE(stack.emu().errors().empty());
  return per_page;
}

TEST(FtdiSimTest, RoundTrips_ReadIsOnePerChunkProgramPollsOnceMostly) {
  EXPECT_LE(RoundTripsPerPage({}), 2.15);
  EXPECT_LE(RoundTripsPerPage({.confirm_write_enable = false}), 1.15);
  EXPECT_GE(RoundTripsPerPage({.first_poll = SpiNorOptions::FirstPoll::kImmediately}), 3.0);
}

TEST(FtdiSimTest, UnplugDuringProgram_ReportsUnavailableAndChipIsConsistent) {
  const auto page = Filled(256, 0x00);
  for (uint64_t k = 0; k < 6; ++k) {
    SCOPED_TRACE("unplug at transfer " + std::to_string(k));
    FtdiSimStack stack;
    ASSERT_EQ(stack.status(), Status::Ok()) << stack.message();
    stack.emu().UnplugAtTransfer(stack.emu().stats().usb_transfers + k);
    EXPECT_EQ(stack.flash().Program(0x1000, page), Status::Unavailable());
    // The chip stays powered (externally supplied): whatever reached it completes, so the
    // page is either untouched or fully programmed, never torn.
    stack.chip().Sync();
    const auto contents = stack.chip().contents().subspan(0x1000, 256);
    const bool untouched = std::all_of(contents.begin(), contents.end(),
                                       [](std::byte b) { return b == std::byte{0xFF}; });
    const bool programmed = std::all_of(contents.begin(), contents.end(),
                                        [](std::byte b) { return b == std::byte{0x00}; });
    EXPECT_TRUE(untouched || programmed);
  }
}

// --- KV power-loss sweep over the MPSSE path (short) ---------------------------------

class FtdiPowerLossTarget final : public kv::testing::PowerLossTarget {
 public:
  FtdiPowerLossTarget() : stack_({.unstable_torn_cells = false}) {
    EXPECT_EQ(stack_.status(), Status::Ok()) << stack_.message();
  }
  Flash& flash() override { return stack_.flash(); }
  void SchedulePowerCut(const PowerCutPlan& plan) override {
    ChipPowerCut cut;
    cut.at_mutating_op = plan.at_mutating_op;
    cut.effect = plan.effect;
    cut.seed = plan.seed;
    stack_.chip().SchedulePowerCut(cut);
  }
  void CancelPowerCut() override { stack_.chip().CancelPowerCut(); }
  void PowerOn() override {
    // The cut happened inside the chip; cycle the rig's supply the way a real rig would.
    stack_.bus().SetControlLine(SpiControlLine::kChipPower, false).IgnoreError();
    EXPECT_EQ(stack_.bus().SetControlLine(SpiControlLine::kChipPower, true), Status::Ok());
  }
  uint64_t power_cuts() const override { return stack_.chip().counters().power_cuts; }
  void LoadImage(std::span<const std::byte> image) override {
    EXPECT_EQ(stack_.chip().Restore(image), Status::Ok());
  }

 private:
  mutable FtdiSimStack stack_;
};

TEST(FtdiSimTest, KvPowerLossSweep_Short) {
  FLASHRIG_SEEDED(seed, 7);
  kv::testing::PowerLossConfig config;
  config.seed = seed;
  config.ops = 200;
  config.keys = 24;
  config.max_value_bytes = 300;
  config.stride = 2;
  config.max_keys = 64;
  const auto result = kv::testing::RunPowerLossSweep(
      config, [] { return std::make_unique<FtdiPowerLossTarget>(); });
  EXPECT_TRUE(result.ok()) << result.failure;
  EXPECT_GT(result.cuts_tested, 20u);
  RecordProperty("cuts_tested", static_cast<int>(result.cuts_tested));
}

}  // namespace
}  // namespace flashrig::driver
