// DecodeSfdp: the container, then the BFPT (chosen as Linux chooses it), then every other
// table this decoder knows, then the checks across tables. SfdpBytesNeeded: how much of
// the SFDP space a reader must fetch.
#include "flashrig/driver/sfdp/sfdp.h"

#include <algorithm>

#include "sfdp_internal.h"

namespace flashrig::driver {
namespace {

using sfdp_internal::Fail;
using sfdp_internal::Format;

Status CheckFirstHeaderIsBfpt(const Sfdp& s, SfdpError* error) {
  const SfdpParameterHeader& h = s.tables.front();
  if (h.id != kSfdpBfptId) {
    return Fail(Status::DataLoss(), error, h.offset,
                Format("parameter header 0 at byte 0x%X has ID %04Xh; the first must be the "
                       "BFPT (FF00h)",
                       h.offset, h.id));
  }
  return Status::Ok();
}

// A usable BFPT header: major 1, at least 9 DWORDs, inside the image.
Status CheckBfptHeader(const SfdpParameterHeader& h, size_t image_bytes, SfdpError* error) {
  if (h.major != 1) {
    return Fail(Status::Unimplemented(), error, h.offset + 2,
                Format("BFPT major revision %u at byte 0x%X is not supported (only 1)", h.major,
                       h.offset + 2));
  }
  if (h.dwords < 9) {
    return Fail(Status::DataLoss(), error, h.offset + 3,
                Format("BFPT length %u DWORDs at byte 0x%X is under the 9 of JESD216", h.dwords,
                       h.offset + 3));
  }
  if (h.end() > image_bytes) {
    return Fail(Status::DataLoss(), error,
                static_cast<uint32_t>(std::min<uint64_t>(h.pointer, image_bytes)),
                Format("BFPT (%u DWORDs at 0x%X, parameter header %u) runs past the end of the "
                       "%zu-byte image",
                       h.dwords, h.pointer, h.index, image_bytes));
  }
  return Status::Ok();
}

// Linux's choice among the counted BFPT headers: the highest minor revision, then the
// longest. Later candidates that could not be read are skipped with a warning.
size_t ChooseBfpt(Sfdp& s) {
  size_t best = 0;
  for (size_t i = 1; i < s.tables.size(); ++i) {
    const SfdpParameterHeader& h = s.tables[i];
    if (h.id != kSfdpBfptId) continue;
    const SfdpParameterHeader& b = s.tables[best];
    if (!(h.minor > b.minor || (h.minor == b.minor && h.dwords > b.dwords))) continue;
    if (CheckBfptHeader(h, s.image_bytes, nullptr).ok()) {
      best = i;
    } else {
      s.warnings.push_back(
          Format("parameter header %u names a BFPT (rev %u.%u, %u DWORDs at "
                 "0x%X) that cannot be read; ignored",
                 h.index, h.major, h.minor, h.dwords, h.pointer));
    }
  }
  return best;
}

// Every counted table but the BFPT: decoded when known (the first of each ID), else only
// checked against the image.
void DecodeOtherTables(std::span<const std::byte> image, Sfdp& s) {
  for (size_t i = 0; i < s.tables.size(); ++i) {
    const SfdpParameterHeader& h = s.tables[i];
    if (h.id == kSfdpBfptId) continue;  // The one chosen was decoded; others are older.
    const std::vector<uint32_t> d = sfdp_internal::TableDwords(image, h, s.warnings);
    if (h.id == kSfdpFourByteId && !s.four_byte) {
      s.four_byte = sfdp_internal::DecodeFourByte(d, s.warnings);
    } else if (h.id == kSfdpSectorMapId && !s.sector_map && !d.empty()) {
      s.sector_map = sfdp_internal::DecodeSectorMap(d, s.warnings);
    } else if (h.id == kSfdpSccrId && !s.sccr) {
      s.sccr = sfdp_internal::DecodeSccr(d);
    } else if (h.id == kSfdpSccrMultiChipId && !s.sccr_multichip) {
      s.sccr_multichip = sfdp_internal::DecodeSccrMultiChip(d);
    } else if (h.id == kSfdpXspiProfile1Id && !s.xspi_profile1) {
      s.xspi_profile1 = sfdp_internal::DecodeXspiProfile1(d);
    }
  }
}

}  // namespace

Result<Sfdp> DecodeSfdp(std::span<const std::byte> image, SfdpError* error) {
  Sfdp s;
  s.image_bytes = image.size();
  FLASHRIG_TRY(sfdp_internal::ParseHeaders(image, &s, error));
  FLASHRIG_TRY(CheckFirstHeaderIsBfpt(s, error));
  FLASHRIG_TRY(CheckBfptHeader(s.tables.front(), image.size(), error));
  s.bfpt_index = ChooseBfpt(s);
  const SfdpParameterHeader& bfpt = s.tables[s.bfpt_index];
  const std::vector<uint32_t> dwords = sfdp_internal::TableDwords(image, bfpt, s.warnings);
  FLASHRIG_TRY(
      sfdp_internal::DecodeBfpt(dwords, bfpt, bfpt.pointer + 4, &s.bfpt, s.warnings, error));
  DecodeOtherTables(image, s);
  sfdp_internal::CheckAcrossTables(s);
  return s;
}

uint32_t SfdpBytesNeeded(std::span<const std::byte> prefix) {
  if (prefix.size() < kSfdpHeaderBytes) return kSfdpHeaderBytes;
  const bool signature =
      static_cast<uint8_t>(prefix[0]) == 'S' && static_cast<uint8_t>(prefix[1]) == 'F' &&
      static_cast<uint8_t>(prefix[2]) == 'D' && static_cast<uint8_t>(prefix[3]) == 'P';
  if (!signature) return kSfdpHeaderBytes;
  const uint32_t headers = uint32_t{static_cast<uint8_t>(prefix[6])} + 1;
  const uint32_t headers_end = kSfdpHeaderBytes + headers * kSfdpParameterHeaderBytes;
  if (prefix.size() < headers_end) return std::min(headers_end, kSfdpMaxBytes);
  uint64_t end = headers_end;
  for (uint32_t i = 0; i < headers; ++i) {
    const size_t o = kSfdpHeaderBytes + size_t{i} * kSfdpParameterHeaderBytes;
    const uint64_t pointer = uint64_t{static_cast<uint8_t>(prefix[o + 4])} |
                             uint64_t{static_cast<uint8_t>(prefix[o + 5])} << 8 |
                             uint64_t{static_cast<uint8_t>(prefix[o + 6])} << 16;
    end = std::max(end, pointer + uint64_t{static_cast<uint8_t>(prefix[o + 3])} * 4);
  }
  return static_cast<uint32_t>(std::min<uint64_t>(end, kSfdpMaxBytes));
}

}  // namespace flashrig::driver
