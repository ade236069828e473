// SpiNorFlash over the simulated chip (through a RecordingSpiBus): byte-exact command
// sequences, probe sources and failures, deadlines, protection, 4-byte addressing,
// reset, verify options, busy-time capture and power loss.
#include "flashrig/driver/spinor/spi_nor_flash.h"

#include <gtest/gtest.h>

#include "conformance/flash_conformance.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "testing/bytes.h"
#include "testing/recording_spi_bus.h"
#include "testing/test_chip_models.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::BigTestPart;
using flashrig::testing::Bytes;
using flashrig::testing::Filled;
using flashrig::testing::RecordingSpiBus;
using flashrig::testing::SmallTestPart;
using namespace std::chrono_literals;

// A bus that can be "unplugged": then every read returns `fill` and nothing reaches the
// chip (a bus with a pull-down or pull-up and no chip).
class PluggableBus final : public SpiBus {
 public:
  explicit PluggableBus(SpiBus& inner) : inner_(inner) {}
  void Unplug(std::byte fill) {
    plugged_ = false;
    fill_ = fill;
  }
  // Corrupts the SFDP byte at this address in every SFDP answer (5Ah reads); -1 = off.
  int corrupt_sfdp_offset = -1;

 private:
  Status DoTransfer(std::span<const SpiSegment> segments) override {
    if (!plugged_) {
      for (const auto& s : segments) {
        if (s.kind == SpiSegment::Kind::kRead) std::fill(s.read.begin(), s.read.end(), fill_);
      }
      return Status::Ok();
    }
    Status st = inner_.Transfer(segments);
    if (corrupt_sfdp_offset >= 0 && segments[0].write[0] == std::byte{0x5A}) {
      const auto& out = segments.back().read;
      const auto& cmd = segments[0].write;
      const int address =
          static_cast<int>(cmd[1]) << 16 | static_cast<int>(cmd[2]) << 8 | static_cast<int>(cmd[3]);
      const int index = corrupt_sfdp_offset - address;
      if (index >= 0 && static_cast<size_t>(index) < out.size()) out[index] ^= std::byte{0xFF};
    }
    return st;
  }
  Status DoSetControlLine(SpiControlLine line, bool high) override {
    return inner_.SetControlLine(line, high);
  }
  SpiBus& inner_;
  bool plugged_ = true;
  std::byte fill_{0xFF};
};

class SpiNorFlashTest : public ::testing::Test {
 protected:
  explicit SpiNorFlashTest(ChipModel model = SmallTestPart())
      : model_(model),
        chip_(model, clock_),
        device_bus_(chip_),
        plug_(device_bus_),
        bus_(&plug_),
        database_({model}) {}

  std::unique_ptr<SpiNorFlash> Probe(const SpiNorOptions& options = {},
                                     const PartDatabase* database = nullptr) {
    auto flash =
        SpiNorFlash::Probe(bus_, clock_, database ? database : &database_, options, &info_);
    EXPECT_TRUE(flash.ok()) << flash.status();
    bus_.Clear();
    return flash.ok() ? std::move(*flash) : nullptr;
  }
  std::vector<std::byte> ReadBack(Flash& f, uint32_t address, size_t n) {
    std::vector<std::byte> out(n);
    EXPECT_EQ(f.Read(address, out), Status::Ok());
    return out;
  }

  ChipModel model_;
  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  SpiDeviceBus device_bus_;
  PluggableBus plug_;
  RecordingSpiBus bus_;
  PartDatabase database_;
  ProbeInfo info_;
};

