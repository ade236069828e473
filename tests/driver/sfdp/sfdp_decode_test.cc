// The SFDP decoder on tables built for one oddity each: golden round trips of our own
// builder's tables, structural damage rejected with a message naming the byte offset,
// field-level oddities decoded with a warning, every revision's BFPT length, the optional
// tables, and random damage that never crashes. Real chips' tables are in
// tests/hil/sfdp/sfdp_corpus_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/sim/sfdp_builder.h"
#include "testing/sfdp_image.h"
#include "testing/test_chip_models.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::BigTestPart;
using flashrig::testing::BuildSfdpImage;
using flashrig::testing::GetLe32;
using flashrig::testing::PlainBfpt;
using flashrig::testing::PutLe32;
using flashrig::testing::SfdpTableSpec;
using flashrig::testing::SmallTestPart;

// Offset of BFPT DWORD n (1-based) in a BuildSfdp() image.
size_t Dw(uint32_t n) { return 0x10 + (n - 1) * 4; }

bool HasWarning(const Sfdp& s, const std::string& part) {
  for (const auto& w : s.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string Warnings(const Sfdp& s) {
  std::string out;
  for (const auto& w : s.warnings) out += "\n  " + w;
  return out;
}

Sfdp DecodeOk(const std::vector<std::byte>& image) {
  SfdpError error;
  auto s = DecodeSfdp(image, &error);
  EXPECT_TRUE(s.ok()) << error.message;
  return s.ok() ? *s : Sfdp{};
}

TEST(SfdpDecodeTest, GeneratedTableHasHeaderAndBfpt) {
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

TEST(SfdpDecodeTest, RoundTripSmallPart) {
  const ChipModel m = SmallTestPart();
  const Sfdp s = DecodeOk(BuildSfdp(m));
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
  const SfdpBfpt& p = s.bfpt;
  EXPECT_EQ(p.size_bytes, m.size_bytes);
  EXPECT_EQ(p.page_bytes, 256u);
  EXPECT_FALSE(p.page_bytes_default);
  EXPECT_EQ(p.address_bytes, SfdpAddressBytes::k3Only);
  ASSERT_TRUE(p.erase_4k_opcode.has_value());
  EXPECT_EQ(*p.erase_4k_opcode, 0x20);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p.erase_types[i].type, i + 1);
    EXPECT_EQ(p.erase_types[i].size_bytes, m.erase_types[i].size_bytes);
    EXPECT_EQ(p.erase_types[i].opcode, m.erase_types[i].opcode);
    // Encoded times round up, never below the model, and stay within one unit step.
    EXPECT_GE(p.erase_types[i].typical_us, m.erase_types[i].time.typical_us);
    EXPECT_LT(p.erase_types[i].typical_us, m.erase_types[i].time.typical_us * 2);
    EXPECT_GE(p.erase_types[i].max_us, m.erase_types[i].time.max_us);
  }
  EXPECT_EQ(p.erase_types[3].size_bytes, 0u);
  EXPECT_GE(p.program_typical_us, m.page_program.typical_us);
  EXPECT_GE(p.program_max_us, m.page_program.max_us);
  EXPECT_GE(p.chip_erase_max_us, m.chip_erase.max_us);
  EXPECT_TRUE(p.suspend_supported);
  EXPECT_EQ(p.suspend_opcode, 0x75);
  EXPECT_EQ(p.resume_opcode, 0x7A);
  EXPECT_EQ(p.enter_4byte_methods, 0);
  EXPECT_NE(p.soft_reset_methods & kSfdpSoftReset6699, 0);
  EXPECT_EQ(p.quad_enable, 0);
  EXPECT_FALSE(s.four_byte.has_value());
}

TEST(SfdpDecodeTest, RoundTripBigPartDescribes4ByteMethods) {
  const Sfdp s = DecodeOk(BuildSfdp(BigTestPart(/*needs_wren=*/true)));
  EXPECT_EQ(s.bfpt.size_bytes, 32u << 20);
  EXPECT_EQ(s.bfpt.address_bytes, SfdpAddressBytes::k3Or4);
  EXPECT_EQ(s.bfpt.enter_4byte_methods, kSfdpEnter4ByteWrenB7 | kSfdpEnter4ByteDedicatedOpcodes);
}

TEST(SfdpDecodeTest, BytesNeededWalksHeaderThenEveryTable) {
  const auto image = BuildSfdp(SmallTestPart());
  EXPECT_EQ(SfdpBytesNeeded({}), 8u);
  EXPECT_EQ(SfdpBytesNeeded(std::span(image).first(8)), 16u);
  EXPECT_EQ(SfdpBytesNeeded(std::span(image).first(16)), image.size());
  EXPECT_EQ(SfdpBytesNeeded(image), image.size());
  std::vector<std::byte> blank(8, std::byte{0xFF});
  EXPECT_EQ(SfdpBytesNeeded(blank), 8u);  // No signature: nothing more to read.
  // A second table further out is included; the cap holds.
  const auto two =
      BuildSfdpImage({{.dwords = PlainBfpt()}, {.id = 0xFF84, .dwords = {1, 2}, .pointer = 0x200}});
  EXPECT_EQ(SfdpBytesNeeded(two), 0x208u);
  auto far = two;
  far[0x10 + 6] = std::byte{0x10};  // Second table at 0x100200: capped.
  EXPECT_EQ(SfdpBytesNeeded(far), kSfdpMaxBytes);
}

struct Breakage {
  const char* name;
  Status status;
  const char* message;  // A part of the message.
  uint32_t offset;
  void (*apply)(std::vector<std::byte>&);
};

class SfdpBrokenTest : public ::testing::TestWithParam<Breakage> {};

TEST_P(SfdpBrokenTest, IsRejectedNamingTheOffset) {
  auto image = BuildSfdp(SmallTestPart());
  GetParam().apply(image);
  SfdpError error;
  auto s = DecodeSfdp(image, &error);
  EXPECT_EQ(s.status(), GetParam().status);
  EXPECT_NE(error.message.find(GetParam().message), std::string::npos) << error.message;
  EXPECT_EQ(error.offset, GetParam().offset) << error.message;
}

INSTANTIATE_TEST_SUITE_P(
    Tables, SfdpBrokenTest,
    ::testing::Values(
        Breakage{"Empty", Status::DataLoss(), "empty SFDP image", 0, [](auto& b) { b.clear(); }},
        Breakage{"AllFF", Status::NotFound(), "no SFDP signature at byte 0: found FF FF FF FF", 0,
                 [](auto& b) { std::fill(b.begin(), b.end(), std::byte{0xFF}); }},
        Breakage{"BadSignature", Status::NotFound(), "no SFDP signature", 0,
                 [](auto& b) { b[3] = std::byte{'Q'}; }},
        Breakage{"TruncatedHeader", Status::DataLoss(), "SFDP header truncated at byte 5", 5,
                 [](auto& b) { b.resize(5); }},
        Breakage{"MajorRevision2", Status::Unimplemented(), "SFDP major revision 2 at byte 5", 5,
                 [](auto& b) { b[5] = std::byte{2}; }},
        Breakage{"TruncatedParamHeaders", Status::DataLoss(), "parameter header 0 at byte 0x8", 8,
                 [](auto& b) { b.resize(12); }},
        Breakage{"MoreHeadersThanBytes", Status::DataLoss(), "parameter header 9 at byte 0x50",
                 0x50, [](auto& b) { b[6] = std::byte{40}; }},
        Breakage{"ZeroLengthBfpt", Status::DataLoss(), "BFPT length 0 DWORDs at byte 0xB", 0xB,
                 [](auto& b) { b[11] = std::byte{0}; }},
        Breakage{"PastSpace", Status::DataLoss(), "runs past the end of the 80-byte image", 80,
                 [](auto& b) {
                   b[12] = std::byte{0xFC};
                   b[13] = std::byte{0xFF};
                   b[14] = std::byte{0xFF};
                 }},
        Breakage{"NotBfptFirst", Status::DataLoss(), "has ID FF81h; the first must be the BFPT", 8,
                 [](auto& b) { b[8] = std::byte{0x81}; }},
        Breakage{"BfptMajor2", Status::Unimplemented(), "BFPT major revision 2 at byte 0xA", 0xA,
                 [](auto& b) { b[10] = std::byte{2}; }},
        Breakage{"BfptTooShort", Status::DataLoss(), "under the 9 of JESD216", 0xB,
                 [](auto& b) { b[11] = std::byte{8}; }},
        Breakage{"BfptTruncated", Status::DataLoss(), "BFPT (16 DWORDs at 0x10", 0x10,
                 [](auto& b) { b.resize(b.size() - 4); }},
        Breakage{"LengthPastImage", Status::DataLoss(), "runs past the end", 0x10,
                 [](auto& b) { b[11] = std::byte{40}; }},
        Breakage{"DensityTiny", Status::DataLoss(), "7 bits, under one byte", 0x14,
                 [](auto& b) { PutLe32(b, Dw(2), 6); }},
        Breakage{"DensityHuge", Status::DataLoss(), "2^64 bits, out of range", 0x14,
                 [](auto& b) { PutLe32(b, Dw(2), 0x80000000u | 64); }}),
    [](const ::testing::TestParamInfo<Breakage>& param_info) { return param_info.param.name; });

struct Oddity {
  const char* name;
  const char* warning;  // A part of the expected warning.
  void (*apply)(std::vector<std::byte>&);
};

class SfdpOddityTest : public ::testing::TestWithParam<Oddity> {};

TEST_P(SfdpOddityTest, DecodesWithAWarning) {
  auto image = BuildSfdp(SmallTestPart());
  GetParam().apply(image);
  const Sfdp s = DecodeOk(image);
  EXPECT_TRUE(HasWarning(s, GetParam().warning)) << Warnings(s);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, SfdpOddityTest,
    ::testing::Values(
        Oddity{"ReservedAddressBytes", "address bytes) = 11b is reserved",
               [](auto& b) { PutLe32(b, Dw(1), GetLe32(b, Dw(1)) | (3u << 17)); }},
        Oddity{"Big3ByteOnly",
               "3-byte addressing only (DWORD 1 bits 18:17 = 00b) but the density (32 MiB)",
               [](auto& b) { PutLe32(b, Dw(2), (1u << 28) - 1); }},
        Oddity{"Reserved4KBits", "bits 1:0 (4 KiB erase) = 00b is reserved",
               [](auto& b) { PutLe32(b, Dw(1), GetLe32(b, Dw(1)) & ~3u); }},
        Oddity{"NoEraseTypes", "lists no erase type",
               [](auto& b) {
                 PutLe32(b, Dw(8), 0);
                 PutLe32(b, Dw(9), 0);
               }},
        Oddity{"EraseBiggerThanChip", "erase type 1 (1024 MiB) is larger than the density",
               [](auto& b) { PutLe32(b, Dw(8), (GetLe32(b, Dw(8)) & ~0xFFu) | 30); }},
        Oddity{"EraseSizeAbsurd", "erase type 1 has a size of 2^40 bytes; ignored",
               [](auto& b) { PutLe32(b, Dw(8), (GetLe32(b, Dw(8)) & ~0xFFu) | 40); }},
        Oddity{"RevisionSaysNineDwords", "revision 1.0 implies 9 DWORDs but its length is 16",
               [](auto& b) { b[9] = std::byte{0}; }},
        Oddity{"OddLength", "BFPT length 12 DWORDs is none of 9, 16, 20, 23",
               [](auto& b) { b[11] = std::byte{12}; }},
        Oddity{"QuadEnable7", "quad enable requirement 7 (111b) is undefined",
               [](auto& b) { PutLe32(b, Dw(15), 7u << 20); }},
        Oddity{"QuadEnable6BeforeC", "requirement 6 (110b) is undefined before JESD216C",
               [](auto& b) { PutLe32(b, Dw(15), 6u << 20); }},
        Oddity{"DensityNotBytes", "is not a whole number of bytes",
               [](auto& b) { PutLe32(b, Dw(2), (1u << 23) + 2); }},
        Oddity{"BfptNewerThanHeader",
               "BFPT revision 1.6 is newer than the SFDP header revision 1.5",
               [](auto& b) { b[4] = std::byte{5}; }},
        Oddity{"MisalignedBfpt", "pointer 0x12 (parameter header 0) is not DWORD-aligned",
               [](auto& b) {
                 b.insert(b.begin() + 0x10, 2, std::byte{0xFF});
                 b[12] = std::byte{0x12};
               }}),
    [](const ::testing::TestParamInfo<Oddity>& param_info) { return param_info.param.name; });

TEST(SfdpDecodeTest, TableInsideTheHeadersIsWarned) {
  const auto image = BuildSfdpImage(
      {{.dwords = PlainBfpt(), .pointer = 0x20},
       {.id = 0xFF84, .minor = 0, .dwords = {}, .pointer = 0x0C, .length_dwords = 2}});
  const Sfdp s = DecodeOk(image);
  EXPECT_TRUE(HasWarning(s,
                         "table FF84h at 0xC (parameter header 1) overlaps the parameter "
                         "headers, which end at 0x18"))
      << Warnings(s);
}

TEST(SfdpDecodeTest, QuadEnable6IsDefinedFromJesd216C) {
  auto b = BuildSfdpImage({{.minor = 7, .dwords = PlainBfpt()}}, -1, 7);
  PutLe32(b, 0x10 + 14 * 4, 6u << 20);
  const Sfdp s = DecodeOk(b);
  EXPECT_EQ(s.bfpt.quad_enable, 6);
  EXPECT_FALSE(HasWarning(s, "quad enable")) << Warnings(s);
}

TEST(SfdpDecodeTest, NineDwordTableHasNoTimesAndDefaultsThePage) {
  auto image = BuildSfdp(SmallTestPart());
  image[9] = std::byte{0};  // JESD216 rev 1.0.
  image[11] = std::byte{9};
  image.resize(0x10 + 9 * 4);
  const Sfdp s = DecodeOk(image);
  EXPECT_EQ(s.bfpt.dwords, 9u);
  EXPECT_EQ(s.bfpt.page_bytes, 256u);
  EXPECT_TRUE(s.bfpt.page_bytes_default);
  EXPECT_EQ(s.bfpt.program_max_us, 0u);
  EXPECT_EQ(s.bfpt.erase_types[0].typical_us, 0u);
  EXPECT_EQ(s.bfpt.erase_types[0].size_bytes, 4096u);
  EXPECT_FALSE(s.bfpt.quad_enable.has_value());
  EXPECT_FALSE(s.bfpt.has_dword16);
  ASSERT_EQ(s.warnings.size(), 1u) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "no DWORD 11): page size defaults to 256 bytes"));
}

