// serprog wire facts: command codes, ACK/NAK, bus-type bits and each command's parameter
// layout, from the public "Serial Flasher Protocol Specification - version 1"
// (flashrom Documentation/serprog-protocol.txt). Shared by the server and the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace flashrig::driver::serprog {

// Every command is answered by kAck (+ return bytes) or kNak; SYNCNOP by kNak then kAck.
inline constexpr std::byte kAck{0x06};
inline constexpr std::byte kNak{0x15};

// The only protocol version there is; Q_IFACE returns it (16-bit little-endian).
inline constexpr uint16_t kInterfaceVersion = 1;

// Q_PGMNAME returns exactly this many bytes, NUL-padded (not necessarily NUL-terminated).
inline constexpr size_t kProgrammerNameBytes = 16;
// Q_CMDMAP returns a 256-bit map: command c is supported iff byte c/8 has bit c%8 set.
inline constexpr size_t kCommandMapBytes = 32;
// Lengths and addresses on the wire are 24-bit little-endian; 0 in Q_WRNMAXLEN /
// Q_RDNMAXLEN means 2^24.
inline constexpr uint32_t kMaxLength24 = (1u << 24) - 1;

// Bus-type bits of Q_BUSTYPE / S_BUSTYPE (the same as flashrom's chipbustype).
inline constexpr uint8_t kBusParallel = 1u << 0;
inline constexpr uint8_t kBusLpc = 1u << 1;
inline constexpr uint8_t kBusFwh = 1u << 2;
inline constexpr uint8_t kBusSpi = 1u << 3;

enum class Command : uint8_t {
  kNop = 0x00,         // -> ACK
  kQIface = 0x01,      // -> ACK + u16 interface version
  kQCmdMap = 0x02,     // -> ACK + 32-byte command bitmap
  kQPgmName = 0x03,    // -> ACK + 16-byte name
  kQSerBuf = 0x04,     // -> ACK + u16 serial buffer size
  kQBusType = 0x05,    // -> ACK + u8 bus bits
  kQChipSize = 0x06,   // parallel only
  kQOpBuf = 0x07,      // parallel only: operation buffer size
  kQWrnMaxLen = 0x08,  // -> ACK + u24 max write length (SPI: max O_SPIOP slen)
  kRByte = 0x09,       // u24 addr (parallel)
  kRNBytes = 0x0A,     // u24 addr + u24 len (parallel)
  kOInit = 0x0B,       // parallel operation buffer
  kOWriteB = 0x0C,     // u24 addr + u8 byte
  kOWriteN = 0x0D,     // u24 len + u24 addr + len bytes
  kODelay = 0x0E,      // u32 microseconds
  kOExec = 0x0F,
  kSyncNop = 0x10,     // -> NAK + ACK
  kQRdnMaxLen = 0x11,  // -> ACK + u24 max read length (SPI: max O_SPIOP rlen)
  kSBusType = 0x12,    // u8 bus bits -> ACK / NAK
  kOSpiOp = 0x13,      // u24 slen + u24 rlen + slen bytes -> ACK + rlen bytes / NAK
  kSSpiFreq = 0x14,    // u32 requested Hz (0 is invalid) -> ACK + u32 chosen Hz / NAK
  kSPinState = 0x15,   // u8 (0 = drivers off, else on) -> ACK / NAK
};

// Highest command code the version-1 specification defines.
inline constexpr uint8_t kLastDefinedCommand = 0x15;

// The fixed parameter bytes that follow `opcode` (O_SPIOP: 6, O_WRITEN: 6), not counting
// the variable data whose length sits inside those parameters. nullopt: not a command of
// the specification (a server answers it with a lone NAK).
std::optional<uint32_t> FixedParamBytes(uint8_t opcode);

// Length of the variable data that follows the fixed parameters of `opcode` (O_SPIOP:
// slen, O_WRITEN: len; 0 for every other command).
// REQUIRES: params.size() == *FixedParamBytes(opcode).
uint32_t TrailingDataBytes(uint8_t opcode, std::span<const std::byte> params);

// "O_SPIOP", "Q_IFACE", ...; "unknown" for codes outside the specification.
const char* CommandName(uint8_t opcode);

// Little-endian helpers for the 8/16/24/32-bit wire fields.
// REQUIRES: `in` holds at least `bytes` bytes; `bytes` <= 4.
uint32_t LoadLe(std::span<const std::byte> in, size_t bytes);
// Writes the low `bytes` bytes of `value`; REQUIRES: out.size() >= bytes, bytes <= 4.
void StoreLe(uint32_t value, std::span<std::byte> out, size_t bytes);

// Sets the bit for `command` in a Q_CMDMAP bitmap / tests it.
void SetCommandBit(std::span<std::byte, kCommandMapBytes> map, Command command);
bool HasCommandBit(std::span<const std::byte, kCommandMapBytes> map, Command command);

}  // namespace flashrig::driver::serprog
