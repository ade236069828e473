// Runner: rig threads, stop conditions, checkpoints and report files.
#include "flashrig/hil/campaigns/runner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>
#include <thread>

#include "flashrig/hil/campaigns/checkpoint.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/report/html_report.h"
#include "flashrig/hil/report/junit.h"
#include "flashrig/hil/report/progress.h"
#include "flashrig/hil/targets/chip_state.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

RunResult Error(int code, std::string message) {
  RunResult r;
  r.exit_code = code;
  r.message = std::move(message);
  return r;
}

// The first chip-state generation this run writes: past any the checkpoint names.
uint64_t NextChipStateGeneration(const json& state) {
  if (!state.is_object() || !state.contains("chip_state")) return 1;
  const json& chip = state["chip_state"];
  return (chip.is_object() && chip.contains("generation")
              ? JsonUint(chip["generation"], std::numeric_limits<uint64_t>::max() - 1)
              : 0) +
         1;
}

// The opened rigs of a run, each with the campaign object that runs on it.
struct OpenedRigs {
  std::vector<std::unique_ptr<RigHandle>> handles;
  std::vector<std::unique_ptr<Campaign>> campaigns;
};

// Which rigs of `config` this run opens: those `only` names (all if empty) and, for a
// kind that splits rigs between shards, that `shard` owns. The error if `only` names a
// rig the campaign does not have.
std::optional<RunResult> SelectRigs(const CampaignConfig& config,
                                    const std::vector<std::string>& only, Shard shard,
                                    std::vector<bool>* selected) {
  std::vector<std::string> names;
  for (const RigConfig& rc : config.rigs) names.push_back(rc.name);
  for (const std::string& name : only) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return Error(2, fmt::format("--rig {}: campaign {} has no such rig (rigs: {})", name,
                                  config.name, fmt::join(names, ", ")));
    }
  }
  const std::vector<uint32_t> owners = ShardsSplitRigs(config.kind)
                                           ? RigOwners(config, shard.count)
                                           : std::vector<uint32_t>(names.size(), shard.index);
  selected->clear();
  for (size_t r = 0; r < names.size(); ++r) {
    const bool named = only.empty() || std::find(only.begin(), only.end(), names[r]) != only.end();
    selected->push_back(named && owners[r] == shard.index);
  }
  return std::nullopt;
}

// Opens and checks the selected rigs of `config`; the error to return if one fails.
std::optional<RunResult> OpenRigs(const CampaignConfig& config, const KvFactory& kv,
                                  const std::vector<bool>& selected, OpenedRigs* rigs) {
  for (size_t r = 0; r < config.rigs.size(); ++r) {
    if (!selected[r]) continue;
    const RigConfig& rc = config.rigs[r];
    RigOpenResult opened = OpenRig(rc);
    if (!opened.handle) return Error(opened.bad_input ? 2 : 3, opened.error);
    auto campaign = MakeCampaign(config, kv ? kv : DefaultKvFactory(KvSettingsForRig(rc)));
    const std::string why = campaign->CheckRig(opened.handle->rig());
    if (!why.empty()) return Error(2, fmt::format("{}: rig {}: {}", config.source, rc.name, why));
    rigs->handles.push_back(std::move(opened.handle));
    rigs->campaigns.push_back(std::move(campaign));
  }
  return std::nullopt;
}

// Creates `dir`, then loads its checkpoint (resume) or clears what an earlier run left
// there and writes config.json (fresh run). The error to return if any of that fails.
std::optional<RunResult> PrepareOutputDir(const CampaignConfig& config, const OpenedRigs& rigs,
                                          const std::string& dir, bool resume,
                                          CheckpointStore* checkpoint) {
  std::error_code ec;
  fs::create_directories(dir + "/artifacts", ec);
  if (ec) return Error(2, fmt::format("cannot create output directory {}: {}", dir, ec.message()));
  if (resume) {
    std::string why;
    if (!checkpoint->Load(&why).ok()) return Error(2, why);
    return std::nullopt;
  }
  for (const char* stale : {"checkpoint.json", "report.json", "junit.xml", "report.html"}) {
    fs::remove(dir + "/" + stale, ec);
  }
  for (const auto& h : rigs.handles) PruneChipStates(dir, h->rig().name, UINT64_MAX);
  if (!WriteFileAtomic(dir + "/config.json",
                       config.resolved.dump(2, ' ', false, json::error_handler_t::replace) + "\n")
           .ok()) {
    return Error(2, fmt::format("cannot write {}/config.json", dir));
  }
  return std::nullopt;
}

