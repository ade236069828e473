// Shards merge back into exactly the unsharded report: for each campaign kind (power loss
// with and without snapshots, with a failing engine; endurance; throughput; qualify over
// three parts), the campaign runs once whole and then as N = 1, 2, 3, 4 shards, and the
// merged report must equal the whole one in every check and figure. Only timing and host
// fields may differ (start/finish times, durations, tool version, directories).
#include "flashrig/hil/merge/report_merge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "flashrig/hil/campaigns/runner.h"
#include "hil/log_kv.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Src() {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  return src ? src : ".";
}

std::string SimRig(const std::string& part, int seed) {
  return "sim:" + Src() + "/configs/parts/" + part +
         ".json?timing=sampled&seed=" + std::to_string(seed);
}

// Replaces every occurrence of `from` in the strings of `j` with `to`.
void ReplaceInStrings(json& j, const std::string& from, const std::string& to) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
    j = s;
  } else if (j.is_structured()) {
    for (auto& v : j) ReplaceInStrings(v, from, to);
  }
}

// report.json without the fields a merge may change: times, durations, tool version and
// directories (`dirs` become "<run>").
json Comparable(const Report& report, const std::vector<std::string>& dirs) {
  json j = ReportToJson(report);
  for (const char* key : {"started_utc", "finished_utc", "tool_version", "merged_from", "shards"}) {
    j.erase(key);
  }
  for (auto& rig : j["rigs"]) rig.erase("duration_s");
  // Longest first, so "DIR/shard-1" is not half-replaced as "DIR".
  std::vector<std::string> sorted = dirs;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
  for (const auto& d : sorted) ReplaceInStrings(j, d, "<run>");
  return j;
}

class ReportMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("flashrig_merge_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static CampaignConfig Parse(const json& j) {
    ConfigErrors errors;
    auto c = ParseCampaign(j, "inline.json", &errors);
    EXPECT_TRUE(c.has_value()) << FormatConfigErrors(errors);
    return c.value_or(CampaignConfig{});
  }

  RunResult RunShard(const CampaignConfig& c, const std::string& out, Shard shard,
                     const KvFactory& kv) {
    RunOptions options;
    options.out_dir = out;
    options.shard = shard;
    options.kv = kv;
    return RunCampaign(c, options);
  }

  // Runs `c` whole, then as 1..4 shards, and checks each merge against the whole run.
  void ExpectShardsMergeToTheWholeRun(const json& campaign, int expected_exit,
                                      const KvFactory& kv = DefaultKvFactory()) {
    const CampaignConfig c = Parse(campaign);
    const std::string whole_dir = (dir_ / "whole").string();
    const RunResult whole = RunShard(c, whole_dir, {}, kv);
    ASSERT_EQ(whole.exit_code, expected_exit) << whole.message;
    const json want = Comparable(*whole.report, {whole_dir});
    for (uint32_t n = 1; n <= 4; ++n) {
      std::vector<Report> reports;
      std::vector<std::string> dirs;
      for (uint32_t i = 0; i < n; ++i) {
        dirs.push_back(
            (dir_ / ("n" + std::to_string(n) + "-shard-" + std::to_string(i + 1))).string());
        const RunResult r = RunShard(c, dirs.back(), {i, n}, kv);
        ASSERT_TRUE(r.report.has_value()) << r.message;
        reports.push_back(*r.report);
      }
      std::string error;
      auto merged = MergeReports(reports, dirs, &error);
      ASSERT_TRUE(merged.has_value()) << error;
      // Through the files, as `flashrig merge` and the Slurm merge job see it.
      const std::string merged_dir = (dir_ / ("n" + std::to_string(n) + "-merged")).string();
      ASSERT_TRUE(WriteReportFiles(*merged, merged_dir, &error).ok()) << error;
      auto back = ReadReportDir(merged_dir, &error);
      ASSERT_TRUE(back.has_value()) << error;
      EXPECT_EQ(ExitCodeFor(back->OverallStatus()), expected_exit) << n << " shards";
      EXPECT_EQ(back->shards.size(), n);
      const json got = Comparable(*back, dirs);
      EXPECT_EQ(got, want) << n << " shards; first difference under /rigs: "
                           << json::diff(want, got).dump().substr(0, 600);
    }
  }

  fs::path dir_;
};

