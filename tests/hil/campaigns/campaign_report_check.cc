// Checks the output directory of a shipped campaign run (FLASHRIG_REPORT_DIR): report.json
// has every key and passed, junit.xml is well-formed and agrees with it, report.html is a
// complete page with charts. Run by ctest after each `flashrig run` of configs/campaigns.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "flashrig/hil/campaigns/runner.h"
#include "testing/xml_check.h"

namespace flashrig::hil {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(CampaignReportCheck, ReportJunitAndHtmlAreComplete) {
  const char* dir_env = std::getenv("FLASHRIG_REPORT_DIR");
  ASSERT_NE(dir_env, nullptr) << "set FLASHRIG_REPORT_DIR";
  const std::string dir = dir_env;
  const auto json = nlohmann::json::parse(Slurp(dir + "/report.json"));
  for (const char* key : {"format", "format_version", "campaign", "kind", "status", "seed",
                          "tool_version", "started_utc", "finished_utc", "config", "rigs"}) {
    EXPECT_TRUE(json.contains(key)) << "report.json lacks " << key;
  }
  std::string error;
  auto report = ReportFromJson(json, &error);
  ASSERT_TRUE(report.has_value()) << error;
  EXPECT_EQ(report->OverallStatus(), RunStatus::kPassed);
  size_t checks = 0;
  for (const auto& rig : report->rigs) {
    EXPECT_FALSE(rig.checks.empty()) << rig.rig;
    // Shipped sim campaigns run on virtual time; a RAM rig has no time model (host time).
    EXPECT_EQ(rig.timing, rig.target.starts_with("ram:") ? "measured" : "modelled") << rig.rig;
    checks += rig.checks.size();
    // Each kind leaves its own figures (qualify nests endurance and power_loss too).
    EXPECT_TRUE(rig.figures.contains(report->kind)) << rig.rig << " lacks figures." << report->kind;
    for (const auto& c : rig.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  }
  const std::string xml = Slurp(dir + "/junit.xml");
  EXPECT_EQ(testing::CheckWellFormedXml(xml), "");
  EXPECT_NE(xml.find("tests=\"" + std::to_string(checks) + "\" failures=\"0\" errors=\"0\""),
            std::string::npos);
  const std::string html = Slurp(dir + "/report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace flashrig::hil
