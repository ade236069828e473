// Small helpers of the SFDP decoder: little-endian reads, message formatting, and the
// names of tables, address modes and read modes.
#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "sfdp_internal.h"

namespace flashrig::driver {
namespace sfdp_internal {

uint32_t Le32(std::span<const std::byte> b, size_t offset) {
  return uint32_t{At(b, offset)} | uint32_t{At(b, offset + 1)} << 8 |
         uint32_t{At(b, offset + 2)} << 16 | uint32_t{At(b, offset + 3)} << 24;
}

std::string Format(const char* format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n < 0) return {};
  return std::string(buffer, static_cast<size_t>(std::min<int>(n, sizeof(buffer) - 1)));
}

std::string SizeText(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return Format("%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  }
  if (bytes >= 1024 && bytes % 1024 == 0) {
    return Format("%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  }
  return Format("%llu bytes", static_cast<unsigned long long>(bytes));
}

Status Fail(Status status, SfdpError* error, uint32_t offset, std::string message) {
  if (error != nullptr) *error = {.message = std::move(message), .offset = offset};
  return status;
}

}  // namespace sfdp_internal

std::string SfdpTableName(uint16_t id) {
  switch (id) {
    case kSfdpBfptId:
      return "BFPT";
    case kSfdpRpmcId:
      return "RPMC";
    case kSfdpXspiProfile1Id:
      return "xSPI profile 1.0";
    case kSfdpXspiProfile2Id:
      return "xSPI profile 2.0";
    case kSfdpSccrProfile2Id:
      return "SCCR map for xSPI profile 2.0";
    case kSfdpOctalDdrSeqId:
      return "command sequences to 8D-8D-8D";
    case kSfdpX4QuadDsId:
      return "x4 quad I/O with DS";
    case kSfdpSectorMapId:
      return "sector map";
    case kSfdpFourByteId:
      return "4-byte address instruction table";
    case kSfdpSccrId:
      return "SCCR map";
    case kSfdpSccrMultiChipId:
      return "SCCR multi-chip offsets";
    case kSfdpMsptId:
      return "multi-chip select parameter table";
    case kSfdpQuadDdrSeqId:
      return "command sequences to 4S-4D-4D";
    case kSfdpSecurityId:
      return "security read/write";
    default:
      break;
  }
  if ((id >> 8) == 0xFF) return sfdp_internal::Format("JEDEC table %02Xh", id & 0xFF);
  // JESD216 rev 0 left byte 7 unused (FFh); later revisions put the JEP106 bank there.
  return sfdp_internal::Format("vendor table (JEP106 bank %u, code %02Xh)", id >> 8, id & 0xFF);
}

const char* SfdpAddressBytesName(SfdpAddressBytes a) {
  switch (a) {
    case SfdpAddressBytes::k3Only:
      return "3";
    case SfdpAddressBytes::k3Or4:
      return "3or4";
    case SfdpAddressBytes::k4Only:
      return "4";
    case SfdpAddressBytes::kReserved:
      break;
  }
  return "reserved";
}

const char* SfdpReadModeName(SfdpReadMode mode) {
  static constexpr const char* kNames[kSfdpReadModeCount] = {"1-1-2", "1-2-2", "2-2-2", "1-1-4",
                                                             "1-4-4", "4-4-4", "1-1-8", "1-8-8"};
  const auto i = static_cast<size_t>(mode);
  return i < kSfdpReadModeCount ? kNames[i] : "?";
}

}  // namespace flashrig::driver
