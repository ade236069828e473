// Reports: JSON round trip and validation, JUnit well-formedness and counts, the HTML
// page (self-contained, escaped, charts present), latency statistics.
#include "flashrig/hil/report/report.h"

#include <gtest/gtest.h>

#include "flashrig/hil/report/html_report.h"
#include "flashrig/hil/report/junit.h"
#include "flashrig/hil/report/latency_histogram.h"
#include "testing/xml_check.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;
using testing::CheckWellFormedXml;

Report Sample() {
  Report r;
  r.campaign = "c1";
  r.kind = "endurance";
  r.seed = 42;
  r.tool_version = ToolVersion();
  r.started_utc = "2026-01-01T00:00:00Z";
  r.finished_utc = "2026-01-01T00:01:00Z";
  r.config = {{"name", "c1"}};
  RigReport a;
  a.rig = "rig<a>";
  a.target = "ram:4096x8";
  a.timing = "modelled";
  a.status = RunStatus::kFailed;
  a.duration_s = 1.5;
  a.AddCheck("endurance/cycles", true, "10 of 10");
  a.AddCheck("endurance/bit_errors", false, "3 bit errors <script>alert(1)</script> & \"more\"");
  LatencyStats s;
  for (uint64_t v : {100, 200, 300, 400, 5000}) s.Add(v * 1000);
  a.figures["throughput"] = {{"timing", "modelled"},
                             {"raw", json::array({{{"op", "read"},
                                                   {"size_bytes", 256},
                                                   {"ops_per_s", 10.0},
                                                   {"mb_per_s", 1.0},
                                                   {"latency", s.ToJson()}}})},
                             {"kv", json::array()}};
  a.figures["endurance"] = {{"cycles_done", 10},
                            {"target_cycles", 10},
                            {"sector_count", 16},
                            {"erase_max_us", 400000},
                            {"curve", json::array({{{"cycle", 5}, {"erase_us_mean", 45000.0}},
                                                   {{"cycle", 10}, {"erase_us_mean", 46000.0}}})},
                            {"sectors", json::array({{{"index", 3}, {"cycles", 10}}})}};
  a.figures["power_loss"] = {{"cut_points", 1},
                             {"failures", 1},
                             {"outcomes", json::array({{{"cut", 7},
                                                        {"outcome", "failed"},
                                                        {"detail", "k1 lost"},
                                                        {"replay", "flashrig run x --cut 7"}}})}};
  RigReport b;
  b.rig = "b";
  b.target = "sim:x.json";
  b.timing = "modelled";
  b.status = RunStatus::kDeviceError;
  b.error = "kUnavailable";
  r.rigs = {a, b};
  return r;
}

