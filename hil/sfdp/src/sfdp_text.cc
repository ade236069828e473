// Sfdp -> the text listing of `flashrig sfdp decode` (without --json): the tables, then
// the BFPT fields in JESD216 order, then the optional tables, then the warnings.
#include <fmt/format.h>

#include "flashrig/hil/sfdp/sfdp_json.h"

namespace flashrig::hil {
namespace {

using driver::Sfdp;
using driver::SfdpBfpt;

std::string Size(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

std::string Ms(uint64_t us) { return us == 0 ? "-" : fmt::format("{} ms", us / 1000); }

void Headers(const Sfdp& s, std::string& out) {
  out += fmt::format("sfdp:        revision {}.{}, {} parameter headers, access protocol {:02X}h\n",
                     s.header.major, s.header.minor, s.header.parameter_headers(),
                     s.header.access_protocol);
  auto table = [&](const driver::SfdpParameterHeader& h, const char* tag) {
    out += fmt::format("table:       {:04X}h rev {}.{}, {:>3} DWORDs at 0x{:X}: {}{}\n", h.id,
                       h.major, h.minor, h.dwords, h.pointer, driver::SfdpTableName(h.id), tag);
  };
  for (size_t i = 0; i < s.tables.size(); ++i) {
    table(s.tables[i], i == s.bfpt_index ? " (decoded)" : "");
  }
  for (const auto& h : s.uncounted) table(h, " (not counted by the SFDP header)");
}

void Bfpt(const SfdpBfpt& b, std::string& out) {
  out += fmt::format("size:        {} bytes ({})\n", b.size_bytes, Size(b.size_bytes));
  out += fmt::format("page:        {} bytes{}\n", b.page_bytes,
                     b.page_bytes_default ? " (default: no DWORD 11)" : "");
  out += fmt::format("addressing:  {}\n", driver::SfdpAddressBytesName(b.address_bytes));
  for (const auto& e : b.erase_types) {
    if (e.size_bytes == 0) continue;
    out += fmt::format("erase:       type {}: {} with {:02X}h, typical {}, max {}\n", e.type,
                       Size(e.size_bytes), e.opcode, Ms(e.typical_us), Ms(e.max_us));
  }
  if (b.program_typical_us != 0) {
    out += fmt::format("program:     page typical {} us, max {} us; byte {} us + {} us each\n",
                       b.program_typical_us, b.program_max_us, b.byte_first_typical_us,
                       b.byte_additional_typical_us);
    out += fmt::format("chip erase:  typical {}\n", Ms(b.chip_erase_typical_us));
  }
  for (size_t i = 0; i < driver::kSfdpReadModeCount; ++i) {
    const auto& r = b.fast_reads[i];
    if (!r.supported) continue;
    out += fmt::format("fast read:   {} {:02X}h, {} mode + {} dummy clocks\n",
                       driver::SfdpReadModeName(static_cast<driver::SfdpReadMode>(i)), r.opcode,
                       r.mode_clocks, r.dummy_clocks);
  }
  if (b.quad_enable) out += fmt::format("quad enable: {}\n", *b.quad_enable);
  if (b.has_dword16) {
    out += fmt::format("4-byte:      enter {:02X}h, exit {:03X}h (DWORD 16)\n",
                       b.enter_4byte_methods, b.exit_4byte_methods);
  }
}

void Optional(const Sfdp& s, std::string& out) {
  if (s.four_byte) {
    std::string erases;
    for (int t = 1; t <= 4; ++t) {
      if (const uint8_t op = s.four_byte->EraseOpcode(t); op != 0 && s.four_byte->Has(8 + t)) {
        erases += fmt::format(" type {} {:02X}h", t, op);
      }
    }
    out += fmt::format("4BAIT:       {:08X}h: {}; erase{}\n", s.four_byte->support_bits,
                       fmt::join(driver::SfdpFourByteInstructions(*s.four_byte), ", "),
                       erases.empty() ? " none" : erases);
  }
  if (s.sector_map) {
    out += fmt::format("sector map:  {} detection commands, {} configurations\n",
                       s.sector_map->detect.size(), s.sector_map->maps.size());
    for (const auto& m : s.sector_map->maps) {
      std::string regions;
      for (const auto& r : m.regions) {
        regions += fmt::format(" {}[mask {:X}]", Size(r.size_bytes), r.erase_type_mask);
      }
      out += fmt::format("  config {}:{}\n", m.config_id, regions);
    }
  }
  if (s.sccr) {
    out += fmt::format("SCCR:        volatile registers at 0x{:08X}\n",
                       s.sccr->volatile_register_offset);
  }
  if (s.sccr_multichip) {
    out += fmt::format("SCCR dice:   {} advertised\n", s.sccr_multichip->dice_advertised);
  }
}

}  // namespace

std::string SfdpToText(const Sfdp& s) {
  std::string out;
  Headers(s, out);
  Bfpt(s.bfpt, out);
  Optional(s, out);
  for (const auto& w : s.warnings) out += "warning:     " + w + "\n";
  return out;
}

}  // namespace flashrig::hil
