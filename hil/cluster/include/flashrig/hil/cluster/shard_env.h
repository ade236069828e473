// Shard from the scheduler's environment (`flashrig run --shard auto`): an explicit
// FLASHRIG_SHARD=i/N wins; then a Slurm job array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN,
// _STEP: 0- or 1-based, stepped); then GitLab CI `parallel:` (CI_NODE_INDEX, _TOTAL).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "flashrig/hil/campaigns/campaign.h"

namespace flashrig::hil {

// Looks a variable up; null = unset. Production: std::getenv.
using EnvLookup = std::function<const char*(const char* name)>;

struct EnvShard {
  Shard shard{};
  std::string source{};  // Where it came from: "FLASHRIG_SHARD=2/4", "SLURM_ARRAY_TASK_ID=5 ...".
};

// "2/4" (1-based, as people count shards) -> {1, 4}. false if malformed or out of range.
bool ParseShardText(const std::string& text, Shard* shard);

// The shard the environment gives, or nullopt with *error: naming every variable looked
// for when none is set, or the variable that is malformed or inconsistent.
std::optional<EnvShard> ShardFromEnvironment(const EnvLookup& env, std::string* error);

}  // namespace flashrig::hil
