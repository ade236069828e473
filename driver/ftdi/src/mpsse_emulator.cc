// MpsseEmulator: MPSSE command interpretation (AN_108), GPIO-to-chip wiring, the time
// model and fault injection.
#include "flashrig/driver/ftdi/mpsse_emulator.h"

#include <algorithm>
#include <array>
#include <cstdio>

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

std::string Hex(uint8_t v) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%02Xh", v);
  return buf.data();
}

uint8_t Arg(const std::byte* cmd, size_t i) { return static_cast<uint8_t>(cmd[i]); }

// The length field of a byte command: bytes 1-2, little-endian, minus one.
size_t Length16(const std::byte* cmd) {
  return 1 + static_cast<size_t>(Arg(cmd, 1)) + (static_cast<size_t>(Arg(cmd, 2)) << 8);
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
  divide_by_5_ = true;
  three_phase_ = false;
  adaptive_ = false;
  loopback_ = true;
  divisor_ = 0;
  input_.clear();
  reply_.clear();
  unflushed_reply_ = 0;
  SetPins(0, 0);  // Every pin an input.
}

void MpsseEmulator::Error(std::string message) { errors_.push_back(std::move(message)); }

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

void MpsseEmulator::SpendClocks(uint64_t clocks) {
  stats_.spi_clocks += clocks;
  Spend(std::chrono::nanoseconds(clocks * 1'000'000'000ull / std::max<uint32_t>(sck_hz(), 1)));
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

Status MpsseEmulator::Reset() {
  FLASHRIG_TRY(BeginTransfer(true));
  input_.clear();
  reply_.clear();
  unflushed_reply_ = 0;
  return Status::Ok();
}

Status MpsseEmulator::SetLatencyTimer(uint8_t latency_ms) {
  FLASHRIG_TRY(BeginTransfer(true));
  if (latency_ms == 0) {
    last_error_ = "latency out of range";
    return Status::InvalidArgument();
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
  if (mode == kFtdiBitmodeMpsse) {
    mpsse_ = true;
    return Status::Ok();
  }
  last_error_ = "bit mode " + Hex(mode) + " is not emulated";
  return Status::InvalidArgument();
}

Status MpsseEmulator::Flush() {
  FLASHRIG_TRY(BeginTransfer(true));
  input_.clear();
  reply_.clear();
  unflushed_reply_ = 0;
  return Status::Ok();
}

Result<size_t> MpsseEmulator::Write(std::span<const std::byte> data) {
  FLASHRIG_TRY(BeginTransfer(false));
  ++stats_.bulk_writes;
  stats_.bytes_written += data.size();
  SpendUsb(data.size());
  if (!mpsse_) return data.size();  // UART mode: the bytes go out of TXD, not to the SPI chip.
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
  return n;
}

size_t MpsseEmulator::CommandLength(size_t pos) const {
  const size_t avail = input_.size() - pos;
  const uint8_t op = static_cast<uint8_t>(input_[pos]);
  auto need = [avail](size_t n) { return avail >= n ? n : 0; };
  const bool h = FtdiIsHighSpeed(options_.chip_type);
  switch (op) {
    case mpsse::kWriteBytesFalling:
    case mpsse::kExchangeBytes: {
      if (avail < 3) return 0;
      const size_t len =
          1 + static_cast<size_t>(input_[pos + 1]) + (static_cast<size_t>(input_[pos + 2]) << 8);
      return need(3 + len);
    }
    case mpsse::kReadBytesRising:
    case mpsse::kSetLowByte:
    case mpsse::kSetHighByte:
    case mpsse::kSetDivisor:
      return need(3);
    case mpsse::kWriteBitsFalling:
    case mpsse::kExchangeBits:
      return need(3);
    case mpsse::kReadBitsRising:
      return need(2);
    case mpsse::kClockBits:
      return h ? need(2) : 1;
    case mpsse::kClockBytes:
      return h ? need(3) : 1;
    default:
      return 1;  // One-byte commands, and unknown opcodes (answered FAh + opcode).
  }
}

void MpsseEmulator::Execute() {
  size_t pos = 0;
  while (pos < input_.size()) {
    const size_t len = CommandLength(pos);
    if (len == 0) break;  // Incomplete: the rest arrives in the next write.
    RunCommand(input_.data() + pos, len);
    pos += len;
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<ptrdiff_t>(pos));
}

void MpsseEmulator::RunCommand(const std::byte* cmd, size_t length) {
  const uint8_t op = static_cast<uint8_t>(cmd[0]);
  if (RunCommonCommand(op, cmd, length)) return;
  if (FtdiIsHighSpeed(options_.chip_type) && RunHighSpeedCommand(op, cmd)) return;
  AnswerBadCommand(op);
}

// Commands every MPSSE chip has. Returns false for an opcode it does not know.
bool MpsseEmulator::RunCommonCommand(uint8_t op, const std::byte* cmd, size_t length) {
  switch (op) {
    case mpsse::kWriteBytesFalling:
    case mpsse::kExchangeBytes:
      Shift(op, std::span(cmd + 3, length - 3), length - 3);
      return true;
    case mpsse::kReadBytesRising:
      Shift(op, {}, Length16(cmd));
      return true;
    case mpsse::kSetLowByte:
      SetPins(static_cast<uint16_t>((values_ & 0xFF00) | Arg(cmd, 1)),
              static_cast<uint16_t>((directions_ & 0xFF00) | Arg(cmd, 2)));
      return true;
    case mpsse::kSetHighByte:
      SetPins(static_cast<uint16_t>((values_ & 0x00FF) | (Arg(cmd, 1) << 8)),
              static_cast<uint16_t>((directions_ & 0x00FF) | (Arg(cmd, 2) << 8)));
      return true;
    case mpsse::kGetLowByte:
    case mpsse::kGetHighByte: {
      uint8_t v = 0;
      const int base = op == mpsse::kGetLowByte ? 0 : 8;
      for (int bit = 0; bit < 8; ++bit) {
        if (LineLevel(base + bit)) v = static_cast<uint8_t>(v | (1u << bit));
      }
      PushReply(v);
      return true;
    }
    case mpsse::kLoopbackOn:
      loopback_ = true;
      return true;
    case mpsse::kLoopbackOff:
      loopback_ = false;
      return true;
    case mpsse::kSetDivisor:
      divisor_ = static_cast<uint16_t>(Arg(cmd, 1) | (Arg(cmd, 2) << 8));
      return true;
    case mpsse::kSendImmediate:
      unflushed_reply_ = 0;
      return true;
    default:
      return false;
  }
}

// Commands only the high-speed (H) chips have. Returns false for any other opcode.
bool MpsseEmulator::RunHighSpeedCommand(uint8_t op, const std::byte* cmd) {
  switch (op) {
    case mpsse::kDivideBy5Off:
      divide_by_5_ = false;
      return true;
    case mpsse::kDivideBy5On:
      divide_by_5_ = true;
      return true;
    case mpsse::kThreePhaseOn:
      three_phase_ = true;
      return true;
    case mpsse::kThreePhaseOff:
      three_phase_ = false;
      return true;
    case mpsse::kAdaptiveOn:
      adaptive_ = true;
      return true;
    case mpsse::kAdaptiveOff:
      adaptive_ = false;
      return true;
    case mpsse::kClockBits:
      Shift(op, {}, 0);
      if (selected_) device_.DummyClocks(Arg(cmd, 1) + 1u);
      SpendClocks(Arg(cmd, 1) + 1u);
      return true;
    case mpsse::kClockBytes:
      Shift(op, {}, 0);
      if (selected_) device_.DummyClocks(static_cast<uint32_t>(Length16(cmd) * 8));
      SpendClocks(Length16(cmd) * 8);
      return true;
    default:
      return false;
  }
}

// What the chip does with an opcode it does not execute: FAh, then the opcode.
void MpsseEmulator::AnswerBadCommand(uint8_t op) {
  if (op == mpsse::kWriteBitsFalling || op == mpsse::kExchangeBits ||
      op == mpsse::kReadBitsRising) {
    Error("bit shift " + Hex(op) + " is not modelled (the chip model is byte-wide)");
  } else if (op != mpsse::kSyncOpcode && op != 0xAB) {
    Error("unknown opcode " + Hex(op) + " answered with FAh " + Hex(op));
  }
  ++stats_.bad_commands;
  PushReply(mpsse::kBadCommand);
  PushReply(op);
}

void MpsseEmulator::PushReply(uint8_t b) {
  reply_.push_back(std::byte{b});
  ++unflushed_reply_;
}

// Shifts bytes through the SPI chip (or nothing, when it is not selected).
void MpsseEmulator::Shift(uint8_t opcode, std::span<const std::byte> out, size_t n) {
  if (three_phase_) Error("shift " + Hex(opcode) + " with 3-phase clocking on");
  if (adaptive_) Error("shift " + Hex(opcode) + " with adaptive clocking on");
  if (loopback_) Error("shift " + Hex(opcode) + " with TDI/TDO loopback on");
  const uint16_t needed = mpsse::kPinSck | mpsse::kPinMosi;
  if ((directions_ & needed) != needed)
    Error("shift " + Hex(opcode) + " with SCK/MOSI not outputs");
  if (n == 0) return;
  const bool reads = opcode != mpsse::kWriteBytesFalling;
  static constexpr std::array<std::byte, 256> kOnes = [] {
    std::array<std::byte, 256> a{};
    a.fill(std::byte{0xFF});
    return a;
  }();
  std::array<std::byte, 256> miso{};
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(miso.size(), n - done);
    const auto mosi =
        out.empty() ? std::span<const std::byte>(kOnes).first(chunk) : out.subspan(done, chunk);
    auto in = std::span(miso).first(chunk);
    if (selected_) {
      device_.Exchange(mosi, reads ? in : std::span<std::byte>{});
    } else {
      std::fill(in.begin(), in.end(), std::byte{0xFF});  // MISO pulled up, nobody drives.
    }
    if (reads) {
      for (std::byte b : in) {
        reply_.push_back(b);
        ++unflushed_reply_;
      }
    }
    done += chunk;
  }
  SpendClocks(8ull * n);
}

bool MpsseEmulator::LineLevel(int pin) const {
  if (pin < 0) return true;
  const uint16_t bit = static_cast<uint16_t>(1u << pin);
  return (directions_ & bit) ? (values_ & bit) != 0 : true;
}

// Applies a GPIO write to the chip: power first when it comes on, last when it goes off;
// then WP#/HOLD#/RESET#; then CS# edges.
void MpsseEmulator::SetPins(uint16_t values, uint16_t directions) {
  const uint16_t old_values = values_;
  const uint16_t old_directions = directions_;
  values_ = values;
  directions_ = directions;
  const FtdiPins& p = options_.pins;
  auto level_was = [&](int pin) {
    if (pin < 0) return true;
    const uint16_t bit = static_cast<uint16_t>(1u << pin);
    return (old_directions & bit) ? (old_values & bit) != 0 : true;
  };
  auto power_from = [&](bool level, bool driven) {
    // An undriven load-switch enable is pulled to "off".
    return driven ? level == p.chip_power_active_high : false;
  };
  bool power = powered_;
  if (p.chip_power >= 0) {
    const uint16_t bit = static_cast<uint16_t>(1u << p.chip_power);
    power = power_from((values & bit) != 0, (directions & bit) != 0);
  }
  const bool power_on_edge = power && !powered_;
  const bool power_off_edge = !power && powered_;
  if (power_on_edge) {
    powered_ = true;
    device_.SetControlLine(SpiControlLine::kChipPower, true).IgnoreError();
  }
  const std::array<std::pair<SpiControlLine, int>, 3> lines = {
      {{SpiControlLine::kWriteProtect, p.write_protect},
       {SpiControlLine::kHold, p.hold},
       {SpiControlLine::kReset, p.reset}}};
  for (const auto& [line, pin] : lines) {
    if (pin >= 0 && LineLevel(pin) != level_was(pin)) {
      device_.SetControlLine(line, LineLevel(pin)).IgnoreError();
    }
  }
  const bool cs_low = !LineLevel(p.chip_select) && powered_;
  if (cs_low && !selected_) {
    if (LineLevel(0) && (directions_ & mpsse::kPinSck))
      Error("CS# fell with SCK high (not SPI mode 0)");
    selected_ = true;
    ++stats_.chip_selects;
    device_.Select();
  } else if (!cs_low && selected_) {
    selected_ = false;
    device_.Deselect();
  }
  if (power_off_edge) {
    powered_ = false;
    device_.SetControlLine(SpiControlLine::kChipPower, false).IgnoreError();
  }
}

}  // namespace flashrig::driver
