// ChipArray: NOR cells with wear counts, torn operations and unstable cells.
#include "chip_array.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace flashrig::driver::internal {
namespace {

// A byte whose bit k is set with probability `threshold` / 256, from one random draw.
uint8_t RandomMask(SeededRandom& rng, uint32_t threshold) {
  if (threshold == 0) return 0;
  if (threshold >= 256) return 0xFF;
  const uint64_t r = rng.Next();
  uint8_t mask = 0;
  for (int k = 0; k < 8; ++k) {
    if (((r >> (8 * k)) & 0xFF) < threshold) mask |= uint8_t(1u << k);
  }
  return mask;
}

uint32_t Threshold(double probability) {
  return static_cast<uint32_t>(std::clamp(probability, 0.0, 1.0) * 256.0);
}

}  // namespace

ErasedCells::ErasedCells(uint32_t size_bytes)
    : bytes_(static_cast<std::byte*>(std::calloc(std::max<uint32_t>(size_bytes, 1), 1))),
      size_(size_bytes),
      ready_((uint64_t{size_bytes} + kBlockBytes - 1) / kBlockBytes, false) {
  if (!bytes_) throw std::bad_alloc();
}

std::byte* ErasedCells::At(uint32_t address, uint64_t length) const {
  const uint64_t end = std::min<uint64_t>(uint64_t{address} + length, size_);
  for (uint64_t b = address / kBlockBytes; b * kBlockBytes < end; ++b) {
    if (ready_[b]) continue;
    const uint64_t begin = b * kBlockBytes;
    std::memset(bytes_.get() + begin, 0xFF, std::min<uint64_t>(kBlockBytes, size_ - begin));
    ready_[b] = true;
  }
  return bytes_.get() + address;
}

ChipArray::ChipArray(uint32_t size_bytes, uint32_t wear_unit_bytes, uint64_t noise_seed)
    : data_(size_bytes),
      wear_unit_bytes_(wear_unit_bytes),
      erase_counts_(size_bytes / wear_unit_bytes, 0),
      noise_(noise_seed) {}

std::vector<uint8_t>& ChipArray::WeakChunk(uint32_t chunk_index) {
  auto& chunk = weak_[chunk_index];
  if (chunk.empty()) chunk.assign(kWeakChunkBytes, 0);
  return chunk;
}

void ChipArray::ClearWeak(uint32_t address, uint32_t size_bytes) {
  if (weak_.empty()) return;
  for (uint64_t a = address; a < uint64_t{address} + size_bytes;) {
    const uint32_t chunk = static_cast<uint32_t>(a / kWeakChunkBytes);
    const uint64_t chunk_end = uint64_t{chunk + 1} * kWeakChunkBytes;
    const uint64_t end = std::min<uint64_t>(chunk_end, uint64_t{address} + size_bytes);
    if (auto it = weak_.find(chunk); it != weak_.end()) {
      if (a == uint64_t{chunk} * kWeakChunkBytes && end == chunk_end) {
        weak_.erase(it);
      } else {
        std::fill(it->second.begin() + (a % kWeakChunkBytes),
                  it->second.begin() + (a % kWeakChunkBytes) + (end - a), 0);
      }
    }
    a = end;
  }
}

void ChipArray::Read(uint32_t address, std::span<std::byte> out) {
  const uint32_t size = size_bytes();
  size_t done = 0;
  uint32_t a = address % size;
  while (done < out.size()) {
    const size_t n = std::min<size_t>(out.size() - done, size - a);
    std::memcpy(out.data() + done, data_.At(a, n), n);
    if (!weak_.empty()) {
      for (size_t i = 0; i < n;) {
        const uint32_t pos = static_cast<uint32_t>(a + i);
        const uint32_t chunk = pos / kWeakChunkBytes;
        const size_t span = std::min<size_t>(n - i, kWeakChunkBytes - pos % kWeakChunkBytes);
        if (auto it = weak_.find(chunk); it != weak_.end()) {
          for (size_t j = 0; j < span; ++j) {
            const uint8_t weak = it->second[(pos + j) % kWeakChunkBytes];
            if (weak == 0) continue;
            std::byte& b = out[done + i + j];
            b = static_cast<std::byte>((static_cast<uint8_t>(b) & ~weak) | (noise_.Byte() & weak));
          }
        }
        i += span;
      }
    }
    done += n;
    a = 0;
  }
}

void ChipArray::Program(uint32_t address, std::span<const std::byte> data) {
  std::byte* cells = data_.At(address, data.size());
  for (size_t i = 0; i < data.size(); ++i) cells[i] &= data[i];
  if (weak_.empty()) return;
  for (size_t i = 0; i < data.size(); ++i) {
    const uint32_t pos = static_cast<uint32_t>(address + i);
    if (auto it = weak_.find(pos / kWeakChunkBytes); it != weak_.end()) {
      it->second[pos % kWeakChunkBytes] &= static_cast<uint8_t>(data[i]);
    }
  }
}

void ChipArray::Erase(uint32_t address, uint32_t size_bytes) {
  std::fill_n(data_.At(address, size_bytes), size_bytes, std::byte{0xFF});
  ClearWeak(address, size_bytes);
  for (uint32_t u = address / wear_unit_bytes_;
       u < (uint64_t{address} + size_bytes) / wear_unit_bytes_; ++u) {
    ++erase_counts_[u];
  }
}

