// SpiNorParams from SFDP or from a ChipModel, including the choice of 4-byte method.
#include "flashrig/driver/spinor/spi_nor_params.h"

#include <algorithm>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {

const char* ParamSourceName(ParamSource source) {
  return source == ParamSource::kSfdp ? "SFDP" : "database";
}

Result<SpiNorParams> ParamsFromSfdp(const SfdpParams& sfdp, bool prefer_4byte_opcodes) {
  if (sfdp.size_bytes > (uint64_t{1} << 31)) return Status::Unimplemented();
  SpiNorParams p;
  p.size_bytes = static_cast<uint32_t>(sfdp.size_bytes);
  p.page_bytes = sfdp.page_bytes;
  for (const SfdpEraseType& e : sfdp.erase_types) {
    if (e.size_bytes == 0) continue;
    const bool timed = e.typical_us != 0;
    const uint64_t default_max =
        kDefaultEraseMaxUsPer4K * std::max<uint64_t>(1, e.size_bytes / 4096);
    p.erase_ops.push_back({.size_bytes = e.size_bytes,
                           .opcode = e.opcode,
                           .opcode_4b = spi_nor::To4ByteOpcode(e.opcode),
                           .typical_us = timed ? e.typical_us : default_max / 10,
                           .max_us = timed ? e.max_us : default_max});
  }
  std::sort(
      p.erase_ops.begin(), p.erase_ops.end(),
      [](const SpiNorEraseOp& a, const SpiNorEraseOp& b) { return a.size_bytes < b.size_bytes; });
  // Two slots with the same size: keep the first (standard opcodes come first).
  p.erase_ops.erase(std::unique(p.erase_ops.begin(), p.erase_ops.end(),
                                [](const SpiNorEraseOp& a, const SpiNorEraseOp& b) {
                                  return a.size_bytes == b.size_bytes;
                                }),
                    p.erase_ops.end());
  p.program_typical_us =
      sfdp.program_typical_us ? sfdp.program_typical_us : kDefaultProgramMaxUs / 10;
  p.program_max_us = sfdp.program_max_us ? sfdp.program_max_us : kDefaultProgramMaxUs;
  p.chip_erase_typical_us =
      sfdp.chip_erase_typical_us ? sfdp.chip_erase_typical_us : kDefaultChipEraseMaxUs / 10;
  p.chip_erase_max_us = sfdp.chip_erase_max_us ? sfdp.chip_erase_max_us : kDefaultChipEraseMaxUs;
  // Without DWORD 16 we cannot know; 66h/99h is near universal and harmless if ignored.
  p.soft_reset_6699 = sfdp.bfpt_dwords < 16 || (sfdp.soft_reset_methods & kSfdpSoftReset6699);
  if (p.size_bytes <= (1u << 24)) return p;

  const uint8_t enter = sfdp.enter_4byte_methods;
  const bool opcodes_map = std::all_of(p.erase_ops.begin(), p.erase_ops.end(),
                                       [](const SpiNorEraseOp& e) { return e.opcode_4b != 0; });
  const bool has_opcodes = (enter & kSfdpEnter4ByteDedicatedOpcodes) && opcodes_map;
  const bool has_mode = enter & (kSfdpEnter4ByteB7 | kSfdpEnter4ByteWrenB7);
  if (has_opcodes && (prefer_4byte_opcodes || !has_mode)) {
    p.addressing = Addressing::k4ByteOpcodes;
  } else if (enter & kSfdpEnter4ByteB7) {
    p.addressing = Addressing::kEnter4Byte;
  } else if (enter & kSfdpEnter4ByteWrenB7) {
    p.addressing = Addressing::kEnter4ByteWithWren;
  } else {
    return Status::Unimplemented();
  }
  return p;
}

Result<SpiNorParams> ParamsFromModel(const ChipModel& model, bool prefer_4byte_opcodes) {
  if (model.erase_types.empty() || model.size_bytes == 0) return Status::InvalidArgument();
  SpiNorParams p;
  p.size_bytes = model.size_bytes;
  p.page_bytes = model.page_bytes;
  for (const EraseType& e : model.erase_types) {
    p.erase_ops.push_back({.size_bytes = e.size_bytes,
                           .opcode = e.opcode,
                           .opcode_4b = e.opcode_4b,
                           .typical_us = e.time.typical_us,
                           .max_us = e.time.max_us});
  }
  p.program_typical_us = model.page_program.typical_us;
  p.program_max_us = model.page_program.max_us;
  p.chip_erase_typical_us = model.chip_erase.typical_us;
  p.chip_erase_max_us = model.chip_erase.max_us;
  p.write_status_typical_us = model.write_status.typical_us;
  p.write_status_max_us = model.write_status.max_us;
  if (model.size_bytes <= (1u << 24)) return p;
  const bool opcodes = model.has_4byte_opcodes &&
                       std::all_of(p.erase_ops.begin(), p.erase_ops.end(),
                                   [](const SpiNorEraseOp& e) { return e.opcode_4b != 0; });
  const bool mode = model.address_mode == AddressMode::k3Or4Byte;
  if (opcodes && (prefer_4byte_opcodes || !mode)) {
    p.addressing = Addressing::k4ByteOpcodes;
  } else if (mode) {
    p.addressing =
        model.enter_4byte_needs_wren ? Addressing::kEnter4ByteWithWren : Addressing::kEnter4Byte;
  } else {
    return Status::Unimplemented();
  }
  return p;
}

}  // namespace flashrig::driver
