// SimulatedSpiNorChip: a SPI NOR part modelled at the pins (an SpiDevice), byte by byte
// inside CS# frames, from a ChipModel: command set, SFDP (the model's sfdp_image, a real
// chip's bytes, or a generated table), status/WEL/BP rules, timing in
// virtual time, wear, power cuts and resets with torn effects. Wrap it in SpiDeviceBus to
// give the driver an SpiBus; the MPSSE emulator and serprog server drive it directly.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/ram_flash.h"  // PowerCutEffect
#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/spi_device.h"

namespace flashrig::driver {

namespace internal {
class ChipArray;
}

struct SimulatedChipOptions {
  enum class Timing : uint8_t {
    kTypical,  // Every operation takes the datasheet typical time (default).
    kSampled,  // Seeded samples in [typical, max], skewed towards typical.
    kMaximum,  // Worst case: every operation takes the maximum time.
  };
  Timing timing = Timing::kTypical;
  // SCK frequency used to charge wire time to the clock; 0 = the wire takes no time.
  uint32_t sck_hz = 0;
  // Seed of tears, sampled times, wear failures, unstable reads and the unique ID.
  uint64_t seed = 1;
  // Cells left mid-operation read back differently on each read (real NOR). Default on.
  bool unstable_torn_cells = true;
  // What MISO reads while the chip is unpowered (a pull-up gives FFh, a pull-down 00h).
  std::byte unpowered_miso{0xFF};
};

// When to cut the chip's power. The first trigger that fires wins; then the plan is spent.
struct ChipPowerCut {
  // Cut at this absolute virtual time. nullopt = disabled.
  std::optional<Clock::TimePoint> at_time{};
  // Cut after this many more bytes have been clocked on the wire (MOSI bytes, dummy
  // clocks / 8 included). 0 = disabled.
  uint64_t after_wire_bytes = 0;
  // Cut during the Nth program / erase / status write started from now (1-based), at
  // op_progress_permille of its duration. 0 = disabled.
  uint64_t at_mutating_op = 0;
  uint32_t op_progress_permille = 500;
  // What happens to the operation in progress: kTorn = damage according to its
  // progress; kNotApplied = the array is untouched; kApplied = it completes.
  PowerCutEffect effect = PowerCutEffect::kTorn;
  uint64_t seed = 1;  // Tear pattern.
};

struct ChipCounters {
  std::array<uint64_t, 256> commands{};  // Frames started, by opcode.
  uint64_t unknown_opcodes = 0;          // Ignored as unknown to this part.
  uint64_t ignored_busy = 0;             // Commands ignored because the chip was busy/suspended.
  uint64_t ignored_no_wel = 0;           // Program/erase/WRSR without WEL.
  uint64_t ignored_protected = 0;        // Program/erase into block-protected ranges.
  uint64_t ignored_malformed = 0;        // Wrong byte count for the command.
  uint64_t wire_bytes = 0;               // Bytes clocked (MOSI), dummy clocks included.
  uint64_t programs = 0;                 // Completed operations...
  uint64_t erases = 0;
  uint64_t chip_erases = 0;
  uint64_t status_writes = 0;
  uint64_t aborted_ops = 0;  // Programs/erases cut short by a reset.
  uint64_t torn_ops = 0;     // ...or by a power cut.
  uint64_t power_cuts = 0;
  Clock::Duration busy_time{0};  // Virtual time spent with WIP set (completed ops).
};

class SimulatedSpiNorChip final : public SpiDevice {
 public:
  // REQUIRES: ValidateChipModel(model).ok(). `clock` must outlive the chip. The array
  // starts erased, status registers zero (unprotected), powered on, 3-byte mode.
  SimulatedSpiNorChip(const ChipModel& model, VirtualClock& clock,
                      const SimulatedChipOptions& options = {});
  ~SimulatedSpiNorChip() override;

  // --- SpiDevice -------------------------------------------------------------------
  void Select() override;
  void Deselect() override;
  void Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) override;
  void DummyClocks(uint32_t cycles) override;
  // kChipPower (off = power cut with the armed plan's effect, kTorn if none), kWriteProtect
  // (WP#: low + SRP blocks WRSR), kHold (low: the chip ignores the wire), kReset (low =
  // hardware reset, held while low). All return kOk.
  Status SetControlLine(SpiControlLine line, bool high) override;
  bool powered() const override { return powered_; }

