// ftdi:// URL parsing, canonical URLs, and resolving a URL against attached devices.
#include "flashrig/driver/ftdi/ftdi_url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/fake_ftdi_port.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::FakeFtdiPort;

FtdiUrl Parse(const std::string& url) {
  std::string error;
  auto r = ParseFtdiUrl(url, &error);
  EXPECT_TRUE(r.ok()) << url << ": " << error;
  return r.ok() ? *r : FtdiUrl{};
}

TEST(FtdiUrlTest, Parse_NamedVendorAndProduct) {
  const FtdiUrl u = Parse("ftdi://ftdi:232h/1");
  EXPECT_EQ(u.vendor_id, kFtdiVendorId);
  EXPECT_EQ(u.product_id, kFt232hProductId);
  EXPECT_TRUE(u.serial.empty());
  EXPECT_FALSE(u.index.has_value());
  EXPECT_EQ(u.interface, 1);
}

TEST(FtdiUrlTest, Parse_HexIdsAndSerial) {
  const FtdiUrl u = Parse("ftdi://0403:6010:FT4ABC12/2");
  EXPECT_EQ(u.vendor_id, 0x0403);
  EXPECT_EQ(u.product_id, 0x6010);
  EXPECT_EQ(u.serial, "FT4ABC12");
  EXPECT_EQ(u.interface, 2);
  EXPECT_EQ(Parse("ftdi://0x0403:0x6011/4").product_id, 0x6011);
  EXPECT_EQ(Parse("ftdi://FTDI:FT2232H/1").product_id, 0x6010);
  EXPECT_EQ(Parse("ftdi://ftdi:4232h/1").product_id, 0x6011);
}

TEST(FtdiUrlTest, Parse_ShortNumberIsIndex) {
  const FtdiUrl u = Parse("ftdi://ftdi:2232h:1/1");
  EXPECT_EQ(u.index, 1u);
  EXPECT_TRUE(u.serial.empty());
  EXPECT_EQ(Parse("ftdi://ftdi:232h:12345678/1").serial, "12345678");
}

TEST(FtdiUrlTest, Parse_EmptyDeviceMeansOnlyDevice) {
  const FtdiUrl u = Parse("ftdi:///1");
  EXPECT_FALSE(u.vendor_id.has_value());
  EXPECT_FALSE(u.product_id.has_value());
  EXPECT_EQ(u.interface, 1);
}

TEST(FtdiUrlTest, Parse_Errors_SayWhat) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"ftdi:/1", "must start with ftdi://"}, Case{"ftdi://ftdi:232h", "missing /interface"},
        Case{"ftdi://ftdi:232h/5", "interface must be 1-4"},
        Case{"ftdi://ftdi:232h/", "interface must be 1-4"},
        Case{"ftdi://ftdi:232h/1/2", "too many '/'"}, Case{"ftdi://acme:232h/1", "vendor 'acme'"},
        Case{"ftdi://ftdi:232r/1", "product '232r'"}, Case{"ftdi://ftdi:232h:/1", "empty serial"},
        Case{"ftdi://a:b:c:d/1", "at most"}}) {
    std::string error;
    auto r = ParseFtdiUrl(c.url, &error);
    EXPECT_EQ(r.status(), Status::InvalidArgument()) << c.url;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.url << " -> " << error;
  }
}

TEST(FtdiUrlTest, Format_UsesSerialElseIndex) {
  FtdiDeviceInfo d = FakeFtdiPort::Ft232H("FTX1");
  EXPECT_EQ(FormatFtdiUrl(d, 0, 1), "ftdi://ftdi:232h:FTX1/1");
  d.strings_readable = false;
  EXPECT_EQ(FormatFtdiUrl(d, 2, 1), "ftdi://ftdi:232h:2/1");
  d.product_id = kFt2232ProductId;
  d.chip_type = FtdiChipType::kFt2232C;
  EXPECT_EQ(FormatFtdiUrl(d, 0, 2), "ftdi://ftdi:2232:0/2");
}

// Regression (ftdi_url_fuzz's round-trip property): a canonical URL must name its own
// device whatever the EEPROM's serial string holds, and a hex product ID must not read
// back as a product name.
TEST(FtdiUrlTest, DeviceUrls_ResolveToTheirOwnDeviceWhateverTheSerial) {
  std::vector<FtdiDeviceInfo> devices;
  for (const char* serial : {"A/B", "12", "x:y", "DUP", "DUP", "has space", "FT\x7f", ""}) {
    devices.push_back(FakeFtdiPort::Ft232H(serial, static_cast<uint8_t>(devices.size() + 1)));
  }
  FtdiDeviceInfo other = FakeFtdiPort::Ft232H("OTHER", 40);
  other.vendor_id = 0x1234;
  other.product_id = 0x2232;  // Hex "2232" is also the name of the FT2232.
  devices.push_back(other);
  const std::vector<std::string> urls = FtdiDeviceUrls(devices);
  ASSERT_EQ(urls.size(), devices.size());
  for (size_t i = 0; i < urls.size(); ++i) {
    std::string error;
    auto r = ResolveFtdiUrl(Parse(urls[i]), devices, &error);
    ASSERT_TRUE(r.ok()) << urls[i] << ": " << error;
    EXPECT_EQ(r->address, devices[i].address) << urls[i];
  }
  EXPECT_EQ(urls[0], "ftdi://ftdi:232h:0/1");  // "A/B" cannot be in a URL.
  EXPECT_EQ(urls[1], "ftdi://ftdi:232h:1/1");  // "12" would read as an index.
  EXPECT_EQ(urls[3], "ftdi://ftdi:232h:3/1");  // Shared serial: the index tells.
  EXPECT_EQ(urls[8], "ftdi://1234:0x2232:OTHER/1");
}

