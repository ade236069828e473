// SpiNorFlash: the Flash seam over any SpiBus, speaking the JEDEC SPI NOR command set.
// Probe (RDID, SFDP, part database), page-split programs, largest-fitting erases,
// FAST_READ in chunks, WIP polling with deadlines, block protection, 4-byte addressing,
// software reset, optional verify, and a log of measured busy times.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/spinor/busy_log.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/part_database.h"
#include "flashrig/driver/spinor/spi_bus.h"
#include "flashrig/driver/spinor/spi_nor_params.h"

namespace flashrig::driver {

struct SpiNorOptions {
  // After each page program, read back and check that every bit the program had to
  // clear is clear (NOR can only clear bits, so bits already 0 are not an error).
  // Mismatch -> kDataLoss. Default off.
  bool verify_after_write = false;
  // After each erase, read back and check for all FFh. Mismatch -> kDataLoss.
  bool verify_after_erase = false;
  // After WREN, read SR1 and require WEL before sending the program/erase (catches a
  // chip that is absent on a bus reading 00h, or in deep power-down). Costs one status
  // read per operation. Default on.
  bool confirm_write_enable = true;
  // Try SFDP before the part database. false = database only.
  bool use_sfdp = true;
  // A chip that answers RDID but whose parameters cannot be found (no usable SFDP, not in
  // the part database) still gets a driver, with a placeholder geometry of two 4 KiB
  // sectors and info().source == kNone, so its SFDP can be read (`flashrig sfdp dump`).
  bool accept_unknown_part = false;
  // Parts over 16 MiB: dedicated 4-byte opcodes when available, else enter 4-byte mode.
  bool prefer_4byte_opcodes = true;
  // FAST_READ transaction size. > 0.
  uint32_t read_chunk_bytes = 64 * 1024;
  // WIP deadline = part max time * timeout_margin_percent / 100 + timeout_slack, capped
  // at max_wait (the global cap).
  uint32_t timeout_margin_percent = 150;
  Clock::Duration timeout_slack = std::chrono::milliseconds(10);
  Clock::Duration max_wait = std::chrono::seconds(600);
  // Poll interval = part typical time / polls_per_typical, at least min_poll_interval.
  uint32_t polls_per_typical = 64;
  Clock::Duration min_poll_interval = std::chrono::microseconds(1);
  // When the first status poll after starting a program/erase happens.
  //   kImmediately: at once (finest busy-time resolution; every early poll costs a
  //                 transaction).
  //   kLearned:     after the time by which this chip finishes that kind of operation
  //                 first_poll_hit_percent % of the time, learned from its own recent
  //                 operations (starting at the part's typical time). Saves round trips
  //                 on a USB bridge at the cost of a little idle time.
  //   kAuto:        kLearned when the bus reports a round-trip cost (FTDI), else
  //                 kImmediately (simulated chip, in-process buses).
  enum class FirstPoll : uint8_t { kAuto, kImmediately, kLearned };
  FirstPoll first_poll = FirstPoll::kAuto;
  uint32_t first_poll_hit_percent = 90;  // 1..99.
  // Busy records kept (statistics always cover all). 0 = keep none.
  size_t busy_log_capacity = 4096;
};

// What probing learned; filled as far as probing got, even when it fails.
struct ProbeInfo {
  std::array<uint8_t, 3> jedec_id{};
  ParamSource source = ParamSource::kDatabase;
  Status sfdp_status = Status::NotFound();  // Why SFDP was not used (kOk if it was).
  std::string sfdp_error = "not read";      // "" when SFDP was used.
  std::vector<std::byte> sfdp_image{};      // The SFDP space as read (every counted table).
  std::optional<Sfdp> sfdp{};               // It decoded.
  std::optional<ChipModel> part{};          // The part database entry the chip matched.
  PartMatch::How part_match = PartMatch::How::kNone;
  std::string part_match_why{};  // Set when several entries share the JEDEC ID.
  // The part as the chip's table describes it, with the entry's overrides applied.
  std::optional<ChipModel> sfdp_part{};
  // Every override applied, field filled in from the database, default used and table
  // field ignored on the way to `params` (what `flashrig probe` prints).
  std::vector<PartNote> notes{};
  SpiNorParams params{};
};

// Block-protect state as read from SR1.
struct ProtectionInfo {
  uint8_t status1 = 0;
  bool layout_known = false;  // False: no database entry; any BP bit = all protected.
  ProtectedRange range{};
  bool status_register_protected = false;  // SRP set (with WP# low, WRSR is refused).
};

class SpiNorFlash final : public Flash {
 public:
  // Identifies the chip on `bus` and returns a driver for it. `database` may be null;
  // it must outlive nothing (parts are copied). `bus` and `clock` must outlive the
  // driver. `info` (optional) receives what was learned, also on failure.
  //   kOk
  //   kNotFound          RDID reads all FFh / all 00h (no chip), or an unknown part
  //                      without usable SFDP
  //   kUnimplemented     the part cannot be addressed (> 2 GiB, no 4-byte method)
  //   kUnavailable / kDeadlineExceeded  from the bus, or the chip stayed busy
  static Result<std::unique_ptr<SpiNorFlash>> Probe(SpiBus& bus, Clock& clock,
                                                    const PartDatabase* database,
                                                    const SpiNorOptions& options = {},
                                                    ProbeInfo* info = nullptr);

