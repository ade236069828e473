// PowerSwitch implementations: RamFlash and simulated-chip exact cuts, and the real-rig
// GPIO / software-reset cuts through CutSpiBus.
#include "flashrig/hil/targets/rig_power_switches.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::hil {

using driver::SpiControlLine;
using driver::SpiSegment;

driver::PowerCutEffect ToPowerCutEffect(CutOutcome outcome) {
  return outcome == CutOutcome::kTorn      ? driver::PowerCutEffect::kTorn
         : outcome == CutOutcome::kApplied ? driver::PowerCutEffect::kApplied
                                           : driver::PowerCutEffect::kNotApplied;
}

uint64_t CutOffsetUs(const CutPlan& plan, uint64_t typical_us) {
  const double fraction = plan.typical_fraction
                              ? std::clamp(*plan.typical_fraction, 0.0, 1.0)
                              : static_cast<double>(100 + plan.seed % 800) / 1000.0;
  return static_cast<uint64_t>(std::floor(fraction * static_cast<double>(typical_us)));
}

namespace {

CutRecord RecordFor(const MutatingCommand& command, const driver::ChipModel* model) {
  CutRecord r;
  r.op = MutatingKindName(command.kind);
  r.erase_size_bytes = command.erase_size_bytes;
  r.typical_us = model != nullptr ? TypicalBusyUs(command, *model) : 0;
  return r;
}

}  // namespace

// --- RamPowerSwitch -------------------------------------------------------------------

void RamPowerSwitch::ArmCut(const CutPlan& plan) {
  base_ops_ = flash_.mutating_ops();
  flash_.SchedulePowerCut({.at_mutating_op = plan.mutating_op,
                           .after_bytes = 0,
                           .effect = ToPowerCutEffect(plan.outcome),
                           .seed = plan.seed});
}

void RamPowerSwitch::Disarm() {
  base_ops_ = flash_.mutating_ops();
  flash_.CancelPowerCut();
}

// --- ChipPowerSwitch ------------------------------------------------------------------

void ChipPowerSwitch::ArmCut(const CutPlan& plan) {
  base_ops_ = Completed();
  cuts_at_arm_ = chip_.counters().power_cuts;
  record_ = {};
  chip_.CancelPowerCut();
  if (bus_ != nullptr) bus_->Disarm();
  if (plan.typical_fraction && supports_offsets()) {
    // The bus names the Nth command; once it has gone out (the chip starts the op when
    // CS# rises, at the clock's current time) the chip is told to cut `offset` later.
    bus_->Arm(plan.mutating_op, [this, plan](const MutatingCommand& command, driver::SpiBus& inner,
                                             std::span<const SpiSegment> segments) {
      const Status s = inner.Transfer(segments);
      record_ = RecordFor(command, &chip_.model());
      const uint64_t offset_us = CutOffsetUs(plan, record_.typical_us);
      record_.offset_us = offset_us;
      driver::ChipPowerCut cut;
      cut.at_time = clock_->Now() + std::chrono::microseconds(offset_us);
      cut.effect = ToPowerCutEffect(plan.outcome);
      cut.seed = plan.seed;
      chip_.SchedulePowerCut(cut);
      return s;
    });
    return;
  }
  driver::ChipPowerCut cut;
  cut.at_mutating_op = plan.mutating_op;
  // Mid-operation, seeded: different cut points tear at different progress.
  cut.op_progress_permille = static_cast<uint32_t>(100 + plan.seed % 800);
  cut.effect = ToPowerCutEffect(plan.outcome);
  cut.seed = plan.seed;
  chip_.SchedulePowerCut(cut);
}

void ChipPowerSwitch::Disarm() {
  base_ops_ = Completed();
  chip_.CancelPowerCut();
  if (bus_ != nullptr) bus_->Disarm();
}

Status ChipPowerSwitch::PowerOn() {
  record_.fired = chip_.counters().power_cuts > cuts_at_arm_;
  chip_.PowerOn();
  return chip_.powered() ? Status::Ok() : Status::Unavailable();
}

// --- BusPowerSwitch -------------------------------------------------------------------

void BusPowerSwitch::ArmCut(const CutPlan& plan) {
  base_ops_ = bus_.mutating_ops();
  record_ = {};
  bus_.Arm(plan.mutating_op, [this, plan](const MutatingCommand& command, driver::SpiBus& inner,
                                          std::span<const SpiSegment> segments) {
    // The command goes out whole (CS# rises, the chip starts); the cut comes after.
    const Status sent = inner.Transfer(segments);
    if (!sent.ok()) return sent;
    record_ = RecordFor(command, bus_.model());
    const uint64_t offset_us = CutOffsetUs(plan, record_.typical_us);
    record_.offset_us = offset_us;
    clock_.SleepFor(std::chrono::microseconds(offset_us));
    cut_status_ = Cut(inner);
    cut_at_ = clock_.Now();
    record_.fired = true;
    ++cuts_;
    bus_.set_blocked(true);  // From here on the host sees no chip until PowerOn().
    return Status::Unavailable();
  });
}

void BusPowerSwitch::Disarm() {
  base_ops_ = bus_.mutating_ops();
  bus_.Disarm();
}

Status BusPowerSwitch::Cut(driver::SpiBus& inner) {
  if (method_ == PowerControlMethod::kGpio) {
    return (supply_ != nullptr ? *supply_ : inner).SetControlLine(SpiControlLine::kChipPower, false);
  }
  static constexpr std::array<std::byte, 1> kEnable{std::byte{driver::spi_nor::kResetEnable}};
  static constexpr std::array<std::byte, 1> kReset{std::byte{driver::spi_nor::kReset}};
  const SpiSegment enable[] = {SpiSegment::Write(kEnable)};
  const SpiSegment reset[] = {SpiSegment::Write(kReset)};
  const Status s = inner.Transfer(enable);
  if (!s.ok()) return s;
  return inner.Transfer(reset);
}

Status BusPowerSwitch::PowerOn() {
  if (!bus_.blocked()) return Status::Ok();
  if (!cut_status_.ok()) return cut_status_;  // The cut itself failed: the rig is broken.
  if (method_ == PowerControlMethod::kGpio) {
    // Keep the supply off long enough for the chip's rails to drain (off_ms).
    const Clock::Duration off = std::chrono::milliseconds(config_.off_ms);
    const Clock::Duration elapsed = clock_.Now() - cut_at_;
    if (elapsed < off) clock_.SleepFor(off - elapsed);
    driver::SpiBus& supply = supply_ != nullptr ? *supply_ : bus_;
    if (const Status s = supply.SetControlLine(SpiControlLine::kChipPower, true); !s.ok()) return s;
  }
  // After power-up (tPUW) or a reset (tRST, 30 us at most on the parts we know).
  clock_.SleepFor(std::max<Clock::Duration>(std::chrono::milliseconds(config_.settle_ms),
                                            std::chrono::microseconds(30)));
  bus_.set_blocked(false);
  return check_alive_ ? check_alive_() : Status::Ok();
}

}  // namespace flashrig::hil
