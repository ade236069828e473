// TicKvEngine mount repair: finishes a copy of a live object that a power cut tore (a
// relocation or an update), so an interrupted compaction never strands its spare region.
#include <algorithm>
#include <array>

#include "flashrig/kvstore/crc32.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {
namespace {

// True if programming `want` over `have` yields `want`: NOR only clears bits, so every
// bit `want` keeps at 1 must still be 1. A torn program of `want` always passes.
bool Covers(std::span<const std::byte> have, std::span<const std::byte> want) {
  for (size_t i = 0; i < want.size(); ++i) {
    if ((have[i] & want[i]) != want[i]) return false;
  }
  return true;
}

}  // namespace

Result<bool> TicKvEngine::TornTailMatches(std::span<const std::byte> tail,
                                          const IndexSlot& source) {
  // The bytes a relocation of `source` writes: its header with generation + 1, its value,
  // and the checksum over both. Streamed through a small buffer: scratch_ holds the region.
  const uint8_t generation = (source.generation + 1) % format::kGenerationCount;
  std::array<std::byte, format::kHeaderBytes> header{};
  format::EncodeHeader(source.key, generation, source.total_bytes, header);
  if (!Covers(tail, header)) return false;
  Crc32Cksum crc;
  crc.Update(header);
  const uint32_t value_bytes = source.total_bytes - format::kOverheadBytes;
  std::array<std::byte, 128> chunk{};
  for (uint32_t done = 0; done < value_bytes;) {
    const uint32_t n = std::min<uint32_t>(chunk.size(), value_bytes - done);
    const auto part = std::span(chunk).first(n);
    FLASHRIG_TRY(flash_.Read(source.address + format::kHeaderBytes + done, part));
    if (!Covers(tail.subspan(format::kHeaderBytes + done), part)) return false;
    crc.Update(part);
    done += n;
  }
  const uint32_t sum = crc.Finish();
  std::array<std::byte, format::kChecksumBytes> checksum{};
  for (size_t i = 0; i < checksum.size(); ++i) checksum[i] = static_cast<std::byte>(sum >> (8 * i));
  return Covers(tail.subspan(source.total_bytes - format::kChecksumBytes), checksum);
}

Status TicKvEngine::FinishTornCopy(uint32_t region) {
  // A power cut during a relocation copy leaves a torn object at the end of the target
  // region while the source is still live. Compaction at high utilisation may run without
  // room for a second copy, so leaving the torn bytes as garbage could leave no region
  // that can be compacted. Re-programming the intended bytes over the torn ones is valid
  // NOR (a tear only cleared bits the copy clears too): the copy completes, the source is
  // invalidated, and the victim is left fully invalid for GC, as if no cut had happened.
  auto bytes = scratch_.first(region_bytes_);
  FLASHRIG_TRY(flash_.Read(region * region_bytes_, bytes));
  uint32_t garbage_runs = 0;
  uint32_t tail_start = 0;
  uint32_t last_end = 0;
  bool last_is_garbage = false;
  ScanRegion(bytes, [&](const ScanEvent& e) {
    last_is_garbage = e.kind == ScanEvent::Kind::kGarbage;
    last_end = e.offset + e.length;
    if (last_is_garbage) {
      ++garbage_runs;
      tail_start = e.offset;
    }
  });
  RegionState& r = regions_[region];
  if (!last_is_garbage || last_end != r.free_offset_bytes) return Status::Ok();
  const auto tail = std::span<const std::byte>(bytes).subspan(tail_start);
  const IndexSlot* match = nullptr;
  for (const IndexSlot& slot : index_.slots()) {
    if (!slot.used || slot.key == format::kSuperKey) continue;
    // The copy must cover every torn byte and fit in the region.
    if (tail_start + slot.total_bytes < r.free_offset_bytes ||
        tail_start + slot.total_bytes > region_bytes_) {
      continue;
    }
    FLASHRIG_TRY_ASSIGN(const bool matches, TornTailMatches(tail, slot));
    if (matches) {
      match = &slot;
      break;
    }
  }
  if (match == nullptr) return Status::Ok();  // A torn new value: garbage, reclaimable.
  const IndexSlot old = *match;
  // Write the copy exactly as a relocation would, at the start of the torn bytes.
  auto object = scratch_.first(old.total_bytes);
  FLASHRIG_TRY(flash_.Read(old.address, object));
  const auto value = std::span<const std::byte>(object).subspan(
      format::kHeaderBytes, old.total_bytes - format::kOverheadBytes);
  const uint8_t generation = (old.generation + 1) % format::kGenerationCount;
  r.free_offset_bytes = tail_start;
  FLASHRIG_TRY(WriteObject(region, old.key, generation, value));
  // Check what reached the array before the source is given up.
  FLASHRIG_TRY(flash_.Read(region * region_bytes_ + tail_start, object));
  const auto header = format::ParseObject(object);
  if (!header || header->key != old.key || header->generation != generation) {
    r.live_bytes -= old.total_bytes;  // Leave the bytes as garbage; the source stays.
    --r.live_objects;
    return Status::Ok();
  }
  IndexSlot* slot = index_.Find(old.key);
  slot->address = region * region_bytes_ + tail_start;
  slot->generation = generation;
  r.torn = garbage_runs > 1 ? 1 : 0;
  ++counters_.copies_finished;
  return InvalidateAt(old.address, old.generation, old.total_bytes);
}

}  // namespace flashrig::kv
