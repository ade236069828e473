// TicKvEngine probe paths: which regions TicKV's lookup of a key reads before the region
// that holds it, fillers that keep those regions passable, and reachability of a target.
// TicKV's lookup stops at an empty region, at one whose objects end within 11 bytes of its
// end and at unparseable bytes; the rules here keep every live key clear of all three.
#include <array>

#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"

namespace flashrig::kv {

bool TicKvEngine::NeedsPath(const IndexSlot& slot) const {
  // A wear record kept with the option off is given up at the next write: its path is
  // not worth fillers. Every other live object must stay reachable for TicKV.
  return slot.used && (options_.wear_record || slot.key != wear::kWearKey);
}

bool TicKvEngine::OnPathOf(const IndexSlot& slot, uint32_t region) const {
  uint32_t lo = 0, hi = 0;
  return NeedsPath(slot) &&
         format::ProbePathBefore(format::HomeRegion(slot.key, region_count_),
                                 slot.address / region_bytes_, region_count_, &lo, &hi) &&
         lo <= region && region <= hi;
}

void TicKvEngine::MarkLivePaths() {
  // One pass over the index; each key marks its interval (O(keys + sum of distances)).
  for (uint32_t r = 0; r < region_count_; ++r) regions_[r].flags &= ~kRegionOnPath;
  for (const IndexSlot& s : index_.slots()) {
    if (!NeedsPath(s)) continue;
    uint32_t lo = 0, hi = 0;
    if (!format::ProbePathBefore(format::HomeRegion(s.key, region_count_),
                                 s.address / region_bytes_, region_count_, &lo, &hi)) {
      continue;
    }
    for (uint32_t r = lo; r <= hi; ++r) regions_[r].flags |= kRegionOnPath;
  }
}

Status TicKvEngine::WriteFiller(uint32_t region) {
  // One program of the complete, already invalid object: a cut leaves either nothing, a
  // torn dead object (sealed or erased at mount) or the filler, never a live phantom key.
  std::array<std::byte, format::kOverheadBytes> object{};
  format::EncodeFiller(object);
  RegionState& r = regions_[region];
  if (Status s = flash_.Program(region * region_bytes_ + r.free_offset_bytes, object); !s.ok()) {
    Taint();
    return s;
  }
  if (r.free_offset_bytes == 0) r.flags |= kRegionFillerOnly;
  r.free_offset_bytes += format::kOverheadBytes;
  ++counters_.fillers_written;
  return Status::Ok();
}

Status TicKvEngine::OpenPath(const HashedKey& key, uint32_t target) {
  uint32_t lo = 0, hi = 0;
  if (!format::ProbePathBefore(format::HomeRegion(key, region_count_), target, region_count_, &lo,
                               &hi)) {
    return Status::Ok();
  }
  for (uint32_t r = lo; r <= hi; ++r) {
    if (regions_[r].free_offset_bytes == 0) FLASHRIG_TRY(WriteFiller(r));
  }
  return Status::Ok();
}

bool TicKvEngine::Blocks(uint32_t region) const {
  const RegionState& r = regions_[region];
  return r.torn || r.free_offset_bytes + format::kNoPackBytes > region_bytes_;
}

bool TicKvEngine::AnyBlocking() const {
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (Blocks(r)) return true;
  }
  return false;
}

bool TicKvEngine::Reachable(const HashedKey& key, uint32_t target, uint32_t ignore) const {
  uint32_t lo = 0, hi = 0;
  if (!format::ProbePathBefore(format::HomeRegion(key, region_count_), target, region_count_, &lo,
                               &hi)) {
    return true;
  }
  for (uint32_t r = lo; r <= hi; ++r) {
    if (r != ignore && Blocks(r)) return false;
  }
  return true;
}

uint32_t TicKvEngine::FirstBlocker(const HashedKey& key) const {
  const auto home = static_cast<int64_t>(format::HomeRegion(key, region_count_));
  for (int64_t step = 0; step < 2 * int64_t{region_count_}; ++step) {
    const int64_t r = step == 0 ? home : (step % 2 ? home + (step + 1) / 2 : home - step / 2);
    if (r < 0 || r >= region_count_) continue;
    if (Blocks(static_cast<uint32_t>(r))) return static_cast<uint32_t>(r);
  }
  return kNoRegion;
}

}  // namespace flashrig::kv
