// The input language of kv_fuzz, shared by the fuzzer and its seed generator: a geometry
// byte, then build commands that lay out a flash image (objects with valid checksums,
// then torn, corrupted, half-erased), then Mount, then engine operations.
//
//   [spec] ( [build tag] args )* [kMount] ( [op tag] args )*
//
// spec: bits 0..1 the geometry (kGeometries); bit 7 cuts power during the first mount, at
// its mutation ((spec >> 2) & 7) + 1 with effect ((spec >> 5) & 3) % 3.
//
// Raw images (power-loss sweep, TicKV oracle) enter as [geometry] kImage <4096 bytes>.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "flashrig/kvstore/siphash.h"
#include "fuzz_input_reader.h"

namespace kv_fuzz {

using fuzz::InputReader;

inline constexpr uint32_t kImageBytes = 4096;

struct Geometry {
  uint32_t region_bytes;
  uint32_t regions;
};
// All 4 KiB, so a raw image fits every geometry.
inline constexpr std::array<Geometry, 4> kGeometries = {
    {{512, 8}, {256, 16}, {1024, 4}, {2048, 2}}};

// Build commands (tag byte % kBuildTags).
enum BuildTag : uint8_t {
  kObject =
      0,  // region, key id, flags (bit 0 invalid, 1..3 generation, 4 torn), length, fill, cut, mask
  kRawBytes = 1,   // offset (2), n (<16), n bytes programmed (ANDed) into the image
  kBitRot = 2,     // offset (2), bit: that bit flips
  kHalfErase = 3,  // region, offset (2), length: those bytes read 0xFF again
  kImage = 4,      // 4096 bytes replace the image
  kMount = 5,      // end of the build phase
  kBuildTags = 6,
};

// Operations (tag byte % kOpTags), each with its own arguments (kv_fuzz.cc).
enum OpTag : uint8_t {
  kAppend = 0,      // key id, length
  kSet = 1,         // key id, length
  kInvalidate = 2,  // key id
  kGet = 3,         // key id, buffer length
  kGc = 4,          // compact flag
  kRemount = 5,     // a new engine mounts the flash alone
  kCheck = 6,       // every key of the model, the stats and the key listing
  kPowerCut = 7,    // at-op, effect, seed: cuts power during the next mutation
  kFlashError = 8,  // op mask, skip: the next matching program/erase fails
  kKvSystem = 9,    // which, key id, length: the same through the split-phase KvSystem
  kUpdate = 10,     // key id, length: KvStore::Update (existing keys only)
  kOpTags = 11,
};

// Key ids 0..kUserKeys-1 are user keys (home region = id % regions, some colliding
// across ids); kSuperKeyId and kWearKeyId name the engine's reserved keys.
inline constexpr uint8_t kUserKeys = 24;
inline constexpr uint8_t kSuperKeyId = kUserKeys;
inline constexpr uint8_t kWearKeyId = kUserKeys + 1;

inline flashrig::kv::HashedKey UserKey(uint8_t id) {
  flashrig::kv::HashedKey k{};
  k[0] = std::byte{0xA5};
  k[1] = static_cast<std::byte>(id * 37);
  k[6] = static_cast<std::byte>(id >> 3);
  k[7] = static_cast<std::byte>(id);
  return k;
}

// A seed input that loads `image` (kImageBytes) into geometry `geometry`, mounts it and
// runs `ops` (raw op bytes).
inline std::vector<uint8_t> RawImageInput(uint8_t geometry, std::span<const std::byte> image,
                                          std::span<const uint8_t> ops) {
  std::vector<uint8_t> out = {geometry, kImage};
  for (std::byte b : image) out.push_back(static_cast<uint8_t>(b));
  out.resize(2 + kImageBytes, 0xFF);
  out.push_back(kMount);
  out.insert(out.end(), ops.begin(), ops.end());
  return out;
}

}  // namespace kv_fuzz
