// One test per TicKV 2.0 defect from the reference sheet; each fails on the defective
// behaviour. (Defects 7 and 10, "BUSY forever", are tested at the KvSystem layer in
// tickv_kv_system_test.cc; 11 is a Tock flash-adapter bug: TrafficPerOperation in
// tickv_engine_test.cc proves append/invalidate never erase.)
#include <gtest/gtest.h>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/crc32.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/kv_test_util.h"
#include "testing/bytes.h"

namespace flashrig::kv {
namespace {

using driver::RamFlash;
using flashrig::testing::Bytes;
using flashrig::testing::FromString;
using testing::KeyNamed;
using testing::KeyNumber;
using testing::KeyWithHome;
using testing::Mounted;
using testing::Read;
using testing::ValueFor;

constexpr uint32_t kRegion = 4096;
constexpr uint32_t kRegions = 32;

uint32_t RegionOf(const TicKvEngine& engine, const HashedKey& key) {
  uint32_t where = 0xFFFFFFFF;
  engine.ForEachKey([&](const IndexSlot& s) {
    if (s.key == key) where = s.address / kRegion;
  });
  return where;
}

// Defect 1: lookups stopped at a region with < 12 free bytes, hiding later keys.
TEST(TicKvDefectsTest, D1_FilledStoreWith56ByteObjects_EveryKeyReadable) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash, 4096);
  uint32_t n = 0;
  while (h->engine.Append(KeyNumber(n), ValueFor(n, 0, 41)).ok()) ++n;
  EXPECT_GT(n, 2000u);
  auto fresh = Mounted(flash, 4096);
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(Read(fresh->engine, KeyNumber(i)), ValueFor(i, 0, 41)) << "key " << i;
  }
}

// Defect 2: GC erased a key's home region and cut the probe chain; a re-append then made
// a second live copy.
TEST(TicKvDefectsTest, D2_GcOfHomeRegion_KeyBeyondStaysFoundAndUnique) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  std::vector<HashedKey> fillers;
  for (uint32_t i = 0; i < 2; ++i) {
    fillers.push_back(KeyWithHome(10, kRegions, i));
    ASSERT_EQ(h->engine.Append(fillers.back(), ValueFor(i, 0, 2000)), Status::Ok());
  }
  const HashedKey k = KeyWithHome(10, kRegions, 5);
  ASSERT_EQ(h->engine.Append(k, ValueFor(99, 0, 500)), Status::Ok());
  ASSERT_EQ(RegionOf(h->engine, k), 11u);  // Overflowed past its home.
  for (const auto& f : fillers) ASSERT_EQ(h->engine.Invalidate(f), Status::Ok());
  ASSERT_EQ(*h->engine.GarbageCollect(), kRegion);  // Home region 10 erased.
  EXPECT_EQ(Read(h->engine, k), ValueFor(99, 0, 500));
  EXPECT_EQ(h->engine.Append(k, ValueFor(99, 1, 10)), Status::AlreadyExists());
  auto fresh = Mounted(flash);
  EXPECT_EQ(Read(fresh->engine, k), ValueFor(99, 0, 500));
  EXPECT_EQ(fresh->engine.Append(k, ValueFor(99, 1, 10)), Status::AlreadyExists());
  EXPECT_EQ(fresh->engine.stats().duplicates_resolved, 0u);
}

// Defect 3: values of different sizes created two live copies; after a delete the old
// value came back.
TEST(TicKvDefectsTest, D3_SetsOfDifferentSizesThenDelete_NoStaleValue) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  const HashedKey k = KeyNamed("k");
  const size_t sizes[] = {10, 3000, 5, 1200, 4000, 0, 77};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    ASSERT_EQ(h->engine.Set(k, ValueFor(1, i, sizes[i])), Status::Ok());
    ASSERT_EQ(Read(h->engine, k), ValueFor(1, i, sizes[i]));
  }
  ASSERT_EQ(h->engine.Invalidate(k), Status::Ok());
  EXPECT_EQ(Read(h->engine, k), std::nullopt);
  auto fresh = Mounted(flash);
  EXPECT_EQ(Read(fresh->engine, k), std::nullopt);
}

