// Table-driven, MSB-first CRC-32/CKSUM.
#include "flashrig/kvstore/crc32.h"

#include <array>

namespace flashrig::kv {
namespace {

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t r = i << 24;
    for (int bit = 0; bit < 8; ++bit) r = (r & 0x80000000u) ? (r << 1) ^ 0x04C11DB7u : r << 1;
    table[i] = r;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

}  // namespace

void Crc32Cksum::Update(std::span<const std::byte> data) {
  uint32_t r = register_;
  for (std::byte b : data) r = (r << 8) ^ kTable[((r >> 24) ^ static_cast<uint8_t>(b)) & 0xFF];
  register_ = r;
}

}  // namespace flashrig::kv
