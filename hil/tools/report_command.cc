// `flashrig report DIR`: re-renders junit.xml and report.html from DIR/report.json.
#include <fmt/format.h>

#include "cli.h"
#include "flashrig/hil/campaigns/runner.h"

namespace flashrig::cli {

void AddReportCommand(CLI::App& app, Context& ctx) {
  static std::string dir;
  auto* cmd = app.add_subcommand("report", "Re-render junit.xml and report.html from report.json");
  cmd->add_option("dir", dir, "A run's output directory")->required();
  cmd->footer("Exit codes: 0 rendered, 2 missing or malformed report.json, 3 cannot write.");
  cmd->callback([&ctx] {
    std::string error;
    auto report = hil::ReadReportDir(dir, &error);
    if (!report) {
      fmt::print(stderr, "flashrig report: {}\n", error);
      ctx.exit_code = kExitBadInput;
      return;
    }
    if (!hil::WriteReportFiles(*report, dir, &error).ok()) {
      fmt::print(stderr, "flashrig report: {}\n", error);
      ctx.exit_code = kExitDeviceError;
      return;
    }
    fmt::print("{} {}: {}; wrote {}/junit.xml and {}/report.html\n", report->kind, report->campaign,
               hil::RunStatusName(report->OverallStatus()), dir, dir);
    ctx.exit_code = kExitOk;
  });
}

}  // namespace flashrig::cli
