// MpsseEmulator, the command processor (FTDI AN_108): command lengths, data shifts decoded
// by their bit fields, GPIO, clocking and wait commands, the bad-command echo, the
// GPIO-to-chip wiring, and the stall on a full reply buffer.
#include <algorithm>
#include <array>

#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "mpsse_commands.h"

namespace flashrig::driver {
namespace {

using mpsse::Hex;

uint8_t Arg(const std::byte* cmd, size_t i) { return static_cast<uint8_t>(cmd[i]); }

// The length field of a byte command: bytes 1-2, little-endian, minus one.
size_t Length16(const std::byte* cmd) {
  return 1 + static_cast<size_t>(Arg(cmd, 1)) + (static_cast<size_t>(Arg(cmd, 2)) << 8);
}

// LSB-first shifts put bit 0 on the wire first; the chip model is MSB-first.
std::byte Reverse(std::byte b) {
  uint8_t v = static_cast<uint8_t>(b);
  v = static_cast<uint8_t>((v & 0xF0) >> 4 | (v & 0x0F) << 4);
  v = static_cast<uint8_t>((v & 0xCC) >> 2 | (v & 0x33) << 2);
  v = static_cast<uint8_t>((v & 0xAA) >> 1 | (v & 0x55) << 1);
  return std::byte{v};
}

}  // namespace

size_t MpsseEmulator::CommandLength(size_t pos) const {
  const size_t avail = input_.size() - pos;
  const uint8_t op = static_cast<uint8_t>(input_[pos]);
  auto need = [avail](size_t n) { return avail >= n ? n : 0; };
  if (op < 0x80) {
    if (op & mpsse::kShiftWritesTms) return need(3);  // Opcode, bit count, one data byte.
    if (op & mpsse::kShiftBitMode) return need((op & mpsse::kShiftWritesDo) ? 3 : 2);
    if (avail < 3) return 0;
    return need(3 + ((op & mpsse::kShiftWritesDo) ? Length16(&input_[pos]) : 0));
  }
  const bool h = FtdiIsHighSpeed(options_.chip_type);
  switch (op) {
    case mpsse::kSetLowByte:
    case mpsse::kSetHighByte:
    case mpsse::kSetDivisor:
      return need(3);
    case mpsse::kClockBits:
      return h ? need(2) : 1;
    case mpsse::kClockBytes:
    case mpsse::kClockBytesOrGpioHigh:
    case mpsse::kClockBytesOrGpioLow:
      return h ? need(3) : 1;
    case mpsse::kDriveZero:
      return options_.chip_type == FtdiChipType::kFt232H ? need(3) : 1;
    default:
      return 1;  // One-byte commands, and undefined opcodes (answered FAh + opcode).
  }
}

// Runs every complete command, unless the host has left the reply buffer full: then the
// engine waits, as the chip does, and Read/PurgeReplies call this again.
void MpsseEmulator::Execute() {
  while (input_pos_ < input_.size()) {
    if (reply_.size() >= options_.reply_buffer_limit) {
      if (!stalled_) ++stats_.reply_stalls;
      stalled_ = true;
      return;
    }
    const size_t len = CommandLength(input_pos_);
    if (len == 0) break;  // Incomplete: the rest arrives in the next write.
    RunCommand(input_.data() + input_pos_, len);
    input_pos_ += len;
  }
  stalled_ = false;
  if (input_pos_ == input_.size()) {
    input_.clear();
    input_pos_ = 0;
  }
}

void MpsseEmulator::RunCommand(const std::byte* cmd, size_t length) {
  const uint8_t op = Arg(cmd, 0);
  if (op < 0x80) {
    RunShift(cmd, length);
    return;
  }
  if (RunCommonCommand(op, cmd)) return;
  if (FtdiIsHighSpeed(options_.chip_type) && RunHighSpeedCommand(op, cmd)) return;
  if (RunWaitCommand(op, cmd)) return;
  AnswerBadCommand(op);
}

// Commands every MPSSE chip has. Returns false for an opcode it does not know.
bool MpsseEmulator::RunCommonCommand(uint8_t op, const std::byte* cmd) {
  switch (op) {
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
      loopback_warned_ = false;
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
    case mpsse::kThreePhaseOn:  // Data held for 1.5 periods: SPI mode 1/3 workarounds.
      three_phase_ = true;
      return true;
    case mpsse::kThreePhaseOff:
      three_phase_ = false;
      return true;
    case mpsse::kAdaptiveOn:
      adaptive_ = true;
      adaptive_warned_ = false;
      return true;
    case mpsse::kAdaptiveOff:
      adaptive_ = false;
      return true;
    case mpsse::kClockBits:
      ClockIdle(Arg(cmd, 1) + 1u);
      return true;
    case mpsse::kClockBytes:
      ClockIdle(Length16(cmd) * 8);
      return true;
    default:
      return false;
  }
}

// Waits on GPIOL1 (ADBUS5), and the FT232H's drive-zero mask. Nothing outside the host
// drives ADBUS5 here (an input floats high), so a condition that does not hold now never
// will: a real chip would wait or clock forever; the emulator says so and goes on.
bool MpsseEmulator::RunWaitCommand(uint8_t op, const std::byte* cmd) {
  const bool h = FtdiIsHighSpeed(options_.chip_type);
  const bool gpiol1 = LineLevel(mpsse::kGpiol1Pin);
  const bool want_high = op == mpsse::kWaitGpioHigh || op == mpsse::kClockUntilGpioHigh ||
                         op == mpsse::kClockBytesOrGpioHigh;
  const std::string level = want_high ? "high" : "low";
  switch (op) {
    case mpsse::kWaitGpioHigh:
    case mpsse::kWaitGpioLow:
      if (gpiol1 != want_high) {
        Error(Hex(op) + " waits for GPIOL1 (ADBUS5) to go " + level +
              ", which nothing drives: a real chip would wait forever");
      }
      return true;
    case mpsse::kClockUntilGpioHigh:
    case mpsse::kClockUntilGpioLow:
      if (!h) return false;
      if (gpiol1 != want_high) {
        Error(Hex(op) + " clocks until GPIOL1 (ADBUS5) goes " + level +
              ", which nothing drives: a real chip would clock forever");
      }
      return true;
    case mpsse::kClockBytesOrGpioHigh:
    case mpsse::kClockBytesOrGpioLow:
      if (!h) return false;
      if (gpiol1 != want_high) ClockIdle(Length16(cmd) * 8);
      return true;
    case mpsse::kDriveZero:
      // Open-drain pins: a 1 is released and read through the pull-up, so levels do not
      // change in this model.
      if (options_.chip_type != FtdiChipType::kFt232H) return false;
      drive_zero_ = static_cast<uint16_t>(Arg(cmd, 1) | (Arg(cmd, 2) << 8));
      return true;
    default:
      return false;
  }
}

// What the chip does with a byte (bit 7 set) it does not execute: FAh, then the byte.
void MpsseEmulator::AnswerBadCommand(uint8_t op) {
  if (op != mpsse::kSyncOpcode && op != 0xAB) {
    Error("opcode " + Hex(op) + " is not an MPSSE command of the " +
          FtdiChipTypeName(options_.chip_type) + ": answered FAh " + Hex(op));
  }
  ++stats_.bad_commands;
  PushReply(mpsse::kBadCommand);
  PushReply(op);
}

void MpsseEmulator::PushReply(uint8_t b) {
  reply_.push_back(std::byte{b});
  ++unflushed_reply_;
}

// An opcode below 80h: bit 6 TMS, bit 1 bit mode, else bytes (AN_108 "Data Shifting").
void MpsseEmulator::RunShift(const std::byte* cmd, size_t length) {
  const uint8_t op = Arg(cmd, 0);
  if (op & (mpsse::kShiftWritesTms | mpsse::kShiftBitMode)) {
    if (Arg(cmd, 1) > 7) Error("bit shift " + Hex(op) + " with a bit count field above 7");
    const uint32_t bits = (Arg(cmd, 1) & 7u) + 1;
    const bool has_data = (op & mpsse::kShiftWritesTms) || (op & mpsse::kShiftWritesDo);
    const uint8_t data = has_data ? Arg(cmd, 2) : 0xFF;
    if (op & mpsse::kShiftWritesTms) {
      ShiftTms(op, data, bits);
    } else {
      ShiftBits(op, data, bits);
    }
    return;
  }
  const bool writes = (op & mpsse::kShiftWritesDo) != 0;
  ShiftBytes(op, writes ? std::span(cmd + 3, length - 3) : std::span<const std::byte>{},
             Length16(cmd));
}

// Complaints about a shift the chip would run but that cannot reach an SPI chip properly.
void MpsseEmulator::CheckShiftPins(uint8_t op) {
  if (adaptive_ && !adaptive_warned_) {
    Error("shift " + Hex(op) +
          " with adaptive clocking on: a real chip waits for RTCK (ADBUS7), which nothing "
          "drives here");
    adaptive_warned_ = true;
  }
  if (!selected_) return;
  if (!(directions_ & mpsse::kPinSck)) {
    Error("shift " + Hex(op) + " with SCK (ADBUS0) not an output: the chip sees no clock");
  } else if ((op & mpsse::kShiftWritesDo) && !(directions_ & mpsse::kPinMosi)) {
    Error("shift " + Hex(op) + " with MOSI (ADBUS1) not an output: the chip reads 1s");
  }
}

// Shifts bytes through the SPI chip (or nothing, when it is not selected or SCK is not
// driven). The chip sees the DO pin; the host reads DI, or DO itself with loopback on.
void MpsseEmulator::ShiftBytes(uint8_t op, std::span<const std::byte> out, size_t n) {
  CheckShiftPins(op);
  const bool reads = (op & mpsse::kShiftReadsDi) != 0;
  const bool lsb_first = (op & mpsse::kShiftLsbFirst) != 0;
  const bool to_chip = selected_ && (directions_ & mpsse::kPinSck);
  const bool mosi_driven = (directions_ & mpsse::kPinMosi) != 0;
  if (reads && loopback_ && selected_ && !loopback_warned_) {
    Error("read " + Hex(op) + " with TDI/TDO loopback on: the host gets its own DO bits back");
    loopback_warned_ = true;
  }
  std::array<std::byte, 256> wire{};  // DO as the chip sees it, MSB first.
  std::array<std::byte, 256> miso{};
  std::array<std::byte, 256> host{};  // What the host reads, in its bit order.
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(wire.size(), n - done);
    for (size_t i = 0; i < chunk; ++i) {
      const std::byte b = out.empty() ? std::byte{0xFF} : out[done + i];
      wire[i] = !mosi_driven ? std::byte{0xFF} : lsb_first ? Reverse(b) : b;
      host[i] = b;  // Loopback: DO comes straight back in the same bit order.
    }
    auto in = std::span(miso).first(chunk);
    if (to_chip) {
      device_.Exchange(std::span(wire).first(chunk), reads ? in : std::span<std::byte>{});
    } else {
      std::fill(in.begin(), in.end(), std::byte{0xFF});  // MISO pulled up, nobody drives.
    }
    if (reads) {
      if (!loopback_) {
        for (size_t i = 0; i < chunk; ++i) host[i] = lsb_first ? Reverse(in[i]) : in[i];
      }
      reply_.insert(reply_.end(), host.begin(), host.begin() + static_cast<ptrdiff_t>(chunk));
      unflushed_reply_ += chunk;
    }
    done += chunk;
  }
  SpendClocks(8ull * n);
}

