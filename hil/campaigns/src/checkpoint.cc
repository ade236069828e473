// CheckpointStore: JSON state per rig, written atomically.
#include "flashrig/hil/campaigns/checkpoint.h"

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

CheckpointStore::CheckpointStore(std::string path, std::string campaign, Shard shard,
                                 std::chrono::seconds interval, std::vector<std::string> only_rigs)
    : path_(std::move(path)),
      campaign_(std::move(campaign)),
      shard_(shard),
      only_rigs_(std::move(only_rigs)),
      interval_(interval) {}

Status CheckpointStore::Load(std::string* error) {
  ConfigErrors errors;
  auto j = ReadJsonFile(path_, &errors);
  if (!j) {
    *error = errors.empty() ? path_ + ": unreadable" : errors.front().ToString();
    return errors.empty() || errors.front().message != "cannot open file" ? Status::DataLoss()
                                                                          : Status::NotFound();
  }
  try {
    if (j->at("format").get<std::string>() != "flashrig-checkpoint")
      throw std::runtime_error("format");
    if (j->at("campaign").get<std::string>() != campaign_) {
      *error = path_ + ": checkpoint belongs to campaign \"" +
               j->at("campaign").get<std::string>() + "\", not \"" + campaign_ + "\"";
      return Status::DataLoss();
    }
    std::lock_guard lock(mu_);
    shard_.index = static_cast<uint32_t>(JsonUint(j->at("shard").at("index"), UINT32_MAX));
    shard_.count = static_cast<uint32_t>(JsonUint(j->at("shard").at("count"), UINT32_MAX));
    complete_ = j->at("complete").get<bool>();
    only_rigs_ = j->value("only_rigs", std::vector<std::string>{});
    rigs_ = j->at("rigs");
    if (shard_.count == 0 || shard_.index >= shard_.count || !rigs_.is_object()) {
      throw std::runtime_error("shard/rigs");
    }
  } catch (const std::exception& e) {
    *error = path_ + ": not a valid flashrig checkpoint (" + e.what() + ")";
    return Status::DataLoss();
  }
  return Status::Ok();
}

nlohmann::json CheckpointStore::StateFor(const std::string& rig) const {
  std::lock_guard lock(mu_);
  return rigs_.contains(rig) ? rigs_[rig] : nlohmann::json();
}

void CheckpointStore::Update(const std::string& rig, const nlohmann::json& state, bool force) {
  std::lock_guard lock(mu_);
  // Copying a large state (thousands of power-loss outcomes) on every call would cost
  // more than the work it records; only a state that is written is kept.
  if (!force && std::chrono::steady_clock::now() - last_write_ < interval_) return;
  rigs_[rig] = state;
  // A failed checkpoint write must not stop a multi-day run; the next one retries.
  WriteLocked().IgnoreError();
}

bool CheckpointStore::Due(bool force) const {
  std::lock_guard lock(mu_);
  return force || std::chrono::steady_clock::now() - last_write_ >= interval_;
}

Status CheckpointStore::Write(const std::string& rig, const nlohmann::json& state) {
  std::lock_guard lock(mu_);
  rigs_[rig] = state;
  return WriteLocked();
}

Status CheckpointStore::Finish(bool complete) {
  std::lock_guard lock(mu_);
  complete_ = complete;
  return WriteLocked();
}

Status CheckpointStore::WriteLocked() {
  last_write_ = std::chrono::steady_clock::now();
  const nlohmann::json j = {{"format", "flashrig-checkpoint"},
                            {"version", 1},
                            {"campaign", campaign_},
                            {"shard", {{"index", shard_.index}, {"count", shard_.count}}},
                            {"complete", complete_},
                            {"only_rigs", only_rigs_},
                            {"updated_utc", UtcNow()},
                            {"rigs", rigs_}};
  // replace: a rig name or path with invalid UTF-8 must not make dump() throw.
  return WriteFileAtomic(path_, j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace flashrig::hil
