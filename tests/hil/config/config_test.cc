// Tests of the campaign/rig loaders: defaults, every error collected with file, pointer and
// expectation, unknown keys, rig references, JSON syntax errors.
#include "flashrig/hil/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

std::string Joined(const ConfigErrors& errors) { return FormatConfigErrors(errors); }

json MinimalCampaign() {
  return json::parse(R"({
    "name": "t", "kind": "endurance",
    "rig": {"target": "ram:4096x16"}
  })");
}

TEST(ConfigTest, MinimalCampaignGetsDocumentedDefaults) {
  ConfigErrors errors;
  auto c = ParseCampaign(MinimalCampaign(), "c.json", &errors);
  ASSERT_TRUE(c.has_value()) << Joined(errors);
  EXPECT_EQ(c->kind, CampaignKind::kEndurance);
  EXPECT_EQ(c->seed, 1u);
  EXPECT_EQ(c->output_dir, "out/t");
  ASSERT_EQ(c->rigs.size(), 1u);
  EXPECT_EQ(c->rigs[0].name, "rig0");
  EXPECT_EQ(c->rigs[0].target, "ram:4096x16");
  EXPECT_EQ(c->endurance.cycles, 1000u);
  EXPECT_EQ(c->endurance.patterns.size(), 4u);
  EXPECT_EQ(c->resolved["rigs"][0]["target"], "ram:4096x16");
  EXPECT_FALSE(c->resolved.contains("rig"));
}

TEST(ConfigTest, WrongTypeNamesFilePointerExpectationAndValue) {
  json j = MinimalCampaign();
  j["endurance"] = {{"cycles", "ten"}};
  ConfigErrors errors;
  EXPECT_FALSE(ParseCampaign(j, "campaign.json", &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "campaign.json: /endurance/cycles: expected a positive integer, got \"ten\"");
}

TEST(ConfigTest, CollectsEveryErrorNotJustTheFirst) {
  json j = json::parse(R"({
    "name": "bad name!", "kind": "endurance", "seed": -1,
    "rig": {"target": "usb:xyz", "bus_hz": 1.5, "typo": 1},
    "endurance": {"cycles": 0, "patterns": ["0x00", "checker"], "verify_every": "x"},
    "extra": true
  })");
  ConfigErrors errors;
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  const std::string all = Joined(errors);
  EXPECT_NE(all.find("c.json: /name: expected letters"), std::string::npos) << all;
  EXPECT_NE(all.find("/seed: expected a non-negative integer, got -1"), std::string::npos) << all;
  EXPECT_NE(all.find("/rig/target: expected a target URL"), std::string::npos) << all;
  EXPECT_NE(all.find("/rig/bus_hz: expected an integer in [0, 200000000], got 1.5"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("/rig/typo: unknown key"), std::string::npos) << all;
  EXPECT_NE(all.find("/endurance/cycles: expected a positive integer, got 0"), std::string::npos);
  EXPECT_NE(all.find("/endurance/patterns/1: expected one of \"0x00\", \"0x55aa\", \"random\", "
                     "\"incrementing\", got \"checker\""),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("/endurance/verify_every: expected a positive integer"), std::string::npos);
  EXPECT_NE(all.find("c.json: /extra: unknown key (allowed here: "), std::string::npos) << all;
  EXPECT_EQ(errors.size(), 9u) << all;
}

TEST(ConfigTest, SectionOfAnotherKindIsRejected) {
  json j = MinimalCampaign();
  j["throughput"] = {{"iterations", 3}};
  ConfigErrors errors;
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            "c.json: /throughput: section does not apply to kind \"endurance\"");
}

TEST(ConfigTest, RigIsRequiredOnceAndNamesAreUnique) {
  json j = MinimalCampaign();
  j.erase("rig");
  ConfigErrors errors;
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  EXPECT_NE(Joined(errors).find("\"rig\" (one rig) or \"rigs\""), std::string::npos);

  j["rigs"] = json::array(
      {{{"name", "a"}, {"target", "ram:4096x4"}}, {{"name", "a"}, {"target", "ram:4096x4"}}});
  errors.clear();
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  EXPECT_NE(Joined(errors).find("/rigs/1: rig name \"a\" is used twice"), std::string::npos)
      << Joined(errors);
  // Rigs run in parallel: one device must not back two of them.
  EXPECT_NE(Joined(errors).find("/rigs/1: rig target \"ram:4096x4\" is also used by /rigs/0"),
            std::string::npos)
      << Joined(errors);
}

TEST(ConfigTest, RigTargetsAreChecked) {
  const std::pair<const char*, const char*> cases[] = {
      {"ram:4000x4", "power-of-two sector size"},
      {"ram:4096", "expected \"ram:SECTOR_BYTESxSECTORS\""},
      {"sim:no/such/part.json", "part file \"no/such/part.json\" not found"},
      {"image:", "expected \"image:FILE\""},
      {"spi:/dev/spidev0.0", "starting with sim:, ram:, image:, ftdi://, ftdi-emu: or serprog:"}};
  for (const auto& [target, expect] : cases) {
    json j = MinimalCampaign();
    j["rig"]["target"] = target;
    ConfigErrors errors;
    EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value()) << target;
    EXPECT_NE(Joined(errors).find(expect), std::string::npos) << target << ": " << Joined(errors);
  }
  for (const char* ok : {"ram:4096x32", "ftdi://ftdi:232h:FT1234/1", "sim:W25Q128JV",
                         "image:store.bin?sector=4096", "ftdi-emu:W25Q128JV"}) {
    json j = MinimalCampaign();
    j["rig"]["target"] = ok;
    ConfigErrors errors;
    EXPECT_TRUE(ParseCampaign(j, "c.json", &errors).has_value()) << ok << Joined(errors);
  }
}

