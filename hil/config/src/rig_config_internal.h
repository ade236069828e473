// Internal: the rig-object parser shared by the rig loader and the campaign loader
// (inline rigs). Not part of the public API.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"

namespace flashrig::hil {

// Fills `out` from one rig object at `pointer`; errors go to `reader`.
void ParseRigObject(ConfigReader& reader, const nlohmann::json& json, const std::string& pointer,
                    const std::string& default_name, RigConfig* out);

}  // namespace flashrig::hil
