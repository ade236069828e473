// Endurance campaign: program/erase cycles over chosen sectors with data patterns,
// periodic verify with bit-error counts, busy times per cycle, stop criteria, and the
// curve + per-sector wear for the report. Checkpoints so multi-day runs can resume.
#pragma once

#include "flashrig/hil/campaigns/campaign.h"

namespace flashrig::hil {

// One point of the busy-time curve: cycles up to `cycle`, with the sums and sample count
// behind the means (so shard reports merge into exactly the unsharded figures).
nlohmann::json EnduranceCurvePoint(uint64_t cycle, uint64_t samples, double erase_us_sum,
                                   double program_us_sum, uint64_t erase_us_max,
                                   uint64_t program_us_max, uint64_t bit_errors);

// The endurance checks of a finished (or `interrupted`) run, from its figures alone: the
// campaign and the shard merge both use it.
void AddEnduranceChecks(const EnduranceConfig& config, const nlohmann::json& figures,
                        bool interrupted, RigReport& report);

class EnduranceCampaign final : public Campaign {
 public:
  explicit EnduranceCampaign(const EnduranceConfig& config) : config_(config) {}

  // Fails if a sector index is outside the rig's partition.
  std::string CheckRig(const Rig& rig) const override;

  // One cycle = for each owned sector: erase (timed), [verify erased], program the
  // cycle's pattern page by page (timed), [read back and count bit errors]. Work items
  // are the sectors; on in-process devices each (sector, cycle) draws its sampled times
  // from its own seed, so a sector's figures do not depend on which shard ran it.
  // Figures: figures["endurance"] = {"cycles_done", "target_cycles", "stop_reason",
  // "bit_errors", "erase_max_us", "program_max_us", "over_max_events", "curve":
  // [EnduranceCurvePoint], "sectors": [{"index", "cycles", "bit_errors", "erase_us_last",
  // "erase_us_max"}], "sector_count", "sector_bytes", "timing", "busy_source"}.
  Status Run(CampaignContext& ctx, RigReport& report) override;

 private:
  EnduranceConfig config_;
};

}  // namespace flashrig::hil
