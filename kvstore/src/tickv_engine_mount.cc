// TicKvEngine mount and format: one scan over every region builds the index, resolves
// duplicate copies, repairs torn regions, a missing super key and empty regions on live
// probe paths. Nothing else is programmed (unless EngineOptions::refresh_on_mount).
#include <algorithm>

#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"

namespace flashrig::kv {

Status TicKvEngine::Format() {
  if (!buffers_ok_) return Status::InvalidArgument();
  return Attach([this]() -> Status {
    index_.Clear();
    stale_wear_record_ = false;
    for (uint32_t r = 0; r < region_count_; ++r) FLASHRIG_TRY(EraseRegion(r));
    // Format's one erase per region is not worth a record (and keeps the image TicKV's).
    erases_since_wear_save_ = 0;
    return WriteSuperKey(kNoRegion);
  }());
}

Status TicKvEngine::Mount() {
  if (!buffers_ok_) return Status::InvalidArgument();
  mounted_ = false;
  ++counters_.mounts;
  FLASHRIG_TRY(Attach(Scan()));
  MaybeSaveWear();
  return Status::Ok();
}

Status TicKvEngine::Attach(Status result) {
  // A store that was attached stays attached after a failed rebuild (the next operation
  // retries); one that never mounted reports kFailedPrecondition.
  mounted_ = result.ok();
  attached_ = attached_ || mounted_;
  needs_remount_ = !mounted_ && attached_;
  return result;
}

Status TicKvEngine::Scan() {
  index_.Clear();
  bool any_object = false;
  for (uint32_t r = 0; r < region_count_; ++r) FLASHRIG_TRY(ScanOneRegion(r, &any_object));
  FLASHRIG_TRY(LoadWear());
  return RepairAfterScan(any_object);
}

Status TicKvEngine::ScanOneRegion(uint32_t region, bool* any_object) {
  const uint32_t erase_count = regions_[region].erase_count;
  regions_[region] = RegionState{.erase_count = erase_count};
  auto bytes = scratch_.first(region_bytes_);
  FLASHRIG_TRY(flash_.Read(region * region_bytes_, bytes));
  ScanEvent newest{};
  bool has_object = false;
  bool updated = false;
  Status status;
  const ScanSummary summary = ScanRegion(bytes, [&](const ScanEvent& e) {
    if (e.kind == ScanEvent::Kind::kGarbage) return;
    *any_object = true;
    if (e.kind != ScanEvent::Kind::kObject) return;
    updated = updated || e.header.generation != 0 || e.header.key == wear::kWearKey;
    has_object = true;
    newest = e;
    if (e.header.valid && status.ok()) status = AddScannedObject(region, e.offset, e.header);
  });
  FLASHRIG_TRY(status);
  if (has_object && options_.refresh_on_mount) {
    FLASHRIG_TRY(RefreshObject(region, newest, bytes));
  }
  RegionState& r = regions_[region];
  r.torn = summary.torn ? 1 : 0;
  r.free_offset_bytes = summary.free_offset;
  if (updated) r.flags |= kRegionUpdated;
  if (!summary.torn && summary.free_offset == format::kOverheadBytes && has_object &&
      newest.header.key == format::kFillerKey) {
    r.flags |= kRegionFillerOnly;
  }
  return Status::Ok();
}

Status TicKvEngine::RepairAfterScan(bool any_object) {
  // A torn copy of a live object (an interrupted relocation) is finished in place; any
  // other torn bytes behind live objects are sealed or the region is emptied; regions
  // with torn bytes and nothing live (half-erased, torn writes, an interrupted GC) are
  // erased. (Regions of only invalidated objects wait for GarbageCollect(), as in TicKV.)
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].torn) FLASHRIG_TRY(RepairTornRegion(r));
  }
  if (index_.Find(format::kSuperKey) == nullptr) {
    // No checked object anywhere: nothing to lose, so this is a blank store (TicKV
    // formats it too). Otherwise the store holds data and only the super key is lost.
    if (!any_object) {
      for (uint32_t r = 0; r < region_count_; ++r) {
        if (regions_[r].free_offset_bytes != 0) FLASHRIG_TRY(EraseRegion(r));
      }
    }
    FLASHRIG_TRY(RewriteSuperKey());
  }
  // An empty region on a live key's probe path: a cut between an erase and its filler,
  // or another writer's GC. Without a filler TicKV's lookup stops there.
  MarkLivePaths();
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].free_offset_bytes == 0 && (regions_[r].flags & kRegionOnPath) != 0) {
      FLASHRIG_TRY(WriteFiller(r));
    }
  }
  return Status::Ok();
}

