// SerprogLoopbackTransport: client bytes go straight into SerprogServer::Receive.
#include "flashrig/driver/serprog/serprog_loopback_transport.h"

#include <algorithm>

namespace flashrig::driver {

Status SerprogLoopbackTransport::Write(std::span<const std::byte> data) {
  scratch_.clear();
  server_.Receive(data, scratch_);
  pending_.insert(pending_.end(), scratch_.begin(), scratch_.end());
  return Status::Ok();
}

Status SerprogLoopbackTransport::Read(std::span<std::byte> out,
                                      std::chrono::milliseconds /*idle_timeout*/) {
  const size_t n = std::min(out.size(), pending_.size());
  std::copy_n(pending_.begin(), n, out.begin());
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  return n == out.size() ? Status::Ok() : Status::DeadlineExceeded();
}

void SerprogLoopbackTransport::DiscardInput(std::chrono::milliseconds /*quiet*/) {
  pending_.clear();
}

}  // namespace flashrig::driver
