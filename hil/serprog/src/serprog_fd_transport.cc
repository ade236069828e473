// FdSerprogTransport: non-blocking fd I/O where every wait goes through poll() with a
// deadline; TCP connect and serial tty setup for the serprog client.
#include "flashrig/hil/serprog/serprog_fd_transport.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace flashrig::hil {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Waits until `fd` is ready for `events` or `deadline` passes. 1 ready, 0 timeout,
// -1 error (errno set). EINTR restarts with the remaining time.
int PollUntil(int fd, short events, steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    const int timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r;
    return 1;  // Readable/writable, or HUP/ERR: the read/write call reports which.
  }
}

bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

speed_t BaudConstant(uint32_t baud) {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 500000:
      return B500000;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 2000000:
      return B2000000;
    case 4000000:
      return B4000000;
    default:
      return B0;
  }
}

}  // namespace

FdSerprogTransport::FdSerprogTransport(int fd, milliseconds write_timeout)
    : fd_(fd), write_timeout_(write_timeout) {
  SetNonBlocking(fd_);
}

FdSerprogTransport::~FdSerprogTransport() {
  if (fd_ >= 0) ::close(fd_);
}

Status FdSerprogTransport::Write(std::span<const std::byte> data) {
  const auto deadline = steady_clock::now() + write_timeout_;
  size_t done = 0;
  while (done < data.size()) {
    // MSG_NOSIGNAL keeps a vanished TCP peer from killing us with SIGPIPE; ttys are not
    // sockets and need plain write().
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int r = PollUntil(fd_, POLLOUT, deadline);
      if (r == 0) return Status::DeadlineExceeded();
      if (r < 0) return Status::Unavailable();
      continue;
    }
    return Status::Unavailable();
  }
  return Status::Ok();
}

Status FdSerprogTransport::Read(std::span<std::byte> out, milliseconds idle_timeout) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd_, out.data() + done, out.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return Status::Unavailable();  // EOF: the peer closed.
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Status::Unavailable();
    const int r = PollUntil(fd_, POLLIN, steady_clock::now() + idle_timeout);
    if (r == 0) return Status::DeadlineExceeded();
    if (r < 0) return Status::Unavailable();
  }
  return Status::Ok();
}

void FdSerprogTransport::DiscardInput(milliseconds quiet) {
  // Bounded: a peer that never stops talking cannot keep us here for more than ~1 s.
  const auto give_up = steady_clock::now() + std::chrono::seconds(1);
  std::array<std::byte, 4096> sink{};
  while (steady_clock::now() < give_up) {
    const ssize_t n = ::read(fd_, sink.data(), sink.size());
    if (n > 0) continue;
    if (n == 0) return;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return;
    if (PollUntil(fd_, POLLIN, steady_clock::now() + quiet) <= 0) return;  // Quiet: done.
  }
}

bool ConfigureRawTty(int fd, uint32_t baud, std::string* error) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) {
    *error = fmt::format("not a terminal: {}", std::strerror(errno));
    return false;
  }
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS | CSTOPB | PARENB);
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  // VMIN 1: with O_NONBLOCK an empty tty then reads as EAGAIN; VMIN 0 would read as 0,
  // indistinguishable from a hang-up.
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  const speed_t speed = BaudConstant(baud);
  if (speed == B0) {
    *error = fmt::format("unsupported baud rate {}", baud);
    return false;
  }
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0 ||
      ::tcsetattr(fd, TCSANOW, &tio) != 0) {
    *error = fmt::format("cannot configure terminal: {}", std::strerror(errno));
    return false;
  }
  return true;
}

std::unique_ptr<FdSerprogTransport> OpenSerprogClientTransport(const SerprogEndpoint& endpoint,
                                                               milliseconds timeout,
                                                               std::string* error) {
  const milliseconds write_timeout = std::max(timeout, milliseconds(1000));
  if (endpoint.kind == SerprogEndpoint::Kind::kSerial) {
    const int fd = ::open(endpoint.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      *error = fmt::format("serprog {}: cannot open: {}", endpoint.device, std::strerror(errno));
      return nullptr;
    }
    std::string why;
    if (!ConfigureRawTty(fd, endpoint.baud, &why)) {
      ::close(fd);
      *error = fmt::format("serprog {}: {}", endpoint.device, why);
      return nullptr;
    }
    return std::make_unique<FdSerprogTransport>(fd, write_timeout);
  }
  if (endpoint.kind != SerprogEndpoint::Kind::kTcp) {
    *error = fmt::format("serprog {}: not a client endpoint (use tcp:HOST:PORT or a device)",
                         endpoint.ToString());
    return nullptr;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error =
        fmt::format("serprog {}: cannot resolve host: {}", endpoint.ToString(), ::gai_strerror(rc));
    return nullptr;
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    // Non-blocking connect bounded by `timeout`.
    int err = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      const int r = PollUntil(fd, POLLOUT, steady_clock::now() + timeout);
      if (r == 0) {
        err = ETIMEDOUT;
      } else if (r < 0) {
        err = errno;
      } else {
        socklen_t len = sizeof(err);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err != 0) {
      last_error = std::strerror(err);
      ::close(fd);
      fd = -1;
      continue;
    }
    // serprog is latency bound (one small command, one small reply): no Nagle delay.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    *error = fmt::format("serprog {}: cannot connect: {}", endpoint.ToString(), last_error);
    return nullptr;
  }
  return std::make_unique<FdSerprogTransport>(fd, write_timeout);
}

}  // namespace flashrig::hil
