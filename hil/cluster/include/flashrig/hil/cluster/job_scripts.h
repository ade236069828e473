// The batch scripts `flashrig slurm submit` writes: one task script for the job array
// (array index i = shard i, 1-based) and one merge script. Everything a task needs is
// baked in (absolute paths, N), so a task resubmitted by hand (`sbatch --array=2
// DIR/slurm/task.sh`) still runs shard 2 of N, not the whole campaign.
#pragma once

#include <string>
#include <vector>

namespace flashrig::hil {

struct JobScriptParams {
  std::string campaign{};           // Name, for job names.
  std::string dir{};                // The submission directory (absolute).
  std::string workdir{};            // Where tasks run: campaign paths are relative to it.
  std::string flashrig{};           // The flashrig binary (absolute).
  uint32_t count = 1;               // Shards, or rigs in per-rig mode.
  std::vector<std::string> rigs{};  // Per-rig mode: task i runs rigs[i-1]; empty = shards.
};

// Task i: sets FLASHRIG_SHARD=i/N (or takes rig i), runs `flashrig run DIR/campaign.json
// --shard auto --out DIR/shard-i`, or `flashrig run --resume DIR/shard-i` when a
// checkpoint is there (a preempted or requeued task resumes rather than restarting),
// records DIR/status/shard-i.json (running, then the exit code) and exits with the run's
// code. Output appends to DIR/logs/shard-i.out across requeues.
std::string TaskScript(const JobScriptParams& p);

// Runs `flashrig slurm merge DIR`: the merged report, naming the shards that failed.
std::string MergeScript(const JobScriptParams& p);

// `s` quoted for a POSIX shell (single quotes).
std::string ShellQuote(const std::string& s);

}  // namespace flashrig::hil
