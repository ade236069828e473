// PartitionFlash: a window [offset, offset + size) of another Flash, so a campaign can
// never touch the rest of the chip (address 0 of the partition = `offset` on the chip).
#pragma once

#include "flashrig/driver/flash/flash.h"

namespace flashrig::hil {

class PartitionFlash final : public driver::Flash {
 public:
  // REQUIRES: offset and size are multiples of the target's erase size, size > 0, and the
  // window lies inside the target. `target` must outlive this object.
  PartitionFlash(driver::Flash& target, uint32_t offset_bytes, uint32_t size_bytes);

  uint32_t offset_bytes() const { return offset_bytes_; }

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override;
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override;
  Status DoErase(uint32_t address, uint32_t size_bytes) override;

  driver::Flash& target_;
  uint32_t offset_bytes_;
};

}  // namespace flashrig::hil
