// Modelled FTDI MPSSE throughput: SpiNorFlash -> FtdiSpiBus -> MPSSE emulator (FT232H at
// 30 MHz, 125 us per USB transfer) -> simulated W25Q128JV. Iteration time is the virtual
// clock (USB latency + SCK wire time + the chip's busy time), so the figures are what the
// stream design costs, measured against the 3.75 MB/s wire limit. Counters report USB
// round trips per operation.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"

namespace flashrig::driver {
namespace {

constexpr double kWireLimitBytesPerSecond = 30e6 / 8;  // 3.75 MB/s at 30 MHz.

ChipModel W25q128jv() {
  hil::ConfigErrors errors;
  auto model = hil::LoadPartFile(hil::DefaultPartsDirectory() + "/w25q128jv.json", &errors);
  if (!model) {
    std::fprintf(stderr, "%s\n", hil::FormatConfigErrors(errors).c_str());
    std::abort();
  }
  return *model;
}

struct Stack {
  explicit Stack(const SpiNorOptions& nor = {}) : chip(W25q128jv(), clock, {}) {
    auto owned = std::make_unique<MpsseEmulator>(chip, MpsseEmulatorOptions{.clock = &clock});
    emu = owned.get();
    std::string message;
    auto b = OpenFtdiSpiBus(std::move(owned), {.clock_hz = 30'000'000}, clock, &message);
    if (!b.ok()) {
      std::fprintf(stderr, "open: %s\n", message.c_str());
      std::abort();
    }
    bus = std::move(b).value();
    auto f = SpiNorFlash::Probe(*bus, clock, nullptr, nor);
    if (!f.ok()) std::abort();
    flash = std::move(f).value();
  }
  double Seconds(Clock::TimePoint since) const {
    return std::chrono::duration<double>(clock.Now() - since).count();
  }
  VirtualClock clock;
  SimulatedSpiNorChip chip;
  MpsseEmulator* emu = nullptr;
  std::unique_ptr<FtdiSpiBus> bus;
  std::unique_ptr<SpiNorFlash> flash;
};

// Driver option sets compared: 0 = defaults (WEL read-back after WREN, first status poll
// at the learned 90 % completion time because the bus reports a USB round-trip cost);
// 1 = defaults without the WEL read-back; 2 = the pre-learning behaviour (poll at once,
// then every typical/64), for comparison.
SpiNorOptions Options(int64_t variant) {
  SpiNorOptions o;
  if (variant == 1) o.confirm_write_enable = false;
  if (variant == 2) o.first_poll = SpiNorOptions::FirstPoll::kImmediately;
  return o;
}

// Second argument: the most one bulk IN transfer returns (0 = the whole reply; 16384 =
// what libftdi 1.5 does on Linux whatever chunk size is asked, found by the umockdev test).
void BM_FtdiRead(benchmark::State& state) {
  Stack s;
  s.emu->set_max_read_bytes(static_cast<size_t>(state.range(1)));
  std::vector<std::byte> out(static_cast<size_t>(state.range(0)));
  uint64_t round_trips = 0;
  uint64_t ops = 0;
  for (auto _ : state) {
    const auto t0 = s.clock.Now();
    const uint64_t rt0 = s.bus->stats().round_trips;
    if (!s.flash->Read(0, out).ok()) state.SkipWithError("read failed");
    round_trips += s.bus->stats().round_trips - rt0;
    ++ops;
    state.SetIterationTime(s.Seconds(t0));
  }
  state.SetBytesProcessed(static_cast<int64_t>(ops * out.size()));
  state.counters["round_trips_per_op"] =
      static_cast<double>(round_trips) / static_cast<double>(ops);
  state.counters["wire_limit_Bps"] = kWireLimitBytesPerSecond;
}
BENCHMARK(BM_FtdiRead)
    ->ArgNames({"bytes", "usb_read_max"})
    ->ArgsProduct({{4096, 64 * 1024, 1024 * 1024}, {0, 16384}})
    ->UseManualTime();

void BM_FtdiProgram64KiB(benchmark::State& state) {
  Stack s(Options(state.range(0)));
  const std::vector<std::byte> data(64 * 1024, std::byte{0x5A});
  uint64_t round_trips = 0;
  uint64_t pages = 0;
  uint32_t address = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (!s.flash->Erase(address, 64 * 1024).ok()) state.SkipWithError("erase failed");
    state.ResumeTiming();
    const auto t0 = s.clock.Now();
    const uint64_t rt0 = s.bus->stats().round_trips;
    if (!s.flash->Program(address, data).ok()) state.SkipWithError("program failed");
    round_trips += s.bus->stats().round_trips - rt0;
    pages += data.size() / 256;
    state.SetIterationTime(s.Seconds(t0));
    address = (address + 64 * 1024) % (1024 * 1024);
  }
  state.SetBytesProcessed(static_cast<int64_t>(pages * 256));
  state.counters["round_trips_per_page"] =
      static_cast<double>(round_trips) / static_cast<double>(pages);
}
BENCHMARK(BM_FtdiProgram64KiB)->ArgName("options")->Arg(0)->Arg(1)->Arg(2)->UseManualTime();

void BM_FtdiErase(benchmark::State& state) {
  Stack s(Options(state.range(1)));
  const uint32_t size = static_cast<uint32_t>(state.range(0));
  uint64_t round_trips = 0;
  uint64_t ops = 0;
  uint32_t address = 0;
  for (auto _ : state) {
    const auto t0 = s.clock.Now();
    const uint64_t rt0 = s.bus->stats().round_trips;
    if (!s.flash->Erase(address, size).ok()) state.SkipWithError("erase failed");
    round_trips += s.bus->stats().round_trips - rt0;
    ++ops;
    state.SetIterationTime(s.Seconds(t0));
    address = (address + size) % (4 * 1024 * 1024);
  }
  state.SetBytesProcessed(static_cast<int64_t>(ops * size));
  state.counters["round_trips_per_op"] =
      static_cast<double>(round_trips) / static_cast<double>(ops);
}
BENCHMARK(BM_FtdiErase)
    ->ArgNames({"bytes", "options"})
    ->ArgsProduct({{4096, 65536}, {0, 2}})
    ->UseManualTime();

// Host cost of building and interpreting the streams (ordinary wall time).
void BM_FtdiRead4KiBHostTime(benchmark::State& state) {
  Stack s;
  std::vector<std::byte> out(4096);
  for (auto _ : state) {
    if (!s.flash->Read(0, out).ok()) state.SkipWithError("read failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 4096));
}
BENCHMARK(BM_FtdiRead4KiBHostTime);

}  // namespace
}  // namespace flashrig::driver
