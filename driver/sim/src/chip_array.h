// ChipArray (private to the simulated chip): the NOR cell array with AND-programming,
// erase, wear counts, torn program/erase effects and unstable ("weak") cells.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "flashrig/driver/flash/random.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver::internal {

// Bytes that start erased (FFh) without costing memory until used: allocated zeroed
// (calloc, whose big blocks the OS maps lazily) and set to FFh one block at a time on
// first access, so a 256 MiB part a test touches in two places costs two blocks.
class ErasedCells {
 public:
  explicit ErasedCells(uint32_t size_bytes);
  uint32_t size() const { return size_; }
  // [address, address + length), readied. REQUIRES: in bounds.
  std::byte* At(uint32_t address, uint64_t length) const;
  std::span<const std::byte> All() const { return {At(0, size_), size_}; }

 private:
  static constexpr uint32_t kBlockBytes = 64 * 1024;
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte[], Free> bytes_;
  uint32_t size_;
  mutable std::vector<bool> ready_;  // Per block: set to FFh yet.
};

class ChipArray {
 public:
  // `wear_unit_bytes`: the smallest erase unit; wear is counted per unit.
  ChipArray(uint32_t size_bytes, uint32_t wear_unit_bytes, uint64_t noise_seed);

  uint32_t size_bytes() const { return data_.size(); }
  // Whether torn operations leave weak (unstable-reading) cells. Default true.
  void set_unstable_cells(bool enabled) { unstable_cells_ = enabled; }
  uint32_t wear_unit_bytes() const { return wear_unit_bytes_; }

  // Copies out.size() bytes from `address` (wrapping at the end, as sequential reads
  // do). Weak bits read back random values.
  void Read(uint32_t address, std::span<std::byte> out);
  // REQUIRES: in bounds. Each byte becomes old AND new; bits now 0 stop being weak.
  void Program(uint32_t address, std::span<const std::byte> data);
  // REQUIRES: in bounds and unit-aligned. Sets bytes to FFh and counts one erase per unit.
  void Erase(uint32_t address, uint32_t size_bytes);
  // A program cut at `progress` (0..1): some bits it would clear are cleared, some are
  // left half-programmed (weak), the rest untouched.
  void TearProgram(uint32_t address, std::span<const std::byte> data, double progress,
                   SeededRandom& rng);
  // An erase cut at `progress`: first a pre-program towards 00h, then the erase pulse
  // towards FFh; the block ends anywhere between old data, 00h and FFh, with weak cells.
  void TearErase(uint32_t address, uint32_t size_bytes, double progress, SeededRandom& rng);
  // Clears `bits` random bits in [address, address + size_bytes) (worn cells that failed
  // to erase).
  void ClearRandomBits(uint32_t address, uint32_t size_bytes, uint64_t bits, SeededRandom& rng);

  // Highest erase count among the units of [address, address + size_bytes).
  uint64_t MaxEraseCount(uint32_t address, uint32_t size_bytes) const;
  const std::vector<uint64_t>& erase_counts() const { return erase_counts_; }
  void ResetEraseCounts();
  // Sets every unit's count (a checkpointed chip's wear). kInvalidArgument: wrong length.
  Status RestoreEraseCounts(std::span<const uint64_t> counts);
  // Restarts the noise of unstable cells from `seed`.
  void ReseedNoise(uint64_t seed) { noise_ = SeededRandom(seed); }

  // Readies every block: the whole array's memory is used from then on.
  std::span<const std::byte> contents() const { return data_.All(); }
  // kInvalidArgument if the size differs. Clears weak cells.
  Status Restore(std::span<const std::byte> image);
  // Overwrites [address, address + bytes.size()) and clears its weak cells; no wear.
  // kInvalidArgument if out of bounds.
  Status RestoreRange(uint32_t address, std::span<const std::byte> bytes);
  bool has_weak_cells() const { return !weak_.empty(); }

 private:
  static constexpr uint32_t kWeakChunkBytes = 4096;
  std::vector<uint8_t>& WeakChunk(uint32_t chunk_index);
  void ClearWeak(uint32_t address, uint32_t size_bytes);

  ErasedCells data_;
  uint32_t wear_unit_bytes_;
  std::vector<uint64_t> erase_counts_;
  // Weak-bit masks per 4 KiB chunk, only for chunks that have any (usually none).
  std::unordered_map<uint32_t, std::vector<uint8_t>> weak_;
  SeededRandom noise_;
  bool unstable_cells_ = true;
};

}  // namespace flashrig::driver::internal
