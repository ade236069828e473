// The runner end to end on ram: targets: output files, bad input touches nothing,
// Ctrl-C gives a partial report that --resume completes, shards merge back together.
#include "flashrig/hil/campaigns/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "flashrig/hil/merge/report_merge.h"
#include "testing/xml_check.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("flashrig_runner_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static CampaignConfig Endurance(json sectors, uint64_t cycles) {
    const json j = {{"name", "run-test"},
                    {"kind", "endurance"},
                    {"rig", {{"name", "r0"}, {"target", "ram:4096x16"}}},
                    {"endurance", {{"sectors", sectors}, {"cycles", cycles}}}};
    ConfigErrors errors;
    auto c = ParseCampaign(j, "inline.json", &errors);
    EXPECT_TRUE(c.has_value()) << FormatConfigErrors(errors);
    return *c;
  }
  std::string Out(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  fs::path dir_;
};

TEST_F(RunnerTest, WritesReportJunitHtmlAndAReusableConfig) {
  RunOptions options;
  options.out_dir = Out("a");
  const RunResult r = RunCampaign(Endurance({0, 1}, 5), options);
  EXPECT_EQ(r.exit_code, 0) << r.message;
  for (const char* f :
       {"report.json", "junit.xml", "report.html", "config.json", "checkpoint.json"}) {
    EXPECT_TRUE(fs::is_regular_file(Out("a") + "/" + f)) << f;
  }
  EXPECT_EQ(testing::CheckWellFormedXml(Slurp(Out("a") + "/junit.xml")), "");
  std::string error;
  auto report = ReadReportDir(Out("a"), &error);
  ASSERT_TRUE(report.has_value()) << error;
  EXPECT_EQ(report->rigs[0].figures["endurance"]["cycles_done"], 5);
  EXPECT_EQ(report->config["rigs"][0]["target"], "ram:4096x16");
  // config.json is itself a campaign: the replay commands rely on it.
  ConfigErrors errors;
  EXPECT_TRUE(LoadCampaignFile(Out("a") + "/config.json", &errors).has_value())
      << FormatConfigErrors(errors);
}

TEST_F(RunnerTest, BadInputIsExitTwoAndCreatesNothing) {
  RunOptions options;
  options.out_dir = Out("bad");
  RunResult r = RunCampaign(Endurance({0, 99}, 5), options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.message.find("sector 99 is outside the partition"), std::string::npos) << r.message;
  EXPECT_FALSE(fs::exists(Out("bad")));

  CampaignConfig c = Endurance({0}, 5);
  c.rigs[0].target = "image:" + Out("missing.bin");
  r = RunCampaign(c, options);
  EXPECT_EQ(r.exit_code, 2) << r.message;
  EXPECT_FALSE(fs::exists(Out("bad")));

  options.shard = {2, 2};
  EXPECT_EQ(RunCampaign(Endurance({0}, 5), options).exit_code, 2);
}

TEST_F(RunnerTest, InterruptGivesAPartialReportAndResumeFinishesIt) {
  std::atomic<bool> interrupt{true};
  RunOptions options;
  options.out_dir = Out("i");
  options.interrupt = &interrupt;
  RunResult r = RunCampaign(Endurance({2}, 7), options);
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_TRUE(r.report.has_value());
  EXPECT_EQ(r.report->rigs[0].status, RunStatus::kInterrupted);
  EXPECT_NE(r.report->rigs[0].error.find("--resume"), std::string::npos);
  EXPECT_NE(Slurp(Out("i") + "/junit.xml").find("interrupted"), std::string::npos);
  EXPECT_EQ(json::parse(Slurp(Out("i") + "/checkpoint.json"))["complete"], false);

  interrupt = false;
  r = ResumeCampaign(Out("i"), options);
  EXPECT_EQ(r.exit_code, 0) << r.message;
  ASSERT_TRUE(r.report.has_value());
  EXPECT_EQ(r.report->rigs[0].figures["endurance"]["cycles_done"], 7);
  EXPECT_EQ(json::parse(Slurp(Out("i") + "/checkpoint.json"))["complete"], true);

  // A finished run is only re-rendered.
  fs::remove(Out("i") + "/report.html");
  r = ResumeCampaign(Out("i"), options);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.message.find("already complete"), std::string::npos);
  EXPECT_TRUE(fs::exists(Out("i") + "/report.html"));

  EXPECT_EQ(ResumeCampaign(Out("nothing-here"), options).exit_code, 2);
}

TEST_F(RunnerTest, ShardsCoverTheWorkAndMergeIntoOneReport) {
  std::vector<Report> reports;
  std::vector<std::string> dirs;
  for (uint32_t i = 0; i < 2; ++i) {
    RunOptions options;
    std::string name = "s";  // Appended: "s" + std::string trips GCC 12's false -Wrestrict at -O3.
    name += std::to_string(i);
    options.out_dir = Out(name);
    options.shard = {i, 2};
    const RunResult r = RunCampaign(Endurance({0, 1, 2, 3}, 3), options);
    ASSERT_EQ(r.exit_code, 0) << r.message;
    reports.push_back(*r.report);
    dirs.push_back(options.out_dir);
  }
  std::string error;
  auto merged = MergeReports(reports, dirs, &error);
  ASSERT_TRUE(merged.has_value()) << error;
  std::set<int> sectors;
  for (const auto& rig : merged->rigs) {
    for (const auto& s : rig.figures["endurance"]["sectors"]) sectors.insert(s["index"].get<int>());
  }
  EXPECT_EQ(sectors, (std::set<int>{0, 1, 2, 3}));
  ASSERT_TRUE(WriteReportFiles(*merged, Out("merged"), &error).ok()) << error;
  EXPECT_EQ(testing::CheckWellFormedXml(Slurp(Out("merged") + "/junit.xml")), "");
}

}  // namespace
}  // namespace flashrig::hil
