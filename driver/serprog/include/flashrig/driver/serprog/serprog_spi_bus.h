// SerprogSpiBus: an SpiBus that drives a serprog programmer (a Pico or Arduino running
// serprog firmware, or `flashrig serve`) over a SerprogTransport. Each transaction is one
// O_SPIOP: all write bytes out, then all read bytes in, CS# framing done by the programmer.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/serprog/serprog_protocol.h"
#include "flashrig/driver/serprog/serprog_transport.h"
#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::driver {

struct SerprogClientOptions {
  // Longest silence allowed while waiting for the next reply byte. Must be > 0.
  // Default 2 s (a chip erase runs on the chip after CS# rises, not inside a reply).
  std::chrono::milliseconds reply_timeout{2000};
  // S_SPI_FREQ request in Hz; 0 = leave the programmer's default. Ignored (with the
  // frequency reported as 0) if the programmer lacks S_SPI_FREQ.
  uint32_t spi_frequency_hz = 0;
  // SYNCNOP rounds tried by Connect() and after a broken reply. >= 1; default 8.
  uint32_t sync_attempts = 8;
  // Quiet time that ends the input flush before each sync round. Default 50 ms.
  std::chrono::milliseconds sync_quiet{50};
};

// One user at a time; not thread-safe.
class SerprogSpiBus final : public SpiBus {
 public:
  // Synchronises with the programmer and runs the start-up handshake: Q_IFACE (must be
  // 1), Q_CMDMAP (must list O_SPIOP), Q_BUSTYPE (must offer SPI), S_BUSTYPE(SPI),
  // Q_WRNMAXLEN / Q_RDNMAXLEN, Q_PGMNAME, S_SPI_FREQ (if asked) and S_PIN_STATE(on),
  // each only when the command map lists it.
  //   kInvalidArgument     transport is null or options out of range
  //   kDeadlineExceeded    no SYNCNOP answer (nothing there, wrong baud rate)
  //   kFailedPrecondition  not a usable SPI programmer (interface version, no O_SPIOP,
  //                        no SPI bus, S_BUSTYPE refused)
  //   kUnavailable         the link closed
  //   kDataLoss            a reply was not ACK/NAK where one was due
  static Result<std::unique_ptr<SerprogSpiBus>> Connect(std::unique_ptr<SerprogTransport> transport,
                                                        const SerprogClientOptions& options);

  // Releases the chip (S_PIN_STATE off, best effort), as flashrom does on exit.
  ~SerprogSpiBus() override;

  // The frequency the programmer chose for our S_SPI_FREQ request; 0 if none was made.
  uint32_t clock_hz() const override { return clock_hz_; }
  // Q_PGMNAME answer without padding; "" if the programmer has no name command.
  const std::string& programmer_name() const { return programmer_name_; }
  // Largest write part (opcode, address, data, dummy bytes) of one transaction.
  uint32_t max_write_bytes() const { return max_write_bytes_; }
  // Largest read part of one transaction.
  uint32_t max_read_bytes() const { return max_read_bytes_; }
  bool SupportsCommand(serprog::Command command) const {
    return serprog::HasCommandBit(command_map_, command);
  }

 private:
  SerprogSpiBus(std::unique_ptr<SerprogTransport> transport, const SerprogClientOptions& options)
      : transport_(std::move(transport)), options_(options) {}

  // Transfer contract (SpiBus) plus what one O_SPIOP can express:
  //   kInvalidArgument  a write or dummy segment after a read segment, dummy clocks not a
  //                     multiple of 8 (sent as 0xFF bytes), or more than
  //                     max_write_bytes() / max_read_bytes()
  //   kUnavailable      the programmer NAKed (bus error on its side) or the link closed
  //   kDeadlineExceeded / kDataLoss  broken reply; the next call resynchronises first
  Status DoTransfer(std::span<const SpiSegment> segments) override;

  Status Handshake();
  Status Synchronize();
  // Sends opcode + params, expects ACK, then reads reply.size() bytes.
  Status RunCommand(serprog::Command command, std::span<const std::byte> params,
                    std::span<std::byte> reply);
  Status ReadAck();
  // A reply went wrong: the stream position is unknown until the next Synchronize().
  Status Broken(Status status);

  std::unique_ptr<SerprogTransport> transport_;
  SerprogClientOptions options_;
  std::array<std::byte, serprog::kCommandMapBytes> command_map_{};
  std::string programmer_name_;
  uint32_t max_write_bytes_ = serprog::kMaxLength24;
  uint32_t max_read_bytes_ = serprog::kMaxLength24;
  uint32_t clock_hz_ = 0;
  bool needs_sync_ = false;
  std::vector<std::byte> frame_;
};

}  // namespace flashrig::driver
