// ChipState: what a checkpoint keeps of an in-process device (ram:, sim:, ftdi-emu:) so
// `flashrig run --resume` continues on the same contents and wear instead of a fresh chip:
// the partition's bytes and the per-erase-unit wear, saved next to checkpoint.json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/status.h"

namespace flashrig::hil {

struct ChipState {
  std::vector<std::byte> partition_image{};  // The rig's partition, raw (no read noise).
  std::vector<uint64_t> erase_counts{};      // Whole device, per wear unit.
};

// Writes generation `generation` of `rig`'s state into `dir` as two files, each atomically
// (temporary file + rename): chip-RIG-GEN.bin (the image) and chip-RIG-GEN.wear.json.
// Returns the descriptor the checkpoint keeps ({"generation", "image", "wear",
// "image_bytes", "wear_units"}), or nullopt with *error set.
std::optional<nlohmann::json> SaveChipState(const std::string& dir, const std::string& rig,
                                            uint64_t generation, const ChipState& state,
                                            std::string* error);

// Reads back what `descriptor` names (file names relative to `dir`). nullopt with *error
// naming the file when a file is missing, the wrong size or malformed.
std::optional<ChipState> LoadChipState(const std::string& dir, const nlohmann::json& descriptor,
                                       std::string* error);

// Deletes `rig`'s state files in `dir` older than `keep_from` (best effort).
void PruneChipStates(const std::string& dir, const std::string& rig, uint64_t keep_from);

}  // namespace flashrig::hil
