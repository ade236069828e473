// Power-loss dry-run records: hazards, the write trace, snapshots and their restore.
#include "power_loss_snapshot.h"

#include <algorithm>

namespace flashrig::hil {
namespace {

// FNV-1a over what a write does: kind, address, size and bytes.
class WriteHasher {
 public:
  void Add(std::span<const std::byte> bytes) {
    for (std::byte b : bytes) {
      h_ = (h_ ^ static_cast<uint8_t>(b)) * 0x100000001B3ull;
    }
  }
  void Add(uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      h_ = (h_ ^ ((v >> (8 * i)) & 0xFF)) * 0x100000001B3ull;
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xCBF29CE484222325ull;
};

uint64_t ProgramHash(uint32_t address, std::span<const std::byte> data) {
  WriteHasher h;
  h.Add(uint32_t{1});
  h.Add(address);
  h.Add(static_cast<uint32_t>(data.size()));
  h.Add(data);
  return h.value();
}

uint64_t EraseHash(uint32_t address, uint32_t size_bytes) {
  WriteHasher h;
  h.Add(uint32_t{2});
  h.Add(address);
  h.Add(size_bytes);
  return h.value();
}

}  // namespace

void DryRunRecorder::Reset() {
  hazards.clear();
  writes.clear();
  after_erase_ = false;
}

Status DryRunRecorder::DoProgram(uint32_t address, std::span<const std::byte> data) {
  // First program after an erase (new region / object header) and tiny flag programs
  // (invalidation bits) are where engines most often lose atomicity.
  if (after_erase_ || data.size() <= 2) hazards.push_back(NextOp());
  after_erase_ = false;
  writes.push_back(ProgramHash(address, data));
  return FlashWrapper::DoProgram(address, data);
}

Status DryRunRecorder::DoErase(uint32_t address, uint32_t size_bytes) {
  hazards.push_back(NextOp());
  after_erase_ = true;
  writes.push_back(EraseHash(address, size_bytes));
  return FlashWrapper::DoErase(address, size_bytes);
}

Status WriteTraceCheck::Check(uint64_t hash) {
  if (!armed_) return Status::Ok();
  if (diverged_ || next_ >= trace_.size() || trace_[next_] != hash) {
    diverged_ = true;
    return Status::FailedPrecondition();
  }
  ++next_;
  return Status::Ok();
}

Status WriteTraceCheck::DoProgram(uint32_t address, std::span<const std::byte> data) {
  FLASHRIG_TRY(Check(ProgramHash(address, data)));
  return FlashWrapper::DoProgram(address, data);
}

Status WriteTraceCheck::DoErase(uint32_t address, uint32_t size_bytes) {
  FLASHRIG_TRY(Check(EraseHash(address, size_bytes)));
  return FlashWrapper::DoErase(address, size_bytes);
}

const PowerLossSnapshot* SnapshotFor(const std::vector<PowerLossSnapshot>& snapshots,
                                     uint64_t cut) {
  // Snapshots are in workload order, so mutating_ops never decreases along the list.
  const auto after =
      std::partition_point(snapshots.begin(), snapshots.end(),
                           [cut](const PowerLossSnapshot& s) { return s.mutating_ops < cut; });
  return after == snapshots.begin() ? nullptr : &*(after - 1);
}

Status CaptureImage(driver::Flash& flash, PowerLossSnapshot* snapshot) {
  snapshot->image.resize(flash.geometry().size_bytes);
  return flash.Read(0, snapshot->image);
}

Status RestoreImage(driver::Flash& flash, std::span<const std::byte> image) {
  const auto& g = flash.geometry();
  const uint32_t page = std::max<uint32_t>(1, g.program_page_bytes);
  for (uint32_t at = 0; at < image.size(); at += page) {
    const auto chunk = image.subspan(at, std::min<size_t>(page, image.size() - at));
    const bool erased =
        std::all_of(chunk.begin(), chunk.end(), [&](std::byte b) { return b == g.erased_value; });
    if (!erased) FLASHRIG_TRY(flash.Program(at, chunk));
  }
  return Status::Ok();
}

}  // namespace flashrig::hil
