// FtdiSpiBus over an FtdiPort: MPSSE initialisation, one stream per transaction, reply
// reads with a deadline, control lines on GPIO, resynchronisation after a failure.
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_url.h"
#include "ftdi_bus_setup.h"
#include "mpsse_commands.h"
#include "mpsse_stream.h"

namespace flashrig::driver {
namespace {

class FtdiSpiBusImpl final : public FtdiSpiBus {
 public:
  FtdiSpiBusImpl(std::unique_ptr<FtdiPort> port, const FtdiOptions& options, Clock& clock,
                 std::unique_ptr<Clock> owned_clock, const FtdiDeviceInfo& device,
                 const FtdiClockSetup& clock_setup)
      : port_(std::move(port)),
        options_(options),
        owned_clock_(std::move(owned_clock)),
        clock_(owned_clock_ ? *owned_clock_ : clock),
        device_(device),
        clock_setup_(clock_setup),
        stream_(FtdiIsHighSpeed(device.chip_type)),
        pins_(options.pins) {}

  ~FtdiSpiBusImpl() override { port_->Close(); }

  uint32_t clock_hz() const override { return clock_setup_.sck_hz; }
  Clock::Duration round_trip_cost() const override { return round_trip_cost_; }
  const FtdiBusStats& stats() const override { return stats_; }
  const FtdiDeviceInfo& device() const override { return device_; }
  const std::string& last_error() const override { return last_error_; }

  // Reset, latency, MPSSE mode, sync, clocking and pins; checks the pins read back.
  Status Init() {
    FLASHRIG_TRY(Check(port_->Reset(), "USB reset"));
    FLASHRIG_TRY(Check(port_->SetLatencyTimer(options_.latency_timer_ms), "set latency timer"));
    FLASHRIG_TRY(Check(port_->SetBitMode(0, kFtdiBitmodeReset), "reset bit mode"));
    FLASHRIG_TRY(Check(port_->SetBitMode(0, kFtdiBitmodeMpsse), "enter MPSSE mode"));
    FLASHRIG_TRY(Synchronise());
    stream_.Clear();
    if (FtdiIsHighSpeed(device_.chip_type)) {
      stream_.Op(mpsse::kDivideBy5Off);
      stream_.Op(mpsse::kAdaptiveOff);
      stream_.Op(mpsse::kThreePhaseOff);
    }
    stream_.Op(mpsse::kLoopbackOff);
    stream_.SetDivisor(clock_setup_.divisor);
    EmitPins();
    // Read the low byte back: proves the engine took the whole stream.
    stream_.Op(mpsse::kGetLowByte);
    stream_.Op(mpsse::kSendImmediate);
    std::array<std::byte, 1> pins{};
    FLASHRIG_TRY(SendAndReceive(pins, 1));
    const uint8_t outputs = pins_.low_direction();
    if ((static_cast<uint8_t>(pins[0]) & outputs) != (pins_.low_value() & outputs)) {
      return Fail(Status::DataLoss(),
                  "MPSSE pins read back wrong after init: is the interface in MPSSE mode?");
    }
    return Status::Ok();
  }

 private:
  Status DoTransfer(std::span<const SpiSegment> segments) override {
    if (!pins_.powered()) {
      last_error_ = "chip power is off";
      return Status::Unavailable();
    }
    if (needs_resync_) FLASHRIG_TRY(Resync());
    stream_.Clear();
    uint64_t clocks = 0;
    pins_.SetChipSelect(false);
    EmitChipSelect();
    for (const SpiSegment& seg : segments) {
      switch (seg.kind) {
        case SpiSegment::Kind::kWrite:
          stream_.Write(seg.write);
          clocks += 8ull * seg.write.size();
          break;
        case SpiSegment::Kind::kRead:
          stream_.Read(seg.read.size());
          clocks += 8ull * seg.read.size();
          break;
        case SpiSegment::Kind::kDummyClocks:
          if (Status s = stream_.DummyClocks(seg.dummy_clocks); !s.ok()) {
            last_error_ = "this FTDI chip can only clock dummy cycles in multiples of 8";
            return s;
          }
          clocks += seg.dummy_clocks;
          break;
      }
    }
    pins_.SetChipSelect(true);
    EmitChipSelect();
    const size_t reply = stream_.reply_bytes();
    if (reply > 0) stream_.Op(mpsse::kSendImmediate);
    ++stats_.transactions;
    rx_.resize(reply);
    FLASHRIG_TRY(SendAndReceive(rx_, clocks));
    size_t offset = 0;
    for (const SpiSegment& seg : segments) {
      if (seg.kind != SpiSegment::Kind::kRead) continue;
      std::copy_n(rx_.begin() + static_cast<ptrdiff_t>(offset), seg.read.size(), seg.read.begin());
      offset += seg.read.size();
    }
    return Status::Ok();
  }

