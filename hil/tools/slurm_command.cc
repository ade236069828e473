// `flashrig slurm submit|resubmit|status|merge`: a campaign sharded over a Slurm cluster
// in one command (hil/cluster does the work).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "cli.h"
#include "flashrig/hil/cluster/submission.h"
#include "flashrig/hil/cluster/task_status.h"

namespace flashrig::cli {
namespace {

struct SlurmArgs {
  std::string campaign, out, dir, rig_constraint;
  uint32_t shards = 0, shard = 0;
  bool per_rig = false, wait = false, fresh = false;
  double poll_s = 1.0;
  uint64_t wait_timeout_s = 0;
  std::vector<std::string> sbatch_args;
};

std::string SelfPath() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("flashrig") : p.string();
}

// Prints the outcome; with --wait then waits for the merged verdict.
int Finish(const hil::SubmitOutcome& outcome, const SlurmArgs& a, hil::Slurm& slurm) {
  if (outcome.exit_code != 0) {
    fmt::print(stderr, "flashrig slurm: {}\n", outcome.message);
    return outcome.exit_code;
  }
  fmt::print("{}\n", outcome.message);
  std::fflush(stdout);
  if (!a.wait) return kExitOk;
  return hil::WaitForMerge(slurm, *outcome.submission,
                           std::chrono::milliseconds(static_cast<int64_t>(a.poll_s * 1000)),
                           std::chrono::seconds(a.wait_timeout_s), stdout);
}

void AddWaitOptions(CLI::App* cmd, SlurmArgs& a) {
  cmd->add_flag("--wait", a.wait, "Wait for the merged report and exit with its verdict (0/1/3)");
  cmd->add_option("--poll", a.poll_s, "Seconds between polls while waiting")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--wait-timeout", a.wait_timeout_s,
                  "Give up waiting after this many s (0 = never)")
      ->capture_default_str();
}

void AddSubmit(CLI::App* parent, SlurmArgs& a, Context& ctx) {
  auto* cmd = parent->add_subcommand("submit",
                                     "Submit a campaign as a job array of shards plus a merge job");
  cmd->add_option("campaign", a.campaign, "Campaign JSON")->required();
  cmd->add_option("sbatch_args", a.sbatch_args, "After --: arguments for every sbatch");
  cmd->add_option("--shards", a.shards, "Number of shards (array tasks)");
  cmd->add_flag("--per-rig", a.per_rig, "One task per rig of the campaign (a rig farm)");
  cmd->add_option("--rig-constraint", a.rig_constraint,
                  "Per-rig mode: sbatch --constraint for each rig's task; {rig} = its name");
  cmd->add_option("--out", a.out, "Submission directory (default: the campaign's output_dir)");
  AddWaitOptions(cmd, a);
  cmd->footer(
      "Exit codes: 0 submitted (with --wait: merged report passed), 1 merged report failed,\n"
      "2 bad input (nothing submitted), 3 Slurm refused, or the merge left no report.");
  cmd->callback([&a, &ctx] {
    if ((a.shards > 0) == a.per_rig) {
      fmt::print(stderr, "flashrig slurm submit: give either --shards N or --per-rig\n");
      ctx.exit_code = kExitBadInput;
      return;
    }
    hil::CommandSlurm slurm;
    hil::SubmitRequest r{.campaign_file = a.campaign,
                         .shards = a.shards,
                         .per_rig = a.per_rig,
                         .rig_constraint = a.rig_constraint,
                         .out_dir = a.out,
                         .workdir = std::filesystem::current_path().string(),
                         .flashrig = SelfPath(),
                         .sbatch_args = a.sbatch_args};
    ctx.exit_code = Finish(hil::SubmitCampaign(slurm, r), a, slurm);
  });
}

void AddResubmit(CLI::App* parent, SlurmArgs& a, Context& ctx) {
  auto* cmd = parent->add_subcommand("resubmit", "Run one task of a submission again, then merge");
  cmd->add_option("dir", a.dir, "Submission directory")->required();
  cmd->add_option("--shard", a.shard, "The task (shard) to run again, 1-based")->required();
  cmd->add_flag("--fresh", a.fresh, "Start it over even if it could resume from its checkpoint");
  AddWaitOptions(cmd, a);
  cmd->callback([&a, &ctx] {
    hil::CommandSlurm slurm;
    ctx.exit_code = Finish(hil::ResubmitTask(slurm, a.dir, a.shard, a.fresh), a, slurm);
  });
}

void AddStatus(CLI::App* parent, SlurmArgs& a, Context& ctx) {
  auto* cmd = parent->add_subcommand("status", "Show which tasks are done, running or failed");
  cmd->add_option("dir", a.dir, "Submission directory")->required();
  cmd->footer("Exit codes: 0 every task done and passed, 1 otherwise, 2 not a submission.");
  cmd->callback([&a, &ctx] {
    std::string error;
    auto s = hil::ReadSubmission(a.dir, &error);
    if (!s) {
      fmt::print(stderr, "flashrig slurm status: {}\n", error);
      ctx.exit_code = kExitBadInput;
      return;
    }
    hil::CommandSlurm slurm;
    const hil::SubmissionStatus st = hil::QueryStatus(slurm, *s);
    fmt::print("{}", hil::FormatStatus(*s, st));
    ctx.exit_code = st.AllDonePassed() ? kExitOk : kExitCheckFailed;
  });
}

void AddMergeJob(CLI::App* parent, SlurmArgs& a, Context& ctx) {
  auto* cmd = parent->add_subcommand(
      "merge", "Merge a submission's tasks into DIR/report.json (what the merge job runs)");
  cmd->add_option("dir", a.dir, "Submission directory")->required();
  cmd->callback([&a, &ctx] {
    std::string error;
    auto s = hil::ReadSubmission(a.dir, &error);
    if (!s) {
      fmt::print(stderr, "flashrig slurm merge: {}\n", error);
      ctx.exit_code = kExitBadInput;
      return;
    }
    ctx.exit_code = hil::RunMergeJob(*s, stdout, stderr);
  });
}

}  // namespace

void AddSlurmCommand(CLI::App& app, Context& ctx) {
  static SlurmArgs args;  // CLI11 binds options by pointer; lives for the process.
  auto* slurm = app.add_subcommand("slurm", "Shard a campaign over a Slurm cluster");
  slurm->require_subcommand(1);
  AddSubmit(slurm, args, ctx);
  AddResubmit(slurm, args, ctx);
  AddStatus(slurm, args, ctx);
  AddMergeJob(slurm, args, ctx);
}

}  // namespace flashrig::cli
