// Differential test against the real TicKV crate: seeded random workloads of append /
// invalidate / gc / get over 4096 x 32, 1024 x 64 and 256 x 16 (values 0..200 bytes, a get
// of every live key after each gc) run on our engine and on tickv-oracle.
//   - Where TicKV behaves as a correct store (every answer a dictionary's, no region
//     packed within 11 bytes of its end), our image and answers must be TicKV's, byte for
//     byte (docs/FORMAT.md R1).
//   - Always, TicKV must read every live key of our image with our value (R2), also in
//     workloads with sets and compactions, which TicKV does not have.
// Replay: FLASHRIG_SEED=<first seed> FLASHRIG_WORKLOADS=<n> ./kv_tickv_differential_test
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/tickv_engine.h"
#include "kvstore/interop/tickv_oracle.h"
#include "kvstore/interop/tickv_workload.h"
#include "testing/test_seed.h"

namespace flashrig::kv::interop {
namespace {

uint64_t WorkloadCount(uint64_t default_count) {
  const char* env = std::getenv("FLASHRIG_WORKLOADS");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : default_count;
}

std::vector<std::byte> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::byte> out(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) out[i] = static_cast<std::byte>(bytes[i]);
  return out;
}

// Our engine on a fresh RAM flash of the workload's geometry, formatted.
struct Ours {
  explicit Ours(const Workload& w)
      : flash(w.region_bytes, w.regions),
        storage(flash.geometry(), MaxObjectsFor(flash.geometry())),
        engine(flash, storage.buffers()) {}
  driver::RamFlash flash;
  EngineStorage storage;
  TicKvEngine engine;
};

struct Tally {
  uint64_t workloads = 0, tickv_correct = 0, identical = 0, live_keys = 0, nomem = 0;
};

// Runs one workload both ways; returns "" or what went wrong.
std::string RunOne(const TickvOracle& oracle, const Workload& w, Tally* tally) {
  Ours ours(w);
  if (!ours.engine.Format().ok()) return "format failed";
  const std::vector<std::string> answers = RunOnEngine(ours.engine, w);
  const ModelAnswers model = Model(w, &answers);
  if (auto e = CompareWithModel(w, model, answers, /*allow_nomem=*/true); !e.empty()) {
    return "our answers: " + e;
  }
  for (const std::string& a : answers) tally->nomem += a == "NOMEM" ? 1 : 0;
  tally->live_keys += model.live.size();
  if (auto e = oracle.CheckReadable(ours.flash.contents(), w.region_bytes, w.regions, model.live);
      !e.empty()) {
    return e;
  }
  const std::vector<std::string> script = OracleScript(w);
  if (script.size() != w.ops.size()) return "";  // Sets / compactions: readability only.
  const std::filesystem::path image = oracle.dir() / "tickv.img";
  std::filesystem::remove(image);
  OracleRun run = oracle.Run(image, w.region_bytes, w.regions, script, true, true);
  bool packed = false;
  for (std::string& line : run.lines) {
    if (line.size() > 7 && line.compare(line.size() - 7, 7, " PACKED") == 0) {
      line.resize(line.size() - 7);
      packed = true;
    }
  }
  const bool correct = run.exit_code == 0 && !packed &&
                       CompareWithModel(w, Model(w, nullptr), run.lines, false).empty();
  if (!correct) return "";
  ++tally->tickv_correct;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i] != run.lines[i]) {
      return "TicKV is correct here but answers op " + std::to_string(i) + " '" + script[i] +
             "' with '" + run.lines[i].substr(0, 40) + "', we with '" + answers[i].substr(0, 40) +
             "'";
    }
  }
  const std::vector<std::byte> theirs = ReadFile(image);
  const auto mine = ours.flash.contents();
  if (theirs.size() != mine.size()) return "oracle image has the wrong size";
  for (size_t i = 0; i < mine.size(); ++i) {
    if (theirs[i] != mine[i]) {
      return "TicKV is correct here but the images differ, first at byte " + std::to_string(i) +
             " (region " + std::to_string(i / w.region_bytes) + ")";
    }
  }
  ++tally->identical;
  return "";
}

void RunWorkloads(uint64_t first_seed, uint64_t count, uint32_t op_count, bool with_updates,
                  Tally* tally) {
  TickvOracle oracle;
  for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    const Workload w = MakeWorkload(seed, op_count, with_updates);
    ++tally->workloads;
    const std::string failure = RunOne(oracle, w, tally);
    ASSERT_TRUE(failure.empty()) << "workload seed " << seed << " (" << w.region_bytes << " x "
                                 << w.regions << ", " << w.ops.size() << " ops): " << failure
                                 << "  [replay: FLASHRIG_SEED=" << seed << " FLASHRIG_WORKLOADS=1]";
  }
}

TEST(TicKvDifferentialTest, TicKvOperations_IdenticalWhereTicKvIsCorrectAndAlwaysReadable) {
  FLASHRIG_SEEDED(seed, 1);
  const uint64_t count = WorkloadCount(240);
  Tally t;
  RunWorkloads(seed, count, 300, /*with_updates=*/false, &t);
  std::printf(
      "differential: seeds %llu..%llu, %llu workloads, TicKV correct in %llu, identical image "
      "and answers in %llu of those; TicKV read all %llu live keys of our images; our NOMEM "
      "answers: %llu\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed + count - 1),
      static_cast<unsigned long long>(t.workloads),
      static_cast<unsigned long long>(t.tickv_correct),
      static_cast<unsigned long long>(t.identical), static_cast<unsigned long long>(t.live_keys),
      static_cast<unsigned long long>(t.nomem));
  EXPECT_EQ(t.identical, t.tickv_correct);
  if (count >= 100) {
    EXPECT_GE(t.tickv_correct, count / 3);  // The comparison has teeth.
  }
}

TEST(TicKvDifferentialTest, WithSetsAndCompaction_TicKvReadsEveryLiveKey) {
  FLASHRIG_SEEDED(seed, 100001);
  const uint64_t count = WorkloadCount(60);
  Tally t;
  RunWorkloads(seed, count, 600, /*with_updates=*/true, &t);
  std::printf(
      "differential with sets/compaction: seeds %llu..%llu, %llu workloads, TicKV read all %llu "
      "live keys of our images; our NOMEM answers: %llu\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed + count - 1),
      static_cast<unsigned long long>(t.workloads), static_cast<unsigned long long>(t.live_keys),
      static_cast<unsigned long long>(t.nomem));
}

}  // namespace
}  // namespace flashrig::kv::interop
