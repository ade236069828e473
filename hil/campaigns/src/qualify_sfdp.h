// Internal to the qualify campaign: the SFDP a chip returned against the part file it is
// qualified against.
#pragma once

#include <nlohmann/json.hpp>

#include "flashrig/hil/report/report.h"
#include "flashrig/hil/targets/rig.h"

namespace flashrig::hil {

// Adds "qualify/identity/sfdp_image" (the bytes equal the part file's sfdp_image) and
// "qualify/identity/sfdp" (every field the table gives: size, page, erase types,
// addressing, against the part). A field the part file overrides (a known erratum) or the
// table cannot give is a finding, not a failure; any other difference fails. One entry
// per field goes to `findings`; what cannot be compared goes to `not_run`.
void CheckSfdpAgainstPart(const Rig& rig, RigReport& report, nlohmann::json& not_run,
                          nlohmann::json& findings);

}  // namespace flashrig::hil
