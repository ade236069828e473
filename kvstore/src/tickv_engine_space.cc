// TicKvEngine space management: placement (TicKV probe order for appends, best fit for
// updates and relocation), TicKV garbage collection and crash-safe compaction.
#include <algorithm>
#include <array>
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
  // Our own writes leave one spare region so compaction can always make progress. While
  // the store is TicKV-pure, appends place exactly as TicKV, the spare included: only
  // TicKV's operations ran, so there is no relocation to keep room for.
  const bool keep_spare =
      (purpose == Purpose::kUpdate || (purpose == Purpose::kAppend && !appends_only())) &&
      SpareRegions() <= kReservedSpares;
  if (purpose == Purpose::kUpdate || purpose == Purpose::kRelocate) {
    return FindBestFit(total_bytes, key, exclude, keep_spare);
  }
  // TicKV: R, R+1, R-1, R+2, R-2, ... skipping indices outside [0, N). Every region passed
  // is non-empty (an empty one fits any object) and, by the no-pack rule, passable; a
  // skipped spare gets a filler (Place). A region TicKV's lookup cannot pass ends the
  // search: a key placed beyond it would be lost to TicKV.
  const auto home = static_cast<int64_t>(format::HomeRegion(key, region_count_));
  for (int64_t step = 0; step < 2 * int64_t{region_count_}; ++step) {
    const int64_t at = step == 0 ? home : (step % 2 ? home + (step + 1) / 2 : home - step / 2);
    if (at < 0 || at >= region_count_) continue;
    const auto r = static_cast<uint32_t>(at);
    if (r != exclude && Fits(r, total_bytes) && !(keep_spare && IsSpare(r))) return r;
    if (Blocks(r)) break;
  }
  return kNoRegion;
}

uint32_t TicKvEngine::FindBestFit(uint32_t total_bytes, const HashedKey& key, uint32_t exclude,
                                  bool keep_spare) const {
  // Best fit (least room left over) packs variable-size objects tightly; ties go to the
  // least-erased region to spread wear. Targets whose probe path crosses no empty region
  // come first: any other needs a filler per empty region crossed (Place), and in a
  // sparse store that would scatter fillers. Only other writers' images have regions
  // TicKV's lookup cannot pass, so the reachability test runs only when one exists.
  const bool check_reach = AnyBlocking();
  const uint32_t home = format::HomeRegion(key, region_count_);
  // The empty regions nearest to home on each side: a path [lo, hi] (which always holds
  // home) crosses an empty region iff it reaches one of them.
  int64_t empty_below = -1, empty_above = region_count_;
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].free_offset_bytes != 0 || r == exclude) continue;
    if (r <= home) empty_below = r;
    if (r >= home && empty_above == region_count_) empty_above = r;
  }
  auto needs_filler = [&](uint32_t r) {
    uint32_t lo = 0, hi = 0;
    if (!format::ProbePathBefore(home, r, region_count_, &lo, &hi)) return false;
    return empty_below >= int64_t{lo} || empty_above <= int64_t{hi};
  };
  uint32_t best = kNoRegion;
  uint32_t best_left = 0;
  bool best_fills = false;
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (r == exclude || !Fits(r, total_bytes) || (keep_spare && IsSpare(r))) continue;
    if (check_reach && !Reachable(key, r, exclude)) continue;
    const uint32_t left = region_bytes_ - regions_[r].free_offset_bytes - total_bytes;
    const bool fills = needs_filler(r);
    const bool better = best == kNoRegion || (fills != best_fills ? !fills
                                              : left != best_left ? left < best_left
                                                                  : regions_[r].erase_count <
                                                                        regions_[best].erase_count);
    if (better) {
      best = r;
      best_left = left;
      best_fills = fills;
    }
  }
  return best;
}

Result<size_t> TicKvEngine::EraseDeadRegions() {
  auto dead = [&](const RegionState& rs) {
    return rs.free_offset_bytes != 0 && rs.live_objects == 0 && (rs.flags & kRegionFillerOnly) == 0;
  };
  if (std::none_of(regions_.begin(), regions_.begin() + region_count_, dead)) return size_t{0};
  // Live keys do not move here, so one marking of the probe paths serves every region.
  MarkLivePaths();
  size_t freed = 0;
  for (uint32_t r = 0; r < region_count_; ++r) {
    RegionState& rs = regions_[r];
    if (!dead(rs)) continue;
    const bool on_path = (rs.flags & kRegionOnPath) != 0;
    // A filler alone is left (an erase to gain 15 bytes; TicKV never meets one), and so is
    // one dead 15-byte object on a live path: erasing it would only write a filler back,
    // and TicKV, which would erase it, then stops its lookup there.
    if (on_path && !rs.torn && rs.free_offset_bytes == format::kOverheadBytes) continue;
    FLASHRIG_TRY(EraseRegion(r));
    freed += region_bytes_;
    if (on_path) FLASHRIG_TRY(WriteFiller(r));
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
  const uint32_t need = moving + format::kNoPackBytes + (with_margin ? largest : 0);
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (r != victim && IsSpare(r) && !regions_[r].torn &&
        region_bytes_ - regions_[r].free_offset_bytes >= need) {
      return true;
    }
  }
  return SimulateRelocation(victim, largest, with_margin);
}