// Defect 4: an object 1-3 bytes larger than a region's remaining space lost the buffer and
// the next operation panicked. Our rule is stricter than "fits": an object must end at or
// before S - 12, because TicKV's lookup stops at a region whose objects end later (so an
// object filling the region exactly, which TicKV writes, would hide every key beyond it).
TEST(TicKvDefectsTest, D4_NearFitObjects_GoToNextRegionAndEngineContinues) {
  for (uint32_t over = 0; over <= 3; ++over) {
    SCOPED_TRACE(over);
    RamFlash flash(kRegion, kRegions);
    auto h = Mounted(flash);
    // Fill region 20 to exactly 100 bytes free.
    const HashedKey filler = KeyWithHome(20, kRegions, 0);
    ASSERT_EQ(h->engine.Append(filler, ValueFor(1, 0, kRegion - 100 - 15)), Status::Ok());
    ASSERT_EQ(h->engine.region(20).free_offset_bytes, kRegion - 100);
    // 100 + over bytes: TicKV fills the region exactly (over 0) or panics (1..3).
    const HashedKey k = KeyWithHome(20, kRegions, 1);
    ASSERT_EQ(h->engine.Append(k, ValueFor(2, 0, 100 + over - 15)), Status::Ok());
    EXPECT_EQ(RegionOf(h->engine, k), 21u);
    EXPECT_EQ(Read(h->engine, k), ValueFor(2, 0, 100 + over - 15));
    // An object that leaves exactly 12 bytes still goes into region 20.
    const HashedKey fits = KeyWithHome(20, kRegions, 2);
    ASSERT_EQ(h->engine.Append(fits, ValueFor(3, 0, 100 - 12 - 15)), Status::Ok());
    EXPECT_EQ(RegionOf(h->engine, fits), 20u);
    EXPECT_EQ(h->engine.region(20).free_offset_bytes, kRegion - 12);
    EXPECT_EQ(Read(h->engine, filler), ValueFor(1, 0, kRegion - 115));
    EXPECT_TRUE(h->engine.appends_only());
  }
}

// Defect 5: a torn header pinned its region forever; a torn value blocked its key.
TEST(TicKvDefectsTest, D5_TornHeaderAndTornValue_DetectedReclaimedAndNeverHideKeys) {
  RamFlash flash(kRegion, kRegions);
  const HashedKey before = KeyWithHome(3, kRegions, 0);
  const HashedKey torn_key = KeyWithHome(3, kRegions, 1);
  const HashedKey elsewhere = KeyWithHome(4, kRegions, 0);
  {
    auto h = Mounted(flash);
    ASSERT_EQ(h->engine.Append(before, ValueFor(1, 0, 100)), Status::Ok());
    ASSERT_EQ(h->engine.Append(elsewhere, ValueFor(2, 0, 100)), Status::Ok());
    // The object of torn_key is cut after its first 40 bytes (header + part of value).
    flash.SchedulePowerCut({.after_bytes = 40});
    EXPECT_FALSE(h->engine.Append(torn_key, ValueFor(3, 0, 200)).ok());
    flash.PowerOn();
  }
  // A torn header too, in region 6: version and flags written, length byte zero.
  ASSERT_EQ(flash.Program(6 * kRegion, Bytes({0x01, 0x80, 0x00, 0x12})), Status::Ok());
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Read(h->engine, before), ValueFor(1, 0, 100));
  EXPECT_EQ(Read(h->engine, elsewhere), ValueFor(2, 0, 100));
  EXPECT_EQ(Read(h->engine, torn_key), std::nullopt);
  // The torn tail behind `before` is sealed (a dead object TicKV's walk steps over, see
  // FORMAT.md "Mount"), so the region is not torn any more and keys probing past it stay
  // reachable for TicKV.
  EXPECT_FALSE(h->engine.region(3).torn);
  EXPECT_EQ(h->engine.stats().tails_sealed, 1u);
  std::vector<std::byte> seal(11);
  ASSERT_EQ(flash.Read(3 * kRegion + 115, seal), Status::Ok());
  EXPECT_TRUE(format::IsSealHeader(seal));
  // Region 6 held only garbage: mount erased it.
  EXPECT_FALSE(h->engine.region(6).torn);
  EXPECT_EQ(h->engine.region(6).free_offset_bytes, 0u);
  // The torn key can be stored again, and the torn space is reclaimable.
  ASSERT_EQ(h->engine.Append(torn_key, ValueFor(3, 1, 200)), Status::Ok());
  EXPECT_EQ(Read(h->engine, torn_key), ValueFor(3, 1, 200));
  const auto freed = h->engine.Compact(1);
  ASSERT_TRUE(freed.ok());
  EXPECT_GE(*freed, 40u);  // At least the torn bytes.
  EXPECT_FALSE(h->engine.region(3).torn);
  EXPECT_EQ(Read(h->engine, before), ValueFor(1, 0, 100));
  EXPECT_EQ(Read(h->engine, torn_key), ValueFor(3, 1, 200));
  auto fresh = Mounted(flash);
  EXPECT_EQ(Read(fresh->engine, torn_key), ValueFor(3, 1, 200));
  EXPECT_EQ(Read(fresh->engine, before), ValueFor(1, 0, 100));
}

