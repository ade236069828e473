// The configuration EEPROM of an emulated FTDI H chip: a 93C56 (256 bytes, 128 words)
// programmed in the layout libftdi's ftdi_eeprom_decode and pyftdi's FtdiEeprom read:
// VID/PID/release at 02h-07h, power at 08h-09h, the string table at 0Eh-13h pointing at
// the strings stored as USB string descriptors, the EEPROM type byte, and the checksum in
// the last word. Word addresses past the end alias (libftdi sizes EEPROMs that way).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "flashrig/hil/emulate/ftdi_chip_shape.h"

namespace flashrig::hil {

class FtdiEeprom {
 public:
  static constexpr size_t kBytes = 256;

  // Erased (all FFFFh, as a blank part reads).
  FtdiEeprom() { bytes_.fill(0xFF); }
  // Programmed for `shape` with `strings`, checksum included. Strings too long for the
  // string area are cut (the descriptors report the same cut strings).
  static FtdiEeprom Programmed(const FtdiChipShape& shape, const UsbStrings& strings);

  // SIO 90h/91h/92h. `address` is a word address.
  uint16_t ReadWord(uint16_t address) const;
  void WriteWord(uint16_t address, uint16_t value);
  void Erase() { bytes_.fill(0xFF); }

  std::span<const uint8_t> bytes() const { return bytes_; }
  // The FTDI checksum over every word but the last (start AAAAh; xor, rotate left).
  static uint16_t Checksum(std::span<const uint8_t> bytes);
  bool checksum_ok() const;

 private:
  std::array<uint8_t, kBytes> bytes_{};
};

}  // namespace flashrig::hil
