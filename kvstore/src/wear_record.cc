// Encoding and decoding of the wear record's value (per-region erase counts).
#include "flashrig/kvstore/wear_record.h"

#include <algorithm>

namespace flashrig::kv::wear {
namespace {

void PutLe(std::span<std::byte> out, uint32_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}

uint32_t GetLe(std::span<const std::byte> in, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

}  // namespace

void Encode(std::span<const RegionState> regions, std::span<std::byte> out) {
  uint32_t base = 0xFFFFFFFFu;
  for (const RegionState& r : regions) base = std::min(base, r.erase_count);
  if (regions.empty()) base = 0;
  out[0] = kFormat;
  out[1] = std::byte{0};
  PutLe(out.subspan(2), static_cast<uint32_t>(regions.size()), 2);
  PutLe(out.subspan(4), base, 4);
  for (size_t i = 0; i < regions.size(); ++i) {
    const uint32_t delta = std::min(regions[i].erase_count - base, kMaxDelta);
    PutLe(out.subspan(kPrefixBytes + 2 * i), delta, 2);
  }
}

bool Apply(std::span<const std::byte> value, std::span<RegionState> regions) {
  if (value.size() != ValueBytes(static_cast<uint32_t>(regions.size())) || value[0] != kFormat ||
      GetLe(value.subspan(2), 2) != regions.size()) {
    return false;
  }
  const uint32_t base = GetLe(value.subspan(4), 4);
  for (size_t i = 0; i < regions.size(); ++i) {
    const uint64_t recorded = uint64_t{base} + GetLe(value.subspan(kPrefixBytes + 2 * i), 2);
    const auto count = static_cast<uint32_t>(std::min<uint64_t>(recorded, 0xFFFFFFFFu));
    regions[i].erase_count = std::max(regions[i].erase_count, count);
  }
  return true;
}

}  // namespace flashrig::kv::wear
