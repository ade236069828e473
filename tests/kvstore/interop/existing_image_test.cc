// Images written by the engine before issue 12 (spare-region and best-fit placement, a
// wear record) still mount and read; mount repairs what it finds (a filler where a key is
// stored beyond an empty region), `Compact` empties regions packed to their end, and
// afterwards the real TicKV crate reads every live key. The wear record (option off) is
// hidden, invalidated at the next write and reclaimed.
#include <gtest/gtest.h>

#include <map>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"
#include "kvstore/interop/tickv_oracle.h"
#include "kvstore/kv_test_util.h"

namespace flashrig::kv::interop {
namespace {

using kv::testing::KeyWithHome;
using kv::testing::ValueFor;

constexpr uint32_t kRegion = 4096;
constexpr uint32_t kRegions = 32;

// Programs a complete live object at `address`, as any TicKV-format writer would.
void Put(driver::RamFlash& flash, uint32_t address, const HashedKey& key,
         std::span<const std::byte> value) {
  std::vector<std::byte> object(format::ObjectBytes(value.size()));
  format::EncodeHeader(key, 0, static_cast<uint32_t>(object.size()), object);
  std::copy(value.begin(), value.end(), object.begin() + format::kHeaderBytes);
  const uint32_t crc = format::ObjectChecksum(object);
  for (size_t i = 0; i < 4; ++i)
    object[object.size() - 4 + i] = static_cast<std::byte>(crc >> (8 * i));
  ASSERT_EQ(flash.Program(address, object), Status::Ok());
}

TEST(ExistingImageTest, OldPlacementMountsAndAfterCompactTicKvReadsEveryKey) {
  driver::RamFlash flash(kRegion, kRegions);
  std::map<HashedKey, std::vector<std::byte>> live;
  {
    EngineStorage storage(flash.geometry(), 256);
    TicKvEngine e(flash, storage.buffers());
    ASSERT_EQ(e.Format(), Status::Ok());
  }
  const uint32_t super = format::HomeRegion(format::kSuperKey, kRegions);  // 4 of 32.
  // The old spare rule: a key homed in 11 (empty) stored in 12.
  const HashedKey diverted = KeyWithHome(11, kRegions, 0);
  live[diverted] = ValueFor(1, 0, 41);
  Put(flash, 12 * kRegion, diverted, live[diverted]);
  // Old best fit: region 20 packed to 6 bytes from its end; a key homed there in 21.
  const HashedKey a = KeyWithHome(20, kRegions, 0), b = KeyWithHome(20, kRegions, 1);
  const HashedKey beyond = KeyWithHome(20, kRegions, 2);
  live[a] = ValueFor(2, 0, 1985);
  live[b] = ValueFor(3, 0, 2075);
  live[beyond] = ValueFor(4, 0, 100);
  Put(flash, 20 * kRegion, a, live[a]);
  Put(flash, 20 * kRegion + 2000, b, live[b]);
  Put(flash, 21 * kRegion, beyond, live[beyond]);
  // A wear record (written with the option on) behind the super key.
  std::vector<RegionState> counts(kRegions);
  for (uint32_t r = 0; r < kRegions; ++r) counts[r].erase_count = 5 + r;
  std::vector<std::byte> wear_value(wear::ValueBytes(kRegions));
  wear::Encode(counts, wear_value);
  Put(flash, super * kRegion + 15, wear::kWearKey, wear_value);
  live[format::kSuperKey] = {};

  TickvOracle oracle;
  EXPECT_NE(oracle.CheckReadable(flash.contents(), kRegion, kRegions, live), "")
      << "the crafted image should hide keys from TicKV";

  EngineStorage storage(flash.geometry(), 256);
  TicKvEngine e(flash, storage.buffers());
  ASSERT_EQ(e.Mount(), Status::Ok());
  EXPECT_EQ(e.stats().fillers_written, 1u);  // Region 11, on `diverted`'s path.
  EXPECT_EQ(e.stats().live_keys, 5u);        // The record is not listed.
  EXPECT_EQ(e.region(7).erase_count, 12u);   // Its counts are read.
  for (const auto& [key, value] : live) EXPECT_EQ(kv::testing::Read(e, key), value);
  // Still hidden from TicKV: the key behind the packed region.
  auto without_beyond = live;
  without_beyond.erase(beyond);
  EXPECT_EQ(oracle.CheckReadable(flash.contents(), kRegion, kRegions, without_beyond), "");
  ASSERT_TRUE(e.Compact(kRegion / 2).ok());
  EXPECT_EQ(oracle.CheckReadable(flash.contents(), kRegion, kRegions, live), "");
  EXPECT_FALSE(e.Contains(wear::kWearKey));  // Invalidated by the first write (compact).
  for (const auto& [key, value] : live) EXPECT_EQ(kv::testing::Read(e, key), value);
}

}  // namespace
}  // namespace flashrig::kv::interop
