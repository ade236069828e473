// TicKvEngine: a synchronous key-value engine that reads and writes the TicKV version-1
// on-flash format over any Flash, with a RAM index, crash-atomic updates and compaction.
// The split-phase KvSystem (tickv_kv_system.h) and the blocking KvStore sit on top.
//
//   KvSystem (split-phase) / KvStore (blocking)
//        |
//   TicKvEngine  -- KeyIndex (RAM), RegionState[] (RAM), ScanRegion (mount)
//        |
//   driver::Flash (RamFlash, SpiNorFlash, decorators)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/key_index.h"
#include "flashrig/kvstore/object_format.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/wear_record.h"

namespace flashrig::kv {

struct ScanEvent;

struct EngineOptions {
  // Keep per-region erase counts on flash in the wear record (docs/FORMAT.md "Wear"), so
  // wear levelling survives power-ups. Off by default: the record is an object TicKV
  // does not write, so with it on the image is no longer TicKV's own. Off, a record found
  // at mount still raises the RAM counts, stays hidden, and is invalidated by the next
  // mutating operation (then reclaimed like any dead object).
  bool wear_record = false;
  // With wear_record: rewrite the record at the end of the first operation after which
  // this many erases happened since the last rewrite. After a power cut the recorded
  // counts miss at most K - 1 erases plus those of the operation in flight. 0 = never.
  uint32_t wear_save_every_erases = 16;
  // Program the newest object of every region again at mount, with the bytes just read
  // (FORMAT.md "Mount"). On a real chip a program cut by power can leave cells that read
  // right once and flip later; re-programming makes them solid. Costs one program of up to
  // one object per region per mount. Off by default: RAM flash and image files have no
  // weak cells, and then a mount programs nothing unless it repairs something.
  bool refresh_on_mount = false;
};

struct EngineStats {
  uint32_t live_keys = 0;  // Super key included, wear record excluded.
  uint32_t region_count = 0;
  uint32_t region_bytes = 0;
  uint64_t live_bytes = 0;     // Bytes of live objects.
  uint64_t free_bytes = 0;     // Erased tail bytes in regions that accept appends.
  uint64_t garbage_bytes = 0;  // Invalidated objects, torn data: reclaimable.
  uint32_t empty_regions = 0;
  uint32_t torn_regions = 0;  // Regions holding torn / unparseable bytes.
  // Since construction:
  uint64_t mounts = 0;
  uint64_t erases = 0;
  uint64_t compactions = 0;  // Regions emptied by relocating live objects.
  uint64_t relocated_objects = 0;
  uint64_t relocated_bytes = 0;
  uint64_t duplicates_resolved = 0;  // Stale copies invalidated at mount.
  uint64_t regions_repaired = 0;     // Half-erased / torn regions erased at mount.
  uint64_t copies_finished = 0;      // Torn copies of live objects completed at mount.
  uint64_t wear_saves = 0;           // Wear records written.
  uint64_t fillers_written = 0;      // Fillers keeping an erased region on a probe path.
  uint64_t tails_sealed = 0;         // Torn tails sealed at mount.
  uint64_t regions_evacuated = 0;    // Regions with unsealable garbage emptied at mount.
};

// Not thread-safe; one caller at a time. No exceptions, no heap, no OS calls: all state
// lives in the EngineBuffers given at construction.
//
// Error codes shared by every operation below:
//   kFailedPrecondition  no store mounted (Mount()/Format() never succeeded)
//   kUnavailable, kDataLoss, kDeadlineExceeded, kPermissionDenied, ...  a flash error.
//     After a failed mutating flash call the engine rebuilds its index from flash at the
//     start of the next operation, so RAM never disagrees with what reached the flash.
class TicKvEngine {
 public:
  // REQUIRES: flash.geometry().IsValid(); buffers sized per engine_storage.h for this
  // geometry (checked by Mount/Format, which return kInvalidArgument otherwise). Keeps
  // references to `flash` and the buffers for its lifetime. Touches no flash.
  TicKvEngine(driver::Flash& flash, EngineBuffers buffers, EngineOptions options = {});
  TicKvEngine(const TicKvEngine&) = delete;
  TicKvEngine& operator=(const TicKvEngine&) = delete;

