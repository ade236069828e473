// SimulatedSpiNorChip at the wire: command framing, WEL/WIP/BP rules, page wrap, 4-byte
// addressing, reset/power-cut damage, unstable cells, suspend, wear and counters.
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdio>
#include <cstring>

#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"
#include "testing/bytes.h"
#include "testing/test_chip_models.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::BigTestPart;
using flashrig::testing::Bytes;
using flashrig::testing::Filled;
using flashrig::testing::SmallTestPart;
using namespace std::chrono_literals;

class ChipTest : public ::testing::Test {
 protected:
  explicit ChipTest(ChipModel model = SmallTestPart(), SimulatedChipOptions options = {})
      : chip_(model, clock_, options), bus_(chip_) {}

  // One CS frame: writes `out`, then reads `in_count` bytes.
  std::vector<std::byte> Frame(const std::vector<std::byte>& out, size_t in_count = 0,
                               uint32_t dummy = 0) {
    std::vector<std::byte> in(in_count);
    std::vector<SpiSegment> segs = {SpiSegment::Write(out)};
    if (dummy != 0) segs.push_back(SpiSegment::Dummy(dummy));
    if (in_count != 0) segs.push_back(SpiSegment::Read(in));
    last_status_ = bus_.Transfer(segs);
    return in;
  }
  uint8_t Sr1() { return static_cast<uint8_t>(Frame(Bytes({0x05}), 1)[0]); }
  void Wren() { Frame(Bytes({0x06})); }
  std::vector<std::byte> Read(uint32_t address, size_t n) {
    return Frame(Bytes({0x0B, int(address >> 16), int(address >> 8) & 0xFF, int(address) & 0xFF}),
                 n, 8);
  }
  void Program(uint32_t address, const std::vector<std::byte>& data) {
    auto frame = Bytes({0x02, int(address >> 16), int(address >> 8) & 0xFF, int(address) & 0xFF});
    frame.insert(frame.end(), data.begin(), data.end());
    Wren();
    Frame(frame);
  }
  void Erase4K(uint32_t address) {
    Wren();
    Frame(Bytes({0x20, int(address >> 16), int(address >> 8) & 0xFF, int(address) & 0xFF}));
  }
  void WaitIdle() {
    while (Sr1() & spi_nor::kStatusWip) clock_.Advance(100us);
  }

  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  SpiDeviceBus bus_;
  Status last_status_;
};

TEST_F(ChipTest, AnswersJedecIdUniqueIdAndSfdp) {
  EXPECT_EQ(Frame(Bytes({0x9F}), 3), Bytes({0xEF, 0x40, 0x14}));
  const auto uid = Frame(Bytes({0x4B, 0, 0, 0, 0}), 8);
  EXPECT_EQ(0, std::memcmp(uid.data(), chip_.unique_id().data(), 8));
  const auto sfdp = Frame(Bytes({0x5A, 0, 0, 0}), 4, 8);
  EXPECT_EQ(sfdp, Bytes({'S', 'F', 'D', 'P'}));
  // Reading past the table gives FFh.
  EXPECT_EQ(Frame(Bytes({0x5A, 0, 0x10, 0}), 2, 8), Bytes({0xFF, 0xFF}));
  EXPECT_EQ(chip_.counters().commands[0x9F], 1u);
}

TEST_F(ChipTest, ProgramNeedsWelAndClearsItWhenDone) {
  Frame(Bytes({0x02, 0, 0, 0, 0x00}));  // No WREN: ignored.
  EXPECT_EQ(chip_.counters().ignored_no_wel, 1u);
  EXPECT_EQ(Read(0, 1), Bytes({0xFF}));
  Wren();
  EXPECT_EQ(Sr1() & spi_nor::kStatusWel, spi_nor::kStatusWel);
  Frame(Bytes({0x02, 0, 0, 0, 0x12, 0x34}));
  EXPECT_EQ(Sr1(), spi_nor::kStatusWip | spi_nor::kStatusWel);
  WaitIdle();
  EXPECT_EQ(Sr1(), 0);
  EXPECT_EQ(Read(0, 2), Bytes({0x12, 0x34}));
  EXPECT_EQ(chip_.counters().programs, 1u);
}