TEST(SfdpDecodeTest, LaterBfptWithHigherRevisionIsChosen) {
  std::vector<uint32_t> d20 = PlainBfpt(32u << 20);
  d20.resize(20, 0);
  d20[16] = 0x8B20CC00;  // DWORD 17: 1-1-8 8Bh (mode 1, dummy 0), 1-8-8 CCh (0, 0).
  d20[17] = 0x40000000;  // DWORD 18: 8D-8D-8D command extension 10b (reserved).
  d20[18] = 0x00100000;  // DWORD 19: octal enable requirement 1.
  const auto image = BuildSfdpImage({{.dwords = PlainBfpt()}, {.minor = 7, .dwords = d20}}, -1, 8);
  const Sfdp s = DecodeOk(image);
  EXPECT_EQ(s.bfpt_index, 1u);
  EXPECT_EQ(s.bfpt.dwords, 20u);
  EXPECT_EQ(s.bfpt.size_bytes, 32u << 20);
  const auto& r118 = s.bfpt.fast_reads[static_cast<size_t>(SfdpReadMode::k118)];
  EXPECT_TRUE(r118.supported);
  EXPECT_EQ(r118.opcode, 0x8B);
  EXPECT_EQ(r118.mode_clocks, 1);
  EXPECT_EQ(s.bfpt.fast_reads[static_cast<size_t>(SfdpReadMode::k188)].opcode, 0xCC);
  EXPECT_EQ(s.bfpt.octal_command_extension, 2);
  EXPECT_EQ(s.bfpt.octal_enable, 1);
  EXPECT_TRUE(HasWarning(s, "command extension) = 10b is reserved")) << Warnings(s);
}

