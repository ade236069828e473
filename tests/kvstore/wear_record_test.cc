// The persisted wear record: codec, counts surviving remount, power cuts during its
// rewrite (at most K - 1 + the operation's erases lost, never user data), and wear spread
// by the persisted counts across many power-ups.
#include "flashrig/kvstore/wear_record.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/kv_test_util.h"

namespace flashrig::kv {
namespace {

using driver::PowerCutEffect;
using driver::RamFlash;
using testing::KeyNumber;
using testing::KeyWithHome;
using testing::Read;
using testing::ValueFor;

constexpr uint32_t kRegion = 4096;

struct Engine {
  Engine(driver::Flash& flash, uint32_t save_every)
      : storage(flash.geometry(), 256),
        engine(flash, storage.buffers(),
               {.wear_record = true, .wear_save_every_erases = save_every}) {}
  EngineStorage storage;
  TicKvEngine engine;
};

// Sum over regions of (erases the flash saw - erases the engine knows of).
uint64_t LostCounts(const RamFlash& flash, const TicKvEngine& engine) {
  uint64_t lost = 0;
  for (uint32_t r = 0; r < engine.region_count(); ++r) {
    EXPECT_LE(engine.region(r).erase_count, flash.erase_count(r)) << "region " << r;
    lost += flash.erase_count(r) -
            std::min<uint64_t>(flash.erase_count(r), engine.region(r).erase_count);
  }
  return lost;
}

TEST(WearRecordTest, KeyIsGenerateKeyOfItsName) {
  EXPECT_EQ(GenerateKey("flashrig.wear"), wear::kWearKey);
}

TEST(WearRecordTest, EncodeApply_RoundTripsAndRejectsOtherGeometry) {
  std::vector<RegionState> regions(5);
  const uint32_t counts[] = {7, 3, 70000, 3, 100};
  for (size_t i = 0; i < regions.size(); ++i) regions[i].erase_count = counts[i];
  std::vector<std::byte> value(wear::ValueBytes(5));
  wear::Encode(regions, value);
  EXPECT_EQ(value[0], std::byte{1});
  std::vector<RegionState> back(5);
  back[1].erase_count = 9;  // RAM already knows more: kept.
  ASSERT_TRUE(wear::Apply(value, back));
  EXPECT_EQ(back[0].erase_count, 7u);
  EXPECT_EQ(back[1].erase_count, 9u);
  EXPECT_EQ(back[2].erase_count, 3u + 0xFFFF);  // Spread above 65535 saturates.
  EXPECT_EQ(back[4].erase_count, 100u);
  std::vector<RegionState> other(6);
  EXPECT_FALSE(wear::Apply(value, other));
  value[0] = std::byte{2};
  EXPECT_FALSE(wear::Apply(value, back));
}

// Sets of random keys until about 300 erases happened; returns the erases of the last op.
uint64_t Churn(RamFlash& flash, TicKvEngine& engine, uint32_t keys, uint64_t target_erases) {
  SeededRandom rng(5);
  uint64_t last = 0;
  for (uint32_t i = 0; flash.counters().erase_ops < target_erases; ++i) {
    const uint64_t before = flash.counters().erase_ops;
    const auto k = static_cast<uint32_t>(rng.Below(keys));
    EXPECT_EQ(engine.Set(KeyNumber(k), ValueFor(k, i, rng.Below(1200))), Status::Ok());
    last = flash.counters().erase_ops - before;
  }
  return last;
}

TEST(WearRecordTest, EraseCountsSurviveRemount) {
  for (const uint32_t k : {1u, 4u, 16u}) {
    SCOPED_TRACE(k);
    RamFlash flash(kRegion, 32);
    Engine a(flash, k);
    ASSERT_EQ(a.engine.Format(), Status::Ok());
    const uint64_t last_op_erases = Churn(flash, a.engine, 60, 300);
    EXPECT_GT(a.engine.stats().wear_saves, 300u / 16 / 2);

    Engine b(flash, k);  // A fresh engine object: power-up.
    ASSERT_EQ(b.engine.Mount(), Status::Ok());
    EXPECT_EQ(b.engine.stats().erases, 0u);
    EXPECT_LE(LostCounts(flash, b.engine), k - 1 + last_op_erases);
    // Not listed as a user key, but a checked object on flash (TicKV sees one more key).
    EXPECT_FALSE(b.engine.Contains(KeyNumber(1000)));
    uint32_t listed = 0;
    b.engine.ForEachKey([&](const IndexSlot& s) {
      EXPECT_NE(s.key, wear::kWearKey);
      ++listed;
    });
    EXPECT_EQ(listed, b.engine.stats().live_keys);
    uint32_t records = 0;
    for (uint32_t r = 0; r < 32; ++r) {
      ScanRegion(flash.contents().subspan(r * kRegion, kRegion), [&](const ScanEvent& e) {
        if (e.kind == ScanEvent::Kind::kObject && e.header.valid &&
            e.header.key == wear::kWearKey) {
          ++records;
        }
      });
    }
    EXPECT_EQ(records, 1u);
    // Users cannot touch the record.
    EXPECT_EQ(b.engine.Set(wear::kWearKey, ValueFor(0, 0, 4)), Status::InvalidArgument());
    EXPECT_EQ(b.engine.Invalidate(wear::kWearKey), Status::InvalidArgument());
  }
}

TEST(WearRecordTest, FormatThenAppends_NoRecordSoImageStaysTicKvs) {
  RamFlash flash(kRegion, 32);
  Engine a(flash, 1);
  ASSERT_EQ(a.engine.Format(), Status::Ok());
  for (uint32_t i = 0; i < 20; ++i)
    ASSERT_EQ(a.engine.Append(KeyNumber(i), ValueFor(i, 0, 40)), Status::Ok());
  EXPECT_EQ(a.engine.stats().wear_saves, 0u);
}

TEST(WearRecordTest, DisabledWithZero_NeverWritten) {
  RamFlash flash(kRegion, 32);
  Engine a(flash, 0);
  ASSERT_EQ(a.engine.Format(), Status::Ok());
  Churn(flash, a.engine, 60, 100);
  EXPECT_EQ(a.engine.stats().wear_saves, 0u);
}

// Every program/erase of the operations that rewrite the record is cut, with each effect.
// After each cut a new engine mounts: every user key holds its old or (for the key being
// set) its new value, and the counts lost are at most K - 1 + the operation's erases.
TEST(WearRecordTest, CutDuringRecordRewrite_LosesAtMostKAndNoUserData) {
  constexpr uint32_t kK = 4;
  constexpr uint32_t kKeys = 40;
  RamFlash flash(kRegion, 16);
  Engine main(flash, kK);
  ASSERT_EQ(main.engine.Format(), Status::Ok());
  std::vector<std::optional<std::vector<std::byte>>> model(kKeys);
  SeededRandom rng(11);
  uint32_t tested_saves = 0;
  uint64_t cuts = 0;
  for (uint32_t i = 0; tested_saves < 6 && i < 20000; ++i) {
    const auto k = static_cast<uint32_t>(rng.Below(kKeys));
    const auto value = ValueFor(k, i, rng.Below(900));
    const std::vector<std::byte> image(flash.contents().begin(), flash.contents().end());
    const std::vector<uint64_t> counts = flash.erase_counts();
    const uint64_t saves = main.engine.stats().wear_saves;
    const uint64_t ops_before = flash.mutating_ops();
    const uint64_t erases_before = flash.counters().erase_ops;
    ASSERT_EQ(main.engine.Set(KeyNumber(k), value), Status::Ok());
    const uint64_t op_mutations = flash.mutating_ops() - ops_before;
    const uint64_t op_erases = flash.counters().erase_ops - erases_before;
    const auto old = model[k];
    model[k] = value;
    if (main.engine.stats().wear_saves == saves) continue;
    ++tested_saves;
    const std::vector<std::byte> after(flash.contents().begin(), flash.contents().end());
    const std::vector<uint64_t> counts_after = flash.erase_counts();
    for (uint64_t cut = 1; cut <= op_mutations; ++cut) {
      for (const auto effect :
           {PowerCutEffect::kNotApplied, PowerCutEffect::kApplied, PowerCutEffect::kTorn}) {
        SCOPED_TRACE(::testing::Message() << "save " << tested_saves << " cut " << cut << " effect "
                                          << static_cast<int>(effect));
        ASSERT_EQ(flash.Restore(image), Status::Ok());
        ASSERT_EQ(flash.RestoreEraseCounts(counts), Status::Ok());
        {
          Engine replay(flash, kK);
          ASSERT_EQ(replay.engine.Mount(), Status::Ok());
          flash.SchedulePowerCut({.at_mutating_op = cut, .effect = effect, .seed = cut});
          replay.engine.Set(KeyNumber(k), value).IgnoreError();
          flash.CancelPowerCut();
          flash.PowerOn();
        }
        Engine fresh(flash, kK);
        ASSERT_EQ(fresh.engine.Mount(), Status::Ok());
        for (uint32_t j = 0; j < kKeys; ++j) {
          const auto got = Read(fresh.engine, KeyNumber(j));
          if (j == k) {
            EXPECT_TRUE(got == old || got == value) << "key " << j;
          } else {
            EXPECT_EQ(got, model[j]) << "key " << j;
          }
        }
        // Format's one erase per region is first recorded by the first save.
        const uint64_t format_erases = tested_saves == 1 ? 16 : 0;
        EXPECT_LE(LostCounts(flash, fresh.engine), kK - 1 + op_erases + format_erases);
        ++cuts;
      }
    }
    ASSERT_EQ(flash.Restore(after), Status::Ok());
    ASSERT_EQ(flash.RestoreEraseCounts(counts_after), Status::Ok());
  }
  EXPECT_EQ(tested_saves, 6u);
  EXPECT_GT(cuts, 6u * 3);
}

// Cold data fills most regions; one hot key is set a few times per power-up. With RAM-only
// counts every power-up starts from zero and ties go to the lowest free region, so the
// same regions take the erases; with the record the rotation continues across power-ups.
std::vector<uint64_t> HotKeyWear(uint32_t save_every) {
  RamFlash flash(kRegion, 8);
  {
    Engine e(flash, save_every);
    EXPECT_EQ(e.engine.Format(), Status::Ok());
    // Regions 0..3 full of cold objects (region 0 also holds the super key).
    EXPECT_EQ(e.engine.Append(KeyWithHome(0, 8, 0), ValueFor(0, 0, 2041 - 15)), Status::Ok());
    EXPECT_EQ(e.engine.Append(KeyWithHome(0, 8, 1), ValueFor(0, 1, 2040 - 15)), Status::Ok());
    for (uint32_t r = 1; r < 4; ++r) {
      for (uint32_t n = 0; n < 2; ++n) {
        EXPECT_EQ(e.engine.Append(KeyWithHome(r, 8, n), ValueFor(r, n, 2048 - 15)), Status::Ok());
      }
    }
  }
  const std::vector<uint64_t> base = flash.erase_counts();
  const HashedKey hot = KeyWithHome(6, 8, 0);
  for (uint32_t boot = 0; boot < 300; ++boot) {
    Engine e(flash, save_every);
    EXPECT_EQ(e.engine.Mount(), Status::Ok());
    for (uint32_t i = 0; i < 3; ++i) {
      EXPECT_EQ(e.engine.Set(hot, ValueFor(99, boot * 3 + i, 1000)), Status::Ok());
    }
    EXPECT_EQ(Read(e.engine, hot), ValueFor(99, boot * 3 + 2, 1000));
  }
  std::vector<uint64_t> wear(8);
  for (uint32_t r = 0; r < 8; ++r) wear[r] = flash.erase_count(r) - base[r];
  return wear;
}

TEST(WearRecordTest, HotKeyOverManyPowerUps_WearSpreadByPersistedCounts) {
  const std::vector<uint64_t> with_record = HotKeyWear(1);
  const std::vector<uint64_t> ram_only = HotKeyWear(0);
  auto spread = [](const std::vector<uint64_t>& w) {
    // Over the regions that hold no cold data (4..7).
    const auto [lo, hi] = std::minmax_element(w.begin() + 4, w.end());
    return std::pair{*lo, *hi};
  };
  const auto [lo, hi] = spread(with_record);
  const auto [ram_lo, ram_hi] = spread(ram_only);
  std::printf("hot key wear (regions 4..7): with record %llu..%llu, RAM only %llu..%llu\n",
              static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi),
              static_cast<unsigned long long>(ram_lo), static_cast<unsigned long long>(ram_hi));
  const uint64_t total = std::accumulate(with_record.begin(), with_record.end(), uint64_t{0});
  EXPECT_GT(total, 100u);
  EXPECT_LE(hi - lo, 2u + hi / 10);  // Even within 10 %.
  EXPECT_GT(ram_hi - ram_lo, hi - lo);
}

}  // namespace
}  // namespace flashrig::kv