TEST_F(ChipTest, WipStaysSetUntilVirtualTimePasses) {
  Erase4K(0);
  EXPECT_TRUE(chip_.busy());
  clock_.Advance(44ms);  // Typical tSE is 45 ms.
  EXPECT_TRUE(Sr1() & spi_nor::kStatusWip);
  // A read while busy is ignored (MISO high), not served.
  EXPECT_EQ(chip_.counters().ignored_busy, 0u);
  Read(0, 1);
  EXPECT_EQ(chip_.counters().ignored_busy, 1u);
  clock_.Advance(1ms);
  EXPECT_FALSE(Sr1() & spi_nor::kStatusWip);
  EXPECT_EQ(chip_.last_op_duration(), 45ms);
  EXPECT_EQ(chip_.counters().busy_time, 45ms);
}

TEST_F(ChipTest, TimeToReadyTellsHowLongTheOperationRuns) {
  EXPECT_EQ(chip_.time_to_ready(), Clock::Duration{0});
  Erase4K(0);
  clock_.Advance(5ms);
  EXPECT_EQ(chip_.time_to_ready(), std::optional<Clock::Duration>(40ms));
  clock_.Advance(*chip_.time_to_ready());
  EXPECT_FALSE(chip_.busy());
  chip_.SetStuckBusy(true);
  EXPECT_EQ(chip_.time_to_ready(), std::nullopt);  // Never ready: no fast-forward.
}

TEST_F(ChipTest, PageProgramWrapsInsideThePage) {
  std::vector<std::byte> data(10);
  for (int i = 0; i < 10; ++i) data[i] = std::byte(0xA0 + i);
  Program(0x1FA, data);  // 6 bytes to the page end, 4 wrap to 0x100.
  WaitIdle();
  EXPECT_EQ(Read(0x1FA, 6), Bytes({0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5}));
  EXPECT_EQ(Read(0x100, 4), Bytes({0xA6, 0xA7, 0xA8, 0xA9}));
  EXPECT_EQ(Read(0x200, 1), Bytes({0xFF}));
}

TEST_F(ChipTest, MoreThanAPageKeepsTheLastPageOfData) {
  std::vector<std::byte> data(256 + 3, std::byte{0x00});
  data[256] = std::byte{0x11};
  data[257] = std::byte{0x22};
  data[258] = std::byte{0x33};
  Program(0x300, data);
  WaitIdle();
  EXPECT_EQ(Read(0x300, 4), Bytes({0x11, 0x22, 0x33, 0x00}));
}

TEST_F(ChipTest, ByteByByteFramingMatchesBulk) {
  // What the MPSSE emulator and serprog server do: single bytes and dummy bytes.
  Program(0x40, Bytes({0xDE, 0xAD, 0xBE, 0xEF}));
  WaitIdle();
  chip_.Select();
  std::byte miso{};
  for (int b : {0x0B, 0x00, 0x00, 0x40, 0xFF}) {  // Opcode, address, one dummy byte.
    const std::byte mosi{static_cast<uint8_t>(b)};
    chip_.Exchange(std::span(&mosi, 1), std::span(&miso, 1));
  }
  std::vector<std::byte> got;
  for (int i = 0; i < 4; ++i) {
    const std::byte ones{0xFF};
    chip_.Exchange(std::span(&ones, 1), std::span(&miso, 1));
    got.push_back(miso);
  }
  chip_.Deselect();
  EXPECT_EQ(got, Bytes({0xDE, 0xAD, 0xBE, 0xEF}));
}

TEST_F(ChipTest, EraseWithExtraBytesIsNotExecuted) {
  Program(0, Bytes({0x00}));
  WaitIdle();
  Wren();
  Frame(Bytes({0x20, 0, 0, 0, 0}));  // One byte too many.
  EXPECT_EQ(chip_.counters().ignored_malformed, 1u);
  EXPECT_FALSE(chip_.busy());
  EXPECT_EQ(Read(0, 1), Bytes({0x00}));
}

