// flashrig slurm submit / resubmit / status / wait / merge against a fake Slurm that runs
// the job scripts itself (bash, with the variables Slurm sets), so the scripts and the
// real flashrig binary are exercised without a cluster. The real cluster: tests/cluster.
#include "flashrig/hil/cluster/submission.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "flashrig/hil/campaigns/runner.h"
#include "flashrig/hil/cluster/process.h"
#include "flashrig/hil/cluster/task_status.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;

// Runs what is submitted at once: each array task, then (when submitted) the merge job.
class ScriptRunningSlurm final : public Slurm {
 public:
  struct Submission {
    std::vector<std::string> args;
    std::string script, id;
  };
  std::vector<Submission> submissions;
  std::vector<std::string> cancelled;
  bool refuse = false;
  std::string force_state{};  // Report every job in this state (e.g. "RUNNING").

  std::optional<std::string> Submit(const std::vector<std::string>& args, const std::string& script,
                                    std::string* error) override {
    if (refuse) {
      *error = "sbatch failed (exit 1): sbatch: error: invalid partition specified: nope";
      return std::nullopt;
    }
    const std::string id = std::to_string(next_id_++);
    submissions.push_back({args, script, id});
    uint32_t first = 0, last = 0;
    for (const auto& a : args) {
      if (a.starts_with("--array=")) {
        const std::string r = a.substr(8);
        first = static_cast<uint32_t>(std::stoul(r));
        last = r.find('-') == std::string::npos
                   ? first
                   : static_cast<uint32_t>(std::stoul(r.substr(r.find('-') + 1)));
      }
    }
    if (first == 0) {
      Run(script, {}, id);
    } else {
      for (uint32_t i = first; i <= last; ++i) {
        Run(script,
            {"SLURM_ARRAY_TASK_ID=" + std::to_string(i), "SLURM_ARRAY_JOB_ID=" + id,
             "SLURM_JOB_ID=" + std::to_string(1000 + next_id_)},
            id + "_" + std::to_string(i));
      }
    }
    return id;
  }
  std::optional<std::vector<SlurmJob>> Query(const std::vector<std::string>& ids,
                                             std::string*) override {
    std::vector<SlurmJob> out;
    for (const auto& [job_id, job] : jobs_) {
      for (const auto& id : ids) {
        if (job_id == id || job_id.starts_with(id + "_")) out.push_back(job);
      }
    }
    return out;
  }
  void Cancel(const std::vector<std::string>& ids) override {
    cancelled.insert(cancelled.end(), ids.begin(), ids.end());
  }

 private:
  void Run(const std::string& script, std::vector<std::string> env, const std::string& job_id) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"bash", script});
    const ProcessResult r = RunProcess(argv, std::chrono::seconds(120));
    SlurmJob job;
    job.id = job_id;
    job.state = !force_state.empty() ? force_state : r.exit_code == 0 ? "COMPLETED" : "FAILED";
    job.exit_code = std::to_string(r.exit_code) + ":0";
    job.node = "fake";
    jobs_[job_id] = job;
    last_output += r.out + r.err;
  }
  std::map<std::string, SlurmJob> jobs_;
  int next_id_ = 1;

 public:
  std::string last_output;
};

class SubmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* src = std::getenv("FLASHRIG_SOURCE_DIR");
    ASSERT_NE(src, nullptr);
    fs::current_path(src);  // Campaign paths are relative to the repository root.
    dir_ = fs::temp_directory_path() / ("flashrig_submission_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  SubmitRequest Request(const std::string& campaign, uint32_t shards) const {
    return {.campaign_file = campaign,
            .shards = shards,
            .per_rig = false,
            .rig_constraint = "",
            .out_dir = (dir_ / "sub").string(),
            .workdir = fs::current_path().string(),
            .flashrig = FLASHRIG_BIN,
            .sbatch_args = {"--partition=debug"}};
  }
  std::string Sub() const { return (dir_ / "sub").string(); }

  fs::path dir_;
};