TEST(SfdpDecodeTest, Jesd216fTwentyThreeDwordTableDecodes) {
  std::vector<uint32_t> d23 = PlainBfpt();
  d23.resize(23, 0xFFFFFFFF);
  d23[16] = 0;  // No octal reads.
  const Sfdp s = DecodeOk(BuildSfdpImage({{.minor = 9, .dwords = d23}}, -1, 9));
  EXPECT_EQ(s.bfpt.dwords, 23u);
  EXPECT_EQ(s.bfpt.raw.size(), 23u);
  EXPECT_FALSE(s.bfpt.fast_reads[static_cast<size_t>(SfdpReadMode::k118)].supported);
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
}

TEST(SfdpDecodeTest, UnreadableLaterBfptIsIgnoredWithAWarning) {
  const auto image =
      BuildSfdpImage({{.dwords = PlainBfpt()},
                      {.minor = 8, .dwords = PlainBfpt(), .pointer = 0x400, .length_dwords = 20}});
  auto cut = image;
  cut.resize(0x410);
  const Sfdp s = DecodeOk(cut);
  EXPECT_EQ(s.bfpt_index, 0u);
  EXPECT_TRUE(HasWarning(s, "names a BFPT (rev 1.8, 20 DWORDs at 0x400) that cannot be read"))
      << Warnings(s);
}

