// Per-kind figure merges. Work items (power-loss cut points, endurance sectors, throughput
// items) are disjoint between shards, so their records are united in the order a single
// run lists them; totals are summed; what every shard computes alike (dry run, settings)
// must agree; and the checks are rebuilt from the merged figures by the campaign's code.
#include "figure_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "flashrig/hil/campaigns/endurance_campaign.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"
#include "flashrig/hil/campaigns/throughput_campaign.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

// The pieces that carry figures[key] (a shard stopped by a device error may have none).
std::vector<const RigReport*> WithFigures(const std::vector<const RigReport*>& pieces,
                                          const char* key) {
  std::vector<const RigReport*> out;
  for (const RigReport* p : pieces) {
    if (p->figures.contains(key)) out.push_back(p);
  }
  return out;
}

// "" if figures[key][field] is the same in every piece, else which shard differs.
std::string SameEverywhere(const std::vector<const RigReport*>& pieces, const char* key,
                           std::initializer_list<const char*> fields) {
  for (const RigReport* p : pieces) {
    for (const char* f : fields) {
      if (p->figures.at(key).value(f, json()) != pieces.front()->figures.at(key).value(f, json())) {
        return fmt::format("rig {}: shard {}/{} has {}/{} = {}, shard {}/{} has {}", p->rig,
                           p->shard_index + 1, p->shard_count, key, f,
                           p->figures.at(key).value(f, json()).dump(),
                           pieces.front()->shard_index + 1, pieces.front()->shard_count,
                           pieces.front()->figures.at(key).value(f, json()).dump());
      }
    }
  }
  return "";
}

// The records of figures[key][list] of every piece, ordered by their field `by`.
json UnitedBy(const std::vector<const RigReport*>& pieces, const char* key, const char* list,
              const char* by) {
  std::vector<json> all;
  for (const RigReport* p : pieces) {
    for (const json& r : p->figures.at(key).value(list, json::array())) all.push_back(r);
  }
  std::stable_sort(all.begin(), all.end(), [by](const json& a, const json& b) {
    return a.at(by).get<uint64_t>() < b.at(by).get<uint64_t>();
  });
  return json(all);
}

std::string MergePowerLoss(const std::vector<const RigReport*>& all, RigReport* merged) {
  const auto pieces = WithFigures(all, "power_loss");
  if (pieces.empty()) return "";
  // Every shard runs the same dry run: it must have come out the same everywhere.
  if (auto why = SameEverywhere(
          pieces, "power_loss",
          {"mutating_ops", "kv_ops", "schedule", "method", "snapshot_every_ops", "cut_points"});
      !why.empty()) {
    return why;
  }
  json f = pieces.front()->figures.at("power_loss");
  f["outcomes"] = UnitedBy(pieces, "power_loss", "outcomes", "cut");
  for (const CheckResult& c : pieces.front()->checks) {
    if (c.name == "power_loss/dry_run") merged->checks.push_back(c);
  }
  f["failures"] = AddPowerLossCutChecks(f["outcomes"], *merged);
  merged->figures["power_loss"] = f;
  return "";
}

// The busy-time curves of all pieces, bucket by bucket (same buckets in every shard).
json MergedCurve(const std::vector<const RigReport*>& pieces) {
  std::map<uint64_t, json> by_cycle;
  for (const RigReport* p : pieces) {
    for (const json& b : p->figures.at("endurance").at("curve")) {
      json& m = by_cycle[b.at("cycle").get<uint64_t>()];
      if (m.is_null()) {
        m = b;
        continue;
      }
      m["samples"] = m["samples"].get<uint64_t>() + b.at("samples").get<uint64_t>();
      m["erase_us_sum"] = m["erase_us_sum"].get<double>() + b.at("erase_us_sum").get<double>();
      m["program_us_sum"] =
          m["program_us_sum"].get<double>() + b.at("program_us_sum").get<double>();
      m["erase_us_max"] =
          std::max(m["erase_us_max"].get<uint64_t>(), b.at("erase_us_max").get<uint64_t>());
      m["program_us_max"] =
          std::max(m["program_us_max"].get<uint64_t>(), b.at("program_us_max").get<uint64_t>());
      m["bit_errors"] = m["bit_errors"].get<uint64_t>() + b.at("bit_errors").get<uint64_t>();
    }
  }
  json curve = json::array();
  for (const auto& [cycle, m] : by_cycle) {
    curve.push_back(EnduranceCurvePoint(
        cycle, m.at("samples").get<uint64_t>(), m.at("erase_us_sum").get<double>(),
        m.at("program_us_sum").get<double>(), m.at("erase_us_max").get<uint64_t>(),
        m.at("program_us_max").get<uint64_t>(), m.at("bit_errors").get<uint64_t>()));
  }
  return curve;
}

