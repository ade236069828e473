// RamFlash: the conformance suite plus its own models (counters, faults, power cuts,
// tears, wear-out, strict mode, snapshots and image files).
#include "flashrig/driver/flash/ram_flash.h"

#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

#include <gtest/gtest.h>

#include "conformance/flash_conformance.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::Filled;
using flashrig::testing::RandomBytes;

constexpr uint32_t kSector = 4096;

class RamFlashUnderTest final : public flashrig::testing::FlashUnderTest {
 public:
  explicit RamFlashUnderTest(RamFlashOptions options) : flash_(options) {}
  Flash& flash() override { return flash_; }
  void PowerOff() override { flash_.PowerOff(); }
  void PowerOn() override { flash_.PowerOn(); }

 private:
  RamFlash flash_;
};

flashrig::testing::FlashBackend RamBackend(std::string name, RamFlashOptions options) {
  return {std::move(name), [options] { return std::make_unique<RamFlashUnderTest>(options); }};
}

using flashrig::testing::FlashConformance;

INSTANTIATE_TEST_SUITE_P(
    RamFlash, FlashConformance,
    ::testing::Values(
        RamBackend("Sectors4K", {.geometry = {.size_bytes = 32 * kSector,
                                              .erase_size_bytes = kSector}}),
        RamBackend("Sectors64KUnstableCells",
                   {.geometry = {.size_bytes = 8 * 65536, .erase_size_bytes = 65536},
                    .unstable_torn_cells = true})),
    flashrig::testing::FlashBackendName);

}  // namespace
}  // namespace flashrig::driver

