// PolledChip: the fast-forward on status polls.
#include "polled_chip.h"

#include <algorithm>

namespace flashrig::hil::internal {

void PolledChip::Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) {
  if (frame_start_ && !mosi.empty()) {
    frame_start_ = false;
    const auto& reads = chip_.model().status_read_opcodes;
    const bool status_read =
        std::find(reads.begin(), reads.end(), static_cast<uint8_t>(mosi[0])) != reads.end();
    if (fast_forward_ && status_read) {
      // A chip that would never finish (stuck, hanging) is left alone: the client's own
      // timeout must see it.
      const std::optional<Clock::Duration> left = chip_.time_to_ready();
      if (left && left->count() > 0) {
        clock_.Advance(*left);
        ++fast_forwards_;
        fast_forwarded_ += *left;
      }
    }
  }
  chip_.Exchange(mosi, miso);
}

}  // namespace flashrig::hil::internal
