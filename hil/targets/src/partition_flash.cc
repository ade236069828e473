// PartitionFlash: address translation only; bounds were checked by Flash's public methods.
#include "flashrig/hil/targets/partition_flash.h"

namespace flashrig::hil {
namespace {

driver::FlashGeometry Window(const driver::FlashGeometry& g, uint32_t size_bytes) {
  driver::FlashGeometry w = g;
  w.size_bytes = size_bytes;
  return w;
}

}  // namespace

PartitionFlash::PartitionFlash(driver::Flash& target, uint32_t offset_bytes, uint32_t size_bytes)
    : Flash(Window(target.geometry(), size_bytes)), target_(target), offset_bytes_(offset_bytes) {}

Status PartitionFlash::DoRead(uint32_t address, std::span<std::byte> out) {
  return target_.Read(offset_bytes_ + address, out);
}

Status PartitionFlash::DoProgram(uint32_t address, std::span<const std::byte> data) {
  return target_.Program(offset_bytes_ + address, data);
}

Status PartitionFlash::DoErase(uint32_t address, uint32_t size_bytes) {
  return target_.Erase(offset_bytes_ + address, size_bytes);
}

}  // namespace flashrig::hil
