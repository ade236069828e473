// A decoded SFDP space as the `flashrig sfdp decode` output: one JSON object (--json) or
// a text listing. Names follow the part JSON (typical_ms, max_ms, typical_us); sizes and
// times are the integers the table encodes; fields the table lacks are null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "flashrig/driver/sfdp/sfdp.h"

namespace flashrig::hil {

// Keys: sfdp_revision, access_protocol, parameter_headers, tables [{id, revision, dwords,
// pointer, name}], uncounted_tables, bfpt {revision, dwords, raw}, size_bytes, page_bytes,
// address_bytes ("3" | "3or4" | "4" | "reserved"), erase_4k_opcode, erase_types [{type,
// size_bytes, opcode, typical_ms, max_ms}], page_program {typical_us, max_us},
// byte_program, chip_erase {typical_ms}, fast_reads {mode: {opcode, mode_clocks,
// dummy_clocks}}, quad_enable, four_byte {support_bits, instructions, erase_opcodes},
// four_byte_methods, suspend, deep_power_down, octal, sector_map, sccr, sccr_multichip,
// xspi_profile1, warnings [strings].
nlohmann::json SfdpToJson(const driver::Sfdp& sfdp);

// The same facts for people, one per line, warnings last.
std::string SfdpToText(const driver::Sfdp& sfdp);

}  // namespace flashrig::hil
