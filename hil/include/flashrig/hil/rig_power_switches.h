// PowerSwitch implementations for the targets with exact cuts: RamFlash and the
// simulated SPI NOR chip (cut during the Nth program/erase/status write).
#pragma once

#include "flashrig/driver/ram_flash.h"
#include "flashrig/driver/simulated_spi_nor_chip.h"
#include "flashrig/hil/rig.h"

namespace flashrig::hil {

class RamPowerSwitch final : public PowerSwitch {
 public:
  explicit RamPowerSwitch(driver::RamFlash& flash) : flash_(flash) {}

  void ArmCut(uint64_t mutating_op, CutOutcome outcome, uint64_t seed) override {
    base_ops_ = flash_.mutating_ops();
    flash_.SchedulePowerCut({.at_mutating_op = mutating_op,
                             .after_bytes = 0,
                             .effect = outcome == CutOutcome::kTorn ? driver::PowerCutEffect::kTorn
                                       : outcome == CutOutcome::kApplied
                                           ? driver::PowerCutEffect::kApplied
                                           : driver::PowerCutEffect::kNotApplied,
                             .seed = seed});
  }
  void Disarm() override {
    base_ops_ = flash_.mutating_ops();
    flash_.CancelPowerCut();
  }
  uint64_t mutating_ops() const override { return flash_.mutating_ops() - base_ops_; }
  uint64_t cuts() const override { return flash_.power_cuts(); }
  Status PowerOn() override {
    flash_.PowerOn();
    return Status::Ok();
  }

 private:
  driver::RamFlash& flash_;
  uint64_t base_ops_ = 0;
};

class ChipPowerSwitch final : public PowerSwitch {
 public:
  explicit ChipPowerSwitch(driver::SimulatedSpiNorChip& chip) : chip_(chip) {}

  void ArmCut(uint64_t mutating_op, CutOutcome outcome, uint64_t seed) override {
    base_ops_ = Completed();
    driver::ChipPowerCut plan;
    plan.at_mutating_op = mutating_op;
    // Mid-operation, seeded: different cut points tear at different progress.
    plan.op_progress_permille = static_cast<uint32_t>(100 + seed % 800);
    plan.effect = outcome == CutOutcome::kTorn      ? driver::PowerCutEffect::kTorn
                  : outcome == CutOutcome::kApplied ? driver::PowerCutEffect::kApplied
                                                    : driver::PowerCutEffect::kNotApplied;
    plan.seed = seed;
    chip_.SchedulePowerCut(plan);
  }
  void Disarm() override {
    base_ops_ = Completed();
    chip_.CancelPowerCut();
  }
  uint64_t mutating_ops() const override { return Completed() - base_ops_; }
  uint64_t cuts() const override { return chip_.counters().power_cuts; }
  Status PowerOn() override {
    chip_.PowerOn();
    return chip_.powered() ? Status::Ok() : Status::Unavailable();
  }

 private:
  // Operations the chip started and finished (a cut one is counted as torn instead).
  uint64_t Completed() const {
    const auto& c = chip_.counters();
    return c.programs + c.erases + c.chip_erases + c.status_writes;
  }
  driver::SimulatedSpiNorChip& chip_;
  uint64_t base_ops_ = 0;
};

}  // namespace flashrig::hil
