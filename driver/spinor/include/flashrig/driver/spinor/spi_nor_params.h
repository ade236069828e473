// SpiNorParams: what the SPI NOR driver needs to know about a part, built either from a
// parsed SFDP table or from a part-database ChipModel.
#pragma once

#include <cstdint>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/sfdp.h"

namespace flashrig::driver {

enum class ParamSource : uint8_t { kSfdp, kDatabase };
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

// When the SFDP table omits a time, these conservative values are used.
inline constexpr uint64_t kDefaultProgramMaxUs = 5000;
inline constexpr uint64_t kDefaultEraseMaxUsPer4K = 500000;
inline constexpr uint64_t kDefaultChipEraseMaxUs = 600000000;

// `prefer_4byte_opcodes`: use dedicated 4-byte opcodes when the part has them (stateless,
// survives a power cycle); otherwise enter 4-byte mode.
//   kOk | kUnimplemented: > 4 GiB, or > 16 MiB without a usable 4-byte method
Result<SpiNorParams> ParamsFromSfdp(const SfdpParams& sfdp, bool prefer_4byte_opcodes);
Result<SpiNorParams> ParamsFromModel(const ChipModel& model, bool prefer_4byte_opcodes);

}  // namespace flashrig::driver
