// TracingFlash: an operation log over any backend.
#include "flashrig/driver/flash/tracing_flash.h"

#include <cstdio>

namespace flashrig::driver {

std::string ToString(const FlashTraceEntry& entry) {
  const char* op = entry.op == FlashOp::kRead      ? "read"
                   : entry.op == FlashOp::kProgram ? "program"
                                                   : "erase";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s 0x%x+%u -> %s", op, entry.address, entry.length,
                entry.result.str());
  return buf;
}

void TracingFlash::Record(FlashOp op, uint32_t address, size_t length, Status result) {
  if (capacity_ != 0 && entries_.size() >= capacity_) entries_.pop_front();
  entries_.push_back({op, address, static_cast<uint32_t>(length), result});
}

Status TracingFlash::DoRead(uint32_t address, std::span<std::byte> out) {
  Status s = FlashWrapper::DoRead(address, out);
  Record(FlashOp::kRead, address, out.size(), s);
  return s;
}

Status TracingFlash::DoProgram(uint32_t address, std::span<const std::byte> data) {
  Status s = FlashWrapper::DoProgram(address, data);
  Record(FlashOp::kProgram, address, data.size(), s);
  return s;
}

Status TracingFlash::DoErase(uint32_t address, uint32_t size_bytes) {
  Status s = FlashWrapper::DoErase(address, size_bytes);
  Record(FlashOp::kErase, address, size_bytes, s);
  return s;
}

}  // namespace flashrig::driver