// The newest object of a region may be the write a power cut interrupted. Its bits can
// read correctly now yet be half-programmed, so a later read sees them flip and the CRC
// fail. Programming the same bytes again makes every 0 bit solid; it changes nothing
// (NOR only clears bits, and a bit that reads 1 is left alone), so the image keeps its
// bytes. The valid bit is programmed as 1, i.e. left as it is: clearing it is the
// engine's decision, and an object invalidated since stays so. Only with
// EngineOptions::refresh_on_mount (real chips; see FORMAT.md for its cost).
Status TicKvEngine::RefreshObject(uint32_t region, const ScanEvent& object,
                                  std::span<std::byte> region_bytes) {
  const auto bytes = region_bytes.subspan(object.offset, object.length);
  bytes[format::kFlagsOffset] |= std::byte{format::kValidBit};
  return flash_.Program(region * region_bytes_ + object.offset, bytes);
}

Status TicKvEngine::AddScannedObject(uint32_t region, uint32_t offset, const format::Header& h) {
  const uint32_t address = region * region_bytes_ + offset;
  IndexSlot* slot = index_.Find(h.key);
  if (slot != nullptr) {
    // Two live copies: an interrupted Set or relocation. Keep the newer generation; on a
    // tie keep the copy TicKV would read (earlier in probe order, then lower address).
    int newer = format::CompareGenerations(slot->generation, h.generation);
    if (newer == 0) {
      const uint32_t home = format::HomeRegion(h.key, region_count_);
      const uint32_t old_rank = format::ProbeRank(slot->address / region_bytes_, home);
      const uint32_t new_rank = format::ProbeRank(region, home);
      newer = new_rank < old_rank ? 1 : -1;
    }
    ++counters_.duplicates_resolved;
    if (newer < 0) {
      // The scanned copy loses; it was never counted as live.
      const std::byte flags = format::FlagsByte(false, h.generation, h.total_bytes);
      return flash_.Program(address + format::kFlagsOffset, std::span(&flags, 1));
    }
    FLASHRIG_TRY(InvalidateAt(slot->address, slot->generation, slot->total_bytes));
  } else {
    slot = index_.Insert(h.key);
    if (slot == nullptr) return Status::ResourceExhausted();
  }
  slot->address = address;
  slot->total_bytes = static_cast<uint16_t>(h.total_bytes);
  slot->generation = h.generation;
  regions_[region].live_bytes += h.total_bytes;
  ++regions_[region].live_objects;
  return Status::Ok();
}

Status TicKvEngine::RewriteSuperKey() {
  const Status s = WriteSuperKey(kNoRegion);
  if (s != Status::ResourceExhausted() || index_.size() >= index_.max_entries()) return s;
  // TicKV's probe order for the super key ends at a region mount could not repair (torn
  // bytes it could neither seal nor move away from; a cut erase of the super key's region
  // then leaves no place on that path). Any region with room keeps the store mountable;
  // refusing to mount would make every stored key unreadable. (Found by kv_fuzz.)
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (Fits(r, format::kOverheadBytes)) return WriteSuperKey(r);
  }
  return s;
}

Status TicKvEngine::WriteSuperKey(uint32_t region) {
  // kNoRegion: placed like a TicKV append (home region first).
  if (region == kNoRegion) {
    region = FindRegion(format::kOverheadBytes, format::kSuperKey, Purpose::kSuperKey, kNoRegion);
  }
  if (region == kNoRegion) return Status::ResourceExhausted();
  if (index_.size() >= index_.max_entries()) return Status::ResourceExhausted();
  return Place(region, format::kSuperKey, 0, {}, nullptr);
}

}  // namespace flashrig::kv
