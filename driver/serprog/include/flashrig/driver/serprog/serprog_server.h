// SerprogServer: the serprog programmer side as a pure byte-stream state machine. Bytes
// from a client go in, reply bytes come out, and O_SPIOP becomes one SpiBus transaction,
// so flashrom can drive any flashrig target. No OS calls: hil/ owns sockets and ptys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/serprog/serprog_protocol.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::driver {

struct SerprogServerOptions {
  // Q_PGMNAME answer. Only the first 16 bytes are sent (NUL-padded). Default "flashrig".
  std::string programmer_name = "flashrig";
  // Largest O_SPIOP slen accepted and reported by Q_WRNMAXLEN. 1..2^24-1; default 64 KiB.
  // The server holds a buffer this large. Bigger requests are consumed and NAKed.
  uint32_t max_write_bytes = 64 * 1024;
  // Largest O_SPIOP rlen accepted and reported by Q_RDNMAXLEN. 1..2^24-1; default 64 KiB.
  uint32_t max_read_bytes = 64 * 1024;
  // Q_SERBUF answer. Our transports (TCP, pty) have flow control, and the spec says such
  // a programmer should report a big value. Default 0xFFFF.
  uint16_t serial_buffer_bytes = 0xFFFF;
};

// What the server has done since construction; for logs, tests and the serve summary.
struct SerprogServerCounters {
  uint64_t commands = 0;           // Complete commands answered (ACK or NAK).
  uint64_t naks = 0;               // Commands answered with NAK (SYNCNOP's NAK excluded).
  uint64_t unknown_commands = 0;   // Opcodes outside the spec (answered with one NAK).
  uint64_t rejected_commands = 0;  // Spec commands we do not implement, or bad parameters.
  uint64_t spi_ops = 0;            // O_SPIOP transactions run on the bus.
  uint64_t spi_bus_errors = 0;     // ... of which the bus returned an error (NAKed).
  uint64_t spi_bytes_written = 0;
  uint64_t spi_bytes_read = 0;
};

// Not thread-safe: one connection feeds it at a time. Owns buffers of max_write_bytes and
// max_read_bytes, allocated at construction; Receive() itself only grows `out`.
class SerprogServer {
 public:
  // `bus` must outlive the server. Options out of range are clamped into range.
  SerprogServer(SpiBus& bus, SerprogServerOptions options);

  // Consumes every byte of `in` (any split of the stream is fine: a command may arrive a
  // byte at a time) and appends the replies of every command completed by it to `out`.
  // Never fails and never crashes: unknown opcodes get one NAK; spec commands we do not
  // implement have their parameters (and O_WRITEN data) consumed, then get a NAK;
  // O_SPIOP with slen/rlen above the limits has its data consumed, then gets a NAK; a
  // bus error on O_SPIOP gets a NAK (no data bytes follow it).
  void Receive(std::span<const std::byte> in, std::vector<std::byte>& out);

  // Back to the power-on state for a new client: parser waiting for an opcode, pin
  // drivers on, SPI selected, no frequency set. Counters are kept.
  void Reset();

  // True when the parser waits for an opcode (no command half received).
  bool idle() const { return state_ == State::kOpcode; }
  // Last S_PIN_STATE value (true = drivers on; the power-on state).
  bool pin_drivers_enabled() const { return pin_drivers_enabled_; }
  // Frequency chosen by the last S_SPI_FREQ; 0 if none since Reset().
  uint32_t spi_frequency_hz() const { return spi_frequency_hz_; }
  const SerprogServerCounters& counters() const { return counters_; }
  const SerprogServerOptions& options() const { return options_; }
  // The Q_CMDMAP bitmap this server answers with.
  std::span<const std::byte, serprog::kCommandMapBytes> command_map() const { return command_map_; }

 private:
  enum class State : uint8_t {
    kOpcode,   // Waiting for a command byte.
    kParams,   // Collecting the fixed parameter bytes.
    kData,     // Collecting O_SPIOP write data into write_buffer_.
    kDiscard,  // Skipping trailing data of a command that will be NAKed.
  };

  void StartCommand(uint8_t opcode, std::vector<std::byte>& out);
  void ParamsComplete(std::vector<std::byte>& out);
  void Execute(std::vector<std::byte>& out);
  void AnswerQuery(serprog::Command command, std::vector<std::byte>& out);
  void SetSpiFrequency(std::span<const std::byte> params, std::vector<std::byte>& out);
  void ExecuteSpiOp(std::vector<std::byte>& out);
  void Ack(std::vector<std::byte>& out);
  void Nak(std::vector<std::byte>& out);

  SpiBus& bus_;
  SerprogServerOptions options_;
  std::array<std::byte, serprog::kCommandMapBytes> command_map_{};
  std::vector<std::byte> write_buffer_;
  std::vector<std::byte> read_buffer_;

  State state_ = State::kOpcode;
  uint8_t opcode_ = 0;
  std::array<std::byte, 6> params_{};  // The longest fixed parameter block is 6 bytes.
  uint32_t params_needed_ = 0;
  uint32_t params_have_ = 0;
  uint32_t data_needed_ = 0;
  uint32_t data_have_ = 0;

  bool pin_drivers_enabled_ = true;
  uint32_t spi_frequency_hz_ = 0;
  SerprogServerCounters counters_{};
};

}  // namespace flashrig::driver
