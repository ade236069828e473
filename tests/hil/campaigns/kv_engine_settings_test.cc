// How the KV engine runs on a rig (the rig's "kv" section): the weak-cell refresh at mount
// defaults to on for chips and off for RAM and image files, and the shipped soft-reset
// power-loss campaign passes with its default for seeds 1-40 (issue 12).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/hil/campaigns/runner.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;

TEST(KvEngineSettingsTest, RefreshDefaultsByTargetAndTheRigCanOverride) {
  RigConfig rig;
  for (const char* chip : {"sim:configs/parts/w25q128jv.json", "ftdi://ftdi:232h/1",
                           "ftdi-emu:configs/parts/w25q128jv.json", "serprog:tcp:localhost:1"}) {
    rig.target = chip;
    EXPECT_TRUE(KvSettingsForRig(rig).refresh_on_mount) << chip;
  }
  for (const char* no_weak_cells : {"ram:4096x16", "image:store.bin"}) {
    rig.target = no_weak_cells;
    EXPECT_FALSE(KvSettingsForRig(rig).refresh_on_mount) << no_weak_cells;
  }
  EXPECT_FALSE(KvSettingsForRig(rig).wear_record);
  rig.kv = {.refresh_on_mount = true, .wear_record = true};
  EXPECT_TRUE(KvSettingsForRig(rig).refresh_on_mount);
  EXPECT_TRUE(KvSettingsForRig(rig).wear_record);
  rig.target = "sim:configs/parts/w25q128jv.json";
  rig.kv.refresh_on_mount = false;
  EXPECT_FALSE(KvSettingsForRig(rig).refresh_on_mount);
}

// The shipped campaign (its rig leaves refresh_on_mount to the default: on, a simulated
// chip) with seeds 1..40: every cut of every workload recovers.
TEST(KvEngineSettingsTest, ShippedSoftResetCampaign_PassesForSeedsOneToForty) {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  fs::current_path(src);  // The campaign's paths are relative to the repository root.
  ConfigErrors errors;
  auto campaign = LoadCampaignFile("configs/campaigns/power-loss-sim-soft-reset.json", &errors);
  ASSERT_TRUE(campaign.has_value()) << FormatConfigErrors(errors);
  ASSERT_FALSE(campaign->rigs[0].kv.refresh_on_mount.has_value());
  ASSERT_TRUE(KvSettingsForRig(campaign->rigs[0]).refresh_on_mount);
  const fs::path out =
      fs::temp_directory_path() / ("flashrig_soft_reset_seeds_" + std::to_string(::getpid()));
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    campaign->seed = seed;
    RunOptions options;
    options.out_dir = (out / std::to_string(seed)).string();
    const RunResult r = RunCampaign(*campaign, options);
    EXPECT_EQ(r.exit_code, 0) << "seed " << seed << ": " << r.message;
  }
  fs::remove_all(out);
}

}  // namespace
}  // namespace flashrig::hil
