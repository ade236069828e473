// Report merge: checks that the runs belong together, works out which shard covers which
// rig (and which are missing), and builds one rig report per rig.
#include "flashrig/hil/merge/report_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "figure_merge.h"
#include "flashrig/hil/campaigns/campaign.h"
#include "flashrig/hil/config/config.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

// One rig's share of one run: present (rig set) or missing (why set).
struct Piece {
  const RigReport* rig = nullptr;
  uint32_t index = 0;
  uint32_t count = 1;
  std::string why{};
};

// "" if every report is of the first one's campaign (name, kind, seed and config).
std::string SameCampaign(const std::vector<ShardRun>& runs, const Report& first) {
  for (const ShardRun& run : runs) {
    if (!run.report) continue;
    const Report& r = *run.report;
    if (r.campaign != first.campaign || r.kind != first.kind || r.seed != first.seed) {
      return fmt::format("{}: campaign {} ({}, seed {}) differs from {} ({}, seed {})", run.dir,
                         r.campaign, r.kind, r.seed, first.campaign, first.kind, first.seed);
    }
    if (r.config != first.config) {
      return fmt::format(
          "{}: ran campaign {} with a different configuration (compare its config.json)", run.dir,
          r.campaign);
    }
  }
  return "";
}

// The shard count of the runs; 0 with *error if they disagree (per-rig runs, count 1,
// mix with nothing but each other).
uint32_t ShardCount(const std::vector<ShardRun>& runs, std::string* error) {
  std::set<uint32_t> counts;
  for (const ShardRun& run : runs) {
    if (!run.report) {
      counts.insert(run.count);
      continue;
    }
    counts.insert(run.report->shard_count);
  }
  counts.erase(0);
  if (counts.size() > 1) {
    *error = fmt::format("the runs are shards of different splits (of {} shards)",
                         fmt::join(counts, " and "));
    return 0;
  }
  return counts.empty() ? 1 : *counts.begin();
}

// Which pieces (present and missing) each rig of `config` has, by rig index.
std::vector<std::vector<Piece>> CollectPieces(const CampaignConfig& config,
                                              const std::vector<ShardRun>& runs, uint32_t count,
                                              std::string* error) {
  std::vector<std::vector<Piece>> pieces(config.rigs.size());
  const auto rig_index = [&](const std::string& name) -> int {
    for (size_t r = 0; r < config.rigs.size(); ++r) {
      if (config.rigs[r].name == name) return static_cast<int>(r);
    }
    return -1;
  };
  const std::vector<uint32_t> owners = ShardsSplitRigs(config.kind)
                                           ? RigOwners(config, count)
                                           : std::vector<uint32_t>(config.rigs.size(), UINT32_MAX);
  for (const ShardRun& run : runs) {
    if (run.report) {
      for (const RigReport& rr : run.report->rigs) {
        const int r = rig_index(rr.rig);
        if (r < 0) {
          *error = fmt::format("{}: rig {} is not in campaign {}", run.dir, rr.rig, config.name);
          return {};
        }
        for (const Piece& seen : pieces[r]) {
          if (seen.rig != nullptr && seen.index == rr.shard_index) {
            *error = fmt::format("{}: rig {} shard {}/{} appears twice", run.dir, rr.rig,
                                 rr.shard_index + 1, rr.shard_count);
            return {};
          }
        }
        pieces[r].push_back({&rr, rr.shard_index, rr.shard_count, ""});
      }
      continue;
    }
    for (size_t r = 0; r < config.rigs.size(); ++r) {
      const bool named = run.rigs.empty() || std::find(run.rigs.begin(), run.rigs.end(),
                                                       config.rigs[r].name) != run.rigs.end();
      const bool owned = owners[r] == UINT32_MAX || owners[r] == run.index;
      if (named && owned) {
        pieces[r].push_back({nullptr, run.index, run.count,
                             fmt::format("shard {}/{} left no report ({}: {})", run.index + 1,
                                         run.count, run.dir, run.problem)});
      }
    }
  }
  return pieces;
}

// Adds a "missing" piece for every shard of an item-splitting kind that no run covered.
void AddUncovered(const CampaignConfig& config, std::vector<Piece>& pieces) {
  if (pieces.empty() || ShardsSplitRigs(config.kind)) return;
  const uint32_t count = pieces.front().count;
  for (uint32_t i = 0; i < count; ++i) {
    const bool covered =
        std::any_of(pieces.begin(), pieces.end(), [i](const Piece& p) { return p.index == i; });
    if (!covered) {
      pieces.push_back({nullptr, i, count,
                        fmt::format("shard {}/{} is not among the merged runs", i + 1, count)});
    }
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.index < b.index; });
}