// Sectors in the order the campaign lists them.
json MergedSectors(const EnduranceConfig& config, const std::vector<const RigReport*>& pieces) {
  std::map<uint64_t, json> by_index;
  for (const RigReport* p : pieces) {
    for (const json& s : p->figures.at("endurance").at("sectors")) by_index[s.at("index")] = s;
  }
  json sectors = json::array();
  for (uint32_t index : config.sectors) {
    if (auto it = by_index.find(index); it != by_index.end()) sectors.push_back(it->second);
  }
  return sectors;
}

std::string MergeEndurance(const EnduranceConfig& config, const std::vector<const RigReport*>& all,
                           bool interrupted, RigReport* merged) {
  std::vector<const RigReport*> pieces;  // Shards that owned sectors.
  for (const RigReport* p : WithFigures(all, "endurance")) {
    if (!p->figures.at("endurance").at("sectors").empty()) pieces.push_back(p);
  }
  if (pieces.empty()) pieces = WithFigures(all, "endurance");
  if (pieces.empty()) return "";
  json f = pieces.front()->figures.at("endurance");
  uint64_t cycles = UINT64_MAX, bit_errors = 0, over_max = 0;
  std::vector<std::string> reasons;
  for (const RigReport* p : pieces) {
    const json& e = p->figures.at("endurance");
    cycles = std::min(cycles, e.at("cycles_done").get<uint64_t>());
    bit_errors += e.at("bit_errors").get<uint64_t>();
    over_max += e.at("over_max_events").get<uint64_t>();
    reasons.push_back(e.at("stop_reason").get<std::string>());
  }
  // Shards stop independently: say which stopped why when they differ.
  std::string reason = reasons.front();
  if (std::any_of(reasons.begin(), reasons.end(), [&](const auto& r) { return r != reason; })) {
    reason.clear();
    for (size_t i = 0; i < pieces.size(); ++i) {
      reason += fmt::format("{}shard {}/{}: {}", i ? "; " : "", pieces[i]->shard_index + 1,
                            pieces[i]->shard_count, reasons[i]);
    }
  }
  f["cycles_done"] = cycles;
  f["bit_errors"] = bit_errors;
  f["over_max_events"] = over_max;
  f["stop_reason"] = reason;
  f["curve"] = MergedCurve(pieces);
  f["sectors"] = MergedSectors(config, pieces);
  merged->figures["endurance"] = f;
  AddEnduranceChecks(config, f, interrupted, *merged);
  return "";
}

std::string MergeThroughput(const std::vector<const RigReport*>& all, RigReport* merged) {
  const auto pieces = WithFigures(all, "throughput");
  if (pieces.empty()) return "";
  json f = pieces.front()->figures.at("throughput");
  f["raw"] = UnitedBy(pieces, "throughput", "raw", "item");
  f["kv"] = UnitedBy(pieces, "throughput", "kv", "item");
  merged->figures["throughput"] = f;
  AddThroughputChecks(f, *merged);
  return "";
}

}  // namespace

std::string MergeRigFigures(const CampaignConfig& config,
                            const std::vector<const RigReport*>& pieces, bool interrupted,
                            RigReport* merged) {
  merged->checks.clear();
  merged->figures = json::object();
  if (pieces.size() == 1 && pieces.front()->shard_count == 1) {
    merged->checks = pieces.front()->checks;
    merged->figures = pieces.front()->figures;
    return "";
  }
  try {
    switch (config.kind) {
      case CampaignKind::kPowerLoss:
        return MergePowerLoss(pieces, merged);
      case CampaignKind::kEndurance:
        return MergeEndurance(config.endurance, pieces, interrupted, merged);
      case CampaignKind::kThroughput:
        return MergeThroughput(pieces, merged);
      case CampaignKind::kQualify:
        // Each rig is qualified whole by one shard.
        merged->checks = pieces.front()->checks;
        merged->figures = pieces.front()->figures;
        return "";
    }
  } catch (const json::exception& e) {
    return fmt::format("rig {}: figures of an unexpected shape ({})", merged->rig, e.what());
  }
  return "";
}

}  // namespace flashrig::hil
