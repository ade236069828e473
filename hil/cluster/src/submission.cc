// Submitting a campaign to Slurm, resubmitting one task, and the manifest they share.
#include "flashrig/hil/cluster/submission.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "flashrig/hil/cluster/job_scripts.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/report/report.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

SubmitOutcome Fail(int code, std::string message) {
  return {.exit_code = code, .message = std::move(message), .submission = std::nullopt};
}

JobScriptParams ScriptParams(const SlurmSubmission& s) {
  return {.campaign = s.campaign,
          .dir = s.dir,
          .workdir = s.workdir,
          .flashrig = s.flashrig,
          .count = s.count,
          .rigs = s.rigs};
}

// The sbatch arguments of task `task` (1-based): its array index, per-rig constraint and
// the user's arguments.
std::vector<std::string> TaskArgs(const SlurmSubmission& s, uint32_t task) {
  std::vector<std::string> args = {fmt::format("--array={}", task)};
  if (s.rigs.empty() && task == 0) args = {fmt::format("--array=1-{}", s.count)};
  if (!s.rigs.empty() && !s.rig_constraint.empty()) {
    std::string c = s.rig_constraint;
    for (size_t at = c.find("{rig}"); at != std::string::npos; at = c.find("{rig}", at)) {
      c.replace(at, 5, s.rigs[task - 1]);
    }
    args.push_back("--constraint=" + c);
  }
  args.insert(args.end(), s.sbatch_args.begin(), s.sbatch_args.end());
  return args;
}

// Writes the task and merge scripts into DIR/slurm/.
bool WriteScripts(const SlurmSubmission& s, std::string* error) {
  std::error_code ec;
  for (const char* sub : {"slurm", "logs", "status"}) fs::create_directories(s.dir + "/" + sub, ec);
  const JobScriptParams p = ScriptParams(s);
  for (const auto& [name, text] :
       {std::pair{"task.sh", TaskScript(p)}, {"merge.sh", MergeScript(p)}}) {
    const std::string path = s.dir + "/slurm/" + name;
    if (!WriteFileAtomic(path, text).ok() || ::chmod(path.c_str(), 0755) != 0) {
      *error = "cannot write " + path;
      return false;
    }
  }
  return true;
}

// Removes what an earlier submission into DIR left (only names flashrig writes).
void ClearOldRun(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("shard-") || name == "status" || name == "logs" || name == "slurm" ||
        name == "report.json" || name == "junit.xml" || name == "report.html") {
      fs::remove_all(entry.path(), ec);
    }
  }
}

// "" if none of `jobs` is still waiting or running, else which are (or why unknown).
std::string ActiveJobs(Slurm& slurm, const std::vector<std::string>& jobs) {
  if (jobs.empty()) return "";
  std::string error;
  auto states = slurm.Query(jobs, &error);
  if (!states) return "cannot ask Slurm about them: " + error;
  std::vector<std::string> active;
  for (const SlurmJob& j : *states) {
    if (!SlurmStateIsFinal(j.state)) active.push_back(fmt::format("{} {}", j.id, j.state));
  }
  return active.empty() ? "" : fmt::format("{}", fmt::join(active, ", "));
}

// The latest job of every task plus the latest merge job.
std::vector<std::string> LatestJobs(const SlurmSubmission& s) {
  std::vector<std::string> jobs;
  for (const auto& t : s.task_jobs) {
    if (!t.empty()) jobs.push_back(t.back());
  }
  if (!s.merge_jobs.empty()) jobs.push_back(s.merge_jobs.back());
  return jobs;
}

// A new merge job after `after` (job ids); records it in `s`.
bool SubmitMerge(Slurm& slurm, SlurmSubmission& s, const std::vector<std::string>& after,
                 std::string* error) {
  std::vector<std::string> args;
  if (!after.empty())
    args.push_back(fmt::format("--dependency=afterany:{}", fmt::join(after, ":")));
  args.insert(args.end(), s.sbatch_args.begin(), s.sbatch_args.end());
  auto id = slurm.Submit(args, s.dir + "/slurm/merge.sh", error);
  if (!id) return false;
  s.merge_jobs.push_back(*id);
  return true;
}

