// `flashrig emulate --ftdi 232h|2232h|4232h --part PART -- COMMAND [ARGS...]`: plugs an
// emulated FTDI board (a simulated chip on channel A's MPSSE pins) into a umockdev
// testbed and runs COMMAND inside it, so COMMAND's libusb (flashrom, a pyftdi script, a
// production programmer) finds the device and drives the chip; returns COMMAND's exit
// code. Only COMMAND runs with libumockdev-preload (flashrig sets LD_PRELOAD for it; the
// testbed side needs no preload), so this works the same whether or not flashrig itself
// was started under umockdev-wrapper, and needs no re-exec.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/emulate/child_runner.h"
#include "flashrig/hil/emulate/emulated_board.h"
#include "flashrig/hil/emulate/umockdev_testbed.h"

namespace flashrig::cli {
namespace {

struct EmulateArgs {
  std::string ftdi = "232h";
  std::string part;
  std::string image;
  std::string serial = hil::kDefaultEmulatedSerial;
  double speedup = 1.0;
  bool no_fast_forward = false;
  std::string timing = "typical";
  uint64_t seed = 1;
  bool strict = false;
  bool verbose = false;
  bool keep_timer_slack = false;
  std::string record_mpsse;
  std::vector<std::string> command;
};

// Prints each distinct complaint once, as it happens (it runs on umockdev's thread), and
// counts them all; repeats are summed up at the end.
class Complaints {
 public:
  void Add(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    ++total_;
    const size_t seen = ++counts_[message];
    if (seen == 1 && counts_.size() <= kMaxDistinct) {
      fmt::print(stderr, "flashrig emulate: {}\n", message);
    } else if (seen == 1 && counts_.size() == kMaxDistinct + 1) {
      fmt::print(stderr, "flashrig emulate: more complaints; only counting them now\n");
    }
  }
  uint64_t total() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }
  void Summarise() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (total_ == 0) return;
    fmt::print(stderr, "flashrig emulate: {} complaint(s), {} distinct\n", total_, counts_.size());
  }

 private:
  static constexpr size_t kMaxDistinct = 50;
  mutable std::mutex mu_;
  std::map<std::string, size_t> counts_;
  uint64_t total_ = 0;
};

void Fail(const std::string& message) { fmt::print(stderr, "flashrig emulate: {}\n", message); }

// --part: a part file, or a name from the parts directory.
std::optional<driver::ChipModel> LoadPart(const std::string& ref) {
  if (ref.ends_with(".json")) {
    hil::ConfigErrors errors;
    auto model = hil::LoadPartFile(ref, &errors);
    if (!model) Fail("--part: " + hil::FormatConfigErrors(errors));
    return model;
  }
  driver::PartDatabase parts;
  hil::ConfigErrors ignored;
  hil::LoadPartDirectory(hil::DefaultPartsDirectory(), &parts, &ignored);
  if (const driver::ChipModel* known = parts.FindByName(ref)) return *known;
  Fail("--part " + ref + ": not a .json part file nor a part name from `flashrig parts`");
  return std::nullopt;
}

std::optional<hil::EmulatedBoardOptions> BoardOptions(const EmulateArgs& args,
                                                      Complaints& complaints) {
  hil::EmulatedBoardOptions o;
  o.shape = hil::FindFtdiChipShape(args.ftdi);
  if (o.shape == nullptr) {
    Fail("--ftdi " + args.ftdi + ": expected 232h, 2232h or 4232h");
    return std::nullopt;
  }
  auto part = LoadPart(args.part);
  if (!part) return std::nullopt;
  o.part = *part;
  using Timing = driver::SimulatedChipOptions::Timing;
  if (args.timing != "typical" && args.timing != "sampled" && args.timing != "max") {
    Fail("--timing " + args.timing + ": expected typical, sampled or max");
    return std::nullopt;
  }
  o.chip.timing = args.timing == "typical"   ? Timing::kTypical
                  : args.timing == "sampled" ? Timing::kSampled
                                             : Timing::kMaximum;
  o.chip.seed = args.seed;
  o.serial = args.serial;
  o.speedup = args.speedup;
  o.fast_forward = !args.no_fast_forward;
  o.on_complaint = [&complaints](const std::string& m) { complaints.Add(m); };
  return o;
}

// --record-mpsse FILE: channel A's stream, appended as it arrives. nullptr on error.
std::FILE* OpenRecording(const std::string& path) {
  if (path.empty()) return nullptr;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Fail("--record-mpsse " + path + ": " + std::strerror(errno));
  return f;
}

