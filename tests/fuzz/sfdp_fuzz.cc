// libFuzzer target for the SFDP parser: any byte string must parse or be rejected with a
// reason, never crash, hang or read out of bounds; accepted tables must be consistent.
// Build: cmake -DFLASHRIG_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; run: ./sfdp_fuzz
// (generated tables make good seeds: see BuildSfdp()).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "flashrig/driver/spinor/sfdp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  (void)flashrig::driver::SfdpBytesNeeded(bytes);
  const char* why = nullptr;
  auto parsed = flashrig::driver::ParseSfdp(bytes, &why);
  if (!parsed.ok()) {
    if (why == nullptr) std::abort();  // Every rejection names its reason.
    return 0;
  }
  const auto& p = *parsed;
  if (p.size_bytes == 0 || p.page_bytes == 0) std::abort();
  for (const auto& e : p.erase_types) {
    if (e.size_bytes != 0 && (e.size_bytes > p.size_bytes || (e.size_bytes & (e.size_bytes - 1)))) {
      std::abort();
    }
  }
  return 0;
}