// 1-8 bits on DO/DI. The chip model takes whole bytes, so bits sent while it is selected
// cannot be delivered; MISO reads high.
void MpsseEmulator::ShiftBits(uint8_t op, uint8_t data, uint32_t bits) {
  CheckShiftPins(op);
  if (selected_ && (directions_ & mpsse::kPinSck)) {
    Error("bit shift " + Hex(op) + " of " + std::to_string(bits) +
          " bits with the chip selected: the chip model takes whole bytes; not delivered");
  }
  if (op & mpsse::kShiftReadsDi) PushReply(loopback_ ? data : 0xFF);
  SpendClocks(bits);
}

// 1-7 bits on TMS (ADBUS3), LSB first, with DO held at bit 7. Afterwards the pins keep the
// last TMS bit and the DO level, as JTAG relies on; when ADBUS3 is the chip's CS# the chip
// sees those edges.
void MpsseEmulator::ShiftTms(uint8_t op, uint8_t data, uint32_t bits) {
  if (options_.pins.chip_select == 3 && (directions_ & mpsse::kPinTms)) {
    Error("TMS shift " + Hex(op) + " clocks ADBUS3, which is the chip's CS#");
  }
  if (op & mpsse::kShiftReadsDi) PushReply(loopback_ ? ((data & 0x80) ? 0xFF : 0x00) : 0xFF);
  SpendClocks(bits);
  uint16_t v = values_;
  v = static_cast<uint16_t>(((data >> (bits - 1)) & 1u) ? (v | mpsse::kPinTms)
                                                        : (v & ~mpsse::kPinTms));
  v = static_cast<uint16_t>((data & 0x80) ? (v | mpsse::kPinMosi) : (v & ~mpsse::kPinMosi));
  SetPins(v, directions_);
}

// SCK cycles with no data (8Eh, 8Fh, 9Ch/9Dh): dummy clocks for a selected chip.
void MpsseEmulator::ClockIdle(uint64_t clocks) {
  if (selected_ && (directions_ & mpsse::kPinSck)) {
    device_.DummyClocks(static_cast<uint32_t>(clocks));
  }
  SpendClocks(clocks);
}

bool MpsseEmulator::LineLevel(int pin) const {
  if (pin < 0) return true;
  const uint16_t bit = static_cast<uint16_t>(1u << pin);
  return (directions_ & bit) ? (values_ & bit) != 0 : true;
}

// Applies a GPIO write to the chip: power first when it comes on, last when it goes off;
// then WP#/HOLD#/RESET#; then CS# edges. SCK may idle high (SPI mode 3).
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
  bool power = powered_;
  if (p.chip_power >= 0) {
    // An undriven load-switch enable is pulled to "off".
    const uint16_t bit = static_cast<uint16_t>(1u << p.chip_power);
    power = (directions & bit) != 0 && ((values & bit) != 0) == p.chip_power_active_high;
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
