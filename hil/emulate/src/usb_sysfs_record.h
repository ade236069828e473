// umockdev's record format for a USB device (P: path, N: device node with its contents,
// E: udev properties, A: sysfs attributes, H: binary attributes): the attributes libusb
// and libudev read to enumerate a device, as a real usb_device exposes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flashrig::hil::internal {

struct UsbSysfsDevice {
  std::string devpath{};  // "/devices/usb1/1-1"
  uint8_t busnum = 1;
  uint8_t devnum = 1;
  uint16_t vendor = 0;
  uint16_t product = 0;
  uint16_t bcd_device = 0;
  uint8_t interfaces = 1;
  bool hub = false;
  std::vector<uint8_t> descriptors{};  // Device + configuration descriptors.
  std::string manufacturer{};
  std::string product_name{};
  std::string serial{};
};

// "/dev/bus/usb/001/002".
std::string UsbDevNode(uint8_t busnum, uint8_t devnum);
std::string UsbSysfsRecord(const UsbSysfsDevice& device);
// The root hub usb1 (1d6b:0002), so /dev/bus/usb exists even with no FTDI device.
UsbSysfsDevice RootHub();

}  // namespace flashrig::hil::internal
