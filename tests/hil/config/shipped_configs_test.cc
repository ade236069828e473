// Every shipped config (configs/campaigns, configs/rigs) loads and names an existing JSON
// Schema; every configs/broken/*.json is rejected with the error its "$comment" expects;
// the schemas are well-formed and describe exactly the keys the loader accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "flashrig/hil/config/config.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Shipped configs use paths relative to the repository root, like the README's commands.
class ShippedConfigsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
    ASSERT_NE(src, nullptr) << "run through ctest (sets FLASHRIG_SOURCE_DIR)";
    ASSERT_EQ(::chdir(src), 0);
  }
  static std::vector<std::string> Files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".json") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static json Load(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
  }
};

TEST_F(ShippedConfigsTest, EveryCampaignAndRigLoadsAndReferencesItsSchema) {
  size_t campaigns = 0, rigs = 0;
  for (const char* dir : {"configs/campaigns", "configs/rigs"}) {
    for (const auto& file : Files(dir)) {
      SCOPED_TRACE(file);
      ConfigErrors errors;
      ConfigFileKind kind = ConfigFileKind::kRig;
      EXPECT_TRUE(ValidateConfigFile(file, &errors, &kind)) << FormatConfigErrors(errors);
      const bool is_campaign = std::string(dir) == "configs/campaigns";
      EXPECT_EQ(kind, is_campaign ? ConfigFileKind::kCampaign : ConfigFileKind::kRig);
      const json j = Load(file);
      ASSERT_TRUE(j.contains("$schema"));
      const std::string want =
          is_campaign ? "../schema/campaign.schema.json" : "../schema/rig.schema.json";
      EXPECT_EQ(j["$schema"], want);
      EXPECT_TRUE(fs::is_regular_file(fs::path(file).parent_path() / want));
      (is_campaign ? campaigns : rigs)++;
    }
  }
  EXPECT_GE(campaigns, 5u);
  EXPECT_GE(rigs, 2u);
  // The README's first command runs this one.
  EXPECT_TRUE(fs::is_regular_file("configs/campaigns/demo.json"));
}

// A run writes the resolved campaign (rig files inlined) to config.json, and the replay
// command a failure prints runs that file: it must load again, to the same rigs.
TEST_F(ShippedConfigsTest, EveryResolvedCampaignLoadsAgainForReplay) {
  for (const auto& file : Files("configs/campaigns")) {
    SCOPED_TRACE(file);
    ConfigErrors errors;
    auto campaign = LoadCampaignFile(file, &errors);
    ASSERT_TRUE(campaign.has_value()) << FormatConfigErrors(errors);
    ConfigErrors again_errors;
    auto again = ParseCampaign(campaign->resolved, "config.json", &again_errors);
    ASSERT_TRUE(again.has_value()) << FormatConfigErrors(again_errors);
    ASSERT_EQ(again->rigs.size(), campaign->rigs.size());
    for (size_t i = 0; i < again->rigs.size(); ++i) {
      EXPECT_EQ(again->rigs[i].target, campaign->rigs[i].target);
    }
    EXPECT_EQ(again->seed, campaign->seed);
  }
}

