// Readability after churn: sets, invalidates, appends, gc and compaction at 50, 75 and
// 85 % utilisation on 32 x 4 KiB (the workload where TicKV 2.0 itself loses almost every
// key, defect 1): 20,000 operations, and after every 2000 of them the real TicKV crate
// must find every live key of our image with its value (docs/FORMAT.md R2).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/interop/tickv_oracle.h"
#include "testing/test_seed.h"

namespace flashrig::kv::interop {
namespace {

constexpr uint32_t kRegion = 4096;
constexpr uint32_t kRegions = 32;

std::vector<std::byte> Value(SeededRandom& rng, size_t n) {
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng.Byte());
  return v;
}

class ChurnReadabilityTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ChurnReadabilityTest, TicKvReadsEveryLiveKeyThroughout) {
  const uint32_t percent = GetParam();
  FLASHRIG_SEEDED(seed, 20261201 + percent);
  driver::RamFlash flash(kRegion, kRegions);
  EngineStorage storage(flash.geometry(), 4096);
  TicKvEngine engine(flash, storage.buffers());
  ASSERT_EQ(engine.Format(), Status::Ok());
  SeededRandom rng(seed);
  // Values of 0..100 bytes (average object 65 bytes): keys for the utilisation.
  const uint32_t keys = kRegion * kRegions * percent / 100 / 65;
  std::map<HashedKey, std::vector<std::byte>> live;
  auto key_of = [](uint64_t i) { return GenerateKey("churn-" + std::to_string(i)); };
  for (uint32_t i = 0; i < keys; ++i) {
    auto v = Value(rng, rng.Below(101));
    ASSERT_EQ(engine.Append(key_of(i), v), Status::Ok()) << "fill key " << i;
    live[key_of(i)] = std::move(v);
  }
  TickvOracle oracle;
  uint64_t nomem = 0;
  for (uint32_t op = 1; op <= 20000; ++op) {
    const uint32_t roll = static_cast<uint32_t>(rng.Below(100));
    const HashedKey k = key_of(rng.Below(keys));
    const bool present = live.count(k) != 0;
    Status s;
    if (roll < 80 || (roll < 88 && !present)) {
      auto v = Value(rng, rng.Below(101));
      s = roll < 80 ? engine.Set(k, v) : engine.Append(k, v);
      if (s.ok()) live[k] = std::move(v);
    } else if (roll < 94) {
      s = engine.Invalidate(k);
      ASSERT_EQ(s.ok(), present) << "invalidate at op " << op << ": " << s;
      if (!present) s = Status::Ok();
      live.erase(k);
    } else {
      const Result<size_t> r = roll < 97 ? engine.GarbageCollect() : engine.Compact(kRegion / 2);
      s = r.status();
    }
    if (s == Status::ResourceExhausted()) {
      ++nomem;
    } else {
      ASSERT_TRUE(s.ok()) << "op " << op << ": " << s;
    }
    if (op % 2000 == 0) {
      const std::string e = oracle.CheckReadable(flash.contents(), kRegion, kRegions, live);
      ASSERT_TRUE(e.empty()) << percent << " % after op " << op << ": " << e;
    }
  }
  const EngineStats st = engine.stats();
  std::printf("churn %u %%: %zu live keys, %llu erases, %llu fillers, %llu NOMEM; TicKV read all\n",
              percent, live.size(), static_cast<unsigned long long>(st.erases),
              static_cast<unsigned long long>(st.fillers_written),
              static_cast<unsigned long long>(nomem));
  EXPECT_EQ(nomem, 0u);
}

INSTANTIATE_TEST_SUITE_P(Utilisation, ChurnReadabilityTest, ::testing::Values(50u, 75u, 85u));

}  // namespace
}  // namespace flashrig::kv::interop
