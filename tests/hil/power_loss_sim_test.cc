// The power-loss campaign on the simulated W25Q128JV (exact cuts inside program/erase):
// the TicKV engine and a correct test engine pass; an engine that acknowledges writes
// before programming them is caught. Proof the campaign can fail where it should.
#include <gtest/gtest.h>

#include "flashrig/hil/power_loss_campaign.h"
#include "flashrig/hil/target.h"
#include "log_kv.h"

namespace flashrig::hil {
namespace {

RigReport RunOnSim(const KvFactory& kv, CutEffect effect) {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  RigConfig rc;
  rc.name = "sim";
  rc.target = std::string("sim:") + src + "/configs/parts/w25q128jv.json?timing=sampled&seed=4";
  rc.partition_offset_bytes = 1 << 20;
  rc.partition_size_bytes = 64 * 1024;
  RigOpenResult opened = OpenRig(rc);
  EXPECT_NE(opened.handle, nullptr) << opened.error;
  Rig& rig = opened.handle->rig();
  EXPECT_EQ(rig.timing, TimingSource::kModelled);
  PowerLossConfig config;
  config.operations = 30;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = effect;
  PowerLossCampaign campaign(config, kv);
  EXPECT_EQ(campaign.CheckRig(rig), "");
  CampaignConfig cc;
  cc.seed = 5;
  CampaignContext ctx;
  ctx.rig = &rig;
  ctx.config = &cc;
  RigReport report;
  EXPECT_TRUE(campaign.Run(ctx, report).ok()) << report.error;
  return report;
}

KvFactory LogKvFactory(bool broken) {
  return [broken](driver::Flash& flash) -> std::unique_ptr<KvUnderTest> {
    return std::make_unique<testing::LogKv>(flash, broken);
  };
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

}  // namespace
}  // namespace flashrig::hil