TEST(SfdpDecodeTest, UncountedHeaderIsListedAndWarned) {
  // Two headers present, NPH says one; the second names a table past the end.
  const auto image = BuildSfdpImage(
      {{.dwords = PlainBfpt(), .pointer = 0x20},
       {.id = 0xFF03, .minor = 0, .dwords = {}, .pointer = 0xF0, .length_dwords = 2}},
      /*counted=*/1);
  const Sfdp s = DecodeOk(image);
  ASSERT_EQ(s.tables.size(), 1u);
  ASSERT_EQ(s.uncounted.size(), 1u);
  EXPECT_EQ(s.uncounted[0].id, 0xFF03);
  EXPECT_TRUE(HasWarning(s,
                         "parameter header 1 at byte 0x10 (ID FF03h rev 1.0, 2 DWORDs at "
                         "0xF0) is present beyond the 1 the SFDP header counts"))
      << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "its table lies past the end")) << Warnings(s);
  // Stray bytes in the same place are not a header.
  auto stray = image;
  const char text[8] = {'\0', 'h', 'e', 'l', 'l', 'o', ' ', 'w'};
  for (int i = 0; i < 8; ++i) stray[0x10 + i] = static_cast<std::byte>(text[i]);
  const Sfdp t = DecodeOk(stray);
  EXPECT_TRUE(t.uncounted.empty());
  EXPECT_TRUE(t.warnings.empty()) << Warnings(t);
}

