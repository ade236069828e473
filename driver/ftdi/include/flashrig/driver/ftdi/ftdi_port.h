// FtdiPort: the handful of libftdi1 operations FtdiSpiBus uses, behind a seam, so every
// open failure, unplug, short read and timeout is testable without hardware. The real
// implementation (NewLibftdiPort) is the only code that includes <ftdi.h>/<libusb.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// FTDI chip families, told apart by bcdDevice (as libftdi does).
enum class FtdiChipType : uint8_t {
  kUnknown,
  kFt2232C,  // FT2232C/D: full speed, MPSSE on A and B, 6 MHz SCK limit, no H-only opcodes.
  kFt232H,   // One interface (A) with MPSSE.
  kFt2232H,  // A and B, both with MPSSE.
  kFt4232H,  // A-D; MPSSE on A and B only.
  kNoMpsse,  // FT232R, FT-X, FT232BM/AM...: no MPSSE engine at all.
};

// "FT232H", "FT2232C/D", ...; never null.
const char* FtdiChipTypeName(FtdiChipType type);
// Interfaces the chip has (1 for FT232H, 2 for FT2232*, 4 for FT4232H), 0 if unknown.
uint8_t FtdiInterfaceCount(FtdiChipType type);
// True if `interface` (1 = A ... 4 = D) has an MPSSE engine on this chip.
bool FtdiInterfaceHasMpsse(FtdiChipType type, uint8_t interface);
// True for the high-speed parts (60 MHz MPSSE base clock, 8Ah/8Dh/8Eh/8Fh/97h opcodes).
bool FtdiIsHighSpeed(FtdiChipType type);

// One attached FTDI device, as listed by FtdiPort::ListDevices.
struct FtdiDeviceInfo {
  uint16_t vendor_id = 0;
  uint16_t product_id = 0;
  FtdiChipType chip_type = FtdiChipType::kUnknown;
  uint8_t bus = 0;      // USB bus number.
  uint8_t address = 0;  // USB device address on that bus.
  // String descriptors. Reading them needs access to the device: when strings_readable is
  // false (usually a missing udev rule) they are empty.
  bool strings_readable = false;
  std::string manufacturer{};
  std::string description{};
  std::string serial{};
};

// Which device and interface to open: a device from ListDevices (matched by bus/address).
struct FtdiOpenRequest {
  uint16_t vendor_id = 0;
  uint16_t product_id = 0;
  uint8_t bus = 0;
  uint8_t address = 0;
  uint8_t interface = 1;  // 1 = A, 2 = B, 3 = C, 4 = D.
};

// libftdi bit modes used here (ftdi_set_bitmode).
inline constexpr uint8_t kFtdiBitmodeReset = 0x00;
inline constexpr uint8_t kFtdiBitmodeMpsse = 0x02;

// One device interface at a time; not thread-safe. Every method except ListDevices,
// last_error and Close requires a successful Open. Errors keep a human-readable message
// (libftdi's error string plus context) in last_error() for the CLI.
class FtdiPort {
 public:
  virtual ~FtdiPort() = default;

  // Every attached device with an FTDI vendor/product ID this tool knows.
  //   kOk (possibly an empty list) | kUnavailable: libusb could not be initialised.
  virtual Result<std::vector<FtdiDeviceInfo>> ListDevices() = 0;

  // Opens and claims one interface. The ftdi_sio kernel driver is detached if bound.
  //   kOk
  //   kNotFound           no device at that bus/address (unplugged since listing)
  //   kInvalidArgument    the chip has no such interface
  //   kPermissionDenied   no access to the USB device node (udev rule missing)
  //   kFailedPrecondition busy: the interface is claimed by a kernel driver that could
  //                       not be detached, or by another program
  //   kUnavailable        any other USB failure
  virtual Status Open(const FtdiOpenRequest& request) = 0;
  // Releases the interface; harmless when not open.
  virtual void Close() = 0;

  // Control transfers. kUnavailable: unplugged | kDeadlineExceeded: USB timeout.
  virtual Status Reset() = 0;                                     // ftdi_usb_reset
  virtual Status SetLatencyTimer(uint8_t latency_ms) = 0;         // 1..255 ms
  virtual Status SetBitMode(uint8_t pin_mask, uint8_t mode) = 0;  // kFtdiBitmode*
  virtual Status Flush() = 0;  // Drops both chip FIFOs and libftdi's buffer (tcioflush).

  // Bulk OUT: sends all of `data` (in as few USB transfers as the chunk size allows).
  // Returns the bytes accepted; fewer than data.size() means the rest was lost.
  //   kUnavailable: unplugged | kDeadlineExceeded: the device did not accept in time.
  virtual Result<size_t> Write(std::span<const std::byte> data) = 0;
  // Bulk IN: returns 0..out.size() bytes, whatever the chip has sent so far (short reads
  // are normal: call again until done or a deadline passes). Never blocks for longer than
  // the USB timeout. kUnavailable: unplugged | kDeadlineExceeded: USB timeout.
  virtual Result<size_t> Read(std::span<std::byte> out) = 0;

  // The message of the most recent error ("" if none).
  virtual const std::string& last_error() const = 0;
};

// Options for the libftdi-backed port.
struct LibftdiPortOptions {
  // Timeout of each USB transfer (libftdi usb_read_timeout / usb_write_timeout).
  // Default 1000 ms; must be > 0.
  uint32_t usb_timeout_ms = 1000;
  // libftdi read/write chunk sizes: one bulk transfer moves up to this many bytes.
  // Default 65536 (libftdi's 4096 would split a 64 KiB read into 16 transfers).
  uint32_t chunk_size_bytes = 65536;
};

// The real port, over libftdi1 + libusb-1.0. Never fails to construct: a libusb
// initialisation error surfaces from the first call.
std::unique_ptr<FtdiPort> NewLibftdiPort(const LibftdiPortOptions& options = {});

}  // namespace flashrig::driver