namespace flashrig::driver {
namespace {

std::vector<std::byte> Read(RamFlash& flash, uint32_t address, size_t n) {
  std::vector<std::byte> out(n);
  EXPECT_EQ(flash.Read(address, out), Status::Ok());
  return out;
}

TEST(RamFlashTest, StartsErased) {
  RamFlash flash(kSector, 4);
  for (std::byte b : flash.contents()) ASSERT_EQ(b, std::byte{0xFF});
}

TEST(RamFlashTest, CountsOperationsBytesAndWear) {
  RamFlash flash(kSector, 4);
  ASSERT_EQ(flash.Erase(kSector, 2 * kSector), Status::Ok());
  ASSERT_EQ(flash.Program(10, Filled(20, 0)), Status::Ok());
  std::vector<std::byte> buf(7);
  ASSERT_EQ(flash.Read(0, buf), Status::Ok());
  EXPECT_EQ(flash.Read(4 * kSector, buf), Status::OutOfRange());  // not counted
  const auto& c = flash.counters();
  EXPECT_EQ(c.erase_ops, 1u);
  EXPECT_EQ(c.bytes_erased, 2 * kSector);
  EXPECT_EQ(c.program_ops, 1u);
  EXPECT_EQ(c.bytes_programmed, 20u);
  EXPECT_EQ(c.read_ops, 1u);
  EXPECT_EQ(c.bytes_read, 7u);
  EXPECT_EQ(flash.erase_count(0), 0u);
  EXPECT_EQ(flash.erase_count(1), 1u);
  EXPECT_EQ(flash.erase_count(2), 1u);
  EXPECT_EQ(flash.mutating_ops(), 2u);
  flash.ResetCounters();
  EXPECT_EQ(flash.counters().erase_ops, 0u);
  EXPECT_EQ(flash.erase_count(1), 0u);
}

TEST(RamFlashTest, FaultRuleMatchesRangeSkipsAndExpires) {
  RamFlash flash(kSector, 4);
  flash.AddFault({.ops = static_cast<FlashOpMask>(FlashOp::kProgram),
                  .begin = kSector,
                  .end = 2 * kSector,
                  .status = Status::DeadlineExceeded(),
                  .skip = 1,
                  .times = 2});
  EXPECT_EQ(flash.Program(0, Bytes({0x00})), Status::Ok());            // outside range
  EXPECT_EQ(flash.Program(kSector, Bytes({0x7F})), Status::Ok());      // skipped
  EXPECT_EQ(flash.Program(kSector + 1, Bytes({0x00})), Status::DeadlineExceeded());
  EXPECT_EQ(flash.Program(kSector - 1, Bytes({0, 0})), Status::DeadlineExceeded());  // overlaps
  EXPECT_EQ(flash.Program(kSector + 2, Bytes({0x00})), Status::Ok());  // expired
  std::vector<std::byte> b(1);
  EXPECT_EQ(flash.Read(kSector + 1, b), Status::Ok());                 // reads not matched
  EXPECT_EQ(b[0], std::byte{0xFF});  // the failed program applied nothing
  EXPECT_EQ(flash.faults().fired(0), 2u);
}

TEST(RamFlashTest, ForeverFaultKeepsFiring) {
  RamFlash flash(kSector, 2);
  flash.AddFault({.ops = kAllOps, .status = Status::Unavailable(),
                  .times = FaultRule::kForever});
  std::vector<std::byte> b(1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(flash.Read(0, b), Status::Unavailable());
  flash.ClearFaults();
  EXPECT_EQ(flash.Read(0, b), Status::Ok());
}

TEST(RamFlashTest, PowerCutNotAppliedLeavesOldDataAndStaysOff) {
  RamFlash flash(kSector, 2);
  ASSERT_EQ(flash.Program(0, Bytes({0x0F})), Status::Ok());
  flash.SchedulePowerCut({.at_mutating_op = 2, .effect = PowerCutEffect::kNotApplied});
  EXPECT_EQ(flash.Program(1, Bytes({0x01})), Status::Ok());
  EXPECT_EQ(flash.Program(2, Bytes({0x02})), Status::Unavailable());
  EXPECT_FALSE(flash.powered());
  EXPECT_EQ(flash.power_cuts(), 1u);
  std::vector<std::byte> b(1);
  EXPECT_EQ(flash.Read(0, b), Status::Unavailable());
  EXPECT_EQ(flash.Erase(0, kSector), Status::Unavailable());
  flash.PowerOn();
  EXPECT_EQ(Read(flash, 0, 3), Bytes({0x0F, 0x01, 0xFF}));
  // The plan fired once and is gone.
  EXPECT_EQ(flash.Program(2, Bytes({0x02})), Status::Ok());
}

TEST(RamFlashTest, PowerCutAppliedCompletesButReportsUnavailable) {
  RamFlash flash(kSector, 2);
  flash.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kApplied});
  EXPECT_EQ(flash.Program(0, Bytes({0x12, 0x34})), Status::Unavailable());
  flash.PowerOn();
  EXPECT_EQ(Read(flash, 0, 2), Bytes({0x12, 0x34}));
}

TEST(RamFlashTest, PowerCutByBytesAppliesThePrefix) {
  RamFlash flash(kSector, 2);
  ASSERT_EQ(flash.Program(0, Filled(4, 0x00)), Status::Ok());
  flash.SchedulePowerCut({.after_bytes = 6, .effect = PowerCutEffect::kNotApplied});
  EXPECT_EQ(flash.Program(100, Filled(4, 0x11)), Status::Ok());
  EXPECT_EQ(flash.Program(200, Filled(4, 0x22)), Status::Unavailable());
  flash.PowerOn();
  EXPECT_EQ(Read(flash, 200, 4), Bytes({0x22, 0x22, 0xFF, 0xFF}));
}

TEST(RamFlashTest, TornProgramClearsASeededSubsetOfBits) {
  FLASHRIG_SEEDED(seed, 7);
  auto torn_image = [seed] {
    RamFlash flash(kSector, 2);
    flash.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kTorn, .seed = seed});
    EXPECT_EQ(flash.Program(0, Filled(256, 0x00)), Status::Unavailable());
    flash.PowerOn();
    return Read(flash, 0, 256);
  };
  const auto a = torn_image();
  EXPECT_EQ(a, torn_image()) << "same seed must give the same tear";
  int zeros = 0, ones = 0;
  for (std::byte b : a) {
    for (int bit = 0; bit < 8; ++bit) (static_cast<uint8_t>(b) >> bit & 1) ? ++ones : ++zeros;
  }
  // Roughly half the bits: a tear is neither "nothing" nor "everything".
  EXPECT_GT(zeros, 256 * 8 / 4);
  EXPECT_GT(ones, 256 * 8 / 4);
}