TEST_F(SpiNorFlashTest, ProbeSequenceAndResult) {
  auto flash = SpiNorFlash::Probe(bus_, clock_, &database_, {}, &info_);
  ASSERT_TRUE(flash.ok());
  EXPECT_EQ(bus_.Summary(), (std::vector<std::string>{
                                "AB",                      // Release from deep power-down.
                                "9F | <3",                 // JEDEC ID.
                                "5A 00 00 00 | ~8 | <8",   // SFDP header...
                                "5A 00 00 08 | ~8 | <8",   // ...parameter headers...
                                "5A 00 00 10 | ~8 | <64",  // ...the rest, through the BFPT.
                                "05 | <1",                 // Not busy from before.
                                "05 | <1",                 // Block protection.
                            }));
  EXPECT_EQ(info_.jedec_id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x14}));
  EXPECT_EQ(info_.source, ParamSource::kSfdp);
  ASSERT_TRUE(info_.part.has_value());
  EXPECT_EQ(info_.part->name, "TEST1M");
  const auto& g = (*flash)->geometry();
  EXPECT_EQ(g.size_bytes, 1u << 20);
  EXPECT_EQ(g.erase_size_bytes, 4096u);
  EXPECT_EQ(g.program_page_bytes, 256u);
  EXPECT_EQ((*flash)->params().erase_ops.size(), 3u);
  EXPECT_EQ((*flash)->params().addressing, Addressing::k3Byte);
}

TEST_F(SpiNorFlashTest, ProgramIsWrenConfirmPagePollExactly) {
  auto flash = Probe();
  ASSERT_EQ(flash->Program(0x100, Bytes({0x11, 0x22, 0x33, 0x44})), Status::Ok());
  const auto log = bus_.Summary();
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[0], "06");
  EXPECT_EQ(log[1], "05 | <1");
  EXPECT_EQ(log[2], "02 00 01 00 | 11 22 33 44");
  for (size_t i = 3; i < log.size(); ++i) EXPECT_EQ(log[i], "05 | <1");
  // The last poll saw WIP clear, the ones before saw it set.
  EXPECT_EQ(bus_.log().back().segments[1].bytes, Bytes({0x00}));
  EXPECT_EQ(bus_.log()[3].segments[1].bytes, Bytes({0x03}));
  // 4 bytes take 1/16 of the 400 us page time = 25 us; polls every 448/64 = 7 us
  // (SFDP encodes 400 us as 7 x 64 us): busy at 0, 7, 14, 21 us, clear at 28 us.
  EXPECT_EQ(log.size() - 3, 5u);
  EXPECT_EQ(ReadBack(*flash, 0x100, 4), Bytes({0x11, 0x22, 0x33, 0x44}));
}

TEST_F(SpiNorFlashTest, ProgramSplitsAtPageBoundaries) {
  auto flash = Probe();
  ASSERT_EQ(flash->Program(0x1F0, Filled(0x120, 0x00)), Status::Ok());
  std::vector<std::string> programs;
  for (const auto& t : bus_.log()) {
    if (t.segments[0].bytes[0] == std::byte{0x02}) {
      programs.push_back(
          RecordingSpiBus::Format({.segments = {t.segments[0]}, .result = t.result}) + " +" +
          std::to_string(t.segments[1].bytes.size()));
    }
  }
  EXPECT_EQ(programs,
            (std::vector<std::string>{"02 00 01 F0 +16", "02 00 02 00 +256", "02 00 03 00 +16"}));
}

TEST_F(SpiNorFlashTest, EraseUsesLargestFittingType) {
  auto flash = Probe();
  ASSERT_EQ(flash->Erase(0xF000, 0x1000 + 0x10000 + 0x9000), Status::Ok());
  std::vector<std::string> erases;
  for (const auto& t : bus_.log()) {
    const auto op = t.segments[0].bytes[0];
    if (op == std::byte{0x20} || op == std::byte{0x52} || op == std::byte{0xD8}) {
      erases.push_back(RecordingSpiBus::Format(t));
    }
  }
  // 4K up to the 64K boundary, one 64K, then 32K and 4K for the 36K tail.
  EXPECT_EQ(erases,
            (std::vector<std::string>{"20 00 F0 00", "D8 01 00 00", "52 02 00 00", "20 02 80 00"}));
}

