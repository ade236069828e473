// LogKv: a tiny test-only log-structured KV engine behind hil::KvUnderTest, with a switch
// that makes it acknowledge writes before programming them (a classic durability bug).
// The correct variant must pass the power-loss campaign; the broken one must fail it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/hil/campaigns/kv_under_test.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"

namespace flashrig::hil::testing {

class LogKv final : public KvUnderTest {
 public:
  // `ack_before_program`: Append/Set/Invalidate return kOk after updating RAM only; the
  // record reaches flash at the start of the next call (so a cut can lose an acked write).
  LogKv(driver::Flash& flash, bool ack_before_program)
      : flash_(flash), ack_before_program_(ack_before_program) {}

  Status Mount() override;
  Status Append(const std::string& key, std::span<const std::byte> value) override;
  Status Set(const std::string& key, std::span<const std::byte> value) override;
  Status Get(const std::string& key, std::vector<std::byte>* out) override;
  Status Invalidate(const std::string& key) override;
  Status GarbageCollect() override;

 private:
  static constexpr uint32_t kAlign = 16;
  static constexpr size_t kHeader = 10;  // magic, type, key_len, val_len(2), crc(4), commit
  Status Put(uint8_t type, const std::string& key, std::span<const std::byte> value);
  Status WriteRecord(const std::vector<std::byte>& record);
  Status FlushPending();

  driver::Flash& flash_;
  bool ack_before_program_;
  bool mounted_ = false;
  uint32_t cursor_ = 0;
  std::map<std::string, std::vector<std::byte>> index_;
  std::optional<std::vector<std::byte>> pending_;
};

// A factory for the power-loss campaign: LogKv, correct or acknowledging before it programs.
KvFactory LogKvFactory(bool ack_before_program);

// Runs the power-loss campaign `config` with engine `kv` on an opened rig (campaign seed
// `seed`), expecting the rig to suit it and the run to complete; returns its report.
RigReport RunPowerLossOn(Rig& rig, const PowerLossConfig& config, const KvFactory& kv,
                         uint64_t seed);

}  // namespace flashrig::hil::testing
