// CountingFlash: counters over any backend. Failed calls count as failed, not as bytes.
#include "flashrig/driver/flash/counting_flash.h"

namespace flashrig::driver {

Status CountingFlash::DoRead(uint32_t address, std::span<std::byte> out) {
  Status s = FlashWrapper::DoRead(address, out);
  if (!s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  ++counters_.read_ops;
  counters_.bytes_read += out.size();
  return s;
}

Status CountingFlash::DoProgram(uint32_t address, std::span<const std::byte> data) {
  Status s = FlashWrapper::DoProgram(address, data);
  if (!s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  ++counters_.program_ops;
  counters_.bytes_programmed += data.size();
  return s;
}

Status CountingFlash::DoErase(uint32_t address, uint32_t size_bytes) {
  Status s = FlashWrapper::DoErase(address, size_bytes);
  if (!s.ok()) {
    ++counters_.failed_ops;
    return s;
  }
  ++counters_.erase_ops;
  counters_.bytes_erased += size_bytes;
  const uint32_t unit = geometry().erase_size_bytes;
  for (uint32_t off = 0; off < size_bytes; off += unit) ++erase_counts_[(address + off) / unit];
  return s;
}

}  // namespace flashrig::driver