TEST(ConfigTest, RigKvSection_ParsedAndChecked) {
  json j = MinimalCampaign();
  ConfigErrors errors;
  auto c = ParseCampaign(j, "c.json", &errors);
  ASSERT_TRUE(c.has_value()) << Joined(errors);
  EXPECT_FALSE(c->rigs[0].kv.refresh_on_mount.has_value());  // By target kind.
  EXPECT_FALSE(c->rigs[0].kv.wear_record);
  j["rig"]["kv"] = {{"refresh_on_mount", false}, {"wear_record", true}};
  c = ParseCampaign(j, "c.json", &errors);
  ASSERT_TRUE(c.has_value()) << Joined(errors);
  EXPECT_EQ(c->rigs[0].kv.refresh_on_mount, std::optional<bool>(false));
  EXPECT_TRUE(c->rigs[0].kv.wear_record);
  EXPECT_EQ(c->resolved["rigs"][0]["kv"]["wear_record"], true);
  j["rig"]["kv"] = {{"refresh_on_mount", "yes"}, {"wear", true}};
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  const std::string all = Joined(errors);
  EXPECT_NE(all.find("c.json: /rig/kv/refresh_on_mount: expected true or false"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("c.json: /rig/kv/wear: unknown key"), std::string::npos) << all;
}

TEST(ConfigTest, GpioPowerControlNeedsAPin) {
  json j = MinimalCampaign();
  j["rig"]["power_control"] = {{"method", "gpio"}};
  ConfigErrors errors;
  EXPECT_FALSE(ParseCampaign(j, "c.json", &errors).has_value());
  EXPECT_EQ(Joined(errors), "c.json: /rig/power_control/pin: required when method is \"gpio\"\n");
  j["rig"]["power_control"]["pin"] = 4;
  j["rig"]["pins"] = {{"wp", 2}, {"hold", 3}};
  errors.clear();
  auto c = ParseCampaign(j, "c.json", &errors);
  ASSERT_TRUE(c.has_value()) << Joined(errors);
  EXPECT_EQ(c->rigs[0].power.method, PowerControlMethod::kGpio);
  EXPECT_EQ(c->rigs[0].power.pin, 4u);
  EXPECT_EQ(c->rigs[0].wp_pin, 2);
  EXPECT_EQ(c->rigs[0].hold_pin, 3);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flashrig_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, RigFileIsInlinedAndItsErrorsNameTheRigFile) {
  const std::string rig = Write("r.json", R"({"name": "bench", "target": "ram:4096x8"})");
  const std::string c =
      Write("c.json", R"({"name": "x", "kind": "throughput", "rigs": [")" + rig + R"("]})");
  ConfigErrors errors;
  auto loaded = LoadCampaignFile(c, &errors);
  ASSERT_TRUE(loaded.has_value()) << Joined(errors);
  EXPECT_EQ(loaded->rigs[0].name, "bench");
  EXPECT_EQ(loaded->resolved["rigs"][0]["target"], "ram:4096x8");

  Write("r.json", R"({"target": "ram:4096x8", "bus_hz": "fast"})");
  errors.clear();
  EXPECT_FALSE(LoadCampaignFile(c, &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, rig);
  EXPECT_EQ(errors[0].json_pointer, "/bus_hz");
}

TEST_F(ConfigFileTest, MissingRigFileIsReportedAtItsReference) {
  const std::string c =
      Write("c.json", R"({"name": "x", "kind": "throughput", "rig": "nope.json"})");
  ConfigErrors errors;
  EXPECT_FALSE(LoadCampaignFile(c, &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].json_pointer, "/rig");
  EXPECT_NE(errors[0].message.find("rig file \"nope.json\" not found"), std::string::npos);
}

TEST_F(ConfigFileTest, SyntaxErrorGivesLineAndColumn) {
  const std::string c = Write("c.json", "{\n  \"name\": \"x\",\n  \"kind\" \"endurance\"\n}\n");
  ConfigErrors errors;
  EXPECT_FALSE(LoadCampaignFile(c, &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("invalid JSON at line 3, column"), std::string::npos)
      << errors[0].message;
}

TEST_F(ConfigFileTest, ValidateTellsCampaignsFromRigs) {
  ConfigErrors errors;
  ConfigFileKind kind = ConfigFileKind::kCampaign;
  EXPECT_TRUE(ValidateConfigFile(Write("r.json", R"({"target": "ram:4096x8"})"), &errors, &kind));
  EXPECT_EQ(kind, ConfigFileKind::kRig);
  EXPECT_FALSE(ValidateConfigFile(Write("m.json", "[]"), &errors, &kind));
  EXPECT_FALSE(ValidateConfigFile((dir_ / "absent.json").string(), &errors, &kind));
  EXPECT_NE(Joined(errors).find("absent.json: /: cannot open file"), std::string::npos)
      << Joined(errors);
}

}  // namespace
}  // namespace flashrig::hil
