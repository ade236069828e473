// Rig: what a campaign runs against — a Flash limited to the configured partition, the
// clock that times it (virtual = modelled, host = measured), what is known about the
// part, and optionally a way to cut power. OpenRig() builds one from a RigConfig.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/status.h"
#include "flashrig/driver/spinor/busy_log.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/targets/chip_state.h"

namespace flashrig::hil {

// Whether durations come from a model (simulator + VirtualClock) or a host clock.
enum class TimingSource : uint8_t { kModelled, kMeasured };
const char* TimingSourceName(TimingSource t);  // "modelled" | "measured"

// How the interrupted operation ends when a scheduled cut fires.
enum class CutOutcome : uint8_t { kTorn, kNotApplied, kApplied };

// One scheduled cut.
struct CutPlan {
  uint64_t mutating_op = 0;  // Cut during the Nth program/erase/status write from now (1-based).
  // How the interrupted operation ends; only switches with exact() effects choose it.
  CutOutcome outcome = CutOutcome::kTorn;
  uint64_t seed = 1;  // Tear pattern; also picks the default cut point inside the op.
  // random_offset_us: cut this fraction [0, 1) of the operation's datasheet typical busy
  // time after it starts. nullopt = a seeded point inside the operation.
  std::optional<double> typical_fraction{};
};

// What the most recent cut did, for the report's outcome table.
struct CutRecord {
  bool fired = false;
  std::string op{};                     // "program", "erase", ... ("" = not observed)
  uint32_t erase_size_bytes = 0;        // For "erase".
  std::optional<uint64_t> offset_us{};  // Into the operation; nullopt = not timed.
  uint64_t typical_us = 0;              // The part's typical time for that op (0 = unknown).
};

// Power control a power-loss campaign can drive. Exact on simulated targets; on real rigs a
// GPIO-switched supply or a 66h/99h software reset after the Nth mutating command.
class PowerSwitch {
 public:
  virtual ~PowerSwitch() = default;
  // Arms a cut; replaces any earlier plan. Counting starts now.
  virtual void ArmCut(const CutPlan& plan) = 0;
  virtual void Disarm() = 0;
  // Mutating operations seen since the last ArmCut() or Disarm() (to plan sweeps).
  virtual uint64_t mutating_ops() const = 0;
  // Cuts that fired since construction.
  virtual uint64_t cuts() const = 0;
  // Restores power; the device answers again. kUnavailable if it does not come back.
  virtual Status PowerOn() = 0;
  // "exact" (simulated cut), "gpio" (switched supply) or "soft_reset" (66h/99h).
  virtual const char* method() const = 0;
  // True when CutPlan::outcome decides the interrupted op's fate (simulated targets);
  // false when physics does (real rigs: the report says "physical").
  virtual bool exact() const { return false; }
  // Whether CutPlan::typical_fraction is honoured (needs the op's kind and timing).
  virtual bool supports_offsets() const { return false; }
  virtual CutRecord last_cut() const { return {}; }
};

// Everything a campaign sees of one rig. Non-owning; the RigHandle owns the objects.
struct Rig {
  std::string name{};
  std::string target{};
  driver::Flash* flash = nullptr;  // The partition: address 0 = partition start.
  Clock* clock = nullptr;
  TimingSource timing = TimingSource::kMeasured;
  // Datasheet facts when the target knows its part (sim: part JSON; chip: part database).
  std::optional<driver::ChipModel> part{};
  PowerSwitch* power = nullptr;  // nullptr = no power control.
  // Devices that live in this process (ram:, sim:, ftdi-emu:) lose contents and wear when
  // it ends; a checkpoint keeps them through these. Empty = the device keeps its own state
  // (real chips; image: files are written back on close).
  std::function<ChipState()> get_chip_state{};
  std::function<Status(const ChipState&)> set_chip_state{};
  // In-process devices: overwrites the partition with `image` directly (no commands, no
  // time, no wear; weak cells cleared), as a power-loss sweep puts a snapshot back.
  // Empty = not possible (real chips: erase and program instead).
  std::function<Status(std::span<const std::byte> image)> write_partition{};
  // Restarts the in-process device's random streams (sampled times, unstable reads) so a
  // power-loss round depends only on its seed, not on the rounds before it: `--cut N`
  // then replays round N exactly. Empty = nothing to reseed (real chips).
  std::function<void(uint64_t seed)> reseed{};
  // Saves the whole device image (ram/sim/image targets); empty = not possible.
  std::function<Status(const std::string& path)> save_image{};
  // Cumulative chip busy time per kind as the driver saw it by WIP polling (SPI NOR
  // targets); empty = only operation times (which include the bus transfer) are known.
  std::function<Clock::Duration(driver::BusyKind)> busy_total{};
  // SPI transactions issued so far (simulated and real SPI targets); empty = not counted.
  std::function<uint64_t()> spi_transactions{};
  // Identity facts for qualify; null = unknown. Keys a target may fill: "jedec_id"
  // ([3 bytes]), "sfdp": {"size_bytes", "page_bytes", "erase_sizes_bytes": [...]}.
  nlohmann::json identity{};
  // The SFDP space the chip returned when it was probed (SPI NOR targets); qualify decodes
  // it and compares it with the part file. Empty = not read.
  std::vector<std::byte> sfdp_image{};
  // Exercises status-register / block-protect behaviour (set BP bits, see a program in
  // the protected range refused, clear them); "" = behaved, else what went wrong. Empty
  // function = the target cannot (RAM targets); qualify then lists it as not run.
  std::function<std::string()> check_protection{};
};

// Owns the backend objects behind a Rig. Destroying it closes the device.
class RigHandle {
 public:
  virtual ~RigHandle() = default;
  virtual Rig& rig() = 0;
};

struct RigOpenResult {
  std::unique_ptr<RigHandle> handle{};
  std::string error{};     // Set when handle is null.
  bool bad_input = false;  // The config was wrong (exit 2) rather than the device (exit 3).
};

// Opens the target of `config` and applies its partition. Never throws.
RigOpenResult OpenRig(const RigConfig& config);

}  // namespace flashrig::hil