TEST(SfdpDecodeTest, OptionalTablesPastTheEndOrEmptyAreWarnings) {
  const auto image =
      BuildSfdpImage({{.dwords = PlainBfpt()},
                      {.id = 0xFF84, .minor = 0, .dwords = {0x00000E41}, .length_dwords = 2},
                      {.id = 0xFF81, .minor = 0, .dwords = {}, .length_dwords = 0}});
  const Sfdp s = DecodeOk(image);
  EXPECT_TRUE(HasWarning(s, "table FF84h (2 DWORDs at 0x60) runs past the end")) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "4-byte address instruction table has 1 DWORDs, under 2"));
  EXPECT_TRUE(HasWarning(s, "table FF81h (parameter header 2 at byte 0x18) has length 0"));
  ASSERT_TRUE(s.four_byte.has_value());
  EXPECT_EQ(s.four_byte->EraseOpcode(1), 0);  // No DWORD 2: no erase opcodes.
  EXPECT_FALSE(s.sector_map.has_value());
}

TEST(SfdpDecodeTest, FourByteTableGivesInstructionsAndEraseOpcodes) {
  const auto image =
      BuildSfdpImage({{.dwords = PlainBfpt(32u << 20)},
                      {.id = 0xFF84, .minor = 0, .dwords = {0x00000A43, 0xFFDC5C21}}});
  const Sfdp s = DecodeOk(image);
  ASSERT_TRUE(s.four_byte.has_value());
  EXPECT_TRUE(s.four_byte->Usable());
  EXPECT_EQ(SfdpFourByteInstructions(*s.four_byte),
            (std::vector<std::string>{"READ 1-1-1 13h", "FAST_READ 1-1-1 0Ch", "PP 1-1-1 12h"}));
  EXPECT_EQ(s.four_byte->EraseOpcode(1), 0x21);
  EXPECT_EQ(s.four_byte->EraseOpcode(2), 0);  // Bit 10 clear.
  EXPECT_EQ(s.four_byte->EraseOpcode(3), 0xDC);
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
}