TEST_F(ReportMergeTest, PowerLossEveryCut) {
  ExpectShardsMergeToTheWholeRun(
      {{"name", "merge-power-loss"},
       {"kind", "power_loss"},
       {"seed", 3},
       {"rig",
        {{"name", "sim"},
         {"target", SimRig("w25q128jv", 2)},
         {"partition", {{"offset_bytes", 1 << 20}, {"size_bytes", 65536}}}}},
       {"power_loss", {{"operations", 24}, {"schedule", "every_op"}, {"effect", "mixed"}}}},
      0);
}

TEST_F(ReportMergeTest, PowerLossWithSnapshotsAndAFailingEngine) {
  // The engine acknowledges before it programs: rounds fail (with images and replay
  // commands), and rounds started from a snapshot find it writes what the dry run did
  // not (its acknowledged write is still in RAM at the snapshot) and replay from op 0.
  ExpectShardsMergeToTheWholeRun({{"name", "merge-power-loss-snap"},
                                  {"kind", "power_loss"},
                                  {"seed", 5},
                                  {"rig", {{"name", "ram"}, {"target", "ram:4096x16"}}},
                                  {"power_loss",
                                   {{"operations", 40},
                                    {"schedule", "every_op"},
                                    {"effect", "mixed"},
                                    {"snapshot_every_ops", 8}}}},
                                 1, testing::LogKvFactory(/*ack_before_program=*/true));
}

TEST_F(ReportMergeTest, PowerLossWithSnapshotsOnTheSimulatedChip) {
  ExpectShardsMergeToTheWholeRun(
      {{"name", "merge-power-loss-sim-snap"},
       {"kind", "power_loss"},
       {"seed", 24},
       {"rig",
        {{"name", "sim"},
         {"target", SimRig("w25q128jv", 5)},
         {"partition", {{"offset_bytes", 1 << 20}, {"size_bytes", 65536}}}}},
       {"power_loss",
        {{"operations", 80},
         {"schedule", "log_spaced"},
         {"cut_count", 24},
         {"effect", "not_applied"},
         {"snapshot_every_ops", 16}}}},
      0);
}

TEST_F(ReportMergeTest, Endurance) {
  ExpectShardsMergeToTheWholeRun({{"name", "merge-endurance"},
                                  {"kind", "endurance"},
                                  {"seed", 2},
                                  {"rig", {{"name", "sim"}, {"target", SimRig("w25q128jv", 1)}}},
                                  {"endurance",
                                   {{"sectors", {{"first", 0}, {"count", 5}}},
                                    {"cycles", 12},
                                    {"verify_every", 3},
                                    {"curve_points", 4}}}},
                                 0);
}

TEST_F(ReportMergeTest, ThroughputOnTwoRigs) {
  ExpectShardsMergeToTheWholeRun(
      {{"name", "merge-throughput"},
       {"kind", "throughput"},
       {"seed", 4},
       {"rigs",
        {{{"name", "a"}, {"target", SimRig("w25q128jv", 1)}},
         {{"name", "b"}, {"target", SimRig("gd25q64c", 2)}}}},
       {"throughput",
        {{"operations", {"read", "program", "erase"}},
         {"sizes_bytes", {256, 4096}},
         {"iterations", 3},
         {"kv_mixes", {{{"name", "mix"}, {"operations", 24}, {"key_count", 8}}}}}}},
      0);
}

TEST_F(ReportMergeTest, QualifyShardsItsParts) {
  const json kPart = {{"offset_bytes", 0}, {"size_bytes", 128 * 1024}};
  ExpectShardsMergeToTheWholeRun(
      {{"name", "merge-qualify"},
       {"kind", "qualify"},
       {"seed", 1},
       {"rigs",
        {{{"name", "w25q128jv"}, {"target", SimRig("w25q128jv", 1)}, {"partition", kPart}},
         {{"name", "gd25q64c"}, {"target", SimRig("gd25q64c", 2)}, {"partition", kPart}},
         {{"name", "w25q16jv"}, {"target", SimRig("w25q16jv", 3)}, {"partition", kPart}}}},
       {"qualify", {{"timing_samples", 2}, {"endurance_cycles", 6}, {"power_loss_operations", 6}}}},
      0);
}

// Two endurance shards of four sectors, for the tests below.
std::vector<ShardRun> TwoShards(const CampaignConfig& c, const std::string& base) {
  std::vector<ShardRun> runs;
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions options;
    options.out_dir = base + "/shard-" + std::to_string(i + 1);
    options.shard = {i, 2};
    RunResult r = RunCampaign(c, options);
    EXPECT_EQ(r.exit_code, 0) << r.message;
    runs.push_back({.dir = options.out_dir, .report = r.report});
  }
  return runs;
}

