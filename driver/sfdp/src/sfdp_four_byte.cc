// The 4-byte address instruction table (FF84h): support bits for the 4-byte-address
// reads, programs and erases, and the 4-byte opcode of each erase type.
#include "sfdp_internal.h"

namespace flashrig::driver {

uint8_t SfdpFourByte::EraseOpcode(int type) const {
  if (type < 1 || type > 4 || !Has(8 + type)) return 0;
  return static_cast<uint8_t>(erase_opcode_bits >> (8 * (type - 1)));
}

bool SfdpFourByte::Usable() const {
  const bool read = Has(0) || Has(1);
  const bool program = Has(6);
  const bool erase = Has(9) || Has(10) || Has(11) || Has(12);
  return read && program && erase;
}

std::vector<std::string> SfdpFourByteInstructions(const SfdpFourByte& t) {
  struct Bit {
    int bit;
    const char* text;
  };
  static constexpr Bit kBits[] = {
      {0, "READ 1-1-1 13h"},      {1, "FAST_READ 1-1-1 0Ch"}, {2, "READ 1-1-2 3Ch"},
      {3, "READ 1-2-2 BCh"},      {4, "READ 1-1-4 6Ch"},      {5, "READ 1-4-4 ECh"},
      {6, "PP 1-1-1 12h"},        {7, "PP 1-1-4 34h"},        {8, "PP 1-4-4 3Eh"},
      {13, "READ 1-1-1 DTR 0Eh"}, {14, "READ 1-2-2 DTR BEh"}, {15, "READ 1-4-4 DTR EEh"},
  };
  std::vector<std::string> out;
  for (const Bit& b : kBits) {
    if (t.Has(b.bit)) out.emplace_back(b.text);
  }
  return out;
}

namespace sfdp_internal {

SfdpFourByte DecodeFourByte(std::span<const uint32_t> dwords, Warnings& warnings) {
  SfdpFourByte t;
  if (dwords.size() < 2) {
    warnings.push_back(
        Format("4-byte address instruction table has %zu DWORDs, under 2", dwords.size()));
  }
  if (!dwords.empty()) t.support_bits = dwords[0];
  // Without DWORD 2 no erase type has a known 4-byte opcode.
  t.erase_opcode_bits = dwords.size() >= 2 ? dwords[1] : 0xFFFFFFFFu;
  if (dwords.size() < 2) t.support_bits &= ~(0xFu << 9);
  return t;
}

}  // namespace sfdp_internal
}  // namespace flashrig::driver