TEST_F(ChipTest, BlockProtectRefusesProgramEraseAndChipErase) {
  // BP = 1 protects the top 16 KiB of 1 MiB.
  chip_.SetStatusRegister(0, EncodeBpValue(chip_.model(), 1, false));
  Program(0xFC000, Bytes({0x00}));
  Erase4K(0xFF000);
  Wren();
  Frame(Bytes({0xC7}));
  EXPECT_EQ(chip_.counters().ignored_protected, 3u);
  EXPECT_EQ(Sr1() & spi_nor::kStatusWel, 0);
  EXPECT_EQ(Read(0xFC000, 1), Bytes({0xFF}));
  Program(0xFB000, Bytes({0x00}));  // Just below: allowed.
  WaitIdle();
  EXPECT_EQ(Read(0xFB000, 1), Bytes({0x00}));
  // TB = 1 moves the range to the bottom.
  chip_.SetStatusRegister(0, EncodeBpValue(chip_.model(), 1, true));
  Program(0x100, Bytes({0x00}));
  EXPECT_EQ(chip_.counters().ignored_protected, 4u);
}

TEST_F(ChipTest, WriteStatusTakesTimeAndRespectsSrpWithWpLow) {
  Wren();
  Frame(Bytes({0x01, 0x1C | 0x80}));
  EXPECT_TRUE(Sr1() & spi_nor::kStatusWip);
  WaitIdle();
  EXPECT_EQ(Sr1(), 0x9C);
  ASSERT_EQ(chip_.SetControlLine(SpiControlLine::kWriteProtect, false), Status::Ok());
  Wren();
  Frame(Bytes({0x01, 0x00}));
  EXPECT_EQ(Sr1(), 0x9C);  // Refused: SRP with WP# low.
  ASSERT_EQ(chip_.SetControlLine(SpiControlLine::kWriteProtect, true), Status::Ok());
  Wren();
  Frame(Bytes({0x01, 0x00}));
  WaitIdle();
  EXPECT_EQ(Sr1(), 0x00);
  // 31h writes status register 2 alone.
  Wren();
  Frame(Bytes({0x31, 0x42}));
  WaitIdle();
  EXPECT_EQ(Frame(Bytes({0x35}), 1), Bytes({0x42}));
}

TEST_F(ChipTest, UnknownOpcodesAreIgnoredAndCounted) {
  Frame(Bytes({0xE7, 1, 2, 3}), 2);
  Frame(Bytes({0x99}));  // Reset without reset-enable.
  EXPECT_EQ(chip_.counters().unknown_opcodes, 1u);
  EXPECT_EQ(chip_.counters().commands[0xE7], 1u);
  EXPECT_EQ(Frame(Bytes({0x9F}), 3), Bytes({0xEF, 0x40, 0x14}));
}

TEST_F(ChipTest, ResetDuringEraseAbortsWithPartialDamage) {
  for (uint32_t a = 0; a < 4096; a += 256) Program(a, Filled(256, 0x00)), WaitIdle();
  Erase4K(0);
  clock_.Advance(35ms);  // Past the pre-program phase, well into the erase pulse.
  Frame(Bytes({0x66}));
  Frame(Bytes({0x99}));
  EXPECT_FALSE(chip_.busy());
  EXPECT_EQ(chip_.counters().aborted_ops, 1u);
  const auto data = chip_.contents().first(4096);
  size_t ff = 0;
  size_t zero = 0;
  for (std::byte b : data) {
    ff += b == std::byte{0xFF};
    zero += b == std::byte{0x00};
  }
  // Neither the old data (all 00h) nor erased (all FFh): torn.
  EXPECT_LT(ff, 4096u);
  EXPECT_LT(zero, 4096u);
  EXPECT_GT(ff + zero, 0u);
  // Another sector is untouched.
  EXPECT_EQ(Read(4096, 1), Bytes({0xFF}));
}

