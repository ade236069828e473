// Flash image files: whole-device byte images read exactly and written atomically
// (temporary file, then rename), shared by RamFlash, the simulated chip and the CLI.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// Reads a file that must hold exactly `expected_size_bytes`.
//   kNotFound: no such file | kInvalidArgument: wrong size | kUnavailable: read error
Result<std::vector<std::byte>> ReadImageFile(const std::string& path,
                                             size_t expected_size_bytes);

// Reads a whole file of any size (SFDP images, --image inputs).
//   kNotFound: cannot open | kUnavailable: read error
Result<std::vector<std::byte>> ReadWholeFile(const std::string& path);

// Writes `image` to `path` via `path.tmp` and rename, so a crash never leaves a half-written
// image. kUnavailable on any I/O error; the old file is then left untouched.
Status WriteImageFileAtomically(const std::string& path, std::span<const std::byte> image);

}  // namespace flashrig::driver
