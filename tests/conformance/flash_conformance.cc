// The Flash contract, stated once: bounds, alignment, AND semantics, erase value, page
// crossing, and behaviour across a power cut. Runs on every backend that instantiates it.
#include "conformance/flash_conformance.h"

#include <vector>

#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::testing {
namespace {

using driver::Flash;

std::vector<std::byte> ReadBack(Flash& flash, uint32_t address, size_t n) {
  std::vector<std::byte> out(n);
  EXPECT_EQ(flash.Read(address, out), Status::Ok());
  return out;
}

TEST_P(FlashConformance, GeometryIsValid) {
  const auto& g = flash().geometry();
  EXPECT_TRUE(g.IsValid());
  EXPECT_GE(g.sector_count(), 2u);
}

TEST_P(FlashConformance, EraseSetsErasedValue) {
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Program(0, Filled(64, 0x00)), Status::Ok());
  ASSERT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Ok());
  const auto back = ReadBack(flash(), 0, g.erase_size_bytes);
  for (std::byte b : back) ASSERT_EQ(b, g.erased_value);
}

TEST_P(FlashConformance, ProgramStoresOldAndNew) {
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Ok());
  ASSERT_EQ(flash().Program(16, Bytes({0xF0, 0x0F, 0xAA, 0xFF})), Status::Ok());
  ASSERT_EQ(flash().Program(16, Bytes({0x3C, 0xFF, 0x55, 0x7F})), Status::Ok());
  EXPECT_EQ(ReadBack(flash(), 16, 4), Bytes({0x30, 0x0F, 0x00, 0x7F}));
  // Neighbours untouched.
  EXPECT_EQ(ReadBack(flash(), 15, 1), Bytes({0xFF}));
  EXPECT_EQ(ReadBack(flash(), 20, 1), Bytes({0xFF}));
}

TEST_P(FlashConformance, ProgramCanClearOneBitOfAProgrammedByte) {
  // TicKV's invalidate clears bit 7 of a programmed byte in place.
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Ok());
  ASSERT_EQ(flash().Program(1, Bytes({0x80})), Status::Ok());
  ASSERT_EQ(flash().Program(1, Bytes({0x00})), Status::Ok());
  EXPECT_EQ(ReadBack(flash(), 1, 1), Bytes({0x00}));
}

TEST_P(FlashConformance, ProgramAcrossPagesAndSectors) {
  FLASHRIG_SEEDED(seed, 42);
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Erase(0, 2 * g.erase_size_bytes), Status::Ok());
  SeededRandom rng(seed);
  // Starts mid-page and crosses page and sector boundaries: a backend that forgets to
  // split at page boundaries wraps inside the page and fails here.
  const uint32_t start = g.erase_size_bytes - g.program_page_bytes - 7;
  const auto data = RandomBytes(3 * g.program_page_bytes + 11, rng);
  ASSERT_EQ(flash().Program(start, data), Status::Ok());
  EXPECT_EQ(ReadBack(flash(), start, data.size()), data);
}

TEST_P(FlashConformance, ReadAtEndOfDevice) {
  const auto& g = flash().geometry();
  const uint32_t last = g.size_bytes - g.erase_size_bytes;
  ASSERT_EQ(flash().Erase(last, g.erase_size_bytes), Status::Ok());
  ASSERT_EQ(flash().Program(g.size_bytes - 2, Bytes({0x12, 0x34})), Status::Ok());
  EXPECT_EQ(ReadBack(flash(), g.size_bytes - 2, 2), Bytes({0x12, 0x34}));
}

TEST_P(FlashConformance, OutOfRangeIsRejected) {
  const auto& g = flash().geometry();
  std::vector<std::byte> buf(2);
  EXPECT_EQ(flash().Read(g.size_bytes - 1, buf), Status::OutOfRange());
  EXPECT_EQ(flash().Read(g.size_bytes, buf), Status::OutOfRange());
  EXPECT_EQ(flash().Read(0xFFFFFFFFu, buf), Status::OutOfRange());
  EXPECT_EQ(flash().Program(g.size_bytes - 1, buf), Status::OutOfRange());
  EXPECT_EQ(flash().Erase(g.size_bytes, g.erase_size_bytes), Status::OutOfRange());
  EXPECT_EQ(flash().Erase(0, g.size_bytes + g.erase_size_bytes), Status::OutOfRange());
}

TEST_P(FlashConformance, EmptyOperationsSucceedAndDoNothing) {
  const auto& g = flash().geometry();
  EXPECT_EQ(flash().Read(g.size_bytes, {}), Status::Ok());
  EXPECT_EQ(flash().Program(0, {}), Status::Ok());
  EXPECT_EQ(flash().Erase(0, 0), Status::Ok());
}

TEST_P(FlashConformance, MisalignedEraseIsRejectedAndChangesNothing) {
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Ok());
  ASSERT_EQ(flash().Program(0, Bytes({0x00})), Status::Ok());
  EXPECT_EQ(flash().Erase(1, g.erase_size_bytes), Status::InvalidArgument());
  EXPECT_EQ(flash().Erase(0, g.erase_size_bytes - 1), Status::InvalidArgument());
  EXPECT_EQ(flash().Erase(0, 1), Status::InvalidArgument());
  EXPECT_EQ(ReadBack(flash(), 0, 1), Bytes({0x00}));
}

TEST_P(FlashConformance, EraseOfSeveralSectorsErasesExactlyThem) {
  const auto& g = flash().geometry();
  const uint32_t s = g.erase_size_bytes;
  ASSERT_EQ(flash().Erase(0, 3 * s), Status::Ok());
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(flash().Program(i * s, Bytes({0x11})), Status::Ok());
  }
  ASSERT_EQ(flash().Erase(0, 2 * s), Status::Ok());
  EXPECT_EQ(ReadBack(flash(), 0, 1), Bytes({0xFF}));
  EXPECT_EQ(ReadBack(flash(), s, 1), Bytes({0xFF}));
  EXPECT_EQ(ReadBack(flash(), 2 * s, 1), Bytes({0x11}));
}

TEST_P(FlashConformance, PoweredOffDeviceIsUnavailableAndKeepsData) {
  const auto& g = flash().geometry();
  ASSERT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Ok());
  ASSERT_EQ(flash().Program(0, Bytes({0x5A, 0xA5})), Status::Ok());
  dut().PowerOff();
  std::vector<std::byte> buf(2);
  EXPECT_EQ(flash().Read(0, buf), Status::Unavailable());
  EXPECT_EQ(flash().Program(8, Bytes({0x00})), Status::Unavailable());
  EXPECT_EQ(flash().Erase(0, g.erase_size_bytes), Status::Unavailable());
  // Argument errors are still reported as such, before the device is touched.
  EXPECT_EQ(flash().Erase(1, g.erase_size_bytes), Status::InvalidArgument());
  dut().PowerOn();
  EXPECT_EQ(ReadBack(flash(), 0, 2), Bytes({0x5A, 0xA5}));
  EXPECT_EQ(ReadBack(flash(), 8, 1), Bytes({0xFF}));
}

}  // namespace
}  // namespace flashrig::testing
