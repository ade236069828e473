// The Basic Flash Parameter Table (JESD216 9 DWORDs, A/B 16, C/D 20, F 23) decoded field
// by field. Fields exist only when their DWORD is inside the length the parameter header
// gives (as Linux decides, by length and not by revision); absent times are 0.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace flashrig::driver {

// DWORD 1 bits 18:17.
enum class SfdpAddressBytes : uint8_t { k3Only, k3Or4, k4Only, kReserved };
const char* SfdpAddressBytesName(SfdpAddressBytes a);  // "3", "3or4", "4", "reserved"

// One of the four erase types of DWORDs 8-9, with its DWORD 10 times.
struct SfdpEraseType {
  uint8_t type = 0;         // 1..4: the slot in DWORDs 8-9.
  uint64_t size_bytes = 0;  // 2^N; 0 = slot unused.
  uint8_t opcode = 0;
  uint64_t typical_us = 0;  // 0 = not given (BFPT shorter than 10 DWORDs).
  uint64_t max_us = 0;
};

// Fast-read modes (command-address-data widths) the BFPT describes.
enum class SfdpReadMode : uint8_t { k112, k122, k222, k114, k144, k444, k118, k188, kCount };
inline constexpr size_t kSfdpReadModeCount = static_cast<size_t>(SfdpReadMode::kCount);
const char* SfdpReadModeName(SfdpReadMode mode);  // "1-1-2", ...

struct SfdpFastRead {
  bool supported = false;
  uint8_t opcode = 0;
  uint8_t mode_clocks = 0;   // Bits 7:5 of the settings half-word.
  uint8_t dummy_clocks = 0;  // Bits 4:0 (wait states).
};

// DWORD 16 "enter 4-byte addressing" bits (31:24).
inline constexpr uint8_t kSfdpEnter4ByteB7 = 0x01;
inline constexpr uint8_t kSfdpEnter4ByteWrenB7 = 0x02;
inline constexpr uint8_t kSfdpEnter4ByteDedicatedOpcodes = 0x20;
inline constexpr uint8_t kSfdpEnter4ByteAlways = 0x40;
// DWORD 16 bits 13:8 "soft reset": bit 4 of the field = 66h then 99h.
inline constexpr uint8_t kSfdpSoftReset6699 = 0x10;

struct SfdpBfpt {
  // From the parameter header that was decoded as the BFPT.
  uint8_t major = 0;
  uint8_t minor = 0;
  uint32_t dwords = 0;          // The length the header gives.
  std::vector<uint32_t> raw{};  // The DWORDs as read; DWORD n is raw[n - 1].

  // DWORD 1.
  uint8_t erase_4k_bits = 0;               // Bits 1:0 (01b = 4 KiB erase supported).
  std::optional<uint8_t> erase_4k_opcode;  // Bits 15:8 when bits 1:0 = 01b.
  bool write_granularity_64 = false;       // Bit 2.
  bool volatile_sr_block_protect = false;  // Bit 3.
  bool volatile_sr_wren_06 = false;        // Bit 4 (0 = 50h, 1 = 06h).
  SfdpAddressBytes address_bytes = SfdpAddressBytes::k3Only;
  bool dtr = false;  // Bit 19.
  // DWORD 2.
  uint64_t size_bytes = 0;
  // DWORDs 8-10.
  std::array<SfdpEraseType, 4> erase_types{};
  uint32_t erase_max_multiplier = 0;  // 2 * (DW10[3:0] + 1); 0 = no DWORD 10.
  // DWORD 11 (0 = not given).
  uint32_t page_bytes = 256;
  bool page_bytes_default = true;  // No DWORD 11: 256, as Linux assumes.
  uint32_t program_max_multiplier = 0;
  uint64_t program_typical_us = 0;
  uint64_t program_max_us = 0;
  uint64_t byte_first_typical_us = 0;
  uint64_t byte_additional_typical_us = 0;
  uint64_t chip_erase_typical_us = 0;
  uint64_t chip_erase_max_us = 0;  // Typical x the DWORD 11 multiplier (JESD216 has none).
  // DWORDs 1, 3-7 and 17.
  std::array<SfdpFastRead, kSfdpReadModeCount> fast_reads{};
  // DWORDs 12-13.
  bool has_suspend_fields = false;
  bool suspend_supported = false;  // DW12 bit 31 clear.
  uint8_t program_resume_opcode = 0;
  uint8_t program_suspend_opcode = 0;
  uint8_t resume_opcode = 0;
  uint8_t suspend_opcode = 0;
  // DWORD 14.
  bool has_power_down_fields = false;
  bool deep_power_down_supported = false;
  uint8_t enter_deep_power_down_opcode = 0;
  uint8_t exit_deep_power_down_opcode = 0;
  uint8_t status_polling = 0;  // Bits 7:2: bit 0 = 05h WIP, bit 1 = 70h flag status.
  // DWORD 15.
  std::optional<uint8_t> quad_enable;  // Bits 22:20 (QER), raw.
  // DWORD 16.
  bool has_dword16 = false;
  uint8_t enter_4byte_methods = 0;  // Bits 31:24.
  uint16_t exit_4byte_methods = 0;  // Bits 23:14.
  uint8_t soft_reset_methods = 0;   // Bits 13:8.
  uint8_t status_register_1 = 0;    // Bits 6:0.
  // DWORDs 18-19 (JESD216C+).
  std::optional<uint8_t> octal_command_extension;  // DW18 bits 30:29.
  std::optional<uint8_t> octal_enable;             // DW19 bits 22:20.
};

}  // namespace flashrig::driver
