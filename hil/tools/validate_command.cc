// `flashrig validate CONFIG...`: checks campaign, rig and part files and prints every error with
// file, JSON pointer and expectation. Runs nothing.
#include <fmt/format.h>

#include "cli.h"
#include "flashrig/hil/config/config.h"

namespace flashrig::cli {

void AddValidateCommand(CLI::App& app, Context& ctx) {
  static std::vector<std::string> files;
  auto* cmd =
      app.add_subcommand("validate", "Check campaign, rig and part files without running anything");
  cmd->add_option("configs", files, "Campaign, rig or part JSON files")->required();
  cmd->footer("Exit codes: 0 all valid, 2 at least one file has errors.");
  cmd->callback([&ctx] {
    size_t bad = 0;
    for (const auto& file : files) {
      hil::ConfigErrors errors;
      hil::ConfigFileKind kind = hil::ConfigFileKind::kCampaign;
      if (hil::ValidateConfigFile(file, &errors, &kind)) {
        fmt::print("{}: ok ({})\n", file,
                   kind == hil::ConfigFileKind::kCampaign ? "campaign"
                   : kind == hil::ConfigFileKind::kPart   ? "part"
                                                          : "rig");
      } else {
        ++bad;
        fmt::print(stderr, "{}", hil::FormatConfigErrors(errors));
      }
    }
    if (bad > 0)
      fmt::print(stderr, "flashrig validate: {} of {} file(s) invalid\n", bad, files.size());
    ctx.exit_code = bad > 0 ? kExitBadInput : kExitOk;
  });
}

}  // namespace flashrig::cli
