// Checks that look at more than one field or table: the BFPT revision against its length,
// the BFPT against the SFDP header, and the sector map against the density and the erase
// types. Each finding is a warning; decoding goes on.
#include "sfdp_internal.h"

namespace flashrig::driver::sfdp_internal {
namespace {

// The BFPT length each revision defines (JESD216 1.0, A 1.5, B 1.6, C 1.7, D 1.8). Later
// minors are not listed: their lengths are not checked against the revision.
uint32_t ExpectedBfptDwords(uint8_t minor) {
  switch (minor) {
    case 0:
      return 9;
    case 5:
    case 6:
      return 16;
    case 7:
    case 8:
      return 20;
    default:
      return 0;
  }
}

void CheckSectorMap(const SfdpSectorMap& map, const SfdpBfpt& bfpt, Warnings& warnings) {
  uint8_t defined = 0;
  for (int k = 0; k < 4; ++k) {
    if (bfpt.erase_types[k].size_bytes != 0) defined |= uint8_t(1u << k);
  }
  for (const auto& m : map.maps) {
    if (m.total_bytes() != bfpt.size_bytes) {
      warnings.push_back(Format("sector map configuration %u covers %s, the density is %s",
                                m.config_id, SizeText(m.total_bytes()).c_str(),
                                SizeText(bfpt.size_bytes).c_str()));
    }
    uint8_t used = 0;
    for (const auto& r : m.regions) used |= r.erase_type_mask;
    if ((used & ~defined) != 0) {
      warnings.push_back(
          Format("sector map configuration %u allows erase types (mask %Xh) the "
                 "BFPT does not define",
                 m.config_id, used & ~defined));
    }
  }
}

}  // namespace

void CheckBfptRevision(const SfdpBfpt& bfpt, Warnings& warnings) {
  const uint32_t expected = ExpectedBfptDwords(bfpt.minor);
  if (expected != 0 && expected != bfpt.dwords) {
    warnings.push_back(Format("BFPT header revision %u.%u implies %u DWORDs but its length is %u",
                              bfpt.major, bfpt.minor, expected, bfpt.dwords));
  }
  if (bfpt.dwords != 9 && bfpt.dwords != 16 && bfpt.dwords != 20 && bfpt.dwords != 23) {
    warnings.push_back(
        Format("BFPT length %u DWORDs is none of 9, 16, 20, 23 (JESD216 to F)", bfpt.dwords));
  }
}

void CheckAcrossTables(Sfdp& s) {
  if (s.header.minor < s.bfpt.minor) {
    s.warnings.push_back(Format("BFPT revision %u.%u is newer than the SFDP header revision %u.%u",
                                s.bfpt.major, s.bfpt.minor, s.header.major, s.header.minor));
  }
  if (s.sector_map) CheckSectorMap(*s.sector_map, s.bfpt, s.warnings);
}

}  // namespace flashrig::driver::sfdp_internal
