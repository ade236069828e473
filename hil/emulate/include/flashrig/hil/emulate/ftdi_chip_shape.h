// What an FT232H, FT2232H or FT4232H looks like on USB: IDs, bcdDevice (which libftdi,
// flashrom and pyftdi identify the chip by), interfaces and their bulk endpoints, the
// built-in product names, and the standard descriptors built from them (USB 2.0
// chapter 9; values from the FTDI datasheets as libftdi and pyftdi read them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_port.h"

namespace flashrig::hil {

struct FtdiChipShape {
  driver::FtdiChipType type = driver::FtdiChipType::kUnknown;
  const char* name = "";  // As --ftdi and URLs spell it: "232h", "2232h", "4232h".
  uint16_t product_id = 0;
  uint16_t bcd_device = 0;
  uint8_t interfaces = 0;          // A = 0 ... D = 3.
  const char* product = "";        // Built-in product string ("Single RS232-HS", ...).
  const char* flashrom_type = "";  // ft2232_spi's type= ("232H", "2232H", "4232H").
};

// The three emulated shapes, in the order above.
const std::vector<FtdiChipShape>& FtdiChipShapes();
// By name ("232h", "ft2232h", case-insensitive); nullptr if unknown.
const FtdiChipShape* FindFtdiChipShape(std::string_view name);

// The strings the device reports (string descriptors 1-3; serial "" = none).
struct UsbStrings {
  std::string manufacturer = "FTDI";
  std::string product{};
  std::string serial{};
};

// Bulk endpoints of interface `index` (0 = A): IN 81h, 83h, 85h, 87h; OUT 02h, 04h...
constexpr uint8_t BulkInEndpoint(uint8_t index) { return static_cast<uint8_t>(0x81 + 2 * index); }
constexpr uint8_t BulkOutEndpoint(uint8_t index) { return static_cast<uint8_t>(0x02 + 2 * index); }
inline constexpr int kHighSpeedBulkPacketBytes = 512;
inline constexpr uint8_t kMaxPowerUnits = 45;  // bMaxPower in 2 mA units: 90 mA.

// Standard descriptors. iSerialNumber is 3, or 0 when the device has no serial string.
std::vector<uint8_t> DeviceDescriptor(const FtdiChipShape& shape, bool has_serial);
// Configuration 1 with one vendor-class interface per channel; type 2, or 7 for the
// other-speed configuration (full speed: 64-byte packets).
std::vector<uint8_t> ConfigurationDescriptor(const FtdiChipShape& shape, bool other_speed = false);
std::vector<uint8_t> DeviceQualifierDescriptor();
std::vector<uint8_t> StringDescriptor(std::string_view ascii);

}  // namespace flashrig::hil
