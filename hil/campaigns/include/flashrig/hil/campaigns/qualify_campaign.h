// Qualify campaign: a flash-part qualification report — identity (JEDEC; the SFDP the chip
// returns, byte for byte and field by field, with the part file's overrides explained)
// against the part JSON, status/protection behaviour, tPP/tSE/tBE distributions against the
// datasheet, read-back integrity across patterns, a sampled endurance run and a
// power-loss run. One pass/fail check per item.
#pragma once

#include "flashrig/hil/campaigns/campaign.h"
#include "flashrig/hil/campaigns/kv_under_test.h"

namespace flashrig::hil {

// What qualifying `rig` costs, in estimated chip busy microseconds, from the part file
// its target names (sim:PART.json, ftdi-emu:PART.json) or typical NOR times when the
// part is only known once the chip is probed. Used to give shards even loads.
uint64_t QualifyRigCost(const QualifyConfig& config, const RigConfig& rig);

class QualifyCampaign final : public Campaign {
 public:
  QualifyCampaign(const QualifyConfig& config, KvFactory kv)
      : config_(config), kv_(std::move(kv)) {}

  // Needs a part description (sim targets and recognised chips have one) and room for
  // the largest erase type the partition can hold.
  std::string CheckRig(const Rig& rig) const override;

  // Figures: figures["qualify"] = {"part", "identity", "sfdp": [{"field", "sfdp",
  // "part_file", "status" (same | override | table silent | differs), "reason"}],
  // "sfdp_timing": [...], "timing": [{"op", "size_bytes",
  // "typical_us", "max_us", "latency": ...}], "not_run": [...]}, plus the nested
  // "endurance" and "power_loss" figures of the sampled runs.
  Status Run(CampaignContext& ctx, RigReport& report) override;

 private:
  QualifyConfig config_;
  KvFactory kv_;
};

}  // namespace flashrig::hil
