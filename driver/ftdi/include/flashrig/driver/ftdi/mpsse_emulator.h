// MpsseEmulator: an FtdiPort that behaves like an FT232H/FT2232H/FT4232H in MPSSE mode
// with an SPI chip (any SpiDevice) wired to it, so FtdiSpiBus runs in CI on the same code
// that drives real hardware. It interprets the MPSSE command stream, counts USB
// transfers, models time (USB latency, SCK, latency timer) and injects faults (unplug at a
// chosen transfer, failed transfers, short reads, lost replies).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/ftdi/ftdi_port.h"
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/driver/spinor/spi_device.h"

namespace flashrig::driver {

struct MpsseEmulatorOptions {
  // The chip emulated (FT232H by default). kFt2232C has no H-only opcodes and a 12 MHz
  // base clock, as on the real part.
  FtdiChipType chip_type = FtdiChipType::kFt232H;
  std::string serial = "FREMU0001";  // As ListDevices reports it.
  // How the SPI chip is wired; must match the FtdiOptions::pins the bus is opened with.
  FtdiPins pins{};
  // Advanced by every modelled delay so a chip model on the same clock sees real-looking
  // time (program/erase progress while the host polls). nullptr: time is only counted.
  VirtualClock* clock = nullptr;
  // Cost of one USB transfer (control, bulk OUT or bulk IN) on the host: submit, the
  // next 125 us microframe, completion. Default 125 us; a round trip costs two.
  std::chrono::nanoseconds usb_transfer_latency{125'000};
  // USB payload rate for the bytes themselves. Default 40 MB/s (high speed, bulk).
  // Writes pay for every byte; reads only for their last 512-byte packet, the rest
  // having streamed while SCK was clocking.
  uint64_t usb_bytes_per_second = 40'000'000;
  // Whether unplugging removes the chip's supply (true for bus-powered boards).
  bool unplug_cuts_chip_power = false;
};

struct MpsseEmulatorStats {
  uint64_t usb_transfers = 0;      // All of the below, in order; fault indexes count these.
  uint64_t control_transfers = 0;  // Reset, latency timer, bit mode, flush.
  uint64_t bulk_writes = 0;
  uint64_t bulk_reads = 0;
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  uint64_t spi_clocks = 0;           // SCK cycles driven.
  uint64_t chip_selects = 0;         // CS# falling edges while powered.
  uint64_t bad_commands = 0;         // Answered with FAh + opcode (includes sync AAh/ABh).
  uint64_t latency_timer_waits = 0;  // Reads of data not flushed by "send immediate".
  Clock::Duration modelled_time{0};  // USB + wire + latency-timer time.
};

class MpsseEmulator final : public FtdiPort {
 public:
  // `device` must outlive the emulator. If a power pin is wired, the chip is powered off
  // until the host drives that pin (load-switch enables idle off).
  explicit MpsseEmulator(SpiDevice& device, const MpsseEmulatorOptions& options = {});

  // FtdiPort.
  Result<std::vector<FtdiDeviceInfo>> ListDevices() override;
  Status Open(const FtdiOpenRequest& request) override;
  void Close() override { open_ = false; }
  Status Reset() override;
  Status SetLatencyTimer(uint8_t latency_ms) override;
  Status SetBitMode(uint8_t pin_mask, uint8_t mode) override;
  Status Flush() override;
  Result<size_t> Write(std::span<const std::byte> data) override;
  Result<size_t> Read(std::span<std::byte> out) override;
  const std::string& last_error() const override { return last_error_; }

  // Faults. Transfer indexes are 0-based values of stats().usb_transfers.
  // The device disappears at that transfer (which fails, delivering nothing) and stays
  // gone until Replug().
  void UnplugAtTransfer(uint64_t index) { unplug_at_ = index; }
  void Unplug();
  // Attached again, closed, engine reset (as after a real replug).
  void Replug();
  // That one transfer fails with `status` (e.g. kDeadlineExceeded) and delivers nothing.
  void FailTransferAt(uint64_t index, Status status) { fail_at_ = {index, status}; }
  // Each Read returns at most this many bytes (0 = no limit).
  void set_max_read_bytes(size_t bytes) { max_read_bytes_ = bytes; }
  // Reply bytes are produced but never reach the host.
  void set_drop_replies(bool drop) { drop_replies_ = drop; }
  // The next Open fails with `status` and `message` (permission denied, busy...).
  void FailNextOpen(Status status, std::string message) {
    open_error_ = status;
    open_error_message_ = std::move(message);
  }

  // Observation.
  const MpsseEmulatorStats& stats() const { return stats_; }
  // Protocol violations seen (unknown opcodes other than the AAh/ABh sync, shifts with
  // 3-phase/adaptive clocking or loopback on, bit shifts the model lacks, CS# falling
  // with SCK high). Empty for a correct host.
  const std::vector<std::string>& errors() const { return errors_; }
  // Bytes of an incomplete command waiting for the next write (0 between transactions).
  size_t pending_command_bytes() const { return input_.size(); }
  bool mpsse_enabled() const { return mpsse_; }
  uint8_t latency_timer_ms() const { return latency_ms_; }
  uint32_t sck_hz() const;
  // ADBUS (bits 0-7) and ACBUS (bits 8-15) levels and directions as last set.
  uint16_t pin_values() const { return values_; }
  uint16_t pin_directions() const { return directions_; }
  bool chip_selected() const { return selected_; }
  bool chip_powered() const { return powered_; }

 private:
  Status BeginTransfer(bool control);
  void Spend(Clock::Duration d);
  void SpendUsb(size_t bytes);
  void SpendClocks(uint64_t clocks);
  void Execute();
  size_t CommandLength(size_t pos) const;  // 0 = incomplete.
  void RunCommand(const std::byte* cmd, size_t length);
  bool RunCommonCommand(uint8_t op, const std::byte* cmd, size_t length);
  bool RunHighSpeedCommand(uint8_t op, const std::byte* cmd);
  void AnswerBadCommand(uint8_t op);
  void PushReply(uint8_t b);
  void Shift(uint8_t opcode, std::span<const std::byte> out, size_t n);
  void SetPins(uint16_t values, uint16_t directions);
  bool LineLevel(int pin) const;  // Undriven inputs read high (pull-ups).
  void ResetEngine();
  void Error(std::string message);

  SpiDevice& device_;
  MpsseEmulatorOptions options_;
  bool attached_ = true;
  bool open_ = false;
  bool mpsse_ = false;
  uint8_t latency_ms_ = 16;
  bool divide_by_5_ = true;
  bool three_phase_ = false;
  bool adaptive_ = false;
  bool loopback_ = true;  // The engine powers up with loopback on (AN_108).
  uint16_t divisor_ = 0;
  uint16_t values_ = 0;
  uint16_t directions_ = 0;
  bool selected_ = false;
  bool powered_ = true;
  std::vector<std::byte> input_;  // Unexecuted command bytes.
  std::deque<std::byte> reply_;   // Bytes the chip holds for the host.
  size_t unflushed_reply_ = 0;    // Trailing reply bytes not yet sent by 87h.
  std::optional<uint64_t> unplug_at_;
  struct FailAt {
    uint64_t index;
    Status status;
  };
  std::optional<FailAt> fail_at_;
  size_t max_read_bytes_ = 0;
  bool drop_replies_ = false;
  Status open_error_;
  std::string open_error_message_;
  MpsseEmulatorStats stats_;
  std::vector<std::string> errors_;
  std::string last_error_;
};

}  // namespace flashrig::driver
