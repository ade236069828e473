// Part JSON loader: every shipped part loads and validates; broken descriptions are
// rejected with the file and JSON pointer of each mistake.
#include "flashrig/hil/config/part_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace flashrig::hil {
namespace {

std::string PartsDir() { return DefaultPartsDirectory(); }

nlohmann::json ShippedJson(const std::string& name) {
  std::ifstream in(PartsDir() + "/" + name + ".json");
  return nlohmann::json::parse(in);
}

// Parses `doc` as "w25q16jv.json" and returns the errors, one string each.
std::vector<std::string> Errors(const nlohmann::json& doc) {
  ConfigErrors errors;
  auto model = ParsePartJson("w25q16jv.json", doc.dump(), &errors);
  EXPECT_EQ(model.has_value(), errors.empty());
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

TEST(PartConfigTest, AllShippedPartsLoad) {
  driver::PartDatabase db;
  ConfigErrors errors;
  ASSERT_TRUE(LoadPartDirectory(PartsDir(), &db, &errors)) << FormatConfigErrors(errors);
  ASSERT_EQ(db.parts().size(), 25u);  // 6 from datasheets, 19 more from real chips' SFDP.
  for (const char* name :
       {"W25Q16JV", "W25Q128JV", "MX25L25645G", "GD25Q64C", "MT25QL256", "IS25LP128"}) {
    const driver::ChipModel* m = db.FindByName(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_FALSE(m->source.empty()) << name;
    EXPECT_EQ(m->wear.rated_erase_cycles, 100000u) << name;
  }
  const driver::ChipModel* w = db.FindByJedecId({0xEF, 0x40, 0x18});
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->name, "W25Q128JV");
  EXPECT_EQ(w->size_bytes, 16u << 20);
  EXPECT_EQ(w->erase_types[0].time.typical_us, 45000u);
  EXPECT_EQ(w->erase_types[2].time.max_us, 2000000u);
  EXPECT_EQ(w->page_program.max_us, 3000u);
  const driver::ChipModel* mx = db.FindByName("mx25l25645g");
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(mx->address_mode, driver::AddressMode::k3Or4Byte);
  EXPECT_TRUE(mx->has_4byte_opcodes);
  EXPECT_EQ(mx->erase_types[2].opcode_4b, 0xDC);
  EXPECT_TRUE(db.FindByName("mt25ql256")->enter_4byte_needs_wren);
}

TEST(PartConfigTest, EraseSizeNotAPowerOfTwo) {
  auto doc = ShippedJson("w25q16jv");
  doc["erase_types"][1]["size_bytes"] = 3000;
  EXPECT_EQ(Errors(doc), std::vector<std::string>{
                             "w25q16jv.json: /erase_types/1/size_bytes: expected a power of "
                             "two, got 3000"});
}

TEST(PartConfigTest, MissingField) {
  auto doc = ShippedJson("w25q16jv");
  doc.erase("page_program");
  doc["erase_types"][0].erase("opcode");
  EXPECT_EQ(Errors(doc), (std::vector<std::string>{
                             "w25q16jv.json: /erase_types/0/opcode: required key is missing",
                             "w25q16jv.json: /page_program: required key is missing"}));
}

TEST(PartConfigTest, IdNotHex) {
  auto doc = ShippedJson("w25q16jv");
  doc["jedec_id"] = "EG 40 15";
  doc["erase_types"][2]["opcode"] = "D8";  // Fine: the 0x is optional.
  doc["suspend"]["resume_opcode"] = "0x7AB";
  EXPECT_EQ(Errors(doc),
            (std::vector<std::string>{
                "w25q16jv.json: /jedec_id: expected 3 hex bytes like \"EF 40 18\", got "
                "\"EG 40 15\"",
                "w25q16jv.json: /suspend/resume_opcode: expected a hex byte like \"0x20\", got "
                "\"0x7AB\""}));
}

TEST(PartConfigTest, WrongTypesUnknownKeysAndBadEnums) {
  auto doc = ShippedJson("w25q16jv");
  doc["size_bytes"] = "2 MiB";
  doc["address_mode"] = "4-byte";
  doc["colour"] = "blue";
  doc["block_protect"]["bp_bits"] = {2, 3, 9};
  const auto errors = Errors(doc);
  ASSERT_EQ(errors.size(), 4u);
  // The wording of integer errors belongs to the shared ConfigReader; pin file+pointer.
  EXPECT_EQ(errors[0].rfind("w25q16jv.json: /size_bytes: expected ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("got \"2 MiB\""), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1],
            "w25q16jv.json: /address_mode: expected one of \"3-byte\", \"3-or-4-byte\", got "
            "\"4-byte\"");
  EXPECT_EQ(errors[2],
            "w25q16jv.json: /block_protect/bp_bits/2: expected a status-register bit position "
            "in [2, 6], got 9");
  EXPECT_NE(errors[3].find("/colour"), std::string::npos);
}

TEST(PartConfigTest, TimingRules) {
  auto doc = ShippedJson("w25q16jv");
  doc["chip_erase"] = {{"typical_ms", 50}, {"max_ms", 10}};
  doc["page_program"] = {{"typical_us", 400}, {"max_ms", 3}};
  const auto errors = Errors(doc);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0],
            "w25q16jv.json: /page_program: give typical/max in one unit (_us or _ms), not both");
  EXPECT_EQ(errors[1], "w25q16jv.json: /chip_erase/max_ms: expected max >= typical (50), got 10");
}