// The submission for `request`'s campaign (not yet submitted), or the failure.
SubmitOutcome Prepare(const SubmitRequest& request, SlurmSubmission* s) {
  ConfigErrors errors;
  auto config = LoadCampaignFile(request.campaign_file, &errors);
  if (!config) return Fail(2, FormatConfigErrors(errors) + "nothing was submitted");
  if (!request.per_rig && request.shards == 0) return Fail(2, "--shards: expected N >= 1");
  for (const auto& a : request.sbatch_args) {
    if (a.starts_with("--array") || a == "-a" || a.starts_with("--dependency") || a == "-d") {
      return Fail(
          2, fmt::format("sbatch argument {}: flashrig sets the array and dependency itself", a));
    }
  }
  fs::path out = request.out_dir.empty() ? fs::path(config->output_dir) : fs::path(request.out_dir);
  if (out.is_relative()) out = fs::path(request.workdir) / out;
  s->dir = out.lexically_normal().string();
  while (s->dir.size() > 1 && s->dir.back() == '/') s->dir.pop_back();
  for (const std::string& p : {s->dir, request.workdir, request.flashrig}) {
    if (auto why = UnusableForSbatch(p); !why.empty()) return Fail(2, why);
  }
  s->campaign = config->name;
  s->workdir = request.workdir;
  s->flashrig = request.flashrig;
  s->rig_constraint = request.rig_constraint;
  s->sbatch_args = request.sbatch_args;
  if (request.per_rig) {
    for (const auto& rig : config->rigs) s->rigs.push_back(rig.name);
  }
  s->count = request.per_rig ? static_cast<uint32_t>(s->rigs.size()) : request.shards;
  s->task_jobs.assign(s->count, {});
  s->submitted_utc = UtcNow();
  std::error_code ec;
  fs::create_directories(s->dir, ec);
  if (ec) return Fail(2, fmt::format("cannot create {}: {}", s->dir, ec.message()));
  if (!WriteFileAtomic(s->dir + "/campaign.json.new", config->resolved.dump(2) + "\n").ok()) {
    return Fail(2, "cannot write " + s->dir + "/campaign.json");
  }
  return {};
}

}  // namespace

std::string UnusableForSbatch(const std::string& path) {
  if (path.find_first_of(" \t\n'\"\\%") == std::string::npos) return "";
  return fmt::format(
      "\"{}\": Slurm cannot take this path in #SBATCH lines (whitespace, quotes, '\\' or '%'); "
      "use a directory without them",
      path);
}

std::optional<SlurmSubmission> ReadSubmission(const std::string& dir, std::string* error) {
  ConfigErrors errors;
  auto j = ReadJsonFile(dir + "/slurm.json", &errors);
  if (!j) {
    *error = fmt::format("{}: not a flashrig Slurm submission (no readable slurm.json)", dir);
    return std::nullopt;
  }
  try {
    if (j->at("format") != "flashrig-slurm") throw std::runtime_error("format");
    SlurmSubmission s;
    s.dir = j->at("dir");
    s.campaign = j->at("campaign");
    s.workdir = j->at("workdir");
    s.flashrig = j->at("flashrig");
    s.count = j->at("count");
    s.rigs = j->at("rigs").get<std::vector<std::string>>();
    s.rig_constraint = j->at("rig_constraint");
    s.sbatch_args = j->at("sbatch_args").get<std::vector<std::string>>();
    s.task_jobs = j->at("task_jobs").get<std::vector<std::vector<std::string>>>();
    s.merge_jobs = j->at("merge_jobs").get<std::vector<std::string>>();
    s.submitted_utc = j->value("submitted_utc", "");
    if (s.count == 0 || s.task_jobs.size() != s.count) throw std::runtime_error("task_jobs");
    return s;
  } catch (const std::exception& e) {
    *error = fmt::format("{}/slurm.json: not a valid submission manifest ({})", dir, e.what());
    return std::nullopt;
  }
}

bool WriteSubmission(const SlurmSubmission& s, std::string* error) {
  const json j = {{"format", "flashrig-slurm"},
                  {"version", 1},
                  {"dir", s.dir},
                  {"campaign", s.campaign},
                  {"workdir", s.workdir},
                  {"flashrig", s.flashrig},
                  {"count", s.count},
                  {"rigs", s.rigs},
                  {"rig_constraint", s.rig_constraint},
                  {"sbatch_args", s.sbatch_args},
                  {"task_jobs", s.task_jobs},
                  {"merge_jobs", s.merge_jobs},
                  {"submitted_utc", s.submitted_utc}};
  if (WriteFileAtomic(s.dir + "/slurm.json", j.dump(2) + "\n").ok()) return true;
  *error = "cannot write " + s.dir + "/slurm.json";
  return false;
}

