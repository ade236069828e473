// Deterministic regressions for crash states the power-loss sweep found: each builds the
// exact flash state, cuts power at the exact flash operation, remounts and checks that
// the store recovers fully (data and the ability to reclaim space).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/kv_test_util.h"

namespace flashrig::kv {
namespace {

using driver::PowerCutEffect;
using driver::RamFlash;
using testing::KeyNumber;
using testing::KeyWithHome;
using testing::Mounted;
using testing::Read;
using testing::ValueFor;

constexpr uint32_t kRegion = 4096;

// Appends an object of `total_bytes` (value = total - 15) under the nth key homed in
// `home`, and checks it landed there.
HashedKey Put(TicKvEngine& engine, uint32_t home, uint32_t nth, uint32_t total_bytes) {
  const HashedKey k = KeyWithHome(home, engine.region_count(), nth);
  EXPECT_EQ(engine.Append(k, ValueFor(home, nth, total_bytes - 15)), Status::Ok());
  return k;
}

// Seed 14, cut 397 of the sweep, reduced: a compaction at high utilisation whose victim
// holds more live bytes than the spare region can take twice (so it runs without the
// torn-copy margin) is cut while copying its second object, torn. Before the fix the
// torn copy ate the spare region's room, the victim still held the second object, and
// no region could be compacted any more: 4 KiB of garbage stayed pinned until deletes.
// Mount now finishes the torn relocation copy in place (NOR re-program of the same bytes)
// and the victim becomes fully invalid, so the spare region is restored.
TEST(CrashRecoveryTest, TornRelocationCopyWithoutMargin_MountFinishesIt) {
  for (uint64_t tear_seed = 1; tear_seed <= 8; ++tear_seed) {
    SCOPED_TRACE(tear_seed);
    RamFlash flash(kRegion, 4);
    auto h = Mounted(flash);
    ASSERT_NE(h, nullptr);
    TicKvEngine& e = h->engine;
    ASSERT_EQ(format::HomeRegion(format::kSuperKey, 4), 0u);
    // Region 0: super key + 2 objects, full (objects end at S - 12, the most any write
    // may fill). Region 1 (victim): A, B live, C invalidated. Region 2: empty (the
    // spare). Region 3: full of live objects.
    const HashedKey f0 = Put(e, 0, 0, 2035);
    const HashedKey f1 = Put(e, 0, 1, 2034);
    const HashedKey a = Put(e, 1, 0, 1990);
    const HashedKey b = Put(e, 1, 1, 1990);
    const HashedKey c = Put(e, 1, 2, 96);
    const HashedKey f2 = Put(e, 3, 0, 2042);
    const HashedKey f3 = Put(e, 3, 1, 2042);
    ASSERT_EQ(e.Invalidate(c), Status::Ok());
    ASSERT_EQ(e.region(2).free_offset_bytes, 0u);
    ASSERT_EQ(e.stats().free_bytes, kRegion + 12 + 20 + 12);
    // Compaction ops: copy A (1), invalidate A (2), copy B (3) <- torn here.
    flash.SchedulePowerCut(
        {.at_mutating_op = 3, .effect = PowerCutEffect::kTorn, .seed = tear_seed});
    ASSERT_FALSE(e.Compact(1).ok());
    flash.PowerOn();

    auto fresh = Mounted(flash);
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(Read(fresh->engine, a), ValueFor(1, 0, 1975));
    EXPECT_EQ(Read(fresh->engine, b), ValueFor(1, 1, 1975));
    EXPECT_EQ(Read(fresh->engine, c), std::nullopt);
    EXPECT_EQ(Read(fresh->engine, f0), ValueFor(0, 0, 2020));
    EXPECT_EQ(Read(fresh->engine, f1), ValueFor(0, 1, 2019));
    EXPECT_EQ(Read(fresh->engine, f2), ValueFor(3, 0, 2027));
    EXPECT_EQ(Read(fresh->engine, f3), ValueFor(3, 1, 2027));
    EXPECT_EQ(fresh->engine.stats().copies_finished, 1u);
    // All garbage can be reclaimed again, and a spare region comes back: region 1, now
    // on the probe path of A and B (homed there, moved to 2), keeps one filler.
    ASSERT_TRUE(fresh->engine.Compact(1).ok());
    EXPECT_LE(fresh->engine.stats().garbage_bytes, 15u);
    EXPECT_EQ(fresh->engine.region(1).free_offset_bytes, 15u);
    EXPECT_EQ(Read(fresh->engine, b), ValueFor(1, 1, 1975));
  }
}

// The soft-reset power-loss campaign (simulated chip, seed 2, cut 11): a reset during
// the one-byte invalidate left the valid bit half-programmed. Mount read it as set, a
// later get read it as cleared, and Get failed with kDataLoss. Here the bit is cleared
// behind the engine's back after mount, which is what the weak bit does. The engine must
// answer "not found" and finish the invalidate, so the key stays deleted after remount.
TEST(CrashRecoveryTest, ValidBitReadingClearedAfterMount_KeyIsDeletedForGood) {
  RamFlash flash(kRegion, 4);
  const HashedKey k = KeyNumber(7);
  {
    auto h = Mounted(flash);
    ASSERT_NE(h, nullptr);
    ASSERT_EQ(h->engine.Append(k, ValueFor(7, 0, 40)), Status::Ok());
  }
  auto h = Mounted(flash);
  ASSERT_NE(h, nullptr);
  ASSERT_TRUE(h->engine.Contains(k));
  // Find the object by its key bytes and clear its valid bit.
  std::vector<std::byte> image(4 * kRegion);
  ASSERT_EQ(flash.Read(0, image), Status::Ok());
  const auto it = std::search(image.begin(), image.end(), k.begin(), k.end());
  ASSERT_NE(it, image.end());
  const auto address = static_cast<uint32_t>(it - image.begin()) - format::kKeyOffset;
  const std::byte flags = image[address + format::kFlagsOffset] & ~std::byte{format::kValidBit};
  ASSERT_EQ(flash.Program(address + format::kFlagsOffset, std::span(&flags, 1)), Status::Ok());

  EXPECT_EQ(Read(h->engine, k), std::nullopt);  // Not kDataLoss.
  EXPECT_FALSE(h->engine.Contains(k));
  EXPECT_EQ(h->engine.stats().live_keys, 1u);  // The super key.
  auto again = Mounted(flash);
  ASSERT_NE(again, nullptr);
  EXPECT_FALSE(again->engine.Contains(k));
  // The store stays usable: the key can be written again.
  ASSERT_EQ(again->engine.Append(k, ValueFor(7, 1, 40)), Status::Ok());
  EXPECT_EQ(Read(again->engine, k), ValueFor(7, 1, 40));
}

}  // namespace
}  // namespace flashrig::kv