// Gives each in-process device the contents and wear its checkpoint saved. The error to
// return if a saved chip state is unreadable or does not fit.
std::optional<RunResult> RestoreChipStates(const OpenedRigs& rigs,
                                           const CheckpointStore& checkpoint,
                                           const std::string& dir) {
  for (const auto& h : rigs.handles) {
    Rig& rig = h->rig();
    const json state = checkpoint.StateFor(rig.name);
    if (!rig.set_chip_state || !state.is_object() || !state.contains("chip_state")) continue;
    std::string why;
    auto saved = LoadChipState(dir, state["chip_state"], &why);
    if (!saved) return Error(2, why);
    if (!rig.set_chip_state(*saved).ok()) {
      return Error(2, fmt::format("{}: the saved chip state of rig {} does not fit its device", dir,
                                  rig.name));
    }
  }
  return std::nullopt;
}

// The report header, with one (still empty) rig report per rig.
Report NewReport(const CampaignConfig& config, size_t rig_count) {
  Report report;
  report.campaign = config.name;
  report.kind = CampaignKindName(config.kind);
  report.seed = config.seed;
  report.tool_version = ToolVersion();
  report.started_utc = UtcNow();
  report.config = config.resolved;
  report.rigs.resize(rig_count);
  return report;
}

// What every rig thread of a run shares; all of it outlives the threads.
struct RigRunShared {
  const CampaignConfig* config = nullptr;
  const RunOptions* options = nullptr;
  const std::string* dir = nullptr;
  bool resume = false;
  bool keep_chip_state = false;
  Shard shard{};
  CheckpointStore* checkpoint = nullptr;
  ProgressPrinter* progress = nullptr;
  std::function<bool()> stop{};
  std::string replay{};
};

// The checkpoint hook of `rig`: plain counters, or counters plus the chip state they go with.
std::function<void(const json&, bool)> MakeCheckpointHook(const RigRunShared& shared, Rig& rig) {
  return [checkpoint = shared.checkpoint, dir = shared.dir, &rig,
          keep_chip_state = shared.keep_chip_state, name = rig.name,
          gen = uint64_t{0}](const json& state, bool force) mutable {
    if (!keep_chip_state || !rig.get_chip_state) {
      checkpoint->Update(name, state, force);
      return;
    }
    // Counters and chip state must describe the same moment: between saves the
    // checkpoint keeps the last pair rather than newer counters with an older chip.
    if (!checkpoint->Due(force)) return;
    // The chip files first, then the checkpoint naming them: a crash in between leaves
    // the previous, consistent pair in charge. Older files go once the new pair is in.
    if (gen == 0) gen = NextChipStateGeneration(checkpoint->StateFor(name));
    std::string why;
    auto descriptor = SaveChipState(*dir, name, gen, rig.get_chip_state(), &why);
    if (!descriptor) return;  // Keeps the last pair; retried at the next checkpoint.
    json with_chip = state;
    with_chip["chip_state"] = *descriptor;
    if (checkpoint->Write(name, with_chip).ok()) PruneChipStates(*dir, name, gen);
    ++gen;
  };
}

// Body of rig thread `i`: runs `campaign` on `rig` and fills `rr`.
void RunRig(const RigRunShared& shared, size_t i, Rig& rig, Campaign& campaign, RigReport& rr) {
  rr.rig = rig.name;
  rr.target = rig.target;
  rr.timing = TimingSourceName(rig.timing);
  rr.shard_index = shared.shard.index;
  rr.shard_count = shared.shard.count;
  CampaignContext ctx;
  ctx.rig = &rig;
  ctx.config = shared.config;
  // A kind that splits rigs runs each of its rigs whole; a replay runs one cut.
  const bool whole = shared.options->only_cut != 0 || ShardsSplitRigs(shared.config->kind);
  ctx.shard = whole ? Shard{} : shared.shard;
  ctx.stop_requested = shared.stop;
  ProgressPrinter* progress = shared.progress;
  ctx.progress = [progress, i](double f, const std::string& s) { progress->Update(i, f, s); };
  ctx.resume_state = shared.resume ? shared.checkpoint->StateFor(rig.name) : json();
  ctx.checkpoint = MakeCheckpointHook(shared, rig);
  ctx.artifacts_dir = *shared.dir + "/artifacts";
  ctx.replay_command = shared.replay;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    campaign.Run(ctx, rr).IgnoreError();  // The status is in rr.
  } catch (const std::exception& e) {
    // Only a malformed checkpoint state can throw (nlohmann); say so.
    rr.status = RunStatus::kDeviceError;
    rr.error = fmt::format("could not continue from the checkpoint: {}", e.what());
  }
  rr.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  progress->Update(i, rr.status == RunStatus::kInterrupted ? -1.0 : 1.0, RunStatusName(rr.status));
}

