// Workload generator, engine runner and dictionary model for the interop tests.
#include "kvstore/interop/tickv_workload.h"

#include <algorithm>
#include <array>

#include "flashrig/driver/flash/random.h"
#include "kvstore/interop/tickv_oracle.h"

namespace flashrig::kv::interop {
namespace {

using Kind = WorkloadOp::Kind;

struct Geometry {
  uint32_t region_bytes;
  uint32_t regions;
};
constexpr std::array<Geometry, 3> kGeometries = {{{4096, 32}, {1024, 64}, {256, 16}}};

// A uniform double in [lo, hi).
double Uniform(SeededRandom& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng.Below(1'000'000)) / 1e6;
}

std::vector<std::byte> RandomValue(SeededRandom& rng, uint32_t max_bytes) {
  std::vector<std::byte> v(rng.Below(max_bytes + 1));
  for (auto& b : v) b = static_cast<std::byte>(rng.Byte());
  return v;
}

std::string StatusAnswer(Status s) {
  if (s.ok()) return "OK";
  if (s == Status::AlreadyExists() || s == Status::NotFound()) return "ENOSUPPORT";
  if (s == Status::ResourceExhausted()) return "NOMEM";
  return std::string("ERR ") + s.str();
}

}  // namespace

Workload MakeWorkload(uint64_t seed, uint32_t op_count, bool with_updates) {
  SeededRandom rng(seed * 0x9E3779B97F4A7C15ull + 7);
  const Geometry g = kGeometries[seed % kGeometries.size()];
  Workload w{.seed = seed, .region_bytes = g.region_bytes, .regions = g.regions, .ops = {}};
  static constexpr std::array<uint32_t, 5> kMaxValues = {200, 200, 120, 60, 20};
  const uint32_t max_value = kMaxValues[rng.Below(kMaxValues.size())];
  const double capacity = static_cast<double>(g.region_bytes) * g.regions;
  const double aimed_keys = Uniform(rng, 0.1, 1.1) * capacity / (15.0 + max_value / 2.0);
  const auto keys =
      std::max<uint32_t>(4, static_cast<uint32_t>(aimed_keys * Uniform(rng, 0.8, 1.5)));
  const double p_append = Uniform(rng, 0.45, 0.8);
  const double p_invalidate = Uniform(rng, 0.05, 0.3);
  const double p_gc = Uniform(rng, 0.01, 0.06);
  std::map<std::string, bool> live;
  while (w.ops.size() < op_count) {
    const double r = Uniform(rng, 0, 1);
    std::string key = "k";  // Appended: "k" + std::string trips GCC 12's false -Wrestrict at -O3.
    key += std::to_string(rng.Below(keys));
    if (with_updates && r < 0.3) {
      w.ops.push_back({Kind::kSet, key, RandomValue(rng, max_value)});
      live[key] = true;
    } else if (with_updates && r > 0.985) {
      w.ops.push_back({Kind::kCompact, "", {}});
    } else if (r < p_append) {
      w.ops.push_back({Kind::kAppend, key, RandomValue(rng, max_value)});
      live[key] = true;
    } else if (r < p_append + p_invalidate) {
      w.ops.push_back({Kind::kInvalidate, key, {}});
      live.erase(key);
    } else if (r < p_append + p_invalidate + p_gc) {
      w.ops.push_back({Kind::kGc, "", {}});
      for (const auto& [k, unused] : live) w.ops.push_back({Kind::kGet, k, {}});
    } else {
      w.ops.push_back({Kind::kGet, key, {}});
    }
  }
  return w;
}

std::vector<std::string> OracleScript(const Workload& w) {
  std::vector<std::string> script;
  for (const WorkloadOp& op : w.ops) {
    switch (op.kind) {
      case Kind::kAppend:
        script.push_back("append " + op.key + " " + (op.value.empty() ? "-" : Hex(op.value)));
        break;
      case Kind::kInvalidate:
        script.push_back("invalidate " + op.key);
        break;
      case Kind::kGc:
        script.push_back("gc");
        break;
      case Kind::kGet:
        script.push_back("get " + op.key);
        break;
      case Kind::kSet:
      case Kind::kCompact:
        break;  // Not TicKV operations.
    }
  }
  return script;
}

std::vector<std::string> RunOnEngine(TicKvEngine& engine, const Workload& w) {
  std::vector<std::string> answers;
  std::vector<std::byte> out(4096);
  for (const WorkloadOp& op : w.ops) {
    const HashedKey key = GenerateKey(op.key);
    if (op.kind == Kind::kAppend) {
      answers.push_back(StatusAnswer(engine.Append(key, op.value)));
    } else if (op.kind == Kind::kSet) {
      answers.push_back(StatusAnswer(engine.Set(key, op.value)));
    } else if (op.kind == Kind::kInvalidate) {
      answers.push_back(StatusAnswer(engine.Invalidate(key)));
    } else if (op.kind == Kind::kGet) {
      size_t n = 0;
      const Status s = engine.Get(key, out, &n);
      answers.push_back(s.ok() ? "OK " + Hex(std::span(out).first(n)) : StatusAnswer(s));
    } else {
      const Result<size_t> freed =
          op.kind == Kind::kGc ? engine.GarbageCollect() : engine.Compact(w.region_bytes / 2);
      answers.push_back(freed.ok() ? "OK " + std::to_string(*freed) : StatusAnswer(freed.status()));
    }
  }
  return answers;
}

ModelAnswers Model(const Workload& w, const std::vector<std::string>* engine_answers) {
  ModelAnswers m;
  for (size_t i = 0; i < w.ops.size(); ++i) {
    const WorkloadOp& op = w.ops[i];
    const HashedKey key = GenerateKey(op.key);
    const bool refused =
        engine_answers != nullptr && i < engine_answers->size() && (*engine_answers)[i] == "NOMEM";
    const bool present = m.live.count(key) != 0;
    if (op.kind == Kind::kAppend) {
      m.answers.push_back(present ? "ENOSUPPORT" : refused ? "NOMEM" : "OK");
      if (!present && !refused) m.live[key] = op.value;
    } else if (op.kind == Kind::kSet) {
      m.answers.push_back(refused ? "NOMEM" : "OK");
      if (!refused) m.live[key] = op.value;
    } else if (op.kind == Kind::kInvalidate) {
      m.answers.push_back(present ? "OK" : "ENOSUPPORT");
      m.live.erase(key);
    } else if (op.kind == Kind::kGet) {
      m.answers.push_back(present ? "OK " + Hex(m.live[key]) : "ENOSUPPORT");
    } else {
      m.answers.push_back(std::nullopt);
    }
  }
  return m;
}

std::string CompareWithModel(const Workload& w, const ModelAnswers& model,
                             const std::vector<std::string>& answers, bool allow_nomem) {
  if (answers.size() != w.ops.size()) {
    return std::to_string(answers.size()) + " answers for " + std::to_string(w.ops.size()) + " ops";
  }
  for (size_t i = 0; i < answers.size(); ++i) {
    const std::optional<std::string>& want = model.answers[i];
    const bool ok = want ? (answers[i] == *want && (allow_nomem || *want != "NOMEM"))
                         : answers[i].rfind("OK ", 0) == 0;
    if (!ok) {
      return "op " + std::to_string(i) + " (" + w.ops[i].key + "): answered '" +
             answers[i].substr(0, 60) + "', a dictionary answers '" +
             (want ? want->substr(0, 60) : std::string("OK <n>")) + "'";
    }
  }
  return "";
}

}  // namespace flashrig::kv::interop
