// A umockdev testbed: a private /sys, /dev and usbfs ioctl socket tree in a temporary
// directory (UMOCKDEV_DIR). A process that has it in its environment and
// libumockdev-preload.so loaded (LD_PRELOAD; umockdev-wrapper does just that) sees only
// the devices plugged in here, and its usbfs ioctls on them are answered, on umockdev's
// worker thread, by FtdiUsbDevice. umockdev_testbed.cc is the one file of flashrig that
// includes <umockdev.h>.
#pragma once

#include <memory>
#include <string>

#include "flashrig/driver/flash/status.h"
#include "flashrig/hil/emulate/ftdi_usb_device.h"

namespace flashrig::hil {

// The preload library's name, as umockdev-wrapper puts it in LD_PRELOAD.
inline constexpr const char* kUmockdevPreload = "libumockdev-preload.so.0";

class UmockdevTestbed {
 public:
  // Creates the testbed and its directory, and sets UMOCKDEV_DIR in this process's
  // environment (children inherit it). The root hub usb1 is plugged in. nullptr (with
  // *error) if umockdev fails.
  static std::unique_ptr<UmockdevTestbed> Create(std::string* error);
  ~UmockdevTestbed();
  UmockdevTestbed(const UmockdevTestbed&) = delete;
  UmockdevTestbed& operator=(const UmockdevTestbed&) = delete;

  // The testbed directory (UMOCKDEV_DIR).
  const std::string& directory() const { return directory_; }
  // Adds `device` (its sysfs name, bus and device number come from its options) and
  // answers its node's ioctls until Clear or destruction; it must outlive that. Returns the device
  // node
  // ("/dev/bus/usb/001/002"); "" with *error on failure.
  std::string Plug(FtdiUsbDevice& device, std::string* error);
  // The device leaves sysfs with a "remove" uevent, as a real unplug does (call
  // device.Unplug() first: the open node then answers ENODEV).
  void Remove(FtdiUsbDevice& device);
  // Everything goes, the root hub too (no /dev/bus/usb at all); devices are detached.
  void Clear();

  // Whether this process runs with libumockdev-preload loaded (under umockdev-wrapper).
  static bool InMockEnvironment();
  // The preload library's path (what a child needs in LD_PRELOAD to see the testbed), or
  // "" with *error if it is not installed: a child without it would see the real /sys
  // and USB devices.
  static std::string FindPreload(std::string* error);

 private:
  struct Impl;
  explicit UmockdevTestbed(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string directory_;
};

}  // namespace flashrig::hil
