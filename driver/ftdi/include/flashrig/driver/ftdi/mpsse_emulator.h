// MpsseEmulator: one channel of an FT232H/FT2232H/FT4232H (or FT2232D) with an SPI chip
// (any SpiDevice) wired to its MPSSE pins, behind the FtdiPort seam, so FtdiSpiBus runs in
// CI on the same code that drives real hardware; hil/emulate puts it behind a usbfs-level
// USB device for other programs (flashrom, pyftdi). It executes the MPSSE command stream
// as AN_108 describes it (every opcode below 80h is a shift decoded by its bit fields;
// undefined opcodes with bit 7 set get FAh + the opcode), stalls like the chip's FIFOs when
// the host does not read, counts USB transfers, models time (USB latency, SCK, latency
// timer) and injects faults (unplug at a chosen transfer, failed transfers, short reads,
// lost replies).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
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
  // False for a channel without an MPSSE engine (FT4232H C/D): bit mode 02h is accepted,
  // reported as a complaint, and the bytes are not executed.
  bool has_mpsse = true;
  // The chip's FIFOs, scaled up: the engine stops executing while this many reply bytes
  // wait for the host (resuming as the host reads), and refuses bulk writes
  // (kDeadlineExceeded, as a NAKed OUT ends in a timeout) once this many command bytes
  // wait behind the stall. Memory stays bounded whatever the host sends.
  size_t reply_buffer_limit = 256 * 1024;
  size_t command_buffer_limit = 1024 * 1024;
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
  uint64_t reply_stalls = 0;         // Times execution paused on a full reply buffer.
  uint64_t refused_writes = 0;       // Bulk writes refused: command buffer full.
  uint64_t complaints = 0;           // Every Error() call, including those not kept.
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
  Status Flush() override;  // Both buffers, as SIO reset does.
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

  // The SIO requests beyond the FtdiPort seam, for the USB-level device (hil/emulate).
  // Purge value 1: drops the command bytes not yet executed (host-to-chip buffer).
  Status PurgeCommands();
  // Purge value 2: drops the replies the host has not read (chip-to-host buffer).
  Status PurgeReplies();
  // SIO 0Ch: the levels of ADBUS0-7 now (driven outputs as driven, inputs pulled up).
  Result<uint8_t> ReadPins();
  // A USB port reset: the channel is as after power-up (bit mode reset, latency 16 ms,
  // every pin an input, buffers empty).
  void PowerOnReset();
  // True if Write(bytes) would be refused now (the engine is stalled on unread replies
  // and the command buffer is full): the USB device then leaves the OUT URB pending, as
  // the chip NAKs it.
  bool WriteWouldBlock(size_t bytes) const;

  // Observation.
  const MpsseEmulatorStats& stats() const { return stats_; }
  // Complaints: what a real chip would execute but a correct SPI host does not send
  // (undefined opcodes other than the AAh/ABh sync, bit or TMS shifts with the chip
  // selected, reads with loopback on, waits on GPIOL1 that would never end, bit modes
  // not emulated...). Empty for a correct host. The first kMaxKeptErrors are kept;
  // stats().complaints counts them all.
  static constexpr size_t kMaxKeptErrors = 1000;
  const std::vector<std::string>& errors() const { return errors_; }
  // Called with each complaint as it happens (e.g. to print it); may be empty.
  void set_on_error(std::function<void(const std::string&)> on_error) {
    on_error_ = std::move(on_error);
  }
  // Bytes of an incomplete command waiting for the next write (0 between transactions),
  // plus any commands held back by a reply stall.
  size_t pending_command_bytes() const { return input_.size() - input_pos_; }
  size_t pending_reply_bytes() const { return reply_.size(); }
  bool mpsse_enabled() const { return mpsse_; }
  uint8_t bit_mode() const { return bit_mode_; }
  bool loopback() const { return loopback_; }
  bool three_phase_clocking() const { return three_phase_; }
  uint16_t drive_zero_mask() const { return drive_zero_; }
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
  // mpsse_engine.cc: the command processor.
  void Execute();
  size_t CommandLength(size_t pos) const;  // 0 = incomplete.
  void RunCommand(const std::byte* cmd, size_t length);
  bool RunCommonCommand(uint8_t op, const std::byte* cmd);
  bool RunHighSpeedCommand(uint8_t op, const std::byte* cmd);
  bool RunWaitCommand(uint8_t op, const std::byte* cmd);
  void AnswerBadCommand(uint8_t op);
  void PushReply(uint8_t b);
  void RunShift(const std::byte* cmd, size_t length);
  void ShiftBytes(uint8_t op, std::span<const std::byte> out, size_t n);
  void ShiftBits(uint8_t op, uint8_t data, uint32_t bits);
  void ShiftTms(uint8_t op, uint8_t data, uint32_t bits);
  void CheckShiftPins(uint8_t op);
  void ClockIdle(uint64_t clocks);  // Clocks with no data (8Eh/8Fh/9Ch/9Dh).
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
  // Power-up state as this engine has always assumed (AN_108); unverified on silicon, and
  // every client examined (flashrom, pyftdi, libftdi users, ours) sends 85h anyway.
  bool loopback_ = true;
  bool loopback_warned_ = false;
  bool adaptive_warned_ = false;
  uint8_t bit_mode_ = 0;
  uint16_t divisor_ = 0;
  uint16_t drive_zero_ = 0;
  uint16_t values_ = 0;
  uint16_t directions_ = 0;
  bool selected_ = false;
  bool powered_ = true;
  std::vector<std::byte> input_;  // Command bytes; those before input_pos_ are done.
  size_t input_pos_ = 0;
  bool stalled_ = false;         // Execution paused on a full reply buffer.
  std::deque<std::byte> reply_;  // Bytes the chip holds for the host.
  size_t unflushed_reply_ = 0;   // Trailing reply bytes not yet sent by 87h.
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
  std::function<void(const std::string&)> on_error_;
  std::string last_error_;
};

}  // namespace flashrig::driver
