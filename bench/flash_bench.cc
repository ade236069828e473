// Host cost of the Flash seam on RamFlash: read, program and erase throughput, and the
// overhead of the decorator stack. Run: build/bench/flash_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "flashrig/driver/flash/counting_flash.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/tracing_flash.h"

namespace flashrig::driver {
namespace {

constexpr uint32_t kSector = 4096;
constexpr uint32_t kSectors = 256;

void BM_RamFlashRead(benchmark::State& state) {
  RamFlash flash(kSector, kSectors);
  std::vector<std::byte> buf(static_cast<size_t>(state.range(0)));
  uint32_t addr = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(flash.Read(addr, buf));
    addr = (addr + kSector) % (kSector * kSectors);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RamFlashRead)->Arg(16)->Arg(256)->Arg(4096);

void BM_RamFlashProgram(benchmark::State& state) {
  RamFlash flash(kSector, kSectors);
  std::vector<std::byte> data(static_cast<size_t>(state.range(0)), std::byte{0x5A});
  uint32_t addr = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(flash.Program(addr, data));
    addr = (addr + kSector) % (kSector * kSectors);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RamFlashProgram)->Arg(16)->Arg(256)->Arg(4096);

void BM_RamFlashEraseSector(benchmark::State& state) {
  RamFlash flash(kSector, kSectors);
  uint32_t addr = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(flash.Erase(addr, kSector));
    addr = (addr + kSector) % (kSector * kSectors);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kSector);
}
BENCHMARK(BM_RamFlashEraseSector);

void BM_DecoratedRead(benchmark::State& state) {
  RamFlash ram(kSector, kSectors);
  CountingFlash counting(ram);
  TracingFlash tracing(counting, /*capacity=*/1024);
  std::vector<std::byte> buf(256);
  for (auto _ : state) benchmark::DoNotOptimize(tracing.Read(0, buf));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 256);
}
BENCHMARK(BM_DecoratedRead);

}  // namespace
}  // namespace flashrig::driver
