// SerprogService: TCP listener / pty plumbing around SerprogServer, one client at a time,
// every wait a poll() bounded by stop_poll.
#include "flashrig/hil/serprog/serprog_service.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "flashrig/hil/serprog/serprog_fd_transport.h"

namespace flashrig::hil {
namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;

int PollTimeoutMs(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

}  // namespace

std::unique_ptr<SerprogService> SerprogService::Open(const SerprogEndpoint& endpoint,
                                                     const SerprogServiceOptions& options,
                                                     std::string* error) {
  if (options.stop_poll.count() <= 0 || options.write_timeout.count() <= 0 ||
      options.idle_preempt.count() <= 0) {
    *error = "serprog service: stop_poll, write_timeout and idle_preempt must be > 0";
    return nullptr;
  }
  std::unique_ptr<SerprogService> service(new SerprogService(endpoint, options));
  switch (endpoint.kind) {
    case SerprogEndpoint::Kind::kTcp:
      if (!service->OpenTcp(error)) return nullptr;
      break;
    case SerprogEndpoint::Kind::kPty:
      if (!service->OpenPty(error)) return nullptr;
      break;
    case SerprogEndpoint::Kind::kSerial:
      *error = fmt::format("serprog {}: a server listens on tcp:[HOST:]PORT or pty",
                           endpoint.ToString());
      return nullptr;
  }
  return service;
}

SerprogService::~SerprogService() {
  for (int fd : {listen_fd_, master_fd_, slave_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void SerprogService::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

bool SerprogService::OpenTcp(std::string* error) {
  const std::string where = endpoint_.ToString();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint_.port);
  if (const int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = fmt::format("serprog {}: cannot resolve host: {}", where, ::gai_strerror(rc));
    return false;
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr && listen_fd_ < 0; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 16) != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0) {
    *error = fmt::format("serprog {}: cannot listen: {}", where, last_error);
    return false;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  std::array<char, INET6_ADDRSTRLEN> host{};
  if (bound.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&bound);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host.data(), host.size());
    port_ = ntohs(a->sin6_port);
    address_ = fmt::format("tcp:[{}]:{}", host.data(), port_);
    loopback_only_ = IsLoopbackAddress(host.data());
  } else {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&bound);
    ::inet_ntop(AF_INET, &a->sin_addr, host.data(), host.size());
    port_ = ntohs(a->sin_port);
    address_ = fmt::format("tcp:{}:{}", host.data(), port_);
    loopback_only_ = IsLoopbackAddress(host.data());
  }
  return true;
}

bool SerprogService::OpenPty(std::string* error) {
  master_fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd_ < 0 || ::grantpt(master_fd_) != 0 || ::unlockpt(master_fd_) != 0) {
    *error = fmt::format("serprog pty: cannot create a pseudo-terminal: {}", std::strerror(errno));
    return false;
  }
  std::array<char, 128> name{};
  if (::ptsname_r(master_fd_, name.data(), name.size()) != 0) {
    *error = fmt::format("serprog pty: ptsname: {}", std::strerror(errno));
    return false;
  }
  address_ = name.data();
  slave_fd_ = ::open(address_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) {
    *error = fmt::format("serprog pty {}: cannot open: {}", address_, std::strerror(errno));
    return false;
  }
  // Raw: no echo or line editing may touch protocol bytes before a client sets its own.
  std::string why;
  if (!ConfigureRawTty(slave_fd_, 115200, &why)) {
    *error = fmt::format("serprog pty {}: {}", address_, why);
    return false;
  }
  const int flags = ::fcntl(master_fd_, F_GETFL, 0);
  ::fcntl(master_fd_, F_SETFL, flags | O_NONBLOCK);
  return true;
}

Status SerprogService::Serve(driver::SerprogServer& server, const std::atomic<bool>& stop) {
  Log(fmt::format("serprog: listening on {}", address_));
  return master_fd_ >= 0 ? ServePty(server, stop) : ServeTcp(server, stop);
}

