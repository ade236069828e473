// PowerSwitch implementations: exact cuts on RamFlash and on the simulated SPI NOR chip,
// and the real-rig cuts (GPIO-switched supply, 66h/99h software reset) that act through
// CutSpiBus after the Nth mutating command, on real FTDI rigs and emulated ones alike.
#pragma once

#include <functional>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/targets/cut_spi_bus.h"
#include "flashrig/hil/targets/rig.h"

namespace flashrig::hil {

driver::PowerCutEffect ToPowerCutEffect(CutOutcome outcome);

// Where inside an operation a cut lands: plan.typical_fraction of `typical_us`, else a
// seeded point between 10 % and 90 % of it (as the simulator's default cut does).
uint64_t CutOffsetUs(const CutPlan& plan, uint64_t typical_us);

// RamFlash: the cut fires inside the Nth program/erase call. No timing, so no offsets.
class RamPowerSwitch final : public PowerSwitch {
 public:
  explicit RamPowerSwitch(driver::RamFlash& flash) : flash_(flash) {}

  void ArmCut(const CutPlan& plan) override;
  void Disarm() override;
  uint64_t mutating_ops() const override { return flash_.mutating_ops() - base_ops_; }
  uint64_t cuts() const override { return flash_.power_cuts(); }
  Status PowerOn() override {
    flash_.PowerOn();
    return Status::Ok();
  }
  const char* method() const override { return "exact"; }
  bool exact() const override { return true; }

 private:
  driver::RamFlash& flash_;
  uint64_t base_ops_ = 0;
};

// The simulated chip: the chip itself cuts during its Nth program/erase/status write. With
// a CutSpiBus in front (sim: and ftdi-emu: targets) it also honours typical_fraction: the
// bus sees which command is the Nth, and the chip is cut exactly that many µs after the
// command started, on the virtual clock.
class ChipPowerSwitch final : public PowerSwitch {
 public:
  // `bus` and `clock` may be null (then no offsets); all must outlive the switch.
  ChipPowerSwitch(driver::SimulatedSpiNorChip& chip, CutSpiBus* bus, VirtualClock* clock)
      : chip_(chip), bus_(bus), clock_(clock) {}

  void ArmCut(const CutPlan& plan) override;
  void Disarm() override;
  uint64_t mutating_ops() const override { return Completed() - base_ops_; }
  uint64_t cuts() const override { return chip_.counters().power_cuts; }
  Status PowerOn() override;
  const char* method() const override { return "exact"; }
  bool exact() const override { return true; }
  bool supports_offsets() const override { return bus_ != nullptr && clock_ != nullptr; }
  CutRecord last_cut() const override { return record_; }

 private:
  // Operations the chip started and finished (a cut one is counted as torn instead).
  uint64_t Completed() const {
    const auto& c = chip_.counters();
    return c.programs + c.erases + c.chip_erases + c.status_writes;
  }
  driver::SimulatedSpiNorChip& chip_;
  CutSpiBus* bus_;
  VirtualClock* clock_;
  uint64_t base_ops_ = 0;
  uint64_t cuts_at_arm_ = 0;
  CutRecord record_{};
};

// A real rig's cut, through the CutSpiBus in front of its bus. After the Nth mutating
// command has gone out, waits the cut offset on the rig's clock, then
//   kGpio:      drives SpiControlLine::kChipPower off (the FTDI pin of the load switch);
//   kSoftReset: sends 66h then 99h (aborts the program/erase in progress);
// and blocks the bus (kUnavailable) until PowerOn(): for gpio it keeps the supply off for
// off_ms, switches it on and waits settle_ms; for soft_reset it waits settle_ms (at least
// tRST). Then `check_alive` (RDID matches the part) must pass.
class BusPowerSwitch final : public PowerSwitch {
 public:
  // `bus` and `clock` must outlive the switch. `supply` (gpio only): the bus whose
  // kChipPower line switches the chip's supply when that is another FTDI channel; null =
  // the target's own bus.
  BusPowerSwitch(CutSpiBus& bus, Clock& clock, PowerControlMethod method,
                 const PowerControlConfig& config, std::function<Status()> check_alive,
                 driver::SpiBus* supply = nullptr)
      : bus_(bus),
        clock_(clock),
        method_(method),
        config_(config),
        check_alive_(std::move(check_alive)),
        supply_(supply) {}

  void ArmCut(const CutPlan& plan) override;
  void Disarm() override;
  uint64_t mutating_ops() const override { return bus_.mutating_ops() - base_ops_; }
  uint64_t cuts() const override { return cuts_; }
  Status PowerOn() override;
  const char* method() const override {
    return method_ == PowerControlMethod::kGpio ? "gpio" : "soft_reset";
  }
  bool supports_offsets() const override { return bus_.model() != nullptr; }
  CutRecord last_cut() const override { return record_; }

 private:
  // Performs the cut on the wire; kOk or the bus error.
  Status Cut(driver::SpiBus& inner);

  CutSpiBus& bus_;
  Clock& clock_;
  PowerControlMethod method_;
  PowerControlConfig config_;
  std::function<Status()> check_alive_;
  driver::SpiBus* supply_ = nullptr;
  uint64_t base_ops_ = 0;
  uint64_t cuts_ = 0;
  Clock::TimePoint cut_at_{};
  Status cut_status_ = Status::Ok();
  CutRecord record_{};
};

}  // namespace flashrig::hil
