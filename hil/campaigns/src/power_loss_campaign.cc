// Power-loss campaign: dry run, then one cut-remount-verify round per cut point.
#include "flashrig/hil/campaigns/power_loss_campaign.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "flashrig/driver/flash/flash_wrapper.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/crc32.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;
using Value = std::optional<std::vector<std::byte>>;  // nullopt = key absent.

const char* OpName(KvOp::Type t) {
  switch (t) {
    case KvOp::kAppend:
      return "append";
    case KvOp::kSet:
      return "set";
    case KvOp::kInvalidate:
      return "invalidate";
    case KvOp::kGet:
      return "get";
    case KvOp::kGc:
      return "gc";
  }
  return "?";
}

// Records which mutating ops of the dry run are hazardous cut points, numbered as the
// power switch counts them (chip commands on SPI targets, where one Flash program can be
// several page programs), so a hazard index is exactly what ArmCut receives.
class HazardRecorder final : public driver::FlashWrapper {
 public:
  HazardRecorder(driver::Flash& flash, const PowerSwitch& power)
      : FlashWrapper(flash), power_(power) {}
  std::vector<uint64_t> hazards;
  // Starts afresh (after mount, where the switch's count restarts too).
  void Reset() {
    hazards.clear();
    after_erase_ = false;
  }

 private:
  // The switch's number for the first command of the op about to run.
  uint64_t NextOp() const { return power_.mutating_ops() + 1; }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
    // First program after an erase (new region / object header) and tiny flag programs
    // (invalidation bits) are where engines most often lose atomicity.
    if (after_erase_ || data.size() <= 2) hazards.push_back(NextOp());
    after_erase_ = false;
    return FlashWrapper::DoProgram(address, data);
  }
  Status DoErase(uint32_t address, uint32_t size_bytes) override {
    hazards.push_back(NextOp());
    after_erase_ = true;
    return FlashWrapper::DoErase(address, size_bytes);
  }
  const PowerSwitch& power_;
  bool after_erase_ = false;
};

struct RoundResult {
  bool cut = false;              // The cut fired.
  size_t in_flight = 0;          // Index of the op the cut interrupted.
  std::string failure{};         // "" = every invariant held.
  Status device = Status::Ok();  // A non-cut flash failure.
};

std::string Hex(const Value& v) {
  if (!v) return "absent";
  std::string s = fmt::format("{} bytes", v->size());
  return s;
}

// Runs the workload until it ends or a cut fires, keeping the reference model of every
// acknowledged operation.
RoundResult RunWorkload(KvUnderTest& kv, const std::vector<KvOp>& ops,
                        std::map<std::string, Value>* model) {
  RoundResult r;
  for (size_t i = 0; i < ops.size(); ++i) {
    const KvOp& op = ops[i];
    std::vector<std::byte> got;
    Status s = Status::Ok();
    switch (op.type) {
      case KvOp::kAppend:
        s = kv.Append(op.key, op.value);
        break;
      case KvOp::kSet:
        s = kv.Set(op.key, op.value);
        break;
      case KvOp::kInvalidate:
        s = kv.Invalidate(op.key);
        break;
      case KvOp::kGet:
        s = kv.Get(op.key, &got);
        break;
      case KvOp::kGc:
        s = kv.GarbageCollect();
        break;
    }
    if (s == Status::Unavailable()) {
      r.cut = true;
      r.in_flight = i;
      return r;
    }
    if (!s.ok()) {
      r.failure = fmt::format("op {} ({} {}) failed without a cut: {}", i, OpName(op.type), op.key,
                              s.str());
      return r;
    }
    if (op.type == KvOp::kAppend || op.type == KvOp::kSet) (*model)[op.key] = op.value;
    if (op.type == KvOp::kInvalidate) (*model)[op.key] = std::nullopt;
    if (op.type == KvOp::kGet && Value(got) != (*model)[op.key]) {
      r.failure = fmt::format("op {} (get {}): read {} but {} was acknowledged", i, op.key,
                              Hex(got), Hex((*model)[op.key]));
      return r;
    }
  }
  return r;
}