  // Scans every region once and builds the index. A flash with no checked object at all
  // (blank, or garbage only) is formatted: garbage regions erased, super key written. A
  // flash holding objects is never formatted. Mount programs nothing unless it repairs
  // something it found (or EngineOptions::refresh_on_mount): a missing or corrupt super
  // key is written again, stale duplicate copies are invalidated, a torn copy of a live
  // object is finished, a torn tail behind live objects is sealed (or the region
  // emptied), regions with garbage and no live object are erased, and empty regions on a
  // live key's probe path get a filler (FORMAT.md "Mount"). Erase counts are raised to
  // those of a wear record found on flash.
  //   kOk | kInvalidArgument: buffers too small for the geometry | kResourceExhausted:
  //   more live keys than max_keys | flash errors.
  Status Mount();
  // Erases every region and writes the super key. Destroys all data.
  Status Format();
  // True once Mount()/Format() succeeded, also while a rebuild after a flash error is
  // pending (operations then retry the rebuild and report the flash error if it fails).
  bool mounted() const { return mounted_ || needs_remount_; }

  // Stores a new key: TicKV's append, the first region in probe order where the object
  // ends at or before S - 12 (FORMAT.md "Placement").
  //   kOk | kAlreadyExists: the key is live | kOutOfRange: value longer than
  //   max_value_bytes() | kInvalidArgument: reserved key (super key, wear record key,
  //   filler key, all-zero, all-ones) | kResourceExhausted: no space even after
  //   compaction, or index full (with wear_record on, the record takes one slot).
  Status Append(const HashedKey& key, std::span<const std::byte> value);

  // Stores `value` under `key`, replacing a live value crash-atomically: the new copy
  // (generation + 1) is written completely before the old one is invalidated, so after a
  // power cut the key reads the old or the new value, never neither and never both. If
  // there is no space the old value stays. Codes as Append, without kAlreadyExists.
  Status Set(const HashedKey& key, std::span<const std::byte> value);

  // Reads the value of `key` into `out`; *value_bytes gets the full value length. Reads
  // exactly the object's bytes and checks its checksum.
  //   kOk | kNotFound | kOutOfRange: value longer than out (the prefix is copied) |
  //   kDataLoss: the object no longer matches its checksum.
  Status Get(const HashedKey& key, std::span<std::byte> out, size_t* value_bytes);

  // Marks the live object of `key` invalid: one byte programmed, one bit cleared.
  //   kOk | kNotFound | kInvalidArgument: the super key or the wear record key.
  Status Invalidate(const HashedKey& key);

  // TicKV garbage collection (KVSystem garbage_collect): erases every region that holds
  // objects, none of them live (and torn regions with nothing live). An erased region on
  // a live key's probe path gets a filler; one holding nothing but a 15-byte dead object
  // on such a path is left alone (erasing it gains nothing). Never relocates anything.
  // Returns the bytes freed (erased regions x size).
  Result<size_t> GarbageCollect();

  // Compaction: GarbageCollect(), then every region whose objects end within 11 bytes of
  // its end (packed, only in images of other writers) is emptied so TicKV's lookup can
  // pass it, then every region with at least `min_garbage_bytes` reclaimable bytes has
  // its live objects relocated and is erased (keeping one spare region). Returns the
  // reclaimable bytes freed. Runs by itself when an Append/Set finds no space.
  Result<size_t> Compact(uint32_t min_garbage_bytes);

