// Endurance campaign on RamFlash: cycle counts and partition limits, busy times, every stop
// criterion, shards, device errors and resuming from a checkpoint.
#include "flashrig/hil/campaigns/endurance_campaign.h"

#include <gtest/gtest.h>

#include "hil/ram_rig.h"

namespace flashrig::hil {
namespace {

using testing::RamRig;

struct Outcome {
  Status status;
  RigReport report;
  nlohmann::json last_state;
};

Outcome RunOn(RamRig& r, const EnduranceConfig& config, CampaignContext ctx = {}) {
  CampaignConfig campaign;
  campaign.seed = 7;
  Outcome out;
  ctx.rig = &r.rig;
  ctx.config = &campaign;
  ctx.checkpoint = [&out](const nlohmann::json& s, bool) { out.last_state = s; };
  EnduranceCampaign e(config);
  EXPECT_EQ(e.CheckRig(r.rig), "");
  out.status = e.Run(ctx, out.report);
  return out;
}

const CheckResult* FindCheck(const RigReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(EnduranceCampaignTest, CyclesOnlyTheChosenSectorsAndRecordsBusyTimes) {
  RamRig r(4096, 16);
  EnduranceConfig config;
  config.sectors = {2, 5};
  config.cycles = 30;
  config.verify_every = 3;
  Outcome out = RunOn(r, config);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.report.status, RunStatus::kPassed);
  for (uint32_t s = 0; s < 16; ++s) {
    EXPECT_EQ(r.ram.erase_count(s), (s == 2 || s == 5) ? 30u : 0u) << "sector " << s;
  }
  const auto& f = out.report.figures["endurance"];
  EXPECT_EQ(f["cycles_done"], 30);
  EXPECT_EQ(f["stop_reason"], "target cycles reached");
  ASSERT_EQ(f["curve"].size(), 30u);
  // TimedFlash: 45 ms per sector erase; 16 page programs of 400 us per sector.
  EXPECT_DOUBLE_EQ(f["curve"][0]["erase_us_mean"].get<double>(), 45000.0);
  EXPECT_DOUBLE_EQ(f["curve"][29]["program_us_mean"].get<double>(), 6400.0);
  EXPECT_EQ(f["sectors"][1]["index"], 5);
  EXPECT_EQ(f["sectors"][1]["cycles"], 30);
  ASSERT_NE(FindCheck(out.report, "endurance/cycles"), nullptr);
  EXPECT_TRUE(FindCheck(out.report, "endurance/cycles")->passed);
  // 10 verify cycles x 2 sectors x (erase check + data check) = 40 full-sector reads.
  EXPECT_EQ(r.ram.counters().bytes_read, 40u * 4096u);
}

TEST(EnduranceCampaignTest, CurveIsBucketedToCurvePoints) {
  RamRig r(4096, 4);
  EnduranceConfig config;
  config.cycles = 100;
  config.curve_points = 10;
  config.verify_every = 50;
  Outcome out = RunOn(r, config);
  const auto& curve = out.report.figures["endurance"]["curve"];
  ASSERT_EQ(curve.size(), 10u);
  EXPECT_EQ(curve[0]["cycle"], 10);
  EXPECT_EQ(curve[9]["cycle"], 100);
}

TEST(EnduranceCampaignTest, StopsAtFirstBitErrorWhenASectorWearsOut) {
  RamRig r(driver::RamFlashOptions{.geometry = {.size_bytes = 4 * 4096, .erase_size_bytes = 4096},
                                   .rated_erase_cycles = 20,
                                   .wear_out_mode = driver::WearOutMode::kSilentErase,
                                   .seed = 3});
  EnduranceConfig config;
  config.cycles = 200;
  // Worn cells stick at 0 after an erase: the erase check sees them whatever the pattern.
  config.patterns = {DataPattern::k55AA};
  Outcome out = RunOn(r, config);
  ASSERT_TRUE(out.status.ok());
  const auto& f = out.report.figures["endurance"];
  EXPECT_GT(f["cycles_done"].get<uint64_t>(), 20u);
  EXPECT_LT(f["cycles_done"].get<uint64_t>(), 200u);
  EXPECT_NE(f["stop_reason"].get<std::string>().find("first bit errors"), std::string::npos);
  EXPECT_EQ(out.report.status, RunStatus::kFailed);
  EXPECT_FALSE(FindCheck(out.report, "endurance/bit_errors")->passed);
  EXPECT_FALSE(FindCheck(out.report, "endurance/cycles")->passed);
}

TEST(EnduranceCampaignTest, ErrorLimitLetsTheRunContinuePastTheFirstError) {
  RamRig r(driver::RamFlashOptions{.geometry = {.size_bytes = 4 * 4096, .erase_size_bytes = 4096},
                                   .rated_erase_cycles = 10,
                                   .wear_out_mode = driver::WearOutMode::kSilentErase,
                                   .seed = 5});
  EnduranceConfig config;
  config.cycles = 400;
  config.patterns = {DataPattern::k55AA};
  config.stop_on_first_bit_error = false;
  config.stop_after_bit_errors = 200;
  Outcome out = RunOn(r, config);
  const auto& f = out.report.figures["endurance"];
  EXPECT_GE(f["bit_errors"].get<uint64_t>(), 200u);
  EXPECT_NE(f["stop_reason"].get<std::string>().find("reached the limit of 200"), std::string::npos)
      << f["stop_reason"];
}

TEST(EnduranceCampaignTest, StopsWhenBusyTimeExceedsTheDatasheetMaximum) {
  RamRig r(4096, 4);
  EnduranceConfig config;
  config.cycles = 10;
  config.erase_max_us = 40000;  // TimedFlash erases take 45 ms.
  config.stop_on_busy_over_max = true;
  Outcome out = RunOn(r, config);
  EXPECT_EQ(out.report.figures["endurance"]["cycles_done"], 1);
  EXPECT_FALSE(FindCheck(out.report, "endurance/busy_within_max")->passed);
  EXPECT_EQ(out.report.status, RunStatus::kFailed);
}

TEST(EnduranceCampaignTest, DeviceErrorEndsTheRunWithTheStatus) {
  RamRig r(4096, 4);
  r.ram.AddFault({.ops = static_cast<driver::FlashOpMask>(driver::FlashOp::kErase),
                  .status = Status::Unavailable(),
                  .skip = 5});
  EnduranceConfig config;
  config.cycles = 10;
  Outcome out = RunOn(r, config);
  EXPECT_EQ(out.status, Status::Unavailable());
  EXPECT_EQ(out.report.status, RunStatus::kDeviceError);
  EXPECT_EQ(out.report.figures["endurance"]["cycles_done"], 5);
  EXPECT_NE(out.report.error.find("kUnavailable"), std::string::npos) << out.report.error;
}

TEST(EnduranceCampaignTest, ShardRunsItsShareOfTheSectors) {
  RamRig r(4096, 8);
  EnduranceConfig config;
  config.sectors = {0, 1, 2, 3};
  config.cycles = 3;
  CampaignContext ctx;
  ctx.shard = {1, 2};
  RunOn(r, config, ctx);
  EXPECT_EQ(r.ram.erase_counts(), (std::vector<uint64_t>{0, 3, 0, 3, 0, 0, 0, 0}));
}

TEST(EnduranceCampaignTest, ResumeContinuesExactlyWhereTheCheckpointStopped) {
  RamRig r(4096, 4);
  EnduranceConfig config;
  config.sectors = {1};
  config.cycles = 40;
  int progress_calls = 0;
  CampaignContext first;
  first.progress = [&](double, const std::string&) { ++progress_calls; };
  first.stop_requested = [&] { return progress_calls >= 12; };
  Outcome a = RunOn(r, config, first);
  EXPECT_EQ(a.report.status, RunStatus::kInterrupted);
  EXPECT_EQ(a.last_state["cycle"], 12);
  EXPECT_EQ(r.ram.erase_count(1), 12u);

  CampaignContext second;
  second.resume_state = a.last_state;
  Outcome b = RunOn(r, config, second);
  EXPECT_EQ(b.report.status, RunStatus::kPassed);
  EXPECT_EQ(r.ram.erase_count(1), 40u);  // 12 + 28: no cycle repeated or skipped.
  EXPECT_EQ(b.report.figures["endurance"]["sectors"][0]["cycles"], 40);
  EXPECT_EQ(b.report.figures["endurance"]["curve"].size(), 40u);
}

TEST(EnduranceCampaignTest, RejectsSectorsOutsideThePartition) {
  RamRig r(4096, 4);
  EnduranceConfig config;
  config.sectors = {1, 4};
  EXPECT_EQ(EnduranceCampaign(config).CheckRig(r.rig),
            "/endurance/sectors/1: sector 4 is outside the partition (4 sectors)");
}

}  // namespace
}  // namespace flashrig::hil
