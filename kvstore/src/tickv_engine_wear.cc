// TicKvEngine wear record: reads the persisted per-region erase counts at mount and
// rewrites them, as an ordinary crash-atomic replacement, every K erases.
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "flashrig/kvstore/wear_record.h"

namespace flashrig::kv {

uint32_t TicKvEngine::UserKeyLimit() const {
  // While a record may still be written, keep its index slot free.
  const bool reserve = wear_fits_ && options_.wear_record && options_.wear_save_every_erases != 0 &&
                       index_.Find(wear::kWearKey) == nullptr;
  return index_.max_entries() - (reserve && index_.max_entries() > 0 ? 1 : 0);
}

Status TicKvEngine::DropWearRecord() {
  // With the record off, one found on flash (written by an engine that had it on) is
  // given up at the first mutating operation: one byte programmed, then it is dead space
  // that GC and compaction reclaim. Its counts stay in RAM (LoadWear).
  if (options_.wear_record || !stale_wear_record_) return Status::Ok();
  IndexSlot* slot = index_.Find(wear::kWearKey);
  if (slot != nullptr) {
    FLASHRIG_TRY(InvalidateAt(slot->address, slot->generation, slot->total_bytes));
    index_.Erase(slot);
  }
  stale_wear_record_ = false;
  return Status::Ok();
}

Status TicKvEngine::LoadWear() {
  const IndexSlot* slot = index_.Find(wear::kWearKey);
  stale_wear_record_ = slot != nullptr && !options_.wear_record;
  if (slot == nullptr) return Status::Ok();
  auto object = scratch_.first(slot->total_bytes);
  FLASHRIG_TRY(flash_.Read(slot->address, object));
  const auto header = format::ParseObject(object);
  // A record that does not decode (other geometry, foreign writer) is ignored; the next
  // save replaces it.
  if (header && header->key == wear::kWearKey) {
    wear::Apply(object.subspan(format::kHeaderBytes, slot->total_bytes - format::kOverheadBytes),
                regions_.first(region_count_));
  }
  return Status::Ok();
}

Status TicKvEngine::SaveWear() {
  const size_t value_bytes = wear::ValueBytes(region_count_);
  const uint32_t total = format::ObjectBytes(value_bytes);
  if (index_.Find(wear::kWearKey) == nullptr && index_.size() >= index_.max_entries()) {
    return Status::ResourceExhausted();
  }
  FLASHRIG_TRY_ASSIGN(const uint32_t region, MakeSpace(total, wear::kWearKey, Purpose::kUpdate));
  // Encoded after MakeSpace, so the counts include the erases it did. The value is built
  // in scratch_ where WriteObject encodes the object (as relocation does).
  const auto value = scratch_.subspan(format::kHeaderBytes, value_bytes);
  wear::Encode(regions_.first(region_count_), value);
  IndexSlot* slot = index_.Find(wear::kWearKey);
  const bool replacing = slot != nullptr;
  const IndexSlot old = replacing ? *slot : IndexSlot{};
  const uint8_t generation = replacing ? (old.generation + 1) % format::kGenerationCount : 0;
  FLASHRIG_TRY(Place(region, wear::kWearKey, generation, value, slot));
  erases_since_wear_save_ = 0;
  ++counters_.wear_saves;
  // Cut here? Two records; mount keeps the newer generation, as for any Set.
  return replacing ? InvalidateAt(old.address, old.generation, old.total_bytes) : Status::Ok();
}

void TicKvEngine::MaybeSaveWear() {
  if (!mounted_ || !wear_fits_ || !options_.wear_record || options_.wear_save_every_erases == 0 ||
      erases_since_wear_save_ < options_.wear_save_every_erases) {
    return;
  }
  // Best effort: the caller's operation has already succeeded and is durable. A failed
  // save (no room, flash error) is retried after the next erase; a flash error has
  // already scheduled the index rebuild.
  SaveWear().IgnoreError();
}

}  // namespace flashrig::kv