  bool Contains(const HashedKey& key) const { return index_.Find(key) != nullptr; }
  // Largest value this store accepts: min(4079, region size - 27).
  uint32_t max_value_bytes() const { return format::MaxValueBytes(region_bytes_); }
  uint32_t region_count() const { return region_count_; }
  uint32_t region_bytes() const { return region_bytes_; }
  const RegionState& region(uint32_t index) const { return regions_[index]; }
  EngineStats stats() const;
  // True while no object on flash was written by a Set, a relocation or the wear record
  // (all generations 0, no record): the store has only seen appends, as a TicKV store.
  // Appends then place exactly as TicKV does, the last spare region included, since no
  // relocation needs it (FORMAT.md "Placement"). Follows the flash: the same after a
  // remount, and true again once GC has erased every region such an object was in.
  bool appends_only() const;

  // Calls fn(const IndexSlot&) for every live key, super key included, wear record
  // excluded, in index order.
  template <typename Fn>
  void ForEachKey(Fn&& fn) const {
    for (const IndexSlot& slot : index_.slots()) {
      if (slot.used && slot.key != wear::kWearKey) fn(slot);
    }
  }
  // True if this geometry leaves room for a wear record (it is at most a quarter region).
  bool wear_record_fits() const { return wear_fits_; }

 private:
  // Where a write may go. kAppend and kSuperKey follow TicKV (first fit in probe order
  // from the home region); kUpdate and kRelocate take the best fit among the regions
  // TicKV's lookup of the key can reach. Only kRelocate and kSuperKey may use the last
  // spare region (see IsSpare), and kAppend too while the store is appends_only().
  enum class Purpose : uint8_t { kAppend, kSuperKey, kUpdate, kRelocate };
  static constexpr uint32_t kNoRegion = 0xFFFFFFFFu;
  // Spare regions ordinary writes leave alone, for compaction. One is enough also after
  // a compaction torn by a power cut: mount finishes the torn copy (FinishTornCopy).
  static constexpr uint32_t kReservedSpares = 1;

  // --- tickv_engine.cc: operations
  Status Ready();
  Status CheckWrite(const HashedKey& key, size_t value_bytes) const;
  // Writes a live object at the region's free offset, first opening the key's probe path
  // (OpenPath), and points the key's index slot at it (inserting one if `slot` is null).
  Status Place(uint32_t region, const HashedKey& key, uint8_t generation,
               std::span<const std::byte> value, IndexSlot* slot);
  Status WriteObject(uint32_t region, const HashedKey& key, uint8_t generation,
                     std::span<const std::byte> value);
  Status InvalidateAt(uint32_t address, uint8_t generation, uint32_t total_bytes);
  Status EraseRegion(uint32_t region);
  void Taint() { needs_remount_ = true; }

  // --- tickv_engine_mount.cc
  Status Scan();
  Status ScanOneRegion(uint32_t region, bool* any_object);
  Status RepairAfterScan(bool any_object);
  Status Attach(Status result);
  // Programs the newest object of `region` again with the bytes the scan read (see .cc).
  // Changes the object's flags byte in `region_bytes`.
  Status RefreshObject(uint32_t region, const ScanEvent& object, std::span<std::byte> region_bytes);
  Status AddScannedObject(uint32_t region, uint32_t offset, const format::Header& h);
  Status WriteSuperKey(uint32_t region);
  // At mount, when no super key was found: TicKV's placement, else any region with room.
  Status RewriteSuperKey();

  // --- tickv_engine_repair.cc: torn regions found at mount
  // Reads `bytes` at `address` several times and keeps the AND (weak cells read 0).
  Status ReadStable(uint32_t address, std::span<std::byte> bytes);
  Status FinishTornCopy(uint32_t region);
  Result<bool> TornTailMatches(std::span<const std::byte> tail, const IndexSlot& source);
  // Seals a torn tail behind live objects; false if the region has garbage elsewhere or
  // no seal fits (the caller then evacuates the region).
  Result<bool> SealTornTail(uint32_t region);
  Status RepairTornRegion(uint32_t region);

