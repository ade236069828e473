// Wall-clock cost of `flashrig emulate` with real clients: Debian's flashrom writing and
// verifying 2 MiB on a W25Q16JV (ft2232_spi over libftdi1 + libusb, through the umockdev
// preload), erasing it and reading it, and pyftdi programming 256 pages with status
// polling, and flashrig's own `write --verify` of 2 MiB. Each runs in three
// configurations:
//   before  COMMAND at the default timer slack, chip busy times at datasheet pace
//           (--keep-timer-slack --no-fast-forward: the first emulation's settings)
//   slack   timer slack 1 ns (--no-fast-forward)
//   after   the defaults: timer slack 1 ns and fast-forward on status polls
// Iteration time is wall time (one iteration each). Counters come from `--verbose`:
// ioctls and URBs over the emulated link, COMMAND's CPU, the emulator's CPU and the
// device's own share of it, the time neither side was running (waiting on each other,
// the preload's usleep, scheduling), and the virtual time fast-forwarded.
//   build/bench/emulate_bench --benchmark_filter=Flashrom
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace {

// A scratch directory for the images, removed at exit.
const std::string kWork = [] {
  char dir[] = "/tmp/flashrig-emulate-bench.XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  static const std::string path = dir;
  std::atexit([] { std::filesystem::remove_all(path); });
  return path;
}();

void WriteRandom(const std::string& path, size_t size) {
  std::mt19937_64 rng(42);
  std::vector<char> data(size);
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
}

// Runs a shell command line; returns its stdout (the bench aborts if it fails).
std::string Run(const std::string& command) {
  std::FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) std::abort();
  std::string out;
  std::array<char, 4096> buf{};
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  if (pclose(p) != 0) {
    std::fprintf(stderr, "failed: %s\n%s\n", command.c_str(), out.c_str());
    std::abort();
  }
  return out;
}

double Number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return 0;
  return std::stod(m[1].str());
}

const char* Options(int config) {
  static const char* kConfigs[] = {"--keep-timer-slack --no-fast-forward", "--no-fast-forward", ""};
  return kConfigs[config];
}

// One `flashrig emulate -v OPTIONS -- COMMAND` per iteration, timed and counted.
void Emulated(benchmark::State& state, const std::string& setup, const std::string& command) {
  const std::string image = kWork + "/chip.bin";
  for (auto _ : state) {
    if (!setup.empty()) Run(setup);
    const std::string line = std::string(FLASHRIG_BINARY) + " emulate -v --part " +
                             FLASHRIG_SOURCE_DIR + "/configs/parts/w25q16jv.json --image " + image +
                             " " + Options(static_cast<int>(state.range(0))) + " -- " + command +
                             " 2>/dev/null";
    const auto start = std::chrono::steady_clock::now();
    const std::string out = Run(line);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    state.counters["ioctls"] = Number(out, R"(USB: (\d+) ioctls)");
    state.counters["urbs"] = Number(out, R"((\d+) bulk OUT)") + Number(out, R"((\d+) bulk IN)");
    state.counters["command_cpu_s"] = Number(out, R"(COMMAND CPU ([\d.]+) s)");
    state.counters["emulator_cpu_s"] = Number(out, R"(emulator CPU ([\d.]+) s)");
    state.counters["device_s"] = Number(out, R"(of which device ([\d.]+) s)");
    state.counters["idle_s"] = Number(out, R"(neither running ([\d.]+) s)");
    state.counters["fast_forwarded_s"] = Number(out, R"(of which ([\d.]+) s fast-forwarded)");
    state.counters["virtual_s"] = Number(out, R"(virtual time ([\d.]+) s)");
  }
  state.SetLabel(std::string(state.range(0) == 0   ? "before"
                             : state.range(0) == 1 ? "slack"
                                                   : "after"));
}

void BM_FlashromWriteVerify2MiB(benchmark::State& state) {
  const std::string random = kWork + "/random.bin";
  WriteRandom(random, 2 << 20);
  // A blank chip each time: flashrom then programs every page and erases nothing.
  Emulated(state, "rm -f " + kWork + "/chip.bin", "flashrom -p ft2232_spi:type=232H -w " + random);
}
BENCHMARK(BM_FlashromWriteVerify2MiB)
    ->DenseRange(0, 2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

void BM_FlashromErase2MiB(benchmark::State& state) {
  WriteRandom(kWork + "/chip.bin", 2 << 20);
  // 512 sector erases (20h), each polled, each 4 KiB block read back.
  Emulated(state, "", "flashrom -p ft2232_spi:type=232H -E");
}
BENCHMARK(BM_FlashromErase2MiB)
    ->DenseRange(0, 2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

void BM_FlashromRead2MiB(benchmark::State& state) {
  WriteRandom(kWork + "/chip.bin", 2 << 20);
  Emulated(state, "", "flashrom -p ft2232_spi:type=232H -r " + kWork + "/read.bin");
}
BENCHMARK(BM_FlashromRead2MiB)
    ->DenseRange(0, 2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

void BM_FlashrigWriteVerify2MiB(benchmark::State& state) {
  const std::string random = kWork + "/random.bin";
  WriteRandom(random, 2 << 20);
  // flashrig's own driver over the same link, for comparison with flashrom.
  Emulated(state, "rm -f " + kWork + "/chip.bin",
           std::string(FLASHRIG_BINARY) + " write --target ftdi://ftdi:232h/1 --verify --image " +
               random);
}
BENCHMARK(BM_FlashrigWriteVerify2MiB)
    ->DenseRange(0, 2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

void BM_PyftdiProgram256Pages(benchmark::State& state) {
  Emulated(state, "rm -f " + kWork + "/chip.bin",
           std::string("/usr/bin/python3 ") + FLASHRIG_SOURCE_DIR + "/bench/pyftdi_pages.py 256");
}
BENCHMARK(BM_PyftdiProgram256Pages)
    ->DenseRange(0, 2)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
