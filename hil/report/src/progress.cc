// ProgressPrinter: ETA from the mean fraction over rigs and the elapsed wall time.
#include "flashrig/hil/report/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace flashrig::hil {

ProgressPrinter::ProgressPrinter(std::FILE* out, bool tty, std::chrono::milliseconds interval,
                                 std::vector<std::string> rigs)
    : out_(out),
      tty_(tty),
      interval_(interval),
      rigs_(std::move(rigs)),
      fractions_(rigs_.size(), 0.0),
      status_(rigs_.size()),
      start_(std::chrono::steady_clock::now()) {}

std::string ProgressPrinter::FormatDuration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

void ProgressPrinter::Update(size_t rig, double fraction, const std::string& status) {
  std::lock_guard lock(mu_);
  if (rig >= fractions_.size()) return;
  if (fraction >= 0) fractions_[rig] = std::clamp(fraction, 0.0, 1.0);
  status_[rig] = status;
  const auto now = std::chrono::steady_clock::now();
  // A terminal redraws often; a log gets a line per interval at most.
  const auto gap = tty_ ? std::chrono::milliseconds(100) : interval_;
  if (now - last_print_ >= gap) PrintLocked(false);
}

void ProgressPrinter::Finish() {
  std::lock_guard lock(mu_);
  PrintLocked(true);
}

void ProgressPrinter::PrintLocked(bool final_line) {
  if (out_ == nullptr || fractions_.empty()) return;
  last_print_ = std::chrono::steady_clock::now();
  const double f =
      std::accumulate(fractions_.begin(), fractions_.end(), 0.0) / double(fractions_.size());
  const double elapsed = std::chrono::duration<double>(last_print_ - start_).count();
  const std::string eta =
      f > 0.001 && f < 1.0 ? FormatDuration(elapsed / f - elapsed) : std::string("-");
  std::string rigs;
  for (size_t i = 0; i < rigs_.size(); ++i) {
    rigs += fmt::format("{}{}: {}", i ? "; " : "", rigs_[i], status_[i]);
  }
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(f * kWidth);
    std::string line = fmt::format("\r[{}{}] {:3.0f}% ETA {:>7}  {}", std::string(filled, '#'),
                                   std::string(kWidth - filled, '.'), f * 100, eta, rigs);
    if (line.size() > 160) line.resize(160);
    fmt::print(out_, "{}\x1b[K{}", line, final_line ? "\n" : "");
  } else {
    fmt::print(out_, "progress {:3.0f}% elapsed {} ETA {} | {}\n", f * 100, FormatDuration(elapsed),
               eta, rigs);
  }
  std::fflush(out_);
}

}  // namespace flashrig::hil
