// --shard auto: FLASHRIG_SHARD wins, Slurm arrays (0- and 1-based, stepped; index lists
// refused), GitLab parallel jobs, and an error naming every variable when none is set.
#include "flashrig/hil/cluster/shard_env.h"

#include <gtest/gtest.h>

#include <map>

namespace flashrig::hil {
namespace {

// The shard for `vars`, or "error: ..." with the message.
std::string ShardFor(const std::map<std::string, std::string>& vars) {
  const EnvLookup env = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  std::string error;
  const auto s = ShardFromEnvironment(env, &error);
  if (!s) return "error: " + error;
  return std::to_string(s->shard.index + 1) + "/" + std::to_string(s->shard.count);
}

std::map<std::string, std::string> Array(int id, int count, int min, int step, int max) {
  return {{"SLURM_ARRAY_TASK_ID", std::to_string(id)},
          {"SLURM_ARRAY_TASK_COUNT", std::to_string(count)},
          {"SLURM_ARRAY_TASK_MIN", std::to_string(min)},
          {"SLURM_ARRAY_TASK_STEP", std::to_string(step)},
          {"SLURM_ARRAY_TASK_MAX", std::to_string(max)}};
}

TEST(ShardEnvTest, SlurmArraysZeroOneBasedAndStepped) {
  // The values Slurm 22.05 sets, as printed from inside real array tasks.
  EXPECT_EQ(ShardFor(Array(0, 4, 0, 1, 3)), "1/4");  // --array=0-3
  EXPECT_EQ(ShardFor(Array(3, 4, 0, 1, 3)), "4/4");
  EXPECT_EQ(ShardFor(Array(1, 4, 1, 1, 4)), "1/4");  // --array=1-4
  EXPECT_EQ(ShardFor(Array(4, 4, 1, 1, 4)), "4/4");
  EXPECT_EQ(ShardFor(Array(5, 4, 1, 2, 7)), "3/4");  // --array=1-7:2
  EXPECT_EQ(ShardFor(Array(4, 6, 0, 1, 5)), "5/6");  // --array=0-5%2
}

TEST(ShardEnvTest, SlurmIndexListsAndBrokenValuesAreRefused) {
  // --array=2,5,9 reports STEP=1, so (ID - MIN) / STEP would give 1, 4 and 8 of 3.
  EXPECT_NE(ShardFor(Array(5, 3, 2, 1, 9)).find("index list, not a range"), std::string::npos);
  EXPECT_NE(ShardFor(Array(2, 3, 2, 1, 9)).find("index list, not a range"), std::string::npos);
  EXPECT_NE(ShardFor(Array(4, 4, 1, 2, 7)).find("not a task of an evenly stepped range"),
            std::string::npos);
  auto vars = Array(1, 4, 1, 1, 4);
  vars.erase("SLURM_ARRAY_TASK_COUNT");
  EXPECT_EQ(ShardFor(vars), "error: Slurm job array: SLURM_ARRAY_TASK_COUNT is not set");
  vars = Array(1, 4, 1, 1, 4);
  vars["SLURM_ARRAY_TASK_MIN"] = "one";
  EXPECT_EQ(ShardFor(vars),
            "error: Slurm job array: SLURM_ARRAY_TASK_MIN=\"one\" is not a non-negative integer");
  vars = Array(2, 4, 1, 1, 4);
  vars.erase("SLURM_ARRAY_TASK_STEP");  // Optional: 1.
  vars.erase("SLURM_ARRAY_TASK_MAX");
  EXPECT_EQ(ShardFor(vars), "2/4");
}

TEST(ShardEnvTest, ExplicitShardWinsAndGitlab) {
  auto vars = Array(1, 4, 1, 1, 4);
  vars["FLASHRIG_SHARD"] = "3/4";
  EXPECT_EQ(ShardFor(vars), "3/4");
  vars["FLASHRIG_SHARD"] = "5/4";
  EXPECT_EQ(ShardFor(vars), "error: FLASHRIG_SHARD=\"5/4\": expected i/N with 1 <= i <= N");
  EXPECT_EQ(ShardFor({{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}}), "2/3");
  EXPECT_NE(
      ShardFor({{"CI_NODE_INDEX", "4"}, {"CI_NODE_TOTAL", "3"}}).find("outside 1..CI_NODE_TOTAL=3"),
      std::string::npos);
  EXPECT_EQ(ShardFor({{"CI_NODE_INDEX", "1"}}),
            "error: GitLab parallel job: CI_NODE_TOTAL is not set");
}

TEST(ShardEnvTest, NothingSetNamesEveryVariable) {
  const std::string e = ShardFor({});
  for (const char* v :
       {"FLASHRIG_SHARD", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_STEP", "CI_NODE_INDEX", "CI_NODE_TOTAL"}) {
    EXPECT_NE(e.find(v), std::string::npos) << v;
  }
}

TEST(ShardEnvTest, ParseShardText) {
  Shard s;
  ASSERT_TRUE(ParseShardText("2/4", &s));
  EXPECT_EQ(s.index, 1u);
  EXPECT_EQ(s.count, 4u);
  for (const char* bad : {"0/4", "5/4", "1/0", "2", "2/4x", "/4", "a/b", "-1/4", ""}) {
    EXPECT_FALSE(ParseShardText(bad, &s)) << bad;
  }
}

}  // namespace
}  // namespace flashrig::hil
