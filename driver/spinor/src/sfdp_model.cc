// PartFromSfdp: the ChipModel fields a decoded SFDP table gives, with documented defaults
// where it is silent, and each field it cannot give marked missing with the reason.
#include "flashrig/driver/spinor/sfdp_model.h"

#include <algorithm>
#include <cstdio>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {
namespace {

using Kind = PartNote::Kind;

std::string Size(uint64_t bytes) {
  char b[48];
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) {
    std::snprintf(b, sizeof(b), "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  } else if (bytes >= 1024 && bytes % 1024 == 0) {
    std::snprintf(b, sizeof(b), "%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  } else {
    std::snprintf(b, sizeof(b), "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return b;
}

std::string Hex(uint8_t v) {
  char b[8];
  std::snprintf(b, sizeof(b), "%02Xh", v);
  return b;
}

void Note(SfdpDerivedPart& d, Kind kind, PartField field, std::string text) {
  d.notes.push_back({.kind = kind, .field = field, .text = std::move(text)});
}

void DeriveGeometry(const SfdpBfpt& b, SfdpDerivedPart& d) {
  const uint64_t size = b.size_bytes;
  if (size == 0 || (size & (size - 1)) != 0 || size > (uint64_t{1} << 31)) {
    d.missing.set(static_cast<size_t>(PartField::kSizeBytes));
    Note(d, Kind::kMissing, PartField::kSizeBytes,
         "size_bytes: the table gives " + std::to_string(size) +
             " bytes; flashrig models power-of-two sizes up to 2 GiB");
  } else {
    d.model.size_bytes = static_cast<uint32_t>(size);
    d.from_table.set(static_cast<size_t>(PartField::kSizeBytes));
  }
  d.model.page_bytes = b.page_bytes;
  if (b.page_bytes_default) {
    d.defaulted.set(static_cast<size_t>(PartField::kPageBytes));
    Note(d, Kind::kDefault, PartField::kPageBytes,
         "page_bytes: 256 (default: the BFPT has " + std::to_string(b.raw.size()) +
             " DWORDs, no DWORD 11)");
  } else if (b.page_bytes > 4096) {
    d.missing.set(static_cast<size_t>(PartField::kPageBytes));
    Note(d, Kind::kMissing, PartField::kPageBytes,
         "page_bytes: the table gives " + std::to_string(b.page_bytes) + " bytes, over 4096");
  } else {
    d.from_table.set(static_cast<size_t>(PartField::kPageBytes));
  }
}

// Why erase type `e` cannot be one of the part's uniform erase types; "" if it can.
std::string EraseTypeProblem(const SfdpEraseType& e, const Sfdp& s, const SfdpDerivedPart& d,
                             const std::vector<EraseType>& kept) {
  if (s.sector_map && !s.sector_map->maps.empty() &&
      !((s.sector_map->UniformEraseTypes() >> (e.type - 1)) & 1)) {
    return s.sector_map->detect.empty()
               ? "the sector map allows it only in some regions"
               : "the sector map allows it only in some regions of the configurations the "
                 "chip selects by its register bits (detection commands are not run)";
  }
  if (e.size_bytes < d.model.page_bytes || e.size_bytes > s.bfpt.size_bytes ||
      e.size_bytes > (uint64_t{1} << 31)) {
    return "its size is outside page size .. density";
  }
  for (const EraseType& k : kept) {
    if (k.size_bytes == e.size_bytes) return "an earlier erase type has the same size";
    if (k.opcode == e.opcode) return "an earlier erase type has the same opcode";
  }
  return "";
}

void DeriveEraseTypes(const Sfdp& s, SfdpDerivedPart& d) {
  const SfdpBfpt& b = s.bfpt;
  const std::vector<EraseType> all = SfdpEraseTypes(s);
  std::vector<EraseType> kept;
  size_t next = 0;
  for (const SfdpEraseType& e : b.erase_types) {
    if (e.size_bytes == 0 || e.size_bytes > (uint64_t{1} << 31)) continue;
    const EraseType& t = all[next++];
    const std::string label = "erase type " + std::to_string(e.type) + " (" + Size(e.size_bytes) +
                              ", " + Hex(e.opcode) + ")";
    if (std::string why = EraseTypeProblem(e, s, d, kept); !why.empty()) {
      Note(d, Kind::kIgnored, PartField::kEraseTypes, label + ": not used: " + why);
      continue;
    }
    kept.push_back(t);
  }
  std::sort(kept.begin(), kept.end(),
            [](const EraseType& x, const EraseType& y) { return x.size_bytes < y.size_bytes; });
  d.model.erase_types = kept;
  if (kept.empty()) {
    d.missing.set(static_cast<size_t>(PartField::kEraseTypes));
    Note(d, Kind::kMissing, PartField::kEraseTypes,
         "erase_types: the table gives no erase type usable on every sector");
  } else if (b.erase_max_multiplier == 0) {
    d.defaulted.set(static_cast<size_t>(PartField::kEraseTypes));
    Note(d, Kind::kDefault, PartField::kEraseTypes,
         "erase_types times: typical 50 ms / max 500 ms per 4 KiB (default: no DWORD 10)");
  } else {
    d.from_table.set(static_cast<size_t>(PartField::kEraseTypes));
  }
}

void DeriveProgramTimes(const SfdpBfpt& b, SfdpDerivedPart& d) {
  if (b.program_typical_us != 0) {
    d.model.page_program = {.typical_us = b.program_typical_us, .max_us = b.program_max_us};
    d.model.chip_erase = {.typical_us = b.chip_erase_typical_us, .max_us = b.chip_erase_max_us};
    d.from_table.set(static_cast<size_t>(PartField::kPageProgram));
    d.from_table.set(static_cast<size_t>(PartField::kChipErase));
    return;
  }
  d.model.page_program = {.typical_us = kSfdpDefaultProgramMaxUs / 10,
                          .max_us = kSfdpDefaultProgramMaxUs};
  d.model.chip_erase = {.typical_us = kSfdpDefaultChipEraseMaxUs / 10,
                        .max_us = kSfdpDefaultChipEraseMaxUs};
  d.defaulted.set(static_cast<size_t>(PartField::kPageProgram));
  d.defaulted.set(static_cast<size_t>(PartField::kChipErase));
  Note(d, Kind::kDefault, PartField::kPageProgram,
       "page_program: typical 500 us / max 5 ms (default: no DWORD 11)");
  Note(d, Kind::kDefault, PartField::kChipErase,
       "chip_erase: typical 60 s / max 600 s (default: no DWORD 11)");
}

bool IsFourByteOpcode(uint8_t op) {
  return op == spi_nor::kSectorErase4K4B || op == spi_nor::kBlockErase32K4B ||
         op == spi_nor::kBlockErase64K4B;
}

// Whether the part has 4-byte opcodes: a usable 4BAIT, or DWORD 16's "dedicated 4-byte
// instruction set".
bool HasFourByteOpcodes(const Sfdp& s, SfdpDerivedPart& d) {
  const bool bait = s.four_byte && s.four_byte->Usable();
  if (s.four_byte && !bait) {
    Note(d, Kind::kIgnored, PartField::kHas4ByteOpcodes,
         "4-byte address instruction table: not used: it lists no 4-byte read, page program "
         "and erase");
  }
  return bait ||
         (s.bfpt.has_dword16 && (s.bfpt.enter_4byte_methods & kSfdpEnter4ByteDedicatedOpcodes));
}

void MarkAddressingMissing(SfdpDerivedPart& d, std::string text) {
  d.missing.set(static_cast<size_t>(PartField::kAddressMode));
  Note(d, Kind::kMissing, PartField::kAddressMode, std::move(text));
}

void DeriveAddressing(const Sfdp& s, SfdpDerivedPart& d) {
  const SfdpBfpt& b = s.bfpt;
  const bool opcodes = HasFourByteOpcodes(s, d);
  const uint8_t enter = b.has_dword16 ? b.enter_4byte_methods : 0;
  const bool mode = enter & (kSfdpEnter4ByteB7 | kSfdpEnter4ByteWrenB7);
  d.model.enter_4byte_needs_wren = mode && !(enter & kSfdpEnter4ByteB7);
  d.from_table.set(static_cast<size_t>(PartField::kEnter4ByteNeedsWren));
  d.from_table.set(static_cast<size_t>(PartField::kHas4ByteOpcodes));
  const bool big = b.size_bytes > (uint64_t{1} << 24);
  if (b.address_bytes == SfdpAddressBytes::k3Only) {
    d.model.address_mode = AddressMode::k3Byte;
    d.model.has_4byte_opcodes = false;
    if (big) {
      MarkAddressingMissing(
          d,
          "address_mode: the table says 3-byte addressing only (BFPT DWORD 1 bits 18:17 = "
          "00b), which reaches 16 MiB of the " +
              Size(b.size_bytes));
    } else {
      d.from_table.set(static_cast<size_t>(PartField::kAddressMode));
    }
    return;
  }
  if (b.address_bytes == SfdpAddressBytes::k4Only ||
      b.address_bytes == SfdpAddressBytes::kReserved) {
    Note(d, Kind::kIgnored, PartField::kAddressMode,
         std::string("address bytes \"") + SfdpAddressBytesName(b.address_bytes) +
             "\": modelled as 3-or-4-byte");
  }
  d.model.has_4byte_opcodes = opcodes;
  d.model.address_mode = opcodes || mode ? AddressMode::k3Or4Byte : AddressMode::k3Byte;
  if (big && !opcodes && !mode) {
    d.missing.set(static_cast<size_t>(PartField::kHas4ByteOpcodes));
    MarkAddressingMissing(d,
                          "address_mode: the table names no way to reach addresses above "
                          "16 MiB (no DWORD 16 method, no 4-byte address instruction table)");
  } else {
    d.from_table.set(static_cast<size_t>(PartField::kAddressMode));
  }
}

}  // namespace

std::vector<EraseType> SfdpEraseTypes(const Sfdp& s) {
  const SfdpBfpt& b = s.bfpt;
  const bool bait = s.four_byte && s.four_byte->Usable();
  const bool dedicated = b.has_dword16 && (b.enter_4byte_methods & kSfdpEnter4ByteDedicatedOpcodes);
  std::vector<EraseType> out;
  for (const SfdpEraseType& e : b.erase_types) {
    if (e.size_bytes == 0 || e.size_bytes > (uint64_t{1} << 31)) continue;
    EraseType t{.size_bytes = static_cast<uint32_t>(e.size_bytes), .opcode = e.opcode};
    if (e.typical_us != 0) {
      t.time = {.typical_us = e.typical_us, .max_us = e.max_us};
    } else {
      const uint64_t max = kSfdpDefaultEraseMaxUsPer4K * std::max<uint64_t>(1, e.size_bytes / 4096);
      t.time = {.typical_us = max / 10, .max_us = max};
    }
    if (bait) {
      t.opcode_4b = s.four_byte->EraseOpcode(e.type);
    } else if (dedicated) {
      t.opcode_4b = IsFourByteOpcode(e.opcode) ? e.opcode : spi_nor::To4ByteOpcode(e.opcode);
    }
    out.push_back(t);
  }
  return out;
}

SfdpDerivedPart PartFromSfdp(const Sfdp& sfdp) {
  SfdpDerivedPart d;
  d.model.has_sfdp = true;
  DeriveGeometry(sfdp.bfpt, d);
  DeriveEraseTypes(sfdp, d);
  DeriveProgramTimes(sfdp.bfpt, d);
  DeriveAddressing(sfdp, d);
  return d;
}

}  // namespace flashrig::driver
