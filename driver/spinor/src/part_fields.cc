// The table-derived fields of a part (PartField) by name: copying them between models,
// describing them, and applying a part-database entry's overrides to what a chip's table
// says (the Linux spi-nor fixup idea, as data: each override is one named field).
#include <cstdio>

#include "flashrig/driver/spinor/sfdp_model.h"

namespace flashrig::driver {
namespace {

using Kind = PartNote::Kind;

bool Has(const PartFieldSet& set, PartField f) { return set.test(static_cast<size_t>(f)); }

std::string EraseList(const ChipModel& m) {
  std::string out;
  for (const EraseType& e : m.erase_types) {
    char b[64];
    std::snprintf(b, sizeof(b), "%s%u KiB %02Xh", out.empty() ? "" : ", ", e.size_bytes / 1024,
                  e.opcode);
    out += b;
    if (e.opcode_4b != 0) {
      std::snprintf(b, sizeof(b), "/%02Xh", e.opcode_4b);
      out += b;
    }
  }
  return out.empty() ? "none" : out;
}

std::string Timing(const OpTiming& t) {
  return "typical " + std::to_string(t.typical_us) + " us, max " + std::to_string(t.max_us) + " us";
}

void CopyField(const ChipModel& from, PartField f, ChipModel* to) {
  switch (f) {
    case PartField::kSizeBytes:
      to->size_bytes = from.size_bytes;
      break;
    case PartField::kPageBytes:
      to->page_bytes = from.page_bytes;
      break;
    case PartField::kEraseTypes:
      to->erase_types = from.erase_types;
      break;
    case PartField::kPageProgram:
      to->page_program = from.page_program;
      break;
    case PartField::kChipErase:
      to->chip_erase = from.chip_erase;
      break;
    case PartField::kAddressMode:
      to->address_mode = from.address_mode;
      break;
    case PartField::kHas4ByteOpcodes:
      // The 4-byte erase opcodes go with it, for the erase types both models share.
      to->has_4byte_opcodes = from.has_4byte_opcodes;
      for (EraseType& e : to->erase_types) {
        for (const EraseType& g : from.erase_types) {
          if (g.size_bytes == e.size_bytes && g.opcode == e.opcode) e.opcode_4b = g.opcode_4b;
        }
      }
      break;
    case PartField::kEnter4ByteNeedsWren:
      to->enter_4byte_needs_wren = from.enter_4byte_needs_wren;
      break;
    case PartField::kCount:
      break;
  }
}

// Drops the derivation's "missing"/"default" lines for fields that were then replaced.
void DropReplaced(std::vector<PartNote>* notes, size_t first, const PartFieldSet& replaced) {
  std::vector<PartNote> kept(notes->begin(), notes->begin() + static_cast<long>(first));
  for (size_t i = first; i < notes->size(); ++i) {
    const PartNote& n = (*notes)[i];
    const bool stale =
        (n.kind == Kind::kMissing || n.kind == Kind::kDefault) && Has(replaced, n.field);
    if (!stale) kept.push_back(n);
  }
  *notes = std::move(kept);
}

}  // namespace

const char* PartFieldName(PartField field) {
  static constexpr const char* kNames[kPartFieldCount] = {
      "size_bytes", "page_bytes",   "erase_types",       "page_program",
      "chip_erase", "address_mode", "has_4byte_opcodes", "enter_4byte_needs_wren"};
  const auto i = static_cast<size_t>(field);
  return i < kPartFieldCount ? kNames[i] : "?";
}

const char* PartNoteKindName(PartNote::Kind kind) {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kIgnored:
      return "ignored";
    case Kind::kMissing:
      return "missing";
    case Kind::kOverride:
      return "override";
    case Kind::kFilled:
      return "database";
  }
  return "?";
}

void CopyPartFields(const ChipModel& from, const PartFieldSet& fields, ChipModel* to) {
  for (size_t i = 0; i < kPartFieldCount; ++i) {
    if (fields.test(i)) CopyField(from, static_cast<PartField>(i), to);
  }
}

std::string DescribePartField(const ChipModel& m, PartField field) {
  switch (field) {
    case PartField::kSizeBytes:
      return std::to_string(m.size_bytes) + " bytes";
    case PartField::kPageBytes:
      return std::to_string(m.page_bytes) + " bytes";
    case PartField::kEraseTypes:
      return EraseList(m);
    case PartField::kPageProgram:
      return Timing(m.page_program);
    case PartField::kChipErase:
      return Timing(m.chip_erase);
    case PartField::kAddressMode:
      return m.address_mode == AddressMode::k3Byte ? "3-byte" : "3-or-4-byte";
    case PartField::kHas4ByteOpcodes:
      return m.has_4byte_opcodes ? "true" : "false";
    case PartField::kEnter4ByteNeedsWren:
      return m.enter_4byte_needs_wren ? "true" : "false";
    case PartField::kCount:
      break;
  }
  return "?";
}

ChipModel ResolveProbedPart(const SfdpDerivedPart& derived, const ChipModel* part, bool same_table,
                            std::vector<PartNote>* notes) {
  if (part == nullptr) {
    notes->insert(notes->end(), derived.notes.begin(), derived.notes.end());
    return derived.model;
  }
  // What SFDP never says (status registers, write_status, protection, ...) is the entry's;
  // every table field starts as the chip's table says.
  ChipModel m = *part;
  CopyPartFields(derived.model, PartFieldSet().set(), &m);
  const size_t first = notes->size();
  notes->insert(notes->end(), derived.notes.begin(), derived.notes.end());
  PartFieldSet done;
  if (part->sfdp_origin && same_table) {
    const SfdpPartOrigin& o = *part->sfdp_origin;
    for (size_t i = 0; i < kPartFieldCount; ++i) {
      if (!o.overrides.test(i)) continue;
      const auto f = static_cast<PartField>(i);
      const std::string table = derived.missing.test(i) ? "the table cannot give it"
                                : derived.defaulted.test(i)
                                    ? "over the default " + DescribePartField(m, f)
                                    : "over the table's " + DescribePartField(m, f);
      CopyField(*part, f, &m);
      done.set(i);
      std::string text = std::string(PartFieldName(f)) + ": " + DescribePartField(m, f) +
                         " from the part database (" + part->name + "), " + table;
      if (!o.override_reasons[i].empty()) text += " (" + o.override_reasons[i] + ")";
      notes->push_back({.kind = Kind::kOverride, .field = f, .text = std::move(text)});
    }
  }
  // What the table cannot say comes from the entry; defaults give way to a hand-written
  // entry's datasheet values (an SFDP-image entry's are the same defaults).
  PartFieldSet fill = derived.missing;
  if (!part->sfdp_origin) fill |= derived.defaulted;
  fill &= ~done;
  for (size_t i = 0; i < kPartFieldCount; ++i) {
    if (!fill.test(i)) continue;
    const auto f = static_cast<PartField>(i);
    CopyField(*part, f, &m);
    done.set(i);
    notes->push_back({.kind = Kind::kFilled,
                      .field = f,
                      .text = std::string(PartFieldName(f)) + ": " + DescribePartField(m, f) +
                              " from the part database (" + part->name +
                              "); the table does not say"});
  }
  DropReplaced(notes, first, done);
  return m;
}

}  // namespace flashrig::driver