TEST(SfdpDecodeTest, SectorMapWithDetectionCommandsAndMaps) {
  // Two detection commands (the first's end bit only ends the command list), then two
  // maps: 4 KiB + rest, and uniform; then a map whose regions miss 64 KiB of the chip.
  const std::vector<uint32_t> map = {
      0x08C86500 | 1, 0x00800004,              // Command: 65h, 3-byte... mask 08h, last command.
      0x04C86500,     0x00800002,              // Command (the list already ended: decoded anyway).
      0x00010002,     0x00000F01, 0x0000FF04,  // Map 0: 2 regions: 4 KiB [1], 64 KiB... [3]
      0x00000103,     0x0000FF04,              // Map 1 (last): 1 region 64 KiB [type 3].
  };
  std::vector<uint32_t> bfpt = PlainBfpt(128u << 10);
  const auto image = BuildSfdpImage({{.dwords = bfpt}, {.id = 0xFF81, .minor = 0, .dwords = map}});
  const Sfdp s = DecodeOk(image);
  ASSERT_TRUE(s.sector_map.has_value());
  EXPECT_EQ(s.sector_map->detect.size(), 2u);
  EXPECT_EQ(s.sector_map->detect[0].opcode, 0x65);
  EXPECT_EQ(s.sector_map->detect[0].mask, 0x08);
  EXPECT_EQ(s.sector_map->detect[0].address, 0x00800004u);
  ASSERT_EQ(s.sector_map->maps.size(), 2u);
  EXPECT_EQ(s.sector_map->maps[0].regions.size(), 2u);
  EXPECT_EQ(s.sector_map->maps[0].regions[0].size_bytes, 4096u);
  EXPECT_EQ(s.sector_map->maps[0].regions[1].size_bytes, 65536u);
  EXPECT_EQ(s.sector_map->maps[1].config_id, 1);
  EXPECT_EQ(s.sector_map->UniformEraseTypes(), 0);  // Type 1 and type 3 never both.
  // 68 KiB and 64 KiB of a 128 KiB part: both warned.
  EXPECT_TRUE(HasWarning(s, "sector map configuration 0 covers 68 KiB, the density is 128 KiB"))
      << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "sector map configuration 1 covers 64 KiB"));
}

