// Qualify's SFDP timing checks: BFPT typical/max erase and page-program times against the
// part JSON's datasheet values, within one BFPT encoding step for typicals, SFDP max not
// below the datasheet max. Values that match pass; a typical off by more than a step, or
// an SFDP maximum tighter than the datasheet's, fails and the report shows both.
#include <gtest/gtest.h>

#include <cstdlib>

#include "flashrig/hil/campaigns/qualify_campaign.h"
#include "flashrig/hil/config/part_config.h"
#include "hil/ram_rig.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

json CheckOf(const RigReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return {{"passed", c.passed}, {"message", c.message}};
  }
  return nullptr;
}

RigReport Qualify(const json& sfdp) {
  const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
  EXPECT_NE(src, nullptr);
  ConfigErrors errors;
  auto part = LoadPartFile(std::string(src) + "/configs/parts/w25q128jv.json", &errors);
  EXPECT_TRUE(part.has_value());
  testing::RamRig r(4096, 32);
  r.rig.part = *part;
  r.rig.identity = {{"jedec_id", {0xEF, 0x40, 0x18}}, {"sfdp", sfdp}};
  QualifyConfig config;
  config.timing_samples = 1;
  config.endurance_cycles = 0;
  config.power_loss_operations = 0;
  QualifyCampaign campaign(config, nullptr);
  CampaignContext ctx;
  ctx.rig = &r.rig;
  RigReport report;
  EXPECT_TRUE(campaign.Run(ctx, report).ok());
  return report;
}

// What the W25Q128JV's BFPT says (typicals rounded up to the encoding step).
json GoodSfdp() {
  return {{"size_bytes", 16777216},
          {"page_bytes", 256},
          {"erase_sizes_bytes", {4096, 32768, 65536}},
          {"erase_times",
           {{{"size_bytes", 4096}, {"typical_us", 48000}, {"max_us", 672000}},
            {{"size_bytes", 32768}, {"typical_us", 128000}, {"max_us", 1792000}},
            {{"size_bytes", 65536}, {"typical_us", 160000}, {"max_us", 2240000}}}},
          {"page_program_typical_us", 448},
          {"page_program_max_us", 3584},
          {"chip_erase_typical_us", 40000000},
          {"chip_erase_max_us", 320000000}};
}

TEST(QualifySfdpTimingTest, MatchingTimesPassAndBothValuesAreReported) {
  const RigReport r = Qualify(GoodSfdp());
  for (const char* op :
       {"erase_4096", "erase_32768", "erase_65536", "page_program", "chip_erase"}) {
    const json c = CheckOf(r, std::string("qualify/identity/sfdp_timing/") + op);
    ASSERT_FALSE(c.is_null()) << op;
    EXPECT_TRUE(c["passed"].get<bool>()) << op << ": " << c["message"];
  }
  const json table = r.figures["qualify"]["sfdp_timing"];
  ASSERT_EQ(table.size(), 5u);
  EXPECT_EQ(table[0]["sfdp_typical_us"], 48000);
  EXPECT_EQ(table[0]["datasheet_typical_us"], 45000);
  EXPECT_EQ(table[0]["tolerance_us"], 16000);
}

TEST(QualifySfdpTimingTest, ATypicalOffByMoreThanAStepOrATighterMaxFails) {
  json s = GoodSfdp();
  s["erase_times"][0]["typical_us"] = 96000;  // 45 ms datasheet, 16 ms step.
  s["erase_times"][0]["max_us"] = 96000 * 14;
  s["page_program_max_us"] = 1792;  // Datasheet max 3 ms: a driver would time out early.
  const RigReport r = Qualify(s);
  const json erase = CheckOf(r, "qualify/identity/sfdp_timing/erase_4096");
  EXPECT_FALSE(erase["passed"].get<bool>());
  EXPECT_NE(erase["message"].get<std::string>().find("typical differs"), std::string::npos);
  const json program = CheckOf(r, "qualify/identity/sfdp_timing/page_program");
  EXPECT_FALSE(program["passed"].get<bool>());
  EXPECT_NE(program["message"].get<std::string>().find("below the datasheet max"),
            std::string::npos);
  EXPECT_TRUE(CheckOf(r, "qualify/identity/sfdp_timing/erase_65536")["passed"].get<bool>());
}

}  // namespace
}  // namespace flashrig::hil
