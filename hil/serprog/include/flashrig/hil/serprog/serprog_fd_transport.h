// SerprogTransport over a POSIX file descriptor (TCP socket, serial tty or pty), with
// poll()-bounded reads and writes, plus the factories that open one for the serprog
// client: TCP connect and serial port setup (raw termios).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "flashrig/driver/serprog/serprog_transport.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"

namespace flashrig::hil {

class FdSerprogTransport final : public driver::SerprogTransport {
 public:
  // Takes ownership of `fd` (closed by the destructor) and makes it non-blocking.
  // `write_timeout` bounds how long a peer may refuse to take our bytes.
  FdSerprogTransport(int fd, std::chrono::milliseconds write_timeout);
  ~FdSerprogTransport() override;
  FdSerprogTransport(const FdSerprogTransport&) = delete;
  FdSerprogTransport& operator=(const FdSerprogTransport&) = delete;

  // SerprogTransport. kUnavailable also covers EOF and hard I/O errors.
  Status Write(std::span<const std::byte> data) override;
  Status Read(std::span<std::byte> out, std::chrono::milliseconds idle_timeout) override;
  void DiscardInput(std::chrono::milliseconds quiet) override;

  int fd() const { return fd_; }

 private:
  int fd_;
  std::chrono::milliseconds write_timeout_;
};

// Opens a client transport for `endpoint` (kTcp: connect within `timeout`; kSerial: open
// and configure the tty). kPty is a server-only endpoint. Returns null and sets *error
// (naming the endpoint and the OS error) on failure.
std::unique_ptr<FdSerprogTransport> OpenSerprogClientTransport(const SerprogEndpoint& endpoint,
                                                               std::chrono::milliseconds timeout,
                                                               std::string* error);

// Puts a tty into raw 8N1 mode at `baud` (no echo, no line editing, no flow control).
// Returns false and sets *error on failure (unsupported baud rate, not a tty).
bool ConfigureRawTty(int fd, uint32_t baud, std::string* error);

}  // namespace flashrig::hil
