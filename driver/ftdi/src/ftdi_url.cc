// Parsing pyftdi-style ftdi:// URLs and resolving them against the attached devices.
#include "flashrig/driver/ftdi/ftdi_url.h"

#include <cctype>
#include <charconv>
#include <string>
#include <vector>

namespace flashrig::driver {
namespace {

constexpr std::string_view kScheme = "ftdi://";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint16_t> ParseHex16(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 4) return std::nullopt;
  uint16_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<uint16_t> ParseVendor(std::string_view s) {
  if (Lower(s) == "ftdi") return kFtdiVendorId;
  return ParseHex16(s);
}

std::optional<uint16_t> ParseProduct(std::string_view s) {
  std::string name = Lower(s);
  if (name.rfind("ft", 0) == 0) name.erase(0, 2);
  if (name == "232h") return kFt232hProductId;
  if (name == "2232h" || name == "2232" || name == "2232d" || name == "2232c") {
    return kFt2232ProductId;
  }
  if (name == "4232h" || name == "4232") return kFt4232hProductId;
  return ParseHex16(s);
}

Result<FtdiUrl> Fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return Status::InvalidArgument();
}

std::string Hex4(uint16_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(4, '0');
  for (int i = 3; i >= 0; --i, v = static_cast<uint16_t>(v >> 4)) out[i] = kDigits[v & 0xF];
  return out;
}

// Whether ParseFtdiUrl reads `serial` back as this serial: printable, no ':' or '/', and
// not 1-3 digits (those are read as an index).
bool SerialRoundTrips(const std::string& serial) {
  if (serial.empty() || (AllDigits(serial) && serial.size() <= 3)) return false;
  for (char c : serial) {
    if (c <= ' ' || c > '~' || c == ':' || c == '/') return false;
  }
  return true;
}

std::string ProductName(const FtdiDeviceInfo& d) {
  if (d.vendor_id == kFtdiVendorId) {
    switch (d.product_id) {
      case kFt232hProductId:
        return "232h";
      case kFt2232ProductId:
        return d.chip_type == FtdiChipType::kFt2232C ? "2232" : "2232h";
      case kFt4232hProductId:
        return "4232h";
      default:
        break;
    }
  }
  // "2232" and "4232" would read back as the FT2232/FT4232 names, not as hex.
  const std::string hex = Hex4(d.product_id);
  return hex == "2232" || hex == "4232" ? "0x" + hex : hex;
}

// Index of `devices[i]` among the devices with the same vendor and product ID.
uint32_t SameIdIndex(std::span<const FtdiDeviceInfo> devices, size_t i) {
  uint32_t index = 0;
  for (size_t j = 0; j < i; ++j) {
    if (devices[j].vendor_id == devices[i].vendor_id &&
        devices[j].product_id == devices[i].product_id) {
      ++index;
    }
  }
  return index;
}

// The canonical URL of devices[i]: by serial if that names it alone, else by index.
std::string CanonicalUrl(std::span<const FtdiDeviceInfo> devices, size_t i, uint8_t interface) {
  FtdiDeviceInfo d = devices[i];
  for (size_t j = 0; j < devices.size(); ++j) {
    if (j != i && devices[j].vendor_id == d.vendor_id && devices[j].product_id == d.product_id &&
        devices[j].strings_readable && devices[j].serial == d.serial) {
      d.strings_readable = false;  // Two devices share the serial: only the index tells.
    }
  }
  return FormatFtdiUrl(d, SameIdIndex(devices, i), interface);
}

std::string Describe(const FtdiDeviceInfo& d, const std::string& url) {
  std::string s = url + " (" + FtdiChipTypeName(d.chip_type) + ", bus " + std::to_string(d.bus) +
                  " address " + std::to_string(d.address);
  if (!d.strings_readable) s += ", strings unreadable: no permission?";
  return s + ")";
}

std::string AttachedList(std::span<const FtdiDeviceInfo> attached) {
  if (attached.empty()) {
    return "no FTDI device is attached (check the cable; `lsusb -d 0403:` lists them)";
  }
  std::string s = "attached:";
  for (size_t i = 0; i < attached.size(); ++i) {
    s += "\n  " + Describe(attached[i], CanonicalUrl(attached, i, 1));
  }
  return s;
}

}  // namespace

