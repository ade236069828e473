// serprog wire facts: parameter lengths, names and little-endian field helpers.
#include "flashrig/driver/serprog/serprog_protocol.h"

namespace flashrig::driver::serprog {

std::optional<uint32_t> FixedParamBytes(uint8_t opcode) {
  switch (static_cast<Command>(opcode)) {
    case Command::kNop:
    case Command::kQIface:
    case Command::kQCmdMap:
    case Command::kQPgmName:
    case Command::kQSerBuf:
    case Command::kQBusType:
    case Command::kQChipSize:
    case Command::kQOpBuf:
    case Command::kQWrnMaxLen:
    case Command::kOInit:
    case Command::kOExec:
    case Command::kSyncNop:
    case Command::kQRdnMaxLen:
      return 0;
    case Command::kRByte:
      return 3;
    case Command::kRNBytes:
      return 6;
    case Command::kOWriteB:
      return 4;
    case Command::kOWriteN:
      return 6;
    case Command::kODelay:
      return 4;
    case Command::kSBusType:
      return 1;
    case Command::kOSpiOp:
      return 6;
    case Command::kSSpiFreq:
      return 4;
    case Command::kSPinState:
      return 1;
  }
  return std::nullopt;
}

uint32_t TrailingDataBytes(uint8_t opcode, std::span<const std::byte> params) {
  // Both variable-length commands carry their data length in the first 24-bit field.
  const auto command = static_cast<Command>(opcode);
  if ((command == Command::kOSpiOp || command == Command::kOWriteN) && params.size() >= 3) {
    return LoadLe(params, 3);
  }
  return 0;
}

const char* CommandName(uint8_t opcode) {
  switch (static_cast<Command>(opcode)) {
    case Command::kNop:
      return "NOP";
    case Command::kQIface:
      return "Q_IFACE";
    case Command::kQCmdMap:
      return "Q_CMDMAP";
    case Command::kQPgmName:
      return "Q_PGMNAME";
    case Command::kQSerBuf:
      return "Q_SERBUF";
    case Command::kQBusType:
      return "Q_BUSTYPE";
    case Command::kQChipSize:
      return "Q_CHIPSIZE";
    case Command::kQOpBuf:
      return "Q_OPBUF";
    case Command::kQWrnMaxLen:
      return "Q_WRNMAXLEN";
    case Command::kRByte:
      return "R_BYTE";
    case Command::kRNBytes:
      return "R_NBYTES";
    case Command::kOInit:
      return "O_INIT";
    case Command::kOWriteB:
      return "O_WRITEB";
    case Command::kOWriteN:
      return "O_WRITEN";
    case Command::kODelay:
      return "O_DELAY";
    case Command::kOExec:
      return "O_EXEC";
    case Command::kSyncNop:
      return "SYNCNOP";
    case Command::kQRdnMaxLen:
      return "Q_RDNMAXLEN";
    case Command::kSBusType:
      return "S_BUSTYPE";
    case Command::kOSpiOp:
      return "O_SPIOP";
    case Command::kSSpiFreq:
      return "S_SPI_FREQ";
    case Command::kSPinState:
      return "S_PIN_STATE";
  }
  return "unknown";
}

uint32_t LoadLe(std::span<const std::byte> in, size_t bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < bytes && i < 4 && i < in.size(); ++i) {
    value |= static_cast<uint32_t>(in[i]) << (8 * i);
  }
  return value;
}

void StoreLe(uint32_t value, std::span<std::byte> out, size_t bytes) {
  for (size_t i = 0; i < bytes && i < 4 && i < out.size(); ++i) {
    out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
  }
}

void SetCommandBit(std::span<std::byte, kCommandMapBytes> map, Command command) {
  const auto code = static_cast<uint8_t>(command);
  map[code / 8] |= std::byte{static_cast<uint8_t>(1u << (code % 8))};
}

bool HasCommandBit(std::span<const std::byte, kCommandMapBytes> map, Command command) {
  const auto code = static_cast<uint8_t>(command);
  return (map[code / 8] & std::byte{static_cast<uint8_t>(1u << (code % 8))}) != std::byte{0};
}

}  // namespace flashrig::driver::serprog
