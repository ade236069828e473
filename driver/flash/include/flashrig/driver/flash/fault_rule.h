// FaultRule: a fault described as data ({operations, address range, status, skip, times}),
// used by RamFlash and FaultInjectingFlash alike (the pw_kvs FlashError idea).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

enum class FlashOp : uint8_t { kRead = 1, kProgram = 2, kErase = 4 };
// Bit mask of FlashOp values.
using FlashOpMask = uint8_t;
inline constexpr FlashOpMask kAllOps = 7;
inline constexpr FlashOpMask kMutatingOps = 6;

struct FaultRule {
  FlashOpMask ops = kAllOps;  // Which operations the rule matches.
  uint32_t begin = 0;         // Matches calls whose range intersects [begin, end).
  uint32_t end = std::numeric_limits<uint32_t>::max();
  Status status = Status::DataLoss();  // What a matched call returns (nothing is applied).
  uint32_t skip = 0;                   // Let this many matching calls pass first.
  uint32_t times = 1;                  // Fail this many; kForever = never stop.

  static constexpr uint32_t kForever = std::numeric_limits<uint32_t>::max();
};

// Evaluates a list of rules against calls. The first rule that matches and is armed wins.
class FaultRules {
 public:
  void Add(const FaultRule& rule) { rules_.push_back({rule, 0, 0}); }
  void Clear() { rules_.clear(); }
  bool empty() const { return rules_.empty(); }
  // Returns the status to inject for this call, or ok. Updates the rules' counters.
  Status Check(FlashOp op, uint32_t address, uint64_t length);
  // How many calls each rule has failed so far (index = order of Add()).
  uint32_t fired(size_t index) const { return rules_.at(index).fired; }

 private:
  struct Armed {
    FaultRule rule;
    uint32_t seen;
    uint32_t fired;
  };
  std::vector<Armed> rules_;
};

}  // namespace flashrig::driver
