// Runs a program as a child process with a deadline and captures its output, so a test
// can drive the `flashrig` CLI inside the umockdev testbed without ever hanging.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace flashrig::umock {

struct ChildResult {
  int exit_code = -1;      // -1 if it did not exit normally (killed, signal, not started).
  bool timed_out = false;  // Killed at the deadline.
  std::string output{};    // stdout and stderr, interleaved.
  std::string error{};     // Why it could not be started ("" if it was).
};

// Runs argv[0] (a path) with the caller's environment. The child is killed (SIGKILL) if
// it has not exited within `timeout`.
ChildResult RunChild(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace flashrig::umock
