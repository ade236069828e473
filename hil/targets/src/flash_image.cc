// Range parsing and the erase-only-what-you-must write used by the flash commands.
#include "flashrig/hil/targets/flash_image.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace flashrig::hil {
namespace {

// Decimal, or hex after "0x": the whole text, no sign, no spaces, no overflow. (Not
// std::stoull base 0, which reads a leading 0 as octal: "0100" would be 64.)
bool ParseNumber(const std::string& text, uint64_t* out) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const char* begin = text.data() + (hex ? 2 : 0);
  const char* end = text.data() + text.size();
  if (begin == end) return false;
  const auto [stop, ec] = std::from_chars(begin, end, *out, hex ? 16 : 10);
  return ec == std::errc() && stop == end;
}

}  // namespace

bool ParseRange(const std::string& text, uint32_t device_size, ByteRange* out, std::string* error) {
  if (text.empty()) {
    *out = {0, device_size};
    return true;
  }
  const size_t colon = text.find(':');
  const size_t plus = text.find('+');
  const size_t sep = colon != std::string::npos ? colon : plus;
  uint64_t a = 0;
  uint64_t b = 0;
  if (sep == std::string::npos || !ParseNumber(text.substr(0, sep), &a) ||
      !ParseNumber(text.substr(sep + 1), &b)) {
    *error = "range \"" + text + "\": expected START:END or START+LEN (decimal or 0x hex)";
    return false;
  }
  const uint64_t end = colon != std::string::npos ? b : a + b;
  if (end <= a) {
    *error = "range \"" + text + "\": empty or reversed";
    return false;
  }
  if (end > device_size) {
    *error = "range \"" + text + "\": ends at " + std::to_string(end) + ", past the device size " +
             std::to_string(device_size);
    return false;
  }
  *out = {static_cast<uint32_t>(a), static_cast<uint32_t>(end - a)};
  return true;
}

Status WriteRange(driver::Flash& flash, uint32_t start, std::span<const std::byte> data,
                  WriteStats* stats) {
  const auto& g = flash.geometry();
  const uint32_t sector = g.erase_size_bytes;
  const uint64_t end = uint64_t{start} + data.size();
  if (!flash.InBounds(start, data.size())) return Status::OutOfRange();
  std::vector<std::byte> old_data(sector);
  std::vector<std::byte> new_data(sector);
  for (uint64_t base = start - start % sector; base < end; base += sector) {
    const uint32_t s = static_cast<uint32_t>(base);
    FLASHRIG_TRY(flash.Read(s, old_data));
    new_data = old_data;
    const uint64_t lo = std::max<uint64_t>(base, start);
    const uint64_t hi = std::min<uint64_t>(base + sector, end);
    std::copy(data.begin() + (lo - start), data.begin() + (hi - start),
              new_data.begin() + (lo - base));
    if (new_data == old_data) {
      ++stats->sectors_unchanged;
      continue;
    }
    bool needs_erase = false;
    for (uint32_t i = 0; i < sector && !needs_erase; ++i) {
      needs_erase = (new_data[i] & ~old_data[i]) != std::byte{0};
    }
    if (needs_erase) {
      FLASHRIG_TRY(flash.Erase(s, sector));
      ++stats->sectors_erased;
    } else {
      ++stats->sectors_programmed_only;
    }
    // Program the runs that differ from what the sector holds now (after an erase: all
    // non-FFh bytes). Runs less than kMergeGap apart go in one program: programming a
    // byte with the value it holds is a no-op on NOR (cells AND the data), while each
    // separate program costs a WREN, a status poll and, over USB, round trips (random
    // data has an FFh byte every 256 on average, which split most pages in two).
    constexpr uint32_t kMergeGap = 64;
    const std::byte erased = g.erased_value;
    auto differs = [&](uint32_t k) {
      return needs_erase ? new_data[k] != erased : new_data[k] != old_data[k];
    };
    uint32_t i = 0;
    while (i < sector) {
      if (!differs(i)) {
        ++i;
        continue;
      }
      uint32_t j = i;
      for (;;) {
        while (j < sector && differs(j)) ++j;
        uint32_t k = j;
        while (k < sector && k - j < kMergeGap && !differs(k)) ++k;
        if (k == sector || k - j >= kMergeGap) break;
        j = k;  // Another run starts within the gap: take the gap along.
      }
      FLASHRIG_TRY(flash.Program(s + i, std::span(new_data).subspan(i, j - i)));
      stats->bytes_programmed += j - i;
      i = j;
    }
  }
  return Status::Ok();
}

Status VerifyRange(driver::Flash& flash, uint32_t start, std::span<const std::byte> expected,
                   uint64_t* first_mismatch, uint64_t* mismatches) {
  *mismatches = 0;
  std::vector<std::byte> chunk(std::min<size_t>(expected.size(), 256 * 1024));
  for (size_t done = 0; done < expected.size();) {
    const size_t n = std::min(chunk.size(), expected.size() - done);
    FLASHRIG_TRY(flash.Read(start + static_cast<uint32_t>(done), std::span(chunk).first(n)));
    for (size_t i = 0; i < n; ++i) {
      if (chunk[i] != expected[done + i]) {
        if (*mismatches == 0) *first_mismatch = start + done + i;
        ++*mismatches;
      }
    }
    done += n;
  }
  return *mismatches == 0 ? Status::Ok() : Status::DataLoss();
}

}  // namespace flashrig::hil
