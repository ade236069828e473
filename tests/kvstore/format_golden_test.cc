// Golden-byte tests that pin the TicKV v1 format: SipHash vectors, CRC-32/CKSUM, the super
// key object, home regions, object bytes and a whole image after append/invalidate/gc.
#include <gtest/gtest.h>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/crc32.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "testing/bytes.h"

namespace flashrig::kv {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::FromString;

HashedKey K(std::initializer_list<int> b) {
  HashedKey k{};
  size_t i = 0;
  for (int v : b) k[i++] = static_cast<std::byte>(v);
  return k;
}

TEST(SipHashTest, TockGenerateKeyVectors) {
  EXPECT_EQ(GenerateKey("hello"), K({0xb9, 0x52, 0xf7, 0xb2, 0x5d, 0x5d, 0xc1, 0x8c}));
  EXPECT_EQ(GenerateKey(""), K({0xd7, 0x00, 0x77, 0x73, 0x9d, 0x4b, 0x92, 0x1e}));
  EXPECT_EQ(GenerateKey("a"), K({0x49, 0xa2, 0x93, 0xcd, 0x60, 0x08, 0xc2, 0x96}));
  EXPECT_EQ(GenerateKey("kvtestapp"), K({0xe7, 0x09, 0xdf, 0x44, 0x53, 0xed, 0x6b, 0x3f}));
}

TEST(SipHashTest, ReferenceVectorWithKey) {
  // The paper's test vector: key 00..0f, message 00..0e -> a129ca6149be45e5.
  std::vector<std::byte> msg;
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<std::byte>(i));
  EXPECT_EQ(SipHash24(msg, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull), 0xa129ca6149be45e5ull);
}

TEST(Crc32Test, CheckValue) {
  EXPECT_EQ(Crc32CksumOf(FromString("123456789")), 0x765E7680u);
  Crc32Cksum split;
  split.Update(FromString("1234"));
  split.Update(FromString("56789"));
  EXPECT_EQ(split.Finish(), 0x765E7680u);
}

TEST(ObjectFormatTest, HomeRegion) {
  EXPECT_EQ(format::HomeRegion(GenerateKey("hello"), 32), 12u);
  EXPECT_EQ(format::HomeRegion(format::kSuperKey, 32), 0xF244u % 32);
}

TEST(ObjectFormatTest, SuperKeyObjectBytes) {
  driver::RamFlash flash(4096, 32);
  EngineStorage storage(flash.geometry(), 64);
  TicKvEngine engine(flash, storage.buffers());
  ASSERT_EQ(engine.Mount(), Status::Ok());  // Blank flash: formats.
  const uint32_t home = 0xF244 % 32;
  const auto expected = Bytes(
      {0x01, 0x80, 0x0F, 0x7B, 0xC9, 0xF7, 0xFF, 0x4F, 0x76, 0xF2, 0x44, 0xBB, 0x32, 0x74, 0x1D});
  std::vector<std::byte> image(32 * 4096, std::byte{0xFF});
  std::copy(expected.begin(), expected.end(), image.begin() + home * 4096);
  // The whole image: the super key in its home region and nothing else.
  EXPECT_TRUE(std::equal(image.begin(), image.end(), flash.contents().begin()));
}

// Builds an object independently of the engine's encoder.
std::vector<std::byte> Object(const HashedKey& key, std::vector<std::byte> value, bool valid) {
  const size_t len = value.size() + 15;
  std::vector<std::byte> o =
      Bytes({0x01, 0x80 | static_cast<int>(len >> 8), static_cast<int>(len & 0xFF)});
  o.insert(o.end(), key.begin(), key.end());
  o.insert(o.end(), value.begin(), value.end());
  const uint32_t crc = Crc32CksumOf(o);
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<std::byte>(crc >> (8 * i)));
  if (!valid) o[1] &= std::byte{0x7F};
  return o;
}

TEST(ObjectFormatTest, ImageAfterAppendInvalidateGcMatchesTicKvLayout) {
  driver::RamFlash flash(4096, 32);
  EngineStorage storage(flash.geometry(), 64);
  TicKvEngine engine(flash, storage.buffers());
  ASSERT_EQ(engine.Mount(), Status::Ok());
  // Expected image built by hand from the format rules.
  std::vector<std::byte> expected(32 * 4096, std::byte{0xFF});
  auto put = [&](uint32_t address, const std::vector<std::byte>& bytes) {
    std::copy(bytes.begin(), bytes.end(), expected.begin() + address);
  };
  put((0xF244 % 32) * 4096, Object(format::kSuperKey, {}, true));
  const HashedKey hello = GenerateKey("hello");
  const HashedKey a = GenerateKey("a");
  ASSERT_EQ(engine.Append(hello, FromString("world")), Status::Ok());
  ASSERT_EQ(engine.Append(a, FromString("ONE")), Status::Ok());
  const uint32_t home_a = format::HomeRegion(a, 32);
  put(12 * 4096, Object(hello, FromString("world"), true));
  uint32_t a_offset = home_a == 12 ? 20 : 0;
  if (home_a == 0xF244 % 32) a_offset = 15;
  put(home_a * 4096 + a_offset, Object(a, FromString("ONE"), true));
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), flash.contents().begin()));
  // Invalidate "hello": exactly one bit of byte 1 changes.
  ASSERT_EQ(engine.Invalidate(hello), Status::Ok());
  expected[12 * 4096 + 1] &= std::byte{0x7F};
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), flash.contents().begin()));
  // GC erases region 12 (all invalid) and frees exactly one region.
  auto freed = engine.GarbageCollect();
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(*freed, 4096u);
  std::fill_n(expected.begin() + 12 * 4096, 4096, std::byte{0xFF});
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), flash.contents().begin()));
}

TEST(ObjectFormatTest, GenerationCompare) {
  EXPECT_EQ(format::CompareGenerations(0, 1), 1);
  EXPECT_EQ(format::CompareGenerations(7, 0), 1);
  EXPECT_EQ(format::CompareGenerations(1, 0), -1);
  EXPECT_EQ(format::CompareGenerations(3, 3), 0);
  EXPECT_EQ(format::CompareGenerations(0, 4), 0);
}

}  // namespace
}  // namespace flashrig::kv