TEST_F(ChipTest, ResetEnableThenOtherCommandDisarmsReset) {
  Erase4K(0);
  Frame(Bytes({0x66}));
  Frame(Bytes({0x05}), 1);
  Frame(Bytes({0x99}));
  EXPECT_TRUE(chip_.busy());
  EXPECT_EQ(chip_.counters().aborted_ops, 0u);
}

TEST_F(ChipTest, PowerCutDuringProgramClearsASubsetAndLeavesUnstableBits) {
  chip_.SchedulePowerCut({.at_mutating_op = 1, .op_progress_permille = 500, .seed = 11});
  Program(0, Filled(256, 0x00));
  clock_.Advance(1ms);
  Sr1();
  EXPECT_EQ(last_status_, Status::Unavailable());  // SpiDeviceBus can tell.
  EXPECT_FALSE(chip_.powered());
  EXPECT_EQ(chip_.counters().torn_ops, 1u);
  chip_.PowerOn();
  const auto first = Read(0, 256);
  size_t cleared_bits = 0;
  for (std::byte b : chip_.contents().first(256)) {
    cleared_bits += 8 - std::popcount(static_cast<uint8_t>(b));
  }
  EXPECT_GT(cleared_bits, 0u);
  EXPECT_LT(cleared_bits, 256u * 8);
  // Half-programmed cells read back differently on later reads.
  bool changed = false;
  for (int i = 0; i < 8 && !changed; ++i) changed = Read(0, 256) != first;
  EXPECT_TRUE(changed);
  // Programming the cells to 0 settles them.
  Program(0, Filled(256, 0x00));
  WaitIdle();
  EXPECT_EQ(Read(0, 256), Filled(256, 0x00));
  EXPECT_EQ(Read(0, 256), Filled(256, 0x00));
}

TEST_F(ChipTest, PowerCutEffectsNotAppliedAndApplied) {
  chip_.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kNotApplied});
  Program(0, Filled(4, 0x00));
  clock_.Advance(1ms);
  chip_.PowerOn();
  EXPECT_EQ(Read(0, 4), Filled(4, 0xFF));
  chip_.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kApplied});
  Program(0, Filled(4, 0x00));
  clock_.Advance(1ms);
  chip_.Sync();
  EXPECT_FALSE(chip_.powered());
  chip_.PowerOn();
  EXPECT_EQ(Read(0, 4), Filled(4, 0x00));
}

TEST_F(ChipTest, PowerCutByWireBytesStopsTheFrameMidway) {
  chip_.SchedulePowerCut({.after_wire_bytes = 1 + 2 + 4});  // WREN, RDSR, PP header.
  Wren();
  EXPECT_EQ(Sr1() & spi_nor::kStatusWel, spi_nor::kStatusWel);
  Frame(Bytes({0x02, 0, 0, 0, 0x00, 0x00}));  // Power goes after the address.
  EXPECT_EQ(last_status_, Status::Unavailable());
  EXPECT_FALSE(chip_.powered());
  chip_.PowerOn();
  EXPECT_EQ(Read(0, 2), Filled(2, 0xFF));  // The program never started.
  EXPECT_EQ(chip_.counters().programs, 0u);
}

TEST_F(ChipTest, PowerCutAtVirtualTime) {
  chip_.SchedulePowerCut({.at_time = clock_.Now() + 10ms, .seed = 5});
  for (uint32_t a = 0; a < 4096; a += 256) Program(a, Filled(256, 0x00)), WaitIdle();
  Erase4K(0);  // Starts at ~7 ms; the cut lands in its pre-program phase.
  clock_.Advance(20ms);
  EXPECT_EQ(Frame(Bytes({0x9F}), 3), Filled(3, 0xFF));
  EXPECT_FALSE(chip_.powered());
  EXPECT_EQ(chip_.counters().power_cuts, 1u);
  EXPECT_EQ(chip_.counters().torn_ops, 1u);
}

