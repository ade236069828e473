// Part descriptions: configs/parts/<part>.json -> driver::ChipModel, and the directory of
// them -> driver::PartDatabase. Every mistake is reported with the file and JSON pointer
// ("w25q16jv.json: /erase_types/1/size_bytes: expected a power of two, got 3000").
// The format is described by configs/schema/part.schema.json. A part file may name an
// SFDP image ("sfdp_image", relative to the file): then the table gives geometry, times
// and addressing, and the fields the file gives override it (docs/SFDP.md).
#pragma once

#include <optional>
#include <set>
#include <string>

#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/part_database.h"
#include "flashrig/hil/config/config_error.h"

namespace flashrig::hil {

// Parses one part description. `file` names the source in errors. Returns nullopt and
// appends one error per problem (all problems, not just the first) on failure. Never
// throws. `accepted_keys` (optional) collects the pointer pattern of every key the loader
// asks for ("/erase_types/*/opcode"), so a test can prove the JSON Schema covers them.
std::optional<driver::ChipModel> ParsePartJson(const std::string& file, const std::string& text,
                                               ConfigErrors* errors,
                                               std::set<std::string>* accepted_keys = nullptr);

// Reads and parses a part file. A missing/unreadable file is one error with pointer "".
std::optional<driver::ChipModel> LoadPartFile(const std::string& path, ConfigErrors* errors);

// Loads every *.json file of `directory` (in name order) into `database`. Returns false
// if the directory is missing or any file is broken (good files are still added).
bool LoadPartDirectory(const std::string& directory, driver::PartDatabase* database,
                       ConfigErrors* errors);

// Where the shipped parts live: $FLASHRIG_PARTS_DIR if set, else
// $FLASHRIG_SOURCE_DIR/configs/parts, else the installed share/flashrig/parts beside the
// running executable (<bin>/../share/flashrig/parts), else the source tree this binary
// was built from, else share/flashrig/parts under the configured install prefix, else
// "configs/parts".
std::string DefaultPartsDirectory();

}  // namespace flashrig::hil
