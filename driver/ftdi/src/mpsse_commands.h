// MPSSE opcodes and constants (FTDI AN_108 "Command Processor for MPSSE and MCU Host Bus
// Emulation Modes"), shared by the stream builder and the emulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace flashrig::driver::mpsse {

// Data shifting: every opcode below 80h is a shift, decoded by its bit fields. Set bits:
inline constexpr uint8_t kShiftOutFalling = 0x01;  // DO changes on the falling edge.
inline constexpr uint8_t kShiftBitMode = 0x02;     // Length 0-7 = 1-8 bits, one byte.
inline constexpr uint8_t kShiftInFalling = 0x04;   // DI sampled on the falling edge.
inline constexpr uint8_t kShiftLsbFirst = 0x08;
inline constexpr uint8_t kShiftWritesDo = 0x10;   // Data bytes follow, clocked out on DO.
inline constexpr uint8_t kShiftReadsDi = 0x20;    // DI is read back to the host.
inline constexpr uint8_t kShiftWritesTms = 0x40;  // TMS (ADBUS3) clocking, bit form.

// Data shifting, MSB first. Length is N-1 as two bytes (LL HH); bit variants take N-1 in
// one byte. "-ve" = data changes on the falling edge (SPI mode 0 writes).
inline constexpr uint8_t kWriteBytesFalling = 0x11;  // 11h LL HH data...
inline constexpr uint8_t kWriteBitsFalling = 0x13;   // 13h L data
inline constexpr uint8_t kReadBytesRising = 0x20;    // 20h LL HH
inline constexpr uint8_t kReadBitsRising = 0x22;     // 22h L
inline constexpr uint8_t kExchangeBytes = 0x31;      // 31h LL HH data (out -ve, in +ve)
inline constexpr uint8_t kExchangeBits = 0x33;       // 33h L data

// GPIO.
inline constexpr uint8_t kSetLowByte = 0x80;   // 80h value direction (ADBUS)
inline constexpr uint8_t kGetLowByte = 0x81;   // -> one byte
inline constexpr uint8_t kSetHighByte = 0x82;  // 82h value direction (ACBUS)
inline constexpr uint8_t kGetHighByte = 0x83;  // -> one byte

// Clocking and engine control.
inline constexpr uint8_t kLoopbackOn = 0x84;
inline constexpr uint8_t kLoopbackOff = 0x85;
inline constexpr uint8_t kSetDivisor = 0x86;  // 86h LL HH
inline constexpr uint8_t kSendImmediate = 0x87;
inline constexpr uint8_t kWaitGpioHigh = 0x88;
inline constexpr uint8_t kWaitGpioLow = 0x89;
// H-series only from here.
inline constexpr uint8_t kDivideBy5Off = 0x8A;
inline constexpr uint8_t kDivideBy5On = 0x8B;
inline constexpr uint8_t kThreePhaseOn = 0x8C;
inline constexpr uint8_t kThreePhaseOff = 0x8D;
inline constexpr uint8_t kClockBits = 0x8E;   // 8Eh n: n+1 clocks, no data
inline constexpr uint8_t kClockBytes = 0x8F;  // 8Fh LL HH: (n+1)*8 clocks, no data
inline constexpr uint8_t kClockUntilGpioHigh = 0x94;
inline constexpr uint8_t kClockUntilGpioLow = 0x95;
inline constexpr uint8_t kAdaptiveOn = 0x96;
inline constexpr uint8_t kAdaptiveOff = 0x97;
inline constexpr uint8_t kClockBytesOrGpioHigh = 0x9C;  // 9Ch LL HH
inline constexpr uint8_t kClockBytesOrGpioLow = 0x9D;   // 9Dh LL HH
inline constexpr uint8_t kDriveZero = 0x9E;             // 9Eh LL HH, FT232H only

// An opcode the engine does not know is answered with kBadCommand then the opcode.
inline constexpr uint8_t kBadCommand = 0xFA;
inline constexpr uint8_t kSyncOpcode = 0xAA;  // Deliberately invalid, used to align.

inline constexpr size_t kMaxBytesPerCommand = 65536;  // Length field N-1 is 16 bits.

// Pins fixed by the engine on ADBUS.
inline constexpr uint8_t kPinSck = 0x01;
inline constexpr uint8_t kPinMosi = 0x02;
inline constexpr uint8_t kPinMiso = 0x04;
inline constexpr uint8_t kPinTms = 0x08;  // ADBUS3: TMS, usually CS#.
inline constexpr int kGpiol1Pin = 5;      // ADBUS5: what 88h/89h/94h/95h/9Ch/9Dh watch.

// Base clocks: 60 MHz with divide-by-5 off (H series), 12 MHz otherwise.
inline constexpr uint32_t kBaseClockHighSpeedHz = 60'000'000;
inline constexpr uint32_t kBaseClockFullSpeedHz = 12'000'000;

// SCK = base / ((1 + divisor) * 2).
constexpr uint32_t SckHz(uint32_t base_hz, uint16_t divisor) {
  return base_hz / ((1u + divisor) * 2u);
}

// "A5h", for messages.
inline std::string Hex(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02Xh", v);
  return buf;
}

}  // namespace flashrig::driver::mpsse