TEST_F(ReportMergeTest, AMissingShardIsNamedAndTheMergeIsIncomplete) {
  const CampaignConfig c = Parse({{"name", "merge-missing"},
                                  {"kind", "endurance"},
                                  {"rig", {{"name", "r0"}, {"target", "ram:4096x8"}}},
                                  {"endurance", {{"sectors", {0, 1, 2, 3}}, {"cycles", 3}}}});
  std::vector<ShardRun> runs = TwoShards(c, dir_.string());
  runs[1].report.reset();
  runs[1].index = 1;
  runs[1].count = 2;
  runs[1].problem = "job 7_2 exited 3";
  std::string error;
  auto merged = MergeShardRuns(runs, &error);
  ASSERT_TRUE(merged.has_value()) << error;
  ASSERT_EQ(merged->rigs.size(), 1u);
  EXPECT_EQ(merged->rigs[0].status, RunStatus::kInterrupted);
  EXPECT_NE(merged->rigs[0].error.find("shard 2/2 left no report"), std::string::npos)
      << merged->rigs[0].error;
  EXPECT_NE(merged->rigs[0].error.find("job 7_2 exited 3"), std::string::npos);
  EXPECT_EQ(ExitCodeFor(merged->OverallStatus()), 1);
  ASSERT_EQ(merged->shards.size(), 2u);
  EXPECT_EQ(merged->shards[0].status, "passed");
  EXPECT_EQ(merged->shards[1].status, "missing");
  // Only the sectors the present shard ran.
  EXPECT_EQ(merged->rigs[0].figures["endurance"]["sectors"].size(), 2u);
}

TEST_F(ReportMergeTest, RefusesDuplicatesAndOtherCampaigns) {
  const CampaignConfig c = Parse({{"name", "merge-refuse"},
                                  {"kind", "endurance"},
                                  {"rig", {{"name", "r0"}, {"target", "ram:4096x8"}}},
                                  {"endurance", {{"sectors", {0, 1, 2, 3}}, {"cycles", 3}}}});
  std::vector<ShardRun> runs = TwoShards(c, dir_.string());
  std::string error;
  EXPECT_FALSE(MergeShardRuns({runs[0], runs[0]}, &error).has_value());
  EXPECT_NE(error.find("appears twice"), std::string::npos) << error;
  ShardRun other = runs[1];
  other.report->campaign = "other";
  EXPECT_FALSE(MergeShardRuns({runs[0], other}, &error).has_value());
  EXPECT_NE(error.find("campaign other"), std::string::npos) << error;
  other = runs[1];
  other.report->config["endurance"]["cycles"] = 4;
  EXPECT_FALSE(MergeShardRuns({runs[0], other}, &error).has_value());
  EXPECT_NE(error.find("different configuration"), std::string::npos) << error;
  EXPECT_FALSE(MergeShardRuns({}, &error).has_value());
}

TEST(ShardOwnersTest, SplitsByCostDeterministically) {
  // One expensive item goes alone; the cheap ones fill the other shard.
  const std::vector<uint64_t> costs = {1, 1, 10, 1, 1, 1};
  EXPECT_EQ(ShardOwners(costs, 2), (std::vector<uint32_t>{1, 1, 0, 1, 1, 1}));
  // Equal costs: round robin in index order.
  EXPECT_EQ(ShardOwners(std::vector<uint64_t>(5, 3), 2), (std::vector<uint32_t>{0, 1, 0, 1, 0}));
  EXPECT_EQ(ShardOwners(costs, 1), std::vector<uint32_t>(6, 0));
  // A power-loss-like sweep (cost grows with the cut): loads within 1 % of each other.
  std::vector<uint64_t> sweep;
  for (uint64_t c = 1; c <= 1000; ++c) sweep.push_back(c + 20);
  for (uint32_t n = 2; n <= 4; ++n) {
    std::vector<uint64_t> load(n, 0);
    const auto owners = ShardOwners(sweep, n);
    for (size_t i = 0; i < sweep.size(); ++i) load[owners[i]] += sweep[i];
    const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
    EXPECT_LT(double(*hi - *lo), 0.01 * double(*hi)) << n;
  }
}

}  // namespace
}  // namespace flashrig::hil
