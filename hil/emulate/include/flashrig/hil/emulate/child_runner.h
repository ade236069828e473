// Runs `flashrig emulate`'s COMMAND: a child process in the caller's working directory
// with the caller's environment plus a few variables, timer slack 1 ns (the umockdev
// preload sleeps after every forwarded ioctl; at the default 50 us slack that sleep is
// most of the emulation's cost), and the signals sent to flashrig passed on to it.
#pragma once

#include <signal.h>

#include <string>
#include <utility>
#include <vector>

namespace flashrig::hil {

// Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD in the calling thread for its lifetime. Make
// one before any thread starts (umockdev's worker thread inherits the mask), so no other
// thread takes those signals and RunChild can wait for them.
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  const sigset_t& original_mask() const { return original_; }

 private:
  sigset_t original_{};
};

struct ChildSpec {
  std::vector<std::string> argv{};  // argv[0] is looked up in PATH unless it has a '/'.
  std::vector<std::pair<std::string, std::string>> set_env{};  // Added or replaced.
  bool fine_timer_slack = true;
};

struct ChildOutcome {
  bool started = false;
  std::string error{};  // Why it did not start ("" if it did).
  int exit_code = 0;    // Its exit status; 128+N if signal N killed it; 127/126 if
                        // not found / not executable, as a shell reports them.
  int term_signal = 0;  // The signal that killed it, 0 if it exited.
  int forwarded_signals = 0;
  double user_seconds = 0;  // CPU time of the child and its waited-for descendants.
  double system_seconds = 0;
};

// Runs the child and waits for it. SIGTERM and SIGHUP are passed on; SIGINT too, unless
// the terminal sent it (then the child, in the same foreground process group, already
// has it). A third signal kills the child (SIGKILL). REQUIRES: a live ForwardedSignals.
ChildOutcome RunChild(const ChildSpec& spec, const ForwardedSignals& signals);

}  // namespace flashrig::hil
