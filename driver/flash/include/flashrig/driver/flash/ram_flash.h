// RamFlash: a NOR-faithful flash in RAM with counters, fault rules, power cuts, wear-out,
// snapshots and image files. The backend every test and the CI harness run on.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/fault_rule.h"
#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/flash_counters.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// What the mutating operation that is cut by a power loss leaves behind.
enum class PowerCutEffect : uint8_t {
  kNotApplied,  // Nothing of the interrupted operation reached the array.
  kApplied,     // It completed, but the caller never hears so (returns kUnavailable).
  kTorn,        // Program: a seeded subset of the bits it would clear is cleared.
                // Erase: the sector is left with seeded random content.
};

// When to cut power. At most one trigger is used: the first one that fires.
struct PowerCutPlan {
  // Cut during the Nth mutating operation (program or erase) from now, 1-based.
  // 0 = disabled.
  uint64_t at_mutating_op = 0;
  // Cut when this many more bytes have been programmed or erased; the operation that
  // crosses the count has its bytes before the cut applied and the rest per `effect`.
  // 0 = disabled.
  uint64_t after_bytes = 0;
  PowerCutEffect effect = PowerCutEffect::kNotApplied;
  // Seed of the tear pattern; the same seed gives the same torn image.
  uint64_t seed = 1;
};

// What a sector past its rated erase count does.
enum class WearOutMode : uint8_t {
  kNone,          // Wear is counted but never fails.
  kEraseError,    // Erase returns kDataLoss and leaves the sector as it was.
  kProgramError,  // Program returns kDataLoss and applies nothing.
  kReadError,     // Read returns kDataLoss.
  kSilentErase,   // Erase reports ok but leaves a seeded subset of bits at 0.
};

struct RamFlashOptions {
  FlashGeometry geometry;
  // Program fails with kFailedPrecondition if it asks to turn a 0 bit into a 1 (an engine
  // bug on real NOR). Default off: NOR allows it, the bit simply stays 0.
  bool strict = false;
  // Cells left mid-operation by a torn program or erase read back differently on each
  // read until they are erased or programmed to 0 (real NOR does this). Default off.
  bool unstable_torn_cells = false;
  // Erases a sector is rated for; 0 = unlimited (no wear-out).
  uint64_t rated_erase_cycles = 0;
  WearOutMode wear_out_mode = WearOutMode::kNone;
  // Seed for wear-out damage and unstable reads.
  uint64_t seed = 1;
};

class RamFlash final : public Flash {
 public:
  // REQUIRES: options.geometry.IsValid(). The array starts erased.
  explicit RamFlash(const RamFlashOptions& options);
  // Convenience: `sectors` erase units of `sector_bytes`, defaults elsewhere.
  RamFlash(uint32_t sector_bytes, uint32_t sectors);

  // --- Counters ---------------------------------------------------------------
  const FlashCounters& counters() const { return counters_; }
  void ResetCounters();
  uint64_t erase_count(uint32_t sector_index) const { return erase_counts_.at(sector_index); }
  const std::vector<uint64_t>& erase_counts() const { return erase_counts_; }
  // Sets the per-sector erase counts (wear) of a device restored from a checkpoint.
  // kInvalidArgument: not one count per sector.
  Status RestoreEraseCounts(std::span<const uint64_t> counts);
  // Restarts the noise of unstable torn cells from `seed` (exact replays).
  void ReseedReadNoise(uint64_t seed) { read_noise_ = SeededRandom(seed); }
  // Program + erase calls that reached the array (used to plan power-cut sweeps).
  uint64_t mutating_ops() const { return counters_.program_ops + counters_.erase_ops; }

  // --- Faults -----------------------------------------------------------------
  void AddFault(const FaultRule& rule) { faults_.Add(rule); }
  void ClearFaults() { faults_.Clear(); }
  const FaultRules& faults() const { return faults_; }

  // --- Power ------------------------------------------------------------------
  // Arms a power cut; replaces any earlier plan. Counting starts now.
  void SchedulePowerCut(const PowerCutPlan& plan);
  void CancelPowerCut() { plan_ = {}; }
  // Cuts power now: every later call returns kUnavailable until PowerOn().
  void PowerOff() { powered_ = false; }
  void PowerOn() { powered_ = true; }
  bool powered() const { return powered_; }
  // How many scheduled cuts have fired since construction.
  uint64_t power_cuts() const { return power_cuts_; }

  // --- Contents ---------------------------------------------------------------
  // The raw array, without fault, power or counter effects (for tests and images).
  std::span<const std::byte> contents() const { return data_; }
  std::vector<std::byte> Snapshot() const { return data_; }
  // kInvalidArgument if the size differs from the device. Clears torn-cell state.
  Status Restore(std::span<const std::byte> image);
  // Overwrites [address, address + bytes.size()) without counting an operation or wear,
  // and clears its torn-cell state. kInvalidArgument if out of bounds.
  Status RestoreRange(uint32_t address, std::span<const std::byte> bytes);

  // Loads an image file. kNotFound: no such file; kInvalidArgument: its size is not
  // geometry.size_bytes; kUnavailable: read error.
  Status LoadImage(const std::string& path);
  // Writes the array to `path` atomically (temporary file, then rename).
  // kUnavailable on any I/O error; the old file is then left untouched.
  Status SaveImage(const std::string& path) const;

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override;
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;

  // Returns true if a scheduled cut fires during this mutating op of `length` bytes; sets
  // *applied_bytes to how many leading bytes complete before the cut.
  bool CutFires(uint64_t length, uint64_t* applied_bytes);
  void ProgramBytes(uint32_t address, std::span<const std::byte> data);
  void TearProgram(uint32_t address, std::span<const std::byte> data, SeededRandom& rng);
  void TearErase(uint32_t address, uint32_t size_bytes, SeededRandom& rng);
  bool WornOut(uint32_t address, uint64_t length) const;

  RamFlashOptions options_;
  std::vector<std::byte> data_;
  std::vector<uint8_t> weak_bits_;  // Per byte: bits that read unstable; empty if unused.
  std::vector<uint64_t> erase_counts_;
  FlashCounters counters_;
  FaultRules faults_;
  PowerCutPlan plan_;
  uint64_t plan_ops_seen_ = 0;
  uint64_t plan_bytes_seen_ = 0;
  uint64_t power_cuts_ = 0;
  bool powered_ = true;
  SeededRandom read_noise_;
};

}  // namespace flashrig::driver
