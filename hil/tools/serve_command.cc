// `flashrig serve --serprog tcp:127.0.0.1:PORT|pty --target sim:...|ftdi://...`: exposes a
// simulated chip (with flashrig's fault injection in play), or a chip on an FTDI bridge, as
// a serprog programmer so flashrom (or any serprog client) can drive it. Runs until SIGINT/SIGTERM,
// then saves and exits 0.
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>

#include "cli.h"
#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/serprog/serprog_paced_bus.h"
#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"
#include "flashrig/hil/serprog/serprog_service.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::cli {
namespace {

// Set from the signal handler; a lock-free atomic store is async-signal-safe.
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnStopSignal(int /*signo*/) { g_stop_requested.store(true); }

struct ServeArgs {
  std::string endpoint;
  std::string target;
  double speedup = 1.0;
  std::string name = "flashrig";
  uint32_t max_read_bytes = 64 * 1024;
  uint32_t max_write_bytes = 64 * 1024;
  uint64_t power_cut_after_bytes = 0;
  std::string power_cut_effect = "torn";
  uint64_t seed = 1;
};

void Say(const std::string& line) {
  fmt::print("{}\n", line);
  std::fflush(stdout);  // A parent process reads the address line as soon as it exists.
}

// --power-cut-effect; nullopt if it names no effect.
std::optional<driver::PowerCutEffect> ParseCutEffect(const std::string& text) {
  if (text == "not-applied") return driver::PowerCutEffect::kNotApplied;
  if (text == "applied") return driver::PowerCutEffect::kApplied;
  if (text == "torn") return driver::PowerCutEffect::kTorn;
  return std::nullopt;
}

// Whether `target` can be served with `args`; says why not on stderr.
bool CanServe(const ServeArgs& args, hil::Target& target) {
  if (target.cut_bus() == nullptr || target.spi_nor() == nullptr) {
    // A serprog server speaks SPI; ram:/image: targets have no chip to speak to.
    fmt::print(stderr,
               "serve: --target {}: not an SPI chip target (use sim:PART.json, sim:NAME, "
               "ftdi-emu:PART.json or ftdi://...)\n",
               args.target);
    return false;
  }
  if (args.power_cut_after_bytes > 0 && target.chip() == nullptr) {
    fmt::print(stderr, "serve: --power-cut-after-bytes needs a simulated chip (sim:, ftdi-emu:)\n");
    return false;
  }
  return true;
}

// The served chip, then the flashrom command line that reaches it.
void SayHowToConnect(const ServeArgs& args, hil::Target& target,
                     const std::optional<driver::SerprogPacedBus>& paced,
                     const hil::SerprogEndpoint& endpoint, const hil::SerprogService& service) {
  const driver::ProbeInfo& info = target.spi_nor()->info();
  const std::string part = info.part ? info.part->vendor + " " + info.part->name : "unknown part";
  Say(fmt::format("serve: {} ({}, JEDEC {:02X} {:02X} {:02X}, {} KiB){}", args.target, part,
                  info.jedec_id[0], info.jedec_id[1], info.jedec_id[2],
                  target.spi_nor()->geometry().size_bytes / 1024,
                  paced ? fmt::format(", speedup {}", paced->speedup()) : std::string()));
  if (endpoint.kind == hil::SerprogEndpoint::Kind::kPty) {
    Say(fmt::format("serve: flashrom -p serprog:dev={}:115200", service.address()));
  } else {
    // address() is tcp:HOST:PORT (HOST bracketed for IPv6); flashrom wants ip=HOST:PORT.
    const std::string& a = service.address();
    std::string host = a.substr(4, a.rfind(':') - 4);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    Say(fmt::format("serve: flashrom -p serprog:ip={}:{}", host, service.port()));
  }
}

// Serves clients until SIGINT or SIGTERM; the previous handlers are back afterwards.
Status ServeUntilSignal(hil::SerprogService& service, driver::SerprogServer& server) {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  g_stop_requested.store(false);
  const Status served = service.Serve(server, g_stop_requested);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return served;
}

// The session's totals, then the exit code: serving and saving the image must both work.
int FinishServing(const ServeArgs& args, hil::Target& target, const hil::SerprogService& service,
                  const driver::SerprogServer& server, Status served) {
  const auto& c = server.counters();
  Say(fmt::format("serve: {} client(s), {} commands, {} SPI ops ({} bus errors), {} NAKs",
                  service.counters().clients_served.load(), c.commands, c.spi_ops, c.spi_bus_errors,
                  c.naks));
  if (!served.ok()) {
    fmt::print(stderr, "serve: {} failed: {}\n", service.address(), served.str());
    return kExitDeviceError;
  }
  if (const Status flushed = target.Flush(); !flushed.ok()) {
    fmt::print(stderr, "serve: {}: saving the image failed: {}\n", args.target, flushed.str());
    return kExitDeviceError;
  }
  return kExitOk;
}

int Serve(const ServeArgs& args) {
  hil::SerprogEndpoint endpoint;
  std::string error;
  if (!hil::ParseSerprogEndpoint(args.endpoint, &endpoint, &error)) {
    fmt::print(stderr, "serve: --serprog: {}\n", error);
    return kExitBadInput;
  }
  const std::optional<driver::PowerCutEffect> effect = ParseCutEffect(args.power_cut_effect);
  if (!effect) {
    fmt::print(stderr,
               "serve: --power-cut-effect: expected torn, applied or not-applied, got '{}'\n",
               args.power_cut_effect);
    return kExitBadInput;
  }
  hil::TargetOpenResult opened = hil::OpenTarget(args.target);
  if (opened.target == nullptr) {
    fmt::print(stderr, "serve: --target: {}\n", opened.error);
    return opened.bad_input ? kExitBadInput : kExitDeviceError;
  }
  hil::Target& target = *opened.target;
  if (!CanServe(args, target)) return kExitBadInput;
  driver::SimulatedSpiNorChip* chip = target.chip();
  VirtualClock* chip_clock = target.virtual_clock();
  // What the programmer speaks to: the target's SPI bus, i.e. the simulated chip's pins,
  // or the MPSSE path of an ftdi:// device (flashrig as a serprog bridge for an FT232H)
  // or of the emulated one.
  driver::SpiBus* bus = target.cut_bus();

  const SystemClock wall_clock;
  // Simulated chips live in virtual time: pace it to the wall clock (x speedup) so a
  // client's timeouts see realistic busy times. A real chip paces itself.
  std::optional<driver::SerprogPacedBus> paced;
  if (chip_clock != nullptr) paced.emplace(*bus, *chip_clock, wall_clock, args.speedup);
  driver::SpiBus& served_bus = paced ? *paced : *bus;
  driver::SerprogServer server(served_bus, {.programmer_name = args.name,
                                            .max_write_bytes = args.max_write_bytes,
                                            .max_read_bytes = args.max_read_bytes});
  const driver::ChipPowerCut cut{
      .after_wire_bytes = args.power_cut_after_bytes, .effect = *effect, .seed = args.seed};
  if (args.power_cut_after_bytes > 0) chip->SchedulePowerCut(cut);

  hil::SerprogServiceOptions service_options;
  service_options.log = Say;
  service_options.on_client = [&] {
    // Like a user power-cycling the board between flashrom runs: a cut chip comes back,
    // and the cut is armed again for the next run.
    if (chip != nullptr && !chip->powered()) {
      chip->PowerOn();
      if (args.power_cut_after_bytes > 0) chip->SchedulePowerCut(cut);
      Say("serprog: chip powered on again for the new client");
    }
  };
  auto service = hil::SerprogService::Open(endpoint, service_options, &error);
  if (service == nullptr) {
    fmt::print(stderr, "serve: {}\n", error);
    return kExitDeviceError;
  }
  if (!service->loopback_only()) {
    // serprog has no authentication: the port is the chip.
    fmt::print(stderr,
               "serve: WARNING: listening on {}, which is not a loopback address: anyone who "
               "can reach this port can read and write the chip. Leave out the host (or use "
               "127.0.0.1) to serve this machine only.\n",
               service->address());
  }
  SayHowToConnect(args, target, paced, endpoint, *service);
  const Status served = ServeUntilSignal(*service, server);
  return FinishServing(args, target, *service, server, served);
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "serve", "Serve a simulated chip as a serprog programmer (for flashrom) until Ctrl-C");
  static ServeArgs args;  // CLI11 binds options by pointer; lives for the process.
  cmd->add_option("--serprog", args.endpoint,
                  "tcp:[HOST:]PORT (loopback unless HOST is given; port 0 = any) or pty")
      ->required();
  cmd->add_option("--target", args.target,
                  "sim:PART.json[?image=FILE&...], sim:NAME, ftdi-emu:PART.json or ftdi://...")
      ->required();
  cmd->add_option("--speedup", args.speedup,
                  "Simulated seconds per wall second (1 = datasheet pace)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--name", args.name, "Programmer name reported to clients (16 chars max)")
      ->capture_default_str();
  cmd->add_option("--max-read", args.max_read_bytes, "Largest SPI read per operation, bytes")
      ->capture_default_str()
      ->check(CLI::Range(1u, 0xFFFFFFu));
  cmd->add_option("--max-write", args.max_write_bytes, "Largest SPI write per operation, bytes")
      ->capture_default_str()
      ->check(CLI::Range(1u, 0xFFFFFFu));
  cmd->add_option("--power-cut-after-bytes", args.power_cut_after_bytes,
                  "Cut the chip's power after this many bytes on the wire (0 = never)")
      ->capture_default_str();
  cmd->add_option("--power-cut-effect", args.power_cut_effect,
                  "What the cut does to the operation in progress: torn, applied, not-applied")
      ->capture_default_str();
  cmd->add_option("--seed", args.seed, "Seed of the tear pattern")->capture_default_str();
  cmd->callback([&ctx] { ctx.exit_code = Serve(args); });
}

}  // namespace flashrig::cli
