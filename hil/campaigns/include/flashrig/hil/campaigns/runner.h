// Runner: takes a loaded campaign to a finished output directory — opens every rig (and
// stops with exit 2/3 before touching anything if one fails), runs one thread per rig,
// checkpoints, honours Ctrl-C and max_duration_s, and writes report.json, junit.xml and
// report.html. Also `--resume` and re-rendering (merging shards is hil/merge).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/hil/campaigns/campaign.h"
#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

struct RunOptions {
  std::string out_dir{};  // "" = the campaign's output_dir.
  Shard shard{};
  uint64_t only_cut = 0;  // Power loss: replay just this cut point (0 = all).
  // Run only the rigs with these names (empty = all): one rig per host in a rig farm.
  std::vector<std::string> only_rigs{};
  // Set asynchronously (SIGINT handler) to stop cleanly with a partial report.
  const std::atomic<bool>* interrupt = nullptr;
  std::FILE* progress_out = nullptr;  // null = silent.
  bool progress_tty = false;
  std::chrono::milliseconds progress_interval{5000};
  // The KV engine for KV campaigns; empty = the TicKV engine with each rig's "kv"
  // settings (KvSettingsForRig).
  KvFactory kv{};
};

struct RunResult {
  int exit_code = 0;      // 0 pass, 1 check failed/interrupted, 2 bad input, 3 device.
  std::string message{};  // One-line summary or the error.
  std::optional<Report> report{};
  std::string out_dir{};
};

// Runs `config`. Writes DIR/config.json (the resolved campaign, itself a valid campaign
// file), DIR/checkpoint.json, DIR/report.json, DIR/junit.xml, DIR/report.html and
// failing power-loss images under DIR/artifacts/.
RunResult RunCampaign(const CampaignConfig& config, const RunOptions& options);

// Continues the run in `dir` from its config.json and checkpoint.json (same shard).
// A finished run is only re-rendered.
RunResult ResumeCampaign(const std::string& dir, RunOptions options);

// Writes report.json, junit.xml and report.html into `dir` (created if needed).
Status WriteReportFiles(const Report& report, const std::string& dir, std::string* error);

// Reads DIR/report.json. nullopt with *error on a missing or malformed report.
std::optional<Report> ReadReportDir(const std::string& dir, std::string* error);

}  // namespace flashrig::hil
