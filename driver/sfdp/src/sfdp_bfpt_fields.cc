// BFPT DWORDs 11-19 and the fast-read descriptions (DWORDs 1, 3-7, 17): page size and
// program/chip-erase times, suspend/resume, deep power-down, quad enable, 4-byte address
// methods, and the octal fields of JESD216C/D.
#include "sfdp_internal.h"

namespace flashrig::driver::sfdp_internal {
namespace {

uint32_t Dw(std::span<const uint32_t> d, uint32_t n) { return d[n - 1]; }

SfdpFastRead FastRead(uint32_t half) {
  return {.supported = true,
          .opcode = static_cast<uint8_t>(half >> 8),
          .mode_clocks = static_cast<uint8_t>((half >> 5) & 7),
          .dummy_clocks = static_cast<uint8_t>(half & 0x1F)};
}

void DecodeSuspendAndPowerDown(std::span<const uint32_t> d, SfdpBfpt* out) {
  if (d.size() >= 13) {
    out->has_suspend_fields = true;
    out->suspend_supported = (Dw(d, 12) & 0x80000000u) == 0;
    const uint32_t d13 = Dw(d, 13);
    out->program_resume_opcode = static_cast<uint8_t>(d13);
    out->program_suspend_opcode = static_cast<uint8_t>(d13 >> 8);
    out->resume_opcode = static_cast<uint8_t>(d13 >> 16);
    out->suspend_opcode = static_cast<uint8_t>(d13 >> 24);
  }
  if (d.size() >= 14) {
    const uint32_t d14 = Dw(d, 14);
    out->has_power_down_fields = true;
    out->deep_power_down_supported = (d14 & 0x80000000u) == 0;
    out->enter_deep_power_down_opcode = static_cast<uint8_t>(d14 >> 23);
    out->exit_deep_power_down_opcode = static_cast<uint8_t>(d14 >> 15);
    out->status_polling = static_cast<uint8_t>((d14 >> 2) & 0x3F);
  }
}

// DWORD 15 bits 22:20. JESD216B defines 0-5, JESD216C adds 6; 7 is never defined.
void DecodeQuadEnable(uint32_t d15, SfdpBfpt* out, Warnings& warnings) {
  const uint8_t qer = static_cast<uint8_t>((d15 >> 20) & 7);
  out->quad_enable = qer;
  if (qer == 7 || (qer == 6 && out->minor < 7)) {
    warnings.push_back(Format("BFPT DWORD 15 quad enable requirement %u (%u%u%ub) is undefined%s",
                              qer, (qer >> 2) & 1, (qer >> 1) & 1, qer & 1,
                              qer == 6 ? " before JESD216C (BFPT revision 1.7)" : ""));
  }
}

}  // namespace

void DecodeBfptProgramAndChipErase(uint32_t d11, SfdpBfpt* out) {
  out->page_bytes = 1u << ((d11 >> 4) & 0xF);
  out->page_bytes_default = false;
  out->program_max_multiplier = 2 * ((d11 & 0xF) + 1);
  out->program_typical_us = (((d11 >> 8) & 0x1F) + 1) * ((d11 & (1u << 13)) ? 64 : 8);
  out->program_max_us = out->program_typical_us * out->program_max_multiplier;
  out->byte_first_typical_us = (((d11 >> 14) & 0xF) + 1) * ((d11 & (1u << 18)) ? 8 : 1);
  out->byte_additional_typical_us = (((d11 >> 19) & 0xF) + 1) * ((d11 & (1u << 23)) ? 8 : 1);
  static constexpr uint64_t kChipUnitsUs[4] = {16000, 256000, 4000000, 64000000};
  out->chip_erase_typical_us = (((d11 >> 24) & 0x1F) + 1) * kChipUnitsUs[(d11 >> 29) & 3];
  out->chip_erase_max_us = out->chip_erase_typical_us * out->program_max_multiplier;
}

void DecodeBfptLaterDwords(std::span<const uint32_t> d, SfdpBfpt* out, Warnings& warnings) {
  DecodeSuspendAndPowerDown(d, out);
  if (d.size() >= 15) DecodeQuadEnable(Dw(d, 15), out, warnings);
  if (d.size() >= 16) {
    const uint32_t d16 = Dw(d, 16);
    out->has_dword16 = true;
    out->enter_4byte_methods = static_cast<uint8_t>(d16 >> 24);
    out->exit_4byte_methods = static_cast<uint16_t>((d16 >> 14) & 0x3FF);
    out->soft_reset_methods = static_cast<uint8_t>((d16 >> 8) & 0x3F);
    out->status_register_1 = static_cast<uint8_t>(d16 & 0x7F);
  }
  if (d.size() >= 18) {
    out->octal_command_extension = static_cast<uint8_t>((Dw(d, 18) >> 29) & 3);
    if (*out->octal_command_extension == 2) {
      warnings.push_back("BFPT DWORD 18 bits 30:29 (8D-8D-8D command extension) = 10b is reserved");
    }
  }
  if (d.size() >= 19) out->octal_enable = static_cast<uint8_t>((Dw(d, 19) >> 20) & 7);
}

void DecodeBfptFastReads(std::span<const uint32_t> d, SfdpBfpt* out) {
  struct Where {
    SfdpReadMode mode;
    uint32_t support_dword, support_bit, settings_dword, settings_shift;
  };
  static constexpr Where kModes[] = {
      {SfdpReadMode::k112, 1, 16, 4, 0}, {SfdpReadMode::k122, 1, 20, 4, 16},
      {SfdpReadMode::k222, 5, 0, 6, 16}, {SfdpReadMode::k114, 1, 22, 3, 16},
      {SfdpReadMode::k144, 1, 21, 3, 0}, {SfdpReadMode::k444, 5, 4, 7, 16},
  };
  for (const Where& w : kModes) {
    if (w.settings_dword > d.size() || !((Dw(d, w.support_dword) >> w.support_bit) & 1)) continue;
    out->fast_reads[static_cast<size_t>(w.mode)] =
        FastRead((Dw(d, w.settings_dword) >> w.settings_shift) & 0xFFFF);
  }
  if (d.size() >= 17) {  // JESD216C: 1-1-8 in 31:16, 1-8-8 in 15:0; opcode 0 = none.
    const uint32_t d17 = Dw(d, 17);
    if ((d17 >> 24) != 0)
      out->fast_reads[static_cast<size_t>(SfdpReadMode::k118)] = FastRead(d17 >> 16);
    if (((d17 >> 8) & 0xFF) != 0) {
      out->fast_reads[static_cast<size_t>(SfdpReadMode::k188)] = FastRead(d17 & 0xFFFF);
    }
  }
}

}  // namespace flashrig::driver::sfdp_internal
