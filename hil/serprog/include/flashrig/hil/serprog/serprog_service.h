// SerprogService: puts a SerprogServer on the OS: a TCP listener (loopback unless told
// otherwise) serving one client at a time, or a pseudo-terminal whose slave path a
// serial-port client opens. Every wait is a bounded poll(), so a stop request (SIGINT in
// `flashrig serve`) ends Serve() within stop_poll.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "flashrig/driver/flash/status.h"
#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"

namespace flashrig::hil {

struct SerprogServiceOptions {
  // Longest time between checks of the stop flag. > 0; default 100 ms.
  std::chrono::milliseconds stop_poll{100};
  // A client that does not take our replies for this long is dropped (TCP) or its
  // pending input flushed (pty). > 0; default 5 s.
  std::chrono::milliseconds write_timeout{5000};
  // One client at a time: further connections wait in the listen backlog until the
  // active client leaves, or until it has sent nothing for this long, when it is dropped
  // in favour of the waiting one (a crashed or forgotten client cannot block the
  // service). > 0; default 10 s.
  std::chrono::milliseconds idle_preempt{10000};
  // Called when a TCP client is accepted, before its first byte (e.g. to power a
  // simulated chip back up after a cut, as a user power-cycles a board between runs).
  // Runs on the Serve() thread. May be empty.
  std::function<void()> on_client{};
  // Receives one line per event (listening, client connected/refused/gone). May be empty.
  std::function<void(const std::string&)> log{};
};

// Counters of one service, readable while Serve() runs on another thread.
struct SerprogServiceCounters {
  std::atomic<uint64_t> clients_served{0};     // Connections accepted and served.
  std::atomic<uint64_t> clients_preempted{0};  // Dropped idle for a waiting client.
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
};

class SerprogService {
 public:
  // Binds/creates the endpoint (kTcp: listen on host:port, port 0 = ephemeral; kPty: a
  // new pty in raw mode). kSerial is a client endpoint and is refused. Returns null and
  // sets *error (naming the endpoint and the OS error) on failure.
  static std::unique_ptr<SerprogService> Open(const SerprogEndpoint& endpoint,
                                              const SerprogServiceOptions& options,
                                              std::string* error);
  ~SerprogService();
  SerprogService(const SerprogService&) = delete;
  SerprogService& operator=(const SerprogService&) = delete;

  // Where clients go: "tcp:127.0.0.1:41234" (with the real port) or the pty slave path.
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }  // kTcp: the bound port; 0 for a pty.
  // False when a TCP listener is bound to a non-loopback address (0.0.0.0, ::, a LAN
  // address): anyone who can reach the port can then read and write the chip.
  bool loopback_only() const { return loopback_only_; }
  const SerprogServiceCounters& counters() const { return counters_; }

  // Feeds client bytes to `server` and sends its replies until `stop` becomes true
  // (noticed within stop_poll, or write_timeout while a reply is stuck on a client that
  // does not read). `server` is Reset() for each new TCP client. Returns kOk after a
  // stop request, or kUnavailable if the listener/pty itself failed.
  Status Serve(driver::SerprogServer& server, const std::atomic<bool>& stop);

 private:
  SerprogService(const SerprogEndpoint& endpoint, const SerprogServiceOptions& options)
      : endpoint_(endpoint), options_(options) {}
  bool OpenTcp(std::string* error);
  bool OpenPty(std::string* error);
  Status ServeTcp(driver::SerprogServer& server, const std::atomic<bool>& stop);
  Status ServePty(driver::SerprogServer& server, const std::atomic<bool>& stop);
  void Log(const std::string& line) const;

  SerprogEndpoint endpoint_;
  SerprogServiceOptions options_;
  std::string address_;
  uint16_t port_ = 0;
  bool loopback_only_ = true;
  int listen_fd_ = -1;  // kTcp
  int master_fd_ = -1;  // kPty
  int slave_fd_ = -1;   // kPty: held open so the master never sees a hang-up.
  SerprogServiceCounters counters_;
};

}  // namespace flashrig::hil
