// Campaign factory and helpers shared by the campaign kinds.
#include "flashrig/hil/campaigns/campaign.h"

#include <bit>
#include <numeric>

#include "flashrig/driver/flash/random.h"
#include "flashrig/hil/campaigns/endurance_campaign.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"
#include "flashrig/hil/campaigns/qualify_campaign.h"
#include "flashrig/hil/campaigns/throughput_campaign.h"

namespace flashrig::hil {

std::unique_ptr<Campaign> MakeCampaign(const CampaignConfig& config, const KvFactory& kv) {
  switch (config.kind) {
    case CampaignKind::kThroughput:
      return std::make_unique<ThroughputCampaign>(config, kv);
    case CampaignKind::kEndurance:
      return std::make_unique<EnduranceCampaign>(config.endurance);
    case CampaignKind::kPowerLoss:
      return std::make_unique<PowerLossCampaign>(config.power_loss, kv);
    case CampaignKind::kQualify:
      return std::make_unique<QualifyCampaign>(config.qualify, kv);
  }
  return nullptr;
}

std::vector<uint32_t> ShardOwners(std::span<const uint64_t> costs, uint32_t shard_count) {
  std::vector<uint32_t> owners(costs.size(), 0);
  if (shard_count <= 1) return owners;
  std::vector<size_t> order(costs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return costs[a] > costs[b]; });
  std::vector<uint64_t> load(shard_count, 0);
  for (size_t item : order) {
    const auto least = std::min_element(load.begin(), load.end());  // First of equals.
    owners[item] = static_cast<uint32_t>(least - load.begin());
    *least += std::max<uint64_t>(costs[item], 1);
  }
  return owners;
}

std::vector<bool> OwnedItems(const Shard& shard, std::span<const uint64_t> costs) {
  const std::vector<uint32_t> owners = ShardOwners(costs, shard.count);
  std::vector<bool> owned(owners.size());
  for (size_t i = 0; i < owners.size(); ++i) owned[i] = owners[i] == shard.index;
  return owned;
}

std::vector<uint32_t> RigOwners(const CampaignConfig& config, uint32_t shard_count) {
  std::vector<uint64_t> costs;
  for (const RigConfig& rig : config.rigs) costs.push_back(QualifyRigCost(config.qualify, rig));
  return ShardOwners(costs, shard_count);
}

uint64_t ElapsedNs(Clock& clock, Clock::TimePoint since) {
  const auto d = clock.Now() - since;
  return d.count() < 0 ? 0 : static_cast<uint64_t>(d.count());
}

void FillPattern(DataPattern p, uint64_t seed, uint64_t salt, std::span<std::byte> out) {
  switch (p) {
    case DataPattern::kZeros:
      for (auto& b : out) b = std::byte{0x00};
      break;
    case DataPattern::k55AA:
      // Alternating 01/10 bit pairs stress neighbouring cells in both directions.
      for (size_t i = 0; i < out.size(); ++i) out[i] = std::byte(i % 2 == 0 ? 0x55 : 0xAA);
      break;
    case DataPattern::kRandom: {
      SeededRandom rng(seed ^ (salt * 0x9E3779B97F4A7C15ull));
      for (auto& b : out) b = std::byte{rng.Byte()};
      break;
    }
    case DataPattern::kIncrementing:
      for (size_t i = 0; i < out.size(); ++i) out[i] = std::byte(static_cast<uint8_t>(i + salt));
      break;
  }
}

uint64_t BitErrors(std::span<const std::byte> expected, std::span<const std::byte> actual) {
  uint64_t n = 0;
  for (size_t i = 0; i < expected.size() && i < actual.size(); ++i) {
    n += std::popcount(static_cast<uint8_t>(expected[i] ^ actual[i]));
  }
  return n;
}

}  // namespace flashrig::hil
