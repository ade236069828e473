// PowerLossSweep: cuts power at every mutating flash operation of a seeded KV workload and,
// after each cut, mounts a NEW engine from the flash alone and checks it against a
// reference model. The workload runs once uncut; before each operation the flash image,
// model and random state are saved, and every program/erase of that operation is then
// replayed from the saved state with a cut (so the sweep costs O(ops), not O(ops^2)). Parameterised
// over a flash backend so the same sweep runs on RamFlash, on SpiNorFlash over the simulated chip,
// and (later) in the hil harness.
//
//   PowerLossConfig config{.seed = 1, .ops = 500};
//   PowerLossResult r = RunPowerLossSweep(config, [] { return MakeMyTarget(); });
//   EXPECT_TRUE(r.ok()) << r.failure;   // failure names the seed, cut index and effect
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv::testing {

// What the sweep needs from a backend: a flash and a power switch with a scheduled cut.
class PowerLossTarget {
 public:
  virtual ~PowerLossTarget() = default;
  virtual driver::Flash& flash() = 0;
  // Arms a cut during the plan.at_mutating_op-th program/erase from now.
  virtual void SchedulePowerCut(const driver::PowerCutPlan& plan) = 0;
  virtual void CancelPowerCut() = 0;
  virtual void PowerOn() = 0;
  // How many scheduled cuts have fired so far.
  virtual uint64_t power_cuts() const = 0;
  // Replaces the whole array with `image` (size_bytes long). The default erases every
  // sector and programs the image through flash(); backends with a faster path override.
  virtual void LoadImage(std::span<const std::byte> image);
};

// A RamFlash target (the default backend).
class RamFlashTarget final : public PowerLossTarget {
 public:
  RamFlashTarget(uint32_t region_bytes, uint32_t regions) : flash_(region_bytes, regions) {}
  driver::Flash& flash() override { return flash_; }
  void SchedulePowerCut(const driver::PowerCutPlan& plan) override {
    flash_.SchedulePowerCut(plan);
  }
  void CancelPowerCut() override { flash_.CancelPowerCut(); }
  void PowerOn() override { flash_.PowerOn(); }
  uint64_t power_cuts() const override { return flash_.power_cuts(); }
  void LoadImage(std::span<const std::byte> image) override { flash_.Restore(image).IgnoreError(); }
  driver::RamFlash& ram() { return flash_; }

 private:
  driver::RamFlash flash_;
};

struct PowerLossConfig {
  uint64_t seed = 1;
  // Operations in the workload (appends, gets, invalidates, sets, GCs). >= 500 in CI.
  uint32_t ops = 500;
  // Distinct keys the workload draws from.
  uint32_t keys = 160;
  uint32_t max_value_bytes = 2000;
  // Utilisation band (percent of flash held by live objects) the workload steers into.
  uint32_t min_utilisation_percent = 70;
  uint32_t max_utilisation_percent = 90;
  // Effects to sweep; every cut index is run once per effect.
  std::vector<driver::PowerCutEffect> effects = {driver::PowerCutEffect::kNotApplied,
                                                 driver::PowerCutEffect::kApplied,
                                                 driver::PowerCutEffect::kTorn};
  // Cut indices 1, 1 + stride, ...; 1 = every mutating op.
  uint32_t stride = 1;
  // 0 = sweep all; otherwise run only this cut index (replay of one failure).
  uint64_t only_cut = 0;
  // After every cut the recovered store is compacted with min_garbage = region/2; every
  // Nth cut it is compacted fully (all garbage) and re-verified. 1 = always.
  uint32_t full_compaction_every = 7;
  // Maximum number of live keys the engines are built for.
  uint32_t max_keys = 2048;
  // Options of every engine the sweep builds.
  EngineOptions engine_options{};
  // If set: called after the recovery mount of cut indices 1, 1 + every, 1 + 2 x every,
  // ... (each effect) with the mounted engine and its flash; returns "" or a failure.
  // The interop tests ask the real TicKV crate to read the recovered image here.
  std::function<std::string(TicKvEngine& engine, driver::Flash& flash)> after_mount_check{};
  uint32_t after_mount_check_every = 10;
  // If set, gets the whole flash image right after each cut, before recovery mounts it
  // (kv_fuzz's seed corpus is made of these).
  std::function<void(uint64_t cut, std::span<const std::byte> image)> on_cut_image{};
};

struct PowerLossResult {
  uint64_t cuts_tested = 0;   // Runs in which a cut fired and recovery was checked.
  uint64_t mutating_ops = 0;  // Program/erase calls of the uncut workload.
  uint64_t peak_utilisation_percent = 0;
  uint64_t acked_ops = 0;  // Mutations acknowledged in the uncut run.
  std::string failure;     // Empty if every check passed.
  bool ok() const { return failure.empty(); }
};

using PowerLossTargetFactory = std::function<std::unique_ptr<PowerLossTarget>()>;

PowerLossResult RunPowerLossSweep(const PowerLossConfig& config,
                                  const PowerLossTargetFactory& make_target);

}  // namespace flashrig::kv::testing
