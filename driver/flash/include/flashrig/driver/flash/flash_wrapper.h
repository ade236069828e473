// FlashWrapper: forwards every call to another Flash (LevelDB's EnvWrapper pattern).
// Decorators (counting, tracing, fault injection) override just what they add.
#pragma once

#include "flashrig/driver/flash/flash.h"

namespace flashrig::driver {

class FlashWrapper : public Flash {
 public:
  // `target` must outlive the wrapper.
  explicit FlashWrapper(Flash& target) : Flash(target.geometry()), target_(target) {}
  Flash& target() { return target_; }

 protected:
  Status DoRead(uint32_t address, std::span<std::byte> out) override {
    return target_.Read(address, out);
  }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
    return target_.Program(address, data);
  }
  Status DoErase(uint32_t address, uint32_t size_bytes) override {
    return target_.Erase(address, size_bytes);
  }

 private:
  Flash& target_;
};

}  // namespace flashrig::driver
