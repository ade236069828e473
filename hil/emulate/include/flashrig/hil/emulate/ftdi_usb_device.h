// An FT232H, FT2232H or FT4232H at the usbfs level: the Linux usbdevfs ioctls libusb
// issues (capabilities, kernel driver, claims, URBs) answered on plain memory, with the
// standard and FTDI SIO control requests, the EEPROM, and bulk endpoints that carry each
// channel's byte stream to its MpsseEmulator. No umockdev here: UmockdevTestbed
// (umockdev_testbed.h) connects a testbed's ioctl socket to this class, and unit tests
// drive it directly.
//
// Faithful to the chip where the clients look (libftdi/flashrom, pyftdi/pyusb): vendor
// requests need no claim and work in any order after enumeration, wIndex low byte names
// the port (0 = A), EEPROM requests take a word address, every bulk IN packet starts
// with the two modem-status bytes, a URB ends at the first short packet, claims and URBs
// belong to the client (open file) that made them.
#pragma once

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>  // The USBDEVFS_* request numbers.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/hil/emulate/ftdi_chip_shape.h"
#include "flashrig/hil/emulate/ftdi_eeprom.h"

namespace flashrig::hil {

// The serial number `flashrig emulate` gives its device unless told otherwise.
inline constexpr const char* kDefaultEmulatedSerial = "FREMU0001";

// What went over the emulated USB link (read after the host is done with a transfer).
struct UsbCounters {
  uint64_t ioctls = 0;
  uint64_t control_urbs = 0;
  uint64_t vendor_requests = 0;  // FTDI SIO requests (reset, latency, bit mode, purge...).
  uint64_t bulk_out_urbs = 0;
  uint64_t bulk_in_urbs = 0;
  uint64_t bulk_out_bytes = 0;  // Stream bytes delivered to the channels.
  uint64_t bulk_in_bytes = 0;   // Reply bytes, without the two status bytes per packet.
  uint64_t claims = 0;
  uint64_t clients = 0;         // Open files that used the device.
  uint64_t enodev_answers = 0;  // ioctls answered ENODEV after the unplug.
  uint64_t handler_ns = 0;      // Time spent in this device's ioctl handling (our work).
};

struct FtdiUsbDeviceOptions {
  std::string sysfs_name = "1-1";  // Under the root hub usb1.
  uint8_t busnum = 1;
  uint8_t devnum = 2;
  UsbStrings strings{};  // Empty product: the chip's built-in name.
  // An ftdi_sio-style kernel driver bound to every interface (USBDEVFS_GETDRIVER answers
  // it); detaching it succeeds unless detach_denied.
  bool kernel_driver_bound = false;
  bool detach_denied = false;
  // The chip model's clock. Clients time their waits with the wall clock, so it advances
  // by `speedup` x the wall time that passes, on top of the USB and SCK time the channels
  // model.
  VirtualClock* chip_clock = nullptr;
  double speedup = 1.0;
  // Called with each complaint (a request the chip would not take, a protocol error),
  // with the device lock held; may be empty.
  std::function<void(const std::string&)> on_complaint{};
  // Sees every bulk OUT payload a channel accepts (interface index, bytes), with the
  // device lock held; may be empty. `flashrig emulate --record-mpsse` writes channel A's.
  std::function<void(uint8_t, std::span<const uint8_t>)> on_bulk_out{};
};

class FtdiUsbDevice {
 public:
  // Identifies one open file of the device node (umockdev's client); URBs and claims
  // belong to it.
  using ClientId = const void*;

  // `channels` are the interfaces' engines, A first, one per interface of `shape`; they
  // must outlive this object and are only used under its lock. They are opened here: a
  // real chip takes requests from enumeration on.
  FtdiUsbDevice(const FtdiChipShape& shape, std::vector<driver::MpsseEmulator*> channels,
                const FtdiUsbDeviceOptions& options = {});
  FtdiUsbDevice(const FtdiUsbDevice&) = delete;
  FtdiUsbDevice& operator=(const FtdiUsbDevice&) = delete;