// After power-up: mount from flash alone and check the invariants. "" = all held.
std::string VerifyAfterCut(KvUnderTest& kv, const std::vector<KvOp>& ops, const RoundResult& round,
                           const std::map<std::string, Value>& model, uint32_t key_count) {
  Status s = kv.Mount();
  if (!s.ok()) return fmt::format("remount failed: {}", s.str());
  const KvOp* pending = round.cut ? &ops[round.in_flight] : nullptr;
  std::vector<std::string> live;
  for (uint32_t k = 0; k < key_count; ++k) {
    const std::string key = "k" + std::to_string(k);
    const auto it = model.find(key);
    const Value acked = it == model.end() ? std::nullopt : it->second;
    std::vector<std::byte> got;
    s = kv.Get(key, &got);
    if (!s.ok() && s != Status::NotFound()) return fmt::format("get {} failed: {}", key, s.str());
    const Value now = s.ok() ? Value(got) : std::nullopt;
    if (now) live.push_back(key);
    if (now == acked) continue;
    // The interrupted op may have landed or not: old or new, nothing else.
    if (pending != nullptr && pending->key == key) {
      const Value next = pending->type == KvOp::kInvalidate ? std::nullopt
                         : (pending->type == KvOp::kAppend || pending->type == KvOp::kSet)
                             ? Value(pending->value)
                             : acked;
      if (now == next) continue;
      return fmt::format(
          "{} reads {}: neither the old ({}) nor the new value ({}) of the "
          "interrupted {}",
          key, Hex(now), Hex(acked), Hex(next), OpName(pending->type));
    }
    return fmt::format("{} reads {} but {} was acknowledged", key, Hex(now), Hex(acked));
  }
  // No duplicates: once the live copy is invalidated, no older copy may resurface.
  for (const auto& key : live) {
    s = kv.Invalidate(key);
    if (!s.ok()) return fmt::format("invalidate {} after remount failed: {}", key, s.str());
    std::vector<std::byte> got;
    if (kv.Get(key, &got).ok()) return fmt::format("{} has a second live copy", key);
  }
  // Store usable: GC works and a new key round-trips.
  s = kv.GarbageCollect();
  if (!s.ok()) return fmt::format("garbage collection after remount failed: {}", s.str());
  const std::vector<std::byte> probe(16, std::byte{0x5A});
  s = kv.Append("probe", probe);
  if (!s.ok()) return fmt::format("append after remount failed: {}", s.str());
  std::vector<std::byte> got;
  if (!kv.Get("probe", &got).ok() || got != probe) return "a new key did not read back";
  return "";
}

CutOutcome EffectFor(CutEffect effect, uint64_t cut) {
  switch (effect) {
    case CutEffect::kTorn:
      return CutOutcome::kTorn;
    case CutEffect::kNotApplied:
      return CutOutcome::kNotApplied;
    case CutEffect::kApplied:
      return CutOutcome::kApplied;
    case CutEffect::kMixed:
      break;
  }
  static constexpr CutOutcome kCycle[] = {CutOutcome::kTorn, CutOutcome::kNotApplied,
                                          CutOutcome::kApplied};
  return kCycle[cut % 3];
}

const char* OutcomeName(CutOutcome o) {
  return o == CutOutcome::kTorn ? "torn" : o == CutOutcome::kApplied ? "applied" : "not_applied";
}

// Powers the rig up with no cut armed and erases the partition: each round starts blank.
Status PowerUpBlank(PowerSwitch& power, driver::Flash& flash) {
  power.Disarm();
  FLASHRIG_TRY(power.PowerOn());
  return flash.Erase(0, flash.geometry().size_bytes);
}

