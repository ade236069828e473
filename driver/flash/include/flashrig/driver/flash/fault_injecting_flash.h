// FaultInjectingFlash: applies FaultRules over any Flash, the real chip included.
// A matched call returns the rule's status and never reaches the target.
#pragma once

#include "flashrig/driver/flash/fault_rule.h"
#include "flashrig/driver/flash/flash_wrapper.h"

namespace flashrig::driver {

class FaultInjectingFlash final : public FlashWrapper {
 public:
  explicit FaultInjectingFlash(Flash& target) : FlashWrapper(target) {}

  void AddFault(const FaultRule& rule) { rules_.Add(rule); }
  void ClearFaults() { rules_.Clear(); }
  const FaultRules& faults() const { return rules_; }

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override {
    FLASHRIG_TRY(rules_.Check(FlashOp::kRead, address, out.size()));
    return FlashWrapper::DoRead(address, out);
  }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
    FLASHRIG_TRY(rules_.Check(FlashOp::kProgram, address, data.size()));
    return FlashWrapper::DoProgram(address, data);
  }
  Status DoErase(uint32_t address, uint32_t size_bytes) override {
    FLASHRIG_TRY(rules_.Check(FlashOp::kErase, address, size_bytes));
    return FlashWrapper::DoErase(address, size_bytes);
  }

  FaultRules rules_;
};

}  // namespace flashrig::driver
