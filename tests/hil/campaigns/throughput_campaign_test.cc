// Throughput campaign on a RamFlash with modelled (VirtualClock) times: exact latency
// figures, derived rates, partition limits, read-back verification and datasheet checks.
#include "flashrig/hil/campaigns/throughput_campaign.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hil/ram_rig.h"

namespace flashrig::hil {
namespace {

using testing::RamRig;

// Flips one bit of every read, as a marginal cell or a bad bus line would.
class BitFlipFlash final : public driver::FlashWrapper {
 public:
  using FlashWrapper::FlashWrapper;

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override {
    FLASHRIG_TRY(FlashWrapper::DoRead(address, out));
    out[0] ^= std::byte{0x01};
    return Status::Ok();
  }
};

CampaignConfig Config(std::vector<RawOp> ops, std::vector<uint32_t> sizes, uint32_t iterations) {
  CampaignConfig c;
  c.kind = CampaignKind::kThroughput;
  c.throughput.operations = std::move(ops);
  c.throughput.sizes_bytes = std::move(sizes);
  c.throughput.iterations = iterations;
  return c;
}

RigReport RunThroughput(Rig& rig, const CampaignConfig& config) {
  ThroughputCampaign t(config, nullptr);
  EXPECT_EQ(t.CheckRig(rig), "");
  CampaignContext ctx;
  ctx.rig = &rig;
  ctx.config = &config;
  RigReport report;
  EXPECT_TRUE(t.Run(ctx, report).ok());
  return report;
}

TEST(ThroughputCampaignTest, ModelledLatenciesAndRatesAreExact) {
  RamRig r(4096, 16);
  const RigReport report =
      RunThroughput(r.rig, Config({RawOp::kRead, RawOp::kProgram, RawOp::kErase}, {256, 8192}, 10));
  EXPECT_EQ(report.status, RunStatus::kPassed);
  const auto& raw = report.figures["throughput"]["raw"];
  ASSERT_EQ(raw.size(), 6u);
  EXPECT_EQ(report.figures["throughput"]["timing"], "modelled");
  // read 256 B at 10 ns/byte.
  EXPECT_EQ(raw[0]["op"], "read");
  EXPECT_EQ(raw[0]["latency"]["p50_ns"], 2560);
  EXPECT_EQ(raw[0]["latency"]["max_ns"], 2560);
  EXPECT_DOUBLE_EQ(raw[0]["mb_per_s"].get<double>(), 100.0);
  // program: one 400 us call whatever the size -> 2500 ops/s.
  EXPECT_EQ(raw[2]["op"], "program");
  EXPECT_EQ(raw[2]["latency"]["p99_ns"], 400000);
  EXPECT_DOUBLE_EQ(raw[2]["ops_per_s"].get<double>(), 2500.0);
  EXPECT_EQ(raw[2]["verify_bit_errors"], 0);
  // erase 8 KiB = two sectors = 90 ms.
  EXPECT_EQ(raw[5]["op"], "erase");
  EXPECT_EQ(raw[5]["flash_bytes_per_op"], 8192);
  EXPECT_EQ(raw[5]["latency"]["mean_ns"], 90e6);
  EXPECT_EQ(raw[5]["latency"]["count"], 10);
  EXPECT_EQ(report.checks.size(), 6u);
}

TEST(ThroughputCampaignTest, ProgramsWalkThePartitionAndEraseOnlyWhenNeeded) {
  RamRig r(4096, 4);
  // 40 programs of 1 KiB walk the 16 KiB partition 2.5 times; a sector is erased only when
  // a pass first reaches it: sectors 0-1 three times, 2-3 twice.
  RunThroughput(r.rig, Config({RawOp::kProgram}, {1024}, 40));
  EXPECT_EQ(r.ram.erase_counts(), (std::vector<uint64_t>{3, 3, 2, 2}));
}

TEST(ThroughputCampaignTest, ReadBackMismatchFailsTheCheck) {
  RamRig r(4096, 4);
  BitFlipFlash flipping(r.timed);
  r.rig.flash = &flipping;
  const RigReport report = RunThroughput(r.rig, Config({RawOp::kProgram}, {256}, 4));
  EXPECT_EQ(report.status, RunStatus::kFailed);
  ASSERT_EQ(report.checks.size(), 1u);
  EXPECT_FALSE(report.checks[0].passed);
  EXPECT_EQ(report.checks[0].message, "4 bit errors reading back programmed data");
}

TEST(ThroughputCampaignTest, MeasuredTimesAreCheckedAgainstTheDatasheet) {
  RamRig r(4096, 4);
  r.rig.timing = TimingSource::kMeasured;
  driver::ChipModel part;
  part.page_bytes = 256;
  part.page_program = {.typical_us = 200, .max_us = 300};  // TimedFlash takes 400 us.
  part.erase_types = {{.size_bytes = 4096, .time = {.typical_us = 45000, .max_us = 400000}}};
  r.rig.part = part;
  const RigReport report =
      RunThroughput(r.rig, Config({RawOp::kProgram, RawOp::kErase}, {256, 4096}, 3));
  std::map<std::string, bool> passed;
  for (const auto& c : report.checks) passed[c.name] = c.passed;
  EXPECT_FALSE(passed.at("throughput/program/256/within_datasheet_max"));
  EXPECT_TRUE(passed.at("throughput/erase/4096/within_datasheet_max"));
  EXPECT_EQ(report.status, RunStatus::kFailed);
}

TEST(ThroughputCampaignTest, RejectsTransfersLargerThanThePartition) {
  RamRig r(4096, 4);
  ThroughputCampaign t(Config({RawOp::kErase}, {65536}, 1), nullptr);
  EXPECT_EQ(t.CheckRig(r.rig),
            "/throughput/sizes_bytes: 65536 bytes does not fit the 16384-byte partition");
  CampaignConfig kv = Config({RawOp::kRead}, {256}, 1);
  kv.throughput.kv_mixes.push_back({});
  EXPECT_EQ(ThroughputCampaign(kv, nullptr).CheckRig(r.rig),
            "/throughput/kv_mixes: this build has no KV engine");
}

TEST(ThroughputCampaignTest, ShardsSplitTheWorkItemsByCost) {
  RamRig r(4096, 8);
  CampaignConfig c = Config({RawOp::kRead, RawOp::kErase}, {256, 4096}, 2);
  ThroughputCampaign t(c, nullptr);
  std::vector<std::vector<uint64_t>> items(2);
  for (uint32_t shard = 0; shard < 2; ++shard) {
    CampaignContext ctx;
    ctx.rig = &r.rig;
    ctx.config = &c;
    ctx.shard = {shard, 2};
    RigReport report;
    ASSERT_TRUE(t.Run(ctx, report).ok());
    for (const auto& raw : report.figures["throughput"]["raw"]) {
      items[shard].push_back(raw["item"].get<uint64_t>());
    }
  }
  // Every item exactly once, and the split follows cost, not count: the costliest item
  // (on this RAM rig, the 4096-byte read moves the most bytes) has a shard to itself.
  std::vector<uint64_t> all = items[0];
  all.insert(all.end(), items[1].begin(), items[1].end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(items[0], (std::vector<uint64_t>{1}));
}

}  // namespace
}  // namespace flashrig::hil
