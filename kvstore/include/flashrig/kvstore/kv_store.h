// KvStore: the blocking convenience API for host code and the CLI, over a TicKvEngine.
// String keys are hashed with generate_key (SipHash-2-4, key 0) exactly as Tock does.
// Exception- and heap-free, so it stays in kvstore/ and embedded code may use it too.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "flashrig/driver/flash/result.h"
#include "flashrig/driver/flash/status.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv {

// Not thread-safe. Every method also takes a raw HashedKey (for keys whose names are
// unknown, e.g. listed from flash or given as 0x... on the CLI). Codes are the engine's
// (tickv_engine.h); ToKvErrorCode() maps them to Tock names.
class KvStore {
 public:
  explicit KvStore(TicKvEngine& engine) : engine_(engine) {}

  static HashedKey KeyFor(std::string_view name) { return GenerateKey(name); }

  // Stores a new key; kAlreadyExists if it is live.
  Status Add(const HashedKey& key, std::span<const std::byte> value) {
    return engine_.Append(key, value);
  }
  // Creates or replaces, crash-atomically (old or new after a power cut).
  Status Set(const HashedKey& key, std::span<const std::byte> value) {
    return engine_.Set(key, value);
  }
  // Replaces an existing key only; kNotFound otherwise. Crash-atomic like Set.
  Status Update(const HashedKey& key, std::span<const std::byte> value) {
    if (!engine_.Contains(key))
      return engine_.mounted() ? Status::NotFound() : Status::FailedPrecondition();
    return engine_.Set(key, value);
  }
  // Reads into `out`; returns the full value length. kOutOfRange if `out` is too short
  // (use the two-argument form to learn the length and get the prefix).
  Result<size_t> Get(const HashedKey& key, std::span<std::byte> out) {
    size_t length = 0;
    FLASHRIG_TRY(engine_.Get(key, out, &length));
    return length;
  }
  Status Get(const HashedKey& key, std::span<std::byte> out, size_t* value_bytes) {
    return engine_.Get(key, out, value_bytes);
  }
  Status Remove(const HashedKey& key) { return engine_.Invalidate(key); }

  // TicKV GC, then (if `compact`) compaction of regions at least half garbage.
  Result<size_t> Gc(bool compact);

  // Fills `out` with live keys (super key excluded) in ascending hash order; returns how
  // many keys exist (may exceed out.size(): then only the smallest fit).
  size_t ListByHash(std::span<HashedKey> out) const;

  EngineStats Stats() const { return engine_.stats(); }

  // String-key forms.
  Status Add(std::string_view key, std::span<const std::byte> value) {
    return Add(KeyFor(key), value);
  }
  Status Set(std::string_view key, std::span<const std::byte> value) {
    return Set(KeyFor(key), value);
  }
  Status Update(std::string_view key, std::span<const std::byte> value) {
    return Update(KeyFor(key), value);
  }
  Result<size_t> Get(std::string_view key, std::span<std::byte> out) {
    return Get(KeyFor(key), out);
  }
  Status Remove(std::string_view key) { return Remove(KeyFor(key)); }

 private:
  TicKvEngine& engine_;
};

}  // namespace flashrig::kv
