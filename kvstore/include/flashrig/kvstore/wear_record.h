// The wear record: per-region erase counts kept on flash as an ordinary TicKV object under
// a reserved key, so wear levelling survives power-up. Layout in docs/FORMAT.md "Wear".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv::wear {

// GenerateKey("flashrig.wear"); tests pin the equality. Users cannot write this key.
inline constexpr HashedKey kWearKey = {std::byte{0x77}, std::byte{0x7b}, std::byte{0x15},
                                       std::byte{0xcf}, std::byte{0x69}, std::byte{0xba},
                                       std::byte{0x4f}, std::byte{0xad}};

// Value: [0] format 1, [1] 0, [2..3] region count (LE), [4..7] base count (LE), then one
// little-endian uint16 per region: its erase count minus the base, saturated at 0xFFFF.
inline constexpr std::byte kFormat{0x01};
inline constexpr size_t kPrefixBytes = 8;
inline constexpr uint32_t kMaxDelta = 0xFFFF;

constexpr size_t ValueBytes(uint32_t regions) { return kPrefixBytes + 2 * size_t{regions}; }

// Writes the counts of `regions` into out (ValueBytes(regions.size()) bytes). The base is
// the smallest count, so only a spread above 65535 erases saturates.
void Encode(std::span<const RegionState> regions, std::span<std::byte> out);

// Raises each region's erase_count to the recorded count (never lowers it: RAM may know
// of erases the record missed). Returns false, changing nothing, if `value` is not a
// format-1 record for exactly regions.size() regions.
bool Apply(std::span<const std::byte> value, std::span<RegionState> regions);

}  // namespace flashrig::kv::wear