struct DryRunResult {
  bool device_gone = false;  // A cut-like failure: the device went away.
  uint64_t total_ops = 0;    // Mutating flash ops of the whole workload.
  std::string failure{};     // "" = the workload passed.
};

// The workload on a blank store with no cut armed, through `recorder` so it also collects
// the hazardous cut points.
DryRunResult DryRun(const KvFactory& kv_factory, PowerSwitch& power, HazardRecorder& recorder,
                    const std::vector<KvOp>& ops) {
  DryRunResult r;
  auto kv = kv_factory(recorder);
  Status s = kv->Mount();
  power.Disarm();
  recorder.Reset();
  std::map<std::string, Value> model;
  RoundResult dry = s.ok() ? RunWorkload(*kv, ops, &model) : RoundResult{};
  r.total_ops = power.mutating_ops();
  if (!s.ok()) r.failure = fmt::format("mount of a blank store failed: {}", s.str());
  r.device_gone = s == Status::Unavailable() || dry.cut;
  if (r.failure.empty()) r.failure = dry.failure;
  return r;
}

// What every cut round of one run shares.
struct Sweep {
  const PowerLossConfig* config = nullptr;
  const KvFactory* kv = nullptr;
  const CampaignContext* ctx = nullptr;
  const std::vector<KvOp>* ops = nullptr;
  uint64_t seed = 1;
  uint64_t total_ops = 0;
};

CutPlan PlanFor(const Sweep& sw, uint64_t cut, CutOutcome effect) {
  CutPlan plan{.mutating_op = cut,
               .outcome = effect,
               .seed = sw.seed ^ (cut * 0x100000001B3ull),
               .typical_fraction = std::nullopt};
  if (sw.config->schedule == CutSchedule::kRandomOffsetUs) {
    // A seeded point in [0, 1) of the op's typical busy time, fixed per cut point so a
    // replay (--cut N) cuts at the same microsecond.
    SeededRandom rng(sw.seed ^ (cut * 0x9E3779B97F4A7C15ull) ^ 0x0FF5E7ull);
    plan.typical_fraction = static_cast<double>(rng.Next() >> 11) * 0x1p-53;
  }
  return plan;
}

// Mounts the blank store, runs the workload with the cut armed, then powers up again.
Status RunWorkloadWithCut(const Sweep& sw, Rig& rig, uint64_t cut, CutOutcome effect,
                          std::map<std::string, Value>* model, RoundResult* round) {
  {
    auto kv = (*sw.kv)(*rig.flash);
    FLASHRIG_TRY(kv->Mount());
    rig.power->ArmCut(PlanFor(sw, cut, effect));
    *round = RunWorkload(*kv, *sw.ops, model);
  }  // The engine object dies with the power: nothing in RAM survives.
  rig.power->Disarm();
  return rig.power->PowerOn();
}

// Adds what the cut left and how the switch placed it to `outcome`.
Status DescribeCut(Rig& rig, json& outcome) {
  driver::Flash& flash = *rig.flash;
  if (rig.reseed) {
    // What the cut left on flash, before remount repairs anything: a replay of this cut
    // must show the same fingerprint.
    std::vector<std::byte> after_cut(flash.geometry().size_bytes);
    FLASHRIG_TRY(flash.Read(0, after_cut));
    outcome["image_crc32"] = fmt::format("{:08x}", kv::Crc32CksumOf(after_cut));
  }
  if (const CutRecord rec = rig.power->last_cut(); !rec.op.empty()) {
    outcome["cut_op"] = rec.op;
    if (rec.erase_size_bytes != 0) outcome["erase_size_bytes"] = rec.erase_size_bytes;
    outcome["typical_us"] = rec.typical_us;
    if (rec.offset_us) outcome["offset_us"] = *rec.offset_us;
  }
  return Status::Ok();
}

