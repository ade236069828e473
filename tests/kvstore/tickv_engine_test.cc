// TicKvEngine: scenarios ported from TicKV's own tests (format/mount, append/get/
// invalidate, duplicate refusal, overflow order, full store, GC bytes freed), plus the
// flash traffic of each operation and crash-atomic Set under injected faults.
#include "flashrig/kvstore/tickv_engine.h"

#include <gtest/gtest.h>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/object_format.h"
#include "kvstore/kv_test_util.h"
#include "testing/bytes.h"

namespace flashrig::kv {
namespace {

using driver::RamFlash;
using flashrig::testing::FromString;
using testing::KeyNamed;
using testing::KeyNumber;
using testing::KeyWithHome;
using testing::Mounted;
using testing::Read;
using testing::ValueFor;

constexpr uint32_t kRegion = 4096;
constexpr uint32_t kRegions = 32;

TEST(TicKvEngineTest, OperationsBeforeMount_ReturnFailedPrecondition) {
  RamFlash flash(kRegion, kRegions);
  testing::EngineHarness h(flash);
  size_t n = 0;
  std::vector<std::byte> out(8);
  EXPECT_EQ(h.engine.Append(KeyNamed("a"), {}), Status::FailedPrecondition());
  EXPECT_EQ(h.engine.Get(KeyNamed("a"), out, &n), Status::FailedPrecondition());
  EXPECT_EQ(h.engine.Invalidate(KeyNamed("a")), Status::FailedPrecondition());
  EXPECT_EQ(h.engine.GarbageCollect().status(), Status::FailedPrecondition());
  EXPECT_EQ(flash.counters().program_ops + flash.counters().erase_ops, 0u);
}

TEST(TicKvEngineTest, UndersizedBuffers_MountReturnsInvalidArgument) {
  RamFlash flash(kRegion, kRegions);
  EngineStorage storage(driver::FlashGeometry{.size_bytes = 4 * 1024, .erase_size_bytes = 1024},
                        16);
  TicKvEngine engine(flash, storage.buffers());
  EXPECT_EQ(engine.Mount(), Status::InvalidArgument());
}

TEST(TicKvEngineTest, FormatMountAndRemountKeepData) {
  RamFlash flash(kRegion, kRegions);
  {
    auto h = Mounted(flash);
    ASSERT_NE(h, nullptr);
    ASSERT_EQ(h->engine.Append(KeyNamed("hello"), FromString("world")), Status::Ok());
  }
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(Read(h->engine, KeyNamed("hello")), FromString("world"));
  EXPECT_EQ(h->engine.stats().live_keys, 2u);  // Super key + hello.
  // Format wipes it.
  ASSERT_EQ(h->engine.Format(), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("hello")), std::nullopt);
}

TEST(TicKvEngineTest, AppendGetInvalidate) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  const auto v = ValueFor(1, 0, 100);
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), v), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), v);
  ASSERT_EQ(h->engine.Invalidate(KeyNamed("k")), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), std::nullopt);
  EXPECT_EQ(h->engine.Invalidate(KeyNamed("k")), Status::NotFound());
  // Appending again after a delete works.
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), FromString("again")), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), FromString("again"));
}

TEST(TicKvEngineTest, DuplicateAppend_ReturnsAlreadyExistsAndKeepsValue) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), FromString("one")), Status::Ok());
  EXPECT_EQ(h->engine.Append(KeyNamed("k"), FromString("two")), Status::AlreadyExists());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), FromString("one"));
}

TEST(TicKvEngineTest, ReservedKeysAndOversizeValues_AreRejected) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  EXPECT_EQ(h->engine.Append(format::kSuperKey, {}), Status::InvalidArgument());
  EXPECT_EQ(h->engine.Invalidate(format::kSuperKey), Status::InvalidArgument());
  EXPECT_EQ(h->engine.Append(HashedKey{}, {}), Status::InvalidArgument());
  EXPECT_EQ(h->engine.Append(format::kFillerKey, {}), Status::InvalidArgument());
  // An object must end at or before S - 12 (TicKV's lookup stops at a region whose
  // objects end later): 4096 - 12 - 15 = 4069 bytes, not TicKV's 4079.
  EXPECT_EQ(h->engine.max_value_bytes(), 4069u);
  EXPECT_EQ(h->engine.Append(KeyNamed("big"), ValueFor(1, 1, 4070)), Status::OutOfRange());
  EXPECT_EQ(h->engine.Append(KeyNamed("max"), ValueFor(1, 1, 4069)), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("max")), ValueFor(1, 1, 4069));
  EXPECT_EQ(format::MaxValueBytes(256), 229u);
  EXPECT_EQ(format::MaxValueBytes(8192), 4079u);
}