  const ProbeInfo& info() const { return info_; }
  const SpiNorParams& params() const { return info_.params; }
  const SpiNorOptions& options() const { return options_; }
  BusyLog& busy_log() { return busy_log_; }

  // --- Chip commands beyond Flash ---------------------------------------------------
  // RDID. kUnavailable / kDeadlineExceeded from the bus.
  Result<std::array<uint8_t, 3>> ReadJedecId();
  // Status register `index` (0 = SR1 05h, 1 = 35h, 2 = 15h).
  Result<uint8_t> ReadStatus(int index = 0);
  // Re-reads SR1 and returns (and caches) the protection state.
  Result<ProtectionInfo> ReadProtection();
  // Clears the BP/TB/SRP bits (WREN, WRSR, wait). kPermissionDenied if they stay set
  // (SRP with WP# low); kDeadlineExceeded if the write never completes.
  Status Unlock();
  // Writes SR1 (WREN, 01h value, wait) and refreshes the protection cache. For tests
  // and `flashrig` commands that lock a part.
  Status WriteStatus1(uint8_t value);
  // 66h then 99h, then waits tRST (30 us). Aborts an operation in progress.
  Status SoftwareReset();
  // Chip erase (C7h). kPermissionDenied if any block is protected.
  Status EraseChip();
  // Reads `out.size()` bytes of SFDP space at `address`.
  Status ReadSfdp(uint32_t address, std::span<std::byte> out);
  // Reads the SFDP space up to the end of the last table the counted parameter headers
  // point to (SfdpBytesNeeded, at most kSfdpMaxBytes). A chip without SFDP gives 8 bytes.
  Result<std::vector<std::byte>> ReadSfdpSpace();

 private:
  SpiNorFlash(const FlashGeometry& geometry, SpiBus& bus, Clock& clock,
              const SpiNorOptions& options, ProbeInfo info);

  Status DoRead(uint32_t address, std::span<std::byte> out) override;
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;

  // The steps every mutating operation goes through, named as the chip sees them.
  Status EnterAddressMode();
  Status WriteEnable();
  Status SendAddressed(uint8_t opcode, uint32_t address, std::span<const std::byte> data);
  // Polls WIP until clear or the deadline; records the wait in the busy log if `record`.
  // `just_started`: the caller has just sent the command, so the first poll may be
  // scheduled (see SpiNorOptions::first_poll); false polls at once.
  Status WaitReady(BusyKind kind, uint32_t address, uint32_t size_bytes, uint64_t typical_us,
                   uint64_t max_us, bool record = true, bool just_started = true);
  // The delay before the first poll of an operation of `kind` whose typical time is
  // `typical`, and the update after it (hit = the first poll found the chip ready).
  Clock::Duration FirstPollDelay(BusyKind kind, Clock::Duration typical) const;
  void LearnFirstPoll(BusyKind kind, bool hit);
  Status ProgramPage(uint32_t address, std::span<const std::byte> data);
  Status EraseBlock(const SpiNorEraseOp& erase, uint32_t address);
  Status VerifyErased(uint32_t address, uint32_t size_bytes);
  bool four_byte_addresses() const { return params().addressing != Addressing::k3Byte; }
  uint8_t ReadOpcode() const;
  uint8_t ProgramOpcode() const;
  ProtectionInfo DecodeProtection(uint8_t sr1) const;

  SpiBus& bus_;
  Clock& clock_;
  SpiNorOptions options_;
  ProbeInfo info_;
  BusyLog busy_log_;
  ProtectionInfo protection_;
  static constexpr uint32_t kFirstPollUnity = 1024;
  // Per busy kind: first-poll delay as a multiple of the typical time, in 1/1024 units
  // (1024 = at typical). Tracks the first_poll_hit_percent quantile of this chip.
  std::array<uint32_t, static_cast<size_t>(BusyKind::kCount)> first_poll_scale_{};
};

// Helpers shared with tests: RDID answers that mean "no chip on the bus".
bool IsNoChipId(const std::array<uint8_t, 3>& id);

}  // namespace flashrig::driver
