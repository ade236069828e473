// Test helper for the flashrom end-to-end tests: runs a program with stdout+stderr
// captured, waits for output or exit with deadlines, and kills it on timeout or when the
// helper dies, so a hung flashrom or server can never hang CI. Also finds flashrom and
// starts `flashrig serve` (FLASHRIG_BINARY, set by tests/hil/CMakeLists.txt).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

extern char** environ;

namespace flashrig::testing {

class Subprocess {
 public:
  Subprocess() = default;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }

  // Starts argv[0] (a path) with `argv`. False (and *error) if it could not start.
  bool Start(const std::vector<std::string>& argv, std::string* error) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      *error = "pipe failed";
      return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_fd_ = fds[0];
    ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
    if (rc != 0) {
      pid_ = -1;
      *error = "cannot start " + argv[0];
      return false;
    }
    return true;
  }

  // Collects output until it contains `needle` (true) or `timeout` passes / the pipe
  // closes (false).
  bool WaitForOutput(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output_.find(needle) == std::string::npos) {
      if (!Pump(deadline)) return output_.find(needle) != std::string::npos;
    }
    return true;
  }

  // Waits for exit, collecting output. Returns the exit code, or -1 if it had to be
  // killed at the deadline (or died from a signal).
  int Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Pump(deadline)) {
    }
    int status = 0;
    while (pid_ > 0) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        timed_out_ = true;
        return -1;
      }
      ::usleep(10000);
    }
    return -1;
  }

  void Signal(int signo) {
    if (pid_ > 0) ::kill(pid_, signo);
  }
  const std::string& output() const { return output_; }
  bool timed_out() const { return timed_out_; }

 private:
  // Reads what is available; false when the pipe closed or the deadline passed.
  bool Pump(std::chrono::steady_clock::time_point deadline) {
    if (out_fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{.fd = out_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) < 0) return true;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof(buf));
    if (n > 0) output_.append(buf, static_cast<size_t>(n));
    if (n == 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      return false;
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
  bool timed_out_ = false;
};

// flashrom's path: the usual Debian places, then $PATH. Empty if not installed.
inline std::string FindFlashrom() {
  std::vector<std::string> candidates = {"/usr/sbin/flashrom", "/usr/bin/flashrom",
                                         "/sbin/flashrom", "/usr/local/sbin/flashrom",
                                         "/usr/local/bin/flashrom"};
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    for (size_t i = 0; i <= p.size();) {
      const size_t colon = p.find(':', i);
      const std::string dir =
          p.substr(i, colon == std::string::npos ? std::string::npos : colon - i);
      if (!dir.empty()) candidates.push_back(dir + "/flashrom");
      if (colon == std::string::npos) break;
      i = colon + 1;
    }
  }
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return {};
}

// Starts `flashrig serve` in front of `target` on an ephemeral loopback port and returns
// flashrom's programmer argument for it ("serprog:ip=127.0.0.1:PORT"); "" (with a test
// failure) if the server did not come up.
inline std::string StartServe(Subprocess& serve, const std::string& target) {
  using namespace std::chrono_literals;
  std::string error;
  EXPECT_TRUE(serve.Start(
      {FLASHRIG_BINARY, "serve", "--serprog", "tcp:0", "--target", target, "--speedup", "100000"},
      &error))
      << error;
  EXPECT_TRUE(serve.WaitForOutput("serprog: listening on", 20s)) << serve.output();
  std::smatch m;
  const std::string out = serve.output();
  if (!std::regex_search(out, m, std::regex("listening on tcp:127\\.0\\.0\\.1:([0-9]+)"))) {
    ADD_FAILURE() << "no loopback address in: " << out;
    return {};
  }
  return "serprog:ip=127.0.0.1:" + m[1].str();
}

}  // namespace flashrig::testing