TEST_F(SpiNorFlashTest, ReadsUseFastReadInChunks) {
  auto flash = Probe({.read_chunk_bytes = 4096});
  std::vector<std::byte> out(4096 * 2 + 10);
  ASSERT_EQ(flash->Read(0x20, out), Status::Ok());
  EXPECT_EQ(bus_.Summary(),
            (std::vector<std::string>{"0B 00 00 20 | ~8 | <4096", "0B 00 10 20 | ~8 | <4096",
                                      "0B 00 20 20 | ~8 | <10"}));
}

TEST_F(SpiNorFlashTest, NoChipIsNotFound) {
  for (std::byte fill : {std::byte{0xFF}, std::byte{0x00}}) {
    RecordingSpiBus empty(nullptr, fill);
    ProbeInfo info;
    auto flash = SpiNorFlash::Probe(empty, clock_, &database_, {}, &info);
    EXPECT_EQ(flash.status(), Status::NotFound());
    EXPECT_TRUE(IsNoChipId(info.jedec_id));
  }
}

TEST_F(SpiNorFlashTest, CorruptSfdpFallsBackToDatabase) {
  plug_.corrupt_sfdp_offset = 0;  // Signature byte.
  auto flash = Probe();
  ASSERT_NE(flash, nullptr);
  EXPECT_EQ(info_.source, ParamSource::kDatabase);
  EXPECT_EQ(info_.sfdp_status, Status::NotFound());
  EXPECT_EQ(info_.sfdp_error.rfind("no SFDP signature at byte 0", 0), 0u) << info_.sfdp_error;
  EXPECT_EQ(flash->geometry().size_bytes, 1u << 20);
  // Times come from the database now: exact typical values.
  EXPECT_EQ(flash->params().program_typical_us, 400u);
}

TEST_F(SpiNorFlashTest, BadBfptFallsBackAndUnknownPartIsNotFound) {
  plug_.corrupt_sfdp_offset = 0x17;  // Top byte of the BFPT density DWORD.
  ASSERT_NE(Probe(), nullptr);
  EXPECT_EQ(info_.source, ParamSource::kDatabase);
  EXPECT_EQ(info_.sfdp_status, Status::DataLoss());
  PartDatabase empty;
  auto flash = SpiNorFlash::Probe(bus_, clock_, &empty, {}, &info_);
  EXPECT_EQ(flash.status(), Status::NotFound());
}

TEST_F(SpiNorFlashTest, SfdpWithoutDatabaseEntryStillWorks) {
  PartDatabase empty;
  auto flash = Probe({}, &empty);
  ASSERT_NE(flash, nullptr);
  EXPECT_EQ(info_.source, ParamSource::kSfdp);
  EXPECT_FALSE(info_.part.has_value());
  ASSERT_EQ(flash->Program(0, Bytes({0x5A})), Status::Ok());
  EXPECT_EQ(ReadBack(*flash, 0, 1), Bytes({0x5A}));
}

TEST_F(SpiNorFlashTest, HungProgramTimesOutWithinTheDeadline) {
  auto flash = Probe();
  chip_.SetOperationsHang(true);
  const auto start = clock_.Now();
  EXPECT_EQ(flash->Program(0, Bytes({0x00})), Status::DeadlineExceeded());
  const auto waited = clock_.Now() - start;
  // SFDP max program time: 7 x 64 us x 2 x (3 + 1) = 3584 us; x 1.5 + 10 ms slack.
  EXPECT_GE(waited, 3584us * 3 / 2 + 10ms);
  EXPECT_LT(waited, 3584us * 3 / 2 + 10ms + 100us);
  EXPECT_LT(bus_.log().size(), 3000u);
  EXPECT_EQ(flash->busy_log().records().back().result, Status::DeadlineExceeded());
}

