// Builds SFDP images byte by byte for decoder tests: an SFDP header, parameter headers and
// their tables, laid out one after another (or where a test puts them), so a test can
// write exactly the oddity it is about.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flashrig::testing {

struct SfdpTableSpec {
  uint16_t id = 0xFF00;
  uint8_t major = 1;
  uint8_t minor = 6;
  std::vector<uint32_t> dwords{};
  int pointer = -1;        // -1 = right after the previous table.
  int length_dwords = -1;  // -1 = dwords.size() (the header may lie).
};

inline void PutLe32(std::vector<std::byte>& b, size_t offset, uint32_t v) {
  if (b.size() < offset + 4) b.resize(offset + 4, std::byte{0xFF});
  for (int i = 0; i < 4; ++i) b[offset + i] = static_cast<std::byte>(v >> (8 * i));
}

inline uint32_t GetLe32(const std::vector<std::byte>& b, size_t offset) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(b[offset + i])} << (8 * i);
  return v;
}

// `counted`: the NPH + 1 the header claims (default: all tables).
inline std::vector<std::byte> BuildSfdpImage(const std::vector<SfdpTableSpec>& tables,
                                             int counted = -1, uint8_t sfdp_minor = 6) {
  const size_t n = tables.size();
  const uint8_t nph = static_cast<uint8_t>((counted < 0 ? static_cast<int>(n) : counted) - 1);
  std::vector<std::byte> out(8 + 8 * n, std::byte{0xFF});
  const uint8_t header[8] = {'S', 'F', 'D', 'P', sfdp_minor, 1, nph, 0xFF};
  for (int i = 0; i < 8; ++i) out[i] = std::byte{header[i]};
  size_t next = out.size();
  for (size_t i = 0; i < n; ++i) {
    const SfdpTableSpec& t = tables[i];
    const size_t pointer = t.pointer >= 0 ? static_cast<size_t>(t.pointer) : next;
    const size_t o = 8 + 8 * i;
    const uint8_t length =
        static_cast<uint8_t>(t.length_dwords >= 0 ? t.length_dwords : t.dwords.size());
    const uint8_t ph[8] = {static_cast<uint8_t>(t.id),
                           t.minor,
                           t.major,
                           length,
                           static_cast<uint8_t>(pointer),
                           static_cast<uint8_t>(pointer >> 8),
                           static_cast<uint8_t>(pointer >> 16),
                           static_cast<uint8_t>(t.id >> 8)};
    for (int k = 0; k < 8; ++k) out[o + k] = std::byte{ph[k]};
    for (size_t d = 0; d < t.dwords.size(); ++d) PutLe32(out, pointer + 4 * d, t.dwords[d]);
    next = std::max(next, pointer + 4 * t.dwords.size());
  }
  return out;
}

// A plain JESD216B BFPT: 16 MiB... `size_bytes`, 4K/32K/64K erases, 256-byte pages,
// 3-or-4-byte addressing with B7h and dedicated 4-byte opcodes.
inline std::vector<uint32_t> PlainBfpt(uint64_t size_bytes = 16u << 20) {
  const uint64_t bits = size_bytes * 8;
  return {0xFFF320E5u, static_cast<uint32_t>(bits - 1),
          0x6B08EB44u, 0xBB423B08u,
          0xFFFFFFFEu, 0xFF00FFFFu,
          0xEB40FFFFu, 0x520F200Cu,
          0x0000D810u, 0x00A60236u,
          0xE214EA82u, 0x337663E9u,
          0x757A757Au, 0x5CD5A2F7u,
          0xFF4DF719u, 0xA5F970E9u};
}

}  // namespace flashrig::testing