TEST(FtdiUrlTest, DeviceUrls_OnlyMpsseInterfaces) {
  FtdiDeviceInfo quad = FakeFtdiPort::Ft232H("Q1", 9);
  quad.product_id = kFt4232hProductId;
  quad.chip_type = FtdiChipType::kFt4232H;
  FtdiDeviceInfo uart = FakeFtdiPort::Ft232H("R1", 10);
  uart.product_id = 0x6001;
  uart.chip_type = FtdiChipType::kNoMpsse;
  const std::vector<FtdiDeviceInfo> devices = {FakeFtdiPort::Ft232H(), quad, uart};
  EXPECT_EQ(FtdiDeviceUrls(devices),
            (std::vector<std::string>{"ftdi://ftdi:232h:FT1ABCDE/1", "ftdi://ftdi:4232h:Q1/1",
                                      "ftdi://ftdi:4232h:Q1/2"}));
}

TEST(FtdiUrlTest, Resolve_PicksTheDeviceAndInterface) {
  const std::vector<FtdiDeviceInfo> devices = {FakeFtdiPort::Ft232H("A", 3),
                                               FakeFtdiPort::Ft232H("B", 4)};
  std::string error;
  auto r = ResolveFtdiUrl(Parse("ftdi://ftdi:232h:B/1"), devices, &error);
  ASSERT_TRUE(r.ok()) << error;
  EXPECT_EQ(r->address, 4);
  EXPECT_EQ(r->interface, 1);
  r = ResolveFtdiUrl(Parse("ftdi://ftdi:232h:1/1"), devices, &error);
  ASSERT_TRUE(r.ok()) << error;
  EXPECT_EQ(r->address, 4);
}

TEST(FtdiUrlTest, Resolve_Ambiguous_AsksForSerialAndListsBoth) {
  const std::vector<FtdiDeviceInfo> devices = {FakeFtdiPort::Ft232H("A", 3),
                                               FakeFtdiPort::Ft232H("B", 4)};
  std::string error;
  auto r = ResolveFtdiUrl(Parse("ftdi:///1"), devices, &error);
  EXPECT_EQ(r.status(), Status::InvalidArgument());
  EXPECT_NE(error.find("2 FTDI devices match"), std::string::npos) << error;
  EXPECT_NE(error.find("ftdi://ftdi:232h:A/1"), std::string::npos) << error;
  EXPECT_NE(error.find("ftdi://ftdi:232h:B/1"), std::string::npos) << error;
}

TEST(FtdiUrlTest, Resolve_NotFound_ExplainsUnreadableSerials) {
  FtdiDeviceInfo locked = FakeFtdiPort::Ft232H("", 3);
  locked.strings_readable = false;
  const std::vector<FtdiDeviceInfo> devices = {locked};
  std::string error;
  auto r = ResolveFtdiUrl(Parse("ftdi://ftdi:232h:FT1/1"), devices, &error);
  EXPECT_EQ(r.status(), Status::NotFound());
  EXPECT_NE(error.find("udev"), std::string::npos) << error;
  EXPECT_NE(error.find("strings unreadable"), std::string::npos) << error;
  r = ResolveFtdiUrl(Parse("ftdi://ftdi:232h:3/1"), devices, &error);
  EXPECT_EQ(r.status(), Status::NotFound());
  EXPECT_NE(error.find("index 3"), std::string::npos) << error;
}

TEST(FtdiUrlTest, Resolve_InterfaceWithoutMpsse_Rejected) {
  FtdiDeviceInfo quad = FakeFtdiPort::Ft232H("Q1", 9);
  quad.product_id = kFt4232hProductId;
  quad.chip_type = FtdiChipType::kFt4232H;
  const std::vector<FtdiDeviceInfo> devices = {quad};
  std::string error;
  auto r = ResolveFtdiUrl(Parse("ftdi://ftdi:4232h/3"), devices, &error);
  EXPECT_EQ(r.status(), Status::InvalidArgument());
  EXPECT_NE(error.find("no MPSSE"), std::string::npos) << error;
  EXPECT_TRUE(ResolveFtdiUrl(Parse("ftdi://ftdi:4232h/2"), devices, &error).ok()) << error;
}

TEST(FtdiUrlTest, Resolve_AnyDeviceSkipsChipsWithoutMpsse) {
  FtdiDeviceInfo uart = FakeFtdiPort::Ft232H("R1", 10);
  uart.product_id = 0x6001;
  uart.chip_type = FtdiChipType::kNoMpsse;
  const std::vector<FtdiDeviceInfo> devices = {uart, FakeFtdiPort::Ft232H("H1", 11)};
  std::string error;
  auto r = ResolveFtdiUrl(Parse("ftdi:///1"), devices, &error);
  ASSERT_TRUE(r.ok()) << error;
  EXPECT_EQ(r->address, 11);
}

}  // namespace
}  // namespace flashrig::driver