TEST(SfdpDecodeTest, TruncatedSectorMapIsWarned) {
  const auto image = BuildSfdpImage(
      {{.dwords = PlainBfpt()}, {.id = 0xFF81, .minor = 0, .dwords = {0x00030003, 0x0000FF01}}});
  const Sfdp s = DecodeOk(image);
  EXPECT_TRUE(HasWarning(s, "configuration 0 is truncated after 1 of 4 regions")) << Warnings(s);
  const auto cmd =
      BuildSfdpImage({{.dwords = PlainBfpt()}, {.id = 0xFF81, .minor = 0, .dwords = {0x08C86501}}});
  EXPECT_TRUE(HasWarning(DecodeOk(cmd), "detection command at DWORD 1 is truncated"));
}

TEST(SfdpDecodeTest, SccrTablesDecodeWhereLinuxReadsThem) {
  std::vector<uint32_t> sccr(28, 0);
  sccr[0] = 0x00800000;
  sccr[21] = 0x80000000;
  const auto image =
      BuildSfdpImage({{.dwords = PlainBfpt()},
                      {.id = 0xFF87, .minor = 0, .dwords = sccr},
                      {.id = 0xFF88, .minor = 0, .dwords = {0x08800000, 0, 0x10800000, 0}},
                      {.id = 0xFF05, .minor = 0, .dwords = {0x0000EE00}},
                      {.id = 0x029D, .minor = 5, .dwords = {1, 2, 3}}});
  const Sfdp s = DecodeOk(image);
  ASSERT_TRUE(s.sccr && s.sccr_multichip && s.xspi_profile1);
  EXPECT_EQ(s.sccr->volatile_register_offset, 0x00800000u);
  EXPECT_TRUE(s.sccr->octal_dtr_enable_volatile);
  EXPECT_EQ(s.sccr_multichip->dice_advertised, 3u);
  EXPECT_EQ(s.sccr_multichip->volatile_offsets, (std::vector<uint32_t>{0x08800000, 0x10800000}));
  EXPECT_EQ(s.xspi_profile1->read_fast_opcode, 0xEE);
  EXPECT_EQ(SfdpTableName(0x029D), "vendor table (JEP106 bank 2, code 9Dh)");
  EXPECT_EQ(SfdpTableName(0xFF42), "JEDEC table 42h");
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
}

TEST(SfdpDecodeTest, RandomDamageNeverCrashes) {
  FLASHRIG_SEEDED(seed, 7);
  SeededRandom rng(seed);
  const auto good =
      BuildSfdpImage({{.dwords = PlainBfpt(32u << 20)},
                      {.id = 0xFF84, .minor = 0, .dwords = {0x00000A43, 0xFFDC5C21}},
                      {.id = 0xFF81, .minor = 0, .dwords = {0x00000003, 0x01FFFF0F}}});
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    auto image = good;
    const int flips = 1 + static_cast<int>(rng.Below(6));
    for (int f = 0; f < flips; ++f) {
      image[rng.Below(image.size())] = static_cast<std::byte>(rng.Byte());
    }
    image.resize(rng.Below(image.size() + 1));
    (void)SfdpBytesNeeded(image);
    SfdpError error;
    auto s = DecodeSfdp(image, &error);
    if (s.ok()) {
      ++accepted;
      EXPECT_GE(s->bfpt.size_bytes, 1u);
      EXPECT_GE(s->bfpt.raw.size(), 9u);
    } else {
      ASSERT_FALSE(error.message.empty());
      ASSERT_LE(error.offset, image.size());
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 3000);
}

}  // namespace
}  // namespace flashrig::driver
