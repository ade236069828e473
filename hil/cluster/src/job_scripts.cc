// The task and merge scripts (bash). They check their own inputs (array index in range)
// and exit 2 with a message, as flashrig does for bad input.
#include "flashrig/hil/cluster/job_scripts.h"

#include <fmt/format.h>

namespace flashrig::hil {
namespace {

// The #SBATCH lines both scripts share.
std::string Header(const JobScriptParams& p, const std::string& name, const std::string& log) {
  return fmt::format(
      "#!/bin/bash\n"
      "#SBATCH --job-name={}\n"
      "#SBATCH --output={}\n"
      "#SBATCH --open-mode=append\n"
      "#SBATCH --chdir={}\n",
      name, log, p.workdir);
}

// The command that runs task $i fresh, as shell text.
std::string FreshRun(const JobScriptParams& p) {
  if (p.rigs.empty()) {
    return "\"$flashrig\" run \"$dir/campaign.json\" --shard auto --out \"$out\" "
           "--progress-interval 10";
  }
  return "\"$flashrig\" run \"$dir/campaign.json\" --rig \"$rig\" --out \"$out\" "
         "--progress-interval 10";
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string TaskScript(const JobScriptParams& p) {
  std::string rigs;
  for (const auto& r : p.rigs) {
    rigs += ' ';  // Two appends: " " + std::string trips GCC 12's false -Wrestrict at -O3.
    rigs += ShellQuote(r);
  }
  std::string s = Header(p, "flashrig-" + p.campaign, p.dir + "/logs/shard-%a.out");
  s += fmt::format(
      "#SBATCH --requeue\n"
      "# flashrig: one task of campaign {0} ({1} tasks), written by `flashrig slurm submit`.\n"
      "# Array index i runs task i of {1}. Resubmit one: flashrig slurm resubmit {2} --shard i\n"
      "# (or sbatch --array=i {2}/slurm/task.sh).\n"
      "set -u\n"
      "flashrig={3}\n"
      "dir={4}\n"
      "count={1}\n"
      "rigs=({5})\n"
      "i=${{SLURM_ARRAY_TASK_ID:-}}\n"
      "case $i in\n"
      "  '' | *[!0-9]*)\n"
      "    echo \"flashrig task: not a job array task (SLURM_ARRAY_TASK_ID='$i'); submit with "
      "sbatch --array=1-$count\" >&2\n"
      "    exit 2 ;;\n"
      "esac\n"
      "if ((i < 1 || i > count)); then\n"
      "  echo \"flashrig task: array index $i is outside 1-$count\" >&2\n"
      "  exit 2\n"
      "fi\n",
      p.campaign, p.count, p.dir, ShellQuote(p.flashrig), ShellQuote(p.dir), rigs);
  s += p.rigs.empty() ? "export FLASHRIG_SHARD=\"$i/$count\"\nwhat=\"shard $FLASHRIG_SHARD\"\n"
                      : "rig=${rigs[i-1]}\nwhat=\"rig $rig ($i of $count)\"\n";
  s += fmt::format(
      "out=\"$dir/shard-$i\"\n"
      "attempt=$((${{SLURM_RESTART_COUNT:-0}} + 1))\n"
      "job=\"${{SLURM_ARRAY_JOB_ID:-?}}_$i\"\n"
      "host=$(hostname)\n"
      "record() {{  # state [exit code]\n"
      "  mkdir -p \"$dir/status\"\n"
      "  printf '{{\"state\": \"%s\", \"exit_code\": %s, \"job\": \"%s\", \"attempt\": %d, "
      "\"host\": \"%s\", \"utc\": \"%s\"}}\\n' \"$1\" \"${{2:-null}}\" \"$job\" \"$attempt\" "
      "\"$host\" \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" > \"$dir/status/shard-$i.json.tmp\" &&\n"
      "    mv -f \"$dir/status/shard-$i.json.tmp\" \"$dir/status/shard-$i.json\"\n"
      "}}\n"
      "echo \"flashrig task: $what, job $job (id ${{SLURM_JOB_ID:-?}}), attempt $attempt, on "
      "$host at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
      "record running\n"
      "# Slurm sends SIGTERM to every process of the job on scancel, preemption and requeue;\n"
      "# flashrig stops at a checkpoint, and this script records how it ended.\n"
      "trap 'echo \"flashrig task: SIGTERM (cancelled, preempted or requeued)\"' TERM\n"
      "if [[ -f $out/checkpoint.json && -f $out/config.json ]]; then\n"
      "  echo \"flashrig task: resuming $out from its checkpoint\"\n"
      "  \"$flashrig\" run --resume \"$out\" --progress-interval 10\n"
      "else\n"
      "  {}\n"
      "fi\n"
      "rc=$?\n"
      "record exited \"$rc\"\n"
      "echo \"flashrig task: $what exited $rc\"\n"
      "exit \"$rc\"\n",
      FreshRun(p));
  return s;
}

std::string MergeScript(const JobScriptParams& p) {
  return Header(p, "flashrig-" + p.campaign + "-merge", p.dir + "/logs/merge.out") +
         fmt::format(
             "# flashrig: merges the tasks of campaign {} into {}/report.json (runs after all\n"
             "# of them, whether they passed or not).\n"
             "exec {} slurm merge {}\n",
             p.campaign, p.dir, ShellQuote(p.flashrig), ShellQuote(p.dir));
}

}  // namespace flashrig::hil
