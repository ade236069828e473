// The engine's fixed-capacity state: the key index, per-region state and one region-sized
// scratch buffer. Sized once, before the engine is constructed; nothing grows later.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "flashrig/driver/flash/flash.h"
#include "flashrig/kvstore/key_index.h"

namespace flashrig::kv {

// What the engine knows about one region (erase unit). 16 bytes.
struct RegionState {
  uint32_t free_offset_bytes = 0;  // First byte of the erased tail.
  uint32_t live_bytes = 0;         // Bytes of live objects, super key included.
  uint32_t erase_count = 0;        // Erases issued by this engine object (RAM only).
  uint16_t live_objects = 0;
  uint8_t torn = 0;   // 1: holds torn / unparseable bytes (found by the mount scan).
  uint8_t flags = 0;  // kRegion* bits below; cleared by an erase.
};
// The region holds an object written by a Set, a relocation or the wear record (any
// generation other than 0, or the record's key), live or dead (see appends_only()).
inline constexpr uint8_t kRegionUpdated = 0x01;
// Scratch mark of the engine: the region lies on a live key's probe path.
inline constexpr uint8_t kRegionOnPath = 0x02;
// The region holds a filler and nothing else.
inline constexpr uint8_t kRegionFillerOnly = 0x04;
static_assert(sizeof(RegionState) == 16, "RegionState is meant to be 16 bytes");

// Views of the storage the engine works in. The engine keeps them for its lifetime.
struct EngineBuffers {
  std::span<IndexSlot> index_slots;  // KeyIndex::SlotsFor(max_keys) slots.
  uint32_t max_keys = 0;             // Live keys the store can hold, super key included.
  std::span<RegionState> regions;    // One per region (geometry.sector_count()).
  std::span<std::byte> scratch;      // At least one region (erase_size_bytes).
};

// RAM the engine needs: 32 bytes per key (16-byte slot, table kept at <= 50 % load), 16
// bytes per region, plus one region of scratch.
inline size_t EngineRamBytes(const driver::FlashGeometry& geometry, uint32_t max_keys) {
  return KeyIndex::SlotsFor(max_keys) * sizeof(IndexSlot) +
         geometry.sector_count() * sizeof(RegionState) + geometry.erase_size_bytes;
}

// The most objects a store of this geometry can hold (all 15-byte objects).
inline uint32_t MaxObjectsFor(const driver::FlashGeometry& geometry) {
  return geometry.size_bytes / 15;
}

// Host convenience: allocates the buffers once, at construction.
class EngineStorage {
 public:
  EngineStorage(const driver::FlashGeometry& geometry, uint32_t max_keys)
      : slots_(KeyIndex::SlotsFor(max_keys)),
        regions_(geometry.sector_count()),
        scratch_(geometry.erase_size_bytes),
        max_keys_(max_keys) {}
  EngineBuffers buffers() { return {slots_, max_keys_, regions_, scratch_}; }

 private:
  std::vector<IndexSlot> slots_;
  std::vector<RegionState> regions_;
  std::vector<std::byte> scratch_;
  uint32_t max_keys_;
};

// Embedded form: everything in the object itself (place it in static storage).
template <uint32_t kMaxKeys, uint32_t kRegions, uint32_t kRegionBytes>
class StaticEngineStorage {
 public:
  EngineBuffers buffers() { return {slots_, kMaxKeys, regions_, scratch_}; }

 private:
  static constexpr size_t kSlots = [] {
    size_t n = 2;
    while (n < size_t{kMaxKeys} * 2) n <<= 1;
    return n;
  }();
  std::array<IndexSlot, kSlots> slots_{};
  std::array<RegionState, kRegions> regions_{};
  std::array<std::byte, kRegionBytes> scratch_{};
};

}  // namespace flashrig::kv