  // --- tickv_engine_wear.cc: the persisted erase counts
  Status LoadWear();
  Status SaveWear();
  void MaybeSaveWear();
  // With wear_record off: invalidates a record found on flash (first mutating operation).
  Status DropWearRecord();
  uint32_t UserKeyLimit() const;

  // --- tickv_engine_paths.cc: TicKV's probe paths, fillers, reachability
  // True if `slot` is a live object TicKV must find (not a wear record kept with the
  // option off).
  bool NeedsPath(const IndexSlot& slot) const;
  // True if TicKV's lookup of the key in `slot` reads `region` before the key's region.
  bool OnPathOf(const IndexSlot& slot, uint32_t region) const;
  // Sets kRegionOnPath on every region some live key's lookup reads before reaching the
  // key (OnPathOf for some slot), clears it elsewhere.
  void MarkLivePaths();
  // Writes a filler into every empty region TicKV's lookup of `key` reads before `target`.
  Status OpenPath(const HashedKey& key, uint32_t target);
  Status WriteFiller(uint32_t region);
  // A region TicKV's lookup cannot pass and a filler cannot fix: objects ending within 11
  // bytes of its end (other writers' images), or torn bytes.
  bool Blocks(uint32_t region) const;
  bool AnyBlocking() const;
  // True if no region TicKV's lookup of `key` reads before `target` Blocks(), except
  // `ignore` (a compaction victim, erased before the copy is needed).
  bool Reachable(const HashedKey& key, uint32_t target, uint32_t ignore) const;
  // The first region in `key`'s probe order that Blocks(), or kNoRegion.
  uint32_t FirstBlocker(const HashedKey& key) const;

  // --- tickv_engine_space.cc: placement, GC, compaction
  uint32_t FindRegion(uint32_t total_bytes, const HashedKey& key, Purpose purpose,
                      uint32_t exclude) const;
  uint32_t FindBestFit(uint32_t total_bytes, const HashedKey& key, uint32_t exclude,
                       bool keep_spare) const;
  bool Fits(uint32_t region, uint32_t total_bytes) const {
    return !regions_[region].torn &&
           regions_[region].free_offset_bytes + total_bytes + format::kNoPackBytes <= region_bytes_;
  }
  Result<uint32_t> MakeSpace(uint32_t total_bytes, const HashedKey& key, Purpose purpose);
  Status RecreateSpare();
  Result<size_t> EraseDeadRegions();
  uint32_t PickVictim(uint32_t min_garbage_bytes) const;
  uint32_t PickVictim(uint32_t min_garbage_bytes, bool with_margin) const;
  bool CanRelocate(uint32_t victim, bool with_margin) const;
  bool SimulateRelocation(uint32_t victim, uint32_t largest, bool with_margin) const;
  Status CompactRegion(uint32_t victim);
  Result<size_t> UnpackRegions();
  uint32_t GarbageBytes(uint32_t region) const;
  // Empty, or holding one 15-byte object (the super key after a compaction of its
  // region, or a filler): a region that can take any other region's live objects.
  bool IsSpare(uint32_t region) const {
    return regions_[region].free_offset_bytes <= format::kOverheadBytes;
  }
  uint32_t SpareRegions() const;

  driver::Flash& flash_;
  KeyIndex index_;
  std::span<RegionState> regions_;
  std::span<std::byte> scratch_;
  uint32_t region_bytes_ = 0;
  uint32_t region_count_ = 0;
  bool buffers_ok_ = false;
  bool mounted_ = false;        // The index matches the flash.
  bool attached_ = false;       // Mount()/Format() succeeded at least once.
  bool needs_remount_ = false;  // A flash write failed: rebuild before the next operation.
  EngineOptions options_;
  bool wear_fits_ = false;
  uint32_t erases_since_wear_save_ = 0;
  bool stale_wear_record_ = false;  // A record on flash that DropWearRecord gives up.
  EngineStats counters_;
};

}  // namespace flashrig::kv
