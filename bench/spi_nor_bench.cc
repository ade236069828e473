// SPI NOR benchmarks: host speed of the simulated chip (target >= 100 MB/s of simulated
// SPI traffic, bulk and byte-by-byte as the MPSSE emulator drives it), host speed of the
// driver, and modelled chip time of programs and erases (manual time = virtual clock).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <vector>

#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/chip_model.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"

namespace flashrig::driver {
namespace {

// W25Q128JV-like part (the JSON lives in configs/parts; benches stay file-free).
ChipModel BenchPart() {
  ChipModel m;
  m.name = "BENCH16M";
  m.vendor = "Bench";
  m.jedec_id = {0xEF, 0x40, 0x18};
  m.size_bytes = 16u << 20;
  m.erase_types = {
      {.size_bytes = 4096, .opcode = 0x20, .time = {.typical_us = 45000, .max_us = 400000}},
      {.size_bytes = 32768, .opcode = 0x52, .time = {.typical_us = 120000, .max_us = 1600000}},
      {.size_bytes = 65536, .opcode = 0xD8, .time = {.typical_us = 150000, .max_us = 2000000}}};
  m.page_program = {.typical_us = 400, .max_us = 3000};
  m.chip_erase = {.typical_us = 40000000, .max_us = 200000000};
  m.block_protect = {.bp_bit_positions = {2, 3, 4}, .tb_bit = 5, .first_protected_bytes = 262144};
  return m;
}

double Seconds(Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

// FAST_READ of state.range(0) bytes per CS frame, straight into the chip.
void BM_ChipFastRead(benchmark::State& state) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BenchPart(), clock);
  SpiDeviceBus bus(chip);
  std::vector<std::byte> out(static_cast<size_t>(state.range(0)));
  const std::array<std::byte, 4> cmd = {std::byte{0x0B}, std::byte{0}, std::byte{0}, std::byte{0}};
  const std::array<SpiSegment, 3> segs = {SpiSegment::Write(cmd), SpiSegment::Dummy(8),
                                          SpiSegment::Read(out)};
  for (auto _ : state) {
    benchmark::DoNotOptimize(bus.Transfer(segs));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * (state.range(0) + 5));
}
BENCHMARK(BM_ChipFastRead)->Arg(256)->Arg(4096)->Arg(65536);

// Page program frames (data latch path) with the program completing in virtual time.
void BM_ChipPageProgramFrames(benchmark::State& state) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BenchPart(), clock);
  SpiDeviceBus bus(chip);
  std::vector<std::byte> page(256, std::byte{0xFF});
  const std::array<std::byte, 1> wren = {std::byte{0x06}};
  uint32_t address = 0;
  for (auto _ : state) {
    const std::array<std::byte, 4> cmd = {std::byte{0x02}, std::byte(address >> 16),
                                          std::byte(address >> 8), std::byte{0}};
    benchmark::DoNotOptimize(bus.Transfer(std::array{SpiSegment::Write(wren)}));
    benchmark::DoNotOptimize(
        bus.Transfer(std::array{SpiSegment::Write(cmd), SpiSegment::Write(page)}));
    clock.Advance(std::chrono::milliseconds(1));
    address = (address + 256) % (16u << 20);
  }
  state.SetBytesProcessed(state.iterations() * (1 + 4 + 256));
}
BENCHMARK(BM_ChipPageProgramFrames);

// The MPSSE emulator / serprog path: one Exchange per byte.
void BM_ChipByteByByteRead(benchmark::State& state) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BenchPart(), clock);
  const std::array<std::byte, 5> header = {std::byte{0x0B}, std::byte{0}, std::byte{0},
                                           std::byte{0}, std::byte{0xFF}};
  const std::byte ones{0xFF};
  std::byte miso{};
  constexpr int kBytes = 4096;
  for (auto _ : state) {
    chip.Select();
    for (std::byte b : header) chip.Exchange(std::span(&b, 1), std::span(&miso, 1));
    for (int i = 0; i < kBytes; ++i) chip.Exchange(std::span(&ones, 1), std::span(&miso, 1));
    chip.Deselect();
    benchmark::DoNotOptimize(miso);
  }
  state.SetBytesProcessed(state.iterations() * (kBytes + 5));
}
BENCHMARK(BM_ChipByteByByteRead);

std::unique_ptr<SpiNorFlash> ProbeBench(SpiBus& bus, Clock& clock) {
  PartDatabase db({BenchPart()});
  auto f = SpiNorFlash::Probe(bus, clock, &db);
  return f.ok() ? std::move(*f) : nullptr;
}

// Host cost of SpiNorFlash::Read through the simulator (1 MiB per iteration).
void BM_DriverRead1MiB(benchmark::State& state) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BenchPart(), clock);
  SpiDeviceBus bus(chip);
  auto flash = ProbeBench(bus, clock);
  std::vector<std::byte> out(1 << 20);
  for (auto _ : state) {
    benchmark::DoNotOptimize(flash->Read(0, out));
  }
  state.SetBytesProcessed(state.iterations() * (1 << 20));
}
BENCHMARK(BM_DriverRead1MiB);

// Modelled time: erase a 64 KiB block and program it (typical datasheet times, 30 MHz
// wire). Reports the virtual seconds as the iteration time.
void BM_DriverEraseProgram64KModelled(benchmark::State& state) {
  VirtualClock clock;
  SimulatedSpiNorChip chip(BenchPart(), clock, {.sck_hz = 30'000'000});
  SpiDeviceBus bus(chip);
  auto flash = ProbeBench(bus, clock);
  std::vector<std::byte> data(65536, std::byte{0x5A});
  uint64_t polls = 0;
  for (auto _ : state) {
    const auto t0 = clock.Now();
    benchmark::DoNotOptimize(flash->Erase(0, 65536));
    benchmark::DoNotOptimize(flash->Program(0, data));
    state.SetIterationTime(Seconds(clock.Now() - t0));
  }
  for (const auto& r : flash->busy_log().records()) polls += r.polls;
  state.SetBytesProcessed(state.iterations() * 65536);
  state.counters["erase_ms"] = Seconds(flash->busy_log().stats(BusyKind::kErase).total) * 1e3 /
                               static_cast<double>(state.iterations());
  state.counters["polls_per_op"] =
      static_cast<double>(polls) / static_cast<double>(flash->busy_log().records().size());
}
BENCHMARK(BM_DriverEraseProgram64KModelled)->UseManualTime()->Iterations(20);

}  // namespace
}  // namespace flashrig::driver