Result<FtdiUrl> ParseFtdiUrl(std::string_view url, std::string* error) {
  // Appended piece by piece: `"'" + std::string(url) + "'"` makes GCC 12 at -O3 warn a
  // false -Wrestrict in the inlined std::string operator+ (GCC bug 105329).
  std::string quoted;
  quoted.reserve(url.size() + 2);
  quoted.append(1, '\'').append(url).append(1, '\'');
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Fail(error, "bad FTDI URL " + quoted + ": must start with ftdi://");
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) {
    return Fail(error, "bad FTDI URL " + quoted + ": missing /interface (e.g. ftdi://ftdi:232h/1)");
  }
  const std::string_view device = rest.substr(0, slash);
  const std::string_view iface = rest.substr(slash + 1);
  FtdiUrl out;
  if (iface.size() != 1 || iface[0] < '1' || iface[0] > '4') {
    return Fail(error, "bad FTDI URL " + quoted + ": interface must be 1-4 (A-D), got '" +
                           std::string(iface) + "'");
  }
  out.interface = static_cast<uint8_t>(iface[0] - '0');
  if (device.find('/') != std::string_view::npos) {
    return Fail(error, "bad FTDI URL " + quoted + ": too many '/'");
  }
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    const size_t colon = device.find(':', start);
    fields.push_back(device.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (fields.size() > 3) {
    return Fail(error, "bad FTDI URL " + quoted + ": at most vendor:product:serial before '/'");
  }
  if (!fields[0].empty()) {
    out.vendor_id = ParseVendor(fields[0]);
    if (!out.vendor_id) {
      return Fail(error, "bad FTDI URL " + quoted + ": vendor '" + std::string(fields[0]) +
                             "' is neither 'ftdi' nor a hex USB vendor ID");
    }
  }
  if (fields.size() > 1 && !fields[1].empty()) {
    out.product_id = ParseProduct(fields[1]);
    if (!out.product_id) {
      return Fail(error, "bad FTDI URL " + quoted + ": product '" + std::string(fields[1]) +
                             "' is not one of 232h, 2232h, 2232, 4232h or a hex product ID");
    }
  }
  if (fields.size() > 2) {
    const std::string_view third = fields[2];
    if (third.empty()) {
      return Fail(error, "bad FTDI URL " + quoted + ": empty serial/index after the product");
    }
    if (AllDigits(third) && third.size() <= 3) {
      out.index = static_cast<uint32_t>(std::stoul(std::string(third)));
    } else {
      out.serial = std::string(third);
    }
  }
  return out;
}

std::string FormatFtdiUrl(const FtdiDeviceInfo& device, uint32_t index, uint8_t interface) {
  const std::string vendor = device.vendor_id == kFtdiVendorId ? "ftdi" : Hex4(device.vendor_id);
  const std::string which = device.strings_readable && SerialRoundTrips(device.serial)
                                ? device.serial
                                : std::to_string(index);
  return "ftdi://" + vendor + ":" + ProductName(device) + ":" + which + "/" +
         std::to_string(interface);
}

std::vector<std::string> FtdiDeviceUrls(std::span<const FtdiDeviceInfo> devices) {
  std::vector<std::string> urls;
  for (size_t i = 0; i < devices.size(); ++i) {
    const uint8_t n = FtdiInterfaceCount(devices[i].chip_type);
    for (uint8_t iface = 1; iface <= n; ++iface) {
      if (FtdiInterfaceHasMpsse(devices[i].chip_type, iface)) {
        urls.push_back(CanonicalUrl(devices, i, iface));
      }
    }
  }
  return urls;
}

Result<FtdiOpenRequest> ResolveFtdiUrl(const FtdiUrl& url, std::span<const FtdiDeviceInfo> attached,
                                       std::string* error) {
  auto fail = [&](Status status, std::string message) -> Result<FtdiOpenRequest> {
    if (error != nullptr) *error = std::move(message);
    return status;
  };
  std::vector<size_t> matches;
  bool unreadable = false;
  for (size_t i = 0; i < attached.size(); ++i) {
    const FtdiDeviceInfo& d = attached[i];
    if (url.vendor_id && d.vendor_id != *url.vendor_id) continue;
    if (url.product_id && d.product_id != *url.product_id) continue;
    if (!url.vendor_id && !url.product_id && d.chip_type == FtdiChipType::kNoMpsse) continue;
    if (!url.serial.empty()) {
      if (!d.strings_readable) unreadable = true;
      if (d.serial != url.serial) continue;
    }
    matches.push_back(i);
  }
  if (url.index) {
    if (*url.index >= matches.size()) {
      return fail(Status::NotFound(), "no FTDI device with index " + std::to_string(*url.index) +
                                          " (" + std::to_string(matches.size()) + " match); " +
                                          AttachedList(attached));
    }
    matches = {matches[*url.index]};
  }
  if (matches.empty()) {
    std::string message = "no FTDI device matches the URL; " + AttachedList(attached);
    if (unreadable) {
      message +=
          "\nsome serial numbers could not be read: install configs/udev/"
          "99-flashrig-ftdi.rules (docs/FTDI.md) and replug";
    }
    return fail(Status::NotFound(), message);
  }
  if (matches.size() > 1) {
    return fail(Status::InvalidArgument(),
                std::to_string(matches.size()) +
                    " FTDI devices match the URL; name one by serial or index. " +
                    AttachedList(attached));
  }
  const FtdiDeviceInfo& d = attached[matches[0]];
  const uint8_t count = FtdiInterfaceCount(d.chip_type);
  if (url.interface > count) {
    return fail(Status::InvalidArgument(),
                "interface " + std::to_string(url.interface) + " does not exist on the " +
                    FtdiChipTypeName(d.chip_type) + " (it has " + std::to_string(count) +
                    (count == 1 ? " interface)" : " interfaces)"));
  }
  if (!FtdiInterfaceHasMpsse(d.chip_type, url.interface)) {
    return fail(Status::InvalidArgument(),
                "interface " + std::to_string(url.interface) + " of the " +
                    FtdiChipTypeName(d.chip_type) +
                    " has no MPSSE engine (SPI needs interface 1 or 2 on FT2232/FT4232, "
                    "1 on FT232H)");
  }
  return FtdiOpenRequest{.vendor_id = d.vendor_id,
                         .product_id = d.product_id,
                         .bus = d.bus,
                         .address = d.address,
                         .interface = url.interface};
}

}  // namespace flashrig::driver
