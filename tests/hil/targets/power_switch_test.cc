// Real-rig power cuts: CutSpiBus recognises mutating commands and cuts after the Nth; the
// GPIO switch (through the emulated FT232H's chip-power pin) and the 66h/99h soft reset
// cut mid-operation, honour off/settle times and bring the chip back; the simulator cuts
// exactly N µs into an op. The power-loss campaign over these switches catches the
// ack-before-program engine and passes the correct one and TicKV.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <set>
#include <vector>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"
#include "flashrig/hil/targets/cut_spi_bus.h"
#include "flashrig/hil/targets/ftdi_target.h"
#include "flashrig/hil/targets/rig_power_switches.h"
#include "flashrig/hil/targets/target.h"
#include "hil/log_kv.h"

namespace flashrig::hil {
namespace {

using driver::SpiSegment;
using testing::LogKvFactory;

std::string Part() {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  return std::string(src == nullptr ? "." : src) + "/configs/parts/w25q128jv.json";
}

// Records transactions and control-line changes.
class RecordingBus final : public driver::SpiBus {
 public:
  std::vector<uint8_t> opcodes;
  std::vector<std::pair<driver::SpiControlLine, bool>> lines;

 private:
  Status DoTransfer(std::span<const SpiSegment> segments) override {
    opcodes.push_back(static_cast<uint8_t>(segments[0].write[0]));
    return Status::Ok();
  }
  Status DoSetControlLine(driver::SpiControlLine line, bool high) override {
    lines.emplace_back(line, high);
    return Status::Ok();
  }
};

Status Send(driver::SpiBus& bus, uint8_t opcode) {
  const std::array<std::byte, 4> bytes{std::byte{opcode}, std::byte{0}, std::byte{0}, std::byte{0}};
  const SpiSegment seg[] = {SpiSegment::Write(bytes)};
  return bus.Transfer(seg);
}

TEST(CutSpiBusTest, ClassifiesMutatingCommandsByThePartsOpcodes) {
  driver::ChipModel model;
  model.erase_types = {{.size_bytes = 4096, .opcode = 0x20, .opcode_4b = 0x21},
                       {.size_bytes = 65536, .opcode = 0xD8, .opcode_4b = 0xDC}};
  const auto kind = [&](uint8_t code) -> std::string {
    const std::array<std::byte, 1> b{std::byte{code}};
    const SpiSegment seg[] = {SpiSegment::Write(b)};
    auto c = ClassifyMutating(seg, &model);
    if (!c) return "-";
    return std::string(MutatingKindName(c->kind)) +
           (c->erase_size_bytes ? std::to_string(c->erase_size_bytes) : "");
  };
  EXPECT_EQ(kind(0x02), "program");
  EXPECT_EQ(kind(0x12), "program");
  EXPECT_EQ(kind(0x20), "erase4096");
  EXPECT_EQ(kind(0xDC), "erase65536");
  EXPECT_EQ(kind(0x52), "erase32768");  // Not in this part's table: the JEDEC default.
  EXPECT_EQ(kind(0xC7), "chip_erase");
  EXPECT_EQ(kind(0x60), "chip_erase");
  EXPECT_EQ(kind(0x01), "write_status");
  EXPECT_EQ(kind(0x31), "write_status");
  for (uint8_t read_only : {0x03, 0x0B, 0x05, 0x06, 0x9F, 0x5A, 0x66, 0x99}) {
    EXPECT_EQ(kind(read_only), "-") << int(read_only);
  }
}

TEST(CutSpiBusTest, HandsTheNthMutatingCommandToTheActionAndBlocksWhenTold) {
  RecordingBus inner;
  CutSpiBus bus(inner, nullptr);
  std::vector<uint8_t> seen;
  ASSERT_TRUE(Send(bus, 0x06).ok());
  ASSERT_TRUE(Send(bus, 0x02).ok());  // Mutating op 1 (before arming).
  bus.Arm(2, [&](const MutatingCommand& c, driver::SpiBus& in, std::span<const SpiSegment> s) {
    seen.push_back(c.opcode);
    EXPECT_EQ(&in, &inner);
    const Status sent = in.Transfer(s);
    bus.set_blocked(true);
    return sent.ok() ? Status::Unavailable() : sent;
  });
  EXPECT_TRUE(Send(bus, 0x05).ok());
  EXPECT_TRUE(Send(bus, 0x20).ok());                  // 1st from arming.
  EXPECT_EQ(Send(bus, 0xD8), Status::Unavailable());  // 2nd: the action runs.
  EXPECT_EQ(Send(bus, 0x05), Status::Unavailable());  // Blocked: never reaches it.
  EXPECT_TRUE(bus.SetControlLine(driver::SpiControlLine::kChipPower, false).ok());  // Passes.
  EXPECT_EQ(seen, std::vector<uint8_t>{0xD8});
  EXPECT_EQ(inner.opcodes, (std::vector<uint8_t>{0x06, 0x02, 0x05, 0x20, 0xD8}));
  EXPECT_EQ(bus.mutating_ops(), 3u);  // 02h, 20h, D8h.
  EXPECT_FALSE(bus.armed());
  ASSERT_EQ(inner.lines.size(), 1u);
}

TEST(ChipPowerSwitchTest, CutsExactlyTheRequestedMicrosecondsIntoTheOperation) {
  ForgetSimulatedChips();
  TargetOpenResult opened = OpenTarget("sim:" + Part() + "?timing=sampled&seed=9");
  ASSERT_NE(opened.target, nullptr) << opened.error;
  Target& t = *opened.target;
  ASSERT_NE(t.cut_bus(), nullptr);
  ChipPowerSwitch power(*t.chip(), t.cut_bus(), t.virtual_clock());
  ASSERT_TRUE(power.supports_offsets());
  power.ArmCut(
      {.mutating_op = 1, .outcome = CutOutcome::kTorn, .seed = 3, .typical_fraction = 0.5});
  const Clock::TimePoint t0 = t.clock().Now();
  EXPECT_EQ(t.flash().Erase(0, 4096), Status::Unavailable());
  const CutRecord rec = power.last_cut();
  EXPECT_EQ(rec.op, "erase");
  EXPECT_EQ(rec.erase_size_bytes, 4096u);
  EXPECT_EQ(rec.typical_us, t.chip()->model().erase_types[0].time.typical_us);
  ASSERT_TRUE(rec.offset_us.has_value());
  EXPECT_EQ(*rec.offset_us, rec.typical_us / 2);
  // The erase started within the WREN/command wire time of t0, and the driver saw the
  // power gone at its next WIP poll (typical / 64 later at most).
  const auto elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.clock().Now() - t0).count();
  EXPECT_GE(elapsed_us, static_cast<int64_t>(*rec.offset_us));
  EXPECT_LE(elapsed_us, static_cast<int64_t>(*rec.offset_us + rec.typical_us / 64 + 50));
  EXPECT_EQ(t.chip()->counters().torn_ops, 1u);
  EXPECT_EQ(power.cuts(), 1u);
  ASSERT_TRUE(power.PowerOn().ok());
  EXPECT_TRUE(power.last_cut().fired);
  EXPECT_TRUE(t.flash().Erase(0, 4096).ok());
}

RigConfig EmuGpioRig() {
  RigConfig rc;
  rc.name = "emu-gpio";
  rc.target = "ftdi-emu:" + Part() + "?timing=sampled&seed=3";
  rc.partition_offset_bytes = 1 << 20;
  rc.partition_size_bytes = 64 * 1024;
  rc.power = {.method = PowerControlMethod::kGpio,
              .ftdi_url = "",
              .pin = 8,
              .active_low = true,
              .off_ms = 40,
              .settle_ms = 7};
  return rc;
}

RigConfig SimSoftResetRig() {
  RigConfig rc;
  rc.name = "sim-reset";
  rc.target = "sim:" + Part() + "?timing=sampled&seed=6";
  rc.partition_offset_bytes = 1 << 20;
  rc.partition_size_bytes = 64 * 1024;
  rc.power = {.method = PowerControlMethod::kSoftReset,
              .ftdi_url = "",
              .pin = 0,
              .active_low = false,
              .off_ms = 100,
              .settle_ms = 1};
  return rc;
}

TEST(BusPowerSwitchTest, GpioCutsMidEraseThroughTheEmulatedPinAndHonoursOffAndSettle) {
  RegisterFtdiTargets();
  RigOpenResult opened = OpenRig(EmuGpioRig());
  ASSERT_NE(opened.handle, nullptr) << opened.error;
  Rig& rig = opened.handle->rig();
  ASSERT_NE(rig.power, nullptr);
  EXPECT_STREQ(rig.power->method(), "gpio");
  EXPECT_FALSE(rig.power->exact());
  const std::vector<std::byte> data(256, std::byte{0x00});
  ASSERT_TRUE(rig.flash->Program(0, data).ok());
  rig.power->ArmCut(
      {.mutating_op = 1, .outcome = CutOutcome::kTorn, .seed = 1, .typical_fraction = 0.25});
  EXPECT_EQ(rig.flash->Erase(0, 4096), Status::Unavailable());
  std::vector<std::byte> back(16);
  EXPECT_EQ(rig.flash->Read(0, back), Status::Unavailable());  // Off until PowerOn.
  const CutRecord rec = rig.power->last_cut();
  EXPECT_TRUE(rec.fired);
  EXPECT_EQ(rec.op, "erase");
  EXPECT_EQ(*rec.offset_us, rec.typical_us / 4);
  const Clock::TimePoint before = rig.clock->Now();
  ASSERT_TRUE(rig.power->PowerOn().ok());
  EXPECT_GE(rig.clock->Now() - before, std::chrono::milliseconds(40 + 7));
  EXPECT_EQ(rig.power->cuts(), 1u);
  ASSERT_TRUE(rig.flash->Read(0, back).ok());  // The chip answers again.
  EXPECT_TRUE(rig.flash->Erase(0, 4096).ok());
  ASSERT_TRUE(rig.flash->Read(0, back).ok());
  EXPECT_EQ(back, std::vector<std::byte>(16, std::byte{0xFF}));
}

TEST(BusPowerSwitchTest, SoftResetAbortsTheProgramMidWay) {
  ForgetSimulatedChips();
  RigOpenResult opened = OpenRig(SimSoftResetRig());
  ASSERT_NE(opened.handle, nullptr) << opened.error;
  Rig& rig = opened.handle->rig();
  EXPECT_STREQ(rig.power->method(), "soft_reset");
  ASSERT_TRUE(rig.flash->Erase(0, 4096).ok());
  const std::vector<std::byte> zeros(256, std::byte{0x00});
  rig.power->ArmCut(
      {.mutating_op = 1, .outcome = CutOutcome::kTorn, .seed = 5, .typical_fraction = 0.5});
  EXPECT_EQ(rig.flash->Program(0, zeros), Status::Unavailable());
  ASSERT_TRUE(rig.power->PowerOn().ok());
  std::vector<std::byte> back(256);
  ASSERT_TRUE(rig.flash->Read(0, back).ok());
  // Half a page program: some bits cleared, not all.
  EXPECT_NE(back, zeros);
  EXPECT_NE(back, std::vector<std::byte>(256, std::byte{0xFF}));
  // Without a cut the bus is transparent again.
  rig.power->Disarm();
  ASSERT_TRUE(rig.flash->Erase(0, 4096).ok());
  ASSERT_TRUE(rig.flash->Program(0, zeros).ok());
  ASSERT_TRUE(rig.flash->Read(0, back).ok());
  EXPECT_EQ(back, zeros);
}

TEST(BusPowerSwitchTest, RigsThatCannotCutAreRejectedWhenOpened) {
  RigConfig rc = SimSoftResetRig();
  rc.target = "ram:4096x32";
  rc.partition_offset_bytes = 0;
  RigOpenResult opened = OpenRig(rc);
  EXPECT_EQ(opened.handle, nullptr);
  EXPECT_TRUE(opened.bad_input);
  EXPECT_NE(opened.error.find("needs an SPI NOR target"), std::string::npos) << opened.error;

  // A supply channel that does not exist (an FT232H has only interface A).
  rc = EmuGpioRig();
  rc.power.ftdi_url = "ftdi://ftdi:232h/2";
  opened = OpenRig(rc);
  EXPECT_EQ(opened.handle, nullptr);
  EXPECT_TRUE(opened.bad_input);
  EXPECT_NE(opened.error.find("power_control.ftdi ftdi://ftdi:232h/2"), std::string::npos)
      << opened.error;
}

// The supply switch on channel B of an FT2232H while the chip hangs off channel A: the
// rig URL gets no power pin, the second (emulated) channel's GPIO drives the supply.
RigConfig EmuGpioOnChannelBRig() {
  RigConfig rc = EmuGpioRig();
  rc.name = "emu-gpio-channel-b";
  rc.power.ftdi_url = "ftdi://ftdi:2232h/2";
  rc.power.pin = 5;
  return rc;
}

TEST(BusPowerSwitchTest, GpioOnAnotherChannelCutsAndRestoresTheSupply) {
  RegisterFtdiTargets();
  RigOpenResult opened = OpenRig(EmuGpioOnChannelBRig());
  ASSERT_NE(opened.handle, nullptr) << opened.error;
  Rig& rig = opened.handle->rig();
  ASSERT_NE(rig.power, nullptr);
  EXPECT_STREQ(rig.power->method(), "gpio");
  std::vector<std::byte> back(16);
  ASSERT_TRUE(rig.flash->Erase(0, 4096).ok());
  rig.power->ArmCut(
      {.mutating_op = 1, .outcome = CutOutcome::kTorn, .seed = 1, .typical_fraction = 0.5});
  EXPECT_EQ(rig.flash->Program(0, std::vector<std::byte>(256, std::byte{0x00})),
            Status::Unavailable());
  EXPECT_TRUE(rig.power->last_cut().fired);
  const Clock::TimePoint before = rig.clock->Now();
  ASSERT_TRUE(rig.power->PowerOn().ok());  // Includes: the chip answers its JEDEC ID again.
  EXPECT_GE(rig.clock->Now() - before, std::chrono::milliseconds(40 + 7));
  // The supply really went away half-way: the page is partly programmed (had channel B
  // not cut it, the program would have completed to all 00h).
  std::vector<std::byte> page(256);
  ASSERT_TRUE(rig.flash->Read(0, page).ok());
  EXPECT_NE(page, std::vector<std::byte>(256, std::byte{0x00}));
  EXPECT_NE(page, std::vector<std::byte>(256, std::byte{0xFF}));
  ASSERT_TRUE(rig.flash->Erase(0, 4096).ok());
  ASSERT_TRUE(rig.flash->Read(0, back).ok());
  EXPECT_EQ(back, std::vector<std::byte>(16, std::byte{0xFF}));
}

// --- The campaign over the real-rig switches --------------------------------------------

RigReport RunPowerLoss(const RigConfig& rc, const KvFactory& kv, CutSchedule schedule,
                       uint32_t cut_count) {
  RegisterFtdiTargets();
  ForgetSimulatedChips();
  RigOpenResult opened = OpenRig(rc);
  EXPECT_NE(opened.handle, nullptr) << opened.error;
  if (!opened.handle) return {};
  Rig& rig = opened.handle->rig();
  PowerLossConfig config;
  config.operations = 24;
  config.schedule = schedule;
  config.cut_count = cut_count;
  return testing::RunPowerLossOn(rig, config, kv, 11);
}

void ExpectPhysicalOffsets(const RigReport& r, const char* method) {
  const auto& p = r.figures["power_loss"];
  EXPECT_EQ(p["method"], method);
  ASSERT_GT(p["outcomes"].size(), 0u);
  for (const auto& o : p["outcomes"]) {
    EXPECT_EQ(o["effect"], "physical");
    ASSERT_TRUE(o.contains("offset_us")) << o.dump();
    EXPECT_LT(o["offset_us"].get<uint64_t>(), o["typical_us"].get<uint64_t>()) << o.dump();
  }
}

TEST(PowerLossOverRealRigSwitchesTest, GpioOnTheEmulatedRigCatchesAckBeforeProgram) {
  const RigReport bad =
      RunPowerLoss(EmuGpioRig(), LogKvFactory(true), CutSchedule::kRandomOffsetUs, 16);
  EXPECT_EQ(bad.status, RunStatus::kFailed);
  EXPECT_GT(bad.figures["power_loss"]["failures"].get<int>(), 0);
  EXPECT_GE(bad.figures["power_loss"]["cut_points"].get<int>(), 10);
  const RigReport good =
      RunPowerLoss(EmuGpioRig(), LogKvFactory(false), CutSchedule::kRandomOffsetUs, 16);
  EXPECT_EQ(good.status, RunStatus::kPassed);
  for (const auto& c : good.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  ExpectPhysicalOffsets(good, "gpio");
}

TEST(PowerLossOverRealRigSwitchesTest, GpioOnAnotherChannelCatchesAckBeforeProgram) {
  const RigReport bad =
      RunPowerLoss(EmuGpioOnChannelBRig(), LogKvFactory(true), CutSchedule::kRandomOffsetUs, 16);
  EXPECT_EQ(bad.status, RunStatus::kFailed);
  EXPECT_GT(bad.figures["power_loss"]["failures"].get<int>(), 0);
  const RigReport good =
      RunPowerLoss(EmuGpioOnChannelBRig(), DefaultKvFactory(), CutSchedule::kRandomOffsetUs, 16);
  EXPECT_EQ(good.status, RunStatus::kPassed);
  for (const auto& c : good.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  ExpectPhysicalOffsets(good, "gpio");
}

TEST(PowerLossOverRealRigSwitchesTest, SoftResetCatchesAckBeforeProgramAndTicKvPasses) {
  const RigReport bad =
      RunPowerLoss(SimSoftResetRig(), LogKvFactory(true), CutSchedule::kEveryOp, 0);
  EXPECT_EQ(bad.status, RunStatus::kFailed);
  EXPECT_GT(bad.figures["power_loss"]["failures"].get<int>(), 0);
  const RigReport good =
      RunPowerLoss(SimSoftResetRig(), LogKvFactory(false), CutSchedule::kEveryOp, 0);
  EXPECT_EQ(good.status, RunStatus::kPassed);
  for (const auto& c : good.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  const RigReport tickv =
      RunPowerLoss(SimSoftResetRig(), DefaultKvFactory(), CutSchedule::kRandomOffsetUs, 16);
  EXPECT_EQ(tickv.status, RunStatus::kPassed);
  for (const auto& c : tickv.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  ExpectPhysicalOffsets(tickv, "soft_reset");
}

TEST(PowerLossOverRealRigSwitchesTest, RandomOffsetsOnTheSimulatorAreExactAndSeeded) {
  RigConfig rc = SimSoftResetRig();
  rc.power = {};  // No power_control: the simulator's exact cut.
  // The correct test engine (TicKV has a known torn-invalidate finding at some offsets;
  // see docs/HARNESS.md), then the broken one must be caught on the same schedule.
  const RigReport a = RunPowerLoss(rc, LogKvFactory(false), CutSchedule::kRandomOffsetUs, 12);
  EXPECT_EQ(a.status, RunStatus::kPassed);
  for (const auto& c : a.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  EXPECT_EQ(a.figures["power_loss"]["method"], "exact");
  std::set<uint64_t> offsets;
  for (const auto& o : a.figures["power_loss"]["outcomes"]) {
    EXPECT_NE(o["effect"], "physical");
    EXPECT_LT(o["offset_us"].get<uint64_t>(), o["typical_us"].get<uint64_t>());
    offsets.insert(o["offset_us"].get<uint64_t>());
  }
  EXPECT_GT(offsets.size(), 3u);  // Seeded per cut, not one fixed point.
  const RigReport b = RunPowerLoss(rc, LogKvFactory(false), CutSchedule::kRandomOffsetUs, 12);
  EXPECT_EQ(a.figures["power_loss"]["outcomes"], b.figures["power_loss"]["outcomes"]);
  const RigReport bad = RunPowerLoss(rc, LogKvFactory(true), CutSchedule::kRandomOffsetUs, 12);
  EXPECT_EQ(bad.status, RunStatus::kFailed);
  // A RAM rig cannot place a cut in time: the schedule is refused up front.
  RigConfig ram;
  ram.name = "ram";
  ram.target = "ram:4096x32";
  RigOpenResult opened = OpenRig(ram);
  ASSERT_NE(opened.handle, nullptr);
  PowerLossConfig config;
  config.schedule = CutSchedule::kRandomOffsetUs;
  PowerLossCampaign campaign(config, DefaultKvFactory());
  EXPECT_NE(campaign.CheckRig(opened.handle->rig()).find("random_offset_us"), std::string::npos);
}

}  // namespace
}  // namespace flashrig::hil
