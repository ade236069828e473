// Shard from the environment. Slurm numbers array tasks by the indices given to --array
// (0-3, 1-4, 1-7:2, ...), so the shard is (ID - MIN) / STEP of COUNT; an index list such
// as 2,5,9 has no such mapping and is refused rather than guessed.
#include "flashrig/hil/cluster/shard_env.h"

#include <fmt/format.h>

#include <charconv>

namespace flashrig::hil {
namespace {

// A decimal integer with nothing around it.
std::optional<uint64_t> ParseCount(const char* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view s(text);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// A variable that must be a number; *error names it when it is not.
std::optional<uint64_t> Required(const EnvLookup& env, const char* name, std::string* error) {
  const char* text = env(name);
  if (text == nullptr) {
    *error = fmt::format("{} is not set", name);
    return std::nullopt;
  }
  auto v = ParseCount(text);
  if (!v) *error = fmt::format("{}=\"{}\" is not a non-negative integer", name, text);
  return v;
}

std::optional<EnvShard> FromSlurm(const EnvLookup& env, std::string* error) {
  std::string why;
  const auto id = Required(env, "SLURM_ARRAY_TASK_ID", &why);
  const auto count = id ? Required(env, "SLURM_ARRAY_TASK_COUNT", &why) : std::nullopt;
  const auto min = count ? Required(env, "SLURM_ARRAY_TASK_MIN", &why) : std::nullopt;
  std::optional<uint64_t> step = 1;
  if (min && env("SLURM_ARRAY_TASK_STEP") != nullptr)
    step = Required(env, "SLURM_ARRAY_TASK_STEP", &why);
  if (!step || !min) {
    *error = "Slurm job array: " + why;
    return std::nullopt;
  }
  const std::string vars =
      fmt::format("SLURM_ARRAY_TASK_ID={} (MIN={}, STEP={}, COUNT={})", *id, *min, *step, *count);
  // An index list (--array=2,5,9) reports STEP=1 although its indices are not MIN..MAX.
  if (const auto max = ParseCount(env("SLURM_ARRAY_TASK_MAX"));
      max && (*max < *min || *step == 0 || (*max - *min) / *step + 1 != *count)) {
    *error = fmt::format(
        "Slurm job array: {} with MAX={} is an index list, not a range (submit --array=A-B[:S], "
        "or set FLASHRIG_SHARD=i/N in the job script)",
        vars, *max);
    return std::nullopt;
  }
  if (*count == 0 || *step == 0 || *id < *min || (*id - *min) % *step != 0 ||
      (*id - *min) / *step >= *count) {
    *error = "Slurm job array: " + vars + " is not a task of an evenly stepped range";
    return std::nullopt;
  }
  EnvShard out;
  out.shard = {static_cast<uint32_t>((*id - *min) / *step), static_cast<uint32_t>(*count)};
  out.source = vars;
  return out;
}

std::optional<EnvShard> FromGitlab(const EnvLookup& env, std::string* error) {
  std::string why;
  const auto index = Required(env, "CI_NODE_INDEX", &why);
  const auto total = index ? Required(env, "CI_NODE_TOTAL", &why) : std::nullopt;
  if (!total) {
    *error = "GitLab parallel job: " + why;
    return std::nullopt;
  }
  if (*index == 0 || *total == 0 || *index > *total) {
    *error = fmt::format("GitLab parallel job: CI_NODE_INDEX={} is outside 1..CI_NODE_TOTAL={}",
                         *index, *total);
    return std::nullopt;
  }
  EnvShard out;
  out.shard = {static_cast<uint32_t>(*index - 1), static_cast<uint32_t>(*total)};
  out.source = fmt::format("CI_NODE_INDEX={} of CI_NODE_TOTAL={}", *index, *total);
  return out;
}

}  // namespace

bool ParseShardText(const std::string& text, Shard* shard) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  const std::string i_text = text.substr(0, slash), n_text = text.substr(slash + 1);
  const auto i = ParseCount(i_text.c_str());
  const auto n = ParseCount(n_text.c_str());
  if (!i || !n || *n == 0 || *i == 0 || *i > *n || *n > UINT32_MAX) return false;
  *shard = {static_cast<uint32_t>(*i - 1), static_cast<uint32_t>(*n)};
  return true;
}

std::optional<EnvShard> ShardFromEnvironment(const EnvLookup& env, std::string* error) {
  if (const char* explicit_shard = env("FLASHRIG_SHARD")) {
    EnvShard out;
    if (!ParseShardText(explicit_shard, &out.shard)) {
      *error = fmt::format("FLASHRIG_SHARD=\"{}\": expected i/N with 1 <= i <= N", explicit_shard);
      return std::nullopt;
    }
    out.source = fmt::format("FLASHRIG_SHARD={}", explicit_shard);
    return out;
  }
  if (env("SLURM_ARRAY_TASK_ID") != nullptr) return FromSlurm(env, error);
  if (env("CI_NODE_INDEX") != nullptr || env("CI_NODE_TOTAL") != nullptr) {
    return FromGitlab(env, error);
  }
  *error =
      "no shard in the environment: looked for FLASHRIG_SHARD (i/N), a Slurm job array "
      "(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN, "
      "SLURM_ARRAY_TASK_STEP) and GitLab parallel jobs (CI_NODE_INDEX, CI_NODE_TOTAL)";
  return std::nullopt;
}

}  // namespace flashrig::hil
