// CutSpiBus: an SpiBus decorator between the SPI NOR driver and a rig's real bus that
// recognises mutating commands (program, erase, status write) and, when armed, hands the
// Nth one to a cut action — how power-loss campaigns cut mid-operation on real rigs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "flashrig/driver/flash/status.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::hil {

// A command that changes the array or a status register, as seen on the wire.
struct MutatingCommand {
  enum class Kind : uint8_t { kProgram, kErase, kChipErase, kWriteStatus };
  Kind kind = Kind::kProgram;
  uint8_t opcode = 0;
  uint32_t erase_size_bytes = 0;  // kErase: the block size the opcode erases (0 = unknown).
  uint32_t data_bytes = 0;        // kProgram: bytes after the opcode and address.
};
const char* MutatingKindName(MutatingCommand::Kind kind);  // "program", "erase", ...

// Classifies a transaction by its first byte against the part's command set (`model`
// decides which erase opcode erases how much). nullopt = not a mutating command.
std::optional<MutatingCommand> ClassifyMutating(std::span<const driver::SpiSegment> segments,
                                                const driver::ChipModel* model);

// The datasheet typical busy time of `command` on `model` (0 = unknown): tSE/tBE/tCE,
// tW, and for programs tPP pro rata to the bytes programmed, at least 1/16 of it (short
// programs take about tBP1, e.g. 30 us on the W25Q128JV against tPP/16 = 25 us).
uint64_t TypicalBusyUs(const MutatingCommand& command, const driver::ChipModel& model);

class CutSpiBus final : public driver::SpiBus {
 public:
  // Called instead of forwarding the armed transaction: it forwards `segments` through
  // `inner` itself (before or after arranging the cut) and returns what the driver sees.
  using CutAction = std::function<Status(const MutatingCommand& command, driver::SpiBus& inner,
                                         std::span<const driver::SpiSegment> segments)>;

  // `inner` and `model` (may be null) must outlive this bus.
  CutSpiBus(driver::SpiBus& inner, const driver::ChipModel* model) : inner_(inner), model_(model) {}

  void set_model(const driver::ChipModel* model) { model_ = model; }
  const driver::ChipModel* model() const { return model_; }

  // Mutating transactions forwarded since construction (a blocked one is not counted).
  uint64_t mutating_ops() const { return mutating_ops_; }

  // Runs `action` for the `nth` (1-based) mutating transaction from now; then disarms.
  void Arm(uint64_t nth, CutAction action);
  void Disarm() { armed_.reset(); }
  bool armed() const { return armed_.has_value(); }

  // While blocked every transfer fails with kUnavailable without reaching the chip: the
  // host's view of a chip whose supply is off (or that a reset knocked out) until the
  // power switch brings it back. Control lines always pass.
  void set_blocked(bool blocked) { blocked_ = blocked; }
  bool blocked() const { return blocked_; }

  uint32_t clock_hz() const override { return inner_.clock_hz(); }
  driver::SpiBus& inner() { return inner_; }

 private:
  Status DoTransfer(std::span<const driver::SpiSegment> segments) override;
  Status DoSetControlLine(driver::SpiControlLine line, bool high) override {
    return inner_.SetControlLine(line, high);
  }

  struct Armed {
    uint64_t target = 0;  // Value of mutating_ops_ that triggers.
    CutAction action;
  };
  driver::SpiBus& inner_;
  const driver::ChipModel* model_;
  uint64_t mutating_ops_ = 0;
  std::optional<Armed> armed_;
  bool blocked_ = false;
};

}  // namespace flashrig::hil
