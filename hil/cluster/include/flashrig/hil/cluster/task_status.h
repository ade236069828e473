// What became of a submission's tasks (`flashrig slurm status`), waiting for its merged
// verdict (`submit --wait`), and the merge job itself (`flashrig slurm merge`). A task's
// state comes from Slurm while the controller knows the job, and from the files the task
// wrote (status/shard-I.json, shard-I/report.json): Slurm alone can say COMPLETED for a
// task that never ran.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "flashrig/hil/cluster/slurm.h"
#include "flashrig/hil/cluster/submission.h"

namespace flashrig::hil {

struct TaskState {
  uint32_t task = 0;      // 1-based.
  std::string what{};     // "shard 2/4" or "rig NAME".
  std::string state{};    // "pending" | "running" | "done" | "failed" | "unknown".
  std::string verdict{};  // Its report's status ("passed", ...), or "-".
  std::string job{};      // Latest job id ("12_2").
  uint32_t attempt = 0;   // Runs of that job so far (requeues + 1); 0 = not started.
  std::string host{};
  std::string note{};  // Why failed, Slurm's reason, ...
};

struct SubmissionStatus {
  std::vector<TaskState> tasks{};
  std::string merge_job{}, merge_state{};  // merge_state: Slurm's, or "done"/"unknown".
  std::string slurm_error{};               // Set when Slurm could not be asked.
  bool AllDonePassed() const;
};

SubmissionStatus QueryStatus(Slurm& slurm, const SlurmSubmission& s);
// The table `flashrig slurm status` prints.
std::string FormatStatus(const SlurmSubmission& s, const SubmissionStatus& status);

// Polls every `poll` until the merge job has ended, printing each task's changes to
// `log`; then reads DIR/report.json. Returns the merged verdict's exit code (0 / 1 / 3),
// or 3 when the merge left no report or Slurm stayed unreachable; 1 after `timeout`
// (0 = none).
int WaitForMerge(Slurm& slurm, const SlurmSubmission& s, std::chrono::milliseconds poll,
                 std::chrono::seconds timeout, std::FILE* log);

// The merge job: merges DIR/shard-1..N (a task without a report is named, with its exit
// record) into DIR/report.json, junit.xml and report.html, prints which tasks failed and
// returns the verdict's exit code (2 if nothing could be merged).
int RunMergeJob(const SlurmSubmission& s, std::FILE* out, std::FILE* err);

}  // namespace flashrig::hil