// COMMAND's environment: the preload (unless already there, e.g. under umockdev-wrapper;
// UMOCKDEV_DIR is inherited from this process, where the testbed set it) and the device.
std::vector<std::pair<std::string, std::string>> ChildEnvironment(hil::EmulatedBoard& board,
                                                                  const std::string& preload) {
  std::vector<std::pair<std::string, std::string>> env;
  const char* current = std::getenv("LD_PRELOAD");
  const std::string old = current != nullptr ? current : "";
  if (old.find("libumockdev-preload") == std::string::npos) {
    env.emplace_back("LD_PRELOAD", preload + (old.empty() ? "" : ":" + old));
  }
  env.emplace_back("FLASHRIG_FTDI_URL", board.url());
  env.emplace_back("FLASHRIG_FTDI_SERIAL", board.usb().strings().serial);
  return env;
}

void SayPlugged(const EmulateArgs& args, hil::EmulatedBoard& board, const std::string& node,
                const std::string& dir) {
  const driver::ChipModel& m = board.chip().model();
  fmt::print("emulate: {} {} (serial {}, {} in {}), {} {} ({} KiB) on channel A\n",
             driver::FtdiChipTypeName(board.shape().type), board.url(),
             board.usb().strings().serial, node, dir, m.vendor, m.name, m.size_bytes / 1024);
  fmt::print("emulate: flashrom -p {}  |  pyftdi {}  |  flashrig --target {}\n",
             board.flashrom_programmer(), board.url(), board.url());
  fmt::print("emulate: speedup {}, fast-forward {}{}\n", args.speedup,
             args.no_fast_forward ? "off" : "on",
             args.image.empty() ? "" : ", image " + args.image);
  std::fflush(stdout);
}

// Where the time went: COMMAND's CPU (libusb, the preload's marshalling, its own work and
// busy-waits), this process's (umockdev's socket dispatch and the device), the device's
// own share, and the rest: both sides blocked on each other or asleep.
void SayTimes(const hil::ChildOutcome& outcome, const hil::EmulatedBoardStats& s, double wall_s) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  const double own = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                     (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
  const double child = outcome.user_seconds + outcome.system_seconds;
  fmt::print(
      "emulate: time: wall {:.3f} s; COMMAND CPU {:.3f} s (user {:.3f}, sys {:.3f}); "
      "emulator CPU {:.3f} s, of which device {:.3f} s; neither running {:.3f} s\n",
      wall_s, child, outcome.user_seconds, outcome.system_seconds, own,
      static_cast<double>(s.usb.handler_ns) / 1e9, std::max(0.0, wall_s - child - own));
}

void SaySummary(const hil::ChildOutcome& outcome, hil::EmulatedBoard& board, double wall_s) {
  const hil::EmulatedBoardStats s = board.stats();
  fmt::print(
      "emulate: COMMAND exited {} after {:.2f} s; USB: {} ioctls, {} control, {} bulk OUT "
      "({} B), {} bulk IN ({} B), {} client(s)\n",
      outcome.exit_code, wall_s, s.usb.ioctls, s.usb.control_urbs, s.usb.bulk_out_urbs,
      s.usb.bulk_out_bytes, s.usb.bulk_in_urbs, s.usb.bulk_in_bytes, s.usb.clients);
  fmt::print(
      "emulate: chip: {} programs, {} erases, {} chip erases; virtual time {:.2f} s, of which "
      "{:.2f} s fast-forwarded at {} status polls; {} latency-timer waits\n",
      s.chip.programs, s.chip.erases, s.chip.chip_erases,
      std::chrono::duration<double>(s.virtual_time).count(),
      std::chrono::duration<double>(s.fast_forwarded).count(), s.fast_forwards,
      s.channel_a.latency_timer_waits);
  SayTimes(outcome, s, wall_s);
  std::fflush(stdout);
}

