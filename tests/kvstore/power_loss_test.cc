// Power-loss sweep on RamFlash: a seeded 500-op workload at 70-90 % utilisation, cut at
// every program and erase with each effect (not applied, applied, torn); after every cut
// a new engine mounts from flash alone and must match the reference model.
// Replay one failure: FLASHRIG_SEED=<seed> FLASHRIG_CUT=<cut> ./kv_power_loss_test
#include <gtest/gtest.h>

#include <cstdlib>

#include "kvstore/power_loss_sweep.h"
#include "testing/test_seed.h"

namespace flashrig::kv::testing {
namespace {

uint64_t OnlyCut() {
  const char* env = std::getenv("FLASHRIG_CUT");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : 0;
}

TEST(PowerLossTest, EveryCutOfMixedWorkload_RecoversToOldOrNew) {
  FLASHRIG_SEEDED(seed, 20261126);
  PowerLossConfig config{.seed = seed, .ops = 500, .only_cut = OnlyCut()};
  const PowerLossResult r =
      RunPowerLossSweep(config, [] { return std::make_unique<RamFlashTarget>(4096, 32); });
  ASSERT_TRUE(r.ok()) << r.failure;
  std::printf(
      "power-loss sweep: seed %llu, %llu mutating ops, %llu cuts checked, peak "
      "utilisation %llu%%\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.mutating_ops),
      static_cast<unsigned long long>(r.cuts_tested),
      static_cast<unsigned long long>(r.peak_utilisation_percent));
  if (config.only_cut == 0) {
    EXPECT_GE(r.cuts_tested, r.mutating_ops * 2);  // Nearly every cut fires in every effect.
    EXPECT_GE(r.peak_utilisation_percent, 70u);
  }
}

}  // namespace
}  // namespace flashrig::kv::testing