// Runs every rig in its own thread until all are done; true if max_duration_s stopped them.
bool RunRigs(RigRunShared shared, const OpenedRigs& rigs, Report* report) {
  const CampaignConfig& config = *shared.config;
  const RunOptions& options = *shared.options;
  std::vector<std::string> names;
  for (const auto& h : rigs.handles) {
    // The shard goes into every progress line, so a scheduler's log says which it ran.
    names.push_back(shared.shard.count > 1 ? fmt::format("{} [shard {}/{}]", h->rig().name,
                                                         shared.shard.index + 1, shared.shard.count)
                                           : h->rig().name);
  }
  ProgressPrinter progress(options.progress_out, options.progress_tty, options.progress_interval,
                           names);
  const auto start = std::chrono::steady_clock::now();
  std::atomic<bool> deadline_hit{false};
  shared.progress = &progress;
  shared.stop = [&] {
    if (options.interrupt != nullptr && options.interrupt->load()) return true;
    if (config.max_duration_s > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::seconds(config.max_duration_s)) {
      deadline_hit = true;
      return true;
    }
    return false;
  };
  shared.replay =
      fmt::format("flashrig run {}/config.json --out {}/replay", *shared.dir, *shared.dir);

  std::vector<std::thread> threads;
  for (size_t i = 0; i < rigs.handles.size(); ++i) {
    threads.emplace_back(
        [&, i] { RunRig(shared, i, rigs.handles[i]->rig(), *rigs.campaigns[i], report->rigs[i]); });
  }
  for (auto& t : threads) t.join();
  progress.Finish();
  return deadline_hit;
}

// Says why each interrupted rig stopped, unless its campaign already did.
void ExplainInterruptions(const CampaignConfig& config, const std::string& dir, bool deadline_hit,
                          Report* report) {
  for (auto& rr : report->rigs) {
    if (rr.status == RunStatus::kInterrupted && rr.error.empty()) {
      rr.error =
          deadline_hit
              ? fmt::format("stopped after max_duration_s = {}", config.max_duration_s)
              : "interrupted (Ctrl-C or SIGTERM); continue with flashrig run --resume " + dir;
    }
  }
}

// Writes the report files and sums the verdict up in one line.
RunResult FinishRun(Report report, RunStatus status, const std::string& dir) {
  RunResult result;
  result.out_dir = dir;
  std::string why;
  if (!WriteReportFiles(report, dir, &why).ok()) return Error(3, why);
  size_t checks = 0, failed = 0;
  for (const auto& rr : report.rigs) {
    for (const auto& c : rr.checks) {
      ++checks;
      failed += c.passed ? 0 : 1;
    }
  }
  result.exit_code = ExitCodeFor(status);
  result.message =
      fmt::format("{} {}: {} ({} checks, {} failed); report: {}/report.html", report.kind,
                  report.campaign, RunStatusName(status), checks, failed, dir);
  result.report = std::move(report);
  return result;
}

