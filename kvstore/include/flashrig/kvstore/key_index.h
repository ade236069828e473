// KeyIndex: the engine's RAM index from hashed key to the one live object on flash, an
// open-addressing hash table over caller-provided slots (no heap, bounded memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/kvstore/siphash.h"

namespace flashrig::kv {

// One live object. 16 bytes.
struct IndexSlot {
  HashedKey key{};
  uint32_t address = 0;      // Flash address of the object's first byte.
  uint16_t total_bytes = 0;  // Header + value + checksum.
  uint8_t generation = 0;    // 0..7, see FORMAT.md "Generations".
  uint8_t used = 0;          // 1 if the slot holds an entry.
};
static_assert(sizeof(IndexSlot) == 16, "IndexSlot is meant to be 16 bytes");

// Linear probing with backward-shift deletion (no tombstones), so lookups stay short
// however many sets and deletes run. Not thread-safe.
class KeyIndex {
 public:
  // `slots.size()` must be a power of two and > max_entries (the engine sizes it to at
  // least 2 x max_entries so probes stay short).
  KeyIndex(std::span<IndexSlot> slots, uint32_t max_entries);

  // The slots needed for `max_entries` keys: the next power of two >= 2 * max_entries.
  static size_t SlotsFor(uint32_t max_entries);

  void Clear();
  uint32_t size() const { return size_; }
  uint32_t max_entries() const { return max_entries_; }

  // The entry for `key`, or nullptr. Pointers stay valid until the next Insert/Erase.
  IndexSlot* Find(const HashedKey& key);
  const IndexSlot* Find(const HashedKey& key) const;
  // Adds `key` (which must not be present) and returns its slot; nullptr if full.
  IndexSlot* Insert(const HashedKey& key);
  // Removes the entry (a pointer from Find/Insert).
  void Erase(IndexSlot* slot);

  // Every slot, used or not, for whole-index walks (compaction, listing).
  std::span<const IndexSlot> slots() const { return slots_; }

 private:
  size_t Bucket(const HashedKey& key) const;

  std::span<IndexSlot> slots_;
  size_t mask_ = 0;
  uint32_t max_entries_ = 0;
  uint32_t size_ = 0;
};

}  // namespace flashrig::kv
