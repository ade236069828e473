// The SFDP container (JESD216): the 8-byte SFDP header at address 0 and the 8-byte
// parameter headers after it, each naming one parameter table by ID, revision, length
// and pointer. Also the IDs of the standard tables and their names.
#pragma once

#include <cstdint>
#include <string>

namespace flashrig::driver {

inline constexpr uint32_t kSfdpHeaderBytes = 8;
inline constexpr uint32_t kSfdpParameterHeaderBytes = 8;
// No SFDP reader here looks past this many bytes (Linux caps its sysfs dump there too).
inline constexpr uint32_t kSfdpMaxBytes = 4096;

// Parameter table IDs (ID MSB << 8 | ID LSB). MSB FFh = JEDEC-defined; otherwise the LSB
// is a JEP106 manufacturer code and the MSB its bank number.
inline constexpr uint16_t kSfdpBfptId = 0xFF00;           // Basic Flash Parameter Table
inline constexpr uint16_t kSfdpRpmcId = 0xFF03;           // Replay-protected monotonic counters
inline constexpr uint16_t kSfdpXspiProfile1Id = 0xFF05;   // eXtended SPI profile 1.0
inline constexpr uint16_t kSfdpXspiProfile2Id = 0xFF06;   // eXtended SPI profile 2.0
inline constexpr uint16_t kSfdpSccrProfile2Id = 0xFF09;   // SCCR map for xSPI profile 2.0
inline constexpr uint16_t kSfdpOctalDdrSeqId = 0xFF0A;    // Command sequences to 8D-8D-8D
inline constexpr uint16_t kSfdpX4QuadDsId = 0xFF0C;       // x4 quad I/O with DS
inline constexpr uint16_t kSfdpSectorMapId = 0xFF81;      // Sector map
inline constexpr uint16_t kSfdpFourByteId = 0xFF84;       // 4-byte address instruction table
inline constexpr uint16_t kSfdpSccrId = 0xFF87;           // Status, control and config registers
inline constexpr uint16_t kSfdpSccrMultiChipId = 0xFF88;  // SCCR offsets of further dice
inline constexpr uint16_t kSfdpMsptId = 0xFF8B;           // Multi-chip select parameter table
inline constexpr uint16_t kSfdpQuadDdrSeqId = 0xFF8D;     // Command sequences to 4S-4D-4D
inline constexpr uint16_t kSfdpSecurityId = 0xFF8E;       // Security read/write

// Bytes 0-7: "SFDP", minor revision, major revision, NPH (header count - 1), access
// protocol (FFh = legacy 5Ah, 3-byte address, 8 dummy clocks).
struct SfdpHeader {
  uint8_t minor = 0;
  uint8_t major = 0;
  uint8_t nph = 0;
  uint8_t access_protocol = 0xFF;
  uint32_t parameter_headers() const { return uint32_t{nph} + 1; }
};

// One parameter header (8 bytes at `offset`).
struct SfdpParameterHeader {
  uint32_t index = 0;   // 0 = the first (the BFPT's).
  uint32_t offset = 0;  // Where the header itself sits: 8 + 8 * index.
  uint16_t id = 0;
  uint8_t minor = 0;
  uint8_t major = 0;
  uint32_t dwords = 0;   // Table length in DWORDs (byte 3).
  uint32_t pointer = 0;  // Table byte address (bytes 4-6, 24-bit little-endian).
  uint64_t end() const { return uint64_t{pointer} + uint64_t{dwords} * 4; }
};

// "BFPT", "4-byte address instruction table", "vendor table (JEP106 bank 2, code 9Dh)".
std::string SfdpTableName(uint16_t id);

}  // namespace flashrig::driver
