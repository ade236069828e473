// Internal to the SFDP decoder: byte access, message formatting, and the per-table
// decoders that sfdp.cc runs in turn. Each decoder reads only the DWORDs it is given
// (already clamped to the image) and adds its findings to `warnings`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"
#include "flashrig/driver/sfdp/sfdp.h"

namespace flashrig::driver::sfdp_internal {

using Warnings = std::vector<std::string>;

inline uint8_t At(std::span<const std::byte> b, size_t i) { return static_cast<uint8_t>(b[i]); }
uint32_t Le32(std::span<const std::byte> b, size_t offset);
// printf into a std::string (the driver has no fmt).
std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
// "2 MiB", "4 KiB", "512 bytes".
std::string SizeText(uint64_t bytes);

// Sets *error and returns `status` (a non-ok code).
Status Fail(Status status, SfdpError* error, uint32_t offset, std::string message);

// sfdp_headers.cc: the SFDP header, the counted parameter headers and the uncounted ones
// that follow them. Fills s->header, s->tables, s->uncounted (and their warnings).
Status ParseHeaders(std::span<const std::byte> image, Sfdp* s, SfdpError* error);
// The DWORDs of the table `h` points to, clamped to the image; warns when it is empty,
// misaligned or runs past the end.
std::vector<uint32_t> TableDwords(std::span<const std::byte> image, const SfdpParameterHeader& h,
                                  Warnings& warnings);

// sfdp_bfpt.cc: the BFPT in `dwords` (header `h`). kDataLoss for a density no part can
// have (*error names the DWORD 2 offset, `dword2_offset`).
Status DecodeBfpt(std::span<const uint32_t> dwords, const SfdpParameterHeader& h,
                  uint32_t dword2_offset, SfdpBfpt* out, Warnings& warnings, SfdpError* error);
// sfdp_bfpt_fields.cc: the fields of DWORDs 11-19 (program times, suspend, power-down,
// QER, 4-byte methods, octal), fast reads of DWORDs 1, 3-7 and 17.
void DecodeBfptProgramAndChipErase(uint32_t d11, SfdpBfpt* out);
void DecodeBfptLaterDwords(std::span<const uint32_t> dwords, SfdpBfpt* out, Warnings& warnings);
void DecodeBfptFastReads(std::span<const uint32_t> dwords, SfdpBfpt* out);

// sfdp_four_byte.cc, sfdp_sector_map.cc, sfdp_sccr.cc.
SfdpFourByte DecodeFourByte(std::span<const uint32_t> dwords, Warnings& warnings);
SfdpSectorMap DecodeSectorMap(std::span<const uint32_t> dwords, Warnings& warnings);
SfdpSccr DecodeSccr(std::span<const uint32_t> dwords);
SfdpSccrMultiChip DecodeSccrMultiChip(std::span<const uint32_t> dwords);
SfdpXspiProfile1 DecodeXspiProfile1(std::span<const uint32_t> dwords);

// sfdp_warnings.cc: checks across tables (revision against length, sector map against
// density and erase types, BFPT against the SFDP header).
void CheckBfptRevision(const SfdpBfpt& bfpt, Warnings& warnings);
void CheckAcrossTables(Sfdp& s);

}  // namespace flashrig::driver::sfdp_internal
