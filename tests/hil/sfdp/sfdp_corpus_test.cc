// The SFDP decoder against 26 tables read from real chips (tests/data/sfdp-corpus/, copied
// from the shared corpus with their sources): every record's `expected` values field by
// field, its `sfdp_layout` (the headers), its `informative` multipliers and DWORD 16
// methods, and warnings for exactly the known odd tables. Records that hold only a BFPT
// are decoded from a minimal image built around it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/hil/sfdp/sfdp_json.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

std::string CorpusDir() {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/data/sfdp-corpus";
}

std::vector<std::string> RecordNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(CorpusDir())) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

json Record(const std::string& name) {
  std::ifstream in(CorpusDir() + "/" + name + ".json");
  return json::parse(in);
}

std::vector<std::byte> Hex(const std::string& hex) {
  std::vector<std::byte> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// "1.6" -> {1, 6}.
std::pair<uint8_t, uint8_t> Revision(const std::string& text) {
  const size_t dot = text.find('.');
  return {static_cast<uint8_t>(std::stoi(text.substr(0, dot))),
          static_cast<uint8_t>(std::stoi(text.substr(dot + 1)))};
}

// The whole image, or (BFPT-only records) SFDP header + one BFPT header + the BFPT at
// 0x10, with the revisions the record gives (else the one its length implies).
std::vector<std::byte> RecordImage(const json& r) {
  if (r.contains("sfdp_hex")) return Hex(r["sfdp_hex"]);
  const std::vector<std::byte> bfpt = Hex(r["bfpt_hex"]);
  const json& rev = r["bfpt_revision"];
  const uint32_t dwords = rev["length_dwords"];
  const std::string implied = dwords == 9 ? "1.0" : dwords == 16 ? "1.6" : "1.8";
  const std::string bfpt_rev =
      rev["header_rev"].is_string() ? rev["header_rev"].get<std::string>() : implied;
  const std::string sfdp_rev = rev.value("sfdp_header_rev", bfpt_rev);
  const auto [smaj, smin] = Revision(sfdp_rev);
  const auto [bmaj, bmin] = Revision(bfpt_rev);
  const uint8_t head[16] = {'S',  'F',  'D',  'P',  smin, smaj,
                            0,    0xFF, 0x00, bmin, bmaj, static_cast<uint8_t>(dwords),
                            0x10, 0,    0,    0xFF};
  std::vector<std::byte> out;
  for (uint8_t b : head) out.push_back(std::byte{b});
  out.insert(out.end(), bfpt.begin(), bfpt.end());
  return out;
}

// Warnings each odd record must produce (parts of the text); every other record none.
const std::map<std::string, std::vector<std::string>>& KnownOddTables() {
  static const std::map<std::string, std::vector<std::string>> odd = {
      {"is25wp256", {"3-byte addressing only", "(32 MiB) is over 16 MiB"}},
      {"s28hs02gt", {"BFPT header revision 1.0 implies 9 DWORDs but its length is 20"}},
      {"w25q512jv",
       {"parameter header 2 at byte 0x18 (ID FF03h rev 1.0, 2 DWORDs at 0xF0) is present beyond "
        "the 2 the SFDP header counts",
        "its table lies past the end of the 216-byte image"}},
      {"gd25wb256e", {"quad enable requirement 7 (111b) is undefined"}},
      {"mx25l25635f", {"page size defaults to 256 bytes"}},
      {"mx25l3255e", {"page size defaults to 256 bytes"}},
      {"mx66l51235f", {"page size defaults to 256 bytes"}},
      {"n25q064a", {"page size defaults to 256 bytes"}},
      {"w25q256fv", {"page size defaults to 256 bytes"}},
      {"s25fl127s", {"page size defaults to 256 bytes"}},
  };
  return odd;
}

// `ours` (an object or null) against the flat corpus keys: absent there = null here.
void ExpectTimes(const json& expected, const json& ours, const char* our_key,
                 const char* corpus_key) {
  SCOPED_TRACE(corpus_key);
  if (!expected.contains(corpus_key)) {
    EXPECT_TRUE(ours.is_null()) << ours;
  } else {
    ASSERT_TRUE(ours.is_object()) << ours;
    EXPECT_EQ(ours[our_key], expected[corpus_key]);
  }
}

class SfdpCorpusTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    record_ = Record(GetParam());
    driver::SfdpError error;
    auto decoded = driver::DecodeSfdp(RecordImage(record_), &error);
    ASSERT_TRUE(decoded.ok()) << error.message;
    sfdp_ = *decoded;
    ours_ = SfdpToJson(sfdp_);
  }
  json record_;
  driver::Sfdp sfdp_;
  json ours_;
};

