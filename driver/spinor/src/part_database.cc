// PartDatabase lookups, including the choice among entries that share a JEDEC ID.
#include "flashrig/driver/spinor/part_database.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "flashrig/driver/sfdp/sfdp.h"

namespace flashrig::driver {
namespace {

struct BfptKey {
  uint8_t major, minor;
  uint32_t dwords;
  bool operator==(const BfptKey&) const = default;
};

std::optional<BfptKey> BfptOf(std::span<const std::byte> image) {
  if (image.empty()) return std::nullopt;
  auto s = DecodeSfdp(image);
  if (!s.ok()) return std::nullopt;
  return BfptKey{s->bfpt.major, s->bfpt.minor, s->bfpt.dwords};
}

PartMatch::How Rank(const ChipModel& part, std::span<const std::byte> chip_sfdp,
                    const std::optional<BfptKey>& chip_bfpt) {
  if (part.sfdp_image.empty() || chip_sfdp.empty()) return PartMatch::How::kJedecId;
  if (std::equal(part.sfdp_image.begin(), part.sfdp_image.end(), chip_sfdp.begin(),
                 chip_sfdp.end())) {
    return PartMatch::How::kSameImage;
  }
  if (chip_bfpt && BfptOf(part.sfdp_image) == chip_bfpt) return PartMatch::How::kSameBfpt;
  return PartMatch::How::kJedecId;
}

// Among kJedecId matches an entry without an image (made for the ID) beats one made
// from a different table.
int Score(const ChipModel& part, PartMatch::How how) {
  return 2 * static_cast<int>(how) + (how == PartMatch::How::kJedecId && part.sfdp_image.empty());
}

const char* HowText(PartMatch::How how) {
  switch (how) {
    case PartMatch::How::kSameImage:
      return "the chip's SFDP equals its image";
    case PartMatch::How::kSameBfpt:
      return "its image has the chip's BFPT revision and length";
    default:
      return "first entry with the ID";
  }
}

}  // namespace

const ChipModel* PartDatabase::FindByJedecId(const std::array<uint8_t, 3>& id) const {
  for (const ChipModel& part : parts_) {
    if (part.jedec_id == id) return &part;
  }
  return nullptr;
}

PartMatch PartDatabase::FindForChip(const std::array<uint8_t, 3>& id,
                                    std::span<const std::byte> chip_sfdp) const {
  const std::optional<BfptKey> chip_bfpt = BfptOf(chip_sfdp);
  PartMatch best;
  int best_score = -1;
  std::string names;
  size_t candidates = 0;
  for (const ChipModel& part : parts_) {
    if (part.jedec_id != id) continue;
    ++candidates;
    names += (names.empty() ? "" : ", ") + part.name;
    const PartMatch::How how = Rank(part, chip_sfdp, chip_bfpt);
    if (Score(part, how) > best_score) {
      best = {.part = &part, .how = how};
      best_score = Score(part, how);
    }
  }
  if (candidates > 1) {
    best.why =
        "JEDEC ID shared by " + names + "; " + best.part->name + " chosen: " + HowText(best.how);
  }
  return best;
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
