// Endurance campaign: program/erase cycles over chosen sectors with data patterns,
// periodic verify with bit-error counts, busy times per cycle, stop criteria, and the
// curve + per-sector wear for the report. Checkpoints so multi-day runs can resume.
#pragma once

#include "flashrig/hil/campaigns/campaign.h"

namespace flashrig::hil {

class EnduranceCampaign final : public Campaign {
 public:
  explicit EnduranceCampaign(const EnduranceConfig& config) : config_(config) {}

  // Fails if a sector index is outside the rig's partition.
  std::string CheckRig(const Rig& rig) const override;

  // One cycle = for each owned sector: erase (timed), [verify erased], program the
  // cycle's pattern page by page (timed), [read back and count bit errors]. Figures:
  // figures["endurance"] = {"cycles_done", "target_cycles", "stop_reason", "bit_errors",
  // "erase_max_us", "program_max_us", "curve": [{"cycle", "erase_us_mean", "erase_us_max",
  // "program_us_mean", "program_us_max", "bit_errors"}], "sectors": [{"index", "cycles",
  // "bit_errors", "erase_us_last", "erase_us_max"}], "sector_count"}.
  Status Run(CampaignContext& ctx, RigReport& report) override;

 private:
  EnduranceConfig config_;
};

}  // namespace flashrig::hil
