// serprog end to end in one process, no OS: SpiNorFlash -> SerprogSpiBus -> loopback ->
// SerprogServer -> SpiDeviceBus -> SimulatedSpiNorChip (W25Q16JV model). The whole Flash
// contract must hold through the protocol; plus the paced bus that lets flashrom's real-time
// polling see simulated operations finish.
#include <gtest/gtest.h>

#include <memory>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/serprog/serprog_loopback_transport.h"
#include "flashrig/driver/serprog/serprog_paced_bus.h"
#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/driver/serprog/serprog_spi_bus.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using namespace std::chrono_literals;

// W25Q16JV datasheet facts (the shipped configs/parts/w25q16jv.json describes the same).
ChipModel W25q16jv() {
  ChipModel m;
  m.name = "W25Q16JV";
  m.vendor = "Winbond";
  m.jedec_id = {0xEF, 0x40, 0x15};
  m.legacy_device_id = 0x14;
  m.size_bytes = 2 * 1024 * 1024;
  m.page_bytes = 256;
  m.erase_types = {{.size_bytes = 4096, .opcode = 0x20, .time = {45000, 400000}},
                   {.size_bytes = 32768, .opcode = 0x52, .time = {120000, 1600000}},
                   {.size_bytes = 65536, .opcode = 0xD8, .time = {150000, 2000000}}};
  m.page_program = {400, 3000};
  m.chip_erase = {5000000, 25000000};
  m.status_read_opcodes = {0x05, 0x35, 0x15};
  m.status_write_opcodes = {0x01, 0x31, 0x11};
  m.block_protect = {.bp_bit_positions = {2, 3, 4}, .tb_bit = 5, .first_protected_bytes = 32768};
  m.suspend_opcode = 0x75;
  m.resume_opcode = 0x7A;
  m.has_unique_id = true;
  return m;
}

// The full chain, owned in one place.
class SerprogStack final : public flashrig::testing::FlashUnderTest {
 public:
  SerprogStack() : chip_(W25q16jv(), clock_) {
    std::string why;
    EXPECT_EQ(ValidateChipModel(chip_.model(), &why), Status::Ok()) << why;
    auto bus = SerprogSpiBus::Connect(std::make_unique<SerprogLoopbackTransport>(server_), {});
    EXPECT_TRUE(bus.ok()) << bus.status();
    if (!bus.ok()) return;
    client_ = std::move(bus).value();
    auto flash =
        SpiNorFlash::Probe(*client_, clock_, nullptr,
                           SpiNorOptions{.read_chunk_bytes = client_->max_read_bytes()}, &info_);
    EXPECT_TRUE(flash.ok()) << flash.status();
    if (flash.ok()) flash_ = std::move(flash).value();
  }
  Flash& flash() override { return *flash_; }
  void PowerOff() override { chip_.PowerOff(); }
  void PowerOn() override { chip_.PowerOn(); }

  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  SpiDeviceBus chip_bus_{chip_};
  SerprogServer server_{chip_bus_, {}};
  std::unique_ptr<SerprogSpiBus> client_;
  ProbeInfo info_;
  std::unique_ptr<SpiNorFlash> flash_;
};

flashrig::testing::FlashBackend SerprogBackend() {
  return {"SpiNorFlashOverSerprog", [] { return std::make_unique<SerprogStack>(); }};
}

using flashrig::testing::FlashConformance;
INSTANTIATE_TEST_SUITE_P(Serprog, FlashConformance, ::testing::Values(SerprogBackend()),
                         flashrig::testing::FlashBackendName);

TEST(SerprogSimTest, ProbeThroughSerprogSeesTheSimulatedPart) {
  SerprogStack stack;
  ASSERT_NE(stack.flash_, nullptr);
  EXPECT_EQ(stack.info_.jedec_id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x15}));
  EXPECT_EQ(stack.flash_->geometry().size_bytes, 2u * 1024 * 1024);
  EXPECT_GT(stack.server_.counters().spi_ops, 0u);
  EXPECT_EQ(stack.server_.counters().spi_bus_errors, 0u);
}

TEST(SerprogSimTest, WholeChipImageRoundTripsThroughSerprog) {
  FLASHRIG_SEEDED(seed, 16);
  SeededRandom rng(seed);
  SerprogStack stack;
  ASSERT_NE(stack.flash_, nullptr);
  const uint32_t size = stack.flash_->geometry().size_bytes;
  const auto image = flashrig::testing::RandomBytes(size, rng);
  ASSERT_EQ(stack.flash_->Program(0, image), Status::Ok());
  std::vector<std::byte> back(size);
  ASSERT_EQ(stack.flash_->Read(0, back), Status::Ok());
  EXPECT_TRUE(back == image);
  const auto contents = stack.chip_.contents();
  EXPECT_TRUE(std::equal(contents.begin(), contents.end(), image.begin()));
}

TEST(SerprogSimTest, PowerCutMidProgramIsUnavailableThroughTheProtocol) {
  SerprogStack stack;
  ASSERT_NE(stack.flash_, nullptr);
  ASSERT_EQ(stack.flash_->Erase(0, 4096), Status::Ok());
  stack.chip_.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kTorn});
  const std::vector<std::byte> data(256, std::byte{0x00});
  EXPECT_EQ(stack.flash_->Program(0, data), Status::Unavailable());
  EXPECT_GT(stack.server_.counters().spi_bus_errors, 0u);
  stack.chip_.PowerOn();
  std::vector<std::byte> back(256);
  EXPECT_EQ(stack.flash_->Read(0, back), Status::Ok());  // The link survived the cut.
}

TEST(SerprogPacedBusTest, ChipTimeFollowsWallTimeTimesSpeedup) {
  VirtualClock chip_clock;
  VirtualClock wall;
  SimulatedSpiNorChip chip(W25q16jv(), chip_clock);
  SpiDeviceBus inner(chip);
  SerprogPacedBus paced(inner, chip_clock, wall, 1000.0);
  const auto rdsr = flashrig::testing::Bytes({0x05});
  std::vector<std::byte> sr(1);
  const SpiSegment segs[] = {SpiSegment::Write(rdsr), SpiSegment::Read(sr)};

  wall.Advance(1ms);
  const auto before = chip_clock.Now();
  ASSERT_EQ(paced.Transfer(segs), Status::Ok());
  EXPECT_GE(chip_clock.Now() - before, Clock::Duration(1s));
  EXPECT_LT(chip_clock.Now() - before, Clock::Duration(1s + 1ms));  // Plus wire time only.

  // A 45 ms sector erase is done after 45 us of wall time at 1000x.
  const auto wren = flashrig::testing::Bytes({0x06});
  const auto erase = flashrig::testing::Bytes({0x20, 0, 0, 0});
  ASSERT_EQ(paced.Transfer(std::vector{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(paced.Transfer(std::vector{SpiSegment::Write(erase)}), Status::Ok());
  ASSERT_EQ(paced.Transfer(segs), Status::Ok());
  EXPECT_EQ(static_cast<uint8_t>(sr[0]) & 1, 1);  // WIP: no wall time has passed.
  wall.Advance(50us);
  ASSERT_EQ(paced.Transfer(segs), Status::Ok());
  EXPECT_EQ(static_cast<uint8_t>(sr[0]) & 1, 0);

  SerprogPacedBus default_pace(inner, chip_clock, wall, 0.0);
  EXPECT_EQ(default_pace.speedup(), 1.0);
}

}  // namespace
}  // namespace flashrig::driver
