// TicKvEngine space management: placement (TicKV probe order for appends, best fit for
// updates and relocation), TicKV garbage collection and crash-safe compaction.
#include <algorithm>
#include <cstring>

#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {

uint32_t TicKvEngine::GarbageBytes(uint32_t region) const {
  return regions_[region].free_offset_bytes - regions_[region].live_bytes;
}

uint32_t TicKvEngine::SpareRegions() const {
  uint32_t n = 0;
  for (uint32_t r = 0; r < region_count_; ++r) n += IsSpare(r) ? 1 : 0;
  return n;
}

uint32_t TicKvEngine::FindRegion(uint32_t total_bytes, const HashedKey& key, Purpose purpose,
                                 uint32_t exclude) const {
  // Ordinary writes leave one spare region so compaction can always make progress.
  const bool keep_spare = (purpose == Purpose::kAppend || purpose == Purpose::kUpdate) &&
                          SpareRegions() <= kReservedSpares;
  auto fits = [&](uint32_t r) {
    return r != exclude && regions_[r].free_offset_bytes + total_bytes <= region_bytes_ &&
           !(keep_spare && IsSpare(r));
  };
  if (purpose == Purpose::kAppend || purpose == Purpose::kSuperKey) {
    // TicKV: R, R+1, R-1, R+2, R-2, ... skipping indices outside [0, N).
    const auto home = static_cast<int64_t>(format::HomeRegion(key, region_count_));
    for (int64_t step = 0; step < 2 * int64_t{region_count_}; ++step) {
      const int64_t r = step == 0 ? home : (step % 2 ? home + (step + 1) / 2 : home - step / 2);
      if (r < 0 || r >= region_count_) continue;
      if (fits(static_cast<uint32_t>(r))) return static_cast<uint32_t>(r);
    }
    return kNoRegion;
  }
  // Best fit (least room left over) packs variable-size objects tightly; ties go to the
  // least-erased region to spread wear.
  uint32_t best = kNoRegion;
  uint32_t best_left = 0;
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (!fits(r)) continue;
    const uint32_t left = region_bytes_ - regions_[r].free_offset_bytes - total_bytes;
    if (best == kNoRegion || left < best_left ||
        (left == best_left && regions_[r].erase_count < regions_[best].erase_count)) {
      best = r;
      best_left = left;
    }
  }
  return best;
}

Result<size_t> TicKvEngine::EraseDeadRegions() {
  size_t freed = 0;
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].free_offset_bytes != 0 && regions_[r].live_objects == 0) {
      FLASHRIG_TRY(EraseRegion(r));
      freed += region_bytes_;
    }
  }
  return freed;
}

bool TicKvEngine::CanRelocate(uint32_t victim, bool with_margin) const {
  // The live objects of the victim (the super key stays) must fit elsewhere. With the
  // margin, also one more copy of the largest: if power fails mid-copy, a torn copy eats
  // at most that much, and the compaction can still be finished after the reboot.
  uint32_t moving = 0;
  uint32_t largest = 0;
  for (const IndexSlot& entry : index_.slots()) {
    if (entry.used && entry.address / region_bytes_ == victim && entry.key != format::kSuperKey) {
      moving += entry.total_bytes;
      largest = std::max<uint32_t>(largest, entry.total_bytes);
    }
  }
  if (moving == 0) return true;
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (r != victim && IsSpare(r) &&
        region_bytes_ - regions_[r].free_offset_bytes >= moving + (with_margin ? largest : 0)) {
      return true;
    }
  }
  // Otherwise replay the best-fit placement, plus the spare copy, on simulated free
  // offsets kept in scratch_ (unused between operations).
  if (size_t{region_count_} * sizeof(uint32_t) > scratch_.size()) return false;
  auto load = [&](uint32_t r) {
    uint32_t v;
    std::memcpy(&v, scratch_.data() + r * sizeof(v), sizeof(v));
    return v;
  };
  auto store = [&](uint32_t r, uint32_t v) {
    std::memcpy(scratch_.data() + r * sizeof(v), &v, sizeof(v));
  };
  auto place = [&](uint32_t total_bytes) {
    uint32_t best = kNoRegion;
    for (uint32_t r = 0; r < region_count_; ++r) {
      const uint32_t free_offset = load(r);
      if (free_offset + total_bytes > region_bytes_) continue;
      if (best == kNoRegion || free_offset > load(best)) best = r;
    }
    if (best == kNoRegion) return false;
    store(best, load(best) + total_bytes);
    return true;
  };
  for (uint32_t r = 0; r < region_count_; ++r) {
    store(r, r == victim ? region_bytes_ : regions_[r].free_offset_bytes);
  }
  for (const IndexSlot& entry : index_.slots()) {
    if (entry.used && entry.address / region_bytes_ == victim && entry.key != format::kSuperKey &&
        !place(entry.total_bytes)) {
      return false;
    }
  }
  return !with_margin || place(largest);
}