TEST(ReportTest, JsonRoundTripKeepsEverything) {
  const Report r = Sample();
  const json j = ReportToJson(r);
  EXPECT_EQ(j["format"], "flashrig-report");
  EXPECT_EQ(j["status"], "device_error");
  for (const char* key : {"campaign", "kind", "seed", "tool_version", "started_utc", "finished_utc",
                          "config", "rigs"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  std::string error;
  auto back = ReportFromJson(j, &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(ReportToJson(*back), j);
}

TEST(ReportTest, MalformedReportNamesThePointer) {
  json j = ReportToJson(Sample());
  j["rigs"][1]["status"] = "sideways";
  std::string error;
  EXPECT_FALSE(ReportFromJson(j, &error).has_value());
  EXPECT_EQ(error, "/rigs/1/status: unknown status \"sideways\"");
  j = ReportToJson(Sample());
  j["seed"] = "x";
  EXPECT_FALSE(ReportFromJson(j, &error).has_value());
  EXPECT_EQ(error.rfind("/seed: ", 0), 0u) << error;
  EXPECT_FALSE(ReportFromJson(json::array(), &error).has_value());
  // Numbers that nlohmann would convert with undefined behaviour are refused instead.
  for (const json& bad : {json(1e30), json(-1), json(2.5)}) {
    j = ReportToJson(Sample());
    j["seed"] = bad;
    EXPECT_FALSE(ReportFromJson(j, &error).has_value()) << bad;
    EXPECT_EQ(error.rfind("/seed: expected an integer", 0), 0u) << error;
    j = ReportToJson(Sample());
    j["rigs"][0]["shard"]["count"] = bad;
    EXPECT_FALSE(ReportFromJson(j, &error).has_value()) << bad;
    EXPECT_EQ(error.rfind("/rigs/0: expected an integer", 0), 0u) << error;
  }
  j = ReportToJson(Sample());
  j["rigs"][0]["shard"]["index"] = 4294967296;
  EXPECT_FALSE(ReportFromJson(j, &error).has_value());
}

TEST(ReportTest, ExitCodesFollowTheWorstRig) {
  Report r = Sample();
  EXPECT_EQ(ExitCodeFor(r.OverallStatus()), 3);
  r.rigs.pop_back();
  EXPECT_EQ(ExitCodeFor(r.OverallStatus()), 1);
  r.rigs[0].status = RunStatus::kInterrupted;
  EXPECT_EQ(ExitCodeFor(r.OverallStatus()), 1);
  r.rigs[0].status = RunStatus::kPassed;
  EXPECT_EQ(ExitCodeFor(r.OverallStatus()), 0);
}

TEST(JunitTest, WellFormedWithOneTestCasePerCheckAndErrorsForDeviceFailures) {
  const std::string xml = RenderJunit(Sample());
  EXPECT_EQ(CheckWellFormedXml(xml), "") << xml;
  EXPECT_NE(xml.find("<testsuites name=\"flashrig endurance c1\" tests=\"3\" failures=\"1\" "
                     "errors=\"1\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("name=\"c1.rig&lt;a&gt;\""), std::string::npos);
  EXPECT_NE(xml.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;"),
            std::string::npos);
  EXPECT_NE(xml.find("<error message=\"device error: kUnavailable\">"), std::string::npos);
}

TEST(JunitTest, CheckerRejectsBrokenXml) {
  EXPECT_NE(CheckWellFormedXml("<?xml version=\"1.0\"?><a><b></a>"), "");
  EXPECT_NE(CheckWellFormedXml("<?xml version=\"1.0\"?><a x=1/>"), "");
  EXPECT_NE(CheckWellFormedXml("<?xml version=\"1.0\"?><a>&nbsp;</a>"), "");
  EXPECT_NE(CheckWellFormedXml("<?xml version=\"1.0\"?><a/><b/>"), "");
  EXPECT_EQ(CheckWellFormedXml("<?xml version=\"1.0\"?><a x=\"&lt;\">t&#10;</a>"), "");
}

TEST(HtmlReportTest, SelfContainedEscapedPageWithCharts) {
  const std::string html = RenderHtml(Sample());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // Escaped, and we add none.
  EXPECT_NE(html.find("&lt;script&gt;alert(1)"), std::string::npos);
  // No network: the only URL is the SVG namespace identifier.
  size_t at = 0, urls = 0;
  while ((at = html.find("http", at)) != std::string::npos) {
    EXPECT_EQ(html.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(at, 60);
    ++at;
    ++urls;
  }
  EXPECT_GT(urls, 0u);
  EXPECT_NE(html.find("read 256 B latency"), std::string::npos);        // Histogram.
  EXPECT_NE(html.find("Erase busy time vs cycle"), std::string::npos);  // Curve.
  EXPECT_NE(html.find("Wear per sector"), std::string::npos);           // Heat map.
  EXPECT_NE(html.find("flashrig run x --cut 7"), std::string::npos);    // Outcome table.
  EXPECT_NE(html.find("class=\"badge device_error\""), std::string::npos);
}

TEST(HtmlReportTest, RendersAReportWithoutFigures) {
  Report r = Sample();
  for (auto& rig : r.rigs) rig.figures = json::object();
  r.rigs[0].figures["endurance"] = {{"curve", "not an array"}};
  EXPECT_NE(RenderHtml(r).find("</html>"), std::string::npos);
  // Figures of the wrong shape (a hand-edited report.json) used to throw out of the
  // renderer and abort `flashrig report`; now the page says what it skipped.
  r.rigs[0].figures = {{"throughput", "text"}, {"qualify", {{"timing", 5}}}};
  r.rigs[1].figures = {{"throughput", {{"raw", {{{"latency", {{"histogram", 3}}}}}}}}};
  std::string html;
  ASSERT_NO_THROW(html = RenderHtml(r));
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_NE(html.find("figures not shown: malformed in report.json"), std::string::npos);
}

TEST(LatencyStatsTest, NearestRankPercentilesAndHistogram) {
  LatencyStats s;
  EXPECT_EQ(s.Percentile(50), 0u);
  for (uint64_t v = 1; v <= 100; ++v) s.Add(v * 10);
  EXPECT_EQ(s.Percentile(50), 500u);
  EXPECT_EQ(s.Percentile(90), 900u);
  EXPECT_EQ(s.Percentile(99), 990u);
  EXPECT_EQ(s.max_ns(), 1000u);
  EXPECT_DOUBLE_EQ(s.mean_ns(), 505.0);
  const json j = s.ToJson(8);
  uint64_t total = 0;
  for (uint64_t c : j["histogram"]["counts"]) total += c;
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(j["histogram"]["edges_ns"].size(), 9u);
  EXPECT_EQ(j["histogram"]["edges_ns"][0], 10);
  EXPECT_EQ(j["histogram"]["edges_ns"][8], 1001);
}

}  // namespace
}  // namespace flashrig::hil
