// Part files made from an SFDP image: the image is decoded (driver/sfdp), turned into
// the part the table describes (driver/spinor sfdp_model.h, the same code the probe uses
// on a chip), and the file's own fields are laid over it as overrides.
#include "part_sfdp.h"

#include <filesystem>

#include "flashrig/driver/flash/image_file.h"
#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/spinor/sfdp_model.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::hil {
namespace {

using driver::ChipModel;
using driver::PartField;
using json = nlohmann::json;

std::optional<PartField> FieldByName(const std::string& name) {
  for (size_t i = 0; i < driver::kPartFieldCount; ++i) {
    if (name == driver::PartFieldName(static_cast<PartField>(i))) return static_cast<PartField>(i);
  }
  return std::nullopt;
}

// An explicit erase type without times (or 4-byte opcode) takes them from the table's
// type of the same size.
void FillEraseTimes(ConfigReader& r, const std::vector<driver::EraseType>& table, ChipModel* m) {
  for (size_t i = 0; i < m->erase_types.size(); ++i) {
    driver::EraseType& e = m->erase_types[i];
    const driver::EraseType* same = nullptr;
    for (const auto& t : table) {
      if (t.size_bytes == e.size_bytes) same = &t;
    }
    if (e.time.typical_us == 0 && same == nullptr) {
      r.Error("/erase_types/" + std::to_string(i),
              "no typical/max time given, and the SFDP table has no erase type of " +
                  std::to_string(e.size_bytes) + " bytes to take them from");
      continue;
    }
    if (same == nullptr) continue;
    if (e.time.typical_us == 0) e.time = same->time;
    if (e.opcode_4b == 0 && same->opcode == e.opcode) e.opcode_4b = same->opcode_4b;
  }
}

// "sfdp_errata": {"address_mode": "why the table is wrong", ...}.
void ReadErrata(ConfigReader& r, const json& errata, const std::string& pointer,
                driver::SfdpPartOrigin* origin) {
  if (!errata.is_object()) {
    r.Error(pointer, "expected an object of field: reason, got " + DescribeJson(errata));
    return;
  }
  for (auto it = errata.begin(); it != errata.end(); ++it) {
    const std::string where = pointer + "/" + JsonPointerSegment(it.key());
    const std::optional<PartField> f = FieldByName(it.key());
    if (!f) {
      r.Error(where,
              "not a field an SFDP table gives (size_bytes, page_bytes, erase_types, "
              "page_program, chip_erase, address_mode, has_4byte_opcodes, "
              "enter_4byte_needs_wren)");
    } else if (!it.value().is_string() || it.value().get<std::string>().empty()) {
      r.Error(where, "expected a non-empty string, got " + DescribeJson(it.value()));
    } else {
      origin->override_reasons[static_cast<size_t>(*f)] = it.value().get<std::string>();
    }
  }
}

}  // namespace

bool ReadSfdpImageKeys(ObjectReader& root, ChipModel* m) {
  ConfigReader& r = root.reader();
  if (const json* todo = root.Child("todo")) {
    if (!todo->is_array()) {
      r.Error(root.PointerOf("todo"), "expected an array of strings, got " + DescribeJson(*todo));
    } else {
      for (size_t i = 0; i < todo->size(); ++i) {
        if ((*todo)[i].is_string()) {
          m->todo.push_back((*todo)[i].get<std::string>());
        } else {
          r.Error(root.PointerOf("todo") + "/" + std::to_string(i),
                  "expected a string, got " + DescribeJson((*todo)[i]));
        }
      }
    }
  }
  std::string image;
  const bool has_image = root.String("sfdp_image", &image);
  driver::SfdpPartOrigin origin{.image_file = image};
  if (const json* errata = root.Child("sfdp_errata")) {
    ReadErrata(r, *errata, root.PointerOf("sfdp_errata"), &origin);
    if (!has_image) r.Error(root.PointerOf("sfdp_errata"), "sfdp_errata needs sfdp_image");
  }
  if (has_image) m->sfdp_origin = std::move(origin);
  return has_image;
}

void CompleteFromSfdpImage(ConfigReader& r, const std::string& file, const json& doc,
                           ChipModel* m) {
  driver::SfdpPartOrigin& origin = *m->sfdp_origin;
  const std::filesystem::path path = std::filesystem::path(file).parent_path() / origin.image_file;
  if (!m->has_sfdp) r.Error("/sfdp", "a part with an sfdp_image answers 5Ah with it; omit sfdp");
  Result<std::vector<std::byte>> image = driver::ReadWholeFile(path.string());
  if (!image.ok()) {
    r.Error("/sfdp_image", "cannot read the SFDP image " + path.string());
    return;
  }
  m->sfdp_image = std::move(*image);
  driver::SfdpError error;
  auto decoded = driver::DecodeSfdp(m->sfdp_image, &error);
  if (!decoded.ok()) {
    r.Error("/sfdp_image", path.string() + ": " + error.message);
    return;
  }
  const driver::SfdpDerivedPart derived = driver::PartFromSfdp(*decoded);
  driver::PartFieldSet given;
  for (size_t i = 0; i < driver::kPartFieldCount; ++i) {
    given.set(i, doc.contains(driver::PartFieldName(static_cast<PartField>(i))));
    if (!given.test(i) && !origin.override_reasons[i].empty()) {
      r.Error(std::string("/sfdp_errata/") + driver::PartFieldName(static_cast<PartField>(i)),
              "explains an override the part file does not make (give the field too)");
    }
  }
  if (given.test(static_cast<size_t>(PartField::kEraseTypes))) {
    FillEraseTimes(r, driver::SfdpEraseTypes(*decoded), m);
  }
  driver::CopyPartFields(derived.model, ~given, m);
  // A part file that says the part has 4-byte opcodes where the table names none (no
  // 4BAIT) gets the standard ones (20h->21h, 52h->5Ch, D8h->DCh), as Linux converts them.
  // A 4BAIT's "none" for an erase type stands.
  const bool bait = decoded->four_byte && decoded->four_byte->Usable();
  if (given.test(static_cast<size_t>(PartField::kHas4ByteOpcodes)) && m->has_4byte_opcodes &&
      !bait) {
    for (driver::EraseType& e : m->erase_types) {
      if (e.opcode_4b == 0) e.opcode_4b = driver::spi_nor::To4ByteOpcode(e.opcode);
    }
  }
  origin.overrides = given;
  for (const driver::PartNote& n : derived.notes) {
    const bool replaced = given.test(static_cast<size_t>(n.field));
    if (n.kind == driver::PartNote::Kind::kMissing && !replaced &&
        n.field != PartField::kHas4ByteOpcodes) {
      r.Error(std::string("/") + driver::PartFieldName(n.field),
              "required: the SFDP image cannot give it: " + n.text);
    }
    if (!replaced || n.kind == driver::PartNote::Kind::kIgnored) origin.notes.push_back(n.text);
  }
}

}  // namespace flashrig::hil
