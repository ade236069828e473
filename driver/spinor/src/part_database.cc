// PartDatabase lookups.
#include "flashrig/driver/spinor/part_database.h"

#include <cctype>

namespace flashrig::driver {

const ChipModel* PartDatabase::FindByJedecId(const std::array<uint8_t, 3>& id) const {
  for (const ChipModel& part : parts_) {
    if (part.jedec_id == id) return &part;
  }
  return nullptr;
}

const ChipModel* PartDatabase::FindByName(std::string_view name) const {
  for (const ChipModel& part : parts_) {
    if (part.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(part.name[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return &part;
  }
  return nullptr;
}

}  // namespace flashrig::driver
