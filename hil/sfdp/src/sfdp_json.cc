// Sfdp -> the `flashrig sfdp decode --json` object. Hex strings as the SFDP corpus writes
// them: IDs 0x%04X, pointers 0x%X, opcodes 0x%02X, support bits 0x%08X.
#include "flashrig/hil/sfdp/sfdp_json.h"

#include <fmt/format.h>

namespace flashrig::hil {
namespace {

using driver::Sfdp;
using driver::SfdpBfpt;
using json = nlohmann::json;

std::string Op(uint8_t v) { return fmt::format("0x{:02X}", v); }
std::string Rev(uint8_t major, uint8_t minor) { return fmt::format("{}.{}", major, minor); }

json Table(const driver::SfdpParameterHeader& h) {
  return {{"id", fmt::format("0x{:04X}", h.id)},
          {"revision", Rev(h.major, h.minor)},
          {"dwords", h.dwords},
          {"pointer", fmt::format("0x{:X}", h.pointer)},
          {"name", driver::SfdpTableName(h.id)}};
}

json Tables(const std::vector<driver::SfdpParameterHeader>& headers) {
  json out = json::array();
  for (const auto& h : headers) out.push_back(Table(h));
  return out;
}

json Raw(const std::vector<uint32_t>& dwords) {
  json out = json::array();
  for (uint32_t d : dwords) out.push_back(fmt::format("0x{:08X}", d));
  return out;
}

json EraseTypes(const SfdpBfpt& b) {
  json out = json::array();
  for (const auto& e : b.erase_types) {
    if (e.size_bytes == 0) continue;
    const bool timed = e.typical_us != 0;
    out.push_back({{"type", e.type},
                   {"size_bytes", e.size_bytes},
                   {"opcode", Op(e.opcode)},
                   {"typical_ms", timed ? json(e.typical_us / 1000) : json()},
                   {"max_ms", timed ? json(e.max_us / 1000) : json()}});
  }
  return out;
}

json FastReads(const SfdpBfpt& b) {
  json out = json::object();
  for (size_t i = 0; i < driver::kSfdpReadModeCount; ++i) {
    const auto& r = b.fast_reads[i];
    if (!r.supported) continue;
    out[driver::SfdpReadModeName(static_cast<driver::SfdpReadMode>(i))] = {
        {"opcode", Op(r.opcode)}, {"mode_clocks", r.mode_clocks}, {"dummy_clocks", r.dummy_clocks}};
  }
  return out;
}

json FourByte(const Sfdp& s) {
  if (!s.four_byte) return nullptr;
  json erase = json::object();
  for (int t = 1; t <= 4; ++t) {
    if (s.four_byte->Has(8 + t)) {
      erase[std::to_string(t)] =
          Op(static_cast<uint8_t>(s.four_byte->erase_opcode_bits >> (8 * (t - 1))));
    }
  }
  return {{"support_bits", fmt::format("0x{:08X}", s.four_byte->support_bits)},
          {"instructions", driver::SfdpFourByteInstructions(*s.four_byte)},
          {"erase_opcodes", erase}};
}

json Program(const SfdpBfpt& b) {
  if (b.program_typical_us == 0) return nullptr;
  return {{"typical_us", b.program_typical_us}, {"max_us", b.program_max_us}};
}

json SuspendAndPowerDown(const SfdpBfpt& b, json& out) {
  out["suspend"] = nullptr;
  out["deep_power_down"] = nullptr;
  if (b.has_suspend_fields) {
    out["suspend"] = {{"supported", b.suspend_supported},
                      {"suspend_opcode", Op(b.suspend_opcode)},
                      {"resume_opcode", Op(b.resume_opcode)},
                      {"program_suspend_opcode", Op(b.program_suspend_opcode)},
                      {"program_resume_opcode", Op(b.program_resume_opcode)}};
  }
  if (b.has_power_down_fields) {
    out["deep_power_down"] = {{"supported", b.deep_power_down_supported},
                              {"enter_opcode", Op(b.enter_deep_power_down_opcode)},
                              {"exit_opcode", Op(b.exit_deep_power_down_opcode)},
                              {"status_polling", fmt::format("0x{:02X}", b.status_polling)}};
  }
  return out;
}

json SectorMap(const Sfdp& s) {
  if (!s.sector_map) return nullptr;
  json detect = json::array();
  for (const auto& d : s.sector_map->detect) {
    detect.push_back({{"opcode", Op(d.opcode)},
                      {"latency", d.latency},
                      {"address_mode", d.address_mode},
                      {"mask", Op(d.mask)},
                      {"address", fmt::format("0x{:08X}", d.address)}});
  }
  json maps = json::array();
  for (const auto& m : s.sector_map->maps) {
    json regions = json::array();
    for (const auto& r : m.regions) {
      json types = json::array();
      for (int k = 0; k < 4; ++k) {
        if ((r.erase_type_mask >> k) & 1) types.push_back(k + 1);
      }
      regions.push_back({{"size_bytes", r.size_bytes}, {"erase_types", types}});
    }
    maps.push_back(
        {{"config_id", m.config_id}, {"regions", regions}, {"total_bytes", m.total_bytes()}});
  }
  return {{"detect", detect}, {"maps", maps}};
}

void RegisterTables(const Sfdp& s, json& out) {
  out["sccr"] = nullptr;
  out["sccr_multichip"] = nullptr;
  out["xspi_profile1"] = nullptr;
  if (s.sccr) {
    out["sccr"] = {
        {"volatile_register_offset", fmt::format("0x{:08X}", s.sccr->volatile_register_offset)},
        {"nonvolatile_register_offset",
         fmt::format("0x{:08X}", s.sccr->nonvolatile_register_offset)},
        {"octal_dtr_enable_volatile",
         s.sccr->has_dword22 ? json(s.sccr->octal_dtr_enable_volatile) : json()},
        {"raw", Raw(s.sccr->raw)}};
  }
  if (s.sccr_multichip) {
    json offsets = json::array();
    for (uint32_t o : s.sccr_multichip->volatile_offsets) {
      offsets.push_back(fmt::format("0x{:08X}", o));
    }
    out["sccr_multichip"] = {{"dice_advertised", s.sccr_multichip->dice_advertised},
                             {"volatile_register_offsets", offsets}};
  }
  if (s.xspi_profile1) {
    out["xspi_profile1"] = {{"read_fast_opcode", Op(s.xspi_profile1->read_fast_opcode)},
                            {"raw", Raw(s.xspi_profile1->raw)}};
  }
}

json Octal(const SfdpBfpt& b) {
  if (!b.octal_command_extension && !b.octal_enable) return nullptr;
  json out = json::object();
  out["command_extension"] = b.octal_command_extension ? json(*b.octal_command_extension) : json();
  out["octal_enable"] = b.octal_enable ? json(*b.octal_enable) : json();
  return out;
}

}  // namespace

json SfdpToJson(const Sfdp& s) {
  const SfdpBfpt& b = s.bfpt;
  json out = {
      {"sfdp_revision", Rev(s.header.major, s.header.minor)},
      {"access_protocol", fmt::format("0x{:02X}", s.header.access_protocol)},
      {"parameter_headers", s.header.parameter_headers()},
      {"tables", Tables(s.tables)},
      {"uncounted_tables", Tables(s.uncounted)},
      {"bfpt", {{"revision", Rev(b.major, b.minor)}, {"dwords", b.dwords}, {"raw", Raw(b.raw)}}},
      {"size_bytes", b.size_bytes},
      {"page_bytes", b.page_bytes},
      {"address_bytes", driver::SfdpAddressBytesName(b.address_bytes)},
      {"erase_4k_opcode", b.erase_4k_opcode ? json(Op(*b.erase_4k_opcode)) : json()},
      {"erase_types", EraseTypes(b)},
      {"page_program", Program(b)},
      {"byte_program", b.program_typical_us == 0
                           ? json()
                           : json{{"first_typical_us", b.byte_first_typical_us},
                                  {"additional_typical_us", b.byte_additional_typical_us}}},
      {"chip_erase", b.chip_erase_typical_us == 0
                         ? json()
                         : json{{"typical_ms", b.chip_erase_typical_us / 1000}}},
      {"fast_reads", FastReads(b)},
      {"quad_enable", b.quad_enable ? json(*b.quad_enable) : json()},
      {"four_byte", FourByte(s)}};
  out["four_byte_methods"] =
      b.has_dword16 ? json{{"enter", fmt::format("0x{:02X}", b.enter_4byte_methods)},
                           {"exit", fmt::format("0x{:03X}", b.exit_4byte_methods)},
                           {"soft_reset", fmt::format("0x{:02X}", b.soft_reset_methods)}}
                    : json();
  SuspendAndPowerDown(b, out);
  out["octal"] = Octal(b);
  out["sector_map"] = SectorMap(s);
  RegisterTables(s, out);
  out["warnings"] = s.warnings;
  return out;
}

}  // namespace flashrig::hil