TEST_P(SfdpCorpusTest, GeometryAndAddressingEqualExpected) {
  const json& e = record_["expected"];
  EXPECT_EQ(ours_["size_bytes"], e["size_bytes"]);
  EXPECT_EQ(ours_["size_bytes"], record_["size_bytes"]);
  EXPECT_EQ(ours_["page_bytes"], e["page_bytes"]);
  EXPECT_EQ(ours_["address_bytes"], e["address_bytes"]);
  EXPECT_EQ(ours_["erase_4k_opcode"], e["erase_4k_opcode"]);
  ASSERT_EQ(ours_["erase_types"].size(), e["erase_types"].size()) << ours_["erase_types"];
  for (size_t i = 0; i < e["erase_types"].size(); ++i) {
    SCOPED_TRACE(i);
    const json& want = e["erase_types"][i];
    const json& got = ours_["erase_types"][i];
    EXPECT_EQ(got["size_bytes"], want["size_bytes"]);
    EXPECT_EQ(got["opcode"], want["opcode"]);
    EXPECT_EQ(got["typical_ms"], want.contains("typ_ms") ? want["typ_ms"] : json());
    EXPECT_EQ(got["max_ms"], want.contains("max_ms") ? want["max_ms"] : json());
  }
}

TEST_P(SfdpCorpusTest, TimesReadsQuadEnableAndFourByteEqualExpected) {
  const json& e = record_["expected"];
  ExpectTimes(e, ours_["page_program"], "typical_us", "page_program_typ_us");
  ExpectTimes(e, ours_["page_program"], "max_us", "page_program_max_us");
  ExpectTimes(e, ours_["byte_program"], "first_typical_us", "byte_program_first_typ_us");
  ExpectTimes(e, ours_["byte_program"], "additional_typical_us", "byte_program_additional_typ_us");
  ExpectTimes(e, ours_["chip_erase"], "typical_ms", "chip_erase_typ_ms");
  EXPECT_EQ(ours_["quad_enable"],
            e.contains("quad_enable_requirements") ? e["quad_enable_requirements"] : json());
  EXPECT_EQ(ours_["fast_reads"], e["fast_reads"]);
  if (!e.contains("four_byte_instruction_table")) {
    EXPECT_TRUE(ours_["four_byte"].is_null()) << ours_["four_byte"];
  } else {
    const json& want = e["four_byte_instruction_table"];
    ASSERT_TRUE(ours_["four_byte"].is_object());
    EXPECT_EQ(ours_["four_byte"]["support_bits"], want["support_bits"]);
    EXPECT_EQ(ours_["four_byte"]["instructions"], want["instructions"]);
    EXPECT_EQ(ours_["four_byte"]["erase_opcodes"], want["erase_type_4byte_opcodes"]);
  }
}

TEST_P(SfdpCorpusTest, HeadersEqualTheLayout) {
  EXPECT_EQ(ours_["bfpt"]["dwords"], record_["bfpt_revision"]["length_dwords"]);
  EXPECT_EQ(ours_["bfpt"]["raw"], record_["bfpt_dwords"]);
  if (!record_.contains("sfdp_layout")) {  // BFPT-only: the image around it is ours.
    EXPECT_EQ(ours_["tables"].size(), 1u);
    return;
  }
  const json& l = record_["sfdp_layout"];
  EXPECT_EQ(ours_["sfdp_revision"], l["sfdp_rev"]);
  EXPECT_EQ(ours_["parameter_headers"], l["parameter_headers"]);
  EXPECT_EQ(ours_["access_protocol"], l["access_protocol"]);
  ASSERT_EQ(ours_["tables"].size(), l["tables"].size());
  for (size_t i = 0; i < l["tables"].size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ours_["tables"][i]["id"], l["tables"][i]["id"]);
    EXPECT_EQ(ours_["tables"][i]["revision"], l["tables"][i]["rev"]);
    EXPECT_EQ(ours_["tables"][i]["dwords"], l["tables"][i]["length_dwords"]);
    EXPECT_EQ(ours_["tables"][i]["pointer"], l["tables"][i]["pointer"]);
  }
}

