// SerprogServer: parses the serprog byte stream and maps O_SPIOP onto one SpiBus
// transaction. The parser consumes every parameter byte a spec command carries, even of
// commands it NAKs, so a NAK never desynchronises the stream.
#include "flashrig/driver/serprog/serprog_server.h"

#include <algorithm>
#include <utility>

namespace flashrig::driver {

using serprog::Command;

namespace {

uint32_t ClampLength(uint32_t bytes) {
  return std::clamp<uint32_t>(bytes, 1, serprog::kMaxLength24);
}

}  // namespace

SerprogServer::SerprogServer(SpiBus& bus, SerprogServerOptions options)
    : bus_(bus), options_(std::move(options)) {
  options_.max_write_bytes = ClampLength(options_.max_write_bytes);
  options_.max_read_bytes = ClampLength(options_.max_read_bytes);
  if (options_.serial_buffer_bytes == 0) options_.serial_buffer_bytes = 1;
  for (Command c :
       {Command::kNop, Command::kQIface, Command::kQCmdMap, Command::kQPgmName, Command::kQSerBuf,
        Command::kQBusType, Command::kQWrnMaxLen, Command::kSyncNop, Command::kQRdnMaxLen,
        Command::kSBusType, Command::kOSpiOp, Command::kSSpiFreq, Command::kSPinState}) {
    serprog::SetCommandBit(command_map_, c);
  }
  write_buffer_.resize(options_.max_write_bytes);
  read_buffer_.resize(options_.max_read_bytes);
}

void SerprogServer::Reset() {
  state_ = State::kOpcode;
  params_have_ = params_needed_ = data_have_ = data_needed_ = 0;
  pin_drivers_enabled_ = true;
  spi_frequency_hz_ = 0;
}

void SerprogServer::Receive(std::span<const std::byte> in, std::vector<std::byte>& out) {
  size_t i = 0;
  while (i < in.size()) {
    switch (state_) {
      case State::kOpcode:
        StartCommand(static_cast<uint8_t>(in[i++]), out);
        break;
      case State::kParams:
        params_[params_have_++] = in[i++];
        if (params_have_ == params_needed_) ParamsComplete(out);
        break;
      case State::kData: {
        const size_t n = std::min<size_t>(in.size() - i, data_needed_ - data_have_);
        std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(i), n,
                    write_buffer_.begin() + data_have_);
        data_have_ += static_cast<uint32_t>(n);
        i += n;
        if (data_have_ == data_needed_) Execute(out);
        break;
      }
      case State::kDiscard: {
        const size_t n = std::min<size_t>(in.size() - i, data_needed_ - data_have_);
        data_have_ += static_cast<uint32_t>(n);
        i += n;
        if (data_have_ == data_needed_) {
          ++counters_.rejected_commands;
          Nak(out);
        }
        break;
      }
    }
  }
}

void SerprogServer::StartCommand(uint8_t opcode, std::vector<std::byte>& out) {
  opcode_ = opcode;
  const std::optional<uint32_t> params = serprog::FixedParamBytes(opcode);
  if (!params.has_value()) {
    // Not a spec command: it has no parameters we could skip, so NAK it on its own.
    ++counters_.unknown_commands;
    Nak(out);
    return;
  }
  params_needed_ = *params;
  params_have_ = 0;
  if (params_needed_ == 0) {
    ParamsComplete(out);
  } else {
    state_ = State::kParams;
  }
}

void SerprogServer::ParamsComplete(std::vector<std::byte>& out) {
  const std::span<const std::byte> params(params_.data(), params_needed_);
  data_needed_ = serprog::TrailingDataBytes(opcode_, params);
  data_have_ = 0;
  const auto command = static_cast<Command>(opcode_);
  bool accept_data = false;
  if (command == Command::kOSpiOp) {
    const uint32_t rlen = serprog::LoadLe(params.subspan(3), 3);
    accept_data = data_needed_ <= options_.max_write_bytes && rlen <= options_.max_read_bytes;
  }
  if (data_needed_ == 0 && command == Command::kOSpiOp && !accept_data) {
    // slen 0 and rlen over the limit: nothing to skip, refuse now (reading rlen bytes
    // into the max_read_bytes buffer would overrun it; found by serprog_fuzz).
    ++counters_.rejected_commands;
    Nak(out);
  } else if (data_needed_ == 0) {
    Execute(out);
  } else {
    state_ = accept_data ? State::kData : State::kDiscard;
  }
}

