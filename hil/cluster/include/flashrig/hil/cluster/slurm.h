// Slurm: the seam to the scheduler. The production client shells out to sbatch and
// scontrol (no libslurm: the commands are Slurm's stable interface, and SLURM_CONF in the
// environment picks the cluster); tests use a fake that runs the job scripts itself.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace flashrig::hil {

// One job, or one task of a job array, as scontrol shows it.
struct SlurmJob {
  std::string id{};         // "12" for a job, "12_3" for task 3 of array job 12.
  std::string state{};      // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
  std::string reason{};     // Why pending, or how it ended ("NonZeroExitCode").
  std::string exit_code{};  // "0:0" (status:signal).
  std::string node{};       // Where it runs or ran.
  uint32_t restarts = 0;    // Requeues so far.
};

// Whether a job in `state` has ended (it will not run again unless requeued by hand).
bool SlurmStateIsFinal(const std::string& state);
// Whether a job in `state` is waiting to start (PENDING, REQUEUED, ...).
bool SlurmStateIsPending(const std::string& state);

class Slurm {
 public:
  virtual ~Slurm() = default;
  // `sbatch --parsable ARGS SCRIPT`: the job id, or nullopt with *error.
  virtual std::optional<std::string> Submit(const std::vector<std::string>& args,
                                            const std::string& script, std::string* error) = 0;
  // The jobs and array tasks of `job_ids` ("12": every task of array 12) that the
  // controller still knows; an id it has forgotten is left out. nullopt with *error if
  // the controller cannot be asked.
  virtual std::optional<std::vector<SlurmJob>> Query(const std::vector<std::string>& job_ids,
                                                     std::string* error) = 0;
  // scancel; best effort.
  virtual void Cancel(const std::vector<std::string>& job_ids) = 0;
};

// Parses `scontrol show job -o` output (one job per line); pending array tasks shown
// together ("ArrayTaskId=2-4,7") become one SlurmJob each.
std::vector<SlurmJob> ParseScontrolJobs(const std::string& text);

// The client that runs sbatch / scontrol / scancel; each command may take `timeout`.
class CommandSlurm final : public Slurm {
 public:
  explicit CommandSlurm(std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : timeout_(timeout) {}
  std::optional<std::string> Submit(const std::vector<std::string>& args, const std::string& script,
                                    std::string* error) override;
  std::optional<std::vector<SlurmJob>> Query(const std::vector<std::string>& job_ids,
                                             std::string* error) override;
  void Cancel(const std::vector<std::string>& job_ids) override;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace flashrig::hil