// Plugs the board in, runs COMMAND, saves the image. Returns the exit code.
int RunEmulated(const EmulateArgs& args, hil::EmulatedBoard& board, Complaints& complaints,
                const hil::ForwardedSignals& signals) {
  std::string error;
  const std::string preload = hil::UmockdevTestbed::FindPreload(&error);
  if (preload.empty()) {
    Fail(error);
    return kExitDeviceError;
  }
  auto testbed = hil::UmockdevTestbed::Create(&error);
  if (testbed == nullptr) {
    Fail(error);
    return kExitDeviceError;
  }
  const std::string node = testbed->Plug(board.usb(), &error);
  if (node.empty()) {
    Fail(error);
    return kExitDeviceError;
  }
  if (args.verbose) SayPlugged(args, board, node, testbed->directory());
  const auto start = std::chrono::steady_clock::now();
  const hil::ChildOutcome outcome = hil::RunChild({.argv = args.command,
                                                   .set_env = ChildEnvironment(board, preload),
                                                   .fine_timer_slack = !args.keep_timer_slack},
                                                  signals);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!outcome.started) Fail(outcome.error);
  int code = outcome.exit_code;
  if (!args.image.empty()) {
    // Saved whatever COMMAND did, interrupted or not.
    if (const Status s = board.SaveImage(args.image); !s.ok()) {
      Fail("--image " + args.image + ": saving failed: " + s.str());
      if (code == 0) code = kExitDeviceError;
    }
  }
  if (args.verbose) SaySummary(outcome, board, wall_s);
  complaints.Summarise();
  if (code == 0 && args.strict && complaints.total() > 0) {
    Fail("--strict: the emulator complained; exit 1");
    code = kExitCheckFailed;
  }
  return code;
}

int Emulate(const EmulateArgs& args) {
  // Before any thread exists: umockdev's worker inherits the blocked signals.
  const hil::ForwardedSignals signals;
  if (args.command.empty()) {
    Fail("no COMMAND: flashrig emulate [OPTIONS] -- COMMAND [ARGS...]");
    return kExitBadInput;
  }
  Complaints complaints;
  auto options = BoardOptions(args, complaints);
  if (!options) return kExitBadInput;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> recording(OpenRecording(args.record_mpsse),
                                                            &std::fclose);
  if (!args.record_mpsse.empty() && recording == nullptr) return kExitBadInput;
  if (recording) {
    options->on_channel_a_stream = [f = recording.get()](std::span<const uint8_t> bytes) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
    };
  }
  hil::EmulatedBoard board(*options);
  if (!args.image.empty() && access(args.image.c_str(), F_OK) == 0) {
    if (const Status s = board.LoadImage(args.image); !s.ok()) {
      Fail("--image " + args.image + ": " +
           (s == Status::InvalidArgument()
                ? fmt::format("not a {}-byte image of the {}", options->part.size_bytes,
                              options->part.name)
                : std::string("cannot read it (") + s.str() + ")") +
           "; nothing was run");
      return kExitBadInput;
    }
  }
  return RunEmulated(args, board, complaints, signals);
}

}  // namespace

void AddEmulateCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "emulate",
      "Run COMMAND with an emulated FT232H/FT2232H/FT4232H and a simulated chip on its USB "
      "(for flashrom, pyftdi, ... without hardware); returns COMMAND's exit code");
  static EmulateArgs args;  // CLI11 binds options by pointer; lives for the process.
  cmd->add_option("--ftdi", args.ftdi, "The FTDI chip: 232h, 2232h or 4232h")
      ->capture_default_str();
  cmd->add_option("--part", args.part, "The SPI NOR chip on channel A: PART.json or a part name")
      ->required();
  cmd->add_option("--image", args.image,
                  "Chip contents: loaded from FILE if it exists, saved to it when COMMAND exits");
  cmd->add_option("--serial", args.serial, "The device's USB serial number")->capture_default_str();
  cmd->add_option("--speedup", args.speedup,
                  "Chip seconds per wall second (on top of the USB time the emulator models)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-fast-forward", args.no_fast_forward,
                "Let program/erase times pass at datasheet pace (x --speedup) even while the "
                "client only polls the status register");
  cmd->add_option("--timing", args.timing, "Chip operation times: typical, sampled or max")
      ->capture_default_str();
  cmd->add_option("--seed", args.seed, "Seed of the chip's sampled times")->capture_default_str();
  cmd->add_flag("--strict", args.strict,
                "Exit 1 if the emulator complained (a command it does not take, a protocol "
                "error) and COMMAND succeeded");
  cmd->add_flag("--verbose,-v", args.verbose,
                "Print the device's URL, serial and node, and the session's counters, on stdout");
  cmd->add_flag("--keep-timer-slack", args.keep_timer_slack,
                "Leave COMMAND's timer slack as it is (by default it is lowered to 1 ns, which "
                "halves the cost of umockdev's forwarded ioctls; for benchmarks)");
  cmd->add_option("--record-mpsse", args.record_mpsse,
                  "Write the MPSSE byte stream the host sends to channel A to FILE");
  cmd->add_option("command", args.command, "-- COMMAND [ARGS...]: run inside the testbed");
  cmd->callback([&ctx] { ctx.exit_code = Emulate(args); });
}

}  // namespace flashrig::cli
