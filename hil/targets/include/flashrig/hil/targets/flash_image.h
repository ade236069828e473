// Whole-device and range operations the `flashrig read|write|erase|verify` commands
// share: range parsing and a flashrom-style write that erases only what it must and
// preserves every byte outside the range (read-modify-write of partial sectors).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::hil {

struct ByteRange {
  uint32_t start = 0;
  uint32_t length = 0;
};

// Parses "START:END" (END exclusive) or "START+LEN"; numbers are decimal or 0x-hex.
// Empty text = the whole device. False (with *error set) if malformed, empty or past
// `device_size`.
bool ParseRange(const std::string& text, uint32_t device_size, ByteRange* out, std::string* error);

struct WriteStats {
  uint32_t sectors_erased = 0;
  uint32_t sectors_programmed_only = 0;  // Changed without an erase (bits only cleared).
  uint32_t sectors_unchanged = 0;
  uint64_t bytes_programmed = 0;
};

// Makes [start, start + data.size()) hold `data`, erasing sectors only where a bit must
// go from 0 to 1, and keeping every byte outside the range. Errors from the Flash.
Status WriteRange(driver::Flash& flash, uint32_t start, std::span<const std::byte> data,
                  WriteStats* stats);

// Compares the device with `expected`. kOk, or kDataLoss with the first mismatching
// address and the mismatch count; other codes from the Flash.
Status VerifyRange(driver::Flash& flash, uint32_t start, std::span<const std::byte> expected,
                   uint64_t* first_mismatch, uint64_t* mismatches);

}  // namespace flashrig::hil
