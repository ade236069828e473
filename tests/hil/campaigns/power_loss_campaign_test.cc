// Power-loss campaign on RamFlash with a test log engine: a correct engine survives every
// cut; one that acknowledges before programming is caught, with image and replay command.
#include "flashrig/hil/campaigns/power_loss_campaign.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "hil/log_kv.h"
#include "hil/ram_rig.h"
#include "testing/test_seed.h"

namespace flashrig::hil {
namespace {

using testing::LogKvFactory;
using testing::RamRig;

struct Sweep {
  RigReport report;
  Status status;
};

Sweep RunSweep(RamRig& r, const PowerLossConfig& config, bool broken, uint64_t seed,
               const std::string& artifacts = "") {
  CampaignConfig campaign;
  campaign.seed = seed;
  PowerLossCampaign p(config, LogKvFactory(broken));
  EXPECT_EQ(p.CheckRig(r.rig), "");
  CampaignContext ctx;
  ctx.rig = &r.rig;
  ctx.config = &campaign;
  ctx.artifacts_dir = artifacts;
  ctx.replay_command = "flashrig run out/x/config.json --out out/x/replay";
  Sweep s;
  s.status = p.Run(ctx, s.report);
  return s;
}

TEST(PowerLossCampaignTest, CorrectEngineSurvivesACutAtEveryMutatingOp) {
  FLASHRIG_SEEDED(seed, 11);
  RamRig r(4096, 16);
  PowerLossConfig config;
  config.operations = 30;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = CutEffect::kMixed;
  Sweep s = RunSweep(r, config, /*broken=*/false, seed);
  ASSERT_TRUE(s.status.ok());
  const auto& f = s.report.figures["power_loss"];
  EXPECT_GT(f["mutating_ops"].get<uint64_t>(), 30u);  // Body + commit per write.
  EXPECT_EQ(f["cut_points"], f["mutating_ops"]);
  EXPECT_EQ(f["failures"], 0);
  EXPECT_EQ(s.report.status, RunStatus::kPassed);
  EXPECT_EQ(s.report.checks.size(), f["cut_points"].get<size_t>() + 1);  // + dry run.
  EXPECT_GE(r.ram.power_cuts(), f["cut_points"].get<uint64_t>());
}

TEST(PowerLossCampaignTest, AckBeforeProgramEngineIsCaughtWithImageAndReplay) {
  FLASHRIG_SEEDED(seed, 11);
  const auto dir =
      std::filesystem::temp_directory_path() / ("flashrig_pl_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  RamRig r(4096, 16);
  PowerLossConfig config;
  config.operations = 30;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = CutEffect::kNotApplied;
  Sweep s = RunSweep(r, config, /*broken=*/true, seed, dir.string());
  ASSERT_TRUE(s.status.ok());
  EXPECT_EQ(s.report.status, RunStatus::kFailed);
  const auto& f = s.report.figures["power_loss"];
  EXPECT_GT(f["failures"].get<uint64_t>(), 0u);
  // The dry run cannot see the bug (RAM answers reads); only the cuts can.
  EXPECT_TRUE(s.report.checks.front().passed) << s.report.checks.front().message;
  const nlohmann::json* failed = nullptr;
  for (const auto& o : f["outcomes"]) {
    if (o["outcome"] == "failed") {
      failed = &o;
      break;
    }
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_NE((*failed)["detail"].get<std::string>().find("acknowledged"), std::string::npos)
      << (*failed)["detail"];
  EXPECT_EQ((*failed)["replay"], "flashrig run out/x/config.json --out out/x/replay --cut " +
                                     std::to_string((*failed)["cut"].get<uint64_t>()));
  const std::string image = (*failed)["image"];
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(std::filesystem::file_size(image), 16u * 4096u);
  // Passing cut points leave no image behind.
  size_t images = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) images += e.is_regular_file();
  EXPECT_EQ(images, f["failures"].get<size_t>());
  std::filesystem::remove_all(dir);
}

// The outcomes of a sweep without the fields only snapshot rounds record.
nlohmann::json OutcomesWithoutSnapshotFields(const RigReport& report) {
  nlohmann::json outcomes = report.figures["power_loss"]["outcomes"];
  for (auto& o : outcomes) {
    o.erase("from_op");
    o.erase("snapshot_diverged_at_op");
  }
  return outcomes;
}

size_t Count(const RigReport& report, const char* field, bool nonzero = false) {
  size_t n = 0;
  for (const auto& o : report.figures["power_loss"]["outcomes"]) {
    if (o.contains(field) && (!nonzero || o[field].get<uint64_t>() > 0)) ++n;
  }
  return n;
}

TEST(PowerLossCampaignTest, SnapshotsGiveTheOutcomesOfReplayingFromOpZero) {
  FLASHRIG_SEEDED(seed, 12);
  PowerLossConfig config;
  config.operations = 40;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = CutEffect::kMixed;
  RamRig a(4096, 16), b(4096, 16);
  const Sweep whole = RunSweep(a, config, /*broken=*/false, seed);
  config.snapshot_every_ops = 4;
  const Sweep snap = RunSweep(b, config, /*broken=*/false, seed);
  ASSERT_TRUE(whole.status.ok() && snap.status.ok());
  EXPECT_EQ(OutcomesWithoutSnapshotFields(snap.report),
            OutcomesWithoutSnapshotFields(whole.report));
  EXPECT_GT(Count(snap.report, "from_op", /*nonzero=*/true), 20u);  // Most rounds skip ahead.
  EXPECT_EQ(Count(snap.report, "snapshot_diverged_at_op"), 0u);
  EXPECT_EQ(snap.report.figures["power_loss"]["snapshot_every_ops"], 4);
}

TEST(PowerLossCampaignTest, AnEngineThatWritesOtherwiseAfterRemountIsReplayedFromOpZero) {
  // Acknowledged-but-unwritten records live in the broken engine's RAM, so a remount from
  // a snapshot does not write what the dry run wrote next: those rounds must notice and
  // replay from op 0, and the sweep must find exactly the failures a full replay finds.
  FLASHRIG_SEEDED(seed, 13);
  PowerLossConfig config;
  config.operations = 40;
  config.schedule = CutSchedule::kEveryOp;
  config.effect = CutEffect::kNotApplied;
  RamRig a(4096, 16), b(4096, 16);
  const Sweep whole = RunSweep(a, config, /*broken=*/true, seed);
  config.snapshot_every_ops = 4;
  const Sweep snap = RunSweep(b, config, /*broken=*/true, seed);
  EXPECT_GT(whole.report.figures["power_loss"]["failures"].get<uint64_t>(), 0u);
  EXPECT_GT(Count(snap.report, "snapshot_diverged_at_op"), 0u);
  EXPECT_EQ(OutcomesWithoutSnapshotFields(snap.report),
            OutcomesWithoutSnapshotFields(whole.report));
}

TEST(PowerLossCampaignTest, ReplayOfOneCutReproducesTheFailure) {
  RamRig a(4096, 16);
  PowerLossConfig config;
  config.operations = 30;
  config.effect = CutEffect::kNotApplied;
  Sweep all = RunSweep(a, config, true, 11);
  uint64_t cut = 0;
  std::string detail;
  for (const auto& o : all.report.figures["power_loss"]["outcomes"]) {
    if (o["outcome"] == "failed") {
      cut = o["cut"];
      detail = o["detail"];
      break;
    }
  }
  ASSERT_NE(cut, 0u);
  RamRig b(4096, 16);
  config.only_cut = cut;
  Sweep one = RunSweep(b, config, true, 11);
  const auto& outcomes = one.report.figures["power_loss"]["outcomes"];
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0]["cut"], cut);
  EXPECT_EQ(outcomes[0]["detail"], detail);
}

TEST(PowerLossCampaignTest, CutSchedules) {
  PowerLossConfig c;
  c.schedule = CutSchedule::kLogSpaced;
  c.cut_count = 8;
  const auto log = PowerLossCutPoints(c, 1000, {}, 1);
  EXPECT_EQ(log.front(), 1u);
  EXPECT_EQ(log.back(), 1000u);
  EXPECT_EQ(log.size(), 8u);
  EXPECT_LT(log[1], 10u);  // Dense at the start.

  c.schedule = CutSchedule::kRandom;
  c.cut_count = 20;
  const auto random = PowerLossCutPoints(c, 500, {}, 9);
  EXPECT_EQ(random, PowerLossCutPoints(c, 500, {}, 9));
  EXPECT_NE(random, PowerLossCutPoints(c, 500, {}, 10));
  EXPECT_TRUE(std::is_sorted(random.begin(), random.end()));
  for (uint64_t p : random) EXPECT_TRUE(p >= 1 && p <= 500);

  c.schedule = CutSchedule::kHazards;
  EXPECT_EQ(PowerLossCutPoints(c, 10, {2, 5, 5, 12}, 1), (std::vector<uint64_t>{2, 5}));
  c.schedule = CutSchedule::kEveryOp;
  EXPECT_EQ(PowerLossCutPoints(c, 3, {}, 1), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(PowerLossCampaignTest, WorkloadOnlyAppendsAbsentAndTouchesLiveKeys) {
  PowerLossConfig c;
  c.operations = 500;
  c.key_count = 5;
  std::set<std::string> live;
  for (const KvOp& op : MakePowerLossWorkload(c, 3)) {
    switch (op.type) {
      case KvOp::kAppend:
        EXPECT_EQ(live.count(op.key), 0u);
        live.insert(op.key);
        break;
      case KvOp::kSet:
        live.insert(op.key);
        break;
      case KvOp::kInvalidate:
        EXPECT_EQ(live.erase(op.key), 1u);
        break;
      case KvOp::kGet:
        EXPECT_EQ(live.count(op.key), 1u);
        break;
      case KvOp::kGc:
        break;
    }
    if (op.type == KvOp::kAppend || op.type == KvOp::kSet) {
      EXPECT_GE(op.value.size(), c.value_min_bytes);
      EXPECT_LE(op.value.size(), c.value_max_bytes);
    }
  }
}

TEST(PowerLossCampaignTest, NeedsPowerControlAndAnEngine) {
  RamRig r(4096, 4);
  r.rig.power = nullptr;
  EXPECT_NE(PowerLossCampaign({}, LogKvFactory(false)).CheckRig(r.rig).find("no power control"),
            std::string::npos);
  r.rig.power = &r.power;
  EXPECT_EQ(PowerLossCampaign({}, nullptr).CheckRig(r.rig),
            "this build has no KV engine for the power-loss campaign");
}

}  // namespace
}  // namespace flashrig::hil
