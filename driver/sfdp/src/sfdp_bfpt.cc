// BFPT DWORDs 1-10: 4 KiB erase, address bytes, density, erase types and their times. The
// later DWORDs are in sfdp_bfpt_fields.cc. Every field is read only when its DWORD is
// inside the table; odd values are decoded as they are, with a warning.
#include "sfdp_internal.h"

namespace flashrig::driver::sfdp_internal {
namespace {

// DWORD n (1-based, as JESD216 numbers them).
uint32_t Dw(std::span<const uint32_t> d, uint32_t n) { return d[n - 1]; }

void DecodeDword1(uint32_t d1, SfdpBfpt* out, Warnings& warnings) {
  out->erase_4k_bits = d1 & 3;
  if (out->erase_4k_bits == 1) out->erase_4k_opcode = static_cast<uint8_t>(d1 >> 8);
  if (out->erase_4k_bits == 0 || out->erase_4k_bits == 2) {
    warnings.push_back(
        Format("BFPT DWORD 1 bits 1:0 (4 KiB erase) = %u%ub is reserved", (d1 >> 1) & 1, d1 & 1));
  }
  out->write_granularity_64 = (d1 >> 2) & 1;
  out->volatile_sr_block_protect = (d1 >> 3) & 1;
  out->volatile_sr_wren_06 = (d1 >> 4) & 1;
  static constexpr SfdpAddressBytes kAddress[4] = {
      SfdpAddressBytes::k3Only, SfdpAddressBytes::k3Or4, SfdpAddressBytes::k4Only,
      SfdpAddressBytes::kReserved};
  out->address_bytes = kAddress[(d1 >> 17) & 3];
  if (out->address_bytes == SfdpAddressBytes::kReserved) {
    warnings.push_back("BFPT DWORD 1 bits 18:17 (address bytes) = 11b is reserved");
  }
  out->dtr = (d1 >> 19) & 1;
}

// DWORD 2: bits - 1, or (bit 31) log2 of the bits.
Status DecodeDensity(uint32_t d2, uint32_t offset, SfdpBfpt* out, Warnings& warnings,
                     SfdpError* error) {
  uint64_t bits = 0;
  if (d2 & 0x80000000u) {
    const uint32_t n = d2 & 0x7FFFFFFFu;
    if (n > 63) {
      return Fail(Status::DataLoss(), error, offset,
                  Format("BFPT DWORD 2 at byte 0x%X gives a density of 2^%u bits, out of range",
                         offset, n));
    }
    bits = uint64_t{1} << n;
  } else {
    bits = uint64_t{d2} + 1;
  }
  if (bits < 8) {
    return Fail(Status::DataLoss(), error, offset,
                Format("BFPT DWORD 2 at byte 0x%X gives a density of %llu bits, under one byte",
                       offset, static_cast<unsigned long long>(bits)));
  }
  if (bits % 8 != 0) {
    warnings.push_back(Format("BFPT density %llu bits is not a whole number of bytes",
                              static_cast<unsigned long long>(bits)));
  }
  out->size_bytes = bits / 8;
  if (out->size_bytes > (uint64_t{1} << 24) && out->address_bytes == SfdpAddressBytes::k3Only) {
    warnings.push_back(
        Format("BFPT says 3-byte addressing only (DWORD 1 bits 18:17 = 00b) but "
               "the density (%s) is over 16 MiB",
               SizeText(out->size_bytes).c_str()));
  }
  return Status::Ok();
}

// Erase time field of DWORD 10 (7 bits): count 4:0, unit 6:5 (1 ms, 16 ms, 128 ms, 1 s).
uint64_t EraseTimeUs(uint32_t field) {
  static constexpr uint64_t kUnitsUs[4] = {1000, 16000, 128000, 1000000};
  return ((field & 0x1F) + 1) * kUnitsUs[(field >> 5) & 3];
}

// DWORDs 8-9 (the four erase types) and 10 (their times, when present).
void DecodeEraseTypes(std::span<const uint32_t> d, SfdpBfpt* out, Warnings& warnings) {
  const bool timed = d.size() >= 10;
  const uint32_t d10 = timed ? Dw(d, 10) : 0;
  if (timed) out->erase_max_multiplier = 2 * ((d10 & 0xF) + 1);
  bool any = false;
  for (int i = 0; i < 4; ++i) {
    const uint32_t half = (Dw(d, 8 + i / 2) >> (16 * (i % 2))) & 0xFFFF;
    const uint32_t exponent = half & 0xFF;
    if (exponent == 0) continue;
    if (exponent >= 40) {
      warnings.push_back(
          Format("BFPT erase type %d has a size of 2^%u bytes; ignored", i + 1, exponent));
      continue;
    }
    SfdpEraseType& e = out->erase_types[i];
    e.type = static_cast<uint8_t>(i + 1);
    e.size_bytes = uint64_t{1} << exponent;
    e.opcode = static_cast<uint8_t>(half >> 8);
    if (e.size_bytes > out->size_bytes) {
      warnings.push_back(Format("BFPT erase type %d (%s) is larger than the density (%s)", i + 1,
                                SizeText(e.size_bytes).c_str(), SizeText(out->size_bytes).c_str()));
    }
    if (timed) {
      e.typical_us = EraseTimeUs(d10 >> (4 + 7 * i));
      e.max_us = e.typical_us * out->erase_max_multiplier;
    }
    any = true;
  }
  if (!any) warnings.push_back("BFPT lists no erase type (DWORDs 8-9 are empty)");
}

}  // namespace

Status DecodeBfpt(std::span<const uint32_t> dwords, const SfdpParameterHeader& h,
                  uint32_t dword2_offset, SfdpBfpt* out, Warnings& warnings, SfdpError* error) {
  out->major = h.major;
  out->minor = h.minor;
  out->dwords = h.dwords;
  out->raw.assign(dwords.begin(), dwords.end());
  DecodeDword1(Dw(dwords, 1), out, warnings);
  FLASHRIG_TRY(DecodeDensity(Dw(dwords, 2), dword2_offset, out, warnings, error));
  DecodeBfptFastReads(dwords, out);
  DecodeEraseTypes(dwords, out, warnings);
  if (dwords.size() >= 11) {
    DecodeBfptProgramAndChipErase(Dw(dwords, 11), out);
  } else {
    warnings.push_back(Format("BFPT has %zu DWORDs (no DWORD 11): page size defaults to 256 bytes",
                              dwords.size()));
  }
  DecodeBfptLaterDwords(dwords, out, warnings);
  CheckBfptRevision(*out, warnings);
  return Status::Ok();
}

}  // namespace flashrig::driver::sfdp_internal
