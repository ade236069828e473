// ScanRegion: walks the bytes of one region and reports objects, garbage runs and the
// free tail. Shared by the engine's mount and the CLI's dump so both see the same thing.
#pragma once

#include <cstdint>
#include <span>

#include "flashrig/kvstore/object_format.h"

namespace flashrig::kv {

struct ScanEvent {
  enum class Kind : uint8_t {
    kObject,   // A complete object whose checksum matches (live or invalidated).
    kGarbage,  // Bytes that are neither a checked object nor clean free space.
    // A torn write that mount sealed (format::IsSealHeader: dead, key zero, checksum
    // not matching), found where TicKV's walk from offset 0 reaches it. Dead space.
    kSealed,
  };
  Kind kind = Kind::kObject;
  uint32_t offset = 0;    // Within the region.
  uint32_t length = 0;    // Object length, or the length of the garbage run.
  format::Header header;  // kObject and kSealed.
};

struct ScanSummary {
  // First byte of the erased tail: the first byte after the last object or garbage run
  // from which the region reads 0xFF to its end (== region size if there is none).
  uint32_t free_offset = 0;
  // True if some bytes are neither a checked object nor part of the erased tail (a torn
  // write, a half-erase, a foreign or corrupt header).
  bool torn = false;
};

// Calls on_event(const ScanEvent&) for each object, sealed run and garbage run, in address
// order. Objects are walked by their length; where no object parses (torn header or value,
// half-erased bytes, a foreign version) the walk resynchronises byte by byte on objects
// whose checksum matches, so torn bytes never hide later objects. A seal header is
// accepted only on the unbroken walk from offset 0 (as TicKV walks) and only if its
// object ends at or before S - kNoPackBytes, so random bytes inside garbage never pass
// for one.
template <typename OnEvent>
ScanSummary ScanRegion(std::span<const std::byte> region, OnEvent&& on_event) {
  const auto size = static_cast<uint32_t>(region.size());
  uint32_t tail = size;
  while (tail > 0 && region[tail - 1] == format::kErased) --tail;
  ScanSummary summary{.free_offset = size, .torn = false};
  uint32_t garbage_start = 0;
  bool in_garbage = false;
  auto end_garbage = [&](uint32_t at) {
    if (in_garbage) {
      on_event(ScanEvent{.kind = ScanEvent::Kind::kGarbage,
                         .offset = garbage_start,
                         .length = at - garbage_start,
                         .header = {}});
      in_garbage = false;
    }
  };
  uint32_t off = 0;
  while (off < tail) {
    // An object may end in 0xFF bytes, so it can reach into the apparent tail.
    if (auto header = format::ParseObject(region.subspan(off))) {
      end_garbage(off);
      on_event(ScanEvent{.kind = ScanEvent::Kind::kObject,
                         .offset = off,
                         .length = header->total_bytes,
                         .header = *header});
      off += header->total_bytes;
      continue;
    }
    if (!summary.torn && format::IsSealHeader(region.subspan(off))) {
      const format::Header h = format::DecodeHeader(region.subspan(off));
      if (h.total_bytes >= format::kOverheadBytes && h.total_bytes <= format::kMaxObjectBytes &&
          off + h.total_bytes + format::kNoPackBytes <= size) {
        on_event(ScanEvent{
            .kind = ScanEvent::Kind::kSealed, .offset = off, .length = h.total_bytes, .header = h});
        off += h.total_bytes;
        continue;
      }
    }
    if (!in_garbage) {
      in_garbage = true;
      garbage_start = off;
    }
    summary.torn = true;
    ++off;
  }
  end_garbage(off);
  summary.free_offset = off;
  return summary;
}

}  // namespace flashrig::kv
