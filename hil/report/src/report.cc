// Report (de)serialisation and small file helpers shared by the writers.
#include "flashrig/hil/report/report.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

int Severity(RunStatus s) {
  switch (s) {
    case RunStatus::kPassed:
      return 0;
    case RunStatus::kFailed:
      return 1;
    case RunStatus::kInterrupted:
      return 2;
    case RunStatus::kDeviceError:
      return 3;
  }
  return 3;
}

}  // namespace

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kPassed:
      return "passed";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
    case RunStatus::kDeviceError:
      return "device_error";
  }
  return "device_error";
}

std::optional<RunStatus> RunStatusFromName(const std::string& name) {
  for (RunStatus s :
       {RunStatus::kPassed, RunStatus::kFailed, RunStatus::kInterrupted, RunStatus::kDeviceError}) {
    if (name == RunStatusName(s)) return s;
  }
  return std::nullopt;
}

bool RigReport::AllChecksPassed() const {
  for (const auto& c : checks) {
    if (!c.passed) return false;
  }
  return true;
}

RunStatus RigReport::EndStatus(bool device_ok, bool interrupted) const {
  if (!device_ok) return RunStatus::kDeviceError;
  if (interrupted) return RunStatus::kInterrupted;
  return AllChecksPassed() ? RunStatus::kPassed : RunStatus::kFailed;
}

RunStatus Report::OverallStatus() const {
  RunStatus worst = RunStatus::kPassed;
  for (const auto& r : rigs) {
    if (Severity(r.status) > Severity(worst)) worst = r.status;
  }
  return worst;
}

int ExitCodeFor(RunStatus status) {
  switch (status) {
    case RunStatus::kPassed:
      return 0;
    case RunStatus::kFailed:
    case RunStatus::kInterrupted:
      return 1;
    case RunStatus::kDeviceError:
      return 3;
  }
  return 3;
}

json ReportToJson(const Report& report) {
  json rigs = json::array();
  for (const auto& r : report.rigs) {
    json checks = json::array();
    for (const auto& c : r.checks) {
      checks.push_back({{"name", c.name}, {"passed", c.passed}, {"message", c.message}});
    }
    rigs.push_back({{"rig", r.rig},
                    {"target", r.target},
                    {"timing", r.timing},
                    {"status", RunStatusName(r.status)},
                    {"error", r.error},
                    {"shard", {{"index", r.shard_index}, {"count", r.shard_count}}},
                    {"duration_s", r.duration_s},
                    {"checks", checks},
                    {"figures", r.figures}});
  }
  json j = {{"format", "flashrig-report"},
            {"format_version", kReportFormatVersion},
            {"campaign", report.campaign},
            {"kind", report.kind},
            {"status", RunStatusName(report.OverallStatus())},
            {"seed", report.seed},
            {"tool_version", report.tool_version},
            {"started_utc", report.started_utc},
            {"finished_utc", report.finished_utc},
            {"shard", {{"index", report.shard_index}, {"count", report.shard_count}}},
            {"merged_from", report.merged_from},
            {"config", report.config},
            {"rigs", rigs}};
  if (!report.shards.empty()) {
    json shards = json::array();
    for (const auto& s : report.shards) {
      shards.push_back({{"shard", {{"index", s.index}, {"count", s.count}}},
                        {"dir", s.dir},
                        {"status", s.status},
                        {"message", s.message}});
    }
    j["shards"] = shards;
  }
  return j;
}

// A non-negative integer <= max, as report.json stores them; anything else (1e30, -1,
// "3") throws instead of converting with undefined behaviour.
uint64_t UintIn(const json& v, uint64_t max) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
    throw std::out_of_range("expected an integer in [0, " + std::to_string(max) + "], got " +
                            v.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return v.get<uint64_t>();
}

std::optional<Report> ReportFromJson(const json& j, std::string* error) {
  // nlohmann throws on type mismatches; the report is untrusted input here.
  std::string where = "/";
  try {
    if (!j.is_object() || j.value("format", "") != "flashrig-report") {
      *error = "/format: not a flashrig report (expected \"flashrig-report\")";
      return std::nullopt;
    }
    where = "/format_version";
    if (!j.at("format_version").is_number_integer() ||
        j.at("format_version").get<int64_t>() != kReportFormatVersion) {
      *error = where + ": unsupported version " + j.at("format_version").dump();
      return std::nullopt;
    }
    Report r;
    where = "/campaign";
    r.campaign = j.at("campaign").get<std::string>();
    where = "/kind";
    r.kind = j.at("kind").get<std::string>();
    where = "/seed";
    r.seed = UintIn(j.at("seed"), std::numeric_limits<uint64_t>::max());
    where = "/tool_version";
    r.tool_version = j.at("tool_version").get<std::string>();
    where = "/started_utc";
    r.started_utc = j.at("started_utc").get<std::string>();
    r.finished_utc = j.value("finished_utc", "");
    where = "/merged_from";
    r.merged_from = j.value("merged_from", std::vector<std::string>{});
    r.config = j.value("config", json());
    where = "/shard";
    if (j.contains("shard")) {
      r.shard_index = j.at("shard").at("index").get<uint32_t>();
      r.shard_count = j.at("shard").at("count").get<uint32_t>();
    }
    where = "/shards";
    for (const auto& s : j.value("shards", json::array())) {
      r.shards.push_back({s.at("shard").at("index").get<uint32_t>(),
                          s.at("shard").at("count").get<uint32_t>(), s.at("dir").get<std::string>(),
                          s.at("status").get<std::string>(), s.value("message", "")});
    }
    const json& rigs = j.at("rigs");
    for (size_t i = 0; i < rigs.size(); ++i) {
      const json& x = rigs.at(i);
      where = "/rigs/" + std::to_string(i);
      RigReport rr;
      rr.rig = x.at("rig").get<std::string>();
      rr.target = x.at("target").get<std::string>();
      rr.timing = x.at("timing").get<std::string>();
      auto status = RunStatusFromName(x.at("status").get<std::string>());
      if (!status) {
        *error = where + "/status: unknown status " + x.at("status").dump();
        return std::nullopt;
      }
      rr.status = *status;
      rr.error = x.value("error", "");
      rr.shard_index = static_cast<uint32_t>(UintIn(x.at("shard").at("index"), UINT32_MAX));
      rr.shard_count = static_cast<uint32_t>(UintIn(x.at("shard").at("count"), UINT32_MAX));
      rr.duration_s = x.value("duration_s", 0.0);
      for (const auto& c : x.at("checks")) {
        rr.checks.push_back(
            {c.at("name").get<std::string>(), c.at("passed").get<bool>(), c.value("message", "")});
      }
      rr.figures = x.value("figures", json::object());
      r.rigs.push_back(std::move(rr));
    }
    return r;
  } catch (const std::exception& e) {  // json::exception, or UintIn's std::out_of_range.
    *error = where + ": " + e.what();
    return std::nullopt;
  }
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable();
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return Status::Unavailable();
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return ec ? Status::Unavailable() : Status::Ok();
}

std::string UtcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ToolVersion() {
#if defined(__clang__)
  const std::string compiler = std::string("clang++ ") + __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = std::string("g++ ") + __VERSION__;
#else
  const std::string compiler = "unknown compiler";
#endif
  return std::string("flashrig ") + FLASHRIG_VERSION + " (" + compiler + ")";
}

}  // namespace flashrig::hil
