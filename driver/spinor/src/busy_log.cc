// BusyLog: bounded record list plus per-kind statistics.
#include "flashrig/driver/spinor/busy_log.h"

#include <algorithm>

namespace flashrig::driver {

const char* BusyKindName(BusyKind kind) {
  switch (kind) {
    case BusyKind::kProgram:
      return "program";
    case BusyKind::kErase:
      return "erase";
    case BusyKind::kChipErase:
      return "chip_erase";
    case BusyKind::kWriteStatus:
      return "write_status";
    case BusyKind::kCount:
      break;
  }
  return "?";
}

void BusyLog::Add(const BusyRecord& record) {
  BusyStats& s = stats_[static_cast<size_t>(record.kind)];
  s.min = s.count == 0 ? record.busy : std::min(s.min, record.busy);
  s.max = std::max(s.max, record.busy);
  s.total += record.busy;
  ++s.count;
  if (capacity_ == 0) return;
  if (records_.size() == capacity_) records_.pop_front();
  records_.push_back(record);
}

void BusyLog::Clear() {
  records_.clear();
  stats_ = {};
}

}  // namespace flashrig::driver