bool TicKvEngine::SimulateRelocation(uint32_t victim, uint32_t largest, bool with_margin) const {
  // Replays the placement (fullest region that fits, so big free tails stay whole), plus
  // the spare copy, on simulated free offsets kept in scratch_ (unused between operations).
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
      if (free_offset + total_bytes + format::kNoPackBytes > region_bytes_) continue;
      if (best == kNoRegion || free_offset > load(best)) best = r;
    }
    if (best == kNoRegion) return false;
    store(best, load(best) + total_bytes);
    return true;
  };
  for (uint32_t r = 0; r < region_count_; ++r) {
    store(r, r == victim || regions_[r].torn ? region_bytes_ : regions_[r].free_offset_bytes);
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
      // A spare holds at most a filler: compacting it would only write the filler back.
      if (IsSpare(r)) continue;
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
  // Whether the victim lies on a live key's probe path once its objects moved (then it
  // gets a filler after the erase), found in this one pass over the index.
  bool on_path = false;
  for (const IndexSlot& entry : index_.slots()) {
    if (!entry.used) continue;
    if (entry.address / region_bytes_ != victim) {
      on_path = on_path || OnPathOf(entry, victim);
      continue;
    }
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
    const IndexSlot old = entry;
    // `value` points into scratch_ at the offset WriteObject encodes it to (fillers
    // written by Place use their own buffer).
    FLASHRIG_TRY(Place(target, old.key, generation, value, index_.Find(old.key)));
    FLASHRIG_TRY(InvalidateAt(old.address, old.generation, old.total_bytes));
    on_path = on_path || OnPathOf(entry, victim);  // `entry` is the moved key's slot.
    ++counters_.relocated_objects;
    counters_.relocated_bytes += old.total_bytes;
  }
  // lose power during the erase? Everything left in the victim is invalid (or the super
  // key, which mount rewrites), so a torn or skipped erase loses nothing. A cut before
  // the filler leaves an empty region on a live path: mount writes the filler.
  ++counters_.compactions;
  FLASHRIG_TRY(EraseRegion(victim));
  if (!had_super_key) return on_path ? WriteFiller(victim) : Status::Ok();
  // Back into the same region: TicKV finds it there, and the region stays spare.
  index_.Erase(index_.Find(format::kSuperKey));
  return WriteSuperKey(victim);
}

Status TicKvEngine::RecreateSpare() {
  // Appends to a TicKV-pure store may have used the last spare region; our own writes
  // need one, so that compaction can always run. Rounds of GC and compaction until a
  // spare exists or nothing can move.
  for (uint32_t round = 0; round < region_count_ && SpareRegions() == 0; ++round) {
    FLASHRIG_TRY_ASSIGN(const size_t freed, EraseDeadRegions());
    if (freed > 0) continue;
    const uint32_t victim = PickVictim(1);
    if (victim == kNoRegion) break;
    FLASHRIG_TRY(CompactRegion(victim));
  }
  return Status::Ok();
}

Result<uint32_t> TicKvEngine::MakeSpace(uint32_t total_bytes, const HashedKey& key,
                                        Purpose purpose) {
  if (purpose == Purpose::kUpdate && SpareRegions() == 0) FLASHRIG_TRY(RecreateSpare());
  for (uint32_t round = 0; round <= 2 * region_count_ + 1; ++round) {
    const uint32_t region = FindRegion(total_bytes, key, purpose, kNoRegion);
    if (region != kNoRegion) return region;
    FLASHRIG_TRY_ASSIGN(const size_t freed, EraseDeadRegions());
    if (freed > 0) continue;
    // A region TicKV cannot pass on the key's probe path (another writer's packed
    // region) is emptied first: that is what makes the regions beyond it usable.
    const uint32_t blocker = FirstBlocker(key);
    if (blocker != kNoRegion && !regions_[blocker].torn && CanRelocate(blocker, false)) {
      FLASHRIG_TRY(CompactRegion(blocker));
      continue;
    }
    const uint32_t victim = PickVictim(1);
    if (victim == kNoRegion) break;
    FLASHRIG_TRY(CompactRegion(victim));
  }
  return Status::ResourceExhausted();
}

Result<size_t> TicKvEngine::UnpackRegions() {
  // Regions whose objects end within 11 bytes of their end (images of other writers):
  // TicKV's lookup stops there, so relocate their live objects and erase them.
  size_t freed = 0;
  for (uint32_t r = 0; r < region_count_; ++r) {
    const RegionState& rs = regions_[r];
    if (rs.torn || rs.live_objects == 0 || !Blocks(r) || !CanRelocate(r, false)) continue;
    const size_t garbage = GarbageBytes(r);
    const Status s = CompactRegion(r);
    if (s == Status::ResourceExhausted()) continue;  // No reachable target: left as is.
    FLASHRIG_TRY(s);
    freed += garbage;
  }
  return freed;
}

Result<size_t> TicKvEngine::GarbageCollect() {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY(DropWearRecord());
  FLASHRIG_TRY_ASSIGN(const size_t freed, EraseDeadRegions());
  MaybeSaveWear();
  return freed;
}

Result<size_t> TicKvEngine::Compact(uint32_t min_garbage_bytes) {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY(DropWearRecord());
  FLASHRIG_TRY_ASSIGN(size_t freed, EraseDeadRegions());
  FLASHRIG_TRY_ASSIGN(const size_t unpacked, UnpackRegions());
  freed += unpacked;
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