TEST_F(SpiNorFlashTest, ChipStuckBusyTimesOutAtTheLongestOperation) {
  auto flash = Probe();
  chip_.SetStuckBusy(true);  // WIP never clears; WREN is ignored.
  const auto start = clock_.Now();
  EXPECT_EQ(flash->Program(0, Bytes({0x00})), Status::DeadlineExceeded());
  const auto deadline = std::chrono::microseconds(flash->params().chip_erase_max_us) * 3 / 2 + 10ms;
  EXPECT_GE(clock_.Now() - start, deadline);
  EXPECT_LT(clock_.Now() - start, deadline + 1s);
  EXPECT_LT(bus_.log().size(), 3000u);
}

TEST_F(SpiNorFlashTest, GlobalCapBoundsEveryWait) {
  auto capped = Probe({.max_wait = 50ms});
  chip_.SetOperationsHang(true);
  const auto t0 = clock_.Now();
  EXPECT_EQ(capped->EraseChip(), Status::DeadlineExceeded());
  EXPECT_LE(clock_.Now() - t0, 51ms);
}

TEST_F(SpiNorFlashTest, ProtectedRangesAreRefusedUntilUnlocked) {
  chip_.SetStatusRegister(0, EncodeBpValue(model_, 2, false));  // Top 32 KiB.
  auto flash = Probe();
  auto p = flash->ReadProtection();
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->layout_known);
  EXPECT_EQ(p->range.begin, (1u << 20) - 32768);
  EXPECT_EQ(p->range.end, 1u << 20);
  bus_.Clear();
  EXPECT_EQ(flash->Program((1u << 20) - 1, Bytes({0x00})), Status::PermissionDenied());
  EXPECT_EQ(flash->Erase((1u << 20) - 65536, 65536), Status::PermissionDenied());
  EXPECT_EQ(flash->EraseChip(), Status::PermissionDenied());
  EXPECT_TRUE(bus_.log().empty());                            // Refused before touching the chip.
  EXPECT_EQ(flash->Program(0, Bytes({0x00})), Status::Ok());  // Outside: fine.
  bus_.Clear();
  ASSERT_EQ(flash->Unlock(), Status::Ok());
  EXPECT_EQ(bus_.Summary()[0], "05 | <1");
  EXPECT_EQ(bus_.Summary()[1], "06");
  EXPECT_EQ(bus_.Summary()[3], "01 00");
  EXPECT_EQ(chip_.status_register(0), 0);
  EXPECT_EQ(flash->Program((1u << 20) - 1, Bytes({0x00})), Status::Ok());
}

TEST_F(SpiNorFlashTest, UnlockRefusedBySrpAndWriteProtectPin) {
  chip_.SetStatusRegister(0, EncodeBpValue(model_, 1, false) | 0x80);
  ASSERT_EQ(chip_.SetControlLine(SpiControlLine::kWriteProtect, false), Status::Ok());
  auto flash = Probe();
  EXPECT_TRUE(flash->ReadProtection()->status_register_protected);
  EXPECT_EQ(flash->Unlock(), Status::PermissionDenied());
  ASSERT_EQ(bus_.SetControlLine(SpiControlLine::kWriteProtect, true), Status::Ok());
  EXPECT_EQ(flash->Unlock(), Status::Ok());
  EXPECT_TRUE(flash->ReadProtection()->range.empty());
}

TEST_F(SpiNorFlashTest, VerifyAfterWriteCatchesASilentlyIgnoredProgram) {
  auto plain = Probe();
  auto verifying = Probe({.verify_after_write = true});
  // Protection set behind the drivers' backs: the chip ignores programs silently.
  chip_.SetStatusRegister(0, EncodeBpValue(model_, 7, false));
  EXPECT_EQ(plain->Program(0, Bytes({0x00})), Status::Ok());
  EXPECT_EQ(verifying->Program(0, Bytes({0x00})), Status::DataLoss());
}