TEST_P(SfdpCorpusTest, InformativeFieldsEqual) {
  const json& inf = record_["informative"];
  const driver::SfdpBfpt& b = sfdp_.bfpt;
  if (inf.contains("erase_max_multiplier")) {
    EXPECT_EQ(b.erase_max_multiplier, inf["erase_max_multiplier"]);
  }
  if (inf.contains("program_max_multiplier")) {
    EXPECT_EQ(b.program_max_multiplier, inf["program_max_multiplier"]);
    EXPECT_EQ(b.chip_erase_max_us / 1000, inf["chip_erase_max_ms_dw11_multiplier"]);
  }
  if (inf.contains("enter_4byte_methods")) {
    EXPECT_EQ(ours_["four_byte_methods"]["enter"], inf["enter_4byte_methods"]);
    EXPECT_EQ(ours_["four_byte_methods"]["exit"], inf["exit_4byte_methods"]);
    EXPECT_EQ(ours_["four_byte_methods"]["soft_reset"], inf["soft_reset_methods"]);
  } else {
    EXPECT_TRUE(ours_["four_byte_methods"].is_null());
  }
  EXPECT_EQ(b.write_granularity_64, inf["write_granularity_64b_or_more"]);
  EXPECT_EQ(b.erase_4k_bits == 1, inf["erase_4k_supported"]);
  EXPECT_EQ(b.page_bytes_default, inf["page_bytes_source"] != "BFPT DWORD11 bits 7:4");
}

TEST_P(SfdpCorpusTest, WarnsForExactlyTheKnownOddTables) {
  const auto& odd = KnownOddTables();
  const auto it = odd.find(GetParam());
  std::string all;
  for (const auto& w : sfdp_.warnings) all += "\n  " + w;
  if (it == odd.end()) {
    EXPECT_TRUE(sfdp_.warnings.empty()) << "unexpected warnings:" << all;
    return;
  }
  for (const std::string& part : it->second) {
    EXPECT_NE(all.find(part), std::string::npos) << "missing \"" << part << "\" in:" << all;
  }
  // One warning per oddity: W25Q512JV's header is one finding.
  EXPECT_EQ(sfdp_.warnings.size(), 1u) << all;
}

INSTANTIATE_TEST_SUITE_P(Records, SfdpCorpusTest, ::testing::ValuesIn(RecordNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(SfdpCorpusFilesTest, TwentySixRecordsAndEveryWholeImageShipsAsAPart) {
  const std::vector<std::string> names = RecordNames();
  EXPECT_EQ(names.size(), 26u);
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  const std::string parts = std::string(src ? src : ".") + "/configs/parts";
  size_t images = 0;
  for (const auto& name : names) {
    const json r = Record(name);
    EXPECT_TRUE(r.contains("source")) << name;
    if (!r.contains("sfdp_hex")) continue;
    ++images;
    std::ifstream in(parts + "/sfdp/" + name + ".sfdp", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::vector<std::byte> want = Hex(r["sfdp_hex"]);
    EXPECT_EQ(bytes.size(), want.size()) << name;
    EXPECT_TRUE(std::equal(want.begin(), want.end(), bytes.begin(), bytes.end(),
                           [](std::byte a, char b) { return a == static_cast<std::byte>(b); }))
        << name << ": configs/parts/sfdp copy differs from the record";
    EXPECT_TRUE(std::filesystem::exists(parts + "/" + name + ".json")) << name << ": no part file";
  }
  EXPECT_EQ(images, 20u);
}

}  // namespace
}  // namespace flashrig::hil
