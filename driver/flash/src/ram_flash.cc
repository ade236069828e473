// RamFlash: NOR semantics in RAM plus the fault, power-cut and wear models tests rely on.
#include "flashrig/driver/flash/ram_flash.h"

#include <algorithm>

#include "flashrig/driver/flash/image_file.h"

namespace flashrig::driver {

RamFlash::RamFlash(const RamFlashOptions& options)
    : Flash(options.geometry),
      options_(options),
      data_(options.geometry.size_bytes, options.geometry.erased_value),
      erase_counts_(options.geometry.sector_count(), 0),
      read_noise_(options.seed ^ 0x5EEDull) {
  if (options_.unstable_torn_cells) weak_bits_.assign(data_.size(), 0);
}

RamFlash::RamFlash(uint32_t sector_bytes, uint32_t sectors)
    : RamFlash(RamFlashOptions{.geometry = {.size_bytes = sector_bytes * sectors,
                                            .erase_size_bytes = sector_bytes,
                                            .program_page_bytes = std::min(256u, sector_bytes)}}) {}

void RamFlash::ResetCounters() {
  counters_ = {};
  std::fill(erase_counts_.begin(), erase_counts_.end(), 0);
}

Status RamFlash::RestoreEraseCounts(std::span<const uint64_t> counts) {
  if (counts.size() != erase_counts_.size()) return Status::InvalidArgument();
  std::copy(counts.begin(), counts.end(), erase_counts_.begin());
  return Status::Ok();
}

void RamFlash::SchedulePowerCut(const PowerCutPlan& plan) {
  plan_ = plan;
  plan_ops_seen_ = 0;
  plan_bytes_seen_ = 0;
}

bool RamFlash::CutFires(uint64_t length, uint64_t* applied_bytes) {
  *applied_bytes = length;
  if (plan_.at_mutating_op != 0 && ++plan_ops_seen_ >= plan_.at_mutating_op) {
    *applied_bytes = 0;
    return true;
  }
  if (plan_.after_bytes != 0) {
    const uint64_t left = plan_.after_bytes - plan_bytes_seen_;
    if (length >= left) {
      *applied_bytes = left;
      return true;
    }
    plan_bytes_seen_ += length;
  }
  return false;
}

bool RamFlash::WornOut(uint32_t address, uint64_t length) const {
  if (options_.rated_erase_cycles == 0 || options_.wear_out_mode == WearOutMode::kNone) {
    return false;
  }
  const uint32_t unit = geometry().erase_size_bytes;
  for (uint64_t s = address / unit; s <= (address + length - 1) / unit; ++s) {
    if (erase_counts_[s] >= options_.rated_erase_cycles) return true;
  }
  return false;
}

Status RamFlash::DoRead(uint32_t address, std::span<std::byte> out) {
  if (!powered_) return Status::Unavailable();
  if (Status s = faults_.Check(FlashOp::kRead, address, out.size()); !s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  if (options_.wear_out_mode == WearOutMode::kReadError && WornOut(address, out.size())) {
    ++counters_.failed_ops;
    return Status::DataLoss();
  }
  ++counters_.read_ops;
  counters_.bytes_read += out.size();
  std::copy_n(data_.begin() + address, out.size(), out.begin());
  if (!weak_bits_.empty()) {
    for (size_t i = 0; i < out.size(); ++i) {
      const uint8_t weak = weak_bits_[address + i];
      if (weak != 0) {
        out[i] = static_cast<std::byte>((static_cast<uint8_t>(out[i]) & ~weak) |
                                        (read_noise_.Byte() & weak));
      }
    }
  }
  return Status::Ok();
}

void RamFlash::ProgramBytes(uint32_t address, std::span<const std::byte> data) {
  std::byte* dst = data_.data() + address;
  for (size_t i = 0; i < data.size(); ++i) dst[i] &= data[i];
  if (weak_bits_.empty()) return;
  // Bits now firmly programmed to 0 are no longer weak.
  for (size_t i = 0; i < data.size(); ++i) {
    weak_bits_[address + i] &= static_cast<uint8_t>(data[i]);
  }
}

void RamFlash::TearProgram(uint32_t address, std::span<const std::byte> data, SeededRandom& rng) {
  for (size_t i = 0; i < data.size(); ++i) {
    const uint8_t old_value = static_cast<uint8_t>(data_[address + i]);
    const uint8_t to_clear = old_value & ~static_cast<uint8_t>(data[i]);
    const uint8_t cleared = to_clear & rng.Byte();
    data_[address + i] = static_cast<std::byte>(old_value & ~cleared);
    if (!weak_bits_.empty()) weak_bits_[address + i] |= to_clear & ~cleared;
  }
}

void RamFlash::TearErase(uint32_t address, uint32_t size_bytes, SeededRandom& rng) {
  for (uint32_t i = 0; i < size_bytes; ++i) {
    data_[address + i] = static_cast<std::byte>(rng.Byte());
    if (!weak_bits_.empty()) weak_bits_[address + i] = rng.Chance(1, 8) ? rng.Byte() : 0;
  }
}

Status RamFlash::DoProgram(uint32_t address, std::span<const std::byte> data) {
  if (!powered_) return Status::Unavailable();
  if (Status s = faults_.Check(FlashOp::kProgram, address, data.size()); !s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  if (options_.wear_out_mode == WearOutMode::kProgramError && WornOut(address, data.size())) {
    ++counters_.failed_ops;
    return Status::DataLoss();
  }
  if (options_.strict) {
    for (size_t i = 0; i < data.size(); ++i) {
      if ((data_[address + i] & data[i]) != data[i]) {
        ++counters_.failed_ops;
        return Status::FailedPrecondition();
      }
    }
  }
  ++counters_.program_ops;
  uint64_t applied = 0;
  if (CutFires(data.size(), &applied)) {
    ++power_cuts_;
    powered_ = false;
    SeededRandom rng(plan_.seed);
    ProgramBytes(address, data.first(applied));
    auto rest = data.subspan(applied);
    switch (plan_.effect) {
      case PowerCutEffect::kNotApplied:
        break;
      case PowerCutEffect::kApplied:
        ProgramBytes(address + applied, rest);
        break;
      case PowerCutEffect::kTorn:
        TearProgram(address + applied, rest, rng);
        break;
    }
    counters_.bytes_programmed += applied;
    plan_ = {};
    return Status::Unavailable();
  }
  counters_.bytes_programmed += data.size();
  ProgramBytes(address, data);
  return Status::Ok();
}

Status RamFlash::DoErase(uint32_t address, uint32_t size_bytes) {
  if (!powered_) return Status::Unavailable();
  if (Status s = faults_.Check(FlashOp::kErase, address, size_bytes); !s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  const uint32_t unit = geometry().erase_size_bytes;
  const bool worn = WornOut(address, size_bytes);
  if (worn && options_.wear_out_mode == WearOutMode::kEraseError) {
    ++counters_.failed_ops;
    return Status::DataLoss();
  }
  ++counters_.erase_ops;
  uint64_t applied = 0;
  const bool cut = CutFires(size_bytes, &applied);
  // Whole sectors before the cut point are erased; the sector being erased at the cut
  // gets the effect.
  const uint32_t whole = cut ? static_cast<uint32_t>(applied / unit) * unit : size_bytes;
  for (uint32_t off = 0; off < whole; off += unit) {
    std::fill_n(data_.begin() + address + off, unit, geometry().erased_value);
    if (!weak_bits_.empty()) std::fill_n(weak_bits_.begin() + address + off, unit, 0);
    ++erase_counts_[(address + off) / unit];
  }
  counters_.bytes_erased += whole;
  if (worn && options_.wear_out_mode == WearOutMode::kSilentErase) {
    SeededRandom rng(options_.seed ^ (address * 0x9E37ull) ^ erase_counts_[address / unit]);
    for (uint32_t i = 0; i < whole; ++i) {
      if (rng.Chance(1, 64)) data_[address + i] &= static_cast<std::byte>(rng.Byte());
    }
  }
  if (!cut) return Status::Ok();
  ++power_cuts_;
  powered_ = false;
  if (whole < size_bytes) {
    const uint32_t sector = address + whole;
    SeededRandom rng(plan_.seed);
    switch (plan_.effect) {
      case PowerCutEffect::kNotApplied:
        break;
      case PowerCutEffect::kApplied:
        std::fill_n(data_.begin() + sector, unit, geometry().erased_value);
        if (!weak_bits_.empty()) std::fill_n(weak_bits_.begin() + sector, unit, 0);
        ++erase_counts_[sector / unit];
        break;
      case PowerCutEffect::kTorn:
        TearErase(sector, unit, rng);
        ++erase_counts_[sector / unit];
        break;
    }
  }
  plan_ = {};
  return Status::Unavailable();
}

Status RamFlash::Restore(std::span<const std::byte> image) {
  if (image.size() != data_.size()) return Status::InvalidArgument();
  std::copy(image.begin(), image.end(), data_.begin());
  std::fill(weak_bits_.begin(), weak_bits_.end(), 0);
  return Status::Ok();
}

Status RamFlash::RestoreRange(uint32_t address, std::span<const std::byte> bytes) {
  if (address > data_.size() || bytes.size() > data_.size() - address) {
    return Status::InvalidArgument();
  }
  std::copy(bytes.begin(), bytes.end(), data_.begin() + address);
  if (!weak_bits_.empty()) std::fill_n(weak_bits_.begin() + address, bytes.size(), 0);
  return Status::Ok();
}

Status RamFlash::LoadImage(const std::string& path) {
  FLASHRIG_TRY_ASSIGN(const std::vector<std::byte> image, ReadImageFile(path, data_.size()));
  return Restore(image);
}

Status RamFlash::SaveImage(const std::string& path) const {
  return WriteImageFileAtomically(path, data_);
}

}  // namespace flashrig::driver
