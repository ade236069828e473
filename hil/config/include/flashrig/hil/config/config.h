// Campaign and rig configuration: the structs the JSON files under configs/ load into, and
// the loaders. Loaders collect every error (file, JSON pointer, expectation) and return
// nothing if there was any, so a bad config never starts a run or touches an output dir.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "flashrig/hil/config/config_error.h"

namespace flashrig::hil {

// ---- Rig (configs/rigs/*.json, or inline in a campaign) ----------------------------

enum class PowerControlMethod : uint8_t {
  kNone,       // No way to cut power: power-loss campaigns need a simulated target.
  kGpio,       // A GPIO switches the chip's supply (same or another FTDI channel).
  kSoftReset,  // 66h/99h reset mid-operation stands in for a cut (no switch wired).
};

struct PowerControlConfig {
  PowerControlMethod method = PowerControlMethod::kNone;
  // FTDI URL of the channel with the switch; "" = the target's own channel.
  std::string ftdi_url{};
  // GPIO index on that channel (0..15). Required for kGpio.
  uint32_t pin = 0;
  // The switch cuts power when the pin is low. Default false (high = off).
  bool active_low = false;
  // How long the supply stays off, and how long to wait after power-up. Default 100/10 ms.
  uint32_t off_ms = 100;
  uint32_t settle_ms = 10;
};

// How the KV engine (kvstore/ TicKvEngine) runs on this rig (docs/HARNESS.md "Rig").
struct KvEngineConfig {
  // Program the newest object of every region again at mount, so cells a power cut left
  // weak read stable (EngineOptions::refresh_on_mount). Unset = on for chip targets
  // (sim:, ftdi://, ftdi-emu:, serprog:), off for ram: and image: (no weak cells).
  std::optional<bool> refresh_on_mount{};
  // Keep the wear record on flash (EngineOptions::wear_record); changes the image.
  bool wear_record = false;
};

struct RigConfig {
  // Label in reports; defaults to the file name or "rig<N>" for inline rigs.
  std::string name{};
  // "sim:PART.json" | "ram:SECTOR_BYTESxSECTORS" | "image:FILE" | "ftdi://...".
  std::string target{};
  // SPI clock; 0 = the backend's default.
  uint64_t bus_hz = 0;
  // The part of the chip a campaign may touch. Both must be sector multiples (checked
  // when the rig is opened); size 0 = from offset to the end of the device.
  uint64_t partition_offset_bytes = 0;
  uint64_t partition_size_bytes = 0;
  // FTDI GPIO indices of WP# and HOLD#; -1 = not wired (tied high on the board).
  int32_t wp_pin = -1;
  int32_t hold_pin = -1;
  PowerControlConfig power{};
  KvEngineConfig kv{};
  // Where this rig came from: a file path, or the campaign file for inline rigs.
  std::string source{};
};

// ---- Campaign (configs/campaigns/*.json) ---------------------------------------------

enum class CampaignKind : uint8_t { kThroughput, kEndurance, kPowerLoss, kQualify };
const char* CampaignKindName(CampaignKind kind);  // "throughput", "power_loss", ...

enum class RawOp : uint8_t { kRead, kProgram, kErase };
const char* RawOpName(RawOp op);

struct KvMixConfig {
  std::string name{};
  uint32_t operations = 200;  // Operations in the mix (> 0).
  uint32_t key_count = 32;    // Distinct keys (> 0).
  uint32_t value_min_bytes = 8;
  uint32_t value_max_bytes = 64;  // >= value_min_bytes.
  // Relative weights of each operation; at least one non-zero. Default: append-heavy.
  uint32_t append_weight = 4;
  uint32_t get_weight = 4;
  uint32_t invalidate_weight = 1;
  uint32_t set_weight = 1;
  uint32_t gc_weight = 0;
};

struct ThroughputConfig {
  std::vector<RawOp> operations{RawOp::kRead, RawOp::kProgram, RawOp::kErase};
  // Transfer sizes. Erase sizes are rounded up to whole sectors.
  std::vector<uint32_t> sizes_bytes{256, 4096};
  uint32_t iterations = 32;  // Samples per (operation, size), > 0.
  std::vector<KvMixConfig> kv_mixes{};
};

enum class DataPattern : uint8_t { kZeros, k55AA, kRandom, kIncrementing };
const char* DataPatternName(DataPattern p);  // "0x00", "0x55aa", "random", "incrementing"

struct EnduranceConfig {
  // Sector indices inside the rig's partition; default {0}.
  std::vector<uint32_t> sectors{0};
  uint64_t cycles = 1000;  // Target P/E cycles per sector (> 0): the normal stop.
  std::vector<DataPattern> patterns{DataPattern::kZeros, DataPattern::k55AA, DataPattern::kRandom,
                                    DataPattern::kIncrementing};
  uint32_t verify_every = 1;  // Read back and count bit errors every N cycles (> 0).
  // Stop criteria besides the cycle count.
  bool stop_on_first_bit_error = true;
  uint64_t stop_after_bit_errors = 0;  // Total bit errors; 0 = disabled.
  bool stop_on_busy_over_max = false;  // An op took longer than the maximum below.
  // Datasheet maxima; 0 = take the part's value if the target knows it, else no limit.
  uint32_t erase_max_us = 0;
  uint32_t program_max_us = 0;
  uint32_t curve_points = 200;  // Points kept for the busy-time curve (>= 2).
};

// kRandomOffsetUs: cut_count seeded cut points, each at a seeded offset within the
// interrupted operation's datasheet typical busy time (tPP / tSE / tBE).
enum class CutSchedule : uint8_t { kEveryOp, kLogSpaced, kRandom, kHazards, kRandomOffsetUs };
const char* CutScheduleName(CutSchedule s);

enum class CutEffect : uint8_t { kTorn, kNotApplied, kApplied, kMixed };
const char* CutEffectName(CutEffect e);

struct PowerLossConfig {
  uint32_t operations = 40;  // KV operations in the workload (> 0).
  uint32_t key_count = 8;
  uint32_t value_min_bytes = 1;
  uint32_t value_max_bytes = 48;
  CutSchedule schedule = CutSchedule::kEveryOp;
  uint32_t cut_count = 32;  // Cuts for log_spaced / random; every_op ignores it.
  CutEffect effect = CutEffect::kMixed;
  bool save_failing_images = true;
  // Snapshot the dry run every K KV ops; a round starts from the last snapshot before its
  // cut instead of op 0 (sweep cost linear, not quadratic, in `operations`). 0 = off.
  uint32_t snapshot_every_ops = 0;
  // Not read from JSON: `flashrig run --cut N` replays exactly one cut point. 0 = all.
  uint64_t only_cut = 0;
};

struct QualifyConfig {
  uint32_t timing_samples = 16;         // tPP/tSE/tBE samples each (> 0).
  uint64_t endurance_cycles = 50;       // Sampled endurance run on one sector; 0 = skip.
  uint32_t power_loss_operations = 16;  // Power-loss run length; 0 = skip.
};

struct CampaignConfig {
  std::string name{};  // [A-Za-z0-9._-]+, used in paths.
  CampaignKind kind = CampaignKind::kThroughput;
  uint64_t seed = 1;
  std::string output_dir{};  // Default "out/<name>"; `--out` overrides.
  std::vector<RigConfig> rigs{};
  uint64_t max_duration_s = 0;       // Wall-clock stop; 0 = none.
  uint32_t checkpoint_every_s = 30;  // How often progress is checkpointed (> 0).
  ThroughputConfig throughput{};
  EnduranceConfig endurance{};
  PowerLossConfig power_loss{};
  QualifyConfig qualify{};
  std::string source{};  // The campaign file path.
  // The campaign with every rig file inlined: what report.json records and --resume reads.
  nlohmann::json resolved{};
};

// Parses a JSON file; syntax errors name line and column. nullopt on any error.
std::optional<nlohmann::json> ReadJsonFile(const std::string& path, ConfigErrors* errors);

// Loaders. `accepted_keys` (optional) collects the pointer pattern of every key the
// loader understands, for the schema coverage test.
std::optional<RigConfig> LoadRigFile(const std::string& path, ConfigErrors* errors,
                                     std::set<std::string>* accepted_keys = nullptr);
std::optional<CampaignConfig> LoadCampaignFile(const std::string& path, ConfigErrors* errors,
                                               std::set<std::string>* accepted_keys = nullptr);
// Same from already-parsed JSON; `file` is used in error messages and to name rigs.
std::optional<CampaignConfig> ParseCampaign(const nlohmann::json& json, const std::string& file,
                                            ConfigErrors* errors,
                                            std::set<std::string>* accepted_keys = nullptr);

enum class ConfigFileKind : uint8_t { kCampaign, kRig, kPart };
// Loads a campaign, rig or part file (a campaign has "kind", a part "jedec_id", anything
// else is read as a rig); `*kind` says which it was.
bool ValidateConfigFile(const std::string& path, ConfigErrors* errors, ConfigFileKind* kind);

}  // namespace flashrig::hil