// Remounts and checks the invariants; "" = all held. *image: the saved post-cut image of
// a failing round ("" if none).
std::string VerifyRound(const Sweep& sw, Rig& rig, uint64_t cut, const RoundResult& round,
                        const std::map<std::string, Value>& model, std::string* image) {
  // Keep the post-cut image until we know whether it is needed: remount may repair it.
  std::string pre_mount;
  if (sw.config->save_failing_images && rig.save_image && !sw.ctx->artifacts_dir.empty()) {
    pre_mount = fmt::format("{}/power_loss-{}-cut{}.bin", sw.ctx->artifacts_dir, rig.name, cut);
    if (!rig.save_image(pre_mount).ok()) pre_mount.clear();
  }
  auto kv = (*sw.kv)(*rig.flash);
  std::string failure = VerifyAfterCut(*kv, *sw.ops, round, model, sw.config->key_count);
  if (failure.empty() && !pre_mount.empty()) {
    std::error_code ec;
    std::filesystem::remove(pre_mount, ec);
  } else {
    *image = pre_mount;
  }
  return failure;
}

// One cut point: blank partition, workload cut at mutating op `cut`, power-up, remount
// and verify. *outcome: the round's record. A non-ok status: the device failed (no record).
Status RunRound(const Sweep& sw, Rig& rig, uint64_t cut, json* outcome) {
  FLASHRIG_TRY(PowerUpBlank(*rig.power, *rig.flash));
  // Each round starts from its own seed, so `--cut N` replays round N exactly.
  if (rig.reseed) rig.reseed(sw.seed ^ (cut * 0xC2B2AE3D27D4EB4Full));
  const CutOutcome effect = EffectFor(sw.config->effect, cut);
  std::map<std::string, Value> model;
  RoundResult round;
  FLASHRIG_TRY(RunWorkloadWithCut(sw, rig, cut, effect, &model, &round));
  // Real rigs cannot choose the fate of the interrupted op: physics does.
  *outcome = {{"cut", cut}, {"effect", rig.power->exact() ? OutcomeName(effect) : "physical"}};
  FLASHRIG_TRY(DescribeCut(rig, *outcome));
  const std::vector<KvOp>& ops = *sw.ops;
  std::string failure = round.failure;
  if (round.cut) {
    (*outcome)["op_index"] = round.in_flight;
    (*outcome)["op"] =
        fmt::format("{} {}", OpName(ops[round.in_flight].type), ops[round.in_flight].key);
  } else if (failure.empty()) {
    failure =
        fmt::format("the cut at mutating op {} never fired (workload has {})", cut, sw.total_ops);
  }
  std::string image;
  if (failure.empty()) failure = VerifyRound(sw, rig, cut, round, model, &image);
  (*outcome)["outcome"] = failure.empty() ? "ok" : "failed";
  (*outcome)["detail"] = failure.empty() ? "invariants held after remount" : failure;
  (*outcome)["image"] = image;
  (*outcome)["replay"] =
      failure.empty() ? "" : fmt::format("{} --cut {}", sw.ctx->replay_command, cut);
  return Status::Ok();
}

// One check per recorded cut point, in cut order; returns the recorded outcomes.
json AddCutChecks(const std::vector<uint64_t>& cuts, json& state, RigReport& report,
                  uint64_t* failures) {
  json outcomes = json::array();
  for (uint64_t cut : cuts) {
    const std::string key = std::to_string(cut);
    if (!state["outcomes"].contains(key)) continue;
    const json& o = state["outcomes"][key];
    outcomes.push_back(o);
    const bool ok = o["outcome"] == "ok";
    *failures += ok ? 0 : 1;
    std::string msg = o["detail"].get<std::string>();
    if (!ok && !o["replay"].get<std::string>().empty())
      msg += "; replay: " + o["replay"].get<std::string>();
    if (!ok && !o["image"].get<std::string>().empty())
      msg += "; image: " + o["image"].get<std::string>();
    report.AddCheck("power_loss/cut/" + key, ok, msg);
  }
  return outcomes;
}

}  // namespace

