// libFuzzer target for the SFDP decoder and what is built on it: any byte string must
// decode or be rejected with a message naming an offset inside the input, never crash,
// hang or read out of bounds; whatever decodes must turn into a part description, driver
// parameters and the `flashrig sfdp decode` outputs without tripping anything.
// Build: cmake -DFLASHRIG_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; run: ./sfdp_fuzz
// (seeded with the real chips' images in configs/parts/sfdp/).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/spinor/sfdp_model.h"
#include "flashrig/driver/spinor/spi_nor_params.h"
#include "flashrig/hil/sfdp/sfdp_json.h"

namespace {

using namespace flashrig::driver;

void CheckDecoded(const Sfdp& s, size_t size) {
  if (s.bfpt.raw.size() < 9 || s.bfpt.size_bytes == 0 || s.tables.empty()) std::abort();
  if (s.bfpt_index >= s.tables.size() || s.tables[s.bfpt_index].id != kSfdpBfptId) std::abort();
  if (s.tables[s.bfpt_index].end() > size) std::abort();
  for (const auto& e : s.bfpt.erase_types) {
    if (e.size_bytes != 0 && (e.size_bytes & (e.size_bytes - 1)) != 0) std::abort();
    if (e.max_us < e.typical_us) std::abort();
  }
  if (s.sector_map && s.sector_map->UniformEraseTypes() > 0xF) std::abort();
}

// The part the table describes, and the driver parameters from it, must be consistent.
void CheckPart(const Sfdp& s) {
  const SfdpDerivedPart d = PartFromSfdp(s);
  if (d.missing.any()) return;
  ChipModel m = d.model;
  m.name = "fuzz";
  std::string why;
  if (!ValidateChipModel(m, &why).ok()) return;  // A table may describe nothing sane.
  std::vector<PartNote> notes;
  auto p = ParamsFromModel(m, /*prefer_4byte_opcodes=*/true, &notes);
  if (!p.ok()) return;
  if (p->erase_ops.empty() || p->size_bytes != m.size_bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  if (SfdpBytesNeeded(bytes) > kSfdpMaxBytes) std::abort();
  SfdpError error;
  auto decoded = DecodeSfdp(bytes, &error);
  if (!decoded.ok()) {
    if (error.message.empty() || error.offset > size) std::abort();  // What and where.
    return 0;
  }
  CheckDecoded(*decoded, size);
  CheckPart(*decoded);
  (void)flashrig::hil::SfdpToJson(*decoded).dump();
  (void)flashrig::hil::SfdpToText(*decoded);
  return 0;
}
