// The sector map parameter table (FF81h): configuration detection commands, then one map
// per configuration listing regions and the erase types each allows.
#include "sfdp_internal.h"

namespace flashrig::driver {

uint64_t SfdpSectorMapConfig::total_bytes() const {
  uint64_t total = 0;
  for (const auto& r : regions) total += r.size_bytes;
  return total;
}

uint8_t SfdpSectorMap::UniformEraseTypes() const {
  uint8_t mask = maps.empty() ? 0 : 0xF;
  for (const auto& m : maps) {
    for (const auto& r : m.regions) mask &= r.erase_type_mask;
  }
  return mask;
}

namespace sfdp_internal {
namespace {

SfdpSectorMapDetect DetectCommand(uint32_t d1, uint32_t d2) {
  return {.opcode = static_cast<uint8_t>(d1 >> 8),
          .latency = static_cast<uint8_t>((d1 >> 16) & 0xF),
          .address_mode = static_cast<uint8_t>((d1 >> 22) & 3),
          .mask = static_cast<uint8_t>(d1 >> 24),
          .address = d2};
}

}  // namespace

// Descriptor DWORD 1: bit 1 = 0 command / 1 map; bit 0 = last of its kind. A command's
// end bit ends the command list (maps follow); a map's end bit ends the table.
SfdpSectorMap DecodeSectorMap(std::span<const uint32_t> d, Warnings& warnings) {
  SfdpSectorMap out;
  size_t i = 0;
  while (i < d.size()) {
    const uint32_t head = d[i];
    const bool last = head & 1;
    if ((head & 2) == 0) {
      if (i + 1 >= d.size()) {
        warnings.push_back(
            Format("sector map: detection command at DWORD %zu is truncated", i + 1));
        break;
      }
      out.detect.push_back(DetectCommand(head, d[i + 1]));
      i += 2;
      continue;
    }
    SfdpSectorMapConfig map{.config_id = static_cast<uint8_t>(head >> 8)};
    const size_t regions = ((head >> 16) & 0xFF) + 1;
    for (size_t r = 0; r < regions; ++r) {
      if (i + 1 + r >= d.size()) {
        warnings.push_back(
            Format("sector map: configuration %u is truncated after %zu of %zu "
                   "regions",
                   map.config_id, r, regions));
        break;
      }
      const uint32_t region = d[i + 1 + r];
      map.regions.push_back({.size_bytes = (uint64_t{(region >> 8) & 0xFFFFFF} + 1) * 256,
                             .erase_type_mask = static_cast<uint8_t>(region & 0xF)});
    }
    out.maps.push_back(std::move(map));
    i += 1 + regions;
    if (last) break;
  }
  if (out.maps.empty()) warnings.push_back("sector map: the table holds no map");
  return out;
}

}  // namespace sfdp_internal
}  // namespace flashrig::driver
