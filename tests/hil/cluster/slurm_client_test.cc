// The Slurm client's parts that need no cluster: scontrol output (as Slurm 22.05 prints
// it), job states, and RunProcess (exit codes, stderr, timeouts, missing programs).
#include <gtest/gtest.h>

#include "flashrig/hil/cluster/process.h"
#include "flashrig/hil/cluster/slurm.h"

namespace flashrig::hil {
namespace {

TEST(ScontrolParseTest, JobsArrayTasksAndPendingRanges) {
  const std::string text =
      "JobId=13 ArrayJobId=12 ArrayTaskId=1 JobName=flashrig-x UserId=root(0) JobState=COMPLETED "
      "Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 ExitCode=0:0 "
      "NodeList=vm BatchHost=vm Command=/tmp/my dir/task.sh\n"
      "JobId=14 ArrayJobId=12 ArrayTaskId=2 JobState=FAILED Reason=NonZeroExitCode Restarts=1 "
      "ExitCode=3:0 NodeList=vm BatchHost=vm\n"
      "JobId=12 ArrayJobId=12 ArrayTaskId=3-4,6 JobState=PENDING Reason=Resources Restarts=0 "
      "ExitCode=0:0 NodeList=(null)\n"
      "JobId=20 JobName=merge JobState=PENDING Reason=Dependency ExitCode=0:0\n";
  const auto jobs = ParseScontrolJobs(text);
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_EQ(jobs[0].id, "12_1");
  EXPECT_EQ(jobs[0].state, "COMPLETED");
  EXPECT_EQ(jobs[0].node, "vm");
  EXPECT_EQ(jobs[1].id, "12_2");
  EXPECT_EQ(jobs[1].exit_code, "3:0");
  EXPECT_EQ(jobs[1].restarts, 1u);
  EXPECT_EQ(jobs[2].id, "12_3");
  EXPECT_EQ(jobs[3].id, "12_4");
  EXPECT_EQ(jobs[4].id, "12_6");
  EXPECT_EQ(jobs[4].reason, "Resources");
  EXPECT_EQ(jobs[4].node, "");
  EXPECT_EQ(jobs[5].id, "20");
  EXPECT_EQ(jobs[5].reason, "Dependency");
  EXPECT_TRUE(ParseScontrolJobs("").empty());
  EXPECT_TRUE(ParseScontrolJobs("garbage without fields\n=x\n").empty());
}

TEST(ScontrolParseTest, StepsAndThrottleInTaskRanges) {
  const auto jobs =
      ParseScontrolJobs("JobId=5 ArrayJobId=5 ArrayTaskId=1-7:2%2 JobState=PENDING\n");
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[3].id, "5_7");
}

TEST(SlurmStateTest, FinalAndPending) {
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "CANCELLED+", "TIMEOUT", "NODE_FAIL",
                        "OUT_OF_MEMORY", "PREEMPTED"}) {
    EXPECT_TRUE(SlurmStateIsFinal(s)) << s;
    EXPECT_FALSE(SlurmStateIsPending(s)) << s;
  }
  for (const char* s : {"PENDING", "REQUEUED", "REQUEUE_HOLD", "CONFIGURING"}) {
    EXPECT_TRUE(SlurmStateIsPending(s)) << s;
    EXPECT_FALSE(SlurmStateIsFinal(s)) << s;
  }
  EXPECT_FALSE(SlurmStateIsFinal("RUNNING"));
  EXPECT_FALSE(SlurmStateIsPending("RUNNING"));
}

TEST(RunProcessTest, ExitCodesOutputTimeoutsAndMissingPrograms) {
  auto r = RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"}, std::chrono::seconds(10));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
  r = RunProcess({"sh", "-c", "head -c 300000 /dev/zero"}, std::chrono::seconds(10));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out.size(), 300000u);  // Both pipes drained while waiting.
  const auto t0 = std::chrono::steady_clock::now();
  r = RunProcess({"sleep", "30"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(r.error, "timed out after 0 s");
  r = RunProcess({"flashrig-no-such-program"}, std::chrono::seconds(1));
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("flashrig-no-such-program"), std::string::npos);
  EXPECT_FALSE(RunProcess({}, std::chrono::seconds(1)).started);
}

}  // namespace
}  // namespace flashrig::hil
