// Part files made from an SFDP image: only the identity is required, the table gives the
// rest, explicit fields override it (with the reasons in sfdp_errata), and a missing,
// broken or insufficient table is an error naming the file, the JSON pointer and, for a
// broken image, the byte offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "flashrig/hil/config/part_config.h"

namespace flashrig::hil {
namespace {

using nlohmann::json;

class PartSfdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/part_sfdp_test";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/sfdp");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Copies a shipped image into the test directory as sfdp/<name>.sfdp (optionally cut).
  void CopyImage(const std::string& record, size_t keep = SIZE_MAX) {
    std::ifstream in(DefaultPartsDirectory() + "/sfdp/" + record + ".sfdp", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << record;
    std::ofstream(dir_ + "/sfdp/" + record + ".sfdp", std::ios::binary)
        << bytes.substr(0, std::min(keep, bytes.size()));
  }

  static json Minimal(const std::string& record, const std::string& id) {
    return {{"name", "X"},
            {"vendor", "V"},
            {"source", "tests"},
            {"jedec_id", id},
            {"sfdp_image", "sfdp/" + record + ".sfdp"}};
  }

  // Writes `doc` as part.json and loads it; the errors one string each.
  std::optional<driver::ChipModel> Load(const json& doc, std::vector<std::string>* errors) {
    std::ofstream(dir_ + "/part.json") << doc.dump();
    ConfigErrors e;
    auto m = LoadPartFile(dir_ + "/part.json", &e);
    for (const auto& x : e) errors->push_back(x.ToString());
    return m;
  }

  std::string dir_;
};

TEST_F(PartSfdpTest, IdentityAndImageAreEnough) {
  CopyImage("w25q512jv");
  std::vector<std::string> errors;
  auto m = Load(Minimal("w25q512jv", "EF 40 20"), &errors);
  ASSERT_TRUE(m) << errors.front();
  EXPECT_EQ(m->size_bytes, 64u << 20);
  EXPECT_EQ(m->page_bytes, 256u);
  ASSERT_EQ(m->erase_types.size(), 3u);
  EXPECT_EQ(m->erase_types[0].time.typical_us, 64000u);  // DWORD 10, as the table says.
  EXPECT_EQ(m->erase_types[1].opcode_4b, 0);             // The 4BAIT has no 32 KiB erase.
  EXPECT_EQ(m->page_program.max_us, 4224u);
  EXPECT_EQ(m->address_mode, driver::AddressMode::k3Or4Byte);
  EXPECT_TRUE(m->has_4byte_opcodes);
  EXPECT_EQ(m->sfdp_image.size(), 216u);
  ASSERT_TRUE(m->sfdp_origin);
  EXPECT_EQ(m->sfdp_origin->image_file, "sfdp/w25q512jv.sfdp");
  EXPECT_TRUE(m->sfdp_origin->overrides.none());
}

TEST_F(PartSfdpTest, NineDwordDefaultsAreSaid) {
  CopyImage("n25q064a");
  std::vector<std::string> errors;
  auto m = Load(Minimal("n25q064a", "20 BA 17"), &errors);
  ASSERT_TRUE(m) << errors.front();
  EXPECT_EQ(m->page_program.typical_us, 500u);
  std::string notes;
  for (const auto& n : m->sfdp_origin->notes) notes += n + "\n";
  EXPECT_NE(notes.find("page_bytes: 256 (default: the BFPT has 9 DWORDs, no DWORD 11)"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("chip_erase: typical 60 s / max 600 s (default"), std::string::npos);
}

TEST_F(PartSfdpTest, ThreeByteOnlyBigPartNeedsAddressModeAndTakesTheOverride) {
  CopyImage("is25wp256");
  std::vector<std::string> errors;
  EXPECT_FALSE(Load(Minimal("is25wp256", "9D 70 19"), &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind(dir_ + "/part.json: /address_mode: required: the SFDP image cannot "
                                   "give it: address_mode: the table says 3-byte addressing only",
                            0),
            0u)
      << errors[0];
  json doc = Minimal("is25wp256", "9D 70 19");
  doc["address_mode"] = "3-or-4-byte";
  doc["has_4byte_opcodes"] = true;
  doc["sfdp_errata"] = {{"address_mode", "the table is wrong"}};
  errors.clear();
  auto m = Load(doc, &errors);
  ASSERT_TRUE(m) << errors.front();
  EXPECT_EQ(m->address_mode, driver::AddressMode::k3Or4Byte);
  EXPECT_EQ(m->erase_types[2].opcode_4b, 0xDC);  // DWORD 16: dedicated 4-byte opcodes.
  EXPECT_TRUE(m->sfdp_origin->overrides.test(static_cast<size_t>(driver::PartField::kAddressMode)));
  EXPECT_EQ(m->sfdp_origin->override_reasons[static_cast<size_t>(driver::PartField::kAddressMode)],
            "the table is wrong");
}

TEST_F(PartSfdpTest, FourByteOpcodesWithoutATableGetTheStandardOnes) {
  CopyImage("mx25l25635f");
  json doc = Minimal("mx25l25635f", "C2 20 19");
  doc["address_mode"] = "3-or-4-byte";
  doc["has_4byte_opcodes"] = true;
  std::vector<std::string> errors;
  auto m = Load(doc, &errors);
  ASSERT_TRUE(m) << errors.front();
  EXPECT_EQ(m->erase_types[0].opcode_4b, 0x21);
  EXPECT_EQ(m->erase_types[1].opcode_4b, 0x5C);
  EXPECT_EQ(m->erase_types[2].opcode_4b, 0xDC);
}

TEST_F(PartSfdpTest, EraseTypeOverrideTakesItsTimesFromTheTable) {
  CopyImage("s28hs02gt");
  std::vector<std::string> errors;
  EXPECT_FALSE(Load(Minimal("s28hs02gt", "34 5B 1C"), &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/erase_types: required: the SFDP image cannot give it"),
            std::string::npos)
      << errors[0];
  json doc = Minimal("s28hs02gt", "34 5B 1C");
  doc["erase_types"] = json::array({{{"size_bytes", 262144}, {"opcode", "0xDC"}}});
  errors.clear();
  auto m = Load(doc, &errors);
  ASSERT_TRUE(m) << errors.front();
  EXPECT_EQ(m->erase_types[0].time.typical_us, 768000u);
  EXPECT_EQ(m->erase_types[0].time.max_us, 6144000u);
  EXPECT_EQ(m->erase_types[0].opcode_4b, 0xDC);
  doc["erase_types"][0]["size_bytes"] = 131072;  // The table has no such type.
  errors.clear();
  EXPECT_FALSE(Load(doc, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("/erase_types/0: no typical/max time given, and the SFDP table has no "
                           "erase type of 131072 bytes"),
            std::string::npos)
      << errors[0];
}

TEST_F(PartSfdpTest, BrokenOrMissingImageNamesTheFileAndOffset) {
  CopyImage("w25q512jv", 100);  // The BFPT at 0x80 is cut.
  std::vector<std::string> errors;
  EXPECT_FALSE(Load(Minimal("w25q512jv", "EF 40 20"), &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/sfdp_image: " + dir_ +
                           "/sfdp/w25q512jv.sfdp: BFPT (16 DWORDs at "
                           "0x80, parameter header 0) runs past the end "
                           "of the 100-byte image"),
            std::string::npos)
      << errors[0];
  errors.clear();
  EXPECT_FALSE(Load(Minimal("nothing", "EF 40 20"), &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/sfdp_image: cannot read the SFDP image"), std::string::npos);
}

TEST_F(PartSfdpTest, ErrataMustNameAFieldTheFileGives) {
  CopyImage("w25q512jv");
  json doc = Minimal("w25q512jv", "EF 40 20");
  doc["sfdp_errata"] = {{"colour", "red"}, {"page_bytes", "why"}};
  doc["todo"] = json::array({"fill me", 3});
  std::vector<std::string> errors;
  EXPECT_FALSE(Load(doc, &errors));
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("/sfdp_errata/colour: not a field an SFDP table gives"), std::string::npos)
      << all;
  EXPECT_NE(all.find("/todo/1: expected a string, got 3"), std::string::npos) << all;
  doc["sfdp_errata"] = {{"page_bytes", "why"}};
  doc["todo"] = json::array({"fill me"});
  errors.clear();
  EXPECT_FALSE(Load(doc, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("/sfdp_errata/page_bytes: explains an override the part file does not "
                           "make"),
            std::string::npos)
      << errors[0];
  // Without an image, sfdp_errata makes no sense and the full set of fields is required.
  doc.erase("sfdp_image");
  doc.erase("sfdp_errata");
  errors.clear();
  EXPECT_FALSE(Load(doc, &errors));
  all.clear();
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find("/size_bytes: required key is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("/address_mode: required key is missing"), std::string::npos) << all;
}

}  // namespace
}  // namespace flashrig::hil
