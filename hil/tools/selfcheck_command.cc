// `flashrig selfcheck`: runs the RAM-flash self-check and prints one line per check.
#include <fmt/format.h>

#include "cli.h"
#include "flashrig/hil/campaigns/selfcheck.h"

namespace flashrig::cli {

void AddSelfcheckCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("selfcheck", "Check the NOR flash model on a RAM flash");
  static uint64_t seed_value = 1;  // CLI11 binds options by pointer; lives for the process.
  uint64_t* seed = &seed_value;
  cmd->add_option("--seed", *seed, "Seed for random patterns and tears")->capture_default_str();
  cmd->callback([&ctx, seed] {
    int failed = 0;
    const auto results = hil::RunRamFlashSelfcheck(*seed);
    for (const auto& r : results) {
      fmt::print("{:<18} {}  {}\n", r.name, r.passed ? "PASS" : "FAIL", r.detail);
      if (!r.passed) ++failed;
    }
    fmt::print("selfcheck: {} ({} checks, {} failed, seed {})\n", failed ? "FAIL" : "PASS",
               results.size(), failed, *seed);
    ctx.exit_code = failed ? kExitCheckFailed : kExitOk;
  });
}

}  // namespace flashrig::cli