Status SerprogService::ServeTcp(driver::SerprogServer& server, const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<FdSerprogTransport> client;
  Clock::time_point last_input{};
  std::vector<std::byte> in(kReadChunkBytes);
  std::vector<std::byte> out;
  auto drop_client = [&](const char* why) {
    Log(fmt::format("serprog: client gone ({})", why));
    client.reset();
  };
  while (!stop.load()) {
    // The listener is only watched when a new client could be taken: none active, or
    // the active one idle long enough to be preempted. Otherwise waiting connections
    // stay in the backlog (and we do not spin on a readable listener).
    const bool can_take = !client || Clock::now() - last_input >= options_.idle_preempt;
    std::array<pollfd, 2> fds{};
    fds[0] = {.fd = can_take ? listen_fd_ : -1, .events = POLLIN, .revents = 0};
    fds[1] = {.fd = client ? client->fd() : -1, .events = POLLIN, .revents = 0};
    const int r = ::poll(fds.data(), fds.size(), PollTimeoutMs(options_.stop_poll));
    if (r < 0 && errno != EINTR) return Status::Unavailable();
    if (r <= 0) continue;

    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        if (client) {
          ++counters_.clients_preempted;
          drop_client("idle while another client waited");
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        client = std::make_unique<FdSerprogTransport>(fd, options_.write_timeout);
        last_input = Clock::now();
        if (options_.on_client) options_.on_client();
        server.Reset();
        ++counters_.clients_served;
        Log("serprog: client connected");
        continue;  // Its fd was not in this poll round.
      }
    }
    if (!client || (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = ::read(client->fd(), in.data(), in.size());
    if (n == 0) {
      drop_client("closed");
      continue;
    }
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) drop_client("read error");
      continue;
    }
    last_input = Clock::now();
    counters_.bytes_in += static_cast<uint64_t>(n);
    out.clear();
    server.Receive(std::span(in).first(static_cast<size_t>(n)), out);
    if (out.empty()) continue;
    if (const Status s = client->Write(out); !s.ok()) {
      drop_client(s.code() == StatusCode::kDeadlineExceeded ? "not reading replies"
                                                            : "write error");
      continue;
    }
    counters_.bytes_out += out.size();
  }
  Log("serprog: stopping");
  return Status::Ok();
}

Status SerprogService::ServePty(driver::SerprogServer& server, const std::atomic<bool>& stop) {
  std::vector<std::byte> in(kReadChunkBytes);
  std::vector<std::byte> out;
  while (!stop.load()) {
    pollfd p{.fd = master_fd_, .events = POLLIN, .revents = 0};
    const int r = ::poll(&p, 1, PollTimeoutMs(options_.stop_poll));
    if (r < 0 && errno != EINTR) return Status::Unavailable();
    if (r <= 0) continue;
    const ssize_t n = ::read(master_fd_, in.data(), in.size());
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      return Status::Unavailable();  // We hold the slave open, so this is a real failure.
    }
    counters_.bytes_in += static_cast<uint64_t>(n);
    out.clear();
    server.Receive(std::span(in).first(static_cast<size_t>(n)), out);
    if (out.empty()) continue;
    // Written in bounded steps; a client that stopped reading gets its input flushed
    // rather than stalling us (a pty has no "disconnect" to act on).
    const auto deadline = std::chrono::steady_clock::now() + options_.write_timeout;
    size_t done = 0;
    while (done < out.size() && !stop.load()) {
      const ssize_t w = ::write(master_fd_, out.data() + done, out.size() - done);
      if (w > 0) {
        done += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return Status::Unavailable();
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::tcflush(slave_fd_, TCIFLUSH);
        server.Reset();
        Log("serprog: pty client not reading replies; flushed");
        break;
      }
      pollfd wp{.fd = master_fd_, .events = POLLOUT, .revents = 0};
      ::poll(&wp, 1, PollTimeoutMs(options_.stop_poll));
    }
    counters_.bytes_out += done;
  }
  Log("serprog: stopping");
  return Status::Ok();
}

}  // namespace flashrig::hil
