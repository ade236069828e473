// SFDP (JESD216) decoder: the bytes of a chip's SFDP space, from address 0, to every table
// this code knows (header, parameter headers, BFPT of any revision, 4BAIT, sector map,
// SCCR) plus warnings for what is odd. Structural damage (no signature, truncated
// headers, a missing or truncated BFPT) is an error naming the byte offset; everything
// else is decoded as the bytes say, errata included, with a warning. Any byte string is
// safe input (tests/fuzz/sfdp_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/sfdp/sfdp_bfpt.h"
#include "flashrig/driver/sfdp/sfdp_headers.h"
#include "flashrig/driver/sfdp/sfdp_tables.h"

namespace flashrig::driver {

struct Sfdp {
  SfdpHeader header{};
  std::vector<SfdpParameterHeader> tables{};     // The headers NPH counts, in order.
  std::vector<SfdpParameterHeader> uncounted{};  // JEDEC headers found after them.
  size_t bfpt_index = 0;                         // The entry of tables[] decoded as the BFPT.
  SfdpBfpt bfpt{};
  std::optional<SfdpFourByte> four_byte{};
  std::optional<SfdpSectorMap> sector_map{};
  std::optional<SfdpSccr> sccr{};
  std::optional<SfdpSccrMultiChip> sccr_multichip{};
  std::optional<SfdpXspiProfile1> xspi_profile1{};
  std::vector<std::string> warnings{};
  size_t image_bytes = 0;  // Length of the decoded image.
};

// Why an image could not be decoded: what and where.
struct SfdpError {
  std::string message{};  // Names the byte offset, e.g. "... at byte 0x0B".
  uint32_t offset = 0;
};

// Decodes `image`.
//   kOk
//   kNotFound       empty, or no "SFDP" signature (a part without SFDP reads FFh)
//   kUnimplemented  SFDP or BFPT major revision other than 1
//   kDataLoss       truncated header or parameter headers, BFPT not first, shorter than
//                   9 DWORDs or past the end of the image, density out of range
// On error, *error (if non-null) says what and at which byte.
Result<Sfdp> DecodeSfdp(std::span<const std::byte> image, SfdpError* error = nullptr);

// How many leading bytes of SFDP space DecodeSfdp needs to see every table the counted
// headers point to, given the bytes already read (at least 8 to say more). Returns
// <= prefix.size() when the prefix is enough, or so broken that decoding will fail
// anyway. Never exceeds kSfdpMaxBytes.
uint32_t SfdpBytesNeeded(std::span<const std::byte> prefix);

}  // namespace flashrig::driver
