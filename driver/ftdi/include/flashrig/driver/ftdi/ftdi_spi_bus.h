// FtdiSpiBus: an SpiBus over an FTDI MPSSE engine (FT232H, FT2232H, FT4232H, FT2232D).
// Public factories only: nothing that includes this header needs libftdi or libusb.
// Each transaction is one MPSSE byte stream: one USB write, plus one reply read if it
// reads (see docs/FTDI.md for wiring and error messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/ftdi/ftdi_port.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::driver {

// Where the SPI chip and its control lines are wired. Pin numbers: 0-7 = ADBUS0-7 (the
// low byte), 8-15 = ACBUS0-7 (the high byte). ADBUS0 SCK, ADBUS1 MOSI and ADBUS2 MISO
// are fixed by the MPSSE engine. -1 = not wired (SetControlLine answers kUnimplemented).
struct FtdiPins {
  uint8_t chip_select = 3;             // ADBUS3-7 or ACBUS0-7. Default ADBUS3.
  int8_t chip_power = -1;              // Drives a load switch on the chip's VCC.
  bool chip_power_active_high = true;  // true: pin high = VCC on (e.g. TPS22918 ON).
  int8_t write_protect = -1;           // WP#. Idles high.
  int8_t hold = -1;                    // HOLD#. Idles high.
  int8_t reset = -1;                   // RESET#. Idles high.
};

struct FtdiOptions {
  // Which device: see ftdi_url.h. Default: the only attached device, interface A.
  std::string url = "ftdi:///1";
  // Requested SCK. The bus picks the fastest divisor not above it (30 MHz max on
  // H parts, 6 MHz on FT2232D) and reports the result in clock_hz(). Must be > 0.
  uint32_t clock_hz = 30'000'000;
  FtdiPins pins{};
  // FTDI latency timer, 1-255 ms. Replies end with "send immediate" (87h), so this only
  // bounds how long an idle read waits for the chip's status packet. Default 1.
  uint8_t latency_timer_ms = 1;
  // How long a reply may take beyond its wire time before the transfer fails with
  // kDeadlineExceeded. Default 1 s.
  std::chrono::milliseconds reply_timeout{1000};
  // Sleep between empty reads while waiting for a reply. Default 100 us.
  std::chrono::microseconds read_retry_interval{100};
};

// Counters for benchmarks and tests (what went over USB).
struct FtdiBusStats {
  uint64_t transactions = 0;   // Transfer() calls that reached the device.
  uint64_t usb_writes = 0;     // Port Write calls.
  uint64_t usb_reads = 0;      // Port Read calls (including short and empty ones).
  uint64_t round_trips = 0;    // Transactions that waited for a reply.
  uint64_t bytes_written = 0;  // MPSSE stream bytes sent.
  uint64_t bytes_read = 0;     // Reply bytes received.
  uint64_t resyncs = 0;        // Flush + re-synchronisation after a failed transfer.
};

class FtdiSpiBus : public SpiBus {
 public:
  // The SCK frequency actually programmed (e.g. 30000000, or 10000000 for 12 MHz asked).
  uint32_t clock_hz() const override = 0;
  virtual const FtdiBusStats& stats() const = 0;
  virtual const FtdiDeviceInfo& device() const = 0;
  // The human-readable message of the most recent failed transfer ("" if none).
  virtual const std::string& last_error() const = 0;
};

// Opens the device `options.url` names through `port`, initialises MPSSE (reset,
// latency timer, bit mode, clocking, divisor, SPI mode 0, pin directions, CS high,
// control lines idle, chip power on) and checks the engine answers.
//   kOk
//   kInvalidArgument  bad URL, bad options, interface missing or without MPSSE
//   kNotFound         no such device attached
//   kPermissionDenied no access (udev rule)
//   kFailedPrecondition device busy (kernel driver or another program)
//   kUnavailable      unplugged or USB failure
//   kDeadlineExceeded the MPSSE engine did not answer the synchronisation in time
//   kDataLoss         the engine answered something unexpected
// On error *error_message (if given) explains what happened and what to do.
// `clock` must outlive the bus; it times reply deadlines.
Result<std::unique_ptr<FtdiSpiBus>> OpenFtdiSpiBus(std::unique_ptr<FtdiPort> port,
                                                   const FtdiOptions& options, Clock& clock,
                                                   std::string* error_message = nullptr);

// The same over the real libftdi port and the system clock.
Result<std::unique_ptr<FtdiSpiBus>> OpenFtdiSpiBus(const FtdiOptions& options,
                                                   std::string* error_message = nullptr);

}  // namespace flashrig::driver
