// The TicKV version-1 object layout: offsets, lengths, flag bits and the super key, with
// static_asserts. docs/FORMAT.md has the byte tables and the rules built on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv::format {

// Object: [version][flags | length 11..8][length 7..0][key x8][value ...][crc32 LE x4]
inline constexpr size_t kVersionOffset = 0;
inline constexpr size_t kFlagsOffset = 1;  // Also holds length bits 11..8.
inline constexpr size_t kLengthLowOffset = 2;
inline constexpr size_t kKeyOffset = 3;
inline constexpr size_t kKeyBytes = 8;
inline constexpr size_t kHeaderBytes = kKeyOffset + kKeyBytes;  // Value starts here.
inline constexpr size_t kChecksumBytes = 4;
inline constexpr size_t kOverheadBytes = kHeaderBytes + kChecksumBytes;

inline constexpr std::byte kVersion{0x01};
inline constexpr std::byte kErased{0xFF};  // A version byte of 0xFF marks free space.

// Byte 1: bit 7 valid; bits 6..4 reserved by TicKV (written 0, ignored on read) and used
// by flashrig as a 3-bit generation (see FORMAT.md "Generations"); bits 3..0 length high.
inline constexpr uint8_t kValidBit = 0x80;
inline constexpr uint8_t kGenerationMask = 0x70;
inline constexpr int kGenerationShift = 4;
inline constexpr uint8_t kGenerationCount = 8;
inline constexpr uint8_t kLengthHighMask = 0x0F;

// Total length (header + value + checksum) must be < 0xFFF.
inline constexpr uint32_t kMaxObjectBytes = 0xFFE;
inline constexpr uint32_t kMaxValueBytes = kMaxObjectBytes - kOverheadBytes;

static_assert(kHeaderBytes == 11, "TicKV header is 11 bytes");
static_assert(kOverheadBytes == 15, "TicKV per-object overhead is 15 bytes");
static_assert(kMaxValueBytes == 4079, "TicKV values are at most 4079 bytes");
static_assert((kValidBit & kGenerationMask) == 0 && (kGenerationMask & kLengthHighMask) == 0,
              "flag fields overlap");
static_assert((kGenerationMask >> kGenerationShift) + 1 == kGenerationCount);

// The super key: hash 0x7bc9f7ff4f76f244 stored big-endian, empty value. Its whole object
// is 01 80 0F 7B C9 F7 FF 4F 76 F2 44 BB 32 74 1D.
inline constexpr HashedKey kSuperKey = {std::byte{0x7b}, std::byte{0xc9}, std::byte{0xf7},
                                        std::byte{0xff}, std::byte{0x4f}, std::byte{0x76},
                                        std::byte{0xf2}, std::byte{0x44}};

// TicKV's lookup gives up on a region whose objects end within 11 bytes of its end (it
// stops before reading a header at offset + 11 >= S), and so loses every key whose probe
// order passes that region. No write of ours ends there: every object ends at or before
// S - kNoPackBytes (docs/FORMAT.md "Placement").
inline constexpr uint32_t kNoPackBytes = 12;

// The filler: a complete 15-byte object, written already invalidated in one program, that
// keeps an erased region on a live key's probe path non-empty, so TicKV's lookup walks on
// (it stops at an empty region). Its key is GenerateKey("flashrig.filler"); tests pin it.
inline constexpr HashedKey kFillerKey = {std::byte{0x08}, std::byte{0x90}, std::byte{0xcd},
                                         std::byte{0xc0}, std::byte{0x41}, std::byte{0x87},
                                         std::byte{0x1d}, std::byte{0x5d}};

// Header fields as decoded from bytes 0..10.
struct Header {
  uint8_t version = 0;
  bool valid = false;
  uint8_t generation = 0;
  uint32_t total_bytes = 0;
  HashedKey key{};
};

constexpr uint32_t ObjectBytes(size_t value_bytes) {
  return static_cast<uint32_t>(value_bytes + kOverheadBytes);
}

// Home region: ((k[6] << 8) | k[7]) % region_count. REQUIRES: region_count > 0.
constexpr uint32_t HomeRegion(const HashedKey& key, uint32_t region_count) {
  const uint32_t low16 =
      (uint32_t{static_cast<uint8_t>(key[6])} << 8) | static_cast<uint8_t>(key[7]);
  return low16 % region_count;
}

