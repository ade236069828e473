// The power-loss workload generator and cut-point schedules.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "flashrig/driver/flash/random.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"

namespace flashrig::hil {

std::vector<KvOp> MakePowerLossWorkload(const PowerLossConfig& config, uint64_t seed) {
  SeededRandom rng(seed);
  std::set<std::string> live;
  std::vector<KvOp> ops;
  for (uint32_t i = 0; i < config.operations; ++i) {
    KvOp op;
    // fmt, not "k" + std::to_string(): GCC 12 warns a false -Wrestrict at -O3 there.
    op.key = fmt::format("k{}", rng.Below(config.key_count));
    const bool is_live = live.count(op.key) != 0;
    const uint64_t roll = rng.Below(100);
    if (!is_live) {
      op.type = roll < 70 ? KvOp::kAppend : KvOp::kSet;
    } else if (roll < 45) {
      op.type = KvOp::kSet;
    } else if (roll < 70) {
      op.type = KvOp::kInvalidate;
    } else if (roll < 95) {
      op.type = KvOp::kGet;
    } else {
      op.type = KvOp::kGc;
    }
    if (op.type == KvOp::kAppend || op.type == KvOp::kSet) {
      op.value.resize(rng.Between(config.value_min_bytes, config.value_max_bytes));
      for (auto& b : op.value) b = std::byte{rng.Byte()};
      live.insert(op.key);
    } else if (op.type == KvOp::kInvalidate) {
      live.erase(op.key);
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

std::vector<uint64_t> PowerLossCutPoints(const PowerLossConfig& config, uint64_t total_ops,
                                         const std::vector<uint64_t>& hazards, uint64_t seed) {
  std::set<uint64_t> points;
  if (total_ops == 0) return {};
  switch (config.schedule) {
    case CutSchedule::kEveryOp:
      for (uint64_t i = 1; i <= total_ops; ++i) points.insert(i);
      break;
    case CutSchedule::kLogSpaced: {
      // Dense early (mount, first writes), sparse later: 1, 2, 3, 5, 8, ... total_ops.
      const uint32_t n = config.cut_count;
      for (uint32_t i = 0; i < n; ++i) {
        const double x = n == 1 ? 0.0 : double(i) / double(n - 1);
        points.insert(std::clamp<uint64_t>(
            static_cast<uint64_t>(std::llround(std::pow(double(total_ops), x))), 1, total_ops));
      }
      break;
    }
    case CutSchedule::kRandom:
    case CutSchedule::kRandomOffsetUs: {
      SeededRandom rng(seed ^ 0xC07C07C07ull);
      for (uint32_t i = 0; i < config.cut_count; ++i) points.insert(rng.Between(1, total_ops));
      break;
    }
    case CutSchedule::kHazards:
      for (uint64_t h : hazards) {
        if (h >= 1 && h <= total_ops) points.insert(h);
      }
      break;
  }
  if (config.only_cut != 0) return {config.only_cut};
  return {points.begin(), points.end()};
}

}  // namespace flashrig::hil
