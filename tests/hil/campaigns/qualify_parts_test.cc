// The demo qualify campaign (configs/campaigns/demo.json's qualify settings) on the
// simulator for every shipped part made from a real chip's SFDP image: each must pass,
// and the SFDP identity checks must have compared the chip's bytes and fields with the
// part file, overrides reported as findings. The partition is the demo's 1 MiB (4
// sectors where sectors are larger), at the top of the chip: 4-byte addresses on big
// parts, and the block BP = 1 protects on parts without a TB bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The shipped parts made from a real chip's SFDP image (the hand-written ones are
// qualified by the shipped campaigns: campaign_demo, campaign_qualify-sim).
std::vector<std::string> SfdpParts() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(DefaultPartsDirectory())) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    if (json::parse(in).contains("sfdp_image")) names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The demo's qualify settings. Its endurance sample cycles one smallest-erase sector; on a
// part whose sector is larger than the demo part's 4 KiB (S28HS02GT: 256 KiB) the cycles
// are scaled so the sample erases and programs as many bytes as the demo's, at least 10
// cycles (otherwise that one part would take as long as all the others together).
json DemoQualifySettings(uint32_t sector_bytes) {
  std::ifstream in(DefaultPartsDirectory() + "/../campaigns/demo.json");
  const json demo = json::parse(in);
  EXPECT_EQ(demo["kind"], "qualify");
  json q = demo["qualify"];
  const uint64_t cycles = q["endurance_cycles"];
  q["endurance_cycles"] = std::max<uint64_t>(10, cycles * 4096 / std::max(4096u, sector_bytes));
  return q;
}

const CheckResult* FindCheck(const RigReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

class QualifyPartTest : public ::testing::TestWithParam<std::string> {
 protected:
  // sim: chips live for the process; drop each part's before the next.
  void TearDown() override { ForgetSimulatedChips(); }
};

TEST_P(QualifyPartTest, DemoQualifyPasses) {
  const std::string path = DefaultPartsDirectory() + "/" + GetParam() + ".json";
  ConfigErrors errors;
  const auto part = LoadPartFile(path, &errors);
  ASSERT_TRUE(part) << FormatConfigErrors(errors);
  const uint64_t partition = std::max<uint64_t>(1u << 20, 4 * part->erase_types.front().size_bytes);
  const json j = {{"name", "qualify-" + GetParam()},
                  {"kind", "qualify"},
                  {"seed", 1},
                  {"rig",
                   {{"name", GetParam()},
                    {"target", "sim:" + path + "?timing=sampled&seed=1"},
                    {"bus_hz", 30000000},
                    {"partition",
                     {{"offset_bytes", part->size_bytes - partition}, {"size_bytes", partition}}}}},
                  {"qualify", DemoQualifySettings(part->erase_types.front().size_bytes)}};
  auto config = ParseCampaign(j, "inline.json", &errors);
  ASSERT_TRUE(config.has_value()) << FormatConfigErrors(errors);
  const fs::path out = fs::temp_directory_path() /
                       ("flashrig_qualify_" + GetParam() + "_" + std::to_string(::getpid()));
  RunOptions options;
  options.out_dir = out.string();
  const RunResult result = RunCampaign(*config, options);
  std::string error;
  const auto report = ReadReportDir(out.string(), &error);
  fs::remove_all(out);
  ASSERT_TRUE(report.has_value()) << error;
  const RigReport& rig = report->rigs.at(0);
  for (const auto& c : rig.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  EXPECT_EQ(result.exit_code, 0) << result.message;
  const CheckResult* fields = FindCheck(rig, "qualify/identity/sfdp");
  ASSERT_NE(fields, nullptr);
  ASSERT_TRUE(part->sfdp_origin);
  const CheckResult* bytes = FindCheck(rig, "qualify/identity/sfdp_image");
  ASSERT_NE(bytes, nullptr);
  EXPECT_NE(bytes->message.find("equals the part file's sfdp/" + GetParam() + ".sfdp"),
            std::string::npos)
      << bytes->message;
  // Each difference is an override (shown with its reason) or a field the table cannot
  // give; none is a failure.
  for (const auto& f : rig.figures["qualify"]["sfdp"]) {
    if (f["status"] == "same" || f["status"] == "table silent") continue;
    EXPECT_EQ(f["status"], "override") << f;
    bool overridden = false;
    for (size_t i = 0; i < driver::kPartFieldCount; ++i) {
      overridden =
          overridden || (f["field"] == driver::PartFieldName(static_cast<driver::PartField>(i)) &&
                         part->sfdp_origin->overrides.test(i));
    }
    EXPECT_TRUE(overridden) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(Parts, QualifyPartTest, ::testing::ValuesIn(SfdpParts()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace flashrig::hil
