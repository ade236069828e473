// PartDatabase: the known SPI NOR parts (ChipModels), looked up by JEDEC ID when a chip
// has no usable SFDP, and for the block-protect layout SFDP does not describe. hil/ fills
// it from configs/parts/*.json; tests may build one in code.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "flashrig/driver/spinor/chip_model.h"

namespace flashrig::driver {

class PartDatabase {
 public:
  PartDatabase() = default;
  explicit PartDatabase(std::vector<ChipModel> parts) : parts_(std::move(parts)) {}

  // Adds a part; a later part with the same JEDEC ID shadows nothing (first one wins).
  void Add(ChipModel part) { parts_.push_back(std::move(part)); }

  // nullptr if unknown.
  const ChipModel* FindByJedecId(const std::array<uint8_t, 3>& id) const;
  // Case-insensitive name match ("w25q128jv"); nullptr if unknown.
  const ChipModel* FindByName(std::string_view name) const;

  std::span<const ChipModel> parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }

 private:
  std::vector<ChipModel> parts_;
};

}  // namespace flashrig::driver