TEST(TicKvEngineTest, GetWithShortBuffer_CopiesPrefixAndReportsLength) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  const auto v = ValueFor(2, 0, 300);
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), v), Status::Ok());
  std::vector<std::byte> out(10);
  size_t n = 0;
  EXPECT_EQ(h->engine.Get(KeyNamed("k"), out, &n), Status::OutOfRange());
  EXPECT_EQ(n, 300u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), v.begin()));
}

TEST(TicKvEngineTest, OverflowFollowsProbeOrder) {
  // Keys sharing home region 5 fill it, then go to 6, then 4 (R, R+1, R-1).
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  const uint32_t home = 5;
  std::vector<uint32_t> regions;
  for (uint32_t i = 0; i < 6; ++i) {
    const HashedKey k = KeyWithHome(home, kRegions, i);
    ASSERT_EQ(h->engine.Append(k, ValueFor(i, 0, 1500)), Status::Ok());
    uint32_t where = 99;
    h->engine.ForEachKey([&](const IndexSlot& s) {
      if (s.key == k) where = s.address / kRegion;
    });
    regions.push_back(where);
  }
  EXPECT_EQ(regions, (std::vector<uint32_t>{5, 5, 6, 6, 4, 4}));
}

// Appends only: the store stays TicKV-pure and fills every region, the last spare too,
// exactly as TicKV would; then, as in TicKV, one delete frees nothing (each region is full
// and no region can take another's objects) and emptying a region (GC) makes room.
TEST(TicKvEngineTest, FullStore_ReturnsResourceExhaustedAndStaysUsable) {
  RamFlash flash(kRegion, 4);
  auto h = Mounted(flash);
  uint32_t stored = 0;
  Status s;
  while ((s = h->engine.Append(KeyNumber(stored), ValueFor(stored, 0, 1000))).ok()) ++stored;
  EXPECT_EQ(s, Status::ResourceExhausted());
  EXPECT_TRUE(h->engine.appends_only());
  EXPECT_EQ(stored, 16u);  // 4 regions x 4 objects of 1015 bytes (<= 4084 each).
  for (uint32_t i = 0; i < stored; ++i)
    EXPECT_EQ(Read(h->engine, KeyNumber(i)), ValueFor(i, 0, 1000));
  // The regions of the keys (the super key's region never becomes all dead).
  std::vector<uint32_t> region_of(stored);
  uint32_t super_region = 99;
  h->engine.ForEachKey([&](const IndexSlot& slot) {
    if (slot.key == format::kSuperKey) super_region = slot.address / kRegion;
    for (uint32_t i = 0; i < stored; ++i) {
      if (slot.key == KeyNumber(i)) region_of[i] = slot.address / kRegion;
    }
  });
  const uint32_t victim = super_region == 0 ? 1 : 0;
  std::vector<uint32_t> in_victim;
  for (uint32_t i = 0; i < stored; ++i) {
    if (region_of[i] == victim) in_victim.push_back(i);
  }
  ASSERT_GE(in_victim.size(), 2u);
  ASSERT_EQ(h->engine.Invalidate(KeyNumber(in_victim[0])), Status::Ok());
  EXPECT_EQ(h->engine.Append(KeyNumber(1000), ValueFor(1000, 0, 1000)),
            Status::ResourceExhausted());
  for (size_t i = 1; i < in_victim.size(); ++i)
    ASSERT_EQ(h->engine.Invalidate(KeyNumber(in_victim[i])), Status::Ok());
  flash.ResetCounters();
  EXPECT_EQ(h->engine.Append(KeyNumber(1000), ValueFor(1000, 0, 1000)), Status::Ok());
  EXPECT_EQ(flash.counters().erase_ops, 1u);  // TicKV GC of that region, no compaction.
  EXPECT_TRUE(h->engine.appends_only());
}

// A store that has seen a Set is no longer TicKV's image: appends keep one spare region,
// so after one delete compaction makes room.
TEST(TicKvEngineTest, FullStoreAfterSet_KeepsASpareSoOneDeleteMakesRoom) {
  RamFlash flash(kRegion, 4);
  auto h = Mounted(flash);
  ASSERT_EQ(h->engine.Append(KeyNumber(0), ValueFor(0, 0, 1000)), Status::Ok());
  ASSERT_EQ(h->engine.Set(KeyNumber(0), ValueFor(0, 1, 1000)), Status::Ok());
  EXPECT_FALSE(h->engine.appends_only());
  uint32_t stored = 1;
  Status s;
  while ((s = h->engine.Append(KeyNumber(stored), ValueFor(stored, 0, 1000))).ok()) ++stored;
  EXPECT_EQ(s, Status::ResourceExhausted());
  EXPECT_GE(stored, 11u);  // 3 of 4 regions usable (one is the spare).
  ASSERT_EQ(h->engine.Invalidate(KeyNumber(1)), Status::Ok());
  EXPECT_EQ(h->engine.Append(KeyNumber(1000), ValueFor(1000, 0, 1000)), Status::Ok());
  for (uint32_t i = 2; i < stored; ++i)
    EXPECT_EQ(Read(h->engine, KeyNumber(i)), ValueFor(i, 0, 1000));
  EXPECT_EQ(Read(h->engine, KeyNumber(0)), ValueFor(0, 1, 1000));
}

