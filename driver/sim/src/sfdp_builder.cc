// Generates a JESD216B SFDP space from a ChipModel: header, one parameter header and a
// 16-DWORD BFPT, with times encoded (rounded up) in the BFPT's count/unit fields.
#include "flashrig/driver/sim/sfdp_builder.h"

#include <algorithm>

#include "flashrig/driver/sfdp/sfdp_bfpt.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {
namespace {

constexpr uint32_t kBfptDwords = 16;
constexpr uint32_t kBfptPointer = 0x10;

uint32_t Log2(uint64_t v) {
  uint32_t n = 0;
  while ((uint64_t{1} << n) < v) ++n;
  return n;
}

// Encodes `us` as (count + 1) * unit with count < 32, picking the smallest unit that
// fits and rounding up. Returns the field (unit index << 5 | count) and the encoded value.
uint32_t EncodeTime(uint64_t us, const uint64_t* units_us, int unit_count, int unit_shift,
                    uint64_t* encoded_us) {
  for (int u = 0; u < unit_count; ++u) {
    const uint64_t count = std::max<uint64_t>(1, (us + units_us[u] - 1) / units_us[u]);
    if (count <= 32 || u == unit_count - 1) {
      const uint64_t c = std::min<uint64_t>(count, 32);
      *encoded_us = c * units_us[u];
      return static_cast<uint32_t>(u) << unit_shift | static_cast<uint32_t>(c - 1);
    }
  }
  return 0;
}

// Smallest multiplier field m with 2 * (m + 1) * typical >= max (capped at 15).
uint32_t Multiplier(uint64_t typical_us, uint64_t max_us) {
  for (uint32_t m = 0; m < 15; ++m) {
    if (2 * (m + 1) * typical_us >= max_us) return m;
  }
  return 15;
}

void PutLe32(std::vector<std::byte>& out, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[offset + i] = static_cast<std::byte>(v >> (8 * i));
}

}  // namespace

std::vector<std::byte> BuildSfdp(const ChipModel& model) {
  std::vector<std::byte> out(kBfptPointer + kBfptDwords * 4, std::byte{0});
  // Header: "SFDP", revision 1.6 (JESD216B), one parameter header, legacy protocol.
  const uint8_t header[16] = {'S', 'F', 'D', 'P', 6, 1, 0, 0xFF,
                              // BFPT parameter header: ID FF00h, rev 1.6, 16 DWORDs.
                              0x00, 6, 1, kBfptDwords, kBfptPointer, 0, 0, 0xFF};
  for (size_t i = 0; i < sizeof(header); ++i) out[i] = std::byte{header[i]};
  uint32_t d[kBfptDwords + 1] = {};  // d[1]..d[16], numbered as in the standard.

  uint8_t erase_4k_opcode = 0xFF;
  for (const EraseType& e : model.erase_types) {
    if (e.size_bytes == 4096) erase_4k_opcode = e.opcode;
  }
  d[1] = 0xFF800000u | (erase_4k_opcode != 0xFF ? 0x1u : 0x3u) |
         (model.page_bytes >= 64 ? 0x4u : 0u) | uint32_t{erase_4k_opcode} << 8 |
         (model.address_mode == AddressMode::k3Or4Byte ? 1u << 17 : 0u);
  const uint64_t bits = uint64_t{model.size_bytes} * 8;
  d[2] = bits <= 0x80000000ull ? static_cast<uint32_t>(bits - 1) : 0x80000000u | Log2(bits);
  d[3] = 0;           // No 1-4-4 / 1-1-4 fast reads described.
  d[4] = 0;           // No 1-1-2 / 1-2-2 fast reads described.
  d[5] = 0xFFFFFFEE;  // 2-2-2 and 4-4-4 not supported; reserved bits set.
  d[6] = 0xFFFF0000;
  d[7] = 0xFFFF0000;

  static constexpr uint64_t kEraseUnitsUs[4] = {1000, 16000, 128000, 1000000};
  uint32_t erase_fields[4] = {};
  uint32_t erase_multiplier = 0;
  for (size_t i = 0; i < model.erase_types.size() && i < 4; ++i) {
    const EraseType& e = model.erase_types[i];
    const uint32_t slot = Log2(e.size_bytes) | uint32_t{e.opcode} << 8;
    if (i < 2)
      d[8] |= slot << (16 * i);
    else
      d[9] |= slot << (16 * (i - 2));
    uint64_t encoded = 0;
    erase_fields[i] = EncodeTime(e.time.typical_us, kEraseUnitsUs, 4, 5, &encoded);
    erase_multiplier = std::max(erase_multiplier, Multiplier(encoded, e.time.max_us));
  }
  d[10] = erase_multiplier;
  for (int i = 0; i < 4; ++i) d[10] |= erase_fields[i] << (4 + 7 * i);

  static constexpr uint64_t kProgramUnitsUs[2] = {8, 64};
  static constexpr uint64_t kChipUnitsUs[4] = {16000, 256000, 4000000, 64000000};
  uint64_t program_encoded = 0;
  uint64_t chip_encoded = 0;
  const uint32_t program_field =
      EncodeTime(model.page_program.typical_us, kProgramUnitsUs, 2, 5, &program_encoded);
  const uint32_t chip_field =
      EncodeTime(model.chip_erase.typical_us, kChipUnitsUs, 4, 5, &chip_encoded);
  const uint32_t program_multiplier =
      std::max(Multiplier(program_encoded, model.page_program.max_us),
               Multiplier(chip_encoded, model.chip_erase.max_us));
  // Byte-program times (first 18:14, additional 23:19) are given as small constants.
  d[11] = program_multiplier | Log2(model.page_bytes) << 4 | (program_field & 0x3F) << 8 |
          (0x5u << 14) | (0x1u << 19) | (chip_field & 0x7F) << 24;

  const bool suspend = model.suspend_opcode != 0;
  d[12] = suspend ? 0x00000000u : 0x80000000u;
  d[13] = suspend ? (uint32_t{model.suspend_opcode} << 24 | uint32_t{model.resume_opcode} << 16 |
                     uint32_t{model.suspend_opcode} << 8 | model.resume_opcode)
                  : 0;
  // Legacy WIP polling with 05h; deep power-down B9h / ABh (bit 31 clear = supported).
  d[14] =
      0x4u | uint32_t{spi_nor::kDeepPowerDown} << 23 | uint32_t{spi_nor::kReleasePowerDown} << 15;
  d[15] = 0;
  uint32_t enter = 0;
  uint32_t exit = 0;
  if (model.address_mode == AddressMode::k3Or4Byte) {
    enter |= model.enter_4byte_needs_wren ? kSfdpEnter4ByteWrenB7 : kSfdpEnter4ByteB7;
    exit |= model.enter_4byte_needs_wren ? 0x2u : 0x1u;
    if (model.has_4byte_opcodes) enter |= kSfdpEnter4ByteDedicatedOpcodes;
  }
  d[16] = enter << 24 | exit << 14 | uint32_t{kSfdpSoftReset6699} << 8;

  for (uint32_t n = 1; n <= kBfptDwords; ++n) PutLe32(out, kBfptPointer + (n - 1) * 4, d[n]);
  return out;
}

}  // namespace flashrig::driver
