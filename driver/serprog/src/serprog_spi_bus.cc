// SerprogSpiBus: start-up handshake, SYNCNOP resynchronisation, and SpiBus transactions
// flattened into O_SPIOP frames.
#include "flashrig/driver/serprog/serprog_spi_bus.h"

#include <algorithm>
#include <utility>

namespace flashrig::driver {

using serprog::Command;

namespace {

constexpr std::byte kOnes{0xFF};
// How far into stale input a SYNCNOP answer may be found (stale replies of a previous
// session are flushed first; this only covers bytes still in flight).
constexpr int kSyncScanBytes = 64;

}  // namespace

Result<std::unique_ptr<SerprogSpiBus>> SerprogSpiBus::Connect(
    std::unique_ptr<SerprogTransport> transport, const SerprogClientOptions& options) {
  if (transport == nullptr || options.reply_timeout.count() <= 0 || options.sync_attempts == 0 ||
      options.sync_quiet.count() < 0) {
    return Status::InvalidArgument();
  }
  std::unique_ptr<SerprogSpiBus> bus(new SerprogSpiBus(std::move(transport), options));
  FLASHRIG_TRY(bus->Handshake());
  return bus;
}

SerprogSpiBus::~SerprogSpiBus() {
  if (needs_sync_ || !SupportsCommand(Command::kSPinState)) return;
  const std::array<std::byte, 1> off{std::byte{0}};
  RunCommand(Command::kSPinState, off, {}).IgnoreError();  // Best effort on the way out.
}

Status SerprogSpiBus::Handshake() {
  FLASHRIG_TRY(Synchronize());

  std::array<std::byte, 4> field{};
  FLASHRIG_TRY(RunCommand(Command::kQIface, {}, std::span(field).first(2)));
  if (serprog::LoadLe(field, 2) != serprog::kInterfaceVersion) {
    return Status::FailedPrecondition();
  }
  FLASHRIG_TRY(RunCommand(Command::kQCmdMap, {}, command_map_));
  if (!SupportsCommand(Command::kOSpiOp)) return Status::FailedPrecondition();

  if (SupportsCommand(Command::kQBusType)) {
    FLASHRIG_TRY(RunCommand(Command::kQBusType, {}, std::span(field).first(1)));
    if ((static_cast<uint8_t>(field[0]) & serprog::kBusSpi) == 0) {
      return Status::FailedPrecondition();
    }
  }
  if (SupportsCommand(Command::kSBusType)) {
    const std::array<std::byte, 1> spi{std::byte{serprog::kBusSpi}};
    const Status s = RunCommand(Command::kSBusType, spi, {});
    if (s.code() == StatusCode::kUnavailable && !needs_sync_) {
      return Status::FailedPrecondition();  // A clean NAK: the programmer refused SPI.
    }
    FLASHRIG_TRY(s);
  }
  // Limits are optional; without them the spec says to assume the 24-bit maximum.
  for (const Command c : {Command::kQWrnMaxLen, Command::kQRdnMaxLen}) {
    if (!SupportsCommand(c)) continue;
    FLASHRIG_TRY(RunCommand(c, {}, std::span(field).first(3)));
    uint32_t v = serprog::LoadLe(field, 3);
    if (v == 0) v = serprog::kMaxLength24;
    (c == Command::kQWrnMaxLen ? max_write_bytes_ : max_read_bytes_) = v;
  }
  if (SupportsCommand(Command::kQPgmName)) {
    std::array<std::byte, serprog::kProgrammerNameBytes> name{};
    FLASHRIG_TRY(RunCommand(Command::kQPgmName, {}, name));
    for (std::byte b : name) {
      if (b == std::byte{0}) break;
      programmer_name_.push_back(static_cast<char>(b));
    }
  }
  if (options_.spi_frequency_hz != 0 && SupportsCommand(Command::kSSpiFreq)) {
    std::array<std::byte, 4> request{};
    serprog::StoreLe(options_.spi_frequency_hz, request, 4);
    FLASHRIG_TRY(RunCommand(Command::kSSpiFreq, request, field));
    clock_hz_ = serprog::LoadLe(field, 4);
  }
  if (SupportsCommand(Command::kSPinState)) {
    const std::array<std::byte, 1> on{std::byte{1}};
    FLASHRIG_TRY(RunCommand(Command::kSPinState, on, {}));
  }
  return Status::Ok();
}

Status SerprogSpiBus::Synchronize() {
  // NOPs first: they complete any short command the programmer is still collecting
  // parameters for, so the SYNCNOP below is seen as an opcode.
  const std::array<std::byte, 8> nops{};
  const std::array<std::byte, 1> syncnop{std::byte{static_cast<uint8_t>(Command::kSyncNop)}};
  Status last = Status::DeadlineExceeded();
  for (uint32_t attempt = 0; attempt < options_.sync_attempts; ++attempt) {
    if (attempt == 0) FLASHRIG_TRY(transport_->Write(nops));
    transport_->DiscardInput(options_.sync_quiet);
    FLASHRIG_TRY(transport_->Write(syncnop));
    // Look for NAK ACK in what comes back.
    bool found = false;
    std::byte prev{0};
    for (int i = 0; i < kSyncScanBytes && !found; ++i) {
      std::array<std::byte, 1> b{};
      last = transport_->Read(b, options_.reply_timeout);
      if (last.code() == StatusCode::kUnavailable) return last;
      if (!last.ok()) break;
      found = prev == serprog::kNak && b[0] == serprog::kAck;
      prev = b[0];
    }
    if (!found) continue;
    // Confirm: a second SYNCNOP must be answered by exactly NAK ACK, nothing stale first.
    FLASHRIG_TRY(transport_->Write(syncnop));
    std::array<std::byte, 2> answer{};
    last = transport_->Read(answer, options_.reply_timeout);
    if (last.code() == StatusCode::kUnavailable) return last;
    if (last.ok() && answer[0] == serprog::kNak && answer[1] == serprog::kAck) {
      needs_sync_ = false;
      return Status::Ok();
    }
  }
  needs_sync_ = true;
  return last.ok() ? Status::DataLoss() : last;
}

Status SerprogSpiBus::RunCommand(Command command, std::span<const std::byte> params,
                                 std::span<std::byte> reply) {
  frame_.clear();
  frame_.push_back(std::byte{static_cast<uint8_t>(command)});
  frame_.insert(frame_.end(), params.begin(), params.end());
  if (Status s = transport_->Write(frame_); !s.ok()) return Broken(s);
  FLASHRIG_TRY(ReadAck());
  if (reply.empty()) return Status::Ok();
  if (Status s = transport_->Read(reply, options_.reply_timeout); !s.ok()) return Broken(s);
  return Status::Ok();
}

Status SerprogSpiBus::ReadAck() {
  std::array<std::byte, 1> b{};
  if (Status s = transport_->Read(b, options_.reply_timeout); !s.ok()) return Broken(s);
  if (b[0] == serprog::kAck) return Status::Ok();
  // A NAK carries no data, so the stream stays in step.
  if (b[0] == serprog::kNak) return Status::Unavailable();
  return Broken(Status::DataLoss());
}

Status SerprogSpiBus::Broken(Status status) {
  needs_sync_ = true;
  return status;
}

Status SerprogSpiBus::DoTransfer(std::span<const SpiSegment> segments) {
  // Lay out the frame: opcode, slen, rlen, then the write phase.
  frame_.assign(7, std::byte{0});
  frame_[0] = std::byte{static_cast<uint8_t>(Command::kOSpiOp)};
  uint64_t read_bytes = 0;
  for (const SpiSegment& seg : segments) {
    switch (seg.kind) {
      case SpiSegment::Kind::kWrite:
        if (read_bytes > 0) return Status::InvalidArgument();
        frame_.insert(frame_.end(), seg.write.begin(), seg.write.end());
        break;
      case SpiSegment::Kind::kDummyClocks:
        // serprog clocks whole bytes only; dummy cycles become 0xFF bytes on MOSI.
        if (read_bytes > 0 || seg.dummy_clocks % 8 != 0) return Status::InvalidArgument();
        frame_.insert(frame_.end(), seg.dummy_clocks / 8, kOnes);
        break;
      case SpiSegment::Kind::kRead:
        read_bytes += seg.read.size();
        break;
    }
  }
  const uint64_t write_bytes = frame_.size() - 7;
  if (write_bytes > max_write_bytes_ || read_bytes > max_read_bytes_) {
    return Status::InvalidArgument();
  }
  serprog::StoreLe(static_cast<uint32_t>(write_bytes), std::span(frame_).subspan(1), 3);
  serprog::StoreLe(static_cast<uint32_t>(read_bytes), std::span(frame_).subspan(4), 3);

  if (needs_sync_) FLASHRIG_TRY(Synchronize());
  if (Status s = transport_->Write(frame_); !s.ok()) return Broken(s);
  FLASHRIG_TRY(ReadAck());
  for (const SpiSegment& seg : segments) {
    if (seg.kind != SpiSegment::Kind::kRead || seg.read.empty()) continue;
    if (Status s = transport_->Read(seg.read, options_.reply_timeout); !s.ok()) {
      return Broken(s);
    }
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
