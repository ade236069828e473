// SFDP (JESD216) parser: a pure function from the bytes of a chip's SFDP space to the
// parameters the driver needs (density, erase types, page size, times, address modes).
// No I/O, no heap: safe to fuzz (tests/fuzz/sfdp_fuzz.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/driver/flash/result.h"

namespace flashrig::driver {

// ID of the Basic Flash Parameter Table in a parameter header (MSB << 8 | LSB).
inline constexpr uint16_t kSfdpBfptId = 0xFF00;
// The driver never reads more SFDP space than this; tables beyond it count as truncated.
inline constexpr uint32_t kSfdpMaxBytes = 4096;

enum class SfdpAddressBytes : uint8_t { k3Only, k3Or4, k4Only };

struct SfdpEraseType {
  uint32_t size_bytes = 0;  // 0 = slot unused.
  uint8_t opcode = 0;
  uint64_t typical_us = 0;  // 0 = not given (BFPT shorter than 10 DWORDs).
  uint64_t max_us = 0;
};

// DWORD 16 "enter 4-byte addressing" bits (JESD216B), as in bits 31:24.
inline constexpr uint8_t kSfdpEnter4ByteB7 = 0x01;
inline constexpr uint8_t kSfdpEnter4ByteWrenB7 = 0x02;
inline constexpr uint8_t kSfdpEnter4ByteDedicatedOpcodes = 0x20;
inline constexpr uint8_t kSfdpEnter4ByteAlways = 0x40;
// DWORD 16 bits 13:8 "soft reset": bit 4 (of the field) = 66h then 99h.
inline constexpr uint8_t kSfdpSoftReset6699 = 0x10;

struct SfdpParams {
  uint8_t sfdp_major = 0;
  uint8_t sfdp_minor = 0;
  uint8_t bfpt_major = 0;
  uint8_t bfpt_minor = 0;
  uint32_t bfpt_dwords = 0;
  uint64_t size_bytes = 0;
  uint32_t page_bytes = 256;  // 256 when the BFPT is too short to say.
  SfdpAddressBytes address_bytes = SfdpAddressBytes::k3Only;
  std::array<SfdpEraseType, 4> erase_types{};  // As listed in DWORDs 8-9; holes allowed.
  uint64_t program_typical_us = 0;             // Page program; 0 = not given.
  uint64_t program_max_us = 0;
  uint64_t chip_erase_typical_us = 0;  // 0 = not given.
  uint64_t chip_erase_max_us = 0;
  uint8_t enter_4byte_methods = 0;  // DWORD 16 bits 31:24; 0 = not given.
  uint16_t exit_4byte_methods = 0;  // DWORD 16 bits 23:14.
  uint8_t soft_reset_methods = 0;   // DWORD 16 bits 13:8.
  bool suspend_supported = false;   // DWORD 12 bit 31 clear.
  uint8_t suspend_opcode = 0;       // DWORD 13 bits 31:24 (erase suspend); 0 = none.
  uint8_t resume_opcode = 0;        // DWORD 13 bits 23:16.
};

// How many leading bytes of SFDP space ParseSfdp needs, given the first bytes already
// read (at least 8 are needed to say more). Returns <= prefix.size() when the prefix is
// enough, or when it is so broken that ParseSfdp will reject it anyway. Never exceeds
// kSfdpMaxBytes.
uint32_t SfdpBytesNeeded(std::span<const std::byte> prefix);

// Parses and validates the SFDP header, the parameter headers and the BFPT.
//   kOk
//   kNotFound       no "SFDP" signature (e.g. a part without SFDP: reads FFh)
//   kUnimplemented  SFDP or BFPT major revision other than 1
//   kDataLoss       truncated image, bad lengths or pointers, or values that make no
//                   sense (density, erase sizes, address bytes)
// On error, *why (if non-null) gets a static string naming the failed check.
Result<SfdpParams> ParseSfdp(std::span<const std::byte> image, const char** why = nullptr);

}  // namespace flashrig::driver