TEST_F(SpiNorFlashTest, VerifyAfterEraseCatchesWornCells) {
  ChipModel worn = SmallTestPart();
  worn.wear = {.rated_erase_cycles = 1, .time_growth = 0, .stuck_bits_per_kcycle = 1e6};
  VirtualClock clock;
  SimulatedSpiNorChip chip(worn, clock);
  SpiDeviceBus bus(chip);
  PartDatabase db({worn});
  auto flash = SpiNorFlash::Probe(bus, clock, &db, {.verify_after_erase = true});
  ASSERT_TRUE(flash.ok());
  EXPECT_EQ((*flash)->Erase(0, 4096), Status::Ok());        // First erase: within rating.
  EXPECT_EQ((*flash)->Erase(0, 4096), Status::DataLoss());  // Past it: bits stuck at 0.
}

TEST_F(SpiNorFlashTest, BusyLogMatchesTheModel) {
  auto flash = Probe();
  ASSERT_EQ(flash->Erase(0, 4096), Status::Ok());
  ASSERT_EQ(flash->Program(0, Filled(256, 0x00)), Status::Ok());
  const auto& records = flash->busy_log().records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, BusyKind::kErase);
  EXPECT_EQ(records[0].size_bytes, 4096u);
  // Resolution is one poll interval: typical / 64.
  EXPECT_GE(records[0].busy, 45ms);
  EXPECT_LE(records[0].busy, 45ms + 48ms / 64);
  EXPECT_EQ(records[1].kind, BusyKind::kProgram);
  EXPECT_GE(records[1].busy, chip_.last_op_duration());
  EXPECT_LE(records[1].busy, chip_.last_op_duration() + 7us);
  EXPECT_GT(records[1].polls, 1u);
  EXPECT_EQ(flash->busy_log().stats(BusyKind::kErase).count, 1u);
}

// Stands for a USB bridge: forwards to the chip and reports that a read costs a round trip.
class RoundTripBus final : public SpiBus {
 public:
  explicit RoundTripBus(SpiBus& inner) : inner_(inner) {}
  Clock::Duration round_trip_cost() const override { return 125us; }

 private:
  Status DoTransfer(std::span<const SpiSegment> segments) override {
    return inner_.Transfer(segments);
  }
  SpiBus& inner_;
};

TEST_F(SpiNorFlashTest, OverARoundTripBusTheFirstPollWaitsForTheTypicalTime) {
  RoundTripBus usb(bus_);
  auto probed = SpiNorFlash::Probe(usb, clock_, &database_, {}, &info_);
  ASSERT_TRUE(probed.ok());
  auto& flash = **probed;
  bus_.Clear();
  // A full page takes the typical 448 us (as SFDP encodes 400 us): one poll, no early ones.
  ASSERT_EQ(flash.Program(0, Filled(256, 0x00)), Status::Ok());
  EXPECT_EQ(bus_.Summary().size(), 4u);  // WREN, WEL check, PP, one poll.
  EXPECT_EQ(flash.busy_log().records().back().polls, 1u);
  // Asked explicitly, the driver polls at once even over a costly bus.
  SpiNorOptions immediate;
  immediate.first_poll = SpiNorOptions::FirstPoll::kImmediately;
  auto eager = SpiNorFlash::Probe(usb, clock_, &database_, immediate, &info_);
  ASSERT_TRUE(eager.ok());
  ASSERT_EQ((*eager)->Program(256, Filled(256, 0x00)), Status::Ok());
  EXPECT_GT((*eager)->busy_log().records().back().polls, 10u);
}