  Status DoSetControlLine(SpiControlLine line, bool high) override {
    if (!pins_.IsWired(line)) return Status::Unimplemented();
    if (needs_resync_) FLASHRIG_TRY(Resync());
    stream_.Clear();
    if (line == SpiControlLine::kChipPower && high && !pins_.powered()) {
      // VCC first with the other pins still low, then the idle levels: an unpowered
      // chip is never driven high through its I/O pins.
      pins_.SetLine(line, true);
      pins_.set_outputs_parked(true);
      EmitPins();
      pins_.set_outputs_parked(false);
    } else {
      pins_.SetLine(line, high);
    }
    EmitPins();
    return SendAndReceive({}, 0);
  }

  // Writes stream_; reads reply.size() bytes (if any) before the deadline.
  Status SendAndReceive(std::span<std::byte> reply, uint64_t clocks) {
    const auto bytes = stream_.bytes();
    const Clock::TimePoint start = clock_.Now();
    ++stats_.usb_writes;
    Result<size_t> sent = port_->Write(bytes);
    if (!sent.ok()) return Fail(sent.status(), "USB write failed: " + port_->last_error());
    stats_.bytes_written += *sent;
    if (*sent != bytes.size()) {
      return Fail(Status::DataLoss(), "USB write short: " + std::to_string(*sent) + " of " +
                                          std::to_string(bytes.size()) + " bytes accepted");
    }
    if (reply.empty()) return Status::Ok();
    ++stats_.round_trips;
    const Clock::Duration wire = std::chrono::nanoseconds(
        clocks * 1'000'000'000ull / std::max<uint32_t>(clock_setup_.sck_hz, 1));
    const Clock::TimePoint deadline = clock_.Now() + options_.reply_timeout + wire;
    size_t got = 0;
    while (got < reply.size()) {
      ++stats_.usb_reads;
      Result<size_t> n = port_->Read(reply.subspan(got));
      if (!n.ok()) return Fail(n.status(), "USB read failed: " + port_->last_error());
      got += *n;
      stats_.bytes_read += *n;
      if (got == reply.size()) break;
      if (clock_.Now() >= deadline) {
        const std::string what = std::to_string(got) + " of " + std::to_string(reply.size()) +
                                 " reply bytes before the deadline";
        return got == 0
                   ? Fail(Status::DeadlineExceeded(), "no reply from the MPSSE engine: " + what)
                   : Fail(Status::DataLoss(), "short reply from the MPSSE engine: " + what);
      }
      if (*n == 0) clock_.SleepFor(options_.read_retry_interval);
    }
    // Running average (1/8 weight) of what a reply costs beyond its wire time.
    const Clock::Duration cost = std::max(Clock::Duration::zero(), clock_.Now() - start - wire);
    round_trip_cost_ = round_trip_cost_ == Clock::Duration::zero()
                           ? cost
                           : round_trip_cost_ + (cost - round_trip_cost_) / 8;
    return Status::Ok();
  }

  // AAh is an invalid opcode: the engine answers FAh AAh, which aligns the reply stream.
  Status Synchronise() {
    stream_.Clear();
    stream_.Op(mpsse::kSyncOpcode);
    stream_.Op(mpsse::kSendImmediate);
    std::array<std::byte, 2> answer{};
    FLASHRIG_TRY(SendAndReceive(answer, 0));
    if (answer[0] != std::byte{mpsse::kBadCommand} || answer[1] != std::byte{mpsse::kSyncOpcode}) {
      return Fail(Status::DataLoss(),
                  "MPSSE engine did not echo the sync opcode: is another program using "
                  "this interface?");
    }
    return Status::Ok();
  }

  // After a failed transfer the reply stream may be misaligned: drop and realign.
  Status Resync() {
    ++stats_.resyncs;
    FLASHRIG_TRY(Check(port_->Flush(), "flush"));
    FLASHRIG_TRY(Synchronise());
    stream_.Clear();
    EmitPins();
    FLASHRIG_TRY(SendAndReceive({}, 0));
    needs_resync_ = false;
    return Status::Ok();
  }

  Status Check(Status status, const char* what) {
    if (status.ok()) return status;
    return Fail(status, std::string(what) + " failed: " + port_->last_error());
  }

  Status Fail(Status status, std::string message) {
    needs_resync_ = true;
    last_error_ = std::move(message);
    return status;
  }

  void EmitPins() {
    stream_.SetLowByte(pins_.low_value(), pins_.low_direction());
    if (pins_.uses_high_byte()) stream_.SetHighByte(pins_.high_value(), pins_.high_direction());
  }
  void EmitChipSelect() {
    if (pins_.chip_select_on_high_byte()) {
      stream_.SetHighByte(pins_.high_value(), pins_.high_direction());
    } else {
      stream_.SetLowByte(pins_.low_value(), pins_.low_direction());
    }
  }

  std::unique_ptr<FtdiPort> port_;
  FtdiOptions options_;
  std::unique_ptr<Clock> owned_clock_;
  Clock& clock_;
  FtdiDeviceInfo device_;
  FtdiClockSetup clock_setup_;
  Clock::Duration round_trip_cost_{0};
  MpsseStream stream_;
  FtdiPinState pins_;
  std::vector<std::byte> rx_;
  FtdiBusStats stats_;
  std::string last_error_;
  bool needs_resync_ = false;
};

Result<std::unique_ptr<FtdiSpiBus>> OpenImpl(std::unique_ptr<FtdiPort> port,
                                             const FtdiOptions& options, Clock& clock,
                                             std::unique_ptr<Clock> owned_clock,
                                             std::string* error_message) {
  std::string scratch;
  std::string& message = error_message != nullptr ? *error_message : scratch;
  FLASHRIG_TRY_ASSIGN(const FtdiUrl url, ParseFtdiUrl(options.url, &message));
  // Chip-independent pin checks first, so a bad rig config is reported as bad input
  // even with no device attached (the FT232H allows every pin any chip allows).
  if (Status s = ValidateFtdiPins(options.pins, FtdiChipType::kFt232H, &message); !s.ok()) {
    return s;
  }
  Result<std::vector<FtdiDeviceInfo>> devices = port->ListDevices();
  if (!devices.ok()) {
    message = "cannot list USB devices: " + port->last_error();
    return devices.status();
  }
  Result<FtdiOpenRequest> request = ResolveFtdiUrl(url, *devices, &message);
  if (!request.ok()) {
    message = options.url + ": " + message;
    return request.status();
  }
  FtdiDeviceInfo device;
  for (const FtdiDeviceInfo& d : *devices) {
    if (d.bus == request->bus && d.address == request->address) device = d;
  }
  FLASHRIG_TRY_ASSIGN(const FtdiClockSetup clock_setup,
                      ChooseFtdiClock(device.chip_type, options.clock_hz, &message));
  if (Status s = ValidateFtdiPins(options.pins, device.chip_type, &message); !s.ok()) return s;
  if (Status s = port->Open(*request); !s.ok()) {
    message = DescribeFtdiOpenError(s, options.url, device, port->last_error());
    return s;
  }
  auto bus = std::make_unique<FtdiSpiBusImpl>(std::move(port), options, clock,
                                              std::move(owned_clock), device, clock_setup);
  if (Status s = bus->Init(); !s.ok()) {
    message = options.url + ": MPSSE initialisation failed: " + bus->last_error();
    return s;
  }
  message.clear();
  return std::unique_ptr<FtdiSpiBus>(std::move(bus));
}

}  // namespace

Result<std::unique_ptr<FtdiSpiBus>> OpenFtdiSpiBus(std::unique_ptr<FtdiPort> port,
                                                   const FtdiOptions& options, Clock& clock,
                                                   std::string* error_message) {
  return OpenImpl(std::move(port), options, clock, nullptr, error_message);
}

Result<std::unique_ptr<FtdiSpiBus>> OpenFtdiSpiBus(const FtdiOptions& options,
                                                   std::string* error_message) {
  auto owned = std::make_unique<SystemClock>();
  Clock& clock = *owned;
  return OpenImpl(NewLibftdiPort(), options, clock, std::move(owned), error_message);
}

}  // namespace flashrig::driver
