// An FT232H emulated at the usbfs level inside a umockdev testbed: sysfs attributes and
// descriptors for libusb's enumeration, and a live usbdevfs ioctl handler whose bulk URBs
// carry the MPSSE stream to an FtdiPort engine (the MpsseEmulator in front of a chip).
#pragma once

#include <umockdev.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/ftdi/ftdi_port.h"

namespace flashrig::umock {

// What went over the emulated USB link (read after the host is done with a transfer).
struct UsbCounters {
  uint64_t ioctls = 0;
  uint64_t control_urbs = 0;
  uint64_t vendor_requests = 0;  // FTDI SIO requests (reset, latency, bit mode, purge...).
  uint64_t bulk_out_urbs = 0;
  uint64_t bulk_in_urbs = 0;
  uint64_t bulk_out_bytes = 0;  // MPSSE stream bytes delivered to the engine.
  uint64_t bulk_in_bytes = 0;   // Reply bytes, without the two status bytes per packet.
  uint64_t claims = 0;
  uint64_t enodev_answers = 0;  // ioctls answered ENODEV after the unplug.
};

struct Ft232hUsbOptions {
  std::string sysfs_name = "1-1";  // Under the root hub usb1.
  uint8_t busnum = 1;
  uint8_t devnum = 2;
  std::string manufacturer = "FTDI";
  std::string product = "FT232H Single HS USB-UART/FIFO IC";
  std::string serial = "FT0UMOCK";
  // An ftdi_sio-style kernel driver bound to interface 0 (USBDEVFS_GETDRIVER answers it);
  // detaching it succeeds unless detach_denied.
  bool kernel_driver_bound = false;
  bool detach_denied = false;
  // The chip model's clock. The host driver times its busy-wait deadlines with the wall
  // clock, so this clock is kept at least as far along as wall time since construction
  // (the MpsseEmulator advances it further by modelled USB and SCK time).
  VirtualClock* chip_clock = nullptr;
};

// Adds the USB root hub usb1 (1d6b:0002, so /dev/bus/usb exists even without an FTDI
// device) to `testbed`. Returns its sysfs path.
std::string AddRootHub(UMockdevTestbed* testbed);

// One emulated FT232H. The ioctl handler runs on umockdev's worker thread; every method
// here is safe to call from the test thread while the host uses the device.
class Ft232hUsbDevice {
 public:
  // `engine` must be open-able (its ListDevices names the device to open) and outlive
  // this object; it only ever sees calls from the ioctl handler. Call AddRootHub first.
  Ft232hUsbDevice(UMockdevTestbed* testbed, driver::FtdiPort& engine,
                  const Ft232hUsbOptions& options = {});
  ~Ft232hUsbDevice();
  Ft232hUsbDevice(const Ft232hUsbDevice&) = delete;
  Ft232hUsbDevice& operator=(const Ft232hUsbDevice&) = delete;

  const std::string& sysfs_path() const { return sysfs_path_; }
  const std::string& devnode() const { return devnode_; }
  // "" if the testbed setup worked, else what failed.
  const std::string& setup_error() const { return setup_error_; }

  // From now on every usbdevfs ioctl answers ENODEV (the kernel's answer once the device
  // is gone), except that URBs in flight are still reaped, with -ESHUTDOWN. With
  // remove_from_sysfs the device also leaves sysfs with a "remove" uevent, as a real
  // unplug does a moment later.
  void Unplug(bool remove_from_sysfs);
  // The device vanishes while the host's `n`-th bulk URB (0-based, counting from now) is
  // in flight: that URB completes with -ESHUTDOWN, everything after it answers ENODEV.
  // sysfs is left as it is (the window before the kernel removes the sysfs node).
  void UnplugAtBulkUrb(uint64_t n);

  UsbCounters counters() const;
  // Protocol violations seen (bad wIndex, unknown request, wrong endpoint...). Empty for a
  // correct host.
  std::vector<std::string> errors() const;
  // Every usbdevfs ioctl request number seen, in order of first appearance.
  std::vector<unsigned long> requests_seen() const;

 private:
  struct Urb {
    UMockdevIoctlData* data = nullptr;    // The client's struct usbdevfs_urb (a ref we own).
    UMockdevIoctlData* buffer = nullptr;  // Its buffer (owned by `data`).
    int discarded_status = 0;             // -ENOENT once discarded.
  };

  static gboolean OnIoctl(UMockdevIoctlBase* base, UMockdevIoctlClient* client, gpointer self);
  void HandleIoctl(UMockdevIoctlClient* client);
  // The handlers of the usbdevfs requests: 0, or the errno the ioctl fails with.
  int RunIoctl(unsigned long request, UMockdevIoctlData* arg, UMockdevIoctlData* data);
  int RunDriverIoctl(UMockdevIoctlData* data);
  int ClaimInterface(UMockdevIoctlData* data);
  int SubmitUrb(UMockdevIoctlData* data);
  int ReapUrb(UMockdevIoctlData* data);
  int DiscardUrb(UMockdevIoctlData* arg);
  void Complete(UMockdevIoctlClient* client, long result, int error);
  // Runs one URB against the device: fills status/actual_length (and IN data).
  void RunUrb(Urb& urb);
  int RunControl(const uint8_t* setup, uint8_t* data, int length, int* actual);
  int GetDescriptor(uint16_t value, std::vector<uint8_t>* reply) const;
  int RunVendorRequest(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                       std::vector<uint8_t>* reply);
  int RunBulkIn(uint8_t* buffer, int length, int* actual);
  void Error(std::string message);
  void KeepChipClockUp();

  UMockdevTestbed* testbed_;
  driver::FtdiPort& engine_;
  Ft232hUsbOptions options_;
  std::string sysfs_path_;
  std::string devnode_;
  std::string setup_error_;
  UMockdevIoctlBase* handler_ = nullptr;

  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  Clock::TimePoint chip_start_{0};

  mutable std::mutex mu_;
  bool unplugged_ = false;
  std::optional<uint64_t> unplug_at_bulk_;
  uint64_t bulk_urbs_ = 0;
  bool driver_bound_ = false;
  bool claimed_ = false;
  bool engine_open_ = false;
  uint8_t latency_ms_ = 16;
  std::deque<Urb> pending_;
  UsbCounters counters_;
  std::vector<std::string> errors_;
  std::vector<unsigned long> requests_;
};

}  // namespace flashrig::umock