void SerprogServer::Execute(std::vector<std::byte>& out) {
  state_ = State::kOpcode;
  const std::span<const std::byte> params(params_.data(), params_needed_);
  const auto command = static_cast<Command>(opcode_);
  switch (command) {
    case Command::kNop:
      Ack(out);
      return;
    case Command::kSyncNop:
      // The special answer flashrom synchronises on; counted as a command, not a NAK.
      ++counters_.commands;
      out.push_back(serprog::kNak);
      out.push_back(serprog::kAck);
      return;
    case Command::kQIface:
    case Command::kQCmdMap:
    case Command::kQPgmName:
    case Command::kQSerBuf:
    case Command::kQBusType:
    case Command::kQWrnMaxLen:
    case Command::kQRdnMaxLen:
      AnswerQuery(command, out);
      return;
    case Command::kSBusType:
      // More than one bit lets the programmer choose; we can only choose SPI.
      if ((static_cast<uint8_t>(params[0]) & serprog::kBusSpi) != 0) {
        Ack(out);
      } else {
        ++counters_.rejected_commands;
        Nak(out);
      }
      return;
    case Command::kSSpiFreq:
      SetSpiFrequency(params, out);
      return;
    case Command::kSPinState:
      pin_drivers_enabled_ = params[0] != std::byte{0};
      Ack(out);
      return;
    case Command::kOSpiOp:
      ExecuteSpiOp(out);
      return;
    default:
      // Parallel-bus commands: parameters already consumed; we are SPI only.
      ++counters_.rejected_commands;
      Nak(out);
      return;
  }
}

// The Q_* queries: an ACK, then the answer (they cannot fail).
void SerprogServer::AnswerQuery(Command command, std::vector<std::byte>& out) {
  std::array<std::byte, 4> field{};
  switch (command) {
    case Command::kQIface:
      Ack(out);
      serprog::StoreLe(serprog::kInterfaceVersion, field, 2);
      out.insert(out.end(), field.begin(), field.begin() + 2);
      return;
    case Command::kQCmdMap:
      Ack(out);
      out.insert(out.end(), command_map_.begin(), command_map_.end());
      return;
    case Command::kQPgmName: {
      Ack(out);
      std::array<std::byte, serprog::kProgrammerNameBytes> name{};
      const size_t n = std::min(name.size(), options_.programmer_name.size());
      for (size_t k = 0; k < n; ++k) name[k] = static_cast<std::byte>(options_.programmer_name[k]);
      out.insert(out.end(), name.begin(), name.end());
      return;
    }
    case Command::kQSerBuf:
      Ack(out);
      serprog::StoreLe(options_.serial_buffer_bytes, field, 2);
      out.insert(out.end(), field.begin(), field.begin() + 2);
      return;
    case Command::kQBusType:
      Ack(out);
      out.push_back(std::byte{serprog::kBusSpi});
      return;
    case Command::kQWrnMaxLen:
    case Command::kQRdnMaxLen: {
      const bool write = command == Command::kQWrnMaxLen;
      Ack(out);
      serprog::StoreLe(write ? options_.max_write_bytes : options_.max_read_bytes, field, 3);
      out.insert(out.end(), field.begin(), field.begin() + 3);
      return;
    }
    default:
      return;  // Execute() sends only the queries above here.
  }
}

void SerprogServer::SetSpiFrequency(std::span<const std::byte> params,
                                    std::vector<std::byte>& out) {
  const uint32_t requested_hz = serprog::LoadLe(params, 4);
  if (requested_hz == 0) {  // Reserved by the spec: must be NAKed.
    ++counters_.rejected_commands;
    Nak(out);
    return;
  }
  // A bus with a fixed clock can only offer that; a simulated bus runs at any speed.
  spi_frequency_hz_ = bus_.clock_hz() != 0 ? bus_.clock_hz() : requested_hz;
  Ack(out);
  std::array<std::byte, 4> field{};
  serprog::StoreLe(spi_frequency_hz_, field, 4);
  out.insert(out.end(), field.begin(), field.end());
}

void SerprogServer::ExecuteSpiOp(std::vector<std::byte>& out) {
  const std::span<const std::byte> params(params_.data(), params_needed_);
  const uint32_t slen = serprog::LoadLe(params, 3);
  const uint32_t rlen = serprog::LoadLe(params.subspan(3), 3);
  if (!pin_drivers_enabled_) {
    // The programmer has let go of the chip's pins; it cannot talk to it.
    ++counters_.rejected_commands;
    Nak(out);
    return;
  }
  std::array<SpiSegment, 2> segments{};
  size_t count = 0;
  // slen == rlen == 0 still pulses CS#, as a real programmer would.
  if (slen > 0 || rlen == 0) {
    segments[count++] = SpiSegment::Write(std::span<const std::byte>(write_buffer_).first(slen));
  }
  const std::span<std::byte> read = std::span<std::byte>(read_buffer_).first(rlen);
  if (rlen > 0) segments[count++] = SpiSegment::Read(read);
  ++counters_.spi_ops;
  const Status status = bus_.Transfer(std::span<const SpiSegment>(segments.data(), count));
  if (!status.ok()) {
    ++counters_.spi_bus_errors;
    Nak(out);
    return;
  }
  counters_.spi_bytes_written += slen;
  counters_.spi_bytes_read += rlen;
  Ack(out);
  out.insert(out.end(), read.begin(), read.end());
}

void SerprogServer::Ack(std::vector<std::byte>& out) {
  ++counters_.commands;
  out.push_back(serprog::kAck);
}

void SerprogServer::Nak(std::vector<std::byte>& out) {
  state_ = State::kOpcode;
  ++counters_.commands;
  ++counters_.naks;
  out.push_back(serprog::kNak);
}

}  // namespace flashrig::driver
