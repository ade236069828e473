// FaultRules: matching calls against data-described faults.
#include "flashrig/driver/flash/fault_rule.h"

namespace flashrig::driver {

Status FaultRules::Check(FlashOp op, uint32_t address, uint64_t length) {
  const uint64_t call_begin = address;
  const uint64_t call_end = call_begin + (length == 0 ? 1 : length);
  for (Armed& armed : rules_) {
    const FaultRule& r = armed.rule;
    if ((r.ops & static_cast<FlashOpMask>(op)) == 0) continue;
    if (call_end <= r.begin || call_begin >= r.end) continue;
    if (armed.seen++ < r.skip) continue;
    if (r.times != FaultRule::kForever && armed.fired >= r.times) continue;
    ++armed.fired;
    return r.status;
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
