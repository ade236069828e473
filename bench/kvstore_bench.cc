// KV engine benchmarks on RamFlash 32 x 4 KiB: append, get hit/miss, invalidate, set,
// mount, GC for 56-byte objects and 8/256/2000-byte values, with flash traffic per op as
// counters, plus erases per 1000 sets and write amplification at 50/75/90 % utilisation.
// Default EngineOptions (no wear record, no refresh at mount) unless a name says so.
// Run: build/bench/kvstore_bench --benchmark_min_time=0.2 (figures: docs/FORMAT.md
// "Performance", README)
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {
namespace {

constexpr uint32_t kRegionBytes = 4096;
constexpr uint32_t kRegions = 32;
constexpr uint32_t kFlashBytes = kRegionBytes * kRegions;
constexpr uint32_t kMaxKeys = 8192;

const std::vector<HashedKey>& Keys() {
  static const std::vector<HashedKey> keys = [] {
    std::vector<HashedKey> k;
    for (uint32_t i = 0; i < kMaxKeys; ++i) k.push_back(GenerateKey("bench-" + std::to_string(i)));
    return k;
  }();
  return keys;
}

struct Store {
  explicit Store(EngineOptions options = {})
      : flash(kRegionBytes, kRegions),
        storage(flash.geometry(), kMaxKeys),
        engine(flash, storage.buffers(), options) {
    engine.Format().IgnoreError();
  }
  driver::RamFlash flash;
  EngineStorage storage;
  TicKvEngine engine;
};

// Flash traffic accumulated over the timed part of a benchmark only.
struct Traffic {
  uint64_t read = 0, programmed = 0, erased = 0, erases = 0;
  driver::FlashCounters mark;
  void Start(const driver::RamFlash& f) { mark = f.counters(); }
  void Stop(const driver::RamFlash& f) {
    read += f.counters().bytes_read - mark.bytes_read;
    programmed += f.counters().bytes_programmed - mark.bytes_programmed;
    erased += f.counters().bytes_erased - mark.bytes_erased;
    erases += f.counters().erase_ops - mark.erase_ops;
  }
  void Report(benchmark::State& state) const {
    const double n = static_cast<double>(state.iterations());
    state.counters["read_B/op"] = static_cast<double>(read) / n;
    state.counters["prog_B/op"] = static_cast<double>(programmed) / n;
    state.counters["erase_B/op"] = static_cast<double>(erased) / n;
    state.SetItemsProcessed(state.iterations());
  }
};

// Fills keys [0, n) with `value_bytes` values.
void Fill(Store& s, uint32_t n, uint32_t value_bytes) {
  std::vector<std::byte> v(value_bytes, std::byte{0x5A});
  for (uint32_t i = 0; i < n; ++i) s.engine.Append(Keys()[i], v).IgnoreError();
}

uint32_t KeysFor(uint32_t percent, uint32_t value_bytes) {
  return kFlashBytes * percent / 100 / (value_bytes + 15);
}

void BM_Append(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  const uint32_t per_fill = KeysFor(80, value_bytes);
  std::vector<std::byte> v(value_bytes, std::byte{0x33});
  auto s = std::make_unique<Store>();
  Traffic t;
  uint32_t next = 0;
  for (auto _ : state) {
    if (next == per_fill) {
      state.PauseTiming();
      s->engine.Format().IgnoreError();
      next = 0;
      state.ResumeTiming();
    }
    t.Start(s->flash);
    benchmark::DoNotOptimize(s->engine.Append(Keys()[next++], v));
    t.Stop(s->flash);
  }
  t.Report(state);
  state.counters["erases/op"] =
      static_cast<double>(t.erases) / static_cast<double>(state.iterations());
}

void BM_GetHit(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  Store s;
  const uint32_t n = KeysFor(50, value_bytes);
  Fill(s, n, value_bytes);
  std::vector<std::byte> out(value_bytes);
  SeededRandom rng(1);
  Traffic t;
  t.Start(s.flash);
  for (auto _ : state) {
    size_t len = 0;
    benchmark::DoNotOptimize(s.engine.Get(Keys()[rng.Below(n)], out, &len));
  }
  t.Stop(s.flash);
  t.Report(state);
}

void BM_GetMiss(benchmark::State& state) {
  Store s;
  const uint32_t n = KeysFor(50, 41);
  Fill(s, n, 41);
  std::vector<std::byte> out(64);
  SeededRandom rng(2);
  Traffic t;
  t.Start(s.flash);
  for (auto _ : state) {
    size_t len = 0;
    benchmark::DoNotOptimize(s.engine.Get(Keys()[n + rng.Below(kMaxKeys - n)], out, &len));
  }
  t.Stop(s.flash);
  t.Report(state);
}

void BM_Invalidate(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  const uint32_t n = KeysFor(50, value_bytes);
  Store s;
  Fill(s, n, value_bytes);
  uint32_t next = 0;
  Traffic t;
  for (auto _ : state) {
    if (next == n) {
      state.PauseTiming();
      s.engine.Format().IgnoreError();
      Fill(s, n, value_bytes);
      next = 0;
      state.ResumeTiming();
    }
    t.Start(s.flash);
    benchmark::DoNotOptimize(s.engine.Invalidate(Keys()[next++]));
    t.Stop(s.flash);
  }
  t.Report(state);
}

// Steady-state sets of random keys at a utilisation: erases per 1000 sets and write
// amplification (bytes programmed / object bytes the caller asked to store).
// range(2) = 1: with the wear record (EngineOptions::wear_record, K = 16).
void BM_Set(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  const auto percent = static_cast<uint32_t>(state.range(1));
  const uint32_t n = KeysFor(percent, value_bytes);
  Store s(EngineOptions{.wear_record = state.range(2) != 0});
  Fill(s, n, value_bytes);
  std::vector<std::byte> v(value_bytes, std::byte{0x77});
  SeededRandom rng(3);
  // Warm up into steady state (the first compactions happen here, untimed).
  for (uint32_t i = 0; i < 2 * n; ++i) s.engine.Set(Keys()[rng.Below(n)], v).IgnoreError();
  Traffic t;
  uint64_t failed = 0;
  t.Start(s.flash);
  for (auto _ : state) {
    if (!s.engine.Set(Keys()[rng.Below(n)], v).ok()) ++failed;
  }
  t.Stop(s.flash);
  t.Report(state);
  const double sets = static_cast<double>(state.iterations());
  state.counters["erases/1000sets"] = static_cast<double>(t.erases) * 1000.0 / sets;
  state.counters["write_amp"] = static_cast<double>(t.programmed) / (sets * (value_bytes + 15));
  state.counters["failed"] = static_cast<double>(failed);
}

// range(1) = 1: with the weak-cell refresh (EngineOptions::refresh_on_mount, the default
// for chip targets in the harness).
void BM_Mount(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  Store s;
  Fill(s, KeysFor(75, value_bytes), value_bytes);
  EngineStorage storage(s.flash.geometry(), kMaxKeys);
  TicKvEngine engine(s.flash, storage.buffers(),
                     EngineOptions{.refresh_on_mount = state.range(1) != 0});
  Traffic t;
  t.Start(s.flash);
  for (auto _ : state) benchmark::DoNotOptimize(engine.Mount());
  t.Stop(s.flash);
  t.Report(state);
}

// GC of a store whose keys were all invalidated: erases every region but the super key's.
void BM_GarbageCollect(benchmark::State& state) {
  const auto value_bytes = static_cast<uint32_t>(state.range(0));
  const uint32_t n = KeysFor(75, value_bytes);
  Store s;
  Traffic t;
  for (auto _ : state) {
    state.PauseTiming();
    s.engine.Format().IgnoreError();
    Fill(s, n, value_bytes);
    for (uint32_t i = 0; i < n; ++i) s.engine.Invalidate(Keys()[i]).IgnoreError();
    state.ResumeTiming();
    t.Start(s.flash);
    benchmark::DoNotOptimize(s.engine.GarbageCollect());
    t.Stop(s.flash);
  }
  t.Report(state);
}

BENCHMARK(BM_Append)->Arg(41)->Arg(8)->Arg(256)->Arg(2000);
BENCHMARK(BM_GetHit)->Arg(41)->Arg(8)->Arg(256)->Arg(2000);
BENCHMARK(BM_GetMiss);
BENCHMARK(BM_Invalidate)->Arg(41)->Arg(256);
BENCHMARK(BM_Set)
    ->Args({41, 50, 0})
    ->Args({41, 75, 0})
    ->Args({41, 90, 0})
    ->Args({41, 75, 1})
    ->Args({256, 50, 0})
    ->Args({256, 75, 0})
    ->Args({256, 90, 0})
    ->Args({2000, 50, 0})
    ->Args({2000, 75, 0});
BENCHMARK(BM_Mount)->Args({41, 0})->Args({2000, 0})->Args({41, 1})->Args({2000, 1});
BENCHMARK(BM_GarbageCollect)->Arg(41)->Iterations(50);

}  // namespace
}  // namespace flashrig::kv