  // --- Power and faults ------------------------------------------------------------
  void SchedulePowerCut(const ChipPowerCut& plan);
  void CancelPowerCut() {
    cut_ = {};
    cut_armed_ = false;
  }
  // Cuts power now; an operation in progress gets `effect` (kTorn by its progress).
  void PowerOff(PowerCutEffect effect = PowerCutEffect::kTorn);
  // Powers up: volatile state resets (WEL, 4-byte mode, suspend); data, BP bits and
  // weak cells persist.
  void PowerOn();
  // A chip that never clears WIP (and executes nothing) until set false: drives the
  // driver's timeout path.
  void SetStuckBusy(bool stuck) { stuck_busy_ = stuck; }
  // Operations start normally but never complete (WIP stays set) until set false: a
  // program or erase that hangs.
  void SetOperationsHang(bool hang) { ops_hang_ = hang; }

  // --- State (for tests, campaigns and the CLI) --------------------------------------
  const ChipModel& model() const { return model_; }
  // Brings time-dependent state up to date (completes finished operations).
  void Sync();
  bool busy();
  // Virtual time until WIP clears on its own: 0 if the chip is not busy, nullopt if it
  // never will (SetStuckBusy, SetOperationsHang). Lets a host that only sees the chip
  // being polled run the clock ahead (hil/emulate's fast-forward).
  std::optional<Clock::Duration> time_to_ready();
  bool suspended() const { return suspended_; }
  bool in_4byte_mode() const { return in_4byte_mode_; }
  bool deep_power_down() const { return deep_power_down_; }
  // Status register `index` (0 = SR1), as RDSR would return it now.
  uint8_t status_register(size_t index);
  // Sets a status register as if written with WRSR, without timing (factory state).
  void SetStatusRegister(size_t index, uint8_t value);
  const ChipCounters& counters() const { return counters_; }
  void ResetCounters();
  // Erase counts per smallest erase unit (e.g. 4 KiB).
  const std::vector<uint64_t>& erase_counts() const;
  // Sets the erase counts (wear) of a chip restored from a checkpoint, one per smallest
  // erase unit. kInvalidArgument: wrong length.
  Status RestoreEraseCounts(std::span<const uint64_t> counts);
  // Restarts the chip's random streams (sampled op times, unstable reads) from `seed`, so
  // what follows does not depend on what the chip did before (exact replays).
  void Reseed(uint64_t seed);
  // Duration of the last program/erase/status write started (what the model charged).
  Clock::Duration last_op_duration() const { return last_op_duration_; }
  std::span<const std::byte> sfdp() const { return sfdp_; }
  std::array<std::byte, 8> unique_id() const { return unique_id_; }

  // --- Contents --------------------------------------------------------------------
  // The raw array, without unstable-cell noise. An operation in progress is not yet
  // visible (it is applied when it completes).
  std::span<const std::byte> contents() const;
  // kInvalidArgument if the size differs from the part.
  Status Restore(std::span<const std::byte> image);
  // Overwrites part of the array (no command, no time, no wear) and clears its weak cells:
  // how a power-loss sweep puts a snapshot back. kInvalidArgument if out of bounds.
  Status RestoreRange(uint32_t address, std::span<const std::byte> bytes);
  // kNotFound: no such file; kInvalidArgument: wrong size; kUnavailable: I/O error.
  Status LoadImage(const std::string& path);
  // Atomic (temporary file, then rename). kUnavailable on I/O error.
  Status SaveImage(const std::string& path) const;

 private:
  enum class Phase : uint8_t { kDeselected, kOpcode, kAddress, kDummy, kData, kIgnore };
  enum class Command : uint8_t {
    kNone,
    kRead,
    kProgram,
    kErase,
    kChipErase,
    kWriteEnable,
    kWriteDisable,
    kVolatileSrEnable,
    kReadStatus,
    kWriteStatus,
    kReadId,
    kReadSfdp,
    kUniqueId,
    kResetEnable,
    kReset,
    kDeepPowerDown,
    kReleasePowerDown,
    kEnter4Byte,
    kExit4Byte,
    kSuspend,
    kResume,
  };
  enum class OpKind : uint8_t { kNone, kProgram, kErase, kChipErase, kWriteStatus };
  struct Op {
    OpKind kind = OpKind::kNone;
    uint32_t address = 0;
    uint32_t size_bytes = 0;
    Clock::TimePoint start{0};
    Clock::TimePoint end{0};
    Clock::Duration remaining{0};     // While suspended.
    std::array<uint8_t, 3> status{};  // kWriteStatus: new values.
    uint8_t status_count = 0;
    uint8_t status_first = 0;
  };