RunResult Run(const CampaignConfig& config, const RunOptions& options, const std::string& dir,
              bool resume) {
  if (options.shard.count == 0 || options.shard.index >= options.shard.count) {
    return Error(2, fmt::format("bad shard {}/{}", options.shard.index + 1, options.shard.count));
  }
  CampaignConfig effective = config;
  effective.power_loss.only_cut = options.only_cut;

  // Open and check every rig before the output directory is touched.
  std::vector<bool> selected;
  if (auto failure = SelectRigs(effective, options.only_rigs, options.shard, &selected)) {
    return std::move(*failure);
  }
  OpenedRigs rigs;
  if (auto failure = OpenRigs(effective, options.kv, selected, &rigs)) return std::move(*failure);

  CheckpointStore checkpoint(dir + "/checkpoint.json", effective.name, options.shard,
                             std::chrono::seconds(effective.checkpoint_every_s), options.only_rigs);
  if (auto failure = PrepareOutputDir(effective, rigs, dir, resume, &checkpoint)) {
    return std::move(*failure);
  }
  // Endurance results depend on the chip's accumulated wear: an in-process device (ram:,
  // sim:, ftdi-emu:) gets its contents and wear back from the checkpoint.
  const bool keep_chip_state = effective.kind == CampaignKind::kEndurance;
  if (resume && keep_chip_state) {
    if (auto failure = RestoreChipStates(rigs, checkpoint, dir)) return std::move(*failure);
  }

  Report report = NewReport(effective, rigs.handles.size());
  report.shard_index = checkpoint.shard().index;
  report.shard_count = checkpoint.shard().count;
  RigRunShared shared;
  shared.config = &effective;
  shared.options = &options;
  shared.dir = &dir;
  shared.resume = resume;
  shared.keep_chip_state = keep_chip_state;
  shared.shard = checkpoint.shard();
  shared.checkpoint = &checkpoint;
  const bool deadline_hit = RunRigs(std::move(shared), rigs, &report);
  report.finished_utc = UtcNow();
  ExplainInterruptions(effective, dir, deadline_hit, &report);
  const RunStatus status = report.OverallStatus();
  checkpoint.Finish(status != RunStatus::kInterrupted).IgnoreError();
  return FinishRun(std::move(report), status, dir);
}

}  // namespace

RunResult RunCampaign(const CampaignConfig& config, const RunOptions& options) {
  const std::string dir = options.out_dir.empty() ? config.output_dir : options.out_dir;
  return Run(config, options, dir, /*resume=*/false);
}

RunResult ResumeCampaign(const std::string& dir, RunOptions options) {
  ConfigErrors errors;
  auto config = LoadCampaignFile(dir + "/config.json", &errors);
  if (!config) {
    if (!fs::exists(dir + "/config.json")) {
      return Error(2, fmt::format("{}: not a flashrig run directory (no config.json)", dir));
    }
    return Error(2, FormatConfigErrors(errors));
  }
  CheckpointStore probe(dir + "/checkpoint.json", config->name, {}, std::chrono::seconds(1));
  std::string why;
  if (!probe.Load(&why).ok()) return Error(2, why);
  if (probe.complete()) {
    // Nothing left to run: re-render so the caller still gets fresh files and the verdict.
    auto report = ReadReportDir(dir, &why);
    if (!report) return Error(2, why);
    if (!WriteReportFiles(*report, dir, &why).ok()) return Error(3, why);
    RunResult r;
    r.exit_code = ExitCodeFor(report->OverallStatus());
    r.message = fmt::format("{}: already complete ({}); report re-rendered", dir,
                            RunStatusName(report->OverallStatus()));
    r.report = std::move(report);
    r.out_dir = dir;
    return r;
  }
  options.shard = probe.shard();
  options.only_rigs = probe.only_rigs();
  return Run(*config, options, dir, /*resume=*/true);
}

Status WriteReportFiles(const Report& report, const std::string& dir, std::string* error) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::pair<const char*, std::string> files[] = {
      {"report.json",
       ReportToJson(report).dump(2, ' ', false, json::error_handler_t::replace) + "\n"},
      {"junit.xml", RenderJunit(report)},
      {"report.html", RenderHtml(report)}};
  for (const auto& [name, content] : files) {
    if (!WriteFileAtomic(dir + "/" + name, content).ok()) {
      *error = fmt::format("cannot write {}/{}", dir, name);
      return Status::Unavailable();
    }
  }
  return Status::Ok();
}

std::optional<Report> ReadReportDir(const std::string& dir, std::string* error) {
  ConfigErrors errors;
  auto j = ReadJsonFile(dir + "/report.json", &errors);
  if (!j) {
    *error = FormatConfigErrors(errors);
    if (!error->empty() && error->back() == '\n') error->pop_back();
    return std::nullopt;
  }
  std::string why;
  auto report = ReportFromJson(*j, &why);
  if (!report) *error = dir + "/report.json: " + why;
  return report;
}

}  // namespace flashrig::hil