TEST(TicKvEngineTest, GarbageCollect_FreesFullyInvalidRegionsOnly) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  // Two keys in region 7, one in region 9.
  const HashedKey a = KeyWithHome(7, kRegions, 0), b = KeyWithHome(7, kRegions, 1),
                  c = KeyWithHome(9, kRegions, 0);
  ASSERT_EQ(h->engine.Append(a, ValueFor(1, 0, 10)), Status::Ok());
  ASSERT_EQ(h->engine.Append(b, ValueFor(2, 0, 10)), Status::Ok());
  ASSERT_EQ(h->engine.Append(c, ValueFor(3, 0, 10)), Status::Ok());
  ASSERT_EQ(h->engine.Invalidate(a), Status::Ok());
  ASSERT_EQ(h->engine.Invalidate(c), Status::Ok());
  auto freed = h->engine.GarbageCollect();
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(*freed, kRegion);  // Region 9 only; region 7 still holds b.
  EXPECT_EQ(Read(h->engine, b), ValueFor(2, 0, 10));
  freed = h->engine.GarbageCollect();
  EXPECT_EQ(*freed, 0u);
}

TEST(TicKvEngineTest, TrafficPerOperation) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  flash.ResetCounters();
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), ValueFor(1, 0, 41)), Status::Ok());
  EXPECT_EQ(flash.counters().bytes_programmed, 56u);  // Exactly the object.
  EXPECT_EQ(flash.counters().erase_ops, 0u);
  EXPECT_EQ(flash.counters().bytes_read, 0u);  // The RAM index knows the free offset.
  flash.ResetCounters();
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), ValueFor(1, 0, 41));
  EXPECT_EQ(flash.counters().bytes_read, 56u);  // Only the object.
  flash.ResetCounters();
  ASSERT_EQ(h->engine.Invalidate(KeyNamed("k")), Status::Ok());
  EXPECT_EQ(flash.counters().bytes_programmed, 1u);  // One byte.
  EXPECT_EQ(flash.counters().erase_ops, 0u);
}

TEST(TicKvEngineTest, Set_ReplacesAndSurvivesRemount) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  ASSERT_EQ(h->engine.Set(KeyNamed("k"), FromString("one")), Status::Ok());
  ASSERT_EQ(h->engine.Set(KeyNamed("k"), FromString("two")), Status::Ok());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), FromString("two"));
  EXPECT_EQ(h->engine.stats().live_keys, 2u);
  auto h2 = Mounted(flash);
  EXPECT_EQ(Read(h2->engine, KeyNamed("k")), FromString("two"));
  EXPECT_EQ(h2->engine.stats().duplicates_resolved, 0u);
}

TEST(TicKvEngineTest, SetInterruptedBeforeInvalidate_MountKeepsNewerGeneration) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  ASSERT_EQ(h->engine.Append(KeyNamed("k"), FromString("old")), Status::Ok());
  // Fail the second program of the Set (the one-byte invalidate of the old copy).
  flash.AddFault({.ops = static_cast<driver::FlashOpMask>(driver::FlashOp::kProgram),
                  .status = Status::Unavailable(),
                  .skip = 1});
  EXPECT_EQ(h->engine.Set(KeyNamed("k"), FromString("new")), Status::Unavailable());
  flash.ClearFaults();
  auto h2 = Mounted(flash);
  ASSERT_NE(h2, nullptr);
  EXPECT_EQ(Read(h2->engine, KeyNamed("k")), FromString("new"));
  EXPECT_EQ(h2->engine.stats().duplicates_resolved, 1u);
  // The stale copy was invalidated at mount: a third mount sees no duplicate.
  auto h3 = Mounted(flash);
  EXPECT_EQ(h3->engine.stats().duplicates_resolved, 0u);
  EXPECT_EQ(Read(h3->engine, KeyNamed("k")), FromString("new"));
}

TEST(TicKvEngineTest, FailedWrite_EngineRebuildsIndexBeforeNextOperation) {
  RamFlash flash(kRegion, kRegions);
  auto h = Mounted(flash);
  // The program reaches the array but reports an error (verify failure, lost ack).
  flash.SchedulePowerCut({.at_mutating_op = 1, .effect = driver::PowerCutEffect::kApplied});
  EXPECT_EQ(h->engine.Append(KeyNamed("k"), FromString("v1")), Status::Unavailable());
  flash.PowerOn();
  // The same engine object now sees what reached the flash: no second copy.
  EXPECT_EQ(h->engine.Append(KeyNamed("k"), FromString("v2")), Status::AlreadyExists());
  EXPECT_EQ(Read(h->engine, KeyNamed("k")), FromString("v1"));
}

}  // namespace
}  // namespace flashrig::kv
