// SpiNorParams: what the SPI NOR driver needs to know about a part, built from a
// ChipModel (the part database's, or the one a chip's SFDP table describes, see
// sfdp_model.h), including the choice of 4-byte addressing method.
#pragma once

#include <cstdint>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/sfdp_model.h"

namespace flashrig::driver {

// kSfdp: the chip's own table (with part-database overrides where it has errata);
// kDatabase: the part database alone; kNone: not identified (SpiNorOptions::
// accept_unknown_part).
enum class ParamSource : uint8_t { kSfdp, kDatabase, kNone };
const char* ParamSourceName(ParamSource source);

// How the driver reaches addresses (decided once at probe).
enum class Addressing : uint8_t {
  k3Byte,              // <= 16 MiB.
  k4ByteOpcodes,       // Dedicated 4-byte opcodes (13h 0Ch 12h 21h 5Ch DCh); stateless.
  kEnter4Byte,         // B7h before each operation, then the ordinary opcodes.
  kEnter4ByteWithWren  // 06h + B7h (Micron style).
};

struct SpiNorEraseOp {
  uint32_t size_bytes = 0;
  uint8_t opcode = 0;     // Used with 3-byte addresses or in 4-byte mode.
  uint8_t opcode_4b = 0;  // Used with Addressing::k4ByteOpcodes.
  uint64_t typical_us = 0;
  uint64_t max_us = 0;
};

struct SpiNorParams {
  uint32_t size_bytes = 0;
  uint32_t page_bytes = 256;
  std::vector<SpiNorEraseOp> erase_ops{};  // Ascending sizes; [0] is the sector.
  uint64_t program_typical_us = 0;
  uint64_t program_max_us = 0;
  uint64_t chip_erase_typical_us = 0;
  uint64_t chip_erase_max_us = 0;
  uint64_t write_status_typical_us = 10000;
  uint64_t write_status_max_us = 15000;
  Addressing addressing = Addressing::k3Byte;
  bool soft_reset_6699 = true;
};

// `prefer_4byte_opcodes`: use dedicated 4-byte opcodes when the part has them for its
// smallest erase type (stateless, survives a power cycle); erase types without a 4-byte
// opcode are then not used (as Linux masks them), each one noted in *notes (optional).
// Otherwise enter 4-byte mode.
//   kOk | kInvalidArgument: no erase type or size | kUnimplemented: > 16 MiB without a
//   usable 4-byte method
Result<SpiNorParams> ParamsFromModel(const ChipModel& model, bool prefer_4byte_opcodes,
                                     std::vector<PartNote>* notes = nullptr);

}  // namespace flashrig::driver
