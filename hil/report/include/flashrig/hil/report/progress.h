// ProgressPrinter: a one-line progress bar with ETA on a terminal, plain periodic lines
// otherwise (CI logs). Thread-safe: every rig thread reports into it.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace flashrig::hil {

class ProgressPrinter {
 public:
  // `out` may be null (silent). `interval`: the least time between two plain lines.
  ProgressPrinter(std::FILE* out, bool tty, std::chrono::milliseconds interval,
                  std::vector<std::string> rigs);

  // `fraction` in [0, 1] for rig number `rig`; negative = keep the last fraction.
  void Update(size_t rig, double fraction, const std::string& status);
  // Prints the final state (and ends the bar line on a terminal).
  void Finish();

  // "1:02:03" / "4:05" / "7 s".
  static std::string FormatDuration(double seconds);

 private:
  void PrintLocked(bool final_line);

  std::FILE* out_;
  bool tty_;
  std::chrono::milliseconds interval_;
  std::vector<std::string> rigs_;
  std::vector<double> fractions_;
  std::vector<std::string> status_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_{};
  std::mutex mu_;
};

}  // namespace flashrig::hil
