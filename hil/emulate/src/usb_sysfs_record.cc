// USB devices in umockdev's record format.
#include "usb_sysfs_record.h"

#include <cstdio>

namespace flashrig::hil::internal {
namespace {

std::string Hex4(uint16_t v) {
  char text[8];
  std::snprintf(text, sizeof text, "%04x", v);
  return text;
}

std::string HexBytes(const std::vector<uint8_t>& bytes) {
  std::string out;
  char two[3];
  for (uint8_t b : bytes) {
    std::snprintf(two, sizeof two, "%02X", b);
    out += two;
  }
  return out;
}

}  // namespace

std::string UsbDevNode(uint8_t busnum, uint8_t devnum) {
  char path[32];
  std::snprintf(path, sizeof path, "/dev/bus/usb/%03u/%03u", busnum, devnum);
  return path;
}

// Uses umockdev's record format because only that creates /dev nodes; the node's contents
// are the descriptors, as a read() of a real usbfs node returns.
std::string UsbSysfsRecord(const UsbSysfsDevice& d) {
  const std::string node = UsbDevNode(d.busnum, d.devnum);
  char product_prop[32];
  std::snprintf(product_prop, sizeof product_prop, "%x/%x/%x", d.vendor, d.product, d.bcd_device);
  char bus3[4], dev3[4], interfaces[4];
  std::snprintf(bus3, sizeof bus3, "%03u", d.busnum);
  std::snprintf(dev3, sizeof dev3, "%03u", d.devnum);
  std::snprintf(interfaces, sizeof interfaces, "%2u", d.interfaces);  // sysfs pads to 2.
  const std::string name = d.devpath.substr(d.devpath.rfind('/') + 1);
  std::string r;
  r += "P: " + d.devpath + "\n";
  r += "N: " + node.substr(5) + "=" + HexBytes(d.descriptors) + "\n";
  r += "E: DEVNAME=" + node + "\n";
  r += "E: DEVTYPE=usb_device\n";
  r += "E: SUBSYSTEM=usb\n";
  r += std::string("E: BUSNUM=") + bus3 + "\nE: DEVNUM=" + dev3 + "\n";
  r += std::string("E: PRODUCT=") + product_prop + "\n";
  r += std::string("E: TYPE=") + (d.hub ? "9/0/1" : "0/0/0") + "\n";
  r += "E: ID_VENDOR_ID=" + Hex4(d.vendor) + "\nE: ID_MODEL_ID=" + Hex4(d.product) + "\n";
  r += "A: busnum=" + std::to_string(d.busnum) + "\nA: devnum=" + std::to_string(d.devnum) + "\n";
  r += "A: devpath=" + (d.hub ? std::string("0") : name.substr(name.find('-') + 1)) + "\n";
  r += "A: idVendor=" + Hex4(d.vendor) + "\nA: idProduct=" + Hex4(d.product) + "\n";
  r += "A: bcdDevice=" + Hex4(d.bcd_device) + "\nA: speed=480\nA: bConfigurationValue=1\n";
  r += std::string("A: bNumConfigurations=1\nA: bNumInterfaces=") + interfaces + "\n";
  r += "A: bMaxPacketSize0=64\n";
  r += std::string("A: bDeviceClass=") + (d.hub ? "09" : "00") + "\n";
  if (!d.manufacturer.empty()) r += "A: manufacturer=" + d.manufacturer + "\n";
  if (!d.product_name.empty()) r += "A: product=" + d.product_name + "\n";
  if (!d.serial.empty()) r += "A: serial=" + d.serial + "\n";
  r += "H: descriptors=" + HexBytes(d.descriptors) + "\n";
  return r;
}

UsbSysfsDevice RootHub() {
  UsbSysfsDevice hub{.devpath = "/devices/usb1",
                     .busnum = 1,
                     .devnum = 1,
                     .vendor = 0x1d6b,
                     .product = 0x0002,
                     .bcd_device = 0x0601,
                     .interfaces = 1,
                     .hub = true};
  // Device descriptor (hub class 9, EP0 64 bytes), then one configuration with one hub
  // interface and its interrupt IN endpoint of 4 bytes.
  hub.descriptors = {18, 0x01, 0x00, 0x02, 9, 0,  1, 64, 0x6b, 0x1d, 0x02, 0x00, 0x01, 0x06, 0,
                     0,  0,    1,    9,    2, 25, 0, 1,  1,    0,    0xE0, 0,    9,    4,    0,
                     0,  1,    9,    0,    0, 0,  7, 5,  0x81, 3,    4,    0,    12};
  return hub;
}

}  // namespace flashrig::hil::internal