  // --- usbfs --------------------------------------------------------------------
  // Every ioctl but the URB ones: `arg` is the ioctl's argument struct as copied from the
  // client (written back by the caller). Returns 0 or the errno the ioctl fails with.
  int Ioctl(ClientId client, unsigned long request, void* arg);
  // USBDEVFS_SUBMITURB: `urb` and `buffer` are the client's URB and its buffer copied
  // into this process, valid until the URB is handed back; `client_address` is the URB's
  // address in the client (what DISCARDURB names); `token` is handed back with it.
  int SubmitUrb(ClientId client, usbdevfs_urb* urb, uint8_t* buffer, uint64_t client_address,
                void* token);
  // USBDEVFS_REAPURB(NDELAY): runs and completes the client's oldest URB that can
  // complete now and sets *token; EAGAIN if none can (none pending, or a bulk OUT the
  // channel NAKs because the host is not reading its replies).
  int ReapUrb(ClientId client, void** token);
  // Whether ReapUrb would complete a URB (or answer ENODEV) now. When it returns false it
  // has answered the REAPURB itself (EAGAIN, counted), so the caller can skip copying the
  // ioctl's argument: a third of libusb's ioctls are such empty reaps.
  bool ReapReady(ClientId client);
  int DiscardUrb(ClientId client, uint64_t client_address);
  // The client closed the device: its URBs are dropped (their tokens returned so the
  // caller can free them) and its interfaces released.
  std::vector<void*> DropClient(ClientId client);
  // Every pending URB's token (for teardown).
  std::vector<void*> DropAllUrbs();

  // --- Faults ---------------------------------------------------------------------
  // From now on every ioctl answers ENODEV (the kernel's answer once the device is gone),
  // except that URBs in flight are still reaped, with -ESHUTDOWN.
  void Unplug();
  // The device vanishes while the host's `n`-th bulk URB (0-based, counting from now) is
  // in flight: that URB completes with -ESHUTDOWN, everything after it answers ENODEV.
  void UnplugAtBulkUrb(uint64_t n);

  // --- Observation ----------------------------------------------------------------
  const FtdiChipShape& shape() const { return shape_; }
  const FtdiUsbDeviceOptions& options() const { return options_; }
  const UsbStrings& strings() const { return strings_; }
  // The usbfs node contents / sysfs `descriptors`: device + configuration descriptors.
  std::vector<uint8_t> descriptors() const;
  UsbCounters counters() const;
  // USB-level complaints (unknown requests, bad endpoints, ports the chip lacks...).
  std::vector<std::string> errors() const;
  // Every usbdevfs ioctl request number seen, in order of first appearance.
  std::vector<unsigned long> requests_seen() const;
  std::array<uint8_t, FtdiEeprom::kBytes> eeprom() const;
  // The lock every usbfs call takes; hold it to touch the channels or the chip behind
  // them from another thread (e.g. to save the chip's image).
  std::unique_lock<std::mutex> Lock() const { return std::unique_lock<std::mutex>(mu_); }

 private:
  struct Urb {
    ClientId client = nullptr;
    usbdevfs_urb* urb = nullptr;
    uint8_t* buffer = nullptr;
    uint64_t client_address = 0;
    void* token = nullptr;
    int discarded_status = 0;  // -ENOENT once discarded.
  };

  int RunIoctl(ClientId client, unsigned long request, void* arg);
  int RunDriverIoctl(const usbdevfs_ioctl* io);
  int ClaimInterface(ClientId client, uint32_t interface);
  int ReleaseInterface(ClientId client, uint32_t interface);
  // The interface a bulk endpoint belongs to, or -1.
  int InterfaceOf(uint8_t endpoint) const;
  bool CanComplete(const Urb& urb) const;
  std::deque<Urb>::iterator FindReapable(ClientId client);
  void RunUrb(Urb& urb);
  int RunBulkIn(driver::MpsseEmulator& channel, uint8_t* buffer, int length, int* actual);
  // ftdi_usb_control.cc: endpoint 0.
  int RunControl(const uint8_t* setup, uint8_t* data, int length, int* actual);
  int RunStandardRequest(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                         std::vector<uint8_t>* reply);
  int GetDescriptor(uint16_t value, std::vector<uint8_t>* reply) const;
  int RunVendorRequest(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                       std::vector<uint8_t>* reply);
  int RunChannelRequest(driver::MpsseEmulator& channel, bool in, uint8_t request, uint16_t value,
                        std::vector<uint8_t>* reply);
  void Complain(std::string message);
  void NoteClient(ClientId client);
  void KeepChipClockUp();

  FtdiChipShape shape_;
  std::vector<driver::MpsseEmulator*> channels_;
  FtdiUsbDeviceOptions options_;
  UsbStrings strings_;
  FtdiEeprom eeprom_;
  std::chrono::steady_clock::time_point last_wall_ = std::chrono::steady_clock::now();

  mutable std::mutex mu_;
  bool unplugged_ = false;
  std::optional<uint64_t> unplug_at_bulk_;
  uint64_t bulk_urbs_ = 0;
  std::vector<bool> driver_bound_;
  std::vector<ClientId> claimed_by_;  // Per interface; nullptr = free.
  std::vector<ClientId> known_clients_;
  std::deque<Urb> pending_;
  UsbCounters counters_;
  std::vector<std::string> errors_;
  std::vector<unsigned long> requests_;
};

}  // namespace flashrig::hil
