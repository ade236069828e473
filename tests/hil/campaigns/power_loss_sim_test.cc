// The power-loss campaign on the simulated W25Q128JV (exact cuts inside program/erase):
// the TicKV engine and a correct test engine pass; an engine that acknowledges writes
// before programming them is caught. Proof the campaign can fail where it should.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "flashrig/hil/campaigns/power_loss_campaign.h"
#include "flashrig/hil/targets/target.h"
#include "hil/log_kv.h"

namespace flashrig::hil {
namespace {

using testing::LogKvFactory;

RigReport RunOnSim(const KvFactory& kv, CutEffect effect,
                   const std::function<void(PowerLossConfig&)>& adjust = {},
                   PowerControlMethod method = PowerControlMethod::kNone) {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  RigConfig rc;
  rc.name = "sim";
  rc.target = std::string("sim:") + src + "/configs/parts/w25q128jv.json?timing=sampled&seed=4";
  rc.partition_offset_bytes = 1 << 20;
  rc.partition_size_bytes = 64 * 1024;
  rc.power.method = method;
  rc.power.settle_ms = 1;
  RigOpenResult opened = OpenRig(rc);
  EXPECT_NE(opened.handle, nullptr) << opened.error;
  Rig& rig = opened.handle->rig();
  EXPECT_EQ(rig.timing, TimingSource::kModelled);
  PowerLossConfig config;
  config.operations = 30;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = effect;
  if (adjust) adjust(config);
  return testing::RunPowerLossOn(rig, config, kv, 5);
}

TEST(PowerLossSimTest, TicKvSurvivesEveryCut) {
  const RigReport r = RunOnSim(DefaultKvFactory(), CutEffect::kMixed);
  EXPECT_EQ(r.status, RunStatus::kPassed);
  EXPECT_GT(r.figures["power_loss"]["cut_points"].get<int>(), 30);
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
}

TEST(PowerLossSimTest, CorrectTestEngineSurvivesEveryCut) {
  EXPECT_EQ(RunOnSim(LogKvFactory(false), CutEffect::kTorn).status, RunStatus::kPassed);
}

TEST(PowerLossSimTest, AckBeforeProgramEngineIsCaught) {
  const RigReport r = RunOnSim(LogKvFactory(true), CutEffect::kTorn);
  EXPECT_EQ(r.status, RunStatus::kFailed);
  EXPECT_GT(r.figures["power_loss"]["failures"].get<int>(), 0);
}

// Hazard cut points are numbered as the chip's power switch counts (one per program or
// erase command), not per Flash call: a 2000-byte append is eight page programs. With
// Flash-call numbering most cuts landed inside appends, which hold no hazard (one large
// program, no erase); now they land on the invalidates of sets/removes and on GC.
TEST(PowerLossSimTest, HazardCutsLandOnHazardsWhenOneFlashCallIsManyCommands) {
  const RigReport r = RunOnSim(DefaultKvFactory(), CutEffect::kMixed, [](PowerLossConfig& c) {
    c.schedule = CutSchedule::kHazards;
    c.operations = 60;
    c.value_min_bytes = 300;
    c.value_max_bytes = 2000;
  });
  EXPECT_EQ(r.status, RunStatus::kPassed);
  const auto& outcomes = r.figures["power_loss"]["outcomes"];
  ASSERT_GT(outcomes.size(), 10u);
  size_t in_appends = 0;
  for (const auto& o : outcomes) {
    if (o["op"].get<std::string>().rfind("append", 0) == 0) ++in_appends;
  }
  EXPECT_EQ(in_appends, 0u);
}

// The replay command a failure prints runs one cut alone (--cut N). Rounds are reseeded,
// so round N leaves the same bytes on flash whether it runs after rounds 1..N-1 or alone
// (soft resets tear with the chip's random stream, which earlier rounds used to advance).
TEST(PowerLossSimTest, ReplayOfOneCutLeavesTheSameFlashAsTheFullRun) {
  const RigReport full =
      RunOnSim(DefaultKvFactory(), CutEffect::kMixed, {}, PowerControlMethod::kSoftReset);
  const auto& outcomes = full.figures["power_loss"]["outcomes"];
  ASSERT_GT(outcomes.size(), 20u);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const uint64_t cut = outcomes[i]["cut"].get<uint64_t>();
    SCOPED_TRACE("cut " + std::to_string(cut));
    const RigReport one = RunOnSim(
        DefaultKvFactory(), CutEffect::kMixed, [cut](PowerLossConfig& c) { c.only_cut = cut; },
        PowerControlMethod::kSoftReset);
    const auto& replayed = one.figures["power_loss"]["outcomes"];
    ASSERT_EQ(replayed.size(), 1u);
    EXPECT_EQ(replayed[0]["image_crc32"], outcomes[i]["image_crc32"]);
    EXPECT_EQ(replayed[0]["op"], outcomes[i]["op"]);
  }
}

}  // namespace
}  // namespace flashrig::hil
