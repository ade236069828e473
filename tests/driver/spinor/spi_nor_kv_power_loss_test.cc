// The KV engine's power-loss sweep (tests/kvstore/power_loss_sweep.h), shortened, over
// SpiNorFlash on the simulated W25Q16JV-like chip, cut by the chip's own power-off: the
// engine is proven on the same code path a real chip uses.
#include <gtest/gtest.h>

#include "flashrig/driver/flash/flash_wrapper.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "kvstore/power_loss_sweep.h"
#include "testing/test_chip_models.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

// The sweep counts cuts in Flash calls; the chip counts page programs and erases. This
// wrapper arms the chip's cut when the Nth Flash-level program/erase starts, at a seeded
// page of that call and a seeded point of that page's operation.
class CallCountingCut final : public FlashWrapper {
 public:
  CallCountingCut(Flash& target, SimulatedSpiNorChip& chip) : FlashWrapper(target), chip_(chip) {}
  void Arm(const PowerCutPlan& plan) {
    plan_ = plan;
    calls_ = 0;
  }
  void Disarm() { plan_ = {}; }

 private:
  void MaybeArm(uint32_t chip_ops) {
    if (plan_.at_mutating_op == 0 || ++calls_ != plan_.at_mutating_op) return;
    SeededRandom rng(plan_.seed);
    chip_.SchedulePowerCut({.at_mutating_op = 1 + rng.Below(chip_ops),
                            .op_progress_permille = static_cast<uint32_t>(rng.Between(50, 950)),
                            .effect = plan_.effect,
                            .seed = plan_.seed});
    plan_ = {};
  }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
    const uint32_t page = geometry().program_page_bytes;
    MaybeArm((address % page + static_cast<uint32_t>(data.size()) + page - 1) / page);
    return FlashWrapper::DoProgram(address, data);
  }
  Status DoErase(uint32_t address, uint32_t size_bytes) override {
    MaybeArm(1);  // The first erase block of the call.
    return FlashWrapper::DoErase(address, size_bytes);
  }

  SimulatedSpiNorChip& chip_;
  PowerCutPlan plan_;
  uint64_t calls_ = 0;
};

// 64 KiB of the chip (16 x 4 KiB regions) through the driver.
class SpiNorPowerLossTarget final : public kv::testing::PowerLossTarget {
 public:
  SpiNorPowerLossTarget()
      : chip_(flashrig::testing::SmallTestPart(), clock_, {.unstable_torn_cells = false}),
        bus_(chip_),
        db_({flashrig::testing::SmallTestPart()}) {
    auto f = SpiNorFlash::Probe(bus_, clock_, &db_);
    EXPECT_TRUE(f.ok()) << f.status();
    driver_ = std::move(*f);
    window_ = std::make_unique<Window>(*driver_, 16 * 4096);
    cut_ = std::make_unique<CallCountingCut>(*window_, chip_);
  }
  Flash& flash() override { return *cut_; }
  void SchedulePowerCut(const PowerCutPlan& plan) override { cut_->Arm(plan); }
  void CancelPowerCut() override {
    cut_->Disarm();
    chip_.CancelPowerCut();
  }
  void PowerOn() override { chip_.PowerOn(); }
  uint64_t power_cuts() const override { return chip_.counters().power_cuts; }
  void LoadImage(std::span<const std::byte> image) override {
    std::vector<std::byte> full(chip_.contents().begin(), chip_.contents().end());
    std::copy(image.begin(), image.end(), full.begin());
    EXPECT_EQ(chip_.Restore(full), Status::Ok());
  }

 private:
  // The first `size` bytes of a Flash, as a smaller Flash (the engine sizes itself from
  // the geometry).
  class Window final : public Flash {
   public:
    Window(Flash& target, uint32_t size) : Flash(Shrink(target, size)), target_(target) {}

   private:
    static FlashGeometry Shrink(Flash& target, uint32_t size) {
      FlashGeometry g = target.geometry();
      g.size_bytes = size;
      return g;
    }
    Status DoRead(uint32_t address, std::span<std::byte> out) override {
      return target_.Read(address, out);
    }
    Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
      return target_.Program(address, data);
    }
    Status DoErase(uint32_t address, uint32_t size_bytes) override {
      return target_.Erase(address, size_bytes);
    }
    Flash& target_;
  };

  VirtualClock clock_;
  SimulatedSpiNorChip chip_;
  SpiDeviceBus bus_;
  PartDatabase db_;
  std::unique_ptr<SpiNorFlash> driver_;
  std::unique_ptr<Window> window_;
  std::unique_ptr<CallCountingCut> cut_;
};

TEST(SpiNorKvPowerLossTest, ShortSweepOverTheSimulatedChip) {
  FLASHRIG_SEEDED(seed, 11);
  kv::testing::PowerLossConfig config;
  config.seed = seed;
  config.ops = 160;
  config.keys = 24;
  config.max_value_bytes = 300;
  config.stride = 2;
  config.max_keys = 64;
  const auto result = kv::testing::RunPowerLossSweep(
      config, [] { return std::make_unique<SpiNorPowerLossTarget>(); });
  EXPECT_TRUE(result.ok()) << result.failure;
  EXPECT_GT(result.cuts_tested, 20u);
  RecordProperty("cuts_tested", static_cast<int>(result.cuts_tested));
}

}  // namespace
}  // namespace flashrig::driver