TEST_F(SpiNorFlashTest, LearnedFirstPollTracksTheHitRateAndFollowsAFastChipDown) {
  RoundTripBus usb(bus_);
  SimulatedSpiNorChip sampled(model_, clock_, {.timing = SimulatedChipOptions::Timing::kSampled});
  SpiDeviceBus sampled_bus(sampled);
  RoundTripBus sampled_usb(sampled_bus);
  auto probed = SpiNorFlash::Probe(sampled_usb, clock_, &database_, {});
  ASSERT_TRUE(probed.ok());
  auto& flash = **probed;
  // Chip times spread from typical towards the maximum: after learning, about 90 % of
  // page programs are ready at the first poll.
  constexpr int kPages = 400;
  for (int i = 0; i < kPages; ++i) {
    const uint32_t address = static_cast<uint32_t>(i % 2048) * 256;
    if (address % 4096 == 0) {
      ASSERT_EQ(flash.Erase(address, 4096), Status::Ok());
    }
    ASSERT_EQ(flash.Program(address, Filled(256, 0x00)), Status::Ok());
  }
  int hits = 0;
  int counted = 0;
  for (const BusyRecord& r : flash.busy_log().records()) {
    if (r.kind != BusyKind::kProgram) continue;
    if (++counted <= 100) continue;  // Learning phase.
    hits += r.polls == 1 ? 1 : 0;
  }
  ASSERT_EQ(counted, kPages);
  const double hit_rate = static_cast<double>(hits) / (kPages - 100);
  EXPECT_GT(hit_rate, 0.8);
  EXPECT_LT(hit_rate, 0.98);

  // A 4-byte program finishes in 1/16 of the typical time: the first poll moves down
  // from 448 us towards that instead of waiting the typical time forever.
  auto fast = SpiNorFlash::Probe(usb, clock_, &database_, {});
  ASSERT_TRUE(fast.ok());
  ASSERT_EQ((*fast)->Erase(0, 65536), Status::Ok());
  for (uint32_t i = 0; i < 1000; ++i) {
    ASSERT_EQ((*fast)->Program(i * 4, Filled(4, 0x00)), Status::Ok());
  }
  EXPECT_LT((*fast)->busy_log().records().back().busy, 100us);
}

TEST_F(SpiNorFlashTest, PowerLossMidProgramIsUnavailableThenRecovers) {
  auto flash = Probe();
  chip_.SchedulePowerCut({.at_mutating_op = 1, .op_progress_permille = 300});
  EXPECT_EQ(flash->Program(0, Filled(256, 0x00)), Status::Unavailable());
  std::vector<std::byte> buf(4);
  EXPECT_EQ(flash->Read(0, buf), Status::Unavailable());
  chip_.PowerOn();
  EXPECT_EQ(flash->Read(0, buf), Status::Ok());
}

TEST_F(SpiNorFlashTest, UnpluggedBusReadingZerosFailsAtWriteEnable) {
  auto flash = Probe();
  plug_.Unplug(std::byte{0x00});
  EXPECT_EQ(flash->Program(0, Bytes({0x00})), Status::Unavailable());
  EXPECT_EQ(flash->Erase(0, 4096), Status::Unavailable());
}

TEST_F(SpiNorFlashTest, SoftwareResetIsResetEnableThenReset) {
  auto flash = Probe();
  ASSERT_EQ(flash->SoftwareReset(), Status::Ok());
  EXPECT_EQ(bus_.Summary(), (std::vector<std::string>{"66", "99"}));
}

class BigSpiNorFlashTest : public SpiNorFlashTest {
 protected:
  BigSpiNorFlashTest() : SpiNorFlashTest(BigTestPart()) {}
};

TEST_F(BigSpiNorFlashTest, UsesFourByteOpcodesAboveSixteenMiB) {
  auto flash = Probe();
  EXPECT_EQ(flash->params().addressing, Addressing::k4ByteOpcodes);
  ASSERT_EQ(flash->Erase(0x01230000, 4096), Status::Ok());
  ASSERT_EQ(flash->Program(0x01234500, Bytes({0xAB})), Status::Ok());
  std::vector<std::byte> out(1);
  ASSERT_EQ(flash->Read(0x01234500, out), Status::Ok());
  EXPECT_EQ(out, Bytes({0xAB}));
  const auto log = bus_.Summary();
  EXPECT_NE(std::find(log.begin(), log.end(), "21 01 23 00 00"), log.end());
  EXPECT_NE(std::find(log.begin(), log.end(), "12 01 23 45 00 | AB"), log.end());
  EXPECT_EQ(log.back(), "0C 01 23 45 00 | ~8 | <1");
  EXPECT_EQ(chip_.contents()[0x01234500], std::byte{0xAB});
}

