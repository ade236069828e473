// FlashCounters: operation and byte counters shared by RamFlash and CountingFlash.
#pragma once

#include <cstdint>

namespace flashrig::driver {

struct FlashCounters {
  uint64_t read_ops = 0;
  uint64_t program_ops = 0;
  uint64_t erase_ops = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_programmed = 0;
  uint64_t bytes_erased = 0;
  uint64_t failed_ops = 0;  // Calls that returned a non-ok status (after validation).
};

}  // namespace flashrig::driver
