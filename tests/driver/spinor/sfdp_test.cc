// SFDP: generated tables parse back to the model's geometry and (rounded-up) times;
// hand-broken tables are rejected with the right code and reason, and random damage
// never crashes the parser.
#include "flashrig/driver/spinor/sfdp.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/sim/sfdp_builder.h"
#include "testing/test_chip_models.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::BigTestPart;
using flashrig::testing::SmallTestPart;

void PutLe32(std::vector<std::byte>& b, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<std::byte>(v >> (8 * i));
}
uint32_t GetLe32(const std::vector<std::byte>& b, size_t offset) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(b[offset + i])} << (8 * i);
  return v;
}
// Offset of BFPT DWORD n (1-based) in a BuildSfdp() image.
size_t Dw(uint32_t n) { return 0x10 + (n - 1) * 4; }

TEST(SfdpTest, GeneratedTableHasHeaderAndBfpt) {
  const auto image = BuildSfdp(SmallTestPart());
  ASSERT_EQ(image.size(), 0x10u + 16 * 4);
  EXPECT_EQ(std::memcmp(image.data(), "SFDP", 4), 0);
  EXPECT_EQ(image[5], std::byte{1});                 // Major revision.
  EXPECT_EQ(image[6], std::byte{0});                 // One parameter header.
  EXPECT_EQ(image[8], std::byte{0x00});              // BFPT ID LSB.
  EXPECT_EQ(image[15], std::byte{0xFF});             // BFPT ID MSB.
  EXPECT_EQ(image[11], std::byte{16});               // Length in DWORDs.
  EXPECT_EQ(GetLe32(image, Dw(2)), (1u << 23) - 1);  // 8 Mbit - 1.
  // DWORD 8: 4 KiB erase (N = 12) with 20h, 32 KiB (N = 15) with 52h.
  EXPECT_EQ(GetLe32(image, Dw(8)), 0x520F200Cu);
}

TEST(SfdpTest, RoundTripSmallPart) {
  const ChipModel m = SmallTestPart();
  const char* why = "";
  auto p = ParseSfdp(BuildSfdp(m), &why);
  ASSERT_TRUE(p.ok()) << why;
  EXPECT_EQ(p->size_bytes, m.size_bytes);
  EXPECT_EQ(p->page_bytes, 256u);
  EXPECT_EQ(p->address_bytes, SfdpAddressBytes::k3Only);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p->erase_types[i].size_bytes, m.erase_types[i].size_bytes);
    EXPECT_EQ(p->erase_types[i].opcode, m.erase_types[i].opcode);
    // Encoded times round up, never below the model, and stay within one unit step.
    EXPECT_GE(p->erase_types[i].typical_us, m.erase_types[i].time.typical_us);
    EXPECT_LT(p->erase_types[i].typical_us, m.erase_types[i].time.typical_us * 2);
    EXPECT_GE(p->erase_types[i].max_us, m.erase_types[i].time.max_us);
  }
  EXPECT_EQ(p->erase_types[3].size_bytes, 0u);
  EXPECT_GE(p->program_typical_us, m.page_program.typical_us);
  EXPECT_GE(p->program_max_us, m.page_program.max_us);
  EXPECT_GE(p->chip_erase_max_us, m.chip_erase.max_us);
  EXPECT_TRUE(p->suspend_supported);
  EXPECT_EQ(p->suspend_opcode, 0x75);
  EXPECT_EQ(p->resume_opcode, 0x7A);
  EXPECT_EQ(p->enter_4byte_methods, 0);
  EXPECT_NE(p->soft_reset_methods & kSfdpSoftReset6699, 0);
}

TEST(SfdpTest, RoundTripBigPartDescribes4ByteMethods) {
  auto p = ParseSfdp(BuildSfdp(BigTestPart(/*needs_wren=*/true)));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size_bytes, 32u << 20);
  EXPECT_EQ(p->address_bytes, SfdpAddressBytes::k3Or4);
  EXPECT_EQ(p->enter_4byte_methods, kSfdpEnter4ByteWrenB7 | kSfdpEnter4ByteDedicatedOpcodes);
}

TEST(SfdpTest, BytesNeededWalksHeaderThenTable) {
  const auto image = BuildSfdp(SmallTestPart());
  EXPECT_EQ(SfdpBytesNeeded({}), 8u);
  EXPECT_EQ(SfdpBytesNeeded(std::span(image).first(8)), 16u);
  EXPECT_EQ(SfdpBytesNeeded(std::span(image).first(16)), image.size());
  EXPECT_EQ(SfdpBytesNeeded(image), image.size());
  std::vector<std::byte> blank(8, std::byte{0xFF});
  EXPECT_EQ(SfdpBytesNeeded(blank), 8u);  // No signature: nothing more to read.
}

struct Breakage {
  const char* name;
  Status status;
  const char* why;
  void (*apply)(std::vector<std::byte>&);
};

class SfdpBrokenTest : public ::testing::TestWithParam<Breakage> {};

TEST_P(SfdpBrokenTest, IsRejectedWithReason) {
  auto image = BuildSfdp(SmallTestPart());
  GetParam().apply(image);
  const char* why = "";
  auto p = ParseSfdp(image, &why);
  EXPECT_EQ(p.status(), GetParam().status);
  EXPECT_STREQ(why, GetParam().why);
}