TEST_F(BigSpiNorFlashTest, EntersFourByteModeWhenAskedOrWhenNoOpcodes) {
  auto flash = Probe({.prefer_4byte_opcodes = false});
  EXPECT_EQ(flash->params().addressing, Addressing::kEnter4Byte);
  ASSERT_EQ(flash->Program(0x01000000, Bytes({0x42})), Status::Ok());
  const auto log = bus_.Summary();
  EXPECT_EQ(log[0], "B7");
  EXPECT_EQ(log[3], "02 01 00 00 00 | 42");
  EXPECT_EQ(chip_.contents()[0x01000000], std::byte{0x42});
  // After a power cycle the chip is back in 3-byte mode; the driver re-enters each time.
  chip_.PowerOff();
  chip_.PowerOn();
  std::vector<std::byte> out(1);
  ASSERT_EQ(flash->Read(0x01000000, out), Status::Ok());
  EXPECT_EQ(out, Bytes({0x42}));
}

TEST(MicronStyleTest, EnterFourByteModeWithWriteEnable) {
  const ChipModel m = BigTestPart(/*needs_wren=*/true, /*opcodes=*/false);
  VirtualClock clock;
  SimulatedSpiNorChip chip(m, clock);
  SpiDeviceBus device(chip);
  RecordingSpiBus bus(&device);
  PartDatabase db({m});
  auto flash = SpiNorFlash::Probe(bus, clock, &db);
  ASSERT_TRUE(flash.ok());
  EXPECT_EQ((*flash)->params().addressing, Addressing::kEnter4ByteWithWren);
  bus.Clear();
  ASSERT_EQ((*flash)->Program(0x01FFFF00, Bytes({0x24})), Status::Ok());
  const auto log = bus.Summary();
  EXPECT_EQ(log[0], "06");
  EXPECT_EQ(log[1], "05 | <1");
  EXPECT_EQ(log[2], "B7");
  EXPECT_EQ(chip.contents()[0x01FFFF00], std::byte{0x24});
}

// The Flash contract on the driver over the simulated chip (in-code parts; the shipped
// parts run it in spi_nor_parts_test.cc).
class SimUnderTest final : public flashrig::testing::FlashUnderTest {
 public:
  SimUnderTest(const ChipModel& model, SpiNorOptions options)
      : chip_(model, clock_), bus_(chip_), db_({model}) {
    auto f = SpiNorFlash::Probe(bus_, clock_, &db_, options);
    if (f.ok()) flash_ = std::move(*f);
  }
  Flash& flash() override { return *flash_; }
  void PowerOff() override { chip_.PowerOff(); }
  void PowerOn() override { chip_.PowerOn(); }

 private:
  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  SpiDeviceBus bus_;
  PartDatabase db_;
  std::unique_ptr<SpiNorFlash> flash_;
};

flashrig::testing::FlashBackend SimBackend(std::string name, ChipModel model,
                                           SpiNorOptions options) {
  return {std::move(name),
          [model, options] { return std::make_unique<SimUnderTest>(model, options); }};
}

using flashrig::testing::FlashConformance;

INSTANTIATE_TEST_SUITE_P(
    SpiNorFlash, FlashConformance,
    ::testing::Values(SimBackend("Small", SmallTestPart(), {}),
                      SimBackend("SmallVerifying", SmallTestPart(),
                                 {.verify_after_write = true, .verify_after_erase = true}),
                      SimBackend("Big4ByteMode", BigTestPart(), {.prefer_4byte_opcodes = false})),
    flashrig::testing::FlashBackendName);

}  // namespace
}  // namespace flashrig::driver
