// Power-loss dry-run records: the hazardous cut points, a hash of every flash write, and
// (with power_loss.snapshot_every_ops = K) a snapshot of the partition and the reference
// model every K KV ops. A cut round then starts from the last snapshot before its cut
// instead of replaying the workload from op 0, which turns the sweep's cost from
// quadratic into linear in the workload's length. A round started from a snapshot must
// issue exactly the dry run's writes from there on (checked write by write); an engine
// that behaves differently after a remount is caught, and that round replays from op 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/flash_wrapper.h"
#include "flashrig/hil/targets/rig.h"

namespace flashrig::hil {

// Key -> acknowledged value (nullopt = absent): what the workload has been told so far.
using PowerLossModel = std::map<std::string, std::optional<std::vector<std::byte>>>;

struct PowerLossSnapshot {
  size_t kv_op = 0;                // The workload op it was taken before.
  uint64_t mutating_ops = 0;       // Mutating ops before it, as the power switch counts.
  size_t writes = 0;               // Flash writes (program/erase calls) before it.
  PowerLossModel model{};          // The acknowledged state at that point.
  std::vector<std::byte> image{};  // The partition's bytes.
};

// Wraps the rig's flash during the dry run. Records which writes are hazardous cut points,
// numbered as the power switch counts them (chip commands on SPI targets, where one Flash
// program can be several page programs), and a hash of every write.
class DryRunRecorder final : public driver::FlashWrapper {
 public:
  DryRunRecorder(driver::Flash& flash, const PowerSwitch& power)
      : FlashWrapper(flash), power_(power) {}
  std::vector<uint64_t> hazards;
  std::vector<uint64_t> writes;  // WriteHash of each program/erase, in order.
  // Starts afresh (after mount, where the switch's count restarts too).
  void Reset();

 private:
  uint64_t NextOp() const { return power_.mutating_ops() + 1; }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;
  const PowerSwitch& power_;
  bool after_erase_ = false;
};

// Compares each write with the dry run's, from write number `first` on, once armed (after
// mount). On the first difference it refuses the write (kFailedPrecondition) and stays
// diverged: the round is not the one the dry run predicted.
class WriteTraceCheck final : public driver::FlashWrapper {
 public:
  WriteTraceCheck(driver::Flash& flash, const std::vector<uint64_t>& trace, size_t first)
      : FlashWrapper(flash), trace_(trace), next_(first) {}
  void Arm() { armed_ = true; }
  bool diverged() const { return diverged_; }
  size_t position() const { return next_; }  // The write that differed, once diverged.

 private:
  Status Check(uint64_t hash);
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;
  const std::vector<uint64_t>& trace_;
  size_t next_;
  bool armed_ = false;
  bool diverged_ = false;
};

// The snapshot a round cut at mutating op `cut` starts from: the last one taken before
// that op. nullptr = none (the round starts from a blank partition at op 0).
const PowerLossSnapshot* SnapshotFor(const std::vector<PowerLossSnapshot>& snapshots, uint64_t cut);

// Copies the partition into `snapshot->image` (through `flash`: any target).
Status CaptureImage(driver::Flash& flash, PowerLossSnapshot* snapshot);

// Writes `image` onto an erased partition: programs every page that is not all erased.
Status RestoreImage(driver::Flash& flash, std::span<const std::byte> image);

}  // namespace flashrig::hil
