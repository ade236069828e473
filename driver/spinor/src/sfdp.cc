// SFDP parser (JESD216/B): header, parameter headers, BFPT. Every length and pointer is
// checked before it is used, so any byte string is safe input.
#include "flashrig/driver/spinor/sfdp.h"

#include <algorithm>

namespace flashrig::driver {
namespace {

constexpr uint32_t kHeaderBytes = 8;
constexpr uint32_t kParamHeaderBytes = 8;
constexpr uint32_t kSpaceBytes = 1u << 24;  // Pointers are 24-bit.

uint8_t At(std::span<const std::byte> b, size_t i) { return static_cast<uint8_t>(b[i]); }

uint32_t Le32(std::span<const std::byte> b, size_t i) {
  return uint32_t{At(b, i)} | uint32_t{At(b, i + 1)} << 8 | uint32_t{At(b, i + 2)} << 16 |
         uint32_t{At(b, i + 3)} << 24;
}

struct ParamHeader {
  uint16_t id;
  uint8_t minor;
  uint8_t major;
  uint32_t dwords;
  uint32_t pointer;
};

ParamHeader ReadParamHeader(std::span<const std::byte> b, uint32_t index) {
  const size_t o = kHeaderBytes + size_t{index} * kParamHeaderBytes;
  return {.id = static_cast<uint16_t>(At(b, o + 7) << 8 | At(b, o)),
          .minor = At(b, o + 1),
          .major = At(b, o + 2),
          .dwords = At(b, o + 3),
          .pointer =
              uint32_t{At(b, o + 4)} | uint32_t{At(b, o + 5)} << 8 | uint32_t{At(b, o + 6)} << 16};
}

bool HasSignature(std::span<const std::byte> b) {
  return b.size() >= 4 && At(b, 0) == 'S' && At(b, 1) == 'F' && At(b, 2) == 'D' && At(b, 3) == 'P';
}

// Erase time field of DWORD 10 (7 bits): count 4:0, unit 6:5 (1 ms, 16 ms, 128 ms, 1 s).
uint64_t EraseTimeUs(uint32_t field) {
  static constexpr uint64_t kUnitsUs[4] = {1000, 16000, 128000, 1000000};
  return ((field & 0x1F) + 1) * kUnitsUs[(field >> 5) & 3];
}

Status Reject(Status status, const char* reason, const char** why) {
  if (why != nullptr) *why = reason;
  return status;
}

// Every parameter header must point at a non-empty, DWORD-aligned table after the
// headers and inside the 24-bit space.
Status CheckParamHeaders(std::span<const std::byte> image, uint32_t headers, uint32_t headers_end,
                         const char** why) {
  for (uint32_t i = 0; i < headers; ++i) {
    const ParamHeader h = ReadParamHeader(image, i);
    if (h.dwords == 0) return Reject(Status::DataLoss(), "parameter table of length 0", why);
    if (h.pointer % 4 != 0) {
      return Reject(Status::DataLoss(), "parameter table pointer not DWORD-aligned", why);
    }
    if (h.pointer < headers_end) {
      return Reject(Status::DataLoss(), "parameter table overlaps the headers", why);
    }
    if (uint64_t{h.pointer} + uint64_t{h.dwords} * 4 > kSpaceBytes) {
      return Reject(Status::DataLoss(), "parameter table past the 24-bit SFDP space", why);
    }
  }
  return Status::Ok();
}

Status CheckBfptHeader(const ParamHeader& bfpt, size_t image_bytes, const char** why) {
  if (bfpt.id != kSfdpBfptId) {
    return Reject(Status::DataLoss(), "first parameter header is not the BFPT", why);
  }
  if (bfpt.major != 1) {
    return Reject(Status::Unimplemented(), "unsupported BFPT major revision", why);
  }
  if (bfpt.dwords < 9) return Reject(Status::DataLoss(), "BFPT shorter than 9 DWORDs", why);
  if (uint64_t{bfpt.pointer} + uint64_t{bfpt.dwords} * 4 > image_bytes) {
    return Reject(Status::DataLoss(), "BFPT truncated", why);
  }
  return Status::Ok();
}

// DWORD n of the BFPT `table`, numbered from 1 as the standard numbers them.
uint32_t Dword(std::span<const std::byte> table, uint32_t n) { return Le32(table, (n - 1) * 4); }

uint32_t DwordCount(std::span<const std::byte> table) {
  return static_cast<uint32_t>(table.size() / 4);
}

// DWORD 1 bits 18:17.
Status ParseAddressBytes(uint32_t d1, SfdpParams& p, const char** why) {
  switch ((d1 >> 17) & 3) {
    case 0:
      p.address_bytes = SfdpAddressBytes::k3Only;
      return Status::Ok();
    case 1:
      p.address_bytes = SfdpAddressBytes::k3Or4;
      return Status::Ok();
    case 2:
      p.address_bytes = SfdpAddressBytes::k4Only;
      return Status::Ok();
    default:
      return Reject(Status::DataLoss(), "BFPT address bytes field reserved (11b)", why);
  }
}

// DWORD 2: density in bits, or (bit 31 set) its log2. Needs the address bytes.
Status ParseDensity(uint32_t d2, SfdpParams& p, const char** why) {
  uint64_t bits = 0;
  if (d2 & 0x80000000u) {
    const uint32_t n = d2 & 0x7FFFFFFFu;
    if (n < 15 || n > 34) return Reject(Status::DataLoss(), "BFPT density out of range", why);
    bits = uint64_t{1} << n;
  } else {
    bits = uint64_t{d2} + 1;
  }
  if (bits % 8 != 0 || bits < (uint64_t{1} << 15) || bits > (uint64_t{1} << 34)) {
    return Reject(Status::DataLoss(), "BFPT density out of range", why);
  }
  p.size_bytes = bits / 8;
  if (p.size_bytes > (1u << 24) && p.address_bytes == SfdpAddressBytes::k3Only) {
    return Reject(Status::DataLoss(), "density over 16 MiB with 3-byte addresses only", why);
  }
  return Status::Ok();
}

// DWORD 11: page size, page program and chip erase times.
void ParseProgramAndChipErase(uint32_t d11, SfdpParams& p) {
  p.page_bytes = 1u << ((d11 >> 4) & 0xF);
  const uint64_t multiplier = 2 * ((d11 & 0xF) + 1);
  p.program_typical_us = (((d11 >> 8) & 0x1F) + 1) * ((d11 & (1u << 13)) ? 64 : 8);
  p.program_max_us = p.program_typical_us * multiplier;
  static constexpr uint64_t kChipUnitsUs[4] = {16000, 256000, 4000000, 64000000};
  p.chip_erase_typical_us = (((d11 >> 24) & 0x1F) + 1) * kChipUnitsUs[(d11 >> 29) & 3];
  p.chip_erase_max_us = p.chip_erase_typical_us * multiplier;
}

// DWORDs 8-9: the four erase types; DWORD 10 (if present): their times. Needs the page
// size and the density.
Status ParseEraseTypes(std::span<const std::byte> table, SfdpParams& p, const char** why) {
  const uint32_t dwords = DwordCount(table);
  const uint32_t d8 = Dword(table, 8);
  const uint32_t d9 = Dword(table, 9);
  const uint32_t d10 = dwords >= 10 ? Dword(table, 10) : 0;
  const uint32_t slots[4] = {d8 & 0xFFFF, d8 >> 16, d9 & 0xFFFF, d9 >> 16};
  bool any_erase = false;
  for (int i = 0; i < 4; ++i) {
    const uint32_t exponent = slots[i] & 0xFF;
    if (exponent == 0) continue;
    if (exponent > 31) return Reject(Status::DataLoss(), "BFPT erase size too large", why);
    SfdpEraseType& e = p.erase_types[i];
    e.size_bytes = 1u << exponent;
    e.opcode = static_cast<uint8_t>(slots[i] >> 8);
    if (e.size_bytes < p.page_bytes || e.size_bytes > p.size_bytes) {
      return Reject(Status::DataLoss(), "BFPT erase size outside page..density", why);
    }
    if (dwords >= 10) {
      e.typical_us = EraseTimeUs(d10 >> (4 + 7 * i));
      e.max_us = e.typical_us * 2 * ((d10 & 0xF) + 1);
    }
    any_erase = true;
  }
  if (!any_erase) return Reject(Status::DataLoss(), "BFPT lists no erase type", why);
  return Status::Ok();
}

// DWORDs 12-13 (suspend/resume) and 16 (4-byte address and soft reset methods), when the
// BFPT is long enough to have them.
void ParseSuspendAndModes(std::span<const std::byte> table, SfdpParams& p) {
  const uint32_t dwords = DwordCount(table);
  if (dwords >= 13) {
    p.suspend_supported = (Dword(table, 12) & 0x80000000u) == 0;
    if (p.suspend_supported) {
      p.suspend_opcode = static_cast<uint8_t>(Dword(table, 13) >> 24);
      p.resume_opcode = static_cast<uint8_t>(Dword(table, 13) >> 16);
    }
  }
  if (dwords >= 16) {
    const uint32_t d16 = Dword(table, 16);
    p.enter_4byte_methods = static_cast<uint8_t>(d16 >> 24);
    p.exit_4byte_methods = static_cast<uint16_t>((d16 >> 14) & 0x3FF);
    p.soft_reset_methods = static_cast<uint8_t>((d16 >> 8) & 0x3F);
  }
}

}  // namespace

uint32_t SfdpBytesNeeded(std::span<const std::byte> prefix) {
  if (prefix.size() < kHeaderBytes) return kHeaderBytes;
  if (!HasSignature(prefix)) return kHeaderBytes;
  const uint32_t headers = uint32_t{At(prefix, 6)} + 1;
  const uint32_t headers_end = kHeaderBytes + headers * kParamHeaderBytes;
  if (prefix.size() < headers_end) return std::min(headers_end, kSfdpMaxBytes);
  const ParamHeader bfpt = ReadParamHeader(prefix, 0);
  const uint64_t end = uint64_t{bfpt.pointer} + uint64_t{bfpt.dwords} * 4;
  return static_cast<uint32_t>(std::clamp<uint64_t>(end, headers_end, kSfdpMaxBytes));
}

Result<SfdpParams> ParseSfdp(std::span<const std::byte> image, const char** why) {
  if (image.size() < kHeaderBytes) {
    return Reject(Status::DataLoss(), "SFDP header truncated", why);
  }
  if (!HasSignature(image)) return Reject(Status::NotFound(), "no SFDP signature", why);
  SfdpParams p;
  p.sfdp_minor = At(image, 4);
  p.sfdp_major = At(image, 5);
  if (p.sfdp_major != 1) {
    return Reject(Status::Unimplemented(), "unsupported SFDP major revision", why);
  }
  const uint32_t headers = uint32_t{At(image, 6)} + 1;
  const uint32_t headers_end = kHeaderBytes + headers * kParamHeaderBytes;
  if (image.size() < headers_end) {
    return Reject(Status::DataLoss(), "parameter headers truncated", why);
  }
  FLASHRIG_TRY(CheckParamHeaders(image, headers, headers_end, why));
  const ParamHeader bfpt = ReadParamHeader(image, 0);
  FLASHRIG_TRY(CheckBfptHeader(bfpt, image.size(), why));
  p.bfpt_major = bfpt.major;
  p.bfpt_minor = bfpt.minor;
  p.bfpt_dwords = bfpt.dwords;
  const std::span<const std::byte> table = image.subspan(bfpt.pointer, size_t{bfpt.dwords} * 4);
  FLASHRIG_TRY(ParseAddressBytes(Dword(table, 1), p, why));
  FLASHRIG_TRY(ParseDensity(Dword(table, 2), p, why));
  if (bfpt.dwords >= 11) ParseProgramAndChipErase(Dword(table, 11), p);
  FLASHRIG_TRY(ParseEraseTypes(table, p, why));
  ParseSuspendAndModes(table, p);
  return p;
}

}  // namespace flashrig::driver