  void Decode(uint8_t opcode);
  Command DecodeAddressedOpcode(uint8_t opcode);
  Command DecodeUnaddressedOpcode(uint8_t opcode, bool reset_was_enabled) const;
  Command DecodeModelOpcode(uint8_t opcode, bool volatile_sr_was_enabled);
  bool TakesCommandNow(Command c) const;
  void FeedByte(uint8_t mosi, std::byte* miso);
  size_t FeedBulk(std::span<const std::byte> mosi, std::span<std::byte> miso);
  uint8_t OutputByte();
  void Execute();
  void ExecuteControl(bool exact);
  void ExecuteProgram(bool complete, bool wel);
  void ExecuteErase(bool exact, bool wel);
  void ExecuteChipErase(bool exact, bool wel);
  void ExecuteWriteStatus(bool complete, bool wel);
  void ExecuteAddressMode(bool exact, bool wel);
  void StartOp(const Op& op, Clock::Duration duration);
  void CompleteOp();
  void DamageOp(PowerCutEffect effect, Clock::TimePoint at, uint64_t seed);
  void AdvanceTo(Clock::TimePoint now);
  void CutPower(Clock::TimePoint at, PowerCutEffect effect, uint64_t seed);
  void ResetVolatileState();
  void SoftwareReset();
  void ChargeWire(uint64_t bits);
  Clock::Duration OpDuration(const OpTiming& timing, double scale, uint32_t address,
                             uint32_t size_bytes);
  bool ProtectedOverlap(uint32_t address, uint64_t length) const;
  uint32_t address_bytes_for(uint8_t opcode) const;
  bool op_active() const { return op_.kind != OpKind::kNone; }

  ChipModel model_;
  VirtualClock& clock_;
  SimulatedChipOptions options_;
  std::unique_ptr<internal::ChipArray> array_;
  std::vector<std::byte> sfdp_;
  std::array<std::byte, 8> unique_id_{};
  SeededRandom rng_;
  ChipCounters counters_;

  // Power, pins and volatile state.
  bool powered_ = true;
  bool hold_low_ = false;
  bool reset_low_ = false;
  bool wp_high_ = true;
  bool stuck_busy_ = false;
  bool ops_hang_ = false;
  bool in_4byte_mode_ = false;
  bool deep_power_down_ = false;
  bool reset_enabled_ = false;
  bool volatile_sr_enable_ = false;
  bool suspended_ = false;
  std::array<uint8_t, 3> sr_{};  // SR1 bits WIP/WEL are maintained live.
  Op op_;
  Clock::Duration last_op_duration_{0};
  uint64_t wire_ps_ = 0;  // Wire time not yet charged, in picoseconds.

  // Power-cut plan.
  ChipPowerCut cut_;
  bool cut_armed_ = false;
  uint64_t cut_wire_bytes_seen_ = 0;
  uint64_t cut_ops_seen_ = 0;

  // The frame being clocked.
  Phase phase_ = Phase::kDeselected;
  Command command_ = Command::kNone;
  uint8_t opcode_ = 0;
  uint32_t address_ = 0;
  uint32_t address_needed_ = 0;
  uint32_t address_have_ = 0;
  uint32_t dummy_clocks_left_ = 0;
  uint32_t data_count_ = 0;  // Data bytes clocked in/out in this frame.
  size_t erase_index_ = 0;
  bool frame_bytes_extra_ = false;      // Bytes beyond what the command takes.
  std::vector<std::byte> page_buffer_;  // PP data latch (FFh where not written).
  std::array<uint8_t, 3> status_in_{};
  uint8_t status_reg_index_ = 0;
};

}  // namespace flashrig::driver
