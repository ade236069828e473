// TicKvEngine mount repair of torn regions: finishes a copy of a live object that a power
// cut tore (a relocation), so an interrupted compaction never strands its spare region;
// seals any other torn tail behind live objects so TicKV's walk passes it; empties
// regions whose garbage cannot be sealed; erases torn regions with nothing live.
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

// Reads of torn bytes ANDed together: a cell a cut left weak reads 0 or 1 at random, so a
// bit counts as 1 only if it read 1 every time (8 reads miss a weak bit 1 time in 256).
constexpr int kTornReads = 8;

}  // namespace

Status TicKvEngine::ReadStable(uint32_t address, std::span<std::byte> bytes) {
  FLASHRIG_TRY(flash_.Read(address, bytes));
  std::array<std::byte, 128> again{};
  for (int read = 1; read < kTornReads; ++read) {
    for (size_t done = 0; done < bytes.size(); done += again.size()) {
      const auto part = std::span(again).first(std::min(again.size(), bytes.size() - done));
      FLASHRIG_TRY(flash_.Read(address + static_cast<uint32_t>(done), part));
      for (size_t i = 0; i < part.size(); ++i) bytes[done + i] &= part[i];
    }
  }
  return Status::Ok();
}

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
  // The torn bytes are read as ReadStable does: a cell the cut left weak must not pass for
  // a 1 the copy needs (a torn Set of another value can look like a relocation copy when
  // cut early, and its weak cells would make the finished copy fail its checksum later).
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
  FLASHRIG_TRY(ReadStable(region * region_bytes_ + tail_start,
                          bytes.subspan(tail_start, r.free_offset_bytes - tail_start)));
  const auto tail = std::span<const std::byte>(bytes).subspan(tail_start);
  const IndexSlot* match = nullptr;
  for (const IndexSlot& slot : index_.slots()) {
    if (!slot.used || slot.key == format::kSuperKey) continue;
    // The copy must cover every torn byte and fit in the region.
    if (tail_start + slot.total_bytes < r.free_offset_bytes ||
        tail_start + slot.total_bytes + format::kNoPackBytes > region_bytes_) {
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

Result<bool> TicKvEngine::SealTornTail(uint32_t region) {
  // The torn run [g0, g1) ends at the erased tail. Program a seal header at g0 (valid 0,
  // key zero, a length L covering the run) so TicKV's walk skips it as a dead object.
  // NOR only clears bits, so L's bits must be set in the bytes there: the smallest such
  // L >= max(15, g1 - g0) ending at or before S - 12. The torn object's own length always
  // qualifies (a tear only cleared bits it clears), so a torn write of ours is sealable.
  auto bytes = scratch_.first(region_bytes_);
  FLASHRIG_TRY(flash_.Read(region * region_bytes_, bytes));
  uint32_t runs = 0, g0 = 0, g1 = 0;
  bool last_is_garbage = false;
  ScanRegion(bytes, [&](const ScanEvent& e) {
    last_is_garbage = e.kind == ScanEvent::Kind::kGarbage;
    if (last_is_garbage) {
      ++runs;
      g0 = e.offset;
      g1 = e.offset + e.length;
    }
  });
  if (runs != 1 || !last_is_garbage || g1 != regions_[region].free_offset_bytes) return false;
  if (g0 + format::kHeaderBytes > region_bytes_) return false;
  // A weak bit must not end up as a 1 of the seal's length (ReadStable).
  FLASHRIG_TRY(ReadStable(region * region_bytes_ + g0, bytes.subspan(g0, format::kHeaderBytes)));
  const auto have = std::span<const std::byte>(bytes).subspan(g0, format::kHeaderBytes);
  std::array<std::byte, format::kHeaderBytes> seal{};
  for (uint32_t len = std::max<uint32_t>(format::kOverheadBytes, g1 - g0);
       len <= format::kMaxObjectBytes && g0 + len + format::kNoPackBytes <= region_bytes_; ++len) {
    format::EncodeSealHeader(len, seal);
    if (!Covers(have, seal)) continue;
    RegionState& r = regions_[region];
    if (Status s = flash_.Program(region * region_bytes_ + g0, seal); !s.ok()) {
      Taint();
      return s;
    }
    r.free_offset_bytes = g0 + len;
    r.torn = 0;
    ++counters_.tails_sealed;
    return true;
  }
  return false;
}

Status TicKvEngine::RepairTornRegion(uint32_t region) {
  if (regions_[region].live_objects == 0) {
    ++counters_.regions_repaired;
    return EraseRegion(region);  // Fillers for probe paths come after the whole repair.
  }
  FLASHRIG_TRY(FinishTornCopy(region));
  if (!regions_[region].torn) return Status::Ok();
  FLASHRIG_TRY_ASSIGN(const bool sealed, SealTornTail(region));
  if (sealed) return Status::Ok();
  // Garbage TicKV's walk cannot pass and a seal cannot cover (in the middle of the
  // objects, or not ours): move the live objects out and erase the region. If they do
  // not fit elsewhere the region stays as it is (still readable by this engine).
  if (!CanRelocate(region, false)) return Status::Ok();
  const Status s = CompactRegion(region);
  if (s == Status::ResourceExhausted()) return Status::Ok();
  FLASHRIG_TRY(s);
  ++counters_.regions_evacuated;
  return Status::Ok();
}

}  // namespace flashrig::kv
