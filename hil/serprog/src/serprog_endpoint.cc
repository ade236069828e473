// Parsing and printing of serprog endpoint strings.
#include "flashrig/hil/serprog/serprog_endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <string>

namespace flashrig::hil {
namespace {

// Whole-string unsigned decimal parse; false on junk, empty or overflow.
bool ParseUnsigned(std::string_view text, uint64_t max, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return false;
  *value = v;
  return true;
}

}  // namespace

bool IsLoopbackAddress(std::string_view numeric_host) {
  const std::string host(numeric_host);
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  // ::ffff:127.x.y.z, an IPv4 loopback address on an IPv6 socket.
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

std::string SerprogEndpoint::ToString() const {
  switch (kind) {
    case Kind::kTcp:
      return fmt::format("tcp:{}:{}", host, port);
    case Kind::kPty:
      return "pty";
    case Kind::kSerial:
      return fmt::format("{}:{}", device, baud);
  }
  return "?";
}

bool ParseSerprogEndpoint(std::string_view text, SerprogEndpoint* endpoint, std::string* error) {
  auto fail = [&](std::string_view why) {
    *error = fmt::format("serprog endpoint '{}': {}", text, why);
    return false;
  };
  SerprogEndpoint ep;
  if (text == "pty") {
    ep.kind = SerprogEndpoint::Kind::kPty;
  } else if (text.starts_with("tcp:")) {
    ep.kind = SerprogEndpoint::Kind::kTcp;
    const std::string_view rest = text.substr(4);
    const size_t colon = rest.rfind(':');
    std::string_view port_text = rest;
    if (colon != std::string_view::npos) {
      ep.host = std::string(rest.substr(0, colon));
      port_text = rest.substr(colon + 1);
      if (ep.host.empty()) return fail("empty host (use tcp:PORT for loopback)");
      if (ep.host.front() == '[' && ep.host.back() == ']') {
        ep.host = ep.host.substr(1, ep.host.size() - 2);  // [::1] form.
      }
    }
    uint64_t port = 0;
    if (!ParseUnsigned(port_text, 65535, &port)) return fail("port must be 0..65535");
    ep.port = static_cast<uint16_t>(port);
  } else if (text.starts_with("/")) {
    ep.kind = SerprogEndpoint::Kind::kSerial;
    ep.device = std::string(text);
    // An optional ":BAUD" suffix, as flashrom's dev=/dev/ttyACM0:115200.
    const size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      uint64_t baud = 0;
      if (!ParseUnsigned(text.substr(colon + 1), 4000000, &baud) || baud == 0) {
        return fail("baud rate after ':' must be 1..4000000");
      }
      ep.device = std::string(text.substr(0, colon));
      ep.baud = static_cast<uint32_t>(baud);
    }
  } else {
    return fail("expected tcp:[HOST:]PORT, pty, or a device path like /dev/ttyACM0[:BAUD]");
  }
  *endpoint = std::move(ep);
  return true;
}

}  // namespace flashrig::hil
