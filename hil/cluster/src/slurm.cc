// CommandSlurm and the scontrol parser. `scontrol show job -o` prints Key=Value fields
// separated by spaces; a value may itself contain spaces (JobName, Command), so a token
// without '=' continues the previous value.
#include "flashrig/hil/cluster/slurm.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "flashrig/hil/cluster/process.h"

namespace flashrig::hil {
namespace {

std::map<std::string, std::string> Fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::istringstream in(line);
  std::string token, last;
  while (in >> token) {
    const size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (!last.empty()) fields[last] += " " + token;
      continue;
    }
    last = token.substr(0, eq);
    fields[last] = token.substr(eq + 1);
  }
  return fields;
}

// "2-4,7", "1-7:2", "0-5%2" -> the task indices.
std::vector<uint64_t> ExpandTaskIds(std::string spec) {
  std::vector<uint64_t> ids;
  if (const size_t pct = spec.find('%'); pct != std::string::npos) spec.resize(pct);
  std::istringstream in(spec);
  std::string part;
  while (std::getline(in, part, ',')) {
    uint64_t a = 0, b = 0, step = 1;
    char dash = 0, colon = 0;
    std::istringstream p(part);
    if (!(p >> a)) continue;
    b = a;
    if (p >> dash && dash == '-') {
      p >> b;
      if (p >> colon && colon == ':') p >> step;
    }
    for (uint64_t i = a; i <= b && step > 0 && ids.size() < 1'000'000; i += step) ids.push_back(i);
  }
  return ids;
}

uint32_t Restarts(const std::string& text) {
  try {
    return static_cast<uint32_t>(std::stoul(text));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

bool SlurmStateIsFinal(const std::string& state) {
  static const char* kFinal[] = {"COMPLETED", "FAILED",      "CANCELLED",     "TIMEOUT",
                                 "NODE_FAIL", "PREEMPTED",   "OUT_OF_MEMORY", "BOOT_FAIL",
                                 "DEADLINE",  "SPECIAL_EXIT"};
  return std::any_of(std::begin(kFinal), std::end(kFinal),
                     [&](const char* s) { return state.starts_with(s); });
}

bool SlurmStateIsPending(const std::string& state) {
  static const char* kPending[] = {"PENDING",     "REQUEUED",      "REQUEUE_HOLD", "REQUEUE_FED",
                                   "CONFIGURING", "RESV_DEL_HOLD", "SUSPENDED"};
  return std::any_of(std::begin(kPending), std::end(kPending),
                     [&](const char* s) { return state.starts_with(s); });
}

std::vector<SlurmJob> ParseScontrolJobs(const std::string& text) {
  std::vector<SlurmJob> jobs;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto f = Fields(line);
    if (f["JobId"].empty()) continue;
    SlurmJob job;
    job.state = f["JobState"];
    job.reason = f["Reason"];
    job.exit_code = f["ExitCode"];
    job.node = f["BatchHost"].empty() ? f["NodeList"] : f["BatchHost"];
    if (job.node == "(null)") job.node.clear();
    job.restarts = Restarts(f["Restarts"]);
    const std::string array = f["ArrayJobId"];
    if (array.empty()) {
      job.id = f["JobId"];
      jobs.push_back(job);
      continue;
    }
    for (uint64_t task : ExpandTaskIds(f["ArrayTaskId"])) {
      job.id = fmt::format("{}_{}", array, task);
      jobs.push_back(job);
    }
  }
  return jobs;
}

std::optional<std::string> CommandSlurm::Submit(const std::vector<std::string>& args,
                                                const std::string& script, std::string* error) {
  std::vector<std::string> argv = {"sbatch", "--parsable"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(script);
  const ProcessResult r = RunProcess(argv, timeout_);
  if (!r.ok()) {
    std::string why = r.err.empty() ? r.error : r.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    *error =
        fmt::format("sbatch failed{}: {}", r.started ? fmt::format(" (exit {})", r.exit_code) : "",
                    why.empty() ? "no message" : why);
    return std::nullopt;
  }
  // "12" or "12;cluster".
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    *error = fmt::format("sbatch printed no job id (got \"{}\")", r.out);
    return std::nullopt;
  }
  return id;
}

std::optional<std::vector<SlurmJob>> CommandSlurm::Query(const std::vector<std::string>& job_ids,
                                                         std::string* error) {
  std::vector<SlurmJob> jobs;
  for (const std::string& id : job_ids) {
    const ProcessResult r = RunProcess({"scontrol", "show", "job", "-o", id}, timeout_);
    if (!r.started || r.timed_out) {
      *error = "scontrol: " + r.error;
      return std::nullopt;
    }
    if (r.exit_code != 0) {
      // A purged job is no error; anything else (no controller) is.
      if (r.err.find("Invalid job id") != std::string::npos) continue;
      std::string why = r.err;
      while (!why.empty() && why.back() == '\n') why.pop_back();
      *error = fmt::format("scontrol show job {} failed (exit {}): {}", id, r.exit_code, why);
      return std::nullopt;
    }
    for (auto& j : ParseScontrolJobs(r.out)) jobs.push_back(std::move(j));
  }
  return jobs;
}

void CommandSlurm::Cancel(const std::vector<std::string>& job_ids) {
  if (job_ids.empty()) return;
  std::vector<std::string> argv = {"scancel"};
  argv.insert(argv.end(), job_ids.begin(), job_ids.end());
  RunProcess(argv, timeout_);
}

}  // namespace flashrig::hil
