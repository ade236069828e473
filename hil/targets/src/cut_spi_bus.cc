// CutSpiBus: mutating-command classification and the armed cut hand-off.
#include "flashrig/hil/targets/cut_spi_bus.h"

#include <algorithm>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::hil {
namespace op = driver::spi_nor;

const char* MutatingKindName(MutatingCommand::Kind kind) {
  switch (kind) {
    case MutatingCommand::Kind::kProgram:
      return "program";
    case MutatingCommand::Kind::kErase:
      return "erase";
    case MutatingCommand::Kind::kChipErase:
      return "chip_erase";
    case MutatingCommand::Kind::kWriteStatus:
      return "write_status";
  }
  return "?";
}

std::optional<MutatingCommand> ClassifyMutating(std::span<const driver::SpiSegment> segments,
                                                const driver::ChipModel* model) {
  // The opcode is the first byte of the first segment (the driver writes it first).
  if (segments.empty() || segments[0].kind != driver::SpiSegment::Kind::kWrite ||
      segments[0].write.empty()) {
    return std::nullopt;
  }
  const uint8_t code = static_cast<uint8_t>(segments[0].write[0]);
  MutatingCommand c{.opcode = code};
  switch (code) {
    case op::kPageProgram:
    case op::kPageProgram4B: {
      c.kind = MutatingCommand::Kind::kProgram;
      size_t written = 0;
      for (const auto& s : segments) {
        if (s.kind == driver::SpiSegment::Kind::kWrite) written += s.write.size();
      }
      const bool four_byte =
          code == op::kPageProgram4B || (model != nullptr && model->size_bytes > (1u << 24));
      const size_t header = four_byte ? 5 : 4;
      c.data_bytes = written > header ? static_cast<uint32_t>(written - header) : 0;
      return c;
    }
    case op::kChipErase60:
    case op::kChipEraseC7:
      c.kind = MutatingCommand::Kind::kChipErase;
      return c;
    case op::kWriteStatus1:
    case op::kWriteStatus2:
    case op::kWriteStatus3:
      c.kind = MutatingCommand::Kind::kWriteStatus;
      return c;
    default:
      break;
  }
  // Erase opcodes: the part's own table first (vendors differ), then the JEDEC defaults.
  if (model != nullptr) {
    for (const auto& e : model->erase_types) {
      if (code == e.opcode || (e.opcode_4b != 0 && code == e.opcode_4b)) {
        c.kind = MutatingCommand::Kind::kErase;
        c.erase_size_bytes = e.size_bytes;
        return c;
      }
    }
  }
  switch (code) {
    case op::kSectorErase4K:
    case op::kSectorErase4K4B:
      c.erase_size_bytes = 4096;
      break;
    case op::kBlockErase32K:
    case op::kBlockErase32K4B:
      c.erase_size_bytes = 32768;
      break;
    case op::kBlockErase64K:
    case op::kBlockErase64K4B:
      c.erase_size_bytes = 65536;
      break;
    default:
      return std::nullopt;
  }
  c.kind = MutatingCommand::Kind::kErase;
  return c;
}

uint64_t TypicalBusyUs(const MutatingCommand& command, const driver::ChipModel& model) {
  switch (command.kind) {
    case MutatingCommand::Kind::kProgram: {
      const uint64_t page = std::max<uint64_t>(model.page_bytes, 16);
      const uint64_t bytes = std::clamp<uint64_t>(command.data_bytes, page / 16, page);
      return model.page_program.typical_us * bytes / page;
    }
    case MutatingCommand::Kind::kChipErase:
      return model.chip_erase.typical_us;
    case MutatingCommand::Kind::kWriteStatus:
      return model.write_status.typical_us;
    case MutatingCommand::Kind::kErase:
      for (const auto& e : model.erase_types) {
        if (e.size_bytes == command.erase_size_bytes) return e.time.typical_us;
      }
      return 0;
  }
  return 0;
}

void CutSpiBus::Arm(uint64_t nth, CutAction action) {
  if (nth == 0 || !action) {
    armed_.reset();
    return;
  }
  armed_ = Armed{.target = mutating_ops_ + nth, .action = std::move(action)};
}

Status CutSpiBus::DoTransfer(std::span<const driver::SpiSegment> segments) {
  if (blocked_) return Status::Unavailable();
  const std::optional<MutatingCommand> command = ClassifyMutating(segments, model_);
  if (!command) return inner_.Transfer(segments);
  ++mutating_ops_;
  if (armed_ && armed_->target == mutating_ops_) {
    CutAction action = std::move(armed_->action);
    armed_.reset();
    return action(*command, inner_, segments);
  }
  return inner_.Transfer(segments);
}

}  // namespace flashrig::hil