// Byte 1 of an object: valid bit, generation, length bits 11..8.
constexpr std::byte FlagsByte(bool valid, uint8_t generation, uint32_t total_bytes) {
  return static_cast<std::byte>((valid ? kValidBit : 0) |
                                ((generation << kGenerationShift) & kGenerationMask) |
                                ((total_bytes >> 8) & kLengthHighMask));
}

// Largest value a store with `region_bytes` regions accepts: the object must end at or
// before S - kNoPackBytes, and TicKV's length field caps it at 4079.
constexpr uint32_t MaxValueBytes(uint32_t region_bytes) {
  const uint32_t room = region_bytes > kNoPackBytes + kOverheadBytes
                            ? region_bytes - kNoPackBytes - kOverheadBytes
                            : 0;
  return room < kMaxValueBytes ? room : kMaxValueBytes;
}

// Position of `region` in TicKV's probe order from `home` (home, home+1, home-1, home+2,
// ...): 0 for home, 2d - 1 for home + d, 2d for home - d. Skipped out-of-range indices do
// not change the relative order, so ranks compare correctly near the ends.
constexpr uint32_t ProbeRank(uint32_t region, uint32_t home) {
  return region >= home ? 2 * (region - home) - (region > home ? 1 : 0) : 2 * (home - region);
}

// The regions TicKV's lookup of a key homed in `home` reads before it reaches `stored`:
// those of lower probe rank, which form the interval [*lo, *hi] (clipped to the store).
// Returns false (interval empty) when stored == home.
constexpr bool ProbePathBefore(uint32_t home, uint32_t stored, uint32_t region_count, uint32_t* lo,
                               uint32_t* hi) {
  if (stored == home) return false;
  const uint32_t d = stored > home ? stored - home : home - stored;
  *lo = home + 1 > d ? home + 1 - d : 0;
  const uint32_t top = stored > home ? home + d - 1 : home + d;
  *hi = top < region_count - 1 ? top : region_count - 1;
  return true;
}

// Writes the 11 header bytes of a live object. REQUIRES: out.size() >= kHeaderBytes.
void EncodeHeader(const HashedKey& key, uint8_t generation, uint32_t total_bytes,
                  std::span<std::byte> out);

// Decodes bytes 0..10 without judging them. REQUIRES: bytes.size() >= kHeaderBytes.
Header DecodeHeader(std::span<const std::byte> bytes);

// The object checksum: CRC-32/CKSUM over [0, len - 4) as first written, i.e. with the
// valid bit forced to 1 so invalidated objects still verify.
// REQUIRES: object.size() >= kOverheadBytes.
uint32_t ObjectChecksum(std::span<const std::byte> object);

// Parses a complete object at the start of `bytes` (which runs to the end of its region).
// Returns the header only if the version is 1, the length is in [15, 0xFFE], the object
// fits in `bytes` and the checksum matches; otherwise nullopt (torn, garbage, foreign).
std::optional<Header> ParseObject(std::span<const std::byte> bytes);

// The 15 bytes of the filler object (see kFillerKey): version 1, valid bit 0, checksum
// as for any object (over the bytes as if valid). REQUIRES: out.size() >= kOverheadBytes.
void EncodeFiller(std::span<std::byte> out);

// A sealed torn write: the header mount programs over a torn run at the end of a region's
// objects so TicKV's walk steps over it (docs/FORMAT.md "Mount"): version 1, valid 0,
// generation 0, length `total_bytes`, key all zero (a key no writer uses). The torn value
// and checksum bytes stay as they are, so the checksum does not match.
void EncodeSealHeader(uint32_t total_bytes, std::span<std::byte> out);
// True if bytes 0..10 are a seal header (any length; the caller checks it fits).
bool IsSealHeader(std::span<const std::byte> bytes);

// (b - a) mod 8 in 1..3 means b is newer; 5..7 means a is newer; 0 or 4 is a tie.
// Returns +1 if b is newer than a, -1 if a is newer, 0 for a tie.
int CompareGenerations(uint8_t a, uint8_t b);

}  // namespace flashrig::kv::format