void ChipArray::TearProgram(uint32_t address, std::span<const std::byte> data, double progress,
                            SeededRandom& rng) {
  // 80 % of the bits reached by `progress` are firmly programmed, the rest are weak.
  const uint32_t firm = Threshold(progress * 0.8);
  const uint32_t reached = Threshold(progress);
  std::byte* cells = data_.At(address, data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    const uint32_t pos = static_cast<uint32_t>(address + i);
    const uint8_t old_value = static_cast<uint8_t>(cells[i]);
    const uint8_t to_clear = old_value & ~static_cast<uint8_t>(data[i]);
    if (to_clear == 0) continue;
    const uint8_t firm_mask = RandomMask(rng, firm) & to_clear;
    const uint8_t weak_mask = RandomMask(rng, reached) & to_clear & ~firm_mask;
    cells[i] = static_cast<std::byte>(old_value & ~firm_mask);
    if (weak_mask != 0 && unstable_cells_) {
      WeakChunk(pos / kWeakChunkBytes)[pos % kWeakChunkBytes] |= weak_mask;
    }
  }
}

void ChipArray::TearErase(uint32_t address, uint32_t size_bytes, double progress,
                          SeededRandom& rng) {
  constexpr double kPreProgramShare = 0.4;  // Share of tSE spent pre-programming to 00h.
  ClearWeak(address, size_bytes);
  std::byte* cells = data_.At(address, size_bytes);
  if (progress < kPreProgramShare) {
    // Pre-program sweeps the block in address order; the cells at the sweep front are
    // half-programmed.
    const uint32_t front = static_cast<uint32_t>(size_bytes * (progress / kPreProgramShare));
    std::fill_n(cells, front, std::byte{0x00});
    const uint32_t fuzzy_end = std::min(size_bytes, front + 64);
    for (uint32_t i = front; i < fuzzy_end; ++i) {
      const uint32_t pos = address + i;
      const uint8_t weak = static_cast<uint8_t>(cells[i]) & rng.Byte();
      if (weak != 0 && unstable_cells_)
        WeakChunk(pos / kWeakChunkBytes)[pos % kWeakChunkBytes] |= weak;
    }
  } else {
    // Erase pulse: every cell drifts from 0 towards 1; q of them made it.
    const double q = (progress - kPreProgramShare) / (1.0 - kPreProgramShare);
    const uint32_t set = Threshold(q);
    const uint32_t weak_threshold = Threshold(std::min(q, 1.0 - q) * 0.5);
    for (uint32_t i = 0; i < size_bytes; ++i) {
      const uint32_t pos = address + i;
      const uint8_t value = RandomMask(rng, set);
      cells[i] = static_cast<std::byte>(value);
      const uint8_t weak = RandomMask(rng, weak_threshold);
      if (weak != 0 && unstable_cells_)
        WeakChunk(pos / kWeakChunkBytes)[pos % kWeakChunkBytes] |= weak;
    }
  }
  // The wear of an interrupted erase counts: the cells were stressed.
  for (uint32_t u = address / wear_unit_bytes_;
       u < (uint64_t{address} + size_bytes) / wear_unit_bytes_; ++u) {
    ++erase_counts_[u];
  }
}

void ChipArray::ClearRandomBits(uint32_t address, uint32_t size_bytes, uint64_t bits,
                                SeededRandom& rng) {
  std::byte* cells = data_.At(address, size_bytes);
  for (uint64_t i = 0; i < bits; ++i) {
    const uint32_t offset = static_cast<uint32_t>(rng.Below(size_bytes));
    cells[offset] &= static_cast<std::byte>(~(1u << rng.Below(8)));
  }
}

uint64_t ChipArray::MaxEraseCount(uint32_t address, uint32_t size_bytes) const {
  uint64_t most = 0;
  for (uint32_t u = address / wear_unit_bytes_;
       u < (uint64_t{address} + size_bytes + wear_unit_bytes_ - 1) / wear_unit_bytes_ &&
       u < erase_counts_.size();
       ++u) {
    most = std::max(most, erase_counts_[u]);
  }
  return most;
}

void ChipArray::ResetEraseCounts() { std::fill(erase_counts_.begin(), erase_counts_.end(), 0); }

Status ChipArray::RestoreEraseCounts(std::span<const uint64_t> counts) {
  if (counts.size() != erase_counts_.size()) return Status::InvalidArgument();
  std::copy(counts.begin(), counts.end(), erase_counts_.begin());
  return Status::Ok();
}

Status ChipArray::RestoreRange(uint32_t address, std::span<const std::byte> bytes) {
  if (address > data_.size() || bytes.size() > data_.size() - address) {
    return Status::InvalidArgument();
  }
  std::copy(bytes.begin(), bytes.end(), data_.At(address, bytes.size()));
  ClearWeak(address, static_cast<uint32_t>(bytes.size()));
  return Status::Ok();
}

Status ChipArray::Restore(std::span<const std::byte> image) {
  if (image.size() != data_.size()) return Status::InvalidArgument();
  std::copy(image.begin(), image.end(), data_.At(0, data_.size()));
  weak_.clear();
  return Status::Ok();
}

}  // namespace flashrig::driver::internal
