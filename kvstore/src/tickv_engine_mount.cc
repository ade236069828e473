// TicKvEngine mount and format: one scan over every region builds the index, resolves
// duplicate copies, repairs torn regions and a missing super key.
#include <algorithm>

#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {
namespace {

// Position of `region` in the probe order R, R+1, R-1, R+2, ... from `home`. Skipped
// out-of-range indices do not change the relative order, so this ranks correctly.
uint32_t ProbeRank(uint32_t region, uint32_t home) {
  return region >= home ? 2 * (region - home) - (region > home ? 1 : 0) : 2 * (home - region);
}

}  // namespace

Status TicKvEngine::Format() {
  if (!buffers_ok_) return Status::InvalidArgument();
  return Attach([this]() -> Status {
    index_.Clear();
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
  Status status;
  for (uint32_t r = 0; r < region_count_; ++r) {
    const uint32_t erase_count = regions_[r].erase_count;
    regions_[r] = RegionState{.erase_count = erase_count};
    auto bytes = scratch_.first(region_bytes_);
    FLASHRIG_TRY(flash_.Read(r * region_bytes_, bytes));
    ScanEvent newest{};
    bool has_object = false;
    const ScanSummary summary = ScanRegion(bytes, [&](const ScanEvent& e) {
      if (e.kind == ScanEvent::Kind::kGarbage) return;
      any_object = true;
      has_object = true;
      newest = e;
      if (e.header.valid && status.ok()) status = AddScannedObject(r, e.offset, e.header);
    });
    FLASHRIG_TRY(status);
    if (has_object) FLASHRIG_TRY(RefreshObject(r, newest, bytes));
    regions_[r].torn = summary.torn ? 1 : 0;
    regions_[r].free_offset_bytes = summary.free_offset;
  }
  FLASHRIG_TRY(LoadWear());
  // A torn copy of a live object (an interrupted relocation) is finished in place.
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].torn && regions_[r].live_objects > 0) FLASHRIG_TRY(FinishTornCopy(r));
  }
  // Regions with torn bytes and nothing live: half-erased, torn writes, an interrupted GC.
  // (Regions of only invalidated objects wait for GarbageCollect(), as in TicKV.)
  for (uint32_t r = 0; r < region_count_; ++r) {
    if (regions_[r].torn && regions_[r].live_objects == 0) {
      FLASHRIG_TRY(EraseRegion(r));
      ++counters_.regions_repaired;
    }
  }
  if (index_.Find(format::kSuperKey) == nullptr) {
    // No checked object anywhere: nothing to lose, so this is a blank store (TicKV
    // formats it too). Otherwise the store holds data and only the super key is lost.
    if (!any_object) {
      for (uint32_t r = 0; r < region_count_; ++r) {
        if (regions_[r].free_offset_bytes != 0) FLASHRIG_TRY(EraseRegion(r));
      }
    }
    FLASHRIG_TRY(WriteSuperKey(kNoRegion));
  }
  return Status::Ok();
}

// The newest object of a region may be the write a power cut interrupted. Its bits can
// read correctly now yet be half-programmed, so a later read sees them flip and the CRC
// fail. Programming the same bytes again makes every 0 bit solid; it changes nothing
// (NOR only clears bits, and a bit that reads 1 is left alone), so the image stays
// byte-identical and TicKV-readable. The valid bit is programmed as 1, i.e. left as it
// is: clearing it is the engine's decision, and an object invalidated since stays so.
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
      const uint32_t old_rank = ProbeRank(slot->address / region_bytes_, home);
      const uint32_t new_rank = ProbeRank(region, home);
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

Status TicKvEngine::WriteSuperKey(uint32_t region) {
  // kNoRegion: placed like a TicKV append (home region first).
  if (region == kNoRegion) {
    region = FindRegion(format::kOverheadBytes, format::kSuperKey, Purpose::kSuperKey, kNoRegion);
  }
  if (region == kNoRegion) return Status::ResourceExhausted();
  const uint32_t address = region * region_bytes_ + regions_[region].free_offset_bytes;
  FLASHRIG_TRY(WriteObject(region, format::kSuperKey, 0, {}));
  IndexSlot* slot = index_.Insert(format::kSuperKey);
  if (slot == nullptr) return Status::ResourceExhausted();
  slot->address = address;
  slot->total_bytes = format::kOverheadBytes;
  slot->generation = 0;
  return Status::Ok();
}

}  // namespace flashrig::kv
