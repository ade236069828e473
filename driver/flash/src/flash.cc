// Flash: argument checks shared by every backend, done once before the Do*() hooks.
#include "flashrig/driver/flash/flash.h"

namespace flashrig::driver {
namespace {
bool IsPowerOfTwo(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

bool FlashGeometry::IsValid() const {
  return IsPowerOfTwo(erase_size_bytes) && size_bytes != 0 &&
         size_bytes % erase_size_bytes == 0 && IsPowerOfTwo(program_page_bytes) &&
         program_page_bytes <= erase_size_bytes;
}

Status Flash::Read(uint32_t address, std::span<std::byte> out) {
  if (!InBounds(address, out.size())) return Status::OutOfRange();
  if (out.empty()) return Status::Ok();
  return DoRead(address, out);
}

Status Flash::Program(uint32_t address, std::span<const std::byte> data) {
  if (!InBounds(address, data.size())) return Status::OutOfRange();
  if (data.empty()) return Status::Ok();
  return DoProgram(address, data);
}

Status Flash::Erase(uint32_t address, uint32_t size_bytes) {
  const uint32_t unit = geometry_.erase_size_bytes;
  if (unit == 0 || address % unit != 0 || size_bytes % unit != 0) {
    return Status::InvalidArgument();
  }
  if (!InBounds(address, size_bytes)) return Status::OutOfRange();
  if (size_bytes == 0) return Status::Ok();
  return DoErase(address, size_bytes);
}

}  // namespace flashrig::driver