// Defect 6: one flipped bit in the super key made the next mount erase the whole store.
TEST(TicKvDefectsTest, D6_CorruptSuperKey_DoesNotFormatAStoreWithData) {
  RamFlash flash(kRegion, kRegions);
  {
    auto h = Mounted(flash);
    ASSERT_EQ(h->engine.Append(KeyNamed("precious"), FromString("data")), Status::Ok());
  }
  const uint32_t super = (0xF244 % kRegions) * kRegion;
  ASSERT_EQ(flash.Program(super + 5, Bytes({0xF7})), Status::Ok());  // 0xFF -> 0xF7.
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Read(h->engine, KeyNamed("precious")), FromString("data"));
  EXPECT_TRUE(h->engine.Contains(format::kSuperKey));  // Rewritten.
  auto again = Mounted(flash);
  EXPECT_EQ(Read(again->engine, KeyNamed("precious")), FromString("data"));
}

// Defect 7: a half-erased region made GC abort.
TEST(TicKvDefectsTest, D7_HalfErasedRegion_DetectedAndReErased) {
  RamFlash flash(kRegion, kRegions);
  {
    auto h = Mounted(flash);
    ASSERT_EQ(h->engine.Append(KeyWithHome(8, kRegions, 0), ValueFor(1, 0, 3000)), Status::Ok());
    ASSERT_EQ(h->engine.Invalidate(KeyWithHome(8, kRegions, 0)), Status::Ok());
    ASSERT_EQ(h->engine.Append(KeyNamed("keep"), FromString("me")), Status::Ok());
    flash.SchedulePowerCut(
        {.at_mutating_op = 1, .effect = driver::PowerCutEffect::kTorn, .seed = 7});
    EXPECT_FALSE(h->engine.GarbageCollect().ok());
    flash.PowerOn();
  }
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->engine.stats().regions_repaired, 1u);
  EXPECT_EQ(h->engine.region(8).free_offset_bytes, 0u);
  EXPECT_FALSE(h->engine.region(8).torn);
  EXPECT_EQ(Read(h->engine, KeyNamed("keep")), FromString("me"));
  EXPECT_TRUE(h->engine.GarbageCollect().ok());
}

// Defect 8: a zero-length header made append and GC loop forever.
TEST(TicKvDefectsTest, D8_ZeroLengthHeader_NoLoop) {
  RamFlash flash(kRegion, kRegions);
  const HashedKey k = KeyWithHome(2, kRegions, 0);
  {
    auto h = Mounted(flash);
    ASSERT_EQ(h->engine.Append(k, ValueFor(1, 0, 50)), Status::Ok());
  }
  // A zero-length header right after the object.
  ASSERT_EQ(flash.Program(2 * kRegion + 65, Bytes({0x01, 0x80, 0x00})), Status::Ok());
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Read(h->engine, k), ValueFor(1, 0, 50));
  // TicKV's walk stops at the zero length, and no seal fits over it (its bits allow no
  // length >= 15), so mount moved `k` out and erased region 2.
  EXPECT_FALSE(h->engine.region(2).torn);
  EXPECT_EQ(h->engine.stats().regions_evacuated, 1u);
  EXPECT_NE(RegionOf(h->engine, k), 2u);
  const HashedKey k2 = KeyWithHome(2, kRegions, 1);
  ASSERT_EQ(h->engine.Append(k2, ValueFor(2, 0, 50)), Status::Ok());
  auto again = Mounted(flash);  // The object after the bad header is found again.
  EXPECT_EQ(Read(again->engine, k), ValueFor(1, 0, 50));
  EXPECT_EQ(Read(again->engine, k2), ValueFor(2, 0, 50));
  ASSERT_EQ(again->engine.Invalidate(k), Status::Ok());
  ASSERT_EQ(again->engine.Invalidate(k2), Status::Ok());
  EXPECT_GE(*again->engine.GarbageCollect(), kRegion);
  EXPECT_EQ(again->engine.region(2).free_offset_bytes, 0u);
}

