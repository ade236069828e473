// Per-kind figure merges: one rig's shard reports into the figures and checks of the rig
// report an unsharded run writes. Internal to hil/merge.
#pragma once

#include <string>
#include <vector>

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

// Fills merged->figures and merged->checks from `pieces` (one rig's reports, one per
// shard, in shard order). `interrupted`: some shard of the rig stopped early or is
// missing. Returns "" or what the shards disagree on.
std::string MergeRigFigures(const CampaignConfig& config,
                            const std::vector<const RigReport*>& pieces, bool interrupted,
                            RigReport* merged);

}  // namespace flashrig::hil
