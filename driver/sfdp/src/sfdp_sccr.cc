// The register tables of xSPI parts: the SCCR map (FF87h), its multi-chip offsets
// (FF88h) and xSPI profile 1.0 (FF05h), decoded as far as Linux uses them; the raw
// DWORDs are kept for the rest.
#include "sfdp_internal.h"

namespace flashrig::driver::sfdp_internal {

SfdpSccr DecodeSccr(std::span<const uint32_t> d) {
  SfdpSccr out;
  out.raw.assign(d.begin(), d.end());
  if (!d.empty()) out.volatile_register_offset = d[0];
  if (d.size() >= 2) out.nonvolatile_register_offset = d[1];
  if (d.size() >= 22) {
    out.has_dword22 = true;
    out.octal_dtr_enable_volatile = (d[21] >> 31) & 1;
  }
  return out;
}

SfdpSccrMultiChip DecodeSccrMultiChip(std::span<const uint32_t> d) {
  SfdpSccrMultiChip out;
  out.dice_advertised = static_cast<uint32_t>(1 + d.size() / 2);
  for (size_t i = 0; i + 1 < d.size(); i += 2) out.volatile_offsets.push_back(d[i]);
  return out;
}

SfdpXspiProfile1 DecodeXspiProfile1(std::span<const uint32_t> d) {
  SfdpXspiProfile1 out;
  out.raw.assign(d.begin(), d.end());
  if (!d.empty()) out.read_fast_opcode = static_cast<uint8_t>(d[0] >> 8);
  return out;
}

}  // namespace flashrig::driver::sfdp_internal
