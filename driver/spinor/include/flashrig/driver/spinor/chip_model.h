// ChipModel: the plain description of one SPI NOR part (identity, geometry, command-set
// options, timings, protection and wear), loaded from configs/parts/<part>.json by hil/
// and used by the simulated chip, the SFDP generator and the driver's part database. A
// part may come from a real chip's SFDP image: then it records which fields its part file
// gives over the table (the overrides that fix a table's errata).
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// A duration pair from a datasheet. Constraint: 0 < typical_us <= max_us.
struct OpTiming {
  uint64_t typical_us = 0;
  uint64_t max_us = 0;
};

// One erase granularity (JESD216 "erase type"). size_bytes: power of two, >= page size.
struct EraseType {
  uint32_t size_bytes = 0;
  uint8_t opcode = 0;     // 3-byte-address opcode (20h, 52h, D8h).
  uint8_t opcode_4b = 0;  // Dedicated 4-byte-address opcode (21h, 5Ch, DCh); 0 = none.
  OpTiming time{};
};

// How a part reaches addresses above 16 MiB.
enum class AddressMode : uint8_t {
  k3Byte,     // <= 16 MiB: 3-byte addresses only.
  k3Or4Byte,  // 3-byte by default; EN4B/EX4B switch the mode (and/or 4-byte opcodes).
};

// Block-protect bits in status register 1. BP value v > 0 protects
// min(first_protected_bytes << (v - 1), size) bytes at the top of the array (bottom when
// the TB bit is set); all BP bits set protects everything. This is the shape of the
// Winbond/GigaDevice (SEC = CMP = 0), Macronix, Micron and ISSI tables.
struct BlockProtect {
  // Bit positions of BP0, BP1, ... in SR1 (e.g. {2, 3, 4} or Micron's {2, 3, 4, 6}).
  // Empty = the part has no block protection.
  std::vector<uint8_t> bp_bit_positions{};
  int8_t tb_bit = -1;                  // Position of TB in SR1; -1 = always top.
  uint32_t first_protected_bytes = 0;  // Protected by BP = 1. Power of two.
};

// How a sector behaves past its rated endurance (the simulator's wear model).
struct WearModel {
  uint64_t rated_erase_cycles = 100000;  // 0 = unlimited.
  // Program/erase time multiplier at 2x rated cycles is 1 + time_growth (linear in the
  // cycles past rating). 0 = times never grow.
  double time_growth = 1.0;
  // Bits left stuck at 0 after each erase of a worn sector, per 1000 cycles past rating
  // (fractional part is a probability). 0 = no bit failures.
  double stuck_bits_per_kcycle = 4.0;
};

// The fields of a ChipModel an SFDP table can give (named as in the part JSON).
enum class PartField : uint8_t {
  kSizeBytes,
  kPageBytes,
  kEraseTypes,
  kPageProgram,
  kChipErase,
  kAddressMode,
  kHas4ByteOpcodes,
  kEnter4ByteNeedsWren,
  kCount
};
inline constexpr size_t kPartFieldCount = static_cast<size_t>(PartField::kCount);
using PartFieldSet = std::bitset<kPartFieldCount>;
const char* PartFieldName(PartField field);  // "size_bytes", "erase_types", ...

// How a part made from an SFDP image came about.
struct SfdpPartOrigin {
  std::string image_file{};  // As the part file names it ("sfdp/is25wp256.sfdp").
  // Fields the part file gives itself; they override the table, here and when the probe
  // meets a chip returning the same table.
  PartFieldSet overrides{};
  // Why, per overridden field (the part file's "sfdp_errata"); "" = not said.
  std::array<std::string, kPartFieldCount> override_reasons{};
  // What the table did not say (defaults used) and what of it was not used, one line each.
  std::vector<std::string> notes{};
};

struct ChipModel {
  std::string name;                      // "W25Q128JV"; the part database key for humans.
  std::string vendor;                    // "Winbond".
  std::string source;                    // Where the numbers come from (datasheet title/revision).
  std::array<uint8_t, 3> jedec_id{};     // RDID 9Fh: manufacturer, type, capacity.
  uint8_t legacy_device_id = 0;          // ABh + 3 dummy bytes answer; 0 = not answered.
  uint32_t size_bytes = 0;               // Power of two, <= 2 GiB.
  uint32_t page_bytes = 256;             // Page program buffer; power of two.
  std::vector<EraseType> erase_types{};  // 1..4, ascending sizes, each unique.
  OpTiming page_program{};               // Full page.
  OpTiming chip_erase{};
  OpTiming write_status{.typical_us = 10000, .max_us = 15000};
  uint8_t chip_erase_opcode = 0xC7;  // 60h is accepted as well.
  AddressMode address_mode = AddressMode::k3Byte;
  bool has_4byte_opcodes = false;       // 13h 0Ch 12h + erase_types[].opcode_4b.
  bool enter_4byte_needs_wren = false;  // Micron: WREN before B7h/E9h.
  // Read opcodes of status registers 1..n (05h, then e.g. 35h, 15h). 1..3 entries.
  std::vector<uint8_t> status_read_opcodes{0x05};
  // Write opcodes of registers 1..n; [0] must be 01h, which also takes the following
  // registers as extra bytes. Empty entries beyond [0] = only via 01h.
  std::vector<uint8_t> status_write_opcodes{0x01};
  BlockProtect block_protect{};
  uint8_t suspend_opcode = 0;  // 75h (Winbond), B0h (Macronix); 0 = no suspend.
  uint8_t resume_opcode = 0;
  bool has_unique_id = false;  // 4Bh + 4 dummy bytes -> 8 bytes.
  bool has_sfdp = true;        // Answers 5Ah (sfdp_image, else a generated JESD216B table).
  WearModel wear{};
  // The SFDP space this part answers 5Ah with, from address 0. Empty = generated from the
  // model (BuildSfdp).
  std::vector<std::byte> sfdp_image{};
  std::optional<SfdpPartOrigin> sfdp_origin{};  // Set when the part was made from sfdp_image.
  // What a person still has to fill in from the datasheet (`flashrig parts new`).
  std::vector<std::string> todo{};

  uint32_t smallest_erase_bytes() const {
    return erase_types.empty() ? 0 : erase_types.front().size_bytes;
  }
};

// Protected byte range [begin, end); empty when begin == end.
struct ProtectedRange {
  uint32_t begin = 0;
  uint32_t end = 0;
  bool empty() const { return begin >= end; }
  bool Overlaps(uint32_t address, uint64_t length) const {
    return !empty() && length > 0 && address < end && uint64_t{address} + length > begin;
  }
};

// The range the BP/TB bits in `sr1` protect on this part.
ProtectedRange ComputeProtectedRange(const ChipModel& model, uint8_t sr1);
// Mask of SR1 bits that are BP/TB bits (cleared by an unlock).
uint8_t ProtectBitsMask(const ChipModel& model);
// SR1 value that protects exactly `bp_value` (top); for tests and the CLI.
uint8_t EncodeBpValue(const ChipModel& model, uint32_t bp_value, bool bottom);

// Checks a model for internal consistency (the JSON loader gives field-level errors
// first; this is the last line of defence for models built in code).
//   kOk | kInvalidArgument: the first broken rule is described in *why (if non-null).
Status ValidateChipModel(const ChipModel& model, std::string* why);

}  // namespace flashrig::driver
