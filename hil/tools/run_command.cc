// `flashrig run CONFIG [--out DIR] [--shard i/N|auto] [--rig NAME] [--cut N]` and
// `flashrig run --resume DIR`: runs a campaign and writes report.json, junit.xml and
// report.html. SIGINT and SIGTERM (a scheduler's cancel, preemption or requeue) stop it
// cleanly at a checkpoint.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "cli.h"
#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/cluster/shard_env.h"
#include "flashrig/hil/config/config.h"

namespace flashrig::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnRunStopSignal(int sig) {
  g_interrupted.store(true);
  // A second one kills the process the usual way (for a run stuck in a device call).
  std::signal(sig, SIG_DFL);
}

// --shard: "i/N" (1-based), or "auto" from the scheduler's environment (which it says on
// stderr, so a job log shows the shard it ran). false after printing why not.
bool ResolveShard(const std::string& text, hil::Shard* shard) {
  if (text != "auto") {
    if (hil::ParseShardText(text, shard)) return true;
    fmt::print(stderr,
               "flashrig run: --shard: expected i/N with 1 <= i <= N, or auto; got \"{}\"\n", text);
    return false;
  }
  std::string error;
  auto from_env =
      hil::ShardFromEnvironment([](const char* name) { return std::getenv(name); }, &error);
  if (!from_env) {
    fmt::print(stderr, "flashrig run: --shard auto: {}\n", error);
    return false;
  }
  *shard = from_env->shard;
  fmt::print(stderr, "flashrig run: shard {}/{} (from {})\n", shard->index + 1, shard->count,
             from_env->source);
  return true;
}

struct RunArgs {
  std::string config;
  std::string out;
  std::string resume;
  std::string shard = "1/1";
  std::vector<std::string> rigs;
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
  cmd->add_option("--shard", args.shard,
                  "Run only shard i of N (1-based), e.g. 2/4; auto = from FLASHRIG_SHARD, a "
                  "Slurm job array or GitLab parallel:")
      ->capture_default_str();
  cmd->add_option("--rig", args.rigs, "Run only this rig of the campaign (repeatable; rig farms)");
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
    if (!ResolveShard(args.shard, &options.shard)) {
      ctx.exit_code = kExitBadInput;
      return;
    }
    options.only_rigs = args.rigs;
    options.only_cut = args.cut;
    options.interrupt = &g_interrupted;
    options.progress_out = args.quiet ? nullptr : stderr;
    options.progress_tty = isatty(fileno(stderr)) != 0;
    options.progress_interval =
        std::chrono::milliseconds(static_cast<int64_t>(args.progress_interval_s * 1000));
    options.out_dir = args.out;
    std::signal(SIGINT, OnRunStopSignal);
    std::signal(SIGTERM, OnRunStopSignal);

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
    std::signal(SIGTERM, SIG_DFL);
    fmt::print(
        result.exit_code == kExitBadInput || result.exit_code == kExitDeviceError ? stderr : stdout,
        "{}\n", result.message);
    ctx.exit_code = result.exit_code;
  });
}

}  // namespace flashrig::cli
