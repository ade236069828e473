// The FT232H/FT2232H/FT4232H shapes and their descriptors.
#include "flashrig/hil/emulate/ftdi_chip_shape.h"

#include <algorithm>
#include <cctype>

#include "flashrig/driver/ftdi/ftdi_url.h"

namespace flashrig::hil {
namespace {

void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x & 0xFF));
  v.push_back(static_cast<uint8_t>(x >> 8));
}

}  // namespace

const std::vector<FtdiChipShape>& FtdiChipShapes() {
  using driver::FtdiChipType;
  static const std::vector<FtdiChipShape> shapes = {
      {FtdiChipType::kFt232H, "232h", driver::kFt232hProductId, 0x0900, 1, "Single RS232-HS",
       "232H"},
      {FtdiChipType::kFt2232H, "2232h", driver::kFt2232ProductId, 0x0700, 2, "Dual RS232-HS",
       "2232H"},
      {FtdiChipType::kFt4232H, "4232h", driver::kFt4232hProductId, 0x0800, 4, "Quad RS232-HS",
       "4232H"},
  };
  return shapes;
}

const FtdiChipShape* FindFtdiChipShape(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("ft")) lower = lower.substr(2);
  for (const FtdiChipShape& s : FtdiChipShapes()) {
    if (lower == s.name) return &s;
  }
  return nullptr;
}

std::vector<uint8_t> DeviceDescriptor(const FtdiChipShape& shape, bool has_serial) {
  std::vector<uint8_t> d = {18, 0x01};  // bLength, DEVICE.
  Put16(d, 0x0200);                     // bcdUSB 2.00.
  d.insert(d.end(), {0, 0, 0, 64});     // Class per interface; bMaxPacketSize0 64.
  Put16(d, driver::kFtdiVendorId);
  Put16(d, shape.product_id);
  Put16(d, shape.bcd_device);
  // iManufacturer, iProduct, iSerialNumber, bNumConfigurations.
  d.insert(d.end(), {1, 2, static_cast<uint8_t>(has_serial ? 3 : 0), 1});
  return d;
}

std::vector<uint8_t> ConfigurationDescriptor(const FtdiChipShape& shape, bool other_speed) {
  const uint16_t packet = other_speed ? 64 : kHighSpeedBulkPacketBytes;
  std::vector<uint8_t> c = {9, static_cast<uint8_t>(other_speed ? 0x07 : 0x02)};
  Put16(c, static_cast<uint16_t>(9 + shape.interfaces * (9 + 7 + 7)));  // wTotalLength.
  // bNumInterfaces, bConfigurationValue 1, no string, bus powered, bMaxPower.
  c.insert(c.end(), {shape.interfaces, 1, 0, 0x80, kMaxPowerUnits});
  for (uint8_t i = 0; i < shape.interfaces; ++i) {
    // INTERFACE i, alternate 0, 2 endpoints, vendor class FF/FF/FF, iInterface = product.
    c.insert(c.end(), {9, 0x04, i, 0, 2, 0xFF, 0xFF, 0xFF, 2});
    c.insert(c.end(), {7, 0x05, BulkInEndpoint(i), 0x02});  // ENDPOINT, bulk.
    Put16(c, packet);
    c.push_back(0);
    c.insert(c.end(), {7, 0x05, BulkOutEndpoint(i), 0x02});
    Put16(c, packet);
    c.push_back(0);
  }
  return c;
}

std::vector<uint8_t> DeviceQualifierDescriptor() {
  // What the device would report at the other speed: bcdUSB 2.00, class 0, EP0 64 bytes,
  // one configuration.
  return {10, 0x06, 0x00, 0x02, 0, 0, 0, 64, 1, 0};
}

std::vector<uint8_t> StringDescriptor(std::string_view ascii) {
  const size_t chars = std::min<size_t>(ascii.size(), 126);  // bLength is one byte.
  std::vector<uint8_t> d = {static_cast<uint8_t>(2 + 2 * chars), 0x03};
  for (size_t i = 0; i < chars; ++i) Put16(d, static_cast<uint8_t>(ascii[i]));  // UTF-16LE.
  return d;
}

}  // namespace flashrig::hil
