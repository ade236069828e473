// TicKvEngine operations: append, set, get, invalidate, and the flash write helpers.
#include "flashrig/kvstore/tickv_engine.h"

#include <algorithm>

#include "flashrig/kvstore/object_format.h"

namespace flashrig::kv {
namespace {

bool IsReservedKey(const HashedKey& key) {
  // TicKV panics on hashes 0 and all-ones; the super key belongs to the store.
  const bool all_zero =
      std::all_of(key.begin(), key.end(), [](std::byte b) { return b == std::byte{0}; });
  const bool all_ones =
      std::all_of(key.begin(), key.end(), [](std::byte b) { return b == std::byte{0xFF}; });
  return all_zero || all_ones || key == format::kSuperKey || key == wear::kWearKey ||
         key == format::kFillerKey;
}

}  // namespace

TicKvEngine::TicKvEngine(driver::Flash& flash, EngineBuffers buffers, EngineOptions options)
    : flash_(flash),
      index_(buffers.index_slots, buffers.max_keys),
      regions_(buffers.regions),
      scratch_(buffers.scratch),
      region_bytes_(flash.geometry().erase_size_bytes),
      region_count_(flash.geometry().sector_count()),
      options_(options) {
  buffers_ok_ = region_count_ > 0 && regions_.size() >= region_count_ &&
                scratch_.size() >= region_bytes_ &&
                buffers.index_slots.size() >= KeyIndex::SlotsFor(buffers.max_keys);
  wear_fits_ = region_count_ <= 0xFFFF && wear::ValueBytes(region_count_) <= max_value_bytes() &&
               format::ObjectBytes(wear::ValueBytes(region_count_)) <= region_bytes_ / 4;
}

Status TicKvEngine::Ready() {
  // After a failed write RAM may disagree with flash: rebuild from flash, retrying on
  // every call until a mount succeeds.
  if (needs_remount_) {
    ++counters_.mounts;
    FLASHRIG_TRY(Attach(Scan()));
  }
  return mounted_ ? Status::Ok() : Status::FailedPrecondition();
}

Status TicKvEngine::CheckWrite(const HashedKey& key, size_t value_bytes) const {
  if (IsReservedKey(key)) return Status::InvalidArgument();
  if (value_bytes > max_value_bytes()) return Status::OutOfRange();
  return Status::Ok();
}

Status TicKvEngine::Place(uint32_t region, const HashedKey& key, uint8_t generation,
                          std::span<const std::byte> value, IndexSlot* slot) {
  // Fillers first: a cut after them leaves dead objects only; a cut after the object
  // leaves it reachable.
  FLASHRIG_TRY(OpenPath(key, region));
  const uint32_t address = region * region_bytes_ + regions_[region].free_offset_bytes;
  const uint32_t total = format::ObjectBytes(value.size());
  FLASHRIG_TRY(WriteObject(region, key, generation, value));
  if (slot == nullptr) slot = index_.Insert(key);
  if (slot == nullptr) return Status::ResourceExhausted();  // Checked by callers first.
  slot->address = address;
  slot->total_bytes = static_cast<uint16_t>(total);
  slot->generation = generation;
  return Status::Ok();
}

Status TicKvEngine::WriteObject(uint32_t region, const HashedKey& key, uint8_t generation,
                                std::span<const std::byte> value) {
  RegionState& r = regions_[region];
  const uint32_t total = format::ObjectBytes(value.size());
  auto object = scratch_.first(total);
  format::EncodeHeader(key, generation, total, object);
  // Relocation hands in a value that already sits in scratch_ at this offset.
  if (value.data() != object.data() + format::kHeaderBytes) {
    std::copy(value.begin(), value.end(), object.begin() + format::kHeaderBytes);
  }
  const uint32_t crc = format::ObjectChecksum(object);
  for (size_t i = 0; i < format::kChecksumBytes; ++i) {
    object[total - format::kChecksumBytes + i] = static_cast<std::byte>(crc >> (8 * i));
  }
  const uint32_t address = region * region_bytes_ + r.free_offset_bytes;
  if (generation != 0 || key == wear::kWearKey) r.flags |= kRegionUpdated;
  r.flags &= ~kRegionFillerOnly;
  if (Status s = flash_.Program(address, object); !s.ok()) {
    Taint();  // Whatever reached the array is found by the rescan.
    return s;
  }
  r.free_offset_bytes += total;
  r.live_bytes += total;
  ++r.live_objects;
  return Status::Ok();
}

Status TicKvEngine::InvalidateAt(uint32_t address, uint8_t generation, uint32_t total_bytes) {
  const std::byte flags = format::FlagsByte(false, generation, total_bytes);
  if (Status s = flash_.Program(address + format::kFlagsOffset, std::span(&flags, 1)); !s.ok()) {
    Taint();
    return s;
  }
  RegionState& r = regions_[address / region_bytes_];
  r.live_bytes -= total_bytes;
  --r.live_objects;
  return Status::Ok();
}

Status TicKvEngine::EraseRegion(uint32_t region) {
  RegionState& r = regions_[region];
  ++r.erase_count;
  ++counters_.erases;
  ++erases_since_wear_save_;
  if (Status s = flash_.Erase(region * region_bytes_, region_bytes_); !s.ok()) {
    Taint();
    return s;
  }
  r.free_offset_bytes = 0;
  r.live_bytes = 0;
  r.live_objects = 0;
  r.torn = 0;
  r.flags = 0;
  return Status::Ok();
}

Status TicKvEngine::Append(const HashedKey& key, std::span<const std::byte> value) {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY(CheckWrite(key, value.size()));
  if (index_.Find(key) != nullptr) return Status::AlreadyExists();
  FLASHRIG_TRY(DropWearRecord());
  if (index_.size() >= UserKeyLimit()) return Status::ResourceExhausted();
  const uint32_t total = format::ObjectBytes(value.size());
  FLASHRIG_TRY_ASSIGN(const uint32_t region, MakeSpace(total, key, Purpose::kAppend));
  FLASHRIG_TRY(Place(region, key, 0, value, nullptr));
  MaybeSaveWear();
  return Status::Ok();
}

Status TicKvEngine::Set(const HashedKey& key, std::span<const std::byte> value) {
  FLASHRIG_TRY(Ready());
  FLASHRIG_TRY(CheckWrite(key, value.size()));
  if (index_.Find(key) == nullptr) return Append(key, value);
  FLASHRIG_TRY(DropWearRecord());
  const uint32_t total = format::ObjectBytes(value.size());
  // Compaction inside MakeSpace may move the old copy, so look it up afterwards.
  FLASHRIG_TRY_ASSIGN(const uint32_t region, MakeSpace(total, key, Purpose::kUpdate));
  IndexSlot* slot = index_.Find(key);
  const IndexSlot old = *slot;
  const uint8_t generation = (old.generation + 1) % format::kGenerationCount;
  FLASHRIG_TRY(Place(region, key, generation, value, slot));
  // lose power here? Both copies are live; mount keeps the newer generation.
  FLASHRIG_TRY(InvalidateAt(old.address, old.generation, old.total_bytes));
  MaybeSaveWear();
  return Status::Ok();
}

Status TicKvEngine::Get(const HashedKey& key, std::span<std::byte> out, size_t* value_bytes) {
  *value_bytes = 0;
  FLASHRIG_TRY(Ready());
  IndexSlot* slot = index_.Find(key);
  if (slot == nullptr) return Status::NotFound();
  auto object = scratch_.first(slot->total_bytes);
  FLASHRIG_TRY(flash_.Read(slot->address, object));
  const auto header = format::ParseObject(object);
  if (!header || header->key != key) return Status::DataLoss();
  if (!header->valid) {
    // Mount read the valid bit as set, now it reads cleared: an invalidate cut by power
    // left the bit half-programmed. Finish that invalidate (programming the bit again
    // makes it a solid 0) so the key stays deleted from now on instead of flickering.
    FLASHRIG_TRY(InvalidateAt(slot->address, slot->generation, slot->total_bytes));
    index_.Erase(slot);
    return Status::NotFound();
  }
  const size_t length = slot->total_bytes - format::kOverheadBytes;
  *value_bytes = length;
  const size_t n = std::min(length, out.size());
  std::copy_n(object.begin() + format::kHeaderBytes, n, out.begin());
  return n < length ? Status::OutOfRange() : Status::Ok();
}

Status TicKvEngine::Invalidate(const HashedKey& key) {
  FLASHRIG_TRY(Ready());
  if (key == format::kSuperKey || key == wear::kWearKey) return Status::InvalidArgument();
  IndexSlot* slot = index_.Find(key);
  if (slot == nullptr) return Status::NotFound();
  if (stale_wear_record_) {
    FLASHRIG_TRY(DropWearRecord());
    slot = index_.Find(key);  // Erasing the record's entry may move others.
  }
  FLASHRIG_TRY(InvalidateAt(slot->address, slot->generation, slot->total_bytes));
  index_.Erase(slot);
  return Status::Ok();
}

bool TicKvEngine::appends_only() const {
  for (uint32_t r = 0; r < region_count_; ++r) {
    if ((regions_[r].flags & kRegionUpdated) != 0) return false;
  }
  return true;
}

EngineStats TicKvEngine::stats() const {
  EngineStats s = counters_;
  s.live_keys = index_.size() - (index_.Find(wear::kWearKey) != nullptr ? 1 : 0);
  s.region_count = region_count_;
  s.region_bytes = region_bytes_;
  for (uint32_t i = 0; i < region_count_; ++i) {
    const RegionState& r = regions_[i];
    s.live_bytes += r.live_bytes;
    s.garbage_bytes += GarbageBytes(i);
    s.free_bytes += region_bytes_ - r.free_offset_bytes;
    if (r.free_offset_bytes == 0) ++s.empty_regions;
    if (r.torn) ++s.torn_regions;
  }
  return s;
}

}  // namespace flashrig::kv
