// KV mixes: a seeded weighted workload against the engine, checked against a reference
// map, with per-operation latency and flash bytes per operation.
#include "flashrig/hil/campaigns/kv_mix.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "flashrig/driver/flash/counting_flash.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/hil/campaigns/campaign.h"
#include "flashrig/hil/report/latency_histogram.h"

namespace flashrig::hil {
namespace {

enum Op { kAppend, kGet, kInvalidate, kSet, kGc, kOpCount };
constexpr const char* kOpNames[kOpCount] = {"append", "get", "invalidate", "set", "gc"};

std::vector<std::byte> Value(SeededRandom& rng, const KvMixConfig& mix) {
  std::vector<std::byte> v(rng.Between(mix.value_min_bytes, mix.value_max_bytes));
  for (auto& b : v) b = std::byte{rng.Byte()};
  return v;
}

// What a mix has measured so far, per operation type.
struct MixTally {
  LatencyStats stats[kOpCount];
  uint64_t flash_bytes[kOpCount] = {};
  uint64_t transactions[kOpCount] = {};
  uint64_t failures = 0;
  std::string first_failure;
};

// The operation to issue for the weighted pick `op` on a key that is `live` or not.
// Operations that make no sense for the key's state become their natural partner, so the
// mix stays close to the weights without provoking expected errors.
int NaturalOp(int op, bool live) {
  if (op == kAppend && live) op = kSet;
  if ((op == kInvalidate || op == kGet) && !live) op = kAppend;
  return op;
}

// Issues `op` on `key`; *value: what a write stored, *got: what a get read.
Status IssueOp(KvUnderTest& kv, int op, const std::string& key, SeededRandom& rng,
               const KvMixConfig& mix, std::vector<std::byte>* value, std::vector<std::byte>* got) {
  switch (op) {
    case kAppend:
    case kSet:
      *value = Value(rng, mix);
      return op == kAppend ? kv.Append(key, *value) : kv.Set(key, *value);
    case kGet:
      return kv.Get(key, got);
    case kInvalidate:
      return kv.Invalidate(key);
    case kGc:
      return kv.GarbageCollect();
  }
  return Status::Ok();
}

// Checks the outcome of `op` against the model and updates both. Returns the status that
// stops the mix (the device went away), else kOk.
Status CheckOp(int op, const std::string& key, Status s, const std::vector<std::byte>& value,
               const std::vector<std::byte>& got,
               std::map<std::string, std::vector<std::byte>>& model, MixTally& tally) {
  if (s == Status::ResourceExhausted() && (op == kAppend || op == kSet)) {
    return Status::Ok();  // A full store refusing a write is correct behaviour, not a failure.
  }
  if (!s.ok() && !(op == kGet && s == Status::NotFound())) {
    if (s == Status::Unavailable() || s == Status::DeadlineExceeded()) return s;
    ++tally.failures;
    if (tally.first_failure.empty())
      tally.first_failure = fmt::format("{} {}: {}", kOpNames[op], key, s.str());
    return Status::Ok();
  }
  if (op == kAppend || op == kSet) model[key] = value;
  if (op == kInvalidate) model.erase(key);
  if (op == kGet && got != model[key]) {
    ++tally.failures;
    if (tally.first_failure.empty()) tally.first_failure = fmt::format("get {}: wrong value", key);
  }
  return Status::Ok();
}

// Per-operation figures of the mix; *total_ops: operations done.
nlohmann::json OpFigures(const Rig& rig, const MixTally& tally, uint64_t* total_ops) {
  nlohmann::json ops = nlohmann::json::object();
  for (int op = 0; op < kOpCount; ++op) {
    const LatencyStats& stats = tally.stats[op];
    if (stats.count() == 0) continue;
    *total_ops += stats.count();
    const double seconds = double(stats.total_ns()) / 1e9;
    ops[kOpNames[op]] = {
        {"count", stats.count()},
        {"ops_per_s", seconds > 0 ? double(stats.count()) / seconds : 0.0},
        {"latency", stats.ToJson()},
        {"flash_bytes_per_op", double(tally.flash_bytes[op]) / double(stats.count())}};
    if (rig.spi_transactions) {
      ops[kOpNames[op]]["spi_transactions_per_op"] =
          double(tally.transactions[op]) / double(stats.count());
    }
  }
  return ops;
}

}  // namespace

std::string KvMixUnsupportedReason(const Rig& rig, const KvFactory& factory) {
  if (!factory) return "/throughput/kv_mixes: this build has no KV engine";
  driver::CountingFlash probe(*rig.flash);
  if (factory(probe) == nullptr) {
    return "/throughput/kv_mixes: the KV engine cannot use this partition's geometry";
  }
  return "";
}

Status RunKvMix(Rig& rig, const KvFactory& factory, const KvMixConfig& mix, uint64_t seed,
                const std::function<bool()>& stop, nlohmann::json* result) {
  driver::CountingFlash counted(*rig.flash);
  FLASHRIG_TRY(counted.Erase(0, counted.geometry().size_bytes));
  auto kv = factory(counted);
  if (kv == nullptr) return Status::InvalidArgument();
  FLASHRIG_TRY(kv->Mount());

  SeededRandom rng(seed);
  std::map<std::string, std::vector<std::byte>> model;
  MixTally tally;
  const uint32_t weights[kOpCount] = {mix.append_weight, mix.get_weight, mix.invalidate_weight,
                                      mix.set_weight, mix.gc_weight};
  uint32_t total_weight = 0;
  for (uint32_t w : weights) total_weight += w;

  for (uint32_t i = 0; i < mix.operations && !stop(); ++i) {
    uint64_t pick = rng.Below(total_weight);
    int op = 0;
    while (pick >= weights[op]) pick -= weights[op++];
    const std::string key = fmt::format("key{}", rng.Below(mix.key_count));
    op = NaturalOp(op, model.count(key) != 0);
    const auto before = counted.counters();
    const uint64_t spi_before = rig.spi_transactions ? rig.spi_transactions() : 0;
    const auto t0 = rig.clock->Now();
    std::vector<std::byte> value, got;
    const Status s = IssueOp(*kv, op, key, rng, mix, &value, &got);
    tally.stats[op].Add(ElapsedNs(*rig.clock, t0));
    const auto after = counted.counters();
    if (rig.spi_transactions) tally.transactions[op] += rig.spi_transactions() - spi_before;
    tally.flash_bytes[op] += (after.bytes_read - before.bytes_read) +
                             (after.bytes_programmed - before.bytes_programmed) +
                             (after.bytes_erased - before.bytes_erased);
    FLASHRIG_TRY(CheckOp(op, key, s, value, got, model, tally));
  }

  uint64_t total_ops = 0;
  nlohmann::json ops = OpFigures(rig, tally, &total_ops);
  const uint64_t failures = tally.failures;
  *result = {
      {"name", mix.name},
      {"operations", total_ops},
      {"failures", failures},
      {"summary", failures == 0 ? fmt::format("{} operations, reads matched the model", total_ops)
                                : fmt::format("{} of {} operations failed; first: {}", failures,
                                              total_ops, tally.first_failure)},
      {"ops", ops}};
  return Status::Ok();
}

}  // namespace flashrig::hil
