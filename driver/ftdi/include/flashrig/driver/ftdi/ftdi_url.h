// FTDI device URLs in the pyftdi style, and picking the one attached device a URL means:
//   ftdi://[vendor[:product[:serial|:index]]]/interface
//   ftdi://ftdi:232h/1   ftdi://0403:6010:FT4ABC12/2   ftdi://ftdi:2232h:1/1   ftdi:///1
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/ftdi/ftdi_port.h"

namespace flashrig::driver {

inline constexpr uint16_t kFtdiVendorId = 0x0403;
inline constexpr uint16_t kFt2232ProductId = 0x6010;  // FT2232C/D and FT2232H.
inline constexpr uint16_t kFt4232hProductId = 0x6011;
inline constexpr uint16_t kFt232hProductId = 0x6014;

struct FtdiUrl {
  std::optional<uint16_t> vendor_id{};   // Absent: any FTDI vendor ID.
  std::optional<uint16_t> product_id{};  // Absent: any MPSSE-capable product.
  std::string serial{};                  // Empty: any serial.
  std::optional<uint32_t> index{};       // Nth (0-based) device matching vendor/product.
  uint8_t interface = 1;                 // 1 = A ... 4 = D.
};

// Parses a URL. Vendor: "ftdi" or hex ("0403", "0x0403"); product: "232h", "2232h",
// "2232", "4232h" (with or without an "ft" prefix) or hex; the third field is an index
// if it is 1-3 decimal digits, else a serial number. Interface 1-4.
// On kInvalidArgument, *error (if given) says what is wrong and where.
Result<FtdiUrl> ParseFtdiUrl(std::string_view url, std::string* error = nullptr);

// The canonical URL of an attached device: "ftdi://ftdi:232h:FT1ABCDE/1" when the serial
// is readable and reads back as a serial (printable, no ':' or '/', not 1-3 digits),
// else "ftdi://ftdi:232h:<index>/1" with its index among same-ID devices. A hex product
// ID that spells a product name is written "0x2232". ParseFtdiUrl reads it back.
std::string FormatFtdiUrl(const FtdiDeviceInfo& device, uint32_t index, uint8_t interface);

// Canonical URLs for every MPSSE interface of every listed device, in list order; by
// index where two same-ID devices share a serial. Each resolves to its own device.
std::vector<std::string> FtdiDeviceUrls(std::span<const FtdiDeviceInfo> devices);

// Picks the device `url` names among `attached`.
//   kOk
//   kNotFound         nothing matches (*error lists what is attached, or says none is)
//   kInvalidArgument  several match and the URL names no serial or index, or the
//                     interface does not exist / has no MPSSE on the chip
Result<FtdiOpenRequest> ResolveFtdiUrl(const FtdiUrl& url, std::span<const FtdiDeviceInfo> attached,
                                       std::string* error = nullptr);

}  // namespace flashrig::driver
