// SpiNorParams from a ChipModel, including the choice of 4-byte method.
#include "flashrig/driver/spinor/spi_nor_params.h"

#include <algorithm>
#include <cstdio>

namespace flashrig::driver {
namespace {

// Erase ops usable with dedicated 4-byte opcodes; the others are noted as not used.
std::vector<SpiNorEraseOp> FourByteEraseOps(const std::vector<SpiNorEraseOp>& all,
                                            std::vector<PartNote>* notes) {
  std::vector<SpiNorEraseOp> out;
  for (const SpiNorEraseOp& e : all) {
    if (e.opcode_4b != 0) {
      out.push_back(e);
    } else if (notes != nullptr) {
      char text[160];
      std::snprintf(text, sizeof(text),
                    "erase_types: %u KiB (%02Xh) not used: it has no 4-byte-address opcode, "
                    "and the part is driven with 4-byte opcodes",
                    e.size_bytes / 1024, e.opcode);
      notes->push_back(
          {.kind = PartNote::Kind::kIgnored, .field = PartField::kEraseTypes, .text = text});
    }
  }
  return out;
}

}  // namespace

const char* ParamSourceName(ParamSource source) {
  switch (source) {
    case ParamSource::kSfdp:
      return "SFDP";
    case ParamSource::kDatabase:
      return "database";
    case ParamSource::kNone:
      break;
  }
  return "none";
}

Result<SpiNorParams> ParamsFromModel(const ChipModel& model, bool prefer_4byte_opcodes,
                                     std::vector<PartNote>* notes) {
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
  // 4-byte opcodes need one for the sector (the smallest erase); larger types without
  // one are dropped. Enter-4-byte mode keeps every type.
  const bool opcodes = model.has_4byte_opcodes && p.erase_ops.front().opcode_4b != 0;
  const bool some_opcodes =
      model.has_4byte_opcodes && std::any_of(p.erase_ops.begin(), p.erase_ops.end(),
                                             [](const SpiNorEraseOp& e) { return e.opcode_4b; });
  const bool mode = model.address_mode == AddressMode::k3Or4Byte;
  if ((opcodes && (prefer_4byte_opcodes || !mode)) || (some_opcodes && !mode)) {
    p.addressing = Addressing::k4ByteOpcodes;
    p.erase_ops = FourByteEraseOps(p.erase_ops, notes);
  } else if (mode) {
    p.addressing =
        model.enter_4byte_needs_wren ? Addressing::kEnter4ByteWithWren : Addressing::kEnter4Byte;
  } else {
    return Status::Unimplemented();
  }
  return p;
}

}  // namespace flashrig::driver
