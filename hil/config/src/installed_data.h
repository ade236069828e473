// Internal: where an installed flashrig keeps its data (share/flashrig/...), found at run
// time relative to the running executable so an installed tree works wherever its prefix
// is, and from any working directory.
#pragma once

#include <string>

namespace flashrig::hil {

// <dir of the running executable>/<bin-to-data path>/parts if that directory exists
// (e.g. /usr/local/bin/flashrig -> /usr/local/share/flashrig/parts), else "".
std::string PartsDirectoryBesideExecutable();
// The parts directory under the configured install prefix if it exists, else "".
std::string PartsDirectoryUnderPrefix();

}  // namespace flashrig::hil
