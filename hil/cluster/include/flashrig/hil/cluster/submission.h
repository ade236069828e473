// A campaign submitted to Slurm: the submission directory's manifest (DIR/slurm.json) and
// the operations on it. Layout of DIR:
//   slurm.json            this manifest          campaign.json   the resolved campaign
//   slurm/task.sh, merge.sh   the batch scripts  logs/           their output (appended)
//   shard-I/              task I's run           status/shard-I.json  its last state
//   report.json, junit.xml, report.html          the merged report (merge job)
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/hil/cluster/slurm.h"

namespace flashrig::hil {

struct SlurmSubmission {
  std::string dir{};                // Absolute.
  std::string campaign{};           // Its name.
  std::string workdir{};            // Where the tasks run (relative config paths start here).
  std::string flashrig{};           // The binary the tasks run.
  uint32_t count = 0;               // Tasks: shards, or rigs in per-rig mode.
  std::vector<std::string> rigs{};  // Per-rig mode: task i runs rigs[i-1].
  std::string rig_constraint{};     // Per-rig mode: --constraint template ({rig}).
  std::vector<std::string> sbatch_args{};             // Passed to every sbatch.
  std::vector<std::vector<std::string>> task_jobs{};  // Per task: its jobs, latest last.
  std::vector<std::string> merge_jobs{};              // Latest last.
  std::string submitted_utc{};
};

// Reads DIR/slurm.json; nullopt with *error if DIR is not a submission directory.
std::optional<SlurmSubmission> ReadSubmission(const std::string& dir, std::string* error);
// Writes it atomically.
bool WriteSubmission(const SlurmSubmission& s, std::string* error);

struct SubmitRequest {
  std::string campaign_file{};
  uint32_t shards = 0;   // Shard mode: N >= 1.
  bool per_rig = false;  // Per-rig mode: one task per rig of the campaign.
  std::string rig_constraint{};
  std::string out_dir{};   // "" = the campaign's output_dir.
  std::string workdir{};   // Usually the current directory.
  std::string flashrig{};  // Usually /proc/self/exe.
  std::vector<std::string> sbatch_args{};
};

struct SubmitOutcome {
  int exit_code = 0;      // 0 submitted; 2 bad input; 3 the scheduler refused.
  std::string message{};  // Job ids, or the error.
  std::optional<SlurmSubmission> submission{};
};

// Loads the campaign (exit 2 on errors, nothing submitted), prepares DIR, writes the
// scripts and submits the array (per-rig mode: one single-task array per rig, each with
// its constraint) and the merge job (afterany on all of them).
SubmitOutcome SubmitCampaign(Slurm& slurm, const SubmitRequest& request);

// Submits task `task` (1-based) of `dir` again, then a new merge job after it. A task
// whose run is finished (passed, failed or device error) starts afresh, the old run kept
// as shard-I.attempt-K; an unfinished one resumes from its checkpoint. `fresh` forces a
// fresh start.
SubmitOutcome ResubmitTask(Slurm& slurm, const std::string& dir, uint32_t task, bool fresh);

// DIR/status/shard-I.json as the task script writes it.
struct TaskRecord {
  std::string state{};  // "running" | "exited" | "" (none).
  std::optional<int> exit_code{};
  std::string job{}, host{}, utc{};
  uint32_t attempt = 0;
};
TaskRecord ReadTaskRecord(const std::string& dir, uint32_t task);

// `sbatch` time arguments with spaces would not survive #SBATCH lines: "" or why `path`
// cannot be used as a submission or working directory.
std::string UnusableForSbatch(const std::string& path);

}  // namespace flashrig::hil