// Defect 9: update as invalidate-then-append lost the old value when the append failed.
TEST(TicKvDefectsTest, D9_UpdateWithoutSpaceOrWithFlashError_KeepsOldValue) {
  RamFlash flash(kRegion, 3);
  auto h = Mounted(flash);
  const HashedKey k = KeyNamed("k");
  ASSERT_EQ(h->engine.Set(k, ValueFor(1, 0, 3000)), Status::Ok());
  ASSERT_EQ(h->engine.Append(KeyNamed("other"), ValueFor(2, 0, 4000)), Status::Ok());
  // No room for a second 3000-byte copy alongside the live data.
  EXPECT_EQ(h->engine.Set(k, ValueFor(1, 1, 3000)), Status::ResourceExhausted());
  EXPECT_EQ(Read(h->engine, k), ValueFor(1, 0, 3000));
  // A flash error while writing the new copy.
  ASSERT_EQ(h->engine.Set(k, ValueFor(1, 2, 20)), Status::Ok());
  flash.AddFault({.ops = static_cast<driver::FlashOpMask>(driver::FlashOp::kProgram)});
  EXPECT_EQ(h->engine.Set(k, ValueFor(1, 3, 20)), Status::DataLoss());
  flash.ClearFaults();
  EXPECT_EQ(Read(h->engine, k), ValueFor(1, 2, 20));
  auto fresh = Mounted(flash);
  EXPECT_EQ(Read(fresh->engine, k), ValueFor(1, 2, 20));
}

// Defect 12: GC never compacted, so a region with one live object was never reclaimed.
TEST(TicKvDefectsTest, D12_RegionsWithFewLiveObjects_AreCompacted) {
  RamFlash flash(kRegion, 8);
  auto h = Mounted(flash);
  // 7 regions, each with 3 objects of ~1300 bytes; then delete 2 of 3 in every region.
  std::vector<HashedKey> keys;
  for (uint32_t i = 0;; ++i) {
    if (!h->engine.Append(KeyNumber(i), ValueFor(i, 0, 1300)).ok()) break;
    keys.push_back(KeyNumber(i));
  }
  ASSERT_GE(keys.size(), 12u);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i % 3 != 0) {
      ASSERT_EQ(h->engine.Invalidate(keys[i]), Status::Ok());
    }
  }
  ASSERT_TRUE(h->engine.GarbageCollect().ok());  // TicKV GC: fully invalid regions only.
  uint32_t mostly_garbage = 0;
  for (uint32_t r = 0; r < 8; ++r) {
    const RegionState& s = h->engine.region(r);
    if (s.live_objects > 0 && s.free_offset_bytes - s.live_bytes >= kRegion / 2) ++mostly_garbage;
  }
  ASSERT_GT(mostly_garbage, 0u);  // Regions TicKV could never reclaim.
  const auto freed = h->engine.Compact(kRegion / 2);
  ASSERT_TRUE(freed.ok());
  EXPECT_GE(*freed, mostly_garbage * kRegion / 2);
  EXPECT_EQ(h->engine.stats().compactions, mostly_garbage);
  for (uint32_t r = 0; r < 8; ++r) {
    const RegionState& s = h->engine.region(r);
    EXPECT_LT(s.free_offset_bytes - s.live_bytes, kRegion / 2) << "region " << r;
  }
  for (size_t i = 0; i < keys.size(); i += 3)
    EXPECT_EQ(Read(h->engine, keys[i]), ValueFor(i, 0, 1300));
  auto fresh = Mounted(flash);
  for (size_t i = 0; i < keys.size(); i += 3)
    EXPECT_EQ(Read(fresh->engine, keys[i]), ValueFor(i, 0, 1300));
  EXPECT_EQ(fresh->engine.stats().duplicates_resolved, 0u);
}

}  // namespace
}  // namespace flashrig::kv
