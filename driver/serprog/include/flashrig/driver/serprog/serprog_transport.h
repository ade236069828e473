// SerprogTransport: the byte-stream seam under the serprog client (a serial port, a TCP
// socket, or an in-memory link to a SerprogServer in tests). Every read has a timeout so
// a dead programmer can never hang the harness.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>

#include "flashrig/driver/flash/status.h"

namespace flashrig::driver {

// One user at a time; not thread-safe.
class SerprogTransport {
 public:
  virtual ~SerprogTransport() = default;

  // Sends every byte of `data`.
  //   kOk | kUnavailable: the peer is gone (closed, unplugged)
  //   | kDeadlineExceeded: the peer did not take the bytes within the transport's own
  //     write timeout.
  virtual Status Write(std::span<const std::byte> data) = 0;

  // Receives exactly out.size() bytes. `idle_timeout` bounds the wait for each next byte
  // (so a long reply on a slow link is fine, a silent peer is not).
  //   kOk | kDeadlineExceeded: no byte for idle_timeout (out is partly filled)
  //   | kUnavailable: the peer is gone.
  virtual Status Read(std::span<std::byte> out, std::chrono::milliseconds idle_timeout) = 0;

  // Drops bytes already received and any that arrive until the link has been quiet for
  // `quiet`; used to resynchronise after an error. Bounded: gives up after ~1 s of
  // continuous input.
  virtual void DiscardInput(std::chrono::milliseconds quiet) = 0;
};

}  // namespace flashrig::driver
