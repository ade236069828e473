// CheckpointStore: DIR/checkpoint.json, the per-rig campaign state that lets
// `flashrig run --resume DIR` continue after Ctrl-C, a host crash or a USB glitch.
// Written atomically (temp file + rename) and rate-limited; thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"
#include "flashrig/hil/campaigns/campaign.h"

namespace flashrig::hil {

class CheckpointStore {
 public:
  // `interval`: the least time between two unforced writes. `only_rigs`: the rigs the run
  // was limited to (`--rig`; empty = all), kept so --resume runs the same ones.
  CheckpointStore(std::string path, std::string campaign, Shard shard,
                  std::chrono::seconds interval, std::vector<std::string> only_rigs = {});

  // Reads an existing checkpoint. kNotFound: no file; kDataLoss: unreadable, or written
  // for another campaign (*error says which).
  Status Load(std::string* error);

  Shard shard() const { return shard_; }
  const std::vector<std::string>& only_rigs() const { return only_rigs_; }
  bool complete() const { return complete_; }
  // The saved state of `rig` (null if none).
  nlohmann::json StateFor(const std::string& rig) const;

  // Records `state` for `rig` and writes the file, if `force` or the interval has passed;
  // otherwise drops it (so campaigns end with a forced update).
  void Update(const std::string& rig, const nlohmann::json& state, bool force);
  // Whether Update(..., force) would write now (lets a caller save files the state names
  // only when it will be written).
  bool Due(bool force) const;
  // Records `state` for `rig` and writes the file now. kUnavailable if the write failed.
  Status Write(const std::string& rig, const nlohmann::json& state);
  // Marks the run finished (or not) and writes the file now.
  Status Finish(bool complete);

 private:
  Status WriteLocked();

  std::string path_;
  std::string campaign_;
  Shard shard_;
  std::vector<std::string> only_rigs_;
  std::chrono::seconds interval_;
  mutable std::mutex mu_;
  nlohmann::json rigs_ = nlohmann::json::object();
  bool complete_ = false;
  std::chrono::steady_clock::time_point last_write_{};
};

}  // namespace flashrig::hil
