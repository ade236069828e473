// Helpers for kvstore tests: an engine over a RamFlash, value generators, read helpers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv::testing {

// An engine with its own storage, over a flash it does not own.
struct EngineHarness {
  EngineHarness(driver::Flash& flash, uint32_t max_keys = 1024)
      : storage(flash.geometry(), max_keys), engine(flash, storage.buffers()) {}
  EngineStorage storage;
  TicKvEngine engine;
};

inline std::unique_ptr<EngineHarness> Mounted(driver::Flash& flash, uint32_t max_keys = 1024) {
  auto h = std::make_unique<EngineHarness>(flash, max_keys);
  if (!h->engine.Mount().ok()) return nullptr;
  return h;
}

// A deterministic value of `n` bytes that differs per (key index, version).
inline std::vector<std::byte> ValueFor(uint64_t id, uint64_t version, size_t n) {
  SeededRandom rng(id * 0x100000001B3ull + version * 0x9E3779B97F4A7C15ull + n);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng.Byte());
  return v;
}

inline HashedKey KeyNamed(const std::string& name) { return GenerateKey(name); }
inline HashedKey KeyNumber(uint64_t i) { return GenerateKey("key-" + std::to_string(i)); }

// The value of `key`, or nullopt if not found; any other error fails the test.
inline std::optional<std::vector<std::byte>> Read(TicKvEngine& engine, const HashedKey& key) {
  std::vector<std::byte> out(4096);
  size_t n = 0;
  const Status s = engine.Get(key, out, &n);
  if (s == Status::NotFound()) return std::nullopt;
  if (!s.ok()) {
    ADD_FAILURE() << "Get failed: " << s;
    return std::nullopt;
  }
  out.resize(n);
  return out;
}

// A key whose home region is `region` (of `regions`), the `nth` such key.
inline HashedKey KeyWithHome(uint32_t region, uint32_t regions, uint32_t nth) {
  uint32_t found = 0;
  for (uint64_t i = 0;; ++i) {
    const HashedKey k = GenerateKey("home-" + std::to_string(i));
    const uint32_t home =
        ((static_cast<uint32_t>(k[6]) << 8) | static_cast<uint32_t>(k[7])) % regions;
    if (home == region && found++ == nth) return k;
  }
}

}  // namespace flashrig::kv::testing
