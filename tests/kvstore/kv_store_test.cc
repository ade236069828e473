// KvStore: the blocking API (string keys, add/set/update/get/remove/gc/list/stats).
#include "flashrig/kvstore/kv_store.h"

#include <gtest/gtest.h>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/object_format.h"
#include "kvstore/kv_test_util.h"
#include "testing/bytes.h"

namespace flashrig::kv {
namespace {

// "k" + std::to_string(i) trips GCC 12's false -Wrestrict at -O3.
std::string Key(int i) {
  std::string key = "k";
  key += std::to_string(i);
  return key;
}

using flashrig::testing::FromString;

TEST(KvStoreTest, StringKeysHashLikeTock) {
  EXPECT_EQ(KvStore::KeyFor("hello"), GenerateKey("hello"));
}

TEST(KvStoreTest, AddSetUpdateGetRemove) {
  driver::RamFlash flash(4096, 32);
  auto h = testing::Mounted(flash);
  KvStore store(h->engine);
  std::vector<std::byte> out(64);
  EXPECT_EQ(store.Update("k", FromString("x")), Status::NotFound());
  ASSERT_EQ(store.Add("k", FromString("one")), Status::Ok());
  EXPECT_EQ(store.Add("k", FromString("two")), Status::AlreadyExists());
  ASSERT_EQ(store.Update("k", FromString("three")), Status::Ok());
  auto n = store.Get("k", out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + *n), FromString("three"));
  ASSERT_EQ(store.Set("new", FromString("v")), Status::Ok());
  ASSERT_EQ(store.Remove("k"), Status::Ok());
  EXPECT_EQ(store.Get("k", out).status(), Status::NotFound());
  EXPECT_EQ(store.Remove("k"), Status::NotFound());
  std::vector<std::byte> tiny(1);
  EXPECT_EQ(store.Get("new", tiny).status(), Status::Ok());
  ASSERT_EQ(store.Set("new", FromString("longer")), Status::Ok());
  EXPECT_EQ(store.Get("new", tiny).status(), Status::OutOfRange());
  size_t full = 0;
  EXPECT_EQ(store.Get(KvStore::KeyFor("new"), tiny, &full), Status::OutOfRange());
  EXPECT_EQ(full, 6u);
}

TEST(KvStoreTest, ListByHashIsSortedAndExcludesSuperKey) {
  driver::RamFlash flash(4096, 32);
  auto h = testing::Mounted(flash);
  KvStore store(h->engine);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(store.Add(Key(i), {}), Status::Ok());
  std::vector<HashedKey> all(32);
  EXPECT_EQ(store.ListByHash(all), 20u);
  all.resize(20);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::count(all.begin(), all.end(), format::kSuperKey), 0);
  // A short buffer gets the smallest keys.
  std::vector<HashedKey> few(5);
  EXPECT_EQ(store.ListByHash(few), 20u);
  EXPECT_TRUE(std::equal(few.begin(), few.end(), all.begin()));
}

TEST(KvStoreTest, GcWithCompactionFreesPartlyLiveRegions) {
  driver::RamFlash flash(4096, 8);
  auto h = testing::Mounted(flash);
  KvStore store(h->engine);
  for (int i = 0; i < 18; ++i) {
    ASSERT_EQ(store.Add(Key(i), testing::ValueFor(i, 0, 1200)), Status::Ok());
  }
  for (int i = 0; i < 18; ++i) {
    if (i % 3 != 0) {
      ASSERT_EQ(store.Remove(Key(i)), Status::Ok());
    }
  }
  const EngineStats before = store.Stats();
  auto freed = store.Gc(/*compact=*/true);
  ASSERT_TRUE(freed.ok());
  EXPECT_GT(*freed, 0u);
  EXPECT_LT(store.Stats().garbage_bytes, before.garbage_bytes);
  std::vector<std::byte> out(2000);
  for (int i = 0; i < 18; i += 3) {
    auto n = store.Get(Key(i), out);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + *n), testing::ValueFor(i, 0, 1200));
  }
}

}  // namespace
}  // namespace flashrig::kv