INSTANTIATE_TEST_SUITE_P(
    Tables, SfdpBrokenTest,
    ::testing::Values(
        Breakage{"AllFF", Status::NotFound(), "no SFDP signature",
                 [](auto& b) { std::fill(b.begin(), b.end(), std::byte{0xFF}); }},
        Breakage{"BadSignature", Status::NotFound(), "no SFDP signature",
                 [](auto& b) { b[3] = std::byte{'Q'}; }},
        Breakage{"TruncatedHeader", Status::DataLoss(), "SFDP header truncated",
                 [](auto& b) { b.resize(5); }},
        Breakage{"MajorRevision2", Status::Unimplemented(), "unsupported SFDP major revision",
                 [](auto& b) { b[5] = std::byte{2}; }},
        Breakage{"TruncatedParamHeaders", Status::DataLoss(), "parameter headers truncated",
                 [](auto& b) { b.resize(12); }},
        Breakage{"MoreHeadersThanBytes", Status::DataLoss(), "parameter headers truncated",
                 [](auto& b) { b[6] = std::byte{40}; }},
        Breakage{"ZeroLength", Status::DataLoss(), "parameter table of length 0",
                 [](auto& b) { b[11] = std::byte{0}; }},
        Breakage{"MisalignedPointer", Status::DataLoss(),
                 "parameter table pointer not DWORD-aligned",
                 [](auto& b) { b[12] = std::byte{0x11}; }},
        Breakage{"PointerIntoHeaders", Status::DataLoss(), "parameter table overlaps the headers",
                 [](auto& b) { b[12] = std::byte{0x04}; }},
        Breakage{"PastSpace", Status::DataLoss(), "parameter table past the 24-bit SFDP space",
                 [](auto& b) {
                   b[12] = std::byte{0xFC};
                   b[13] = std::byte{0xFF};
                   b[14] = std::byte{0xFF};
                 }},
        Breakage{"NotBfptFirst", Status::DataLoss(), "first parameter header is not the BFPT",
                 [](auto& b) { b[8] = std::byte{0x81}; }},
        Breakage{"BfptMajor2", Status::Unimplemented(), "unsupported BFPT major revision",
                 [](auto& b) { b[10] = std::byte{2}; }},
        Breakage{"BfptTooShort", Status::DataLoss(), "BFPT shorter than 9 DWORDs",
                 [](auto& b) { b[11] = std::byte{8}; }},
        Breakage{"BfptTruncated", Status::DataLoss(), "BFPT truncated",
                 [](auto& b) { b.resize(b.size() - 4); }},
        Breakage{"LengthPastImage", Status::DataLoss(), "BFPT truncated",
                 [](auto& b) { b[11] = std::byte{40}; }},
        Breakage{"ReservedAddressBytes", Status::DataLoss(),
                 "BFPT address bytes field reserved (11b)",
                 [](auto& b) { PutLe32(b, Dw(1), GetLe32(b, Dw(1)) | (3u << 17)); }},
        Breakage{"DensityTiny", Status::DataLoss(), "BFPT density out of range",
                 [](auto& b) { PutLe32(b, Dw(2), 7); }},
        Breakage{"DensityHuge", Status::DataLoss(), "BFPT density out of range",
                 [](auto& b) { PutLe32(b, Dw(2), 0x80000000u | 40); }},
        Breakage{"Big3ByteOnly", Status::DataLoss(),
                 "density over 16 MiB with 3-byte addresses only",
                 [](auto& b) { PutLe32(b, Dw(2), (1u << 28) - 1); }},
        Breakage{"NoEraseTypes", Status::DataLoss(), "BFPT lists no erase type",
                 [](auto& b) {
                   PutLe32(b, Dw(8), 0);
                   PutLe32(b, Dw(9), 0);
                 }},
        Breakage{"EraseBiggerThanChip", Status::DataLoss(), "BFPT erase size outside page..density",
                 [](auto& b) { PutLe32(b, Dw(8), (GetLe32(b, Dw(8)) & ~0xFFu) | 30); }},
        Breakage{"EraseSizeOver31", Status::DataLoss(), "BFPT erase size too large",
                 [](auto& b) { PutLe32(b, Dw(8), (GetLe32(b, Dw(8)) & ~0xFFu) | 40); }}),
    [](const ::testing::TestParamInfo<Breakage>& param_info) { return param_info.param.name; });

TEST(SfdpTest, Jesd216NineDwordTableParsesWithoutTimes) {
  auto image = BuildSfdp(SmallTestPart());
  image[11] = std::byte{9};
  image.resize(0x10 + 9 * 4);
  auto p = ParseSfdp(image);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bfpt_dwords, 9u);
  EXPECT_EQ(p->page_bytes, 256u);    // Default when DWORD 11 is absent.
  EXPECT_EQ(p->program_max_us, 0u);  // Not given.
  EXPECT_EQ(p->erase_types[0].typical_us, 0u);
  EXPECT_EQ(p->erase_types[0].size_bytes, 4096u);
}

TEST(SfdpTest, RandomDamageNeverCrashes) {
  FLASHRIG_SEEDED(seed, 7);
  SeededRandom rng(seed);
  const auto good = BuildSfdp(BigTestPart());
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    auto image = good;
    const int flips = 1 + static_cast<int>(rng.Below(6));
    for (int f = 0; f < flips; ++f) {
      image[rng.Below(image.size())] = static_cast<std::byte>(rng.Byte());
    }
    image.resize(rng.Below(image.size() + 1));
    const char* why = nullptr;
    auto p = ParseSfdp(image, &why);
    if (p.ok()) {
      ++accepted;
      // Whatever is accepted is internally consistent.
      EXPECT_GE(p->size_bytes, 4096u);
      for (const auto& e : p->erase_types) {
        if (e.size_bytes != 0) {
          EXPECT_LE(e.size_bytes, p->size_bytes);
        }
      }
    } else {
      ASSERT_NE(why, nullptr);
    }
  }
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace flashrig::driver
