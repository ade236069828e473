// KV operation mixes for the throughput campaign: weighted append/get/invalidate/set/gc
// over a key set with a value-size range, timed per operation type.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/targets/rig.h"

namespace flashrig::hil {

// "" if `rig` can run KV mixes, else why not.
std::string KvMixUnsupportedReason(const Rig& rig, const KvFactory& factory);

// Formats the rig's partition, runs `mix` and fills *result with {"name", "operations",
// "failures", "summary", "ops": {op: {"count", "ops_per_s", "latency": ...,
// "flash_bytes_per_op"}}}. Failures are reads that disagree with the reference model.
//   kOk | a flash/engine status that stopped the mix.
Status RunKvMix(Rig& rig, const KvFactory& factory, const KvMixConfig& mix, uint64_t seed,
                const std::function<bool()>& stop, nlohmann::json* result);

}  // namespace flashrig::hil
