// Encoding, decoding and checking of TicKV objects.
#include "flashrig/kvstore/object_format.h"

#include <algorithm>

#include "flashrig/kvstore/crc32.h"

namespace flashrig::kv::format {

void EncodeHeader(const HashedKey& key, uint8_t generation, uint32_t total_bytes,
                  std::span<std::byte> out) {
  out[kVersionOffset] = kVersion;
  out[kFlagsOffset] = FlagsByte(true, generation, total_bytes);
  out[kLengthLowOffset] = static_cast<std::byte>(total_bytes & 0xFF);
  std::copy(key.begin(), key.end(), out.begin() + kKeyOffset);
}

Header DecodeHeader(std::span<const std::byte> bytes) {
  const auto flags = static_cast<uint8_t>(bytes[kFlagsOffset]);
  Header h;
  h.version = static_cast<uint8_t>(bytes[kVersionOffset]);
  h.valid = (flags & kValidBit) != 0;
  h.generation = static_cast<uint8_t>((flags & kGenerationMask) >> kGenerationShift);
  h.total_bytes = (static_cast<uint32_t>(flags & kLengthHighMask) << 8) |
                  static_cast<uint8_t>(bytes[kLengthLowOffset]);
  std::copy_n(bytes.begin() + kKeyOffset, kKeyBytes, h.key.begin());
  return h;
}

uint32_t ObjectChecksum(std::span<const std::byte> object) {
  Crc32Cksum crc;
  crc.Update(object.first(kFlagsOffset));
  crc.Update(object[kFlagsOffset] | static_cast<std::byte>(kValidBit));
  crc.Update(object.subspan(kFlagsOffset + 1, object.size() - kChecksumBytes - kFlagsOffset - 1));
  return crc.Finish();
}

std::optional<Header> ParseObject(std::span<const std::byte> bytes) {
  if (bytes.size() < kOverheadBytes || bytes[kVersionOffset] != kVersion) return std::nullopt;
  const Header h = DecodeHeader(bytes);
  if (h.total_bytes < kOverheadBytes || h.total_bytes > kMaxObjectBytes ||
      h.total_bytes > bytes.size()) {
    return std::nullopt;
  }
  const auto object = bytes.first(h.total_bytes);
  uint32_t stored = 0;
  for (size_t i = 0; i < kChecksumBytes; ++i) {
    stored |= uint32_t{static_cast<uint8_t>(object[h.total_bytes - kChecksumBytes + i])} << (8 * i);
  }
  if (stored != ObjectChecksum(object)) return std::nullopt;
  return h;
}

void EncodeFiller(std::span<std::byte> out) {
  auto object = out.first(kOverheadBytes);
  EncodeHeader(kFillerKey, 0, kOverheadBytes, object);
  const uint32_t crc = ObjectChecksum(object);
  for (size_t i = 0; i < kChecksumBytes; ++i) {
    object[kHeaderBytes + i] = static_cast<std::byte>(crc >> (8 * i));
  }
  object[kFlagsOffset] = FlagsByte(false, 0, kOverheadBytes);
}

void EncodeSealHeader(uint32_t total_bytes, std::span<std::byte> out) {
  out[kVersionOffset] = kVersion;
  out[kFlagsOffset] = FlagsByte(false, 0, total_bytes);
  out[kLengthLowOffset] = static_cast<std::byte>(total_bytes & 0xFF);
  std::fill_n(out.begin() + kKeyOffset, kKeyBytes, std::byte{0});
}

bool IsSealHeader(std::span<const std::byte> bytes) {
  if (bytes.size() < kHeaderBytes || bytes[kVersionOffset] != kVersion) return false;
  // Valid bit and generation zero: only the length bits may be set in byte 1.
  if ((static_cast<uint8_t>(bytes[kFlagsOffset]) & ~kLengthHighMask) != 0) return false;
  return std::all_of(bytes.begin() + kKeyOffset, bytes.begin() + kHeaderBytes,
                     [](std::byte b) { return b == std::byte{0}; });
}

int CompareGenerations(uint8_t a, uint8_t b) {
  const uint8_t d = static_cast<uint8_t>((b - a) & (kGenerationCount - 1));
  if (d >= 1 && d <= 3) return 1;
  if (d >= 5) return -1;
  return 0;
}

}  // namespace flashrig::kv::format
