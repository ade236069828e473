// `flashrig merge DIRS... --out DIR`: combines the reports of shards (or machines) of one
// campaign into one report.json / junit.xml / report.html.
#include <fmt/format.h>

#include "cli.h"
#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/merge/report_merge.h"

namespace flashrig::cli {

void AddMergeCommand(CLI::App& app, Context& ctx) {
  static std::vector<std::string> dirs;
  static std::string out;
  auto* cmd = app.add_subcommand("merge", "Combine the reports of several runs of one campaign");
  cmd->add_option("dirs", dirs, "Output directories of the runs (e.g. one per --shard)")
      ->required();
  cmd->add_option("--out", out, "Where to write the merged report")->required();
  cmd->footer(
      "Exit codes: as `run` for the merged verdict (0 pass, 1 failed or incomplete,\n"
      "3 device error); 2 if a report is missing, malformed or of another campaign.");
  cmd->callback([&ctx] {
    std::vector<hil::Report> reports;
    std::string error;
    for (const auto& d : dirs) {
      auto r = hil::ReadReportDir(d, &error);
      if (!r) {
        fmt::print(stderr, "flashrig merge: {}\n", error);
        ctx.exit_code = kExitBadInput;
        return;
      }
      reports.push_back(std::move(*r));
    }
    auto merged = hil::MergeReports(reports, dirs, &error);
    if (!merged) {
      fmt::print(stderr, "flashrig merge: {}\n", error);
      ctx.exit_code = kExitBadInput;
      return;
    }
    if (!hil::WriteReportFiles(*merged, out, &error).ok()) {
      fmt::print(stderr, "flashrig merge: {}\n", error);
      ctx.exit_code = kExitDeviceError;
      return;
    }
    const hil::RunStatus status = merged->OverallStatus();
    fmt::print("merged {} reports: {}; report: {}/report.html\n", reports.size(),
               hil::RunStatusName(status), out);
    ctx.exit_code = hil::ExitCodeFor(status);
  });
}

}  // namespace flashrig::cli
