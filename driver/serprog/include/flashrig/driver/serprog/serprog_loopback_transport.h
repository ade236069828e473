// SerprogLoopbackTransport: a SerprogTransport wired straight into a SerprogServer in the
// same process, with no OS in between. Lets the serprog client run over any flashrig bus
// (and tests pin the protocol) deterministically and in microseconds.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/driver/serprog/serprog_transport.h"

namespace flashrig::driver {

class SerprogLoopbackTransport final : public SerprogTransport {
 public:
  // `server` must outlive the transport.
  explicit SerprogLoopbackTransport(SerprogServer& server) : server_(server) {}

  // Hands `data` to the server at once; its replies queue up for Read(). Always kOk.
  Status Write(std::span<const std::byte> data) override;
  // Replies are complete as soon as Write() returns, so a short queue means the server
  // will never send more: kDeadlineExceeded at once (no real waiting).
  Status Read(std::span<std::byte> out, std::chrono::milliseconds idle_timeout) override;
  void DiscardInput(std::chrono::milliseconds quiet) override;

  // Bytes queued for the client and not yet read.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  SerprogServer& server_;
  std::vector<std::byte> scratch_;
  std::deque<std::byte> pending_;
};

}  // namespace flashrig::driver