TEST_F(ChipTest, DeepPowerDownIgnoresAllButRelease) {
  Frame(Bytes({0xB9}));
  EXPECT_EQ(Frame(Bytes({0x9F}), 3), Filled(3, 0xFF));
  EXPECT_TRUE(chip_.deep_power_down());
  // ABh + 3 dummy bytes answers the legacy device ID and wakes the chip.
  EXPECT_EQ(Frame(Bytes({0xAB, 0, 0, 0}), 1), Bytes({0x13}));
  EXPECT_FALSE(chip_.deep_power_down());
  EXPECT_EQ(Frame(Bytes({0x9F}), 3), Bytes({0xEF, 0x40, 0x14}));
}

TEST_F(ChipTest, SuspendResumeErase) {
  Program(0x2000, Bytes({0x5A}));
  WaitIdle();
  Erase4K(0);
  clock_.Advance(10ms);
  Frame(Bytes({0x75}));
  EXPECT_TRUE(chip_.suspended());
  EXPECT_FALSE(Sr1() & spi_nor::kStatusWip);
  EXPECT_EQ(Frame(Bytes({0x35}), 1)[0] & std::byte{0x80}, std::byte{0x80});  // SUS.
  EXPECT_EQ(Read(0x2000, 1), Bytes({0x5A}));  // Reads work while suspended.
  clock_.Advance(100ms);                      // Suspended time does not count.
  Frame(Bytes({0x7A}));
  EXPECT_TRUE(chip_.busy());
  clock_.Advance(34ms);
  EXPECT_TRUE(chip_.busy());
  clock_.Advance(1ms);
  EXPECT_FALSE(chip_.busy());
}

TEST_F(ChipTest, SampledAndMaximumTiming) {
  VirtualClock clock;
  SimulatedSpiNorChip slow(SmallTestPart(), clock,
                           {.timing = SimulatedChipOptions::Timing::kMaximum});
  SpiDeviceBus bus(slow);
  const std::byte wren[1] = {std::byte{0x06}};
  const std::byte erase[4] = {std::byte{0x20}, {}, {}, {}};
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(erase)}), Status::Ok());
  EXPECT_EQ(slow.last_op_duration(), 400ms);

  SimulatedSpiNorChip sampled(SmallTestPart(), clock,
                              {.timing = SimulatedChipOptions::Timing::kSampled, .seed = 9});
  SpiDeviceBus bus2(sampled);
  Clock::Duration lo = Clock::Duration::max();
  Clock::Duration hi{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(bus2.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
    ASSERT_EQ(bus2.Transfer(std::array{SpiSegment::Write(erase)}), Status::Ok());
    lo = std::min(lo, sampled.last_op_duration());
    hi = std::max(hi, sampled.last_op_duration());
    clock.Advance(1s);
    sampled.Sync();
  }
  EXPECT_GE(lo, 45ms);
  EXPECT_LE(hi, 400ms);
  EXPECT_GT(hi, lo);
}

TEST_F(ChipTest, WearPastEnduranceSlowsEraseAndLeavesStuckBits) {
  ChipModel m = SmallTestPart();
  m.wear = {.rated_erase_cycles = 10, .time_growth = 1.0, .stuck_bits_per_kcycle = 2000.0};
  VirtualClock clock;
  SimulatedSpiNorChip chip(m, clock);
  SpiDeviceBus bus(chip);
  const std::byte wren[1] = {std::byte{0x06}};
  const std::byte erase[4] = {std::byte{0x20}, {}, {}, {}};
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
    ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(erase)}), Status::Ok());
    clock.Advance(10s);
    chip.Sync();
  }
  EXPECT_EQ(chip.erase_counts()[0], 20u);
  // 20 cycles against a rating of 10: the 20th erase took 1 + 9/10 times typical.
  EXPECT_EQ(chip.last_op_duration(), std::chrono::microseconds(45000 * 19 / 10));
  size_t zero_bits = 0;
  for (std::byte b : chip.contents().first(4096))
    zero_bits += 8 - std::popcount(static_cast<uint8_t>(b));
  EXPECT_GT(zero_bits, 0u);  // Worn cells failed to erase.
  EXPECT_EQ(chip.erase_counts()[1], 0u);
}