TEST(PartConfigTest, CrossFieldRulesNameTheField) {
  auto doc = ShippedJson("w25q16jv");
  std::swap(doc["erase_types"][0], doc["erase_types"][1]);  // 32K before 4K.
  EXPECT_EQ(Errors(doc),
            std::vector<std::string>{"w25q16jv.json: /erase_types/1/size_bytes: not ascending"});
  doc = ShippedJson("w25q16jv");
  doc["size_bytes"] = 32 << 20;  // 32 MiB with 3-byte addressing only.
  EXPECT_EQ(Errors(doc),
            std::vector<std::string>{"w25q16jv.json: /address_mode: parts over 16 MiB need 4-byte "
                                     "addressing"});
}

// ValidateChipModel speaks of ChipModel fields; the errors must point into the file.
TEST(PartConfigTest, CrossFieldErrorsUseTheFilesPointers) {
  nlohmann::json doc = ShippedJson("w25q16jv");
  doc["status_registers"]["read_opcodes"] = {"0x35"};
  EXPECT_EQ(Errors(doc), std::vector<std::string>{
                             "w25q16jv.json: /status_registers/read_opcodes: expected 1 to 3 "
                             "opcodes starting with 0x05"});
  doc = ShippedJson("w25q16jv");
  doc["status_registers"]["write_opcodes"] = {"0x01", "0x31", "0x11", "0x12"};
  doc["status_registers"]["read_opcodes"] = {"0x05"};
  const auto errors = Errors(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("w25q16jv.json: /status_registers/write_opcodes: ", 0), 0u)
      << errors[0];
}

TEST(PartConfigTest, NotJsonAndMissingFile) {
  ConfigErrors errors;
  EXPECT_FALSE(ParsePartJson("x.json", "{\"name\": ", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, "x.json");
  EXPECT_NE(errors[0].message.find("invalid JSON"), std::string::npos) << errors[0].message;
  errors.clear();
  EXPECT_FALSE(LoadPartFile("/nonexistent/part.json", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "cannot open the file");
  errors.clear();
  EXPECT_FALSE(ParsePartJson("x.json", "[1, 2]", &errors));
  EXPECT_EQ(errors.size(), 1u);
}

// Pointer patterns of every property the schema describes ("/erase_types/*/opcode").
void SchemaPatterns(const nlohmann::json& schema, const nlohmann::json& node,
                    const std::string& pointer, std::set<std::string>* out) {
  if (node.contains("$ref")) {
    const std::string ref = node["$ref"].get<std::string>();  // "#/$defs/name"
    SchemaPatterns(schema, schema["$defs"][ref.substr(ref.rfind('/') + 1)], pointer, out);
  }
  if (node.contains("oneOf")) {
    for (const auto& alt : node["oneOf"]) SchemaPatterns(schema, alt, pointer, out);
  }
  if (node.contains("properties")) {
    for (const auto& [key, sub] : node["properties"].items()) {
      out->insert(pointer + "/" + key);
      SchemaPatterns(schema, sub, pointer + "/" + key, out);
    }
  }
  if (node.contains("items")) SchemaPatterns(schema, node["items"], pointer + "/*", out);
}

TEST(PartConfigTest, SchemaDescribesEveryKeyTheLoaderAccepts) {
  std::ifstream in(PartsDir() + "/../schema/part.schema.json");
  ASSERT_TRUE(in) << "configs/schema/part.schema.json";
  const auto schema = nlohmann::json::parse(in);
  std::set<std::string> in_schema;
  SchemaPatterns(schema, schema, "", &in_schema);
  std::set<std::string> accepted;
  for (const auto& entry : std::filesystem::directory_iterator(PartsDir())) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().stem().string();
    const std::string file = entry.path().string();  // sfdp_image is relative to it.
    ConfigErrors errors;
    auto doc = ShippedJson(name);
    ASSERT_TRUE(ParsePartJson(file, doc.dump(), &errors, &accepted)) << FormatConfigErrors(errors);
    // The alternative unit spellings, so their keys are asked for too.
    doc["page_program"] = {{"typical_ms", 1}, {"max_ms", 3}};
    doc["erase_types"][0] = {
        {"size_bytes", 4096}, {"opcode", "0x20"}, {"typical_us", 1}, {"max_us", 2}};
    ASSERT_TRUE(ParsePartJson(file, doc.dump(), &errors, &accepted)) << FormatConfigErrors(errors);
  }
  for (const auto& key : accepted) {
    EXPECT_TRUE(in_schema.count(key)) << key << " is accepted but not in part.schema.json";
  }
  EXPECT_GT(accepted.size(), 30u);
}

TEST(PartConfigTest, DirectoryWithABrokenFileKeepsTheGoodOnes) {
  const std::string dir = ::testing::TempDir() + "/parts_dir_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/good.json") << ShippedJson("w25q16jv").dump();
    auto bad = ShippedJson("gd25q64c");
    bad["erase_types"][0]["size_bytes"] = 3000;
    std::ofstream(dir + "/bad.json") << bad.dump();
  }
  driver::PartDatabase db;
  ConfigErrors errors;
  EXPECT_FALSE(LoadPartDirectory(dir, &db, &errors));
  EXPECT_EQ(db.parts().size(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, dir + "/bad.json");
  EXPECT_EQ(errors[0].json_pointer, "/erase_types/0/size_bytes");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flashrig::hil