// The rig report an unsharded run would have written, from the rig's pieces.
std::optional<RigReport> MergeRig(const CampaignConfig& config, const RigConfig& rc,
                                  const std::vector<Piece>& pieces, std::string* error) {
  RigReport merged;
  merged.rig = rc.name;
  merged.target = rc.target;
  std::vector<const RigReport*> present;
  std::vector<std::string> errors;
  bool device_ok = true, interrupted = false;
  for (const Piece& p : pieces) {
    const std::string label =
        p.count > 1 ? fmt::format("shard {}/{}: ", p.index + 1, p.count) : std::string();
    if (p.rig == nullptr) {
      interrupted = true;
      errors.push_back(p.why);
      continue;
    }
    present.push_back(p.rig);
    merged.target = p.rig->target;
    merged.timing = p.rig->timing;
    merged.duration_s = std::max(merged.duration_s, p.rig->duration_s);
    device_ok = device_ok && p.rig->status != RunStatus::kDeviceError;
    interrupted = interrupted || p.rig->status == RunStatus::kInterrupted;
    if (!p.rig->error.empty()) errors.push_back(label + p.rig->error);
  }
  *error = MergeRigFigures(config, present, interrupted, &merged);
  if (!error->empty()) return std::nullopt;
  merged.error = fmt::format("{}", fmt::join(errors, "; "));
  merged.status = merged.EndStatus(device_ok, interrupted);
  return merged;
}

// One line per run for the merged report: where it ran, how it ended, what failed.
std::vector<ShardSummary> Summaries(const std::vector<ShardRun>& runs) {
  std::vector<ShardSummary> out;
  for (const ShardRun& run : runs) {
    if (!run.report) {
      out.push_back({run.index, run.count, run.dir, "missing", run.problem});
      continue;
    }
    ShardSummary s{run.report->shard_index, run.report->shard_count, run.dir,
                   RunStatusName(run.report->OverallStatus()), ""};
    std::vector<std::string> notes;
    if (!run.problem.empty()) notes.push_back(run.problem);
    for (const RigReport& rr : run.report->rigs) {
      size_t failed = 0;
      for (const auto& c : rr.checks) failed += c.passed ? 0 : 1;
      if (failed) notes.push_back(fmt::format("rig {}: {} checks failed", rr.rig, failed));
      if (!rr.error.empty()) notes.push_back(fmt::format("rig {}: {}", rr.rig, rr.error));
    }
    if (run.report->rigs.empty()) notes.push_back("no rig in this shard");
    s.message = fmt::format("{}", fmt::join(notes, "; "));
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

}  // namespace

std::optional<Report> MergeShardRuns(const std::vector<ShardRun>& runs, std::string* error) {
  const auto first = std::find_if(runs.begin(), runs.end(), [](const auto& r) { return r.report; });
  if (first == runs.end()) {
    *error = runs.empty() ? "nothing to merge" : "no run left a report to merge";
    return std::nullopt;
  }
  if (*error = SameCampaign(runs, *first->report); !error->empty()) return std::nullopt;
  ConfigErrors errors;
  auto config = ParseCampaign(first->report->config, first->dir + "/report.json:/config", &errors);
  if (!config) {
    *error = FormatConfigErrors(errors);
    return std::nullopt;
  }
  const uint32_t count = ShardCount(runs, error);
  if (count == 0) return std::nullopt;
  auto pieces = CollectPieces(*config, runs, count, error);
  if (!error->empty()) return std::nullopt;

  Report merged = *first->report;
  merged.shard_index = 0;
  merged.shard_count = 1;
  merged.rigs.clear();
  merged.merged_from.clear();
  for (const ShardRun& run : runs) {
    merged.merged_from.push_back(run.dir);
    if (!run.report) continue;
    merged.started_utc = std::min(merged.started_utc, run.report->started_utc);
    merged.finished_utc = std::max(merged.finished_utc, run.report->finished_utc);
  }
  for (size_t r = 0; r < config->rigs.size(); ++r) {
    if (pieces[r].empty()) continue;  // Not part of these runs (e.g. a --rig subset).
    AddUncovered(*config, pieces[r]);
    auto rig = MergeRig(*config, config->rigs[r], pieces[r], error);
    if (!rig) return std::nullopt;
    merged.rigs.push_back(std::move(*rig));
  }
  merged.shards = Summaries(runs);
  return merged;
}

std::optional<Report> MergeReports(const std::vector<Report>& reports,
                                   const std::vector<std::string>& dirs, std::string* error) {
  std::vector<ShardRun> runs;
  for (size_t i = 0; i < reports.size(); ++i) {
    runs.push_back({.dir = i < dirs.size() ? dirs[i] : "", .report = reports[i]});
  }
  return MergeShardRuns(runs, error);
}

}  // namespace flashrig::hil
