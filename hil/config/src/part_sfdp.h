// Internal to the part loader: part files that take their geometry, times and addressing
// from an SFDP image ("sfdp_image", relative to the part file), with the fields the file
// gives itself overriding the table ("sfdp_errata" says why).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/hil/config/config_reader.h"

namespace flashrig::hil {

// Reads "sfdp_image", "sfdp_errata" and "todo". True if the part has an SFDP image (then
// m->sfdp_origin is set and the table fields become optional).
bool ReadSfdpImageKeys(ObjectReader& root, driver::ChipModel* m);

// Loads and decodes the image, takes every table field `doc` does not give from it (and an
// explicit erase type's missing times from the table's type of the same size), and
// records the overrides. Errors name the file and pointer (the decoder's byte offset for
// a broken image).
void CompleteFromSfdpImage(ConfigReader& reader, const std::string& file, const nlohmann::json& doc,
                           driver::ChipModel* m);

}  // namespace flashrig::hil
