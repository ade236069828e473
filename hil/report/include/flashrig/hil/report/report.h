// Report: everything one run found — per rig the checks (pass/fail) and the figures
// (throughput tables, endurance curves, wear, power-loss outcomes) — plus the config, the
// tool version and the seed. report.json is its serialisation; junit.xml and report.html
// are rendered from it, so `flashrig report DIR` can re-render without re-running.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"

namespace flashrig::hil {

inline constexpr int kReportFormatVersion = 1;

struct CheckResult {
  std::string name{};  // "endurance/bit_errors"; unique within a rig.
  bool passed = false;
  std::string message{};  // What was measured, or why it failed.
};

enum class RunStatus : uint8_t {
  kPassed,       // Ran to the end; every check passed.
  kFailed,       // Ran; at least one check failed.
  kInterrupted,  // Stopped early (Ctrl-C or max_duration_s); figures are partial.
  kDeviceError,  // The flash or bus failed; figures up to the failure.
};
const char* RunStatusName(RunStatus s);  // "passed" | "failed" | "interrupted" | "device_error"
std::optional<RunStatus> RunStatusFromName(const std::string& name);

struct RigReport {
  std::string rig{};
  std::string target{};
  std::string timing{};  // "modelled" | "measured": how durations were obtained.
  RunStatus status = RunStatus::kPassed;
  std::string error{};  // Device error or stop reason; "" if none.
  uint32_t shard_index = 0;
  uint32_t shard_count = 1;
  double duration_s = 0;  // Wall time of this rig's run.
  std::vector<CheckResult> checks{};
  nlohmann::json figures = nlohmann::json::object();  // Keyed by campaign kind.

  void AddCheck(std::string name, bool passed, std::string message) {
    checks.push_back({std::move(name), passed, std::move(message)});
  }
  bool AllChecksPassed() const;
  // How a campaign ended: a device error wins, then an interruption, then the checks.
  RunStatus EndStatus(bool device_ok, bool interrupted) const;
};

// One shard (or per-rig run) behind a merged report: where it ran and how it ended, so
// the merged report says which shard failed. status: a RunStatus name, or "missing" when
// the shard left no report.
struct ShardSummary {
  uint32_t index = 0;  // 0-based.
  uint32_t count = 1;
  std::string dir{};
  std::string status{};
  std::string message{};  // Failed checks, the device error, or why it is missing.
};

struct Report {
  std::string campaign{};
  std::string kind{};
  uint64_t seed = 0;
  std::string tool_version{};
  std::string started_utc{};  // ISO 8601.
  std::string finished_utc{};
  nlohmann::json config{};   // The resolved campaign config (rigs inlined).
  uint32_t shard_index = 0;  // The run's shard (0-based; also in every rig report).
  uint32_t shard_count = 1;
  std::vector<RigReport> rigs{};
  std::vector<std::string> merged_from{};  // Directories `flashrig merge` combined.
  std::vector<ShardSummary> shards{};      // Set by the merge; empty for a single run.

  // The worst status over all rigs (device error > interrupted > failed > passed).
  RunStatus OverallStatus() const;
};

nlohmann::json ReportToJson(const Report& report);
// Parses report.json; on a malformed report returns nullopt and sets *error (key + why).
std::optional<Report> ReportFromJson(const nlohmann::json& json, std::string* error);

// The exit code a run with this report ends with: 0 passed, 1 failed or interrupted,
// 3 device error.
int ExitCodeFor(RunStatus status);

// Writes `content` to `path` via a temporary file and rename, so a crash never leaves a
// half-written report or checkpoint. kUnavailable on I/O errors.
Status WriteFileAtomic(const std::string& path, const std::string& content);
// Current UTC time, ISO 8601 ("2026-11-26T15:29:02Z").
std::string UtcNow();
// "flashrig 0.1.0 (g++ 12.2.0)".
std::string ToolVersion();

}  // namespace flashrig::hil
