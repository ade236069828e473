// Throughput campaign: raw read/program/erase at several sizes (latency percentiles,
// ops/s, MB/s), and KV operation mixes. Durations are modelled on the simulator and
// measured on real hardware; the report says which.
#pragma once

#include "flashrig/hil/campaigns/campaign.h"

namespace flashrig::hil {

// The throughput checks from figures["throughput"] alone (campaign and shard merge).
void AddThroughputChecks(const nlohmann::json& figures, RigReport& report);

class ThroughputCampaign final : public Campaign {
 public:
  ThroughputCampaign(const CampaignConfig& config, KvFactory kv)
      : config_(config.throughput), seed_(config.seed), kv_(std::move(kv)) {}

  // Fails if the partition cannot hold the largest transfer (rounded up to sectors).
  std::string CheckRig(const Rig& rig) const override;
  // Work items are (operation, size) pairs in config order, then KV mixes; a shard runs
  // the items it owns (split by estimated cost). Each item starts from its own device
  // seed and a fresh erase plan. Figures: figures["throughput"]["raw"] = [{"item", "op",
  // "size_bytes", "ops_per_s", "mb_per_s", "latency": LatencyStats JSON,
  // "flash_bytes_per_op", ...}], ["kv"] = [{"item", "name", ...}].
  Status Run(CampaignContext& ctx, RigReport& report) override;

 private:
  ThroughputConfig config_;
  uint64_t seed_;
  KvFactory kv_;
};

}  // namespace flashrig::hil
