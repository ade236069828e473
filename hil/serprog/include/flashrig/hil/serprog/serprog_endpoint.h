// Where a serprog byte stream lives: "tcp:[HOST:]PORT", "pty", or a serial device
// "/dev/ttyACM0[:BAUD]". Parsed once here for `flashrig serve --serprog` (server side)
// and for `serprog:` targets (client side).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flashrig::hil {

struct SerprogEndpoint {
  enum class Kind : uint8_t {
    kTcp,     // host + port. Server: listen (port 0 = ephemeral). Client: connect.
    kPty,     // Server only: a fresh pseudo-terminal; clients open its slave path.
    kSerial,  // A tty device at `baud` (client: a USB serprog programmer).
  };
  Kind kind = Kind::kTcp;
  // kTcp: defaults to loopback, so a server is never reachable from the network unless
  // a host is named explicitly.
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string device{};    // kSerial: the device path.
  uint32_t baud = 115200;  // kSerial: line rate (USB CDC programmers ignore it).

  // The canonical text form ("tcp:127.0.0.1:4000", "pty", "/dev/ttyACM0:115200").
  std::string ToString() const;
};

// True if `numeric_host` (as inet_ntop prints it: "127.0.0.1", "::1", "::ffff:127.0.0.2")
// is a loopback address, reachable only from this machine. False for "0.0.0.0", "::" and
// every other address or text.
bool IsLoopbackAddress(std::string_view numeric_host);

// Parses `text`. On failure returns false and sets *error to a message that names the
// bad part (e.g. "serprog endpoint 'tcp:99999': port must be 0..65535").
bool ParseSerprogEndpoint(std::string_view text, SerprogEndpoint* endpoint, std::string* error);

}  // namespace flashrig::hil
