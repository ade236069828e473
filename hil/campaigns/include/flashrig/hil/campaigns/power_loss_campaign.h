// Power-loss campaign: a seeded KV workload with a power cut at chosen mutating flash
// operations; after each cut, power up, remount from flash alone and check the reference
// model's invariants. Failures keep the flash image and an exact replay command.
#pragma once

#include <cstdint>
#include <vector>

#include "flashrig/hil/campaigns/campaign.h"
#include "flashrig/hil/campaigns/kv_under_test.h"

namespace flashrig::hil {

// One KV operation of the workload.
struct KvOp {
  enum Type : uint8_t { kAppend, kSet, kInvalidate, kGet, kGc } type = kAppend;
  std::string key{};
  std::vector<std::byte> value{};  // For kAppend / kSet.
};

// The workload for (config, seed): the same list every time, valid if every op succeeds
// (appends only absent keys, invalidates and gets only live ones).
std::vector<KvOp> MakePowerLossWorkload(const PowerLossConfig& config, uint64_t seed);

// The cut points (1-based mutating-op indices, ascending, unique) for a workload with
// `total_ops` mutating operations. `hazards` are the indices the dry run classified as
// hazardous (erases, first program after an erase, one/two-byte flag programs).
std::vector<uint64_t> PowerLossCutPoints(const PowerLossConfig& config, uint64_t total_ops,
                                         const std::vector<uint64_t>& hazards, uint64_t seed);

// One check per outcome ("power_loss/cut/17"), in the order given; returns how many
// failed. The campaign and the shard merge both use it.
uint64_t AddPowerLossCutChecks(const nlohmann::json& outcomes, RigReport& report);

class PowerLossCampaign final : public Campaign {
 public:
  PowerLossCampaign(const PowerLossConfig& config, KvFactory kv)
      : config_(config), kv_(std::move(kv)) {}

  // Needs a power switch on the rig and a KV engine that accepts the partition.
  std::string CheckRig(const Rig& rig) const override;

  // Erases the partition before every cut point (the campaign owns it); with
  // snapshot_every_ops = K a round then writes back the dry run's snapshot from the last
  // multiple of K ops before its cut and replays from there. Work items are the cut
  // points, split by their replay cost. Figures: figures["power_loss"] = {"mutating_ops",
  // "kv_ops", "schedule", "method", "snapshot_every_ops", "cut_points", "failures",
  // "outcomes": [{"cut", "effect", "from_op" (with snapshots), "op_index", "op", "outcome",
  // "detail", "image", "replay", ...}]}. One check per cut point ("power_loss/cut/17")
  // plus "power_loss/dry_run".
  Status Run(CampaignContext& ctx, RigReport& report) override;

 private:
  PowerLossConfig config_;
  KvFactory kv_;
};

}  // namespace flashrig::hil
