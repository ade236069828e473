// The 93C56 configuration EEPROM: programmed layout, word access, checksum.
#include "flashrig/hil/emulate/ftdi_eeprom.h"

#include <string>

#include "flashrig/driver/ftdi/ftdi_url.h"

namespace flashrig::hil {
namespace {

// Where the string area starts and where the EEPROM type byte sits, per chip (the
// offsets FTDI's tools use; pyftdi's FtdiEeprom has the same table).
struct Layout {
  uint8_t strings;
  uint8_t chip_type;
};

Layout LayoutOf(driver::FtdiChipType type) {
  return type == driver::FtdiChipType::kFt232H ? Layout{0xA0, 0x1E} : Layout{0x9A, 0x18};
}

constexpr uint8_t kEeprom93c56 = 0x56;
constexpr uint8_t kUseSerial = 0x08;  // 0Ah bit 3: report the serial number string.

}  // namespace

FtdiEeprom FtdiEeprom::Programmed(const FtdiChipShape& shape, const UsbStrings& strings) {
  FtdiEeprom e;
  auto& b = e.bytes_;
  b.fill(0x00);
  auto put16 = [&b](size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v & 0xFF);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
  };
  put16(0x02, driver::kFtdiVendorId);
  put16(0x04, shape.product_id);
  put16(0x06, shape.bcd_device);
  b[0x08] = 0x80;  // Bus powered, no remote wakeup.
  b[0x09] = kMaxPowerUnits;
  b[0x0A] = strings.serial.empty() ? 0 : kUseSerial;
  put16(0x0C, 0x0200);  // USB 2.00.
  const Layout layout = LayoutOf(shape.type);
  b[layout.chip_type] = kEeprom93c56;
  size_t at = layout.strings;
  const std::string* fields[] = {&strings.manufacturer, &strings.product, &strings.serial};
  for (size_t i = 0; i < 3; ++i) {
    // Room left before the checksum word, in characters.
    const size_t room = at + 2 < kBytes - 2 ? (kBytes - 2 - at - 2) / 2 : 0;
    const std::vector<uint8_t> d = StringDescriptor(fields[i]->substr(0, room));
    b[0x0E + 2 * i] = static_cast<uint8_t>(at);  // Offset (>= 80h, as libftdi stores it).
    b[0x0F + 2 * i] = d[0];                      // Length in bytes, descriptor header included.
    std::copy(d.begin(), d.end(), b.begin() + static_cast<ptrdiff_t>(at));
    at += d.size();
  }
  put16(kBytes - 2, Checksum(b));
  return e;
}

uint16_t FtdiEeprom::ReadWord(uint16_t address) const {
  const size_t at = 2 * (address % (kBytes / 2));
  return static_cast<uint16_t>(bytes_[at] | (bytes_[at + 1] << 8));
}

void FtdiEeprom::WriteWord(uint16_t address, uint16_t value) {
  const size_t at = 2 * (address % (kBytes / 2));
  bytes_[at] = static_cast<uint8_t>(value & 0xFF);
  bytes_[at + 1] = static_cast<uint8_t>(value >> 8);
}

uint16_t FtdiEeprom::Checksum(std::span<const uint8_t> bytes) {
  uint16_t sum = 0xAAAA;
  for (size_t i = 0; i + 2 < bytes.size(); i += 2) {
    sum = static_cast<uint16_t>(sum ^ (bytes[i] | (bytes[i + 1] << 8)));
    sum = static_cast<uint16_t>((sum << 1) | (sum >> 15));
  }
  return sum;
}

bool FtdiEeprom::checksum_ok() const { return ReadWord(kBytes / 2 - 1) == Checksum(bytes_); }

}  // namespace flashrig::hil
