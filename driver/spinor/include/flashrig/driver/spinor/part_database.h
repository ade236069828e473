// PartDatabase: the known SPI NOR parts (ChipModels), looked up by JEDEC ID when a chip
// is probed: for the fields its SFDP table lacks or gets wrong (overrides), for the
// block-protect layout SFDP does not describe, and as the fallback when a chip has no
// usable SFDP. hil/ fills it from configs/parts/*.json; tests may build one in code.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashrig/driver/spinor/chip_model.h"

namespace flashrig::driver {

// Which entry a chip matched, and how sure that is.
struct PartMatch {
  enum class How : uint8_t {
    kNone,       // No entry has the JEDEC ID.
    kJedecId,    // By JEDEC ID only (the entry has no SFDP image, or a different one).
    kSameBfpt,   // The entry's SFDP image has the chip's BFPT revision and length.
    kSameImage,  // The entry's SFDP image equals what the chip returned.
  };
  const ChipModel* part = nullptr;
  How how = How::kNone;
  // When several entries share the ID: which ones and why this one ("" otherwise).
  std::string why{};
  // The entry was made from the table the chip returned (kSameBfpt or better), so its
  // overrides apply to it.
  bool same_table() const { return how == How::kSameBfpt || how == How::kSameImage; }
};

class PartDatabase {
 public:
  PartDatabase() = default;
  explicit PartDatabase(std::vector<ChipModel> parts) : parts_(std::move(parts)) {}

  void Add(ChipModel part) { parts_.push_back(std::move(part)); }

  // The first part with this ID; nullptr if unknown.
  const ChipModel* FindByJedecId(const std::array<uint8_t, 3>& id) const;
  // The best entry for a chip that answered `id` and returned `chip_sfdp` (may be empty)
  // to 5Ah. JEDEC IDs are reused across variants (C2 20 19 is MX25L25635F and
  // MX25L25645G), so among entries with the ID it prefers one whose SFDP image equals the
  // chip's, then one with the same BFPT revision and length, then one without an image.
  PartMatch FindForChip(const std::array<uint8_t, 3>& id,
                        std::span<const std::byte> chip_sfdp) const;
  // Case-insensitive name match ("w25q128jv"); nullptr if unknown.
  const ChipModel* FindByName(std::string_view name) const;

  std::span<const ChipModel> parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }

 private:
  std::vector<ChipModel> parts_;
};

}  // namespace flashrig::driver
