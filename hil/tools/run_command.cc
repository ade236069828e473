// `flashrig run CONFIG [--out DIR] [--shard i/N] [--cut N]` and `flashrig run --resume DIR`:
// runs a campaign and writes report.json, junit.xml and report.html.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "cli.h"
#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/config/config.h"

namespace flashrig::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnSigint(int) {
  g_interrupted.store(true);
  // A second Ctrl-C kills the process the usual way (for a run stuck in a device call).
  std::signal(SIGINT, SIG_DFL);
}

// "2/4" -> index 1 of 4 (1-based on the command line, as people count shards).
bool ParseShard(const std::string& text, hil::Shard* shard) {
  unsigned i = 0, n = 0;
  char slash = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%u%c%u%c", &i, &slash, &n, &extra) != 3 || slash != '/' ||
      n == 0 || i == 0 || i > n) {
    return false;
  }
  *shard = {i - 1, n};
  return true;
}

struct RunArgs {
  std::string config;
  std::string out;
  std::string resume;
  std::string shard = "1/1";
  uint64_t cut = 0;
  double progress_interval_s = 5;
  bool quiet = false;
};

}  // namespace

void AddRunCommand(CLI::App& app, Context& ctx) {
  static RunArgs args;  // CLI11 binds options by pointer; lives for the process.
  auto* cmd = app.add_subcommand(
      "run", "Run a campaign (throughput, endurance, power_loss, qualify) and write its report");
  cmd->add_option("config", args.config, "Campaign JSON (configs/campaigns/*.json)");
  cmd->add_option("--out", args.out, "Output directory (default: the campaign's output_dir)");
  cmd->add_option("--resume", args.resume, "Continue the interrupted run in this output directory");
  cmd->add_option("--shard", args.shard, "Run only shard i of N (1-based), e.g. 2/4")
      ->capture_default_str();
  cmd->add_option("--cut", args.cut, "Power loss: replay only this cut point (from a report)");
  cmd->add_option("--progress-interval", args.progress_interval_s,
                  "Seconds between progress lines when stderr is not a terminal")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_flag("--quiet", args.quiet, "No progress output");
  cmd->footer(
      "Exit codes: 0 all checks passed, 1 a check failed or the run was interrupted,\n"
      "2 bad input (config, arguments; nothing was run or overwritten), 3 device error.");
  cmd->callback([&ctx] {
    if (args.config.empty() == args.resume.empty()) {
      fmt::print(stderr, "flashrig run: give either CONFIG or --resume DIR\n");
      ctx.exit_code = kExitBadInput;
      return;
    }
    hil::RunOptions options;
    if (!ParseShard(args.shard, &options.shard)) {
      fmt::print(stderr, "flashrig run: --shard: expected i/N with 1 <= i <= N, got \"{}\"\n",
                 args.shard);
      ctx.exit_code = kExitBadInput;
      return;
    }
    options.only_cut = args.cut;
    options.interrupt = &g_interrupted;
    options.progress_out = args.quiet ? nullptr : stderr;
    options.progress_tty = isatty(fileno(stderr)) != 0;
    options.progress_interval =
        std::chrono::milliseconds(static_cast<int64_t>(args.progress_interval_s * 1000));
    options.out_dir = args.out;
    std::signal(SIGINT, OnSigint);

    hil::RunResult result;
    if (!args.resume.empty()) {
      result = hil::ResumeCampaign(args.resume, options);
    } else {
      hil::ConfigErrors errors;
      auto config = hil::LoadCampaignFile(args.config, &errors);
      if (!config) {
        fmt::print(stderr, "{}", hil::FormatConfigErrors(errors));
        fmt::print(stderr, "flashrig run: {} error(s); nothing was run\n", errors.size());
        ctx.exit_code = kExitBadInput;
        return;
      }
      result = hil::RunCampaign(*config, options);
    }
    std::signal(SIGINT, SIG_DFL);
    fmt::print(
        result.exit_code == kExitBadInput || result.exit_code == kExitDeviceError ? stderr : stdout,
        "{}\n", result.message);
    ctx.exit_code = result.exit_code;
  });
}

}  // namespace flashrig::cli