std::string PowerLossCampaign::CheckRig(const Rig& rig) const {
  if (rig.power == nullptr) {
    return "rig \"" + rig.name +
           "\" has no power control: a power-loss campaign needs a "
           "simulated target or power_control in the rig config";
  }
  if (config_.schedule == CutSchedule::kRandomOffsetUs &&
      (!rig.power->supports_offsets() || !rig.part)) {
    return "/power_loss/schedule: random_offset_us needs a rig whose power switch can place a "
           "cut in time inside a known part's program/erase (sim:, ftdi-emu:, or ftdi:// with "
           "a part-database match); rig \"" +
           rig.name + "\" cannot";
  }
  if (!kv_) return "this build has no KV engine for the power-loss campaign";
  if (kv_(*rig.flash) == nullptr) return "the KV engine cannot use this partition's geometry";
  return "";
}

Status PowerLossCampaign::Run(CampaignContext& ctx, RigReport& report) {
  Rig& rig = *ctx.rig;
  PowerSwitch& power = *rig.power;
  const uint64_t seed = ctx.config ? ctx.config->seed : 1;
  const std::vector<KvOp> ops = MakePowerLossWorkload(config_, seed);

  // Dry run: the workload must pass without a cut; it also sizes and classifies the sweep.
  FLASHRIG_TRY(PowerUpBlank(power, *rig.flash));
  HazardRecorder recorder(*rig.flash, power);
  const DryRunResult dry = DryRun(kv_, power, recorder, ops);
  if (dry.device_gone) {
    report.error = "the device went away during the dry run";
    report.status = RunStatus::kDeviceError;
    return Status::Unavailable();
  }
  report.AddCheck("power_loss/dry_run", dry.failure.empty(),
                  dry.failure.empty() ? fmt::format("{} KV ops, {} mutating flash ops, no cut",
                                                    ops.size(), dry.total_ops)
                                      : dry.failure);

  const std::vector<uint64_t> cuts =
      PowerLossCutPoints(config_, dry.total_ops, recorder.hazards, seed);
  const Sweep sweep{.config = &config_,
                    .kv = &kv_,
                    .ctx = &ctx,
                    .ops = &ops,
                    .seed = seed,
                    .total_ops = dry.total_ops};
  json state = ctx.resume_state.is_object() ? ctx.resume_state : json{{"outcomes", json::object()}};
  bool interrupted = false;
  Status device = Status::Ok();
  for (size_t n = 0; n < cuts.size() && dry.failure.empty(); ++n) {
    if (!ctx.shard.Owns(n)) continue;
    const uint64_t cut = cuts[n];
    const std::string key = std::to_string(cut);
    if (state["outcomes"].contains(key)) continue;
    if (ctx.StopRequested()) {
      interrupted = true;
      break;
    }
    ctx.Progress(double(n) / double(cuts.size()), fmt::format("cut {}/{}", n + 1, cuts.size()));
    json outcome;
    device = RunRound(sweep, rig, cut, &outcome);
    if (!device.ok()) break;
    state["outcomes"][key] = outcome;
    ctx.Checkpoint(state);
  }
  ctx.Checkpoint(state, /*force=*/true);

  uint64_t failures = 0;
  const json outcomes = AddCutChecks(cuts, state, report, &failures);
  report.figures["power_loss"] = {{"mutating_ops", dry.total_ops},
                                  {"kv_ops", ops.size()},
                                  {"schedule", CutScheduleName(config_.schedule)},
                                  {"method", power.method()},
                                  {"cut_points", cuts.size()},
                                  {"failures", failures},
                                  {"outcomes", outcomes}};
  if (!device.ok()) {
    report.error = fmt::format("device error during the sweep: {}", device.str());
  }
  report.status = report.EndStatus(device.ok(), interrupted);
  return device;
}

}  // namespace flashrig::hil
