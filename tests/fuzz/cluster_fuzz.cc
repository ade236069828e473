// What hil/cluster and hil/merge read from outside: `scontrol show job -o` output, the
// scheduler's environment (--shard auto), and shard report.json files the merge puts
// together. The first byte picks which; none may crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "flashrig/hil/cluster/shard_env.h"
#include "flashrig/hil/cluster/slurm.h"
#include "flashrig/hil/merge/report_merge.h"

namespace {

using flashrig::hil::Report;

// "NAME=value" lines -> a lookup.
void FuzzEnvironment(const std::string& text) {
  std::map<std::string, std::string> vars;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    if (const size_t eq = line.find('='); eq != std::string::npos) {
      vars[line.substr(0, eq)] = line.substr(eq + 1);
    }
    at = end + 1;
  }
  std::string error;
  const auto shard = flashrig::hil::ShardFromEnvironment(
      [&vars](const char* name) -> const char* {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      &error);
  if (shard && (shard->shard.count == 0 || shard->shard.index >= shard->shard.count))
    __builtin_trap();
}

// A report.json, merged as two shards of itself and on its own.
void FuzzMerge(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return;
  std::string error;
  auto report = flashrig::hil::ReportFromJson(json, &error);
  if (!report) return;
  Report second = *report;
  for (auto& rig : second.rigs) rig.shard_index = rig.shard_count > 1 ? 1 : 0;
  flashrig::hil::MergeReports({*report}, {"a"}, &error).reset();
  flashrig::hil::MergeReports({*report, second}, {"a", "b"}, &error).reset();
  std::vector<flashrig::hil::ShardRun> runs(2);
  runs[0].dir = "a";
  runs[0].report = *report;
  runs[1].dir = "b";
  runs[1].index = 1;
  runs[1].count = 2;
  runs[1].problem = "missing";
  flashrig::hil::MergeShardRuns(runs, &error).reset();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      for (const auto& job : flashrig::hil::ParseScontrolJobs(text)) {
        (void)flashrig::hil::SlurmStateIsFinal(job.state);
      }
      break;
    case 1:
      FuzzEnvironment(text);
      break;
    case 2:
      FuzzMerge(text);
      break;
  }
  return 0;
}
