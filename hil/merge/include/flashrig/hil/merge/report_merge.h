// Report merge: the reports of a campaign's shards (or of per-rig runs on a rig farm) put
// back together. The result is what one unsharded run writes, apart from timing and host
// fields (times, tool version, directories): one rig report per rig, in config order,
// whose figures and checks each campaign kind rebuilds from the shards' work items with
// the same code that writes them in a single run. Shards that left no report are named,
// and so is every shard that failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

// One run that goes into a merge.
struct ShardRun {
  std::string dir{};
  std::optional<Report> report{};  // nullopt: the run left no (readable) report.
  // For a run without a report: which shard it was (0-based) of how many, the rigs it was
  // limited to (empty = all its shard owns), and why there is no report.
  uint32_t index = 0;
  uint32_t count = 1;
  std::vector<std::string> rigs{};
  std::string problem{};
};

// Merges `runs` (at least one with a report). nullopt with *error if the reports are of
// different campaigns, kinds, seeds or configs, a rig shard appears twice, or shards
// disagree on what every shard computes alike (a power-loss dry run, say). A missing
// shard is no error: its rigs end "interrupted" with the reason, and the exit code says 1.
std::optional<Report> MergeShardRuns(const std::vector<ShardRun>& runs, std::string* error);

// The same for reports that all exist (`flashrig merge DIRS...`); dirs[i] is reports[i]'s.
std::optional<Report> MergeReports(const std::vector<Report>& reports,
                                   const std::vector<std::string>& dirs, std::string* error);

}  // namespace flashrig::hil
