// RunProcess: runs a program (found on PATH) with arguments, captures stdout and stderr,
// and gives up after a timeout (the child is killed), so a hung scheduler command never
// hangs flashrig. How hil/cluster talks to sbatch, squeue and scontrol.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace flashrig::hil {

struct ProcessResult {
  bool started = false;    // false: the program could not be run (error says why).
  bool timed_out = false;  // Killed after the timeout.
  int exit_code = -1;      // 128 + N when killed by signal N.
  std::string out{};
  std::string err{};
  std::string error{};  // Why it did not start, or "timed out after N s".
  bool ok() const { return started && !timed_out && exit_code == 0; }
};

// Runs argv[0] (searched on PATH) with `argv`, stdin from /dev/null, in this process's
// environment. Waits at most `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace flashrig::hil