TEST(RamFlashTest, TornProgramNeverSetsBits) {
  FLASHRIG_SEEDED(seed, 11);
  RamFlash flash(kSector, 2);
  SeededRandom rng(seed);
  const auto before = RandomBytes(64, rng);
  ASSERT_EQ(flash.Program(0, before), Status::Ok());
  flash.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kTorn, .seed = seed});
  EXPECT_EQ(flash.Program(0, RandomBytes(64, rng)), Status::Unavailable());
  flash.PowerOn();
  const auto after = Read(flash, 0, 64);
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ(after[i] & ~before[i], std::byte{0}) << i;
}

TEST(RamFlashTest, TornEraseLeavesOnlyTheCutSectorDamaged) {
  FLASHRIG_SEEDED(seed, 3);
  RamFlash flash(kSector, 4);
  ASSERT_EQ(flash.Program(0, Filled(4 * kSector, 0x00)), Status::Ok());
  // Cut at byte 1.5 sectors into a 3-sector erase: sector 0 done, sector 1 torn,
  // sector 2 untouched.
  flash.SchedulePowerCut(
      {.after_bytes = kSector + kSector / 2, .effect = PowerCutEffect::kTorn, .seed = seed});
  EXPECT_EQ(flash.Erase(0, 3 * kSector), Status::Unavailable());
  flash.PowerOn();
  const auto s0 = Read(flash, 0, kSector);
  const auto s1 = Read(flash, kSector, kSector);
  const auto s2 = Read(flash, 2 * kSector, kSector);
  EXPECT_EQ(s0, Filled(kSector, 0xFF));
  EXPECT_NE(s1, Filled(kSector, 0xFF));
  EXPECT_NE(s1, Filled(kSector, 0x00));
  EXPECT_EQ(s2, Filled(kSector, 0x00));
}

TEST(RamFlashTest, UnstableTornCellsReadDifferentlyUntilErased) {
  FLASHRIG_SEEDED(seed, 5);
  RamFlash flash({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
                  .unstable_torn_cells = true,
                  .seed = seed});
  flash.SchedulePowerCut({.at_mutating_op = 1, .effect = PowerCutEffect::kTorn, .seed = seed});
  EXPECT_EQ(flash.Program(0, Filled(128, 0x00)), Status::Unavailable());
  flash.PowerOn();
  const auto first = Read(flash, 0, 128);
  bool differed = false;
  for (int i = 0; i < 8 && !differed; ++i) differed = Read(flash, 0, 128) != first;
  EXPECT_TRUE(differed);
  // Programming the cells to 0 makes them stable; so does an erase.
  ASSERT_EQ(flash.Program(0, Filled(64, 0x00)), Status::Ok());
  EXPECT_EQ(Read(flash, 0, 64), Filled(64, 0x00));
  ASSERT_EQ(flash.Erase(0, kSector), Status::Ok());
  EXPECT_EQ(Read(flash, 0, 128), Filled(128, 0xFF));
  EXPECT_EQ(Read(flash, 0, 128), Filled(128, 0xFF));
}

TEST(RamFlashTest, StrictModeRejectsSettingBits) {
  RamFlash flash({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
                  .strict = true});
  ASSERT_EQ(flash.Program(0, Bytes({0xF0})), Status::Ok());
  EXPECT_EQ(flash.Program(0, Bytes({0x0F})), Status::FailedPrecondition());
  EXPECT_EQ(Read(flash, 0, 1), Bytes({0xF0}));
  EXPECT_EQ(flash.Program(0, Bytes({0x70})), Status::Ok());  // clearing is fine
}

