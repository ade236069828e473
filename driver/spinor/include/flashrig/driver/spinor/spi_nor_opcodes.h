// SPI NOR command opcodes and status-register bits shared by the driver and the simulated
// chip (JEDEC common command set; vendor datasheets for the suspend/4-byte variants).
#pragma once

#include <cstdint>

namespace flashrig::driver::spi_nor {

// --- Opcodes (single I/O) ---------------------------------------------------------------
inline constexpr uint8_t kWriteStatus1 = 0x01;  // WRSR: SR1 (then SR2 / CR) bytes.
inline constexpr uint8_t kPageProgram = 0x02;
inline constexpr uint8_t kRead = 0x03;
inline constexpr uint8_t kWriteDisable = 0x04;
inline constexpr uint8_t kReadStatus1 = 0x05;
inline constexpr uint8_t kWriteEnable = 0x06;
inline constexpr uint8_t kFastRead = 0x0B;
inline constexpr uint8_t kFastRead4B = 0x0C;
inline constexpr uint8_t kWriteStatus3 = 0x11;
inline constexpr uint8_t kPageProgram4B = 0x12;
inline constexpr uint8_t kRead4B = 0x13;
inline constexpr uint8_t kReadStatus3 = 0x15;  // Winbond SR3; Macronix config register.
inline constexpr uint8_t kSectorErase4K = 0x20;
inline constexpr uint8_t kSectorErase4K4B = 0x21;
inline constexpr uint8_t kResumeMacronix = 0x30;
inline constexpr uint8_t kWriteStatus2 = 0x31;
inline constexpr uint8_t kReadStatus2 = 0x35;
inline constexpr uint8_t kUniqueId = 0x4B;
inline constexpr uint8_t kVolatileSrWriteEnable = 0x50;
inline constexpr uint8_t kBlockErase32K = 0x52;
inline constexpr uint8_t kReadSfdp = 0x5A;
inline constexpr uint8_t kBlockErase32K4B = 0x5C;
inline constexpr uint8_t kChipErase60 = 0x60;
inline constexpr uint8_t kResetEnable = 0x66;
inline constexpr uint8_t kSuspendWinbond = 0x75;
inline constexpr uint8_t kResumeWinbond = 0x7A;
inline constexpr uint8_t kReadJedecId = 0x9F;
inline constexpr uint8_t kReset = 0x99;
inline constexpr uint8_t kReleasePowerDown = 0xAB;
inline constexpr uint8_t kSuspendMacronix = 0xB0;
inline constexpr uint8_t kEnter4ByteMode = 0xB7;
inline constexpr uint8_t kDeepPowerDown = 0xB9;
inline constexpr uint8_t kChipEraseC7 = 0xC7;
inline constexpr uint8_t kBlockErase64K = 0xD8;
inline constexpr uint8_t kBlockErase64K4B = 0xDC;
inline constexpr uint8_t kExit4ByteMode = 0xE9;

// The 4-byte-address opcode that replaces a 3-byte one (as Linux's spi-nor core maps
// them); 0 if there is none.
constexpr uint8_t To4ByteOpcode(uint8_t opcode) {
  switch (opcode) {
    case kRead:
      return kRead4B;
    case kFastRead:
      return kFastRead4B;
    case kPageProgram:
      return kPageProgram4B;
    case kSectorErase4K:
      return kSectorErase4K4B;
    case kBlockErase32K:
      return kBlockErase32K4B;
    case kBlockErase64K:
      return kBlockErase64K4B;
    default:
      return 0;
  }
}

// --- Status register 1 ------------------------------------------------------------------
inline constexpr uint8_t kStatusWip = 0x01;  // Write/erase in progress (BUSY).
inline constexpr uint8_t kStatusWel = 0x02;  // Write enable latch.
inline constexpr uint8_t kStatusSrp = 0x80;  // Status register protect (with WP#).

// Dummy clocks after the address of FAST_READ and READ_SFDP.
inline constexpr uint32_t kFastReadDummyClocks = 8;

}  // namespace flashrig::driver::spi_nor