TEST_F(ShippedConfigsTest, EveryBrokenConfigIsRejectedWithTheExpectedErrors) {
  const std::regex expect_re(R"re("\$comment"\s*:\s*"expect: ((?:[^"\\]|\\.)*)")re");
  size_t files = 0;
  for (const auto& file : Files("configs/broken")) {
    SCOPED_TRACE(file);
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::smatch m;
    const std::string raw = text.str();
    ASSERT_TRUE(std::regex_search(raw, m, expect_re)) << "no \"$comment\": \"expect: ...\"";
    std::string expected = std::regex_replace(m[1].str(), std::regex(R"(\\")"), "\"");
    ConfigErrors errors;
    ConfigFileKind kind = ConfigFileKind::kRig;
    EXPECT_FALSE(ValidateConfigFile(file, &errors, &kind));
    const std::string all = FormatConfigErrors(errors);
    // " | " separates several expected errors (all must be reported in one pass).
    size_t begin = 0;
    while (begin <= expected.size()) {
      size_t end = expected.find(" | ", begin);
      if (end == std::string::npos) end = expected.size();
      const std::string part = expected.substr(begin, end - begin);
      EXPECT_NE(all.find(file + ": " + part), std::string::npos)
          << "missing \"" << file << ": " << part << "\" in:\n"
          << all;
      begin = end + 3;
    }
    ++files;
  }
  EXPECT_GE(files, 8u);
}

// --- Schema coverage ---------------------------------------------------------------

struct SchemaSet {
  std::map<std::string, json> files;  // "rig.schema.json" -> document
};

const json* Deref(const SchemaSet& set, const std::string& file, const json& node,
                  std::string* node_file) {
  *node_file = file;
  if (!node.contains("$ref")) return &node;
  const std::string ref = node["$ref"];
  if (ref.rfind("#/$defs/", 0) == 0) {
    return &set.files.at(file)["$defs"][ref.substr(8)];
  }
  *node_file = ref;
  return &set.files.at(ref);
}

// Does the schema at `node` describe the key path `segs` ("*" = array element)?
bool Describes(const SchemaSet& set, const std::string& file, const json& raw,
               const std::vector<std::string>& segs, size_t i) {
  std::string f;
  const json& node = *Deref(set, file, raw, &f);
  if (i == segs.size()) return true;
  for (const char* combo : {"oneOf", "anyOf", "allOf"}) {
    if (node.contains(combo)) {
      for (const auto& alt : node[combo]) {
        if (Describes(set, f, alt, segs, i)) return true;
      }
    }
  }
  if (segs[i] == "*")
    return node.contains("items") && Describes(set, f, node["items"], segs, i + 1);
  return node.contains("properties") && node["properties"].contains(segs[i]) &&
         Describes(set, f, node["properties"][segs[i]], segs, i + 1);
}

// Every key path the schema describes, "/a/*/b" style.
void Paths(const SchemaSet& set, const std::string& file, const json& raw, const std::string& at,
           int depth, std::set<std::string>* out) {
  if (depth > 12) return;
  std::string f;
  const json& node = *Deref(set, file, raw, &f);
  for (const char* combo : {"oneOf", "anyOf", "allOf"}) {
    if (node.contains(combo)) {
      for (const auto& alt : node[combo]) Paths(set, f, alt, at, depth + 1, out);
    }
  }
  if (node.contains("items")) Paths(set, f, node["items"], at + "/*", depth + 1, out);
  if (node.contains("properties")) {
    for (const auto& [key, sub] : node["properties"].items()) {
      if (key == "$schema" || key == "$comment") continue;
      out->insert(at + "/" + key);
      Paths(set, f, sub, at + "/" + key, depth + 1, out);
    }
  }
}

std::vector<std::string> Split(const std::string& pattern) {
  std::vector<std::string> segs;
  std::stringstream in(pattern.substr(1));
  std::string seg;
  while (std::getline(in, seg, '/')) segs.push_back(seg);
  return segs;
}

TEST_F(ShippedConfigsTest, SchemasAreWellFormedAndMatchTheLoaderKeyForKey) {
  SchemaSet set;
  for (const char* name : {"campaign.schema.json", "rig.schema.json"}) {
    SCOPED_TRACE(name);
    json schema;
    ASSERT_NO_THROW(schema = Load(std::string("configs/schema/") + name));
    EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(schema["$id"], name);
    set.files[name] = schema;
  }
  // What the loader accepts: every key it asked for while loading the shipped configs and
  // one config with every optional section (absent sections are read as {} too).
  std::set<std::string> campaign_keys, rig_keys;
  ConfigErrors errors;
  for (const auto& file : Files("configs/campaigns")) {
    LoadCampaignFile(file, &errors, &campaign_keys);
  }
  const json inline_rigs = json::parse(R"({"name": "k", "kind": "throughput",
      "rigs": [{"target": "ram:4096x4", "partition": {}, "pins": {},
                "power_control": {"method": "none"}, "kv": {}}],
      "stop": {}, "throughput": {"kv_mixes": [{"weights": {}}]}})");
  ParseCampaign(inline_rigs, "inline.json", &errors, &campaign_keys);
  const json single_rig = json::parse(
      R"({"name": "k", "kind": "endurance", "rig": {"target": "ram:4096x4", "partition": {},
                "pins": {}, "power_control": {"method": "none"}, "kv": {}},
          "endurance": {"sectors": {"first": 0}, "stop_on": {}}})");
  ParseCampaign(single_rig, "inline.json", &errors, &campaign_keys);
  for (const auto& file : Files("configs/rigs")) LoadRigFile(file, &errors, &rig_keys);
  ASSERT_TRUE(errors.empty()) << FormatConfigErrors(errors);
  // A rig file's keys are those of an inline rig without the "/rigs/*" prefix.
  for (const auto& k : campaign_keys) {
    if (k.rfind("/rigs/*/", 0) == 0) rig_keys.insert(k.substr(7));
  }

  for (const auto& [name, keys] : {std::pair{std::string("campaign.schema.json"), campaign_keys},
                                   std::pair{std::string("rig.schema.json"), rig_keys}}) {
    for (const auto& k : keys) {
      EXPECT_TRUE(Describes(set, name, set.files[name], Split(k), 0))
          << name << " does not describe " << k << ", which the loader accepts";
    }
    std::set<std::string> described;
    Paths(set, name, set.files[name], "", 0, &described);
    for (const auto& p : described) {
      EXPECT_TRUE(keys.count(p)) << name << " describes " << p << ", which the loader rejects";
    }
  }
}

}  // namespace
}  // namespace flashrig::hil