TEST_F(SubmissionTest, SubmitRunsTheShardsAndTheMergeAndWaitGivesTheVerdict) {
  ScriptRunningSlurm slurm;
  const SubmitOutcome out =
      SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2));
  ASSERT_EQ(out.exit_code, 0) << out.message << slurm.last_output;
  EXPECT_NE(out.message.find("array job 1, merge job 2"), std::string::npos) << out.message;
  ASSERT_EQ(slurm.submissions.size(), 2u);
  EXPECT_EQ(slurm.submissions[0].args,
            (std::vector<std::string>{"--array=1-2", "--partition=debug"}));
  EXPECT_EQ(slurm.submissions[1].args,
            (std::vector<std::string>{"--dependency=afterany:1", "--partition=debug"}));
  for (const char* f :
       {"slurm.json", "campaign.json", "slurm/task.sh", "slurm/merge.sh", "shard-1/report.json",
        "shard-2/report.json", "report.json", "junit.xml", "report.html", "status/shard-1.json"}) {
    EXPECT_TRUE(fs::exists(Sub() + "/" + f)) << f;
  }
  std::FILE* log = std::tmpfile();
  EXPECT_EQ(WaitForMerge(slurm, *out.submission, std::chrono::milliseconds(10),
                         std::chrono::seconds(60), log),
            0);
  std::fclose(log);
  const SubmissionStatus st = QueryStatus(slurm, *out.submission);
  EXPECT_TRUE(st.AllDonePassed());
  const std::string table = FormatStatus(*out.submission, st);
  EXPECT_NE(table.find("shard 2/2"), std::string::npos) << table;
  EXPECT_NE(table.find("done     passed"), std::string::npos) << table;
  // Each task ran its shard: the shard reports say so.
  std::string why;
  EXPECT_EQ(ReadReportDir(Sub() + "/shard-2", &why)->shard_index, 1u);
  // The merge job by hand gives the same verdict.
  EXPECT_EQ(RunMergeJob(*out.submission, stdout, stderr), 0);
}

TEST_F(SubmissionTest, ResubmitStartsAFinishedTaskAfreshAndMergesAgain) {
  ScriptRunningSlurm slurm;
  ASSERT_EQ(SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2)).exit_code,
            0);
  const SubmitOutcome again = ResubmitTask(slurm, Sub(), 2, /*fresh=*/false);
  ASSERT_EQ(again.exit_code, 0) << again.message;
  EXPECT_NE(again.message.find("fresh; old run in"), std::string::npos) << again.message;
  EXPECT_TRUE(fs::exists(Sub() + "/shard-2.attempt-1/report.json"));
  EXPECT_TRUE(fs::exists(Sub() + "/report.json"));
  ASSERT_EQ(slurm.submissions.size(), 4u);
  EXPECT_EQ(slurm.submissions[2].args[0], "--array=2");
  EXPECT_EQ(slurm.submissions[3].args[0], "--dependency=afterany:3");
  EXPECT_EQ(again.submission->task_jobs[1], (std::vector<std::string>{"1_2", "3_2"}));
  EXPECT_EQ(ResubmitTask(slurm, Sub(), 3, false).exit_code, 2);  // Only tasks 1-2.
}

TEST_F(SubmissionTest, PerRigTasksGetTheirConstraint) {
  ScriptRunningSlurm slurm;
  SubmitRequest r = Request("tests/cluster/rig-farm-throughput.json", 0);
  r.per_rig = true;
  r.rig_constraint = "rig-{rig}";
  const SubmitOutcome out = SubmitCampaign(slurm, r);
  ASSERT_EQ(out.exit_code, 0) << out.message << slurm.last_output;
  ASSERT_EQ(slurm.submissions.size(), 3u);
  EXPECT_EQ(slurm.submissions[0].args[0], "--array=1");
  EXPECT_EQ(slurm.submissions[0].args[1], "--constraint=rig-rig-a");
  EXPECT_EQ(slurm.submissions[1].args[1], "--constraint=rig-rig-b");
  EXPECT_EQ(slurm.submissions[2].args[0], "--dependency=afterany:1:2");
  std::string why;
  auto merged = ReadReportDir(Sub(), &why);
  ASSERT_TRUE(merged.has_value()) << why;
  ASSERT_EQ(merged->rigs.size(), 2u);  // One suite per rig.
  EXPECT_EQ(merged->rigs[0].rig, "rig-a");
  EXPECT_EQ(ReadReportDir(Sub() + "/shard-2", &why)->rigs.size(), 1u);
}

