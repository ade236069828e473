// Seeded random KV workloads for the interop tests: TicKV's own operations (append,
// invalidate, gc, get, with a get of every live key after each gc) and, optionally, our
// updates (set, compact). Runs them on our engine with answers in the oracle's syntax,
// and says what a dictionary would have answered.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv::interop {

struct WorkloadOp {
  enum class Kind : uint8_t { kAppend, kInvalidate, kGc, kGet, kSet, kCompact };
  Kind kind = Kind::kGet;
  std::string key;  // A string key, hashed as Tock's generate_key does.
  std::vector<std::byte> value;
};

struct Workload {
  uint64_t seed = 0;
  uint32_t region_bytes = 0;
  uint32_t regions = 0;
  std::vector<WorkloadOp> ops;
};

// Geometry from seed % 3 (4096 x 32, 1024 x 64, 256 x 16); values of 0..max bytes with
// max one of 200, 120, 60, 20; a key space aimed at 10-110 % of the store; `with_updates`
// adds sets and compactions (operations TicKV does not have).
Workload MakeWorkload(uint64_t seed, uint32_t op_count, bool with_updates);

// The workload as a tickv-oracle script (TicKV operations only).
std::vector<std::string> OracleScript(const Workload& w);

// Runs every op on `engine` (formatted) and answers each as tickv-oracle would: OK,
// OK <hex>, OK <bytes freed>, ENOSUPPORT, NOMEM, or ERR <status>.
std::vector<std::string> RunOnEngine(TicKvEngine& engine, const Workload& w);

struct ModelAnswers {
  // What a dictionary answers; nullopt for gc/compact (any "OK <n>").
  std::vector<std::optional<std::string>> answers;
  std::map<HashedKey, std::vector<std::byte>> live;  // Raw key -> value after the last op.
};
// The dictionary model. If `engine_answers` is given, an append or set the engine refused
// with NOMEM counts as not stored (so the model follows the engine's store).
ModelAnswers Model(const Workload& w, const std::vector<std::string>* engine_answers);

// "" if `answers` matches the model (gc/compact: any "OK <n>"; with allow_nomem, NOMEM
// for appends and sets), else the first difference with its op index.
std::string CompareWithModel(const Workload& w, const ModelAnswers& model,
                             const std::vector<std::string>& answers, bool allow_nomem);

}  // namespace flashrig::kv::interop
