// Campaign: the interface every campaign kind implements, and the context the runner gives
// it (rig, config, shard, stop flag, progress and checkpoint hooks). One Campaign object
// runs on one rig in one thread; the runner starts one thread per rig.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"
#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/report/report.h"
#include "flashrig/hil/targets/rig.h"

namespace flashrig::hil {

// Which slice of a campaign's work items this process runs (`--shard i/N`, 0-based here).
// Items are split by estimated cost (ShardOwners), not by count.
struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;  // > 0
};

// Splits work items into `shard_count` shards of about equal total cost: largest cost
// first onto the least loaded shard, ties by lower item and shard index. Element i is the
// (0-based) shard that owns item i. Deterministic, so every shard of a run, and the merge,
// compute the same split from the same costs.
std::vector<uint32_t> ShardOwners(std::span<const uint64_t> costs, uint32_t shard_count);
// Which items `shard` owns under that split.
std::vector<bool> OwnedItems(const Shard& shard, std::span<const uint64_t> costs);

struct CampaignContext {
  Rig* rig = nullptr;
  const CampaignConfig* config = nullptr;
  Shard shard{};
  // True once the run should stop (Ctrl-C or max_duration_s). Campaigns poll it between
  // operations and then return with a partial report.
  std::function<bool()> stop_requested = [] { return false; };
  // Progress in [0, 1] plus a short status ("cycle 120/1000"). May be empty.
  std::function<void(double fraction, const std::string& status)> progress{};
  // State saved by an earlier, interrupted run of this campaign on this rig (null = fresh).
  nlohmann::json resume_state{};
  // Persists the campaign's state so `--resume` can continue; rate-limited by the runner
  // unless `force`. May be empty (no checkpointing).
  std::function<void(const nlohmann::json& state, bool force)> checkpoint{};
  // Directory for artefacts (failing flash images); "" = do not save.
  std::string artifacts_dir{};
  // Command line that reruns this campaign ("flashrig run configs/x.json"); replay hints
  // append options to it.
  std::string replay_command{};

  bool StopRequested() const { return stop_requested && stop_requested(); }
  void Progress(double fraction, const std::string& status) const {
    if (progress) progress(fraction, status);
  }
  void Checkpoint(const nlohmann::json& state, bool force = false) const {
    if (checkpoint) checkpoint(state, force);
  }
};

class Campaign {
 public:
  virtual ~Campaign() = default;

  // Checks the campaign's parameters against the opened rig (sector indices inside the
  // partition, sizes that fit...). Returns "" if fine, else what is wrong (bad input).
  virtual std::string CheckRig(const Rig& rig) const = 0;

  // Runs on ctx.rig and fills `report` (checks and figures). Sets report.status; on a
  // device failure records it in report.error and returns the flash status.
  //   kOk | kUnavailable / kDeadlineExceeded / ...: the device failed
  virtual Status Run(CampaignContext& ctx, RigReport& report) = 0;
};

// Qualify splits a campaign's rigs (parts and chip samples) between shards, each rig
// qualified whole by one shard; the other kinds split each rig's work items.
inline bool ShardsSplitRigs(CampaignKind kind) { return kind == CampaignKind::kQualify; }
// For a kind that splits rigs: element r is the shard that runs rig r of `config`.
std::vector<uint32_t> RigOwners(const CampaignConfig& config, uint32_t shard_count);

// The campaign for config.kind; KV campaigns use (a copy of) `kv`, in production
// DefaultKvFactory(KvSettingsForRig(rig)).
std::unique_ptr<Campaign> MakeCampaign(const CampaignConfig& config, const KvFactory& kv);

// Helpers shared by campaign implementations.
uint64_t ElapsedNs(Clock& clock, Clock::TimePoint since);
// Fills `out` with pattern `p` for (seed, salt): deterministic per sector and cycle.
void FillPattern(DataPattern p, uint64_t seed, uint64_t salt, std::span<std::byte> out);
// Times one flash call: *op_ns from the rig clock (includes the bus transfer), *busy_ns
// from the driver's busy log when the rig has one, else equal to *op_ns.
template <typename F>
Status TimeOp(Rig& rig, driver::BusyKind kind, F&& call, uint64_t* op_ns, uint64_t* busy_ns) {
  const Clock::Duration busy0 = rig.busy_total ? rig.busy_total(kind) : Clock::Duration{0};
  const auto t0 = rig.clock->Now();
  const Status s = call();
  *op_ns = ElapsedNs(*rig.clock, t0);
  *busy_ns =
      rig.busy_total
          ? static_cast<uint64_t>(std::max<int64_t>(0, (rig.busy_total(kind) - busy0).count()))
          : *op_ns;
  return s;
}

// Busy times are quantised by WIP polling (1/64 of the typical time by default), so a
// datasheet-maximum check allows this much slack (percent of the maximum).
inline constexpr uint64_t kBusyMaxTolerancePercent = 1;
inline uint64_t WithTolerance(uint64_t max) { return max + max * kBusyMaxTolerancePercent / 100; }

// Number of differing bits.
uint64_t BitErrors(std::span<const std::byte> expected, std::span<const std::byte> actual);

}  // namespace flashrig::hil
