// Parts from SFDP tables: what PartFromSfdp takes from real chips' tables (the images in
// configs/parts/sfdp/) and what it refuses to guess, how part-database overrides and fills
// are applied, how ParamsFromModel picks a 4-byte method, and how entries that share a
// JEDEC ID are told apart.
#include "flashrig/driver/spinor/sfdp_model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "flashrig/driver/sim/sfdp_builder.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/part_database.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/driver/spinor/spi_nor_params.h"
#include "testing/test_chip_models.h"

namespace flashrig::driver {
namespace {

std::vector<std::byte> Image(const std::string& record) {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  const std::string path = std::string(src ? src : ".") + "/configs/parts/sfdp/" + record + ".sfdp";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out;
  for (char c : bytes) out.push_back(static_cast<std::byte>(c));
  return out;
}

SfdpDerivedPart Derive(const std::string& record) {
  auto s = DecodeSfdp(Image(record));
  EXPECT_TRUE(s.ok()) << record;
  return s.ok() ? PartFromSfdp(*s) : SfdpDerivedPart{};
}

bool Has(const PartFieldSet& set, PartField f) { return set.test(static_cast<size_t>(f)); }

bool HasNote(const std::vector<PartNote>& notes, PartNote::Kind kind, const std::string& part) {
  for (const auto& n : notes) {
    if (n.kind == kind && n.text.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(SfdpModelTest, SixteenDwordTableGivesEverything) {
  const SfdpDerivedPart d = Derive("mx25l25645g");
  EXPECT_TRUE(d.missing.none());
  EXPECT_TRUE(d.defaulted.none());
  EXPECT_TRUE(d.notes.empty());
  EXPECT_EQ(d.model.size_bytes, 32u << 20);
  ASSERT_EQ(d.model.erase_types.size(), 3u);
  EXPECT_EQ(d.model.erase_types[1].size_bytes, 32768u);
  EXPECT_EQ(d.model.erase_types[1].opcode_4b, 0x5C);  // From the 4BAIT.
  EXPECT_EQ(d.model.erase_types[1].time.typical_us, 192000u);
  EXPECT_EQ(d.model.erase_types[1].time.max_us, 2688000u);
  EXPECT_EQ(d.model.page_program.typical_us, 256u);
  EXPECT_EQ(d.model.address_mode, AddressMode::k3Or4Byte);
  EXPECT_TRUE(d.model.has_4byte_opcodes);
  EXPECT_FALSE(d.model.enter_4byte_needs_wren);
  std::string why;
  ChipModel m = d.model;
  m.name = "x";
  EXPECT_EQ(ValidateChipModel(m, &why), Status::Ok()) << why;
}

TEST(SfdpModelTest, ThreeByteOnlyBigPartNeedsAnOverride) {
  const SfdpDerivedPart d = Derive("is25wp256");
  EXPECT_TRUE(Has(d.missing, PartField::kAddressMode));
  EXPECT_TRUE(HasNote(d.notes, PartNote::Kind::kMissing, "3-byte addressing only"));
  EXPECT_EQ(d.model.size_bytes, 32u << 20);
  // DWORD 16 names the dedicated 4-byte opcodes; they are kept for an override to use.
  EXPECT_EQ(d.model.erase_types[0].opcode_4b, 0x21);
  EXPECT_FALSE(d.model.has_4byte_opcodes);
}

TEST(SfdpModelTest, NineDwordTableUsesDocumentedDefaults) {
  const SfdpDerivedPart d = Derive("mx25l25635f");
  EXPECT_TRUE(Has(d.defaulted, PartField::kPageBytes));
  EXPECT_TRUE(Has(d.defaulted, PartField::kEraseTypes));
  EXPECT_TRUE(Has(d.defaulted, PartField::kPageProgram));
  EXPECT_TRUE(Has(d.defaulted, PartField::kChipErase));
  EXPECT_EQ(d.model.page_bytes, kSfdpDefaultPageBytes);
  EXPECT_EQ(d.model.page_program.max_us, kSfdpDefaultProgramMaxUs);
  EXPECT_EQ(d.model.chip_erase.max_us, kSfdpDefaultChipEraseMaxUs);
  EXPECT_EQ(d.model.erase_types[2].time.max_us, kSfdpDefaultEraseMaxUsPer4K * 16);
  // 32 MiB without DWORD 16 or a 4BAIT: no way above 16 MiB is named.
  EXPECT_TRUE(Has(d.missing, PartField::kAddressMode));
  EXPECT_TRUE(HasNote(d.notes, PartNote::Kind::kDefault, "no DWORD 11"));
  // A small 9-DWORD part needs nothing more.
  EXPECT_TRUE(Derive("n25q064a").missing.none());
}

TEST(SfdpModelTest, FourByteTableWithoutA32KOpcodeKeepsTheTypeForThreeByteUse) {
  const SfdpDerivedPart d = Derive("w25q512jv");
  ASSERT_EQ(d.model.erase_types.size(), 3u);
  EXPECT_EQ(d.model.erase_types[1].size_bytes, 32768u);
  EXPECT_EQ(d.model.erase_types[1].opcode_4b, 0);  // Not invented (5Ch): the 4BAIT says none.
  std::vector<PartNote> notes;
  auto p = ParamsFromModel(d.model, /*prefer_4byte_opcodes=*/true, &notes);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addressing, Addressing::k4ByteOpcodes);
  ASSERT_EQ(p->erase_ops.size(), 2u);
  EXPECT_EQ(p->erase_ops[0].opcode_4b, 0x21);
  EXPECT_EQ(p->erase_ops[1].opcode_4b, 0xDC);
  EXPECT_TRUE(HasNote(notes, PartNote::Kind::kIgnored, "32 KiB (52h) not used"));
  // Without the preference the part enters 4-byte mode and keeps every type.
  auto mode = ParamsFromModel(d.model, /*prefer_4byte_opcodes=*/false);
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode->addressing, Addressing::kEnter4Byte);
  EXPECT_EQ(mode->erase_ops.size(), 3u);
}

TEST(SfdpModelTest, SectorMapDecidesWhichEraseTypesAreUniform) {
  const SfdpDerivedPart sst = Derive("sst26vf064b");
  ASSERT_EQ(sst.model.erase_types.size(), 1u);  // 8/32/64 KiB D8h only in some regions.
  EXPECT_EQ(sst.model.erase_types[0].size_bytes, 4096u);
  EXPECT_TRUE(HasNote(sst.notes, PartNote::Kind::kIgnored, "erase type 4 (64 KiB, D8h)"));
  const SfdpDerivedPart s28 = Derive("s28hs02gt");
  EXPECT_TRUE(Has(s28.missing, PartField::kEraseTypes));
  EXPECT_TRUE(HasNote(s28.notes, PartNote::Kind::kIgnored, "detection commands are not run"));
  // The table's own list is still there for a part file to pick from.
  auto s = DecodeSfdp(Image("s28hs02gt"));
  ASSERT_TRUE(s.ok());
  const std::vector<EraseType> all = SfdpEraseTypes(*s);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].size_bytes, 256u << 10);
  EXPECT_EQ(all[1].opcode_4b, 0xDC);
  EXPECT_EQ(all[1].time.typical_us, 768000u);
}

TEST(SfdpModelTest, OverridesApplyOnlyToTheSameTableAndFillsComeFromTheEntry) {
  const SfdpDerivedPart d = Derive("is25wp256");
  ChipModel entry = d.model;
  entry.name = "IS25WP256";
  entry.address_mode = AddressMode::k3Or4Byte;
  entry.has_4byte_opcodes = true;
  entry.sfdp_origin = SfdpPartOrigin{};
  entry.sfdp_origin->overrides.set(static_cast<size_t>(PartField::kAddressMode));
  entry.sfdp_origin->overrides.set(static_cast<size_t>(PartField::kHas4ByteOpcodes));
  entry.sfdp_origin->override_reasons[static_cast<size_t>(PartField::kAddressMode)] = "erratum";
  std::vector<PartNote> notes;
  const ChipModel m = ResolveProbedPart(d, &entry, /*same_table=*/true, &notes);
  EXPECT_EQ(m.address_mode, AddressMode::k3Or4Byte);
  EXPECT_TRUE(m.has_4byte_opcodes);
  EXPECT_TRUE(HasNote(notes, PartNote::Kind::kOverride,
                      "address_mode: 3-or-4-byte from the part database (IS25WP256), the table "
                      "cannot give it (erratum)"));
  EXPECT_FALSE(HasNote(notes, PartNote::Kind::kMissing, ""));  // Replaced.
  auto p = ParamsFromModel(m, true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->addressing, Addressing::k4ByteOpcodes);
  // From a different table the overrides do not apply; what is missing is still filled.
  notes.clear();
  const ChipModel other = ResolveProbedPart(d, &entry, /*same_table=*/false, &notes);
  EXPECT_EQ(other.address_mode, AddressMode::k3Or4Byte);
  EXPECT_FALSE(other.has_4byte_opcodes);
  EXPECT_TRUE(HasNote(notes, PartNote::Kind::kFilled, "the table does not say"));
}

TEST(SfdpModelTest, HandWrittenEntryReplacesDefaults) {
  const SfdpDerivedPart d = Derive("n25q064a");
  ChipModel entry = flashrig::testing::SmallTestPart();
  std::vector<PartNote> notes;
  const ChipModel m = ResolveProbedPart(d, &entry, /*same_table=*/false, &notes);
  EXPECT_EQ(m.page_program.typical_us, entry.page_program.typical_us);
  EXPECT_EQ(m.size_bytes, 8u << 20);  // The table's own fields stay.
  EXPECT_TRUE(HasNote(notes, PartNote::Kind::kFilled, "page_program"));
  EXPECT_FALSE(HasNote(notes, PartNote::Kind::kDefault, "page_program"));
}

TEST(SfdpModelTest, EntriesSharingAJedecIdAreToldApartByTheirTables) {
  ChipModel f = flashrig::testing::BigTestPart();
  f.name = "F";
  f.sfdp_image = Image("mx25l25635f");
  ChipModel g = f;
  g.name = "G";
  g.sfdp_image = Image("mx25l25645g");
  ChipModel hand = f;
  hand.name = "HAND";
  hand.sfdp_image.clear();
  const PartDatabase db({f, hand, g});
  const auto id = f.jedec_id;
  PartMatch m = db.FindForChip(id, Image("mx25l25645g"));
  ASSERT_NE(m.part, nullptr);
  EXPECT_EQ(m.part->name, "G");
  EXPECT_EQ(m.how, PartMatch::How::kSameImage);
  EXPECT_NE(m.why.find("JEDEC ID shared by F, HAND, G"), std::string::npos) << m.why;
  // The same BFPT header with other bytes elsewhere: still the same table kind.
  auto changed = Image("mx25l25635f");
  changed.back() ^= std::byte{1};
  m = db.FindForChip(id, changed);
  EXPECT_EQ(m.part->name, "F");
  EXPECT_EQ(m.how, PartMatch::How::kSameBfpt);
  // A table neither image has (BFPT 1.5): the hand-written entry (made for the ID) wins.
  auto other = BuildSfdp(f);
  other[9] = std::byte{5};
  m = db.FindForChip(id, other);
  EXPECT_EQ(m.part->name, "HAND");
  EXPECT_FALSE(m.same_table());
  EXPECT_EQ(db.FindForChip({1, 2, 3}, {}).part, nullptr);
}

// The IS25WP256 a part file describes: its real table, plus the two overrides.
ChipModel Is25wp256Entry() {
  ChipModel m = Derive("is25wp256").model;
  m.name = "IS25WP256";
  m.vendor = "ISSI";
  m.jedec_id = {0x9D, 0x70, 0x19};
  m.address_mode = AddressMode::k3Or4Byte;
  m.has_4byte_opcodes = true;
  m.sfdp_image = Image("is25wp256");
  m.sfdp_origin = SfdpPartOrigin{.image_file = "sfdp/is25wp256.sfdp"};
  m.sfdp_origin->overrides.set(static_cast<size_t>(PartField::kAddressMode));
  m.sfdp_origin->overrides.set(static_cast<size_t>(PartField::kHas4ByteOpcodes));
  return m;
}

TEST(SfdpModelTest, ProbeFixesTheErratumOnlyWithTheDatabaseEntry) {
  const ChipModel entry = Is25wp256Entry();
  VirtualClock clock;
  SimulatedSpiNorChip chip(entry, clock);
  SpiDeviceBus bus(chip);
  // Alone, the table cannot be used: 3-byte addressing would reach half the chip.
  const PartDatabase none;
  ProbeInfo info;
  EXPECT_EQ(SpiNorFlash::Probe(bus, clock, &none, {}, &info).status(), Status::NotFound());
  EXPECT_NE(info.sfdp_error.find("the table says 3-byte addressing only"), std::string::npos)
      << info.sfdp_error;
  EXPECT_EQ(info.sfdp_image, entry.sfdp_image);  // What the chip answered to 5Ah.
  // With the entry, the override applies and is reported.
  const PartDatabase db({entry});
  auto flash = SpiNorFlash::Probe(bus, clock, &db, {}, &info);
  ASSERT_TRUE(flash.ok()) << info.sfdp_error;
  EXPECT_EQ(info.source, ParamSource::kSfdp);
  EXPECT_EQ(info.part_match, PartMatch::How::kSameImage);
  EXPECT_EQ((*flash)->geometry().size_bytes, 32u << 20);
  EXPECT_EQ((*flash)->params().addressing, Addressing::k4ByteOpcodes);
  EXPECT_TRUE(HasNote(info.notes, PartNote::Kind::kOverride, "address_mode: 3-or-4-byte"));
  // A chip with another table under the same ID does not get the entry's overrides.
  ChipModel other = entry;
  other.sfdp_image[0x30 + 4 * 10] ^= std::byte{1};  // DWORD 11 of the BFPT differs...
  other.sfdp_image[9] = std::byte{5};               // ...and its revision is 1.5.
  SimulatedSpiNorChip other_chip(other, clock);
  SpiDeviceBus other_bus(other_chip);
  flash = SpiNorFlash::Probe(other_bus, clock, &db, {}, &info);
  ASSERT_TRUE(flash.ok());
  EXPECT_EQ(info.part_match, PartMatch::How::kJedecId);
  EXPECT_TRUE(HasNote(info.notes, PartNote::Kind::kIgnored, "for a different SFDP table"));
  EXPECT_TRUE(HasNote(info.notes, PartNote::Kind::kFilled, "address_mode"));
}

TEST(SfdpModelTest, UnknownChipStillOpensForItsSfdpWhenAsked) {
  ChipModel entry = Is25wp256Entry();
  VirtualClock clock;
  SimulatedSpiNorChip chip(entry, clock);
  SpiDeviceBus bus(chip);
  ProbeInfo info;
  auto flash = SpiNorFlash::Probe(bus, clock, nullptr, {.accept_unknown_part = true}, &info);
  ASSERT_TRUE(flash.ok());
  EXPECT_EQ(info.source, ParamSource::kNone);
  auto image = (*flash)->ReadSfdpSpace();
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(*image, entry.sfdp_image);
}

}  // namespace
}  // namespace flashrig::driver
