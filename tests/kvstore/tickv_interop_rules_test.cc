// The rules that keep our images readable by TicKV and identical to TicKV's where TicKV
// is right (docs/FORMAT.md "Placement", "Mount", "Wear"): probe paths, fillers, the
// no-pack margin, append-only placement, quiet mounts, sealed torn tails, the opt-in wear
// record. tests/kvstore/interop/ proves the same against the real crate.
#include <gtest/gtest.h>

#include <algorithm>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"
#include "kvstore/kv_test_util.h"

namespace flashrig::kv {
namespace {

using driver::RamFlash;
using testing::KeyNumber;
using testing::KeyWithHome;
using testing::Read;
using testing::ValueFor;

constexpr uint32_t kRegion = 4096;
constexpr uint32_t kRegions = 32;

struct Engine {
  explicit Engine(driver::Flash& flash, EngineOptions options = {})
      : storage(flash.geometry(), 1024), engine(flash, storage.buffers(), options) {}
  EngineStorage storage;
  TicKvEngine engine;
};

uint32_t RegionOf(const TicKvEngine& engine, const HashedKey& key) {
  uint32_t where = 0xFFFFFFFF;
  engine.ForEachKey([&](const IndexSlot& s) {
    if (s.key == key) where = s.address / engine.region_bytes();
  });
  return where;
}

// The first object of `region` as the scan sees it.
ScanEvent FirstEvent(const RamFlash& flash, uint32_t region) {
  ScanEvent first{};
  bool seen = false;
  ScanRegion(flash.contents().subspan(region * kRegion, kRegion), [&](const ScanEvent& e) {
    if (!seen) first = e;
    seen = true;
  });
  return first;
}

TEST(ProbePathTest, IntervalIsExactlyTheRegionsOfLowerRank) {
  for (uint32_t n : {1u, 2u, 7u, 32u}) {
    for (uint32_t home = 0; home < n; ++home) {
      for (uint32_t stored = 0; stored < n; ++stored) {
        uint32_t lo = 1, hi = 0;
        const bool any = format::ProbePathBefore(home, stored, n, &lo, &hi);
        for (uint32_t q = 0; q < n; ++q) {
          const bool before = format::ProbeRank(q, home) < format::ProbeRank(stored, home);
          EXPECT_EQ(before, any && lo <= q && q <= hi)
              << "n " << n << " home " << home << " stored " << stored << " q " << q;
        }
      }
    }
  }
}

TEST(FillerTest, KeyIsGenerateKeyOfItsNameAndObjectIsDeadAndChecked) {
  EXPECT_EQ(GenerateKey("flashrig.filler"), format::kFillerKey);
  std::array<std::byte, 15> filler{};
  format::EncodeFiller(filler);
  const auto header = format::ParseObject(filler);
  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(header->valid);
  EXPECT_EQ(header->key, format::kFillerKey);
  EXPECT_EQ(header->total_bytes, 15u);
}

// GC erases what TicKV's GC erases; a region on a live key's probe path gets a filler
// (TicKV leaves it empty, and its lookup of the key then stops there).
TEST(GarbageCollectTest, ErasedRegionOnLivePath_GetsAFillerElseStaysEmpty) {
  RamFlash flash(kRegion, kRegions);
  Engine e(flash);
  ASSERT_EQ(e.engine.Format(), Status::Ok());
  const HashedKey big0 = KeyWithHome(10, kRegions, 0), big1 = KeyWithHome(10, kRegions, 1);
  const HashedKey beyond = KeyWithHome(10, kRegions, 2);
  const HashedKey lone = KeyWithHome(20, kRegions, 0);
  ASSERT_EQ(e.engine.Append(big0, ValueFor(0, 0, 2000)), Status::Ok());
  ASSERT_EQ(e.engine.Append(big1, ValueFor(1, 0, 2000)), Status::Ok());
  ASSERT_EQ(e.engine.Append(beyond, ValueFor(2, 0, 500)), Status::Ok());
  ASSERT_EQ(e.engine.Append(lone, ValueFor(3, 0, 10)), Status::Ok());
  ASSERT_EQ(RegionOf(e.engine, beyond), 11u);
  for (const auto& k : {big0, big1, lone}) ASSERT_EQ(e.engine.Invalidate(k), Status::Ok());
  flash.ResetCounters();
  EXPECT_EQ(*e.engine.GarbageCollect(), 2 * kRegion);  // As TicKV: regions 10 and 20.
  EXPECT_EQ(flash.counters().erase_ops, 2u);
  EXPECT_EQ(e.engine.region(10).free_offset_bytes, 15u);
  EXPECT_EQ(FirstEvent(flash, 10).header.key, format::kFillerKey);
  EXPECT_EQ(e.engine.region(20).free_offset_bytes, 0u);
  EXPECT_EQ(e.engine.stats().fillers_written, 1u);
  // A second GC leaves the filler alone (erasing it would only write it back).
  flash.ResetCounters();
  EXPECT_EQ(*e.engine.GarbageCollect(), 0u);
  EXPECT_EQ(flash.counters().erase_ops, 0u);
  EXPECT_EQ(Read(e.engine, beyond), ValueFor(2, 0, 500));
}

// A Set may go anywhere (best fit); the empty regions TicKV's lookup reads first get
// fillers before the copy is written.
TEST(PlacementTest, SetFarFromHome_FillsEmptyRegionsOnItsProbePath) {
  RamFlash flash(kRegion, 8);
  Engine e(flash);
  ASSERT_EQ(e.engine.Format(), Status::Ok());
  const uint32_t super = format::HomeRegion(format::kSuperKey, 8);
  const HashedKey k = KeyWithHome(super == 0 ? 7 : 0, 8, 0);
  ASSERT_EQ(e.engine.Append(k, ValueFor(1, 0, 100)), Status::Ok());
  ASSERT_EQ(e.engine.Set(k, ValueFor(1, 1, 100)), Status::Ok());
  const uint32_t home = format::HomeRegion(k, 8), at = RegionOf(e.engine, k);
  uint32_t lo = 0, hi = 0;
  if (format::ProbePathBefore(home, at, 8, &lo, &hi)) {
    for (uint32_t r = lo; r <= hi; ++r) EXPECT_NE(e.engine.region(r).free_offset_bytes, 0u) << r;
  }
  EXPECT_EQ(Read(e.engine, k), ValueFor(1, 1, 100));
}

// While only appends ran, appends place exactly as TicKV, the last spare included; once
// a Set ran they keep a spare for compaction. The state follows the flash, so a remount
// sees it the same, and GC of the updated objects makes the store append-only again.
TEST(PlacementTest, AppendsOnly_FollowsTheFlashAcrossRemounts) {
  RamFlash flash(kRegion, 4);
  {
    Engine e(flash);
    ASSERT_EQ(e.engine.Format(), Status::Ok());
    EXPECT_TRUE(e.engine.appends_only());
    ASSERT_EQ(e.engine.Append(KeyNumber(1), ValueFor(1, 0, 100)), Status::Ok());
    ASSERT_EQ(e.engine.Set(KeyNumber(1), ValueFor(1, 1, 100)), Status::Ok());
    EXPECT_FALSE(e.engine.appends_only());
  }
  Engine again(flash);
  ASSERT_EQ(again.engine.Mount(), Status::Ok());
  EXPECT_FALSE(again.engine.appends_only());
  ASSERT_EQ(again.engine.Invalidate(KeyNumber(1)), Status::Ok());
  ASSERT_TRUE(again.engine.GarbageCollect().ok());
  EXPECT_TRUE(again.engine.appends_only());
  Engine third(flash);
  ASSERT_EQ(third.engine.Mount(), Status::Ok());
  EXPECT_TRUE(third.engine.appends_only());
}

// R4: a mount programs nothing unless it repairs something; the weak-cell refresh is an
// option and costs one program of the newest object per non-empty region.
TEST(MountTest, CleanMount_ProgramsNothingUnlessRefreshIsOn) {
  RamFlash flash(kRegion, kRegions);
  {
    Engine e(flash);
    ASSERT_EQ(e.engine.Format(), Status::Ok());
    for (uint32_t i = 0; i < 600; ++i)
      ASSERT_EQ(e.engine.Append(KeyNumber(i), ValueFor(i, 0, 41)), Status::Ok());
    for (uint32_t i = 0; i < 3000; ++i)
      ASSERT_EQ(e.engine.Set(KeyNumber(i % 600), ValueFor(i, 1, 41)), Status::Ok());
  }
  flash.ResetCounters();
  Engine quiet(flash);
  ASSERT_EQ(quiet.engine.Mount(), Status::Ok());
  EXPECT_EQ(flash.counters().program_ops, 0u);
  EXPECT_EQ(flash.counters().erase_ops, 0u);
  flash.ResetCounters();
  Engine refresh(flash, {.refresh_on_mount = true});
  ASSERT_EQ(refresh.engine.Mount(), Status::Ok());
  uint32_t non_empty = 0;
  for (uint32_t r = 0; r < kRegions; ++r)
    non_empty += refresh.engine.region(r).free_offset_bytes > 15;
  EXPECT_GE(flash.counters().program_ops, non_empty);
  EXPECT_LE(flash.counters().program_ops, kRegions);
  EXPECT_EQ(flash.counters().erase_ops, 0u);
}

// Why chips keep the refresh: a program cut at its very end can leave a complete object
// whose last cells are weak. It may pass its checksum at mount and fail it later; the
// refresh programs the bytes mount read (all correct, or the object would not have
// parsed), which makes the weak cells solid. Without it some of these reads fail.
TEST(MountTest, RefreshOnMount_MakesAWeakCompleteObjectReadStably) {
  uint32_t parsed = 0, failed_without = 0;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    for (const bool refresh : {true, false}) {
      RamFlash flash(driver::RamFlashOptions{.geometry = {.size_bytes = 4 * kRegion,
                                                          .erase_size_bytes = kRegion,
                                                          .program_page_bytes = 256},
                                             .unstable_torn_cells = true,
                                             .seed = seed});
      const HashedKey k = KeyNumber(seed);
      {
        Engine e(flash);
        ASSERT_EQ(e.engine.Format(), Status::Ok());
        // Cut in the checksum's last byte: the object is all there but for weak bits.
        flash.SchedulePowerCut(
            {.after_bytes = 24, .effect = driver::PowerCutEffect::kTorn, .seed = seed});
        EXPECT_FALSE(e.engine.Append(k, ValueFor(seed, 0, 10)).ok());
        flash.PowerOn();
      }
      Engine e(flash, {.refresh_on_mount = refresh});
      ASSERT_EQ(e.engine.Mount(), Status::Ok());
      if (!e.engine.Contains(k)) continue;  // Did not parse at mount: garbage, sealed.
      parsed += refresh ? 1 : 0;
      bool all_read = true;
      for (int i = 0; i < 32; ++i) {
        std::vector<std::byte> out(16);
        size_t n = 0;
        all_read = all_read && e.engine.Get(k, out, &n).ok();
      }
      if (refresh) {
        EXPECT_TRUE(all_read) << "seed " << seed;
      } else {
        failed_without += all_read ? 0 : 1;
      }
    }
  }
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(failed_without, 0u);  // The test can fail: the refresh is what makes it pass.
}

// A torn append behind live objects is sealed at mount (one 11-byte program), so TicKV's
// walk steps over it; the seal is a dead object, and the next mount programs nothing.
TEST(MountTest, TornTailBehindLiveObjects_IsSealedOnceAndKeysBeyondStayReachable) {
  RamFlash flash(kRegion, kRegions);
  const HashedKey first = KeyWithHome(5, kRegions, 0), torn = KeyWithHome(5, kRegions, 1);
  {
    Engine e(flash);
    ASSERT_EQ(e.engine.Format(), Status::Ok());
    ASSERT_EQ(e.engine.Append(first, ValueFor(1, 0, 3000)), Status::Ok());
    flash.SchedulePowerCut({.after_bytes = 30, .effect = driver::PowerCutEffect::kTorn, .seed = 3});
    EXPECT_FALSE(e.engine.Append(torn, ValueFor(2, 0, 500)).ok());
    flash.PowerOn();
  }
  flash.ResetCounters();
  Engine e(flash);
  ASSERT_EQ(e.engine.Mount(), Status::Ok());
  EXPECT_EQ(e.engine.stats().tails_sealed, 1u);
  EXPECT_EQ(flash.counters().bytes_programmed, format::kHeaderBytes);
  EXPECT_FALSE(e.engine.region(5).torn);
  // A key homed in 5 that no longer fits there goes on to region 6 and is reachable.
  const HashedKey next = KeyWithHome(5, kRegions, 2);
  ASSERT_EQ(e.engine.Append(next, ValueFor(3, 0, 1000)), Status::Ok());
  EXPECT_EQ(RegionOf(e.engine, next), 6u);
  flash.ResetCounters();
  Engine again(flash);
  ASSERT_EQ(again.engine.Mount(), Status::Ok());
  EXPECT_EQ(flash.counters().program_ops, 0u);
  EXPECT_EQ(Read(again.engine, first), ValueFor(1, 0, 3000));
  EXPECT_EQ(Read(again.engine, torn), std::nullopt);
  EXPECT_EQ(Read(again.engine, next), ValueFor(3, 0, 1000));
}

// A cut between an erase and its filler leaves an empty region on a live path: mount
// writes the filler (the only program of that mount).
TEST(MountTest, EmptyRegionOnLivePath_GetsAFiller) {
  RamFlash flash(kRegion, kRegions);
  const HashedKey a = KeyWithHome(10, kRegions, 0), beyond = KeyWithHome(10, kRegions, 1);
  {
    Engine e(flash);
    ASSERT_EQ(e.engine.Format(), Status::Ok());
    ASSERT_EQ(e.engine.Append(a, ValueFor(1, 0, 4000)), Status::Ok());
    ASSERT_EQ(e.engine.Append(beyond, ValueFor(2, 0, 100)), Status::Ok());
    ASSERT_EQ(RegionOf(e.engine, beyond), 11u);
    ASSERT_EQ(e.engine.Invalidate(a), Status::Ok());
  }
  ASSERT_EQ(flash.Erase(10 * kRegion, kRegion), Status::Ok());  // GC cut before the filler.
  flash.ResetCounters();
  Engine e(flash);
  ASSERT_EQ(e.engine.Mount(), Status::Ok());
  EXPECT_EQ(flash.counters().bytes_programmed, 15u);
  EXPECT_EQ(FirstEvent(flash, 10).header.key, format::kFillerKey);
}

// An image of another writer with a region packed to 6 bytes from its end (TicKV's
// lookup stops there): compaction empties it, so the key behind it becomes reachable.
TEST(CompactTest, PackedRegionOfAnotherWriter_IsUnpacked) {
  RamFlash flash(kRegion, kRegions);
  const HashedKey a = KeyWithHome(3, kRegions, 0), b = KeyWithHome(3, kRegions, 1);
  const HashedKey beyond = KeyWithHome(3, kRegions, 2);
  {
    Engine e(flash);
    ASSERT_EQ(e.engine.Format(), Status::Ok());
    ASSERT_EQ(e.engine.Append(beyond, ValueFor(2, 0, 100)), Status::Ok());  // In region 3.
  }
  // Move `beyond` behind the super key in region 4 and pack region 3 with two objects of
  // 2000 and 2090 bytes, as TicKV or an older flashrig would.
  std::vector<std::byte> beyond_object(115);
  ASSERT_EQ(flash.Read(3 * kRegion, beyond_object), Status::Ok());
  ASSERT_EQ(flash.Erase(3 * kRegion, kRegion), Status::Ok());
  ASSERT_EQ(flash.Program(4 * kRegion + 15, beyond_object), Status::Ok());
  uint32_t offset = 0;
  for (const auto& [key, total] : {std::pair{a, 2000u}, std::pair{b, 2090u}}) {
    std::vector<std::byte> object(total);
    format::EncodeHeader(key, 0, total, object);
    const auto v = ValueFor(total, 0, total - 15);
    std::copy(v.begin(), v.end(), object.begin() + 11);
    const uint32_t crc = format::ObjectChecksum(object);
    for (int i = 0; i < 4; ++i) object[total - 4 + i] = static_cast<std::byte>(crc >> (8 * i));
    ASSERT_EQ(flash.Program(3 * kRegion + offset, object), Status::Ok());
    offset += total;
  }
  Engine e(flash);
  ASSERT_EQ(e.engine.Mount(), Status::Ok());
  EXPECT_EQ(e.engine.region(3).free_offset_bytes, 4090u);
  ASSERT_TRUE(e.engine.Compact(kRegion / 2).ok());
  EXPECT_LE(e.engine.region(3).free_offset_bytes + format::kNoPackBytes, kRegion);
  EXPECT_EQ(Read(e.engine, a), ValueFor(2000, 0, 1985));
  EXPECT_EQ(Read(e.engine, b), ValueFor(2090, 0, 2075));
  EXPECT_EQ(Read(e.engine, beyond), ValueFor(2, 0, 100));
}

// R5: the wear record is opt-in. Off, a record from an engine that had it on is read at
// mount (RAM counts), hidden, invalidated by the next write and reclaimed by GC.
TEST(WearOptionTest, RecordOffByDefault_ExistingRecordDroppedAtNextWrite) {
  RamFlash flash(kRegion, kRegions);
  {
    Engine on(flash, {.wear_record = true, .wear_save_every_erases = 1});
    ASSERT_EQ(on.engine.Format(), Status::Ok());
    ASSERT_EQ(on.engine.Append(KeyNumber(1), ValueFor(1, 0, 10)), Status::Ok());
    ASSERT_EQ(on.engine.Invalidate(KeyNumber(1)), Status::Ok());
    ASSERT_TRUE(on.engine.GarbageCollect().ok());
    ASSERT_GE(on.engine.stats().wear_saves, 1u);
  }
  flash.ResetCounters();
  Engine off(flash);
  ASSERT_EQ(off.engine.Mount(), Status::Ok());
  EXPECT_EQ(flash.counters().program_ops, 0u);
  EXPECT_EQ(off.engine.stats().live_keys, 1u);  // The super key only.
  EXPECT_GE(off.engine.region(format::HomeRegion(KeyNumber(1), kRegions)).erase_count, 1u);
  ASSERT_EQ(off.engine.Append(KeyNumber(2), ValueFor(2, 0, 10)), Status::Ok());
  EXPECT_FALSE(off.engine.Contains(wear::kWearKey));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(off.engine.Compact(1).ok());
  EXPECT_EQ(off.engine.stats().wear_saves, 0u);
  uint32_t records = 0;
  for (uint32_t r = 0; r < kRegions; ++r) {
    ScanRegion(flash.contents().subspan(r * kRegion, kRegion), [&](const ScanEvent& ev) {
      if (ev.kind == ScanEvent::Kind::kObject && ev.header.key == wear::kWearKey) ++records;
    });
  }
  EXPECT_EQ(records, 0u);  // Invalidated, then reclaimed.
}

}  // namespace
}  // namespace flashrig::kv
