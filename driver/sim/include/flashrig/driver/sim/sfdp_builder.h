// Builds the SFDP space (JESD216B header + 16-DWORD BFPT) a ChipModel answers to 5Ah.
// The simulated chip serves it; tests and the fuzz corpus start from it.
#pragma once

#include <cstddef>
#include <vector>

#include "flashrig/driver/spinor/chip_model.h"

namespace flashrig::driver {

// REQUIRES: ValidateChipModel(model).ok(). Timings are rounded up to the nearest value
// the BFPT can encode, so the parsed maximum is never below the model's.
std::vector<std::byte> BuildSfdp(const ChipModel& model);

}  // namespace flashrig::driver
