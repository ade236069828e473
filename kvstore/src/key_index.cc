// Open-addressing hash table for the engine's key index.
#include "flashrig/kvstore/key_index.h"

#include <algorithm>
#include <cassert>

namespace flashrig::kv {

KeyIndex::KeyIndex(std::span<IndexSlot> slots, uint32_t max_entries)
    : slots_(slots), mask_(slots.size() - 1), max_entries_(max_entries) {
  assert(!slots.empty() && (slots.size() & mask_) == 0 && slots.size() > max_entries);
  Clear();
}

size_t KeyIndex::SlotsFor(uint32_t max_entries) {
  size_t n = 2;
  while (n < size_t{max_entries} * 2) n <<= 1;
  return n;
}

void KeyIndex::Clear() {
  std::fill(slots_.begin(), slots_.end(), IndexSlot{});
  size_ = 0;
}

size_t KeyIndex::Bucket(const HashedKey& key) const {
  // Raw keys from the CLI need not be random, so mix all 8 bytes (Fibonacci hashing).
  uint64_t v = 0;
  for (std::byte b : key) v = (v << 8) | static_cast<uint8_t>(b);
  return static_cast<size_t>((v * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
}

const IndexSlot* KeyIndex::Find(const HashedKey& key) const {
  for (size_t i = Bucket(key);; i = (i + 1) & mask_) {
    const IndexSlot& s = slots_[i];
    if (!s.used) return nullptr;
    if (s.key == key) return &s;
  }
}

IndexSlot* KeyIndex::Find(const HashedKey& key) {
  return const_cast<IndexSlot*>(static_cast<const KeyIndex*>(this)->Find(key));
}

IndexSlot* KeyIndex::Insert(const HashedKey& key) {
  if (size_ >= max_entries_) return nullptr;
  size_t i = Bucket(key);
  while (slots_[i].used) i = (i + 1) & mask_;
  slots_[i] = IndexSlot{.key = key, .used = 1};
  ++size_;
  return &slots_[i];
}

void KeyIndex::Erase(IndexSlot* slot) {
  size_t hole = static_cast<size_t>(slot - slots_.data());
  slots_[hole] = IndexSlot{};
  --size_;
  // Shift later members of the probe run back so no lookup stops early at the hole.
  for (size_t i = (hole + 1) & mask_; slots_[i].used; i = (i + 1) & mask_) {
    const size_t home = Bucket(slots_[i].key);
    // Move slot i into the hole if its home is not cyclically in (hole, i].
    const bool home_after_hole = ((i - home) & mask_) < ((i - hole) & mask_);
    if (!home_after_hole) {
      slots_[hole] = slots_[i];
      slots_[i] = IndexSlot{};
      hole = i;
    }
  }
}

}  // namespace flashrig::kv
