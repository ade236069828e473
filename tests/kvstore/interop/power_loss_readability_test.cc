// Readability after power loss: the power-loss sweep (tests/kvstore/power_loss_sweep.h)
// at every 10th cut point, each effect (not applied, applied, torn); after the recovery
// mount the real TicKV crate must find every key our engine (checked against the model)
// holds, with its value, the super key included (a Tock board wipes a store whose super
// key it cannot find). Covers the mount repairs: sealed torn tails, fillers written after
// a cut between an erase and its filler, finished copies.
// Replay: FLASHRIG_SEED=<seed> ./kv_tickv_power_loss_test
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/interop/tickv_oracle.h"
#include "kvstore/power_loss_sweep.h"
#include "testing/test_seed.h"

namespace flashrig::kv::testing {
namespace {

using interop::TickvOracle;

// The check the sweep runs after each sampled recovery mount.
std::function<std::string(TicKvEngine&, driver::Flash&)> OracleReads(const TickvOracle& oracle,
                                                                     uint64_t* checked) {
  return [&oracle, checked](TicKvEngine& engine, driver::Flash& flash) {
    std::map<HashedKey, std::vector<std::byte>> live;
    std::vector<std::byte> out(4096);
    std::string failure;
    engine.ForEachKey([&](const IndexSlot& slot) {
      size_t n = 0;
      const Status s = engine.Get(slot.key, out, &n);
      if (!s.ok()) failure = "our engine cannot read a listed key: " + std::string(s.str());
      live[slot.key].assign(out.begin(), out.begin() + static_cast<ptrdiff_t>(n));
    });
    if (!failure.empty()) return failure;
    std::vector<std::byte> image(flash.geometry().size_bytes);
    if (!flash.Read(0, image).ok()) return std::string("cannot read the image");
    ++*checked;
    return oracle.CheckReadable(image, flash.geometry().erase_size_bytes,
                                flash.geometry().sector_count(), live);
  };
}

struct Case {
  const char* name;
  uint32_t region_bytes;
  uint32_t regions;
  uint32_t max_value_bytes;
  uint32_t keys;
  uint32_t max_utilisation_percent;
  bool wear_record;
};

class PowerLossReadabilityTest : public ::testing::TestWithParam<Case> {};

TEST_P(PowerLossReadabilityTest, EveryTenthCut_TicKvReadsEveryLiveKeyAfterMount) {
  const Case& c = GetParam();
  FLASHRIG_SEEDED(seed, 20261126);  // The seed of kv_power_loss_test: the same cut points.
  TickvOracle oracle;
  uint64_t checked = 0;
  PowerLossConfig config{.seed = seed,
                         .ops = 500,
                         .keys = c.keys,
                         .max_value_bytes = c.max_value_bytes,
                         .min_utilisation_percent = c.max_utilisation_percent - 20,
                         .max_utilisation_percent = c.max_utilisation_percent,
                         .stride = 10,
                         .engine_options = {.wear_record = c.wear_record},
                         .after_mount_check = OracleReads(oracle, &checked),
                         .after_mount_check_every = 10};
  const uint32_t region_bytes = c.region_bytes, regions = c.regions;
  const PowerLossResult r = RunPowerLossSweep(
      config, [=] { return std::make_unique<RamFlashTarget>(region_bytes, regions); });
  ASSERT_TRUE(r.ok()) << r.failure;
  std::printf(
      "%s: seed %llu, %llu mutating ops, %llu cuts, TicKV read every live key after %llu "
      "recovery mounts\n",
      c.name, static_cast<unsigned long long>(seed),
      static_cast<unsigned long long>(r.mutating_ops),
      static_cast<unsigned long long>(r.cuts_tested), static_cast<unsigned long long>(checked));
  EXPECT_GE(checked, r.mutating_ops / 10 * 2);  // Nearly every sampled cut, each effect.
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, PowerLossReadabilityTest,
    ::testing::Values(Case{"4096x32", 4096, 32, 2000, 160, 90, false},
                      Case{"4096x32_wear_record", 4096, 32, 2000, 160, 90, true},
                      Case{"256x16", 256, 16, 100, 40, 70, false}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace flashrig::kv::testing
