// FTDI chip-family facts used by the URL resolver, the bus and the emulator.
#include "flashrig/driver/ftdi/ftdi_port.h"

namespace flashrig::driver {

const char* FtdiChipTypeName(FtdiChipType type) {
  switch (type) {
    case FtdiChipType::kFt2232C:
      return "FT2232C/D";
    case FtdiChipType::kFt232H:
      return "FT232H";
    case FtdiChipType::kFt2232H:
      return "FT2232H";
    case FtdiChipType::kFt4232H:
      return "FT4232H";
    case FtdiChipType::kNoMpsse:
      return "FTDI chip without MPSSE";
    case FtdiChipType::kUnknown:
      break;
  }
  return "unknown FTDI chip";
}

uint8_t FtdiInterfaceCount(FtdiChipType type) {
  switch (type) {
    case FtdiChipType::kFt232H:
      return 1;
    case FtdiChipType::kFt2232C:
    case FtdiChipType::kFt2232H:
      return 2;
    case FtdiChipType::kFt4232H:
      return 4;
    case FtdiChipType::kNoMpsse:
    case FtdiChipType::kUnknown:
      break;
  }
  return 0;
}

bool FtdiInterfaceHasMpsse(FtdiChipType type, uint8_t interface) {
  switch (type) {
    case FtdiChipType::kFt232H:
      return interface == 1;
    case FtdiChipType::kFt2232C:
    case FtdiChipType::kFt2232H:
    case FtdiChipType::kFt4232H:  // C and D are UART/bit-bang only.
      return interface == 1 || interface == 2;
    case FtdiChipType::kNoMpsse:
    case FtdiChipType::kUnknown:
      break;
  }
  return false;
}

bool FtdiIsHighSpeed(FtdiChipType type) {
  return type == FtdiChipType::kFt232H || type == FtdiChipType::kFt2232H ||
         type == FtdiChipType::kFt4232H;
}

}  // namespace flashrig::driver
