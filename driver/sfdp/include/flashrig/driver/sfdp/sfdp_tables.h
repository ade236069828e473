// The optional SFDP parameter tables this decoder understands beyond the BFPT: the 4-byte
// address instruction table (FF84h), the sector map (FF81h), the status, control and
// configuration register map (FF87h) with its multi-chip offsets (FF88h), and the xSPI
// profile 1.0 table (FF05h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace flashrig::driver {

// 4BAIT (JESD216C), 2 DWORDs: which instructions exist with a 4-byte address, and the
// 4-byte opcode of each erase type.
struct SfdpFourByte {
  uint32_t support_bits = 0;       // DWORD 1.
  uint32_t erase_opcode_bits = 0;  // DWORD 2: byte i = erase type i + 1 (FFh = none).
  bool Has(int bit) const { return (support_bits >> bit) & 1u; }
  // The 4-byte opcode of erase type `type` (1..4); 0 if the table says there is none.
  uint8_t EraseOpcode(int type) const;
  // At least one read (13h or 0Ch), the page program 12h and one erase: what Linux needs
  // before it uses the table.
  bool Usable() const;
};
// The instructions of the support bits 0-8 and 13-15 ("READ 1-1-1 13h", ...) in bit order.
std::vector<std::string> SfdpFourByteInstructions(const SfdpFourByte& t);

// Sector map (JESD216B section 6.5): detection commands that read configuration bits,
// then one map per configuration, each a list of regions with the erase types allowed.
struct SfdpSectorMapDetect {
  uint8_t opcode = 0;
  uint8_t latency = 0;       // Dummy clocks; 0xF = variable.
  uint8_t address_mode = 0;  // 0 none, 1 3-byte, 2 4-byte, 3 current mode.
  uint8_t mask = 0;
  uint32_t address = 0;
};
struct SfdpSectorRegion {
  uint64_t size_bytes = 0;
  uint8_t erase_type_mask = 0;  // Bit k = erase type k + 1 may be used here.
};
struct SfdpSectorMapConfig {
  uint8_t config_id = 0;
  std::vector<SfdpSectorRegion> regions{};
  uint64_t total_bytes() const;
};
struct SfdpSectorMap {
  std::vector<SfdpSectorMapDetect> detect{};  // Empty: a single map, no detection.
  std::vector<SfdpSectorMapConfig> maps{};
  // Erase types allowed in every region of every map (bit k = type k + 1): the ones a
  // uniform-sector driver may use without knowing the configuration.
  uint8_t UniformEraseTypes() const;
};

// SCCR map (JESD216D), decoded where Linux reads it.
struct SfdpSccr {
  std::vector<uint32_t> raw{};
  uint32_t volatile_register_offset = 0;     // DWORD 1.
  uint32_t nonvolatile_register_offset = 0;  // DWORD 2.
  bool has_dword22 = false;
  bool octal_dtr_enable_volatile = false;  // DWORD 22 bit 31.
};
// SCCR multi-chip offsets: one (volatile, non-volatile) pair per die after the first.
struct SfdpSccrMultiChip {
  uint32_t dice_advertised = 0;  // 1 + pairs, as Linux counts.
  std::vector<uint32_t> volatile_offsets{};
};
// xSPI profile 1.0 (JESD251): what an 8D-8D-8D reader needs first.
struct SfdpXspiProfile1 {
  std::vector<uint32_t> raw{};
  uint8_t read_fast_opcode = 0;  // DWORD 1 bits 15:8.
};

}  // namespace flashrig::driver