TEST_F(ChipTest, CountsWireBytes) {
  chip_.ResetCounters();
  Read(0, 100);
  EXPECT_EQ(chip_.counters().wire_bytes, 4u + 1 + 100);
}

TEST_F(ChipTest, WireTimeIsChargedAtTheConfiguredClock) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(SmallTestPart(), clock, {.sck_hz = 8'000'000});
  SpiDeviceBus bus(chip);
  std::vector<std::byte> data(1000);
  const std::byte cmd[4] = {std::byte{0x03}, {}, {}, {}};
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(cmd), SpiSegment::Read(data)}), Status::Ok());
  EXPECT_EQ(clock.Now(), std::chrono::microseconds(1004));  // 1 us per byte at 8 MHz.
}

class BigChipTest : public ChipTest {
 protected:
  BigChipTest() : ChipTest(BigTestPart()) {}
};

TEST_F(BigChipTest, FourByteOpcodesAndMode) {
  const uint32_t high = 0x01234500;
  Wren();
  Frame(Bytes({0x12, 0x01, 0x23, 0x45, 0x00, 0xAB}));
  WaitIdle();
  EXPECT_EQ(Frame(Bytes({0x0C, 0x01, 0x23, 0x45, 0x00}), 1, 8), Bytes({0xAB}));
  // 3-byte READ only reaches the low 16 MiB: 0x234500 here.
  EXPECT_EQ(Frame(Bytes({0x03, 0x23, 0x45, 0x00}), 1), Bytes({0xFF}));
  Frame(Bytes({0xB7}));
  EXPECT_TRUE(chip_.in_4byte_mode());
  EXPECT_EQ(Frame(Bytes({0x03, 0x01, 0x23, 0x45, 0x00}), 1), Bytes({0xAB}));
  EXPECT_EQ(chip_.contents()[high], std::byte{0xAB});
  Frame(Bytes({0xE9}));
  EXPECT_FALSE(chip_.in_4byte_mode());
  // A power cycle returns to 3-byte mode.
  Frame(Bytes({0xB7}));
  chip_.PowerOff();
  chip_.PowerOn();
  EXPECT_FALSE(chip_.in_4byte_mode());
}

TEST(BigChipWrenTest, MicronStyleEnter4ByteNeedsWren) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BigTestPart(/*needs_wren=*/true), clock);
  SpiDeviceBus bus(chip);
  const std::byte en4b[1] = {std::byte{0xB7}};
  const std::byte wren[1] = {std::byte{0x06}};
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(en4b)}), Status::Ok());
  EXPECT_FALSE(chip.in_4byte_mode());
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(bus.Transfer(std::array{SpiSegment::Write(en4b)}), Status::Ok());
  EXPECT_TRUE(chip.in_4byte_mode());
  EXPECT_EQ(chip.status_register(0) & spi_nor::kStatusWel, 0);
}

TEST(ChipImageTest, SaveAndLoadImage) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(SmallTestPart(), clock);
  std::vector<std::byte> image(SmallTestPart().size_bytes, std::byte{0xFF});
  image[12345] = std::byte{0x42};
  ASSERT_EQ(chip.Restore(image), Status::Ok());
  const std::string path = ::testing::TempDir() + "/chip_image_test.bin";
  ASSERT_EQ(chip.SaveImage(path), Status::Ok());
  SimulatedSpiNorChip other(SmallTestPart(), clock);
  ASSERT_EQ(other.LoadImage(path), Status::Ok());
  EXPECT_EQ(other.contents()[12345], std::byte{0x42});
  EXPECT_EQ(other.LoadImage(path + ".missing"), Status::NotFound());
  EXPECT_EQ(other.Restore(std::span(image).first(10)), Status::InvalidArgument());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace flashrig::driver