SubmitOutcome SubmitCampaign(Slurm& slurm, const SubmitRequest& request) {
  SlurmSubmission s;
  if (SubmitOutcome prepared = Prepare(request, &s); prepared.exit_code != 0) return prepared;
  std::string error;
  if (auto old = ReadSubmission(s.dir, &error)) {
    if (auto active = ActiveJobs(slurm, LatestJobs(*old)); !active.empty()) {
      return Fail(2, fmt::format("{} holds a submission whose jobs are not finished ({}); wait, "
                                 "scancel them, or use another --out",
                                 s.dir, active));
    }
  }
  ClearOldRun(s.dir);
  std::error_code ec;
  fs::rename(s.dir + "/campaign.json.new", s.dir + "/campaign.json", ec);
  if (ec || !WriteScripts(s, &error)) return Fail(2, ec ? "cannot write campaign.json" : error);
  std::vector<std::string> arrays;
  const uint32_t submits = s.rigs.empty() ? 1 : s.count;
  for (uint32_t t = 0; t < submits; ++t) {
    const uint32_t task = s.rigs.empty() ? 0 : t + 1;  // 0: the whole array 1-N.
    auto id = slurm.Submit(TaskArgs(s, task), s.dir + "/slurm/task.sh", &error);
    if (!id) {
      slurm.Cancel(arrays);
      return Fail(3, error + (arrays.empty() ? "" : "; cancelled the jobs already submitted"));
    }
    arrays.push_back(*id);
    for (uint32_t i = 1; i <= s.count; ++i) {
      if (task == 0 || task == i) s.task_jobs[i - 1].push_back(fmt::format("{}_{}", *id, i));
    }
  }
  // The merge job reads the manifest: it must be in place before that job can start.
  if (!WriteSubmission(s, &error) || !SubmitMerge(slurm, s, arrays, &error)) {
    slurm.Cancel(arrays);
    return Fail(3, error + "; cancelled the task jobs");
  }
  if (!WriteSubmission(s, &error)) return Fail(3, error);
  SubmitOutcome out;
  out.message = fmt::format("submitted {} {} of campaign {}: {} {}, merge job {}; results in {}",
                            s.count, s.rigs.empty() ? "shards" : "per-rig tasks", s.campaign,
                            arrays.size() == 1 ? "array job" : "array jobs", fmt::join(arrays, " "),
                            s.merge_jobs.back(), s.dir);
  out.submission = std::move(s);
  return out;
}

TaskRecord ReadTaskRecord(const std::string& dir, uint32_t task) {
  TaskRecord r;
  ConfigErrors ignored;
  auto j = ReadJsonFile(fmt::format("{}/status/shard-{}.json", dir, task), &ignored);
  if (!j || !j->is_object()) return r;
  r.state = j->value("state", "");
  if (j->contains("exit_code") && (*j)["exit_code"].is_number_integer()) {
    r.exit_code = (*j)["exit_code"].get<int>();
  }
  r.job = j->value("job", "");
  r.host = j->value("host", "");
  r.utc = j->value("utc", "");
  r.attempt = j->value("attempt", 0u);
  return r;
}

SubmitOutcome ResubmitTask(Slurm& slurm, const std::string& dir, uint32_t task, bool fresh) {
  std::string error;
  auto s = ReadSubmission(dir, &error);
  if (!s) return Fail(2, error);
  if (task == 0 || task > s->count) {
    return Fail(2, fmt::format("--shard {}: {} has tasks 1-{}", task, dir, s->count));
  }
  if (auto active = ActiveJobs(slurm, {s->task_jobs[task - 1].back()}); !active.empty()) {
    return Fail(2, fmt::format("task {} is not finished ({}); scancel it first", task, active));
  }
  const std::string run = fmt::format("{}/shard-{}", s->dir, task);
  ConfigErrors ignored;
  const auto checkpoint = ReadJsonFile(run + "/checkpoint.json", &ignored);
  const bool finished =
      checkpoint && checkpoint->is_object() && checkpoint->value("complete", false);
  std::string kept;
  std::error_code ec;
  if ((fresh || finished) && fs::exists(run)) {
    for (int k = 1; kept.empty(); ++k) {
      if (!fs::exists(fmt::format("{}.attempt-{}", run, k)))
        kept = fmt::format("{}.attempt-{}", run, k);
    }
    fs::rename(run, kept, ec);
    if (ec) return Fail(2, fmt::format("cannot move {} aside: {}", run, ec.message()));
  }
  for (const char* f : {"report.json", "junit.xml", "report.html"})
    fs::remove(s->dir + "/" + f, ec);
  // A merge still waiting would merge without this task's new run.
  if (!s->merge_jobs.empty() && !ActiveJobs(slurm, {s->merge_jobs.back()}).empty()) {
    slurm.Cancel({s->merge_jobs.back()});
  }
  auto id = slurm.Submit(TaskArgs(*s, task), s->dir + "/slurm/task.sh", &error);
  if (!id) return Fail(3, error);
  s->task_jobs[task - 1].push_back(fmt::format("{}_{}", *id, task));
  std::vector<std::string> after = {*id};
  for (uint32_t t = 1; t <= s->count; ++t) {
    const std::string& job = s->task_jobs[t - 1].back();
    if (t != task && !ActiveJobs(slurm, {job}).empty())
      after.push_back(job.substr(0, job.find('_')));
  }
  if (!WriteSubmission(*s, &error) || !SubmitMerge(slurm, *s, after, &error)) {
    return Fail(3, error);
  }
  if (!WriteSubmission(*s, &error)) return Fail(3, error);
  SubmitOutcome out;
  out.message = fmt::format(
      "resubmitted task {} of {} as job {}_{} ({}), merge job {}", task, s->campaign, *id, task,
      kept.empty() ? "resumes from its checkpoint" : "fresh; old run in " + kept,
      s->merge_jobs.back());
  out.submission = std::move(s);
  return out;
}

}  // namespace flashrig::hil
