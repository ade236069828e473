// MpsseEmulator, the channel side: opening, the SIO requests (reset, purges, latency
// timer, bit mode, pins), bulk transfers with the FIFO stall, the time model and fault
// injection. The command processor is in mpsse_engine.cc.
#include "flashrig/driver/ftdi/mpsse_emulator.h"

#include <algorithm>

#include "flashrig/driver/ftdi/ftdi_url.h"
#include "mpsse_commands.h"

namespace flashrig::driver {
namespace {

constexpr uint8_t kEmulatedBus = 1;
constexpr uint8_t kEmulatedAddress = 7;

uint16_t ProductId(FtdiChipType type) {
  switch (type) {
    case FtdiChipType::kFt232H:
      return kFt232hProductId;
    case FtdiChipType::kFt4232H:
      return kFt4232hProductId;
    default:
      return kFt2232ProductId;
  }
}

}  // namespace

MpsseEmulator::MpsseEmulator(SpiDevice& device, const MpsseEmulatorOptions& options)
    : device_(device), options_(options) {
  ResetEngine();
}

Result<std::vector<FtdiDeviceInfo>> MpsseEmulator::ListDevices() {
  std::vector<FtdiDeviceInfo> out;
  if (!attached_) return out;
  out.push_back({.vendor_id = kFtdiVendorId,
                 .product_id = ProductId(options_.chip_type),
                 .chip_type = options_.chip_type,
                 .bus = kEmulatedBus,
                 .address = kEmulatedAddress,
                 .strings_readable = true,
                 .manufacturer = "FTDI",
                 .description = std::string(FtdiChipTypeName(options_.chip_type)) + " (emulated)",
                 .serial = options_.serial});
  return out;
}

Status MpsseEmulator::Open(const FtdiOpenRequest& request) {
  if (!open_error_.ok()) {
    const Status s = open_error_;
    open_error_ = Status::Ok();
    last_error_ = open_error_message_;
    return s;
  }
  if (!attached_ || request.bus != kEmulatedBus || request.address != kEmulatedAddress) {
    last_error_ = "LIBUSB_ERROR_NO_DEVICE";
    return Status::NotFound();
  }
  if (request.interface < 1 || request.interface > FtdiInterfaceCount(options_.chip_type)) {
    last_error_ = "interface does not exist";
    return Status::InvalidArgument();
  }
  open_ = true;
  return Status::Ok();
}

void MpsseEmulator::Unplug() {
  attached_ = false;
  open_ = false;
  if (options_.unplug_cuts_chip_power && powered_) {
    if (selected_) device_.Deselect();
    selected_ = false;
    powered_ = false;
    device_.SetControlLine(SpiControlLine::kChipPower, false).IgnoreError();
  }
}

void MpsseEmulator::Replug() {
  attached_ = true;
  open_ = false;
  unplug_at_.reset();
  latency_ms_ = 16;  // Power-on default.
  ResetEngine();
}

void MpsseEmulator::ResetEngine() {
  mpsse_ = false;
  bit_mode_ = kFtdiBitmodeReset;
  divide_by_5_ = true;
  three_phase_ = false;
  adaptive_ = false;
  loopback_ = true;
  loopback_warned_ = false;
  adaptive_warned_ = false;
  divisor_ = 0;
  drive_zero_ = 0;
  input_.clear();
  input_pos_ = 0;
  stalled_ = false;
  reply_.clear();
  unflushed_reply_ = 0;
  SetPins(0, 0);  // Every pin an input.
}

void MpsseEmulator::PowerOnReset() {
  latency_ms_ = 16;
  ResetEngine();
}

void MpsseEmulator::Error(std::string message) {
  ++stats_.complaints;
  if (on_error_) on_error_(message);
  if (errors_.size() < kMaxKeptErrors) errors_.push_back(std::move(message));
}

uint32_t MpsseEmulator::sck_hz() const {
  const bool fast = FtdiIsHighSpeed(options_.chip_type) && !divide_by_5_;
  return mpsse::SckHz(fast ? mpsse::kBaseClockHighSpeedHz : mpsse::kBaseClockFullSpeedHz, divisor_);
}

void MpsseEmulator::Spend(Clock::Duration d) {
  stats_.modelled_time += d;
  if (options_.clock != nullptr) options_.clock->Advance(d);
}

void MpsseEmulator::SpendUsb(size_t bytes) {
  const auto payload = std::chrono::nanoseconds(
      bytes * 1'000'000'000ull / std::max<uint64_t>(options_.usb_bytes_per_second, 1));
  Spend(options_.usb_transfer_latency + payload);
}

// With 3-phase clocking each bit takes 1.5 periods (SCK runs at 2/3 of its rate).
void MpsseEmulator::SpendClocks(uint64_t clocks) {
  stats_.spi_clocks += clocks;
  const uint64_t half_periods = clocks * (three_phase_ ? 3 : 2);
  Spend(std::chrono::nanoseconds(half_periods * 500'000'000ull / std::max<uint32_t>(sck_hz(), 1)));
}

// Every USB transfer passes here: counts it and applies scheduled faults.
Status MpsseEmulator::BeginTransfer(bool control) {
  if (!open_) {
    last_error_ = attached_ ? "device not open" : "LIBUSB_ERROR_NO_DEVICE: device unplugged";
    return Status::Unavailable();
  }
  const uint64_t index = stats_.usb_transfers++;
  if (control) ++stats_.control_transfers;
  if (unplug_at_ && *unplug_at_ == index) {
    Unplug();
    last_error_ = "LIBUSB_ERROR_NO_DEVICE: device unplugged";
    return Status::Unavailable();
  }
  if (fail_at_ && fail_at_->index == index) {
    const Status s = fail_at_->status;
    fail_at_.reset();
    last_error_ = "injected failure";
    SpendUsb(0);
    return s;
  }
  if (control) SpendUsb(0);  // Bulk transfers charge their latency with their payload.
  return Status::Ok();
}

// SIO reset (value 0): both buffers and any partial command go; the bit mode stays, as
// every client sets it again afterwards.
Status MpsseEmulator::Reset() {
  FLASHRIG_TRY(BeginTransfer(true));
  input_.clear();
  input_pos_ = 0;
  stalled_ = false;
  reply_.clear();
  unflushed_reply_ = 0;
  return Status::Ok();
}

Status MpsseEmulator::SetLatencyTimer(uint8_t latency_ms) {
  FLASHRIG_TRY(BeginTransfer(true));
  if (latency_ms == 0) {
    // Outside the documented 1..255; what the silicon does with 0 is not known.
    Error("latency timer 0 ms is outside 1-255; emulated as 1 ms");
    latency_ms = 1;
  }
  latency_ms_ = latency_ms;
  return Status::Ok();
}

Status MpsseEmulator::SetBitMode(uint8_t /*pin_mask*/, uint8_t mode) {
  FLASHRIG_TRY(BeginTransfer(true));
  if (mode == kFtdiBitmodeReset) {
    ResetEngine();
    return Status::Ok();
  }
  bit_mode_ = mode;
  mpsse_ = mode == kFtdiBitmodeMpsse && options_.has_mpsse;
  if (mode == kFtdiBitmodeMpsse && !options_.has_mpsse) {
    Error("bit mode 02h (MPSSE) on a channel without an MPSSE engine; bytes are dropped");
  } else if (mode != kFtdiBitmodeMpsse) {
    // Async/sync bit-bang, MCU host bus, opto, CBUS, sync FIFO: real modes, not modelled.
    Error("bit mode " + mpsse::Hex(mode) + " is not emulated; bulk OUT bytes are dropped");
  }
  return Status::Ok();
}

Status MpsseEmulator::Flush() {
  FLASHRIG_TRY(BeginTransfer(true));
  input_.clear();
  input_pos_ = 0;
  stalled_ = false;
  reply_.clear();
  unflushed_reply_ = 0;
  return Status::Ok();
}

Status MpsseEmulator::PurgeCommands() {
  FLASHRIG_TRY(BeginTransfer(true));
  input_.clear();
  input_pos_ = 0;
  stalled_ = false;
  return Status::Ok();
}

Status MpsseEmulator::PurgeReplies() {
  FLASHRIG_TRY(BeginTransfer(true));
  reply_.clear();
  unflushed_reply_ = 0;
  Execute();  // A stalled engine goes on.
  return Status::Ok();
}

Result<uint8_t> MpsseEmulator::ReadPins() {
  FLASHRIG_TRY(BeginTransfer(true));
  uint8_t v = 0;
  for (int bit = 0; bit < 8; ++bit) {
    if (LineLevel(bit)) v = static_cast<uint8_t>(v | (1u << bit));
  }
  return v;
}

bool MpsseEmulator::WriteWouldBlock(size_t bytes) const {
  return mpsse_ && stalled_ && pending_command_bytes() + bytes > options_.command_buffer_limit;
}

Result<size_t> MpsseEmulator::Write(std::span<const std::byte> data) {
  FLASHRIG_TRY(BeginTransfer(false));
  if (WriteWouldBlock(data.size())) {
    ++stats_.refused_writes;
    last_error_ = "the MPSSE command buffer is full: the host is not reading its replies";
    return Status::DeadlineExceeded();
  }
  ++stats_.bulk_writes;
  stats_.bytes_written += data.size();
  SpendUsb(data.size());
  if (!mpsse_) return data.size();  // UART mode: the bytes go out of TXD, not to the SPI chip.
  if (input_pos_ > 0 && input_pos_ * 2 >= input_.size()) {
    input_.erase(input_.begin(), input_.begin() + static_cast<ptrdiff_t>(input_pos_));
    input_pos_ = 0;
  }
  input_.insert(input_.end(), data.begin(), data.end());
  Execute();
  return data.size();
}

Result<size_t> MpsseEmulator::Read(std::span<std::byte> out) {
  FLASHRIG_TRY(BeginTransfer(false));
  ++stats_.bulk_reads;
  if (drop_replies_) {
    reply_.clear();
    unflushed_reply_ = 0;
    if (stalled_) Execute();
  }
  size_t n = std::min(out.size(), reply_.size());
  if (max_read_bytes_ != 0) n = std::min(n, max_read_bytes_);
  if (n == 0) {
    // Nothing to send: the chip answers the IN request with status bytes only, after the
    // latency timer.
    Spend(std::chrono::milliseconds(latency_ms_));
    return size_t{0};
  }
  // Data not pushed by "send immediate" leaves the chip only when the latency timer fires.
  const size_t flushed = reply_.size() - unflushed_reply_;
  if (n > flushed) {
    ++stats_.latency_timer_waits;
    Spend(std::chrono::milliseconds(latency_ms_));
    unflushed_reply_ = 0;
  }
  std::copy_n(reply_.begin(), n, out.begin());
  reply_.erase(reply_.begin(), reply_.begin() + static_cast<ptrdiff_t>(n));
  stats_.bytes_read += n;
  // The chip streams reply packets to the host while it is still clocking (high-speed
  // USB is ~10x faster than the 30 MHz wire), so only the last 512-byte packet adds.
  SpendUsb(std::min<size_t>(n, 512));
  if (stalled_) Execute();  // Room in the reply buffer again: the engine goes on.
  return n;
}

}  // namespace flashrig::driver
