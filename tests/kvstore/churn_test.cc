// Churn: 100 keys, 20,000 random-size sets in 32 x 4 KiB at 85 % utilisation. Every set
// succeeds and every get returns the last value (TicKV ends with all keys unreadable).
#include <gtest/gtest.h>

#include <optional>

#include "flashrig/driver/flash/ram_flash.h"
#include "kvstore/kv_test_util.h"
#include "testing/test_seed.h"

namespace flashrig::kv {
namespace {

TEST(ChurnTest, TwentyThousandSetsAt85Percent_AllSucceedAndReadBack) {
  FLASHRIG_SEEDED(seed, 85);
  constexpr uint32_t kKeys = 100;
  constexpr uint32_t kSets = 20000;
  driver::RamFlash flash(4096, 32);
  auto h = testing::Mounted(flash);
  ASSERT_NE(h, nullptr);
  SeededRandom rng(seed);
  // Mean object = 85 % of the flash / 100 keys; value sizes uniform in [mean/2, 3 mean/2].
  // A set that would push live data past 85 % keeps to the key's old size, so the
  // utilisation stays at 85 % instead of drifting up with the random sizes.
  const uint64_t flash_bytes = 32 * 4096;
  const uint32_t mean_value = static_cast<uint32_t>(flash_bytes * 85 / 100 / kKeys) - 15;
  std::vector<std::optional<std::vector<std::byte>>> last(kKeys);
  uint64_t live = 15;
  uint64_t peak_live = 0;
  for (uint32_t i = 0; i < kSets; ++i) {
    const uint32_t k = static_cast<uint32_t>(rng.Below(kKeys));
    size_t size = rng.Between(mean_value / 2, mean_value * 3 / 2);
    const size_t old_size = last[k] ? last[k]->size() : 0;
    if (live + size + 15 - (last[k] ? old_size + 15 : 0) > flash_bytes * 85 / 100) {
      size = std::min(size, old_size);
    }
    std::vector<std::byte> v = testing::ValueFor(k, i, size);
    const Status s = h->engine.Set(testing::KeyNumber(k), v);
    if (!s.ok()) {
      for (uint32_t r = 0; r < 32; ++r) {
        const RegionState& rs = h->engine.region(r);
        std::printf("r%u free %u live %u objs %u torn %d\n", r, rs.free_offset_bytes, rs.live_bytes,
                    rs.live_objects, int{rs.torn});
      }
    }
    ASSERT_EQ(s, Status::Ok()) << "set " << i << " of key " << k << " (" << v.size()
                               << " bytes) at live " << live;
    live = live + v.size() + 15 - (last[k] ? last[k]->size() + 15 : 0);
    last[k] = std::move(v);
    peak_live = std::max(peak_live, live);
    if (i % 997 == 0) {
      for (uint32_t j = 0; j < kKeys; ++j) {
        ASSERT_EQ(testing::Read(h->engine, testing::KeyNumber(j)), last[j]) << "key " << j;
      }
    }
  }
  auto fresh = testing::Mounted(flash);
  for (uint32_t j = 0; j < kKeys; ++j) {
    EXPECT_EQ(testing::Read(fresh->engine, testing::KeyNumber(j)), last[j]) << "key " << j;
  }
  const EngineStats st = h->engine.stats();
  std::printf(
      "churn: peak live %llu bytes (%.1f%%), %llu erases, %llu compactions, %llu relocated bytes, "
      "live %llu bytes\n",
      static_cast<unsigned long long>(peak_live),
      100.0 * static_cast<double>(peak_live) / (32 * 4096),
      static_cast<unsigned long long>(st.erases), static_cast<unsigned long long>(st.compactions),
      static_cast<unsigned long long>(st.relocated_bytes),
      static_cast<unsigned long long>(st.live_bytes));
}

}  // namespace
}  // namespace flashrig::kv