TEST(RamFlashTest, WearOutEraseErrorAfterRatedCycles) {
  RamFlash flash({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
                  .rated_erase_cycles = 3,
                  .wear_out_mode = WearOutMode::kEraseError});
  for (int i = 0; i < 3; ++i) ASSERT_EQ(flash.Erase(0, kSector), Status::Ok());
  EXPECT_EQ(flash.Erase(0, kSector), Status::DataLoss());
  EXPECT_EQ(flash.Erase(kSector, kSector), Status::Ok());  // other sector still fine
  EXPECT_EQ(flash.erase_count(0), 3u);
}

TEST(RamFlashTest, WearOutProgramAndReadErrors) {
  RamFlash p({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
              .rated_erase_cycles = 1,
              .wear_out_mode = WearOutMode::kProgramError});
  ASSERT_EQ(p.Erase(0, kSector), Status::Ok());
  EXPECT_EQ(p.Program(0, Bytes({0})), Status::DataLoss());
  EXPECT_EQ(p.Program(kSector, Bytes({0})), Status::Ok());
  RamFlash r({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
              .rated_erase_cycles = 1,
              .wear_out_mode = WearOutMode::kReadError});
  ASSERT_EQ(r.Erase(0, kSector), Status::Ok());
  std::vector<std::byte> b(4);
  EXPECT_EQ(r.Read(0, b), Status::DataLoss());
}

TEST(RamFlashTest, WearOutSilentEraseLeavesZeroBits) {
  RamFlash flash({.geometry = {.size_bytes = 2 * kSector, .erase_size_bytes = kSector},
                  .rated_erase_cycles = 1,
                  .wear_out_mode = WearOutMode::kSilentErase});
  ASSERT_EQ(flash.Erase(0, kSector), Status::Ok());
  EXPECT_EQ(Read(flash, 0, kSector), Filled(kSector, 0xFF));
  ASSERT_EQ(flash.Erase(0, kSector), Status::Ok());  // reports ok ...
  EXPECT_NE(Read(flash, 0, kSector), Filled(kSector, 0xFF));  // ... but is not erased
}

TEST(RamFlashTest, SnapshotAndRestore) {
  RamFlash flash(kSector, 2);
  ASSERT_EQ(flash.Program(0, Bytes({1, 2, 3})), Status::Ok());
  const auto snap = flash.Snapshot();
  ASSERT_EQ(flash.Erase(0, kSector), Status::Ok());
  ASSERT_EQ(flash.Restore(snap), Status::Ok());
  EXPECT_EQ(Read(flash, 0, 3), Bytes({1, 2, 3}));
  EXPECT_EQ(flash.Restore(Filled(10, 0)), Status::InvalidArgument());
}

TEST(RamFlashTest, SaveAndLoadImageFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("flashrig_ram_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "image.bin").string();
  RamFlash a(kSector, 2);
  ASSERT_EQ(a.Program(kSector + 5, Bytes({0xAB, 0xCD})), Status::Ok());
  ASSERT_EQ(a.SaveImage(path), Status::Ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  RamFlash b(kSector, 2);
  ASSERT_EQ(b.LoadImage(path), Status::Ok());
  EXPECT_EQ(Read(b, kSector + 5, 2), Bytes({0xAB, 0xCD}));
  RamFlash wrong_size(kSector, 3);
  EXPECT_EQ(wrong_size.LoadImage(path), Status::InvalidArgument());
  EXPECT_EQ(b.LoadImage((dir / "missing.bin").string()), Status::NotFound());
  EXPECT_EQ(a.SaveImage((dir / "no_such_dir" / "x.bin").string()), Status::Unavailable());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flashrig::driver
