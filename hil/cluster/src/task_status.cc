// Task states, the --wait loop and the merge job.
#include "flashrig/hil/cluster/task_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/merge/report_merge.h"

namespace flashrig::hil {
namespace {

std::string WhatOf(const SlurmSubmission& s, uint32_t task) {
  return s.rigs.empty() ? fmt::format("shard {}/{}", task, s.count)
                        : fmt::format("rig {}", s.rigs[task - 1]);
}

// How many checks of `report` failed, as a note ("" if none).
std::string FailedChecks(const Report& report) {
  size_t failed = 0;
  for (const auto& rr : report.rigs) {
    for (const auto& c : rr.checks) failed += c.passed ? 0 : 1;
  }
  return failed ? fmt::format("{} checks failed", failed) : "";
}

// The state of one task from what Slurm says (`job`, null if it no longer knows it) and
// what the task recorded itself.
void Classify(const SlurmJob* job, const TaskRecord& rec, bool record_current, TaskState* t) {
  if (job != nullptr && SlurmStateIsPending(job->state)) {
    t->state = "pending";
    t->note = job->reason == "None" ? job->state : job->state + " (" + job->reason + ")";
  } else if (job != nullptr && !SlurmStateIsFinal(job->state)) {
    t->state = "running";
  } else if (record_current && rec.state == "exited" && rec.exit_code) {
    t->state = *rec.exit_code == 0 ? "done" : "failed";
    if (*rec.exit_code != 0) t->note = fmt::format("exit {}", *rec.exit_code);
  } else if (job != nullptr) {
    // Ended in Slurm's eyes, but the task never recorded an exit: killed, or never ran.
    t->state = "failed";
    t->note = fmt::format("Slurm says {} {} (exit {}), but the task recorded no exit{}", job->state,
                          job->reason, job->exit_code,
                          record_current ? " (killed while running?)" : " (it never ran?)");
  } else if (record_current && rec.state == "running") {
    t->state = "unknown";
    t->note = fmt::format("last seen running on {} at {}; Slurm no longer knows the job", rec.host,
                          rec.utc);
  } else {
    t->state = "unknown";
    t->note = "no record, and Slurm no longer knows the job";
  }
}

}  // namespace

bool SubmissionStatus::AllDonePassed() const {
  return !tasks.empty() && std::all_of(tasks.begin(), tasks.end(), [](const TaskState& t) {
    return t.state == "done" && t.verdict == "passed";
  });
}

SubmissionStatus QueryStatus(Slurm& slurm, const SlurmSubmission& s) {
  SubmissionStatus status;
  std::set<std::string> ids;
  for (const auto& jobs : s.task_jobs) {
    if (!jobs.empty()) ids.insert(jobs.back().substr(0, jobs.back().find('_')));
  }
  if (!s.merge_jobs.empty()) ids.insert(s.merge_jobs.back());
  std::map<std::string, SlurmJob> known;
  auto jobs = slurm.Query({ids.begin(), ids.end()}, &status.slurm_error);
  if (jobs) {
    for (auto& j : *jobs) known[j.id] = j;
  }
  for (uint32_t t = 1; t <= s.count; ++t) {
    TaskState ts;
    ts.task = t;
    ts.what = WhatOf(s, t);
    ts.job = s.task_jobs[t - 1].empty() ? "" : s.task_jobs[t - 1].back();
    const auto it = known.find(ts.job);
    const SlurmJob* job = it == known.end() ? nullptr : &it->second;
    const TaskRecord rec = ReadTaskRecord(s.dir, t);
    const bool current = !rec.state.empty() && rec.job == ts.job;
    Classify(job, rec, current, &ts);
    ts.attempt = job ? job->restarts + 1 : current ? rec.attempt : 0;
    if (job != nullptr && SlurmStateIsPending(job->state) && job->restarts == 0) ts.attempt = 0;
    ts.host = job && !job->node.empty() ? job->node : current ? rec.host : "";
    std::string why;
    ts.verdict.assign(1, '-');  // Not = "-": GCC 12's false -Wrestrict at -O3.
    if (auto report = ReadReportDir(fmt::format("{}/shard-{}", s.dir, t), &why)) {
      ts.verdict = RunStatusName(report->OverallStatus());
      if (const std::string f = FailedChecks(*report); !f.empty()) {
        ts.note += (ts.note.empty() ? "" : "; ") + f;
      }
    }
    status.tasks.push_back(std::move(ts));
  }
  if (!s.merge_jobs.empty()) {
    status.merge_job = s.merge_jobs.back();
    const auto it = known.find(status.merge_job);
    status.merge_state = it != known.end() ? it->second.state : jobs ? "unknown" : "?";
  }
  return status;
}

std::string FormatStatus(const SlurmSubmission& s, const SubmissionStatus& st) {
  std::string out = fmt::format("campaign {}: {} {} in {}\n", s.campaign, s.count,
                                s.rigs.empty() ? "shards" : "per-rig tasks", s.dir);
  if (!st.slurm_error.empty())
    out += "slurm: unreachable (" + st.slurm_error + "); from files only\n";
  out += fmt::format("{:<22} {:<8} {:<12} {:<12} {:<7} {:<10} {}\n", "task", "state", "verdict",
                     "job", "attempt", "host", "note");
  for (const auto& t : st.tasks) {
    out += fmt::format("{:<22} {:<8} {:<12} {:<12} {:<7} {:<10} {}\n", t.what, t.state, t.verdict,
                       t.job, t.attempt ? std::to_string(t.attempt) : "-",
                       t.host.empty() ? "-" : t.host, t.note);
  }
  out += fmt::format("{:<22} {:<8}              {}\n", "merge", st.merge_state, st.merge_job);
  return out;
}

int WaitForMerge(Slurm& slurm, const SlurmSubmission& s, std::chrono::milliseconds poll,
                 std::chrono::seconds timeout, std::FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  auto last_answer = start;
  std::map<uint32_t, std::string> shown;
  std::string merge_state;
  for (;;) {
    const SubmissionStatus st = QueryStatus(slurm, s);
    const auto now = std::chrono::steady_clock::now();
    if (st.slurm_error.empty()) {
      last_answer = now;
      for (const auto& t : st.tasks) {
        const std::string line = fmt::format("{} {}", t.state, t.verdict);
        if (shown[t.task] == line) continue;
        shown[t.task] = line;
        fmt::print(log, "{}: {}{}{}{}\n", t.what, t.state, t.host.empty() ? "" : " on " + t.host,
                   t.verdict == "-" ? "" : ", " + t.verdict,
                   t.note.empty() ? "" : " (" + t.note + ")");
      }
      merge_state = st.merge_state;
      if (SlurmStateIsFinal(merge_state) || merge_state == "unknown") break;
    } else if (now - last_answer > std::chrono::seconds(120)) {
      fmt::print(log, "flashrig slurm: Slurm has not answered for 120 s: {}\n", st.slurm_error);
      return 3;
    }
    if (timeout.count() > 0 && now - start > timeout) {
      fmt::print(log,
                 "flashrig slurm: gave up waiting after {} s; the jobs keep running "
                 "(flashrig slurm status {})\n",
                 timeout.count(), s.dir);
      return 1;
    }
    std::fflush(log);
    std::this_thread::sleep_for(poll);
  }
  std::string why;
  auto report = ReadReportDir(s.dir, &why);
  if (!report) {
    fmt::print(log,
               "flashrig slurm: merge job {} ended {} without a merged report ({}); see "
               "{}/logs/merge.out\n",
               s.merge_jobs.back(), merge_state, why, s.dir);
    return 3;
  }
  const RunStatus verdict = report->OverallStatus();
  fmt::print(log, "merged verdict: {}; report: {}/report.html\n", RunStatusName(verdict), s.dir);
  for (const auto& sh : report->shards) {
    if (sh.status != "passed")
      fmt::print(log, "  shard {}/{} {}: {}\n", sh.index + 1, sh.count, sh.status, sh.message);
  }
  return ExitCodeFor(verdict);
}

int RunMergeJob(const SlurmSubmission& s, std::FILE* out, std::FILE* err) {
  std::vector<ShardRun> runs;
  for (uint32_t t = 1; t <= s.count; ++t) {
    ShardRun run;
    run.dir = fmt::format("{}/shard-{}", s.dir, t);
    run.index = s.rigs.empty() ? t - 1 : 0;
    run.count = s.rigs.empty() ? s.count : 1;
    if (!s.rigs.empty()) run.rigs = {s.rigs[t - 1]};
    std::string why;
    run.report = ReadReportDir(run.dir, &why);
    const TaskRecord rec = ReadTaskRecord(s.dir, t);
    const std::string job = s.task_jobs[t - 1].empty() ? "?" : s.task_jobs[t - 1].back();
    if (!run.report) {
      run.problem = rec.state == "exited" && rec.exit_code
                        ? fmt::format("job {} exited {} on {}; see {}/logs/shard-{}.out", rec.job,
                                      *rec.exit_code, rec.host, s.dir, t)
                        : fmt::format(
                              "job {} recorded no exit (killed, or never ran); see "
                              "{}/logs/shard-{}.out",
                              job, s.dir, t);
    } else if (rec.exit_code && *rec.exit_code != 0) {
      run.problem = fmt::format("job {} exited {}", rec.job, *rec.exit_code);
    }
    runs.push_back(std::move(run));
  }
  std::string error;
  auto merged = MergeShardRuns(runs, &error);
  if (!merged) {
    fmt::print(err, "flashrig slurm merge: {}\n", error);
    return 2;
  }
  if (!WriteReportFiles(*merged, s.dir, &error).ok()) {
    fmt::print(err, "flashrig slurm merge: {}\n", error);
    return 3;
  }
  const RunStatus verdict = merged->OverallStatus();
  fmt::print(out, "merged {} tasks of {}: {}; report: {}/report.html\n", s.count, s.campaign,
             RunStatusName(verdict), s.dir);
  // Summaries come in task order (per-rig runs are all "shard 1/1").
  for (size_t i = 0; i < merged->shards.size(); ++i) {
    const ShardSummary& sh = merged->shards[i];
    fmt::print(out, "  {}: {}{}\n",
               s.rigs.empty() ? fmt::format("shard {}/{}", sh.index + 1, sh.count)
                              : WhatOf(s, static_cast<uint32_t>(i + 1)),
               sh.status, sh.message.empty() ? "" : " - " + sh.message);
  }
  return ExitCodeFor(verdict);
}

}  // namespace flashrig::hil