uint32_t TicKvEngine::PickVictim(uint32_t min_garbage_bytes) const {
  // Prefer a victim whose compaction survives a power cut (see CanRelocate); failing
  // that, any victim that can be compacted at all (this is also how the store recovers
  // from a cut mid-compaction).
  const uint32_t safe = PickVictim(min_garbage_bytes, true);
  return safe != kNoRegion ? safe : PickVictim(min_garbage_bytes, false);
}

uint32_t TicKvEngine::PickVictim(uint32_t min_garbage_bytes, bool with_margin) const {
  // Candidates in order: most garbage, then least erased (wear), then lowest index. The
  // first whose live objects can move elsewhere wins.
  auto before = [&](uint32_t a, uint32_t b) {
    const uint32_t ga = GarbageBytes(a), gb = GarbageBytes(b);
    if (ga != gb) return ga > gb;
    if (regions_[a].erase_count != regions_[b].erase_count) {
      return regions_[a].erase_count < regions_[b].erase_count;
    }
    return a < b;
  };
  uint32_t previous = kNoRegion;
  for (uint32_t attempt = 0; attempt < region_count_; ++attempt) {
    uint32_t best = kNoRegion;
    for (uint32_t r = 0; r < region_count_; ++r) {
      const uint32_t garbage = GarbageBytes(r);
      if (garbage == 0 || garbage < min_garbage_bytes) continue;
      if (previous != kNoRegion && !before(previous, r)) continue;
      if (best == kNoRegion || before(r, best)) best = r;
    }
    if (best == kNoRegion || CanRelocate(best, with_margin)) return best;
    previous = best;
  }
  return kNoRegion;
}

Status TicKvEngine::CompactRegion(uint32_t victim) {
  bool had_super_key = false;
  for (const IndexSlot& entry : index_.slots()) {
    if (!entry.used || entry.address / region_bytes_ != victim) continue;
    if (entry.key == format::kSuperKey) {
      had_super_key = true;
      continue;
    }
    const uint32_t target = FindRegion(entry.total_bytes, entry.key, Purpose::kRelocate, victim);
    if (target == kNoRegion) return Status::ResourceExhausted();
    // Copy with generation + 1, so if power fails before the source is invalidated,
    // mount keeps this copy; both hold the same value anyway.
    auto object = scratch_.first(entry.total_bytes);
    FLASHRIG_TRY(flash_.Read(entry.address, object));
    const auto header = format::ParseObject(object);
    if (!header || header->key != entry.key) return Status::DataLoss();
    const auto value = std::span<const std::byte>(object).subspan(
        format::kHeaderBytes, entry.total_bytes - format::kOverheadBytes);
    const uint8_t generation = (entry.generation + 1) % format::kGenerationCount;
    const uint32_t address = target * region_bytes_ + regions_[target].free_offset_bytes;
    // `value` points into scratch_ at the offset WriteObject encodes it to.
    FLASHRIG_TRY(WriteObject(target, entry.key, generation, value));
    const IndexSlot old = entry;
    IndexSlot* slot = index_.Find(entry.key);
    slot->address = address;
    slot->generation = generation;
    FLASHRIG_TRY(InvalidateAt(old.address, old.generation, old.total_bytes));
    ++counters_.relocated_objects;
    counters_.relocated_bytes += old.total_bytes;
  }
  // lose power during the erase? Everything left in the victim is invalid (or the super
  // key, which mount rewrites), so a torn or skipped erase loses nothing.
  FLASHRIG_TRY(EraseRegion(victim));
  ++counters_.compactions;
  if (had_super_key) {
    // Back into the same region: TicKV finds it there, and the region stays spare.
    index_.Erase(index_.Find(format::kSuperKey));
    FLASHRIG_TRY(WriteSuperKey(victim));
  }
  return Status::Ok();
}

Result<uint32_t> TicKvEngine::MakeSpace(uint32_t total_bytes, const HashedKey& key,
                                        Purpose purpose) {
  for (uint32_t round = 0; round <= 2 * region_count_ + 1; ++round) {
    const uint32_t region = FindRegion(total_bytes, key, purpose, kNoRegion);
    if (region != kNoRegion) return region;
    FLASHRIG_TRY_ASSIGN(const size_t freed, EraseDeadRegions());
    if (freed > 0) continue;
    const uint32_t victim = PickVictim(1);
    if (victim == kNoRegion) break;
    FLASHRIG_TRY(CompactRegion(victim));
  }
  return Status::ResourceExhausted();
}

Result<size_t> TicKvEngine::GarbageCollect() {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY_ASSIGN(const size_t freed, EraseDeadRegions());
  MaybeSaveWear();
  return freed;
}

Result<size_t> TicKvEngine::Compact(uint32_t min_garbage_bytes) {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY_ASSIGN(size_t freed, EraseDeadRegions());
  for (uint32_t round = 0; round < region_count_; ++round) {
    const uint32_t victim = PickVictim(std::max<uint32_t>(min_garbage_bytes, 1));
    if (victim == kNoRegion) break;
    const size_t garbage = GarbageBytes(victim);
    FLASHRIG_TRY(CompactRegion(victim));
    freed += garbage;
    MaybeSaveWear();
  }
  MaybeSaveWear();
  return freed;
}

}  // namespace flashrig::kv