TEST_F(SubmissionTest, AMissingShardReportIsNamedByTheMerge) {
  ScriptRunningSlurm slurm;
  const SubmitOutcome out =
      SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2));
  ASSERT_EQ(out.exit_code, 0);
  fs::remove_all(Sub() + "/shard-2");
  std::FILE* sink = std::tmpfile();
  EXPECT_EQ(RunMergeJob(*out.submission, sink, sink), 1);
  std::fclose(sink);
  std::string why;
  auto merged = ReadReportDir(Sub(), &why);
  ASSERT_TRUE(merged.has_value()) << why;
  EXPECT_EQ(merged->shards[1].status, "missing");
  EXPECT_NE(merged->rigs[0].error.find("shard 2/2 left no report"), std::string::npos)
      << merged->rigs[0].error;
  EXPECT_NE(merged->rigs[0].error.find("job 1_2 exited 0"), std::string::npos)
      << merged->rigs[0].error;
}

TEST_F(SubmissionTest, BadInputRefusalsAndBusyDirectories) {
  ScriptRunningSlurm slurm;
  EXPECT_EQ(SubmitCampaign(slurm, Request("configs/campaigns/no-such.json", 2)).exit_code, 2);
  SubmitRequest r = Request("tests/hil/cluster/tiny-endurance.json", 2);
  r.sbatch_args = {"--array=1-9"};
  EXPECT_EQ(SubmitCampaign(slurm, r).exit_code, 2);
  r = Request("tests/hil/cluster/tiny-endurance.json", 2);
  r.out_dir = (dir_ / "with space").string();
  EXPECT_NE(SubmitCampaign(slurm, r).message.find("cannot take this path"), std::string::npos);
  EXPECT_TRUE(slurm.submissions.empty());
  slurm.refuse = true;
  const SubmitOutcome refused =
      SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2));
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.message.find("invalid partition"), std::string::npos) << refused.message;
  // A directory whose jobs still run is not reused.
  slurm.refuse = false;
  slurm.force_state = "RUNNING";
  ASSERT_EQ(SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2)).exit_code,
            0);
  const SubmitOutcome busy =
      SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2));
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_NE(busy.message.find("not finished"), std::string::npos) << busy.message;
  EXPECT_EQ(ResubmitTask(slurm, Sub(), 1, false).exit_code, 2);
  std::string why;
  EXPECT_FALSE(ReadSubmission((dir_ / "nothing").string(), &why).has_value());
  EXPECT_NE(why.find("not a flashrig Slurm submission"), std::string::npos);
}

TEST_F(SubmissionTest, TheTaskScriptChecksItsArrayIndex) {
  ScriptRunningSlurm slurm;
  const SubmitOutcome out =
      SubmitCampaign(slurm, Request("tests/hil/cluster/tiny-endurance.json", 2));
  ASSERT_EQ(out.exit_code, 0);
  const std::string task = Sub() + "/slurm/task.sh";
  ProcessResult r =
      RunProcess({"env", "-u", "SLURM_ARRAY_TASK_ID", "bash", task}, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a job array task"), std::string::npos) << r.err;
  r = RunProcess({"env", "SLURM_ARRAY_TASK_ID=3", "bash", task}, std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("outside 1-2"), std::string::npos) << r.err;
  // A task run again with its checkpoint in place resumes (here: re-renders a finished run).
  r = RunProcess({"env", "SLURM_ARRAY_TASK_ID=1", "SLURM_RESTART_COUNT=1", "bash", task},
                 std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("attempt 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("resuming " + Sub() + "/shard-1 from its checkpoint"), std::string::npos);
}

}  // namespace
}  // namespace flashrig::hil
