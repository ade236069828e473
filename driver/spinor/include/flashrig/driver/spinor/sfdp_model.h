// A part as its SFDP table describes it, and the part-database overrides on top. The
// table gives size, page, erase types with times, addressing and program/chip-erase
// times (PartField); where it gives none, the documented defaults below are used and
// said; where it says something no part can do (3-byte addressing on a 32 MiB part, no
// 4-byte method above 16 MiB, only region-dependent erase types) the field is "missing"
// and must come from a part file. Both the part loader (hil/config) and the driver's
// probe go through here, so a part file and a chip returning its table agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/spinor/chip_model.h"

namespace flashrig::driver {

// Documented defaults for tables without the field (JESD216 9-DWORD tables have no times;
// Linux assumes a 256-byte page). Conservative maxima, typical = max / 10.
inline constexpr uint32_t kSfdpDefaultPageBytes = 256;
inline constexpr uint64_t kSfdpDefaultEraseMaxUsPer4K = 500000;
inline constexpr uint64_t kSfdpDefaultProgramMaxUs = 5000;
inline constexpr uint64_t kSfdpDefaultChipEraseMaxUs = 600000000;

// One line of what was done to a part's fields, and why.
struct PartNote {
  enum class Kind : uint8_t {
    kDefault,   // The table lacks the field: a documented default was used.
    kIgnored,   // The table gives the field but it was not used (what and why).
    kMissing,   // The table cannot say: a part file or the part database must.
    kOverride,  // A part file / the part database replaced what the table says.
    kFilled,    // The part database gave what the table lacks.
  };
  Kind kind = Kind::kDefault;
  PartField field = PartField::kSizeBytes;
  std::string text{};
};
const char* PartNoteKindName(PartNote::Kind kind);  // "default", "ignored", ...

struct SfdpDerivedPart {
  ChipModel model{};  // Identity fields empty; sfdp_image not set.
  PartFieldSet from_table{};
  PartFieldSet defaulted{};
  PartFieldSet missing{};
  std::vector<PartNote> notes{};
};

// Never fails; what cannot be derived is in `missing` (and `model` keeps a placeholder).
SfdpDerivedPart PartFromSfdp(const Sfdp& sfdp);

// Every erase type the table lists (table order; sizes over 2 GiB left out), with its
// times (or the defaults) and 4-byte opcode (from the 4BAIT, else DWORD 16's dedicated
// instruction set by the standard 3->4-byte mapping), before PartFromSfdp keeps the ones
// usable on every sector. A part file that names an erase type takes what it leaves out
// from here.
std::vector<EraseType> SfdpEraseTypes(const Sfdp& sfdp);

// Copies `fields` of `from` into `to`; erase types are copied whole (with their times).
void CopyPartFields(const ChipModel& from, const PartFieldSet& fields, ChipModel* to);
// The field's value in words, for notes: "3-or-4-byte", "4 KiB 20h, 64 KiB D8h".
std::string DescribePartField(const ChipModel& model, PartField field);

// What the probe does with a chip's table and the part database entry it matched
// (`part`, may be null): the table's fields, with `part`'s overrides applied when `part`
// was made from the same table (`same_table`), what the table lacks filled in from
// `part`, and everything SFDP does not describe (status registers, write_status, block
// protection) from `part`. Every override, fill and ignored field is added to *notes.
ChipModel ResolveProbedPart(const SfdpDerivedPart& derived, const ChipModel* part, bool same_table,
                            std::vector<PartNote>* notes);

}  // namespace flashrig::driver
