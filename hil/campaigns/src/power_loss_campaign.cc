// Power-loss campaign: dry run, then one cut-remount-verify round per cut point.
#include "flashrig/hil/campaigns/power_loss_campaign.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "flashrig/driver/flash/flash_wrapper.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/crc32.h"
#include "power_loss_snapshot.h"

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

struct RoundResult {
  bool cut = false;              // The cut fired.
  size_t in_flight = 0;          // Index of the op the cut interrupted.
  std::string failure{};         // "" = every invariant held.
  Status device = Status::Ok();  // A non-cut flash failure.
  bool diverged = false;  // Started from a snapshot, the engine wrote what the dry run did not.
};

std::string Hex(const Value& v) {
  if (!v) return "absent";
  std::string s = fmt::format("{} bytes", v->size());
  return s;
}

// Runs the workload from op `first` until it ends or a cut fires, keeping the reference
// model of every acknowledged operation. `before_op(i)` (optional) runs before op i; a
// non-ok status from it ends the run as a device failure.
RoundResult RunWorkload(KvUnderTest& kv, const std::vector<KvOp>& ops, size_t first,
                        PowerLossModel* model,
                        const std::function<Status(size_t)>& before_op = nullptr) {
  RoundResult r;
  for (size_t i = first; i < ops.size(); ++i) {
    if (before_op) {
      r.device = before_op(i);
      if (!r.device.ok()) return r;
    }
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
      r.in_flight = i;
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
                           const PowerLossModel& model, uint32_t key_count) {
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
// the hazardous cut points and the write trace; every `every` ops (0 = never) it adds a
// snapshot of the partition (read through `flash`) and the model to *snapshots.
DryRunResult DryRun(const KvFactory& kv_factory, PowerSwitch& power, DryRunRecorder& recorder,
                    const std::vector<KvOp>& ops, uint32_t every, driver::Flash& flash,
                    std::vector<PowerLossSnapshot>* snapshots) {
  DryRunResult r;
  auto kv = kv_factory(recorder);
  Status s = kv->Mount();
  power.Disarm();
  recorder.Reset();
  PowerLossModel model;
  const auto snapshot = [&](size_t i) {
    if (every == 0 || i == 0 || i % every != 0) return Status::Ok();
    PowerLossSnapshot snap{.kv_op = i,
                           .mutating_ops = power.mutating_ops(),
                           .writes = recorder.writes.size(),
                           .model = model};
    FLASHRIG_TRY(CaptureImage(flash, &snap));
    snapshots->push_back(std::move(snap));
    return Status::Ok();
  };
  RoundResult dry = s.ok() ? RunWorkload(*kv, ops, 0, &model, snapshot) : RoundResult{};
  r.total_ops = power.mutating_ops();
  if (!s.ok()) r.failure = fmt::format("mount of a blank store failed: {}", s.str());
  r.device_gone = s == Status::Unavailable() || dry.cut || !dry.device.ok();
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
  const std::vector<PowerLossSnapshot>* snapshots = nullptr;
  const std::vector<uint64_t>* writes = nullptr;  // The dry run's write trace.
};

// The plan for cut point `cut`, armed `skipped` mutating ops into the workload (a round
// that starts from a snapshot counts from there); seed and offset follow the cut point.
CutPlan PlanFor(const Sweep& sw, uint64_t cut, uint64_t skipped, CutOutcome effect) {
  CutPlan plan{.mutating_op = cut - skipped,
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

// Mounts the store (blank, or as `snap` left it), runs the workload from there with the
// cut armed, then powers up again. From a snapshot, every write is checked against the
// dry run's; round->diverged says the engine wrote something else.
Status RunWorkloadWithCut(const Sweep& sw, Rig& rig, uint64_t cut, CutOutcome effect,
                          const PowerLossSnapshot* snap, PowerLossModel* model,
                          RoundResult* round) {
  {
    WriteTraceCheck checked(*rig.flash, *sw.writes, snap ? snap->writes : 0);
    auto kv = (*sw.kv)(snap ? static_cast<driver::Flash&>(checked) : *rig.flash);
    FLASHRIG_TRY(kv->Mount());
    checked.Arm();
    if (snap) *model = snap->model;
    rig.power->ArmCut(PlanFor(sw, cut, snap ? snap->mutating_ops : 0, effect));
    *round = RunWorkload(*kv, *sw.ops, snap ? snap->kv_op : 0, model);
    round->diverged = checked.diverged();
  }  // The engine object dies with the power: nothing in RAM survives.
  rig.power->Disarm();
  return rig.power->PowerOn();
}

// Power-up, a blank partition, the snapshot's bytes if any, and the round's own seed. With
// snapshots, an in-process device gets the partition back directly (no commands, no wear),
// so each round starts from exactly the dry run's state.
Status PrepareRound(const Sweep& sw, Rig& rig, uint64_t cut, const PowerLossSnapshot* snap) {
  if (sw.config->snapshot_every_ops > 0 && rig.write_partition) {
    rig.power->Disarm();
    FLASHRIG_TRY(rig.power->PowerOn());
    const std::vector<std::byte> blank(snap ? 0 : rig.flash->geometry().size_bytes,
                                       rig.flash->geometry().erased_value);
    FLASHRIG_TRY(rig.write_partition(snap ? std::span<const std::byte>(snap->image) : blank));
  } else {
    FLASHRIG_TRY(PowerUpBlank(*rig.power, *rig.flash));
    if (snap) FLASHRIG_TRY(RestoreImage(*rig.flash, snap->image));
  }
  // Each round starts from its own seed, so `--cut N` replays round N exactly.
  if (rig.reseed) rig.reseed(sw.seed ^ (cut * 0xC2B2AE3D27D4EB4Full));
  return Status::Ok();
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
                        const PowerLossModel& model, std::string* image) {
  // Keep the post-cut image until we know whether it is needed: remount may repair it. An
  // in-process device holds it in memory (the partition only) and writes the device
  // image only for a failing round; other targets save it to a file before the remount.
  const bool keep =
      sw.config->save_failing_images && rig.save_image && !sw.ctx->artifacts_dir.empty();
  const std::string path =
      keep ? fmt::format("{}/power_loss-{}-cut{}.bin", sw.ctx->artifacts_dir, rig.name, cut) : "";
  std::optional<ChipState> held;
  bool saved = false;
  if (keep && rig.get_chip_state && rig.set_chip_state) {
    held = rig.get_chip_state();
  } else if (keep) {
    saved = rig.save_image(path).ok();
  }
  std::string failure;
  {
    auto kv = (*sw.kv)(*rig.flash);
    failure = VerifyAfterCut(*kv, *sw.ops, round, model, sw.config->key_count);
  }
  if (failure.empty()) {
    std::error_code ec;
    if (saved) std::filesystem::remove(path, ec);
    return failure;
  }
  if (held) saved = rig.set_chip_state(*held).ok() && rig.save_image(path).ok();
  if (saved) *image = path;
  return failure;
}

// One cut point: blank partition, workload cut at mutating op `cut`, power-up, remount
// and verify. *outcome: the round's record. A non-ok status: the device failed (no record).
Status RunRound(const Sweep& sw, Rig& rig, uint64_t cut, json* outcome) {
  const CutOutcome effect = EffectFor(sw.config->effect, cut);
  const PowerLossSnapshot* snap = SnapshotFor(*sw.snapshots, cut);
  PowerLossModel model;
  RoundResult round;
  FLASHRIG_TRY(PrepareRound(sw, rig, cut, snap));
  FLASHRIG_TRY(RunWorkloadWithCut(sw, rig, cut, effect, snap, &model, &round));
  std::optional<size_t> diverged_at;
  if (round.diverged) {  // Not the round the dry run predicted: replay it from op 0.
    diverged_at = round.in_flight;
    snap = nullptr;
    model.clear();
    FLASHRIG_TRY(PrepareRound(sw, rig, cut, nullptr));
    FLASHRIG_TRY(RunWorkloadWithCut(sw, rig, cut, effect, nullptr, &model, &round));
  }
  // Real rigs cannot choose the fate of the interrupted op: physics does.
  *outcome = {{"cut", cut}, {"effect", rig.power->exact() ? OutcomeName(effect) : "physical"}};
  if (!sw.snapshots->empty() || sw.config->snapshot_every_ops > 0) {
    (*outcome)["from_op"] = snap ? snap->kv_op : 0;
    if (diverged_at) (*outcome)["snapshot_diverged_at_op"] = *diverged_at;
  }
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

// The recorded outcomes in cut order (cut points this run has not reached are left out).
json OrderedOutcomes(const std::vector<uint64_t>& cuts, const json& state) {
  json outcomes = json::array();
  for (uint64_t cut : cuts) {
    const std::string key = std::to_string(cut);
    if (state["outcomes"].contains(key)) outcomes.push_back(state["outcomes"][key]);
  }
  return outcomes;
}

// What a round costs, in mutating ops: the part of the workload it replays (from its
// snapshot, or from op 0) plus about as much again as remount and verify take.
std::vector<uint64_t> RoundCosts(const std::vector<uint64_t>& cuts,
                                 const std::vector<PowerLossSnapshot>& snapshots,
                                 const PowerLossConfig& config, const driver::Flash& flash) {
  const auto& g = flash.geometry();
  uint64_t fixed = 2 * uint64_t{config.key_count} + g.sector_count();
  if (!snapshots.empty()) fixed += g.size_bytes / std::max<uint32_t>(1, g.program_page_bytes);
  std::vector<uint64_t> costs;
  for (uint64_t cut : cuts) {
    const PowerLossSnapshot* snap = SnapshotFor(snapshots, cut);
    costs.push_back(cut - (snap ? snap->mutating_ops : 0) + fixed);
  }
  return costs;
}

// The dry run's verdict as a check; false if the device went away (report filled in).
bool ReportDryRun(const DryRunResult& dry, size_t kv_ops, RigReport& report) {
  if (dry.device_gone) {
    report.error = "the device went away during the dry run";
    report.status = RunStatus::kDeviceError;
    return false;
  }
  report.AddCheck("power_loss/dry_run", dry.failure.empty(),
                  dry.failure.empty() ? fmt::format("{} KV ops, {} mutating flash ops, no cut",
                                                    kv_ops, dry.total_ops)
                                      : dry.failure);
  return true;
}

// Runs the rounds of the cut points this shard owns and has not yet recorded in *state.
Status RunSweep(const Sweep& sw, Rig& rig, const std::vector<uint64_t>& cuts,
                const std::vector<bool>& owned, json* state, bool* interrupted) {
  const CampaignContext& ctx = *sw.ctx;
  if (const size_t done = (*state)["outcomes"].size(); done > 0) {
    // Said once, so a requeued job's log shows it continued rather than started over.
    const auto mine = static_cast<size_t>(std::count(owned.begin(), owned.end(), true));
    ctx.Progress(double(done) / double(std::max<size_t>(1, mine)),
                 fmt::format("resumed: {} of {} cut points already done", done, mine));
  }
  for (size_t n = 0; n < cuts.size(); ++n) {
    const std::string key = std::to_string(cuts[n]);
    if (!owned[n] || (*state)["outcomes"].contains(key)) continue;
    if (ctx.StopRequested()) {
      *interrupted = true;
      return Status::Ok();
    }
    ctx.Progress(double(n) / double(cuts.size()), fmt::format("cut {}/{}", n + 1, cuts.size()));
    json outcome;
    FLASHRIG_TRY(RunRound(sw, rig, cuts[n], &outcome));
    (*state)["outcomes"][key] = outcome;
    ctx.Checkpoint(*state);
  }
  return Status::Ok();
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

uint64_t AddPowerLossCutChecks(const json& outcomes, RigReport& report) {
  // .at(): a merge reads these back from report files, which may be damaged (it throws).
  uint64_t failures = 0;
  for (const json& o : outcomes) {
    const bool ok = o.at("outcome") == "ok";
    failures += ok ? 0 : 1;
    std::string msg = o.at("detail").get<std::string>();
    if (!ok && !o.at("replay").get<std::string>().empty())
      msg += "; replay: " + o.at("replay").get<std::string>();
    if (!ok && !o.at("image").get<std::string>().empty())
      msg += "; image: " + o.at("image").get<std::string>();
    report.AddCheck("power_loss/cut/" + std::to_string(o.at("cut").get<uint64_t>()), ok, msg);
  }
  return failures;
}

Status PowerLossCampaign::Run(CampaignContext& ctx, RigReport& report) {
  Rig& rig = *ctx.rig;
  PowerSwitch& power = *rig.power;
  const uint64_t seed = ctx.config ? ctx.config->seed : 1;
  const std::vector<KvOp> ops = MakePowerLossWorkload(config_, seed);

  // Dry run: the workload must pass without a cut; it also sizes and classifies the sweep
  // and takes the snapshots rounds start from.
  FLASHRIG_TRY(PowerUpBlank(power, *rig.flash));
  if (rig.reseed) rig.reseed(seed ^ 0xD27E5EEDull);
  DryRunRecorder recorder(*rig.flash, power);
  std::vector<PowerLossSnapshot> snapshots;
  const DryRunResult dry =
      DryRun(kv_, power, recorder, ops, config_.snapshot_every_ops, *rig.flash, &snapshots);
  if (!ReportDryRun(dry, ops.size(), report)) return Status::Unavailable();

  const std::vector<uint64_t> cuts =
      dry.failure.empty() ? PowerLossCutPoints(config_, dry.total_ops, recorder.hazards, seed)
                          : std::vector<uint64_t>{};
  const Sweep sweep{.config = &config_,
                    .kv = &kv_,
                    .ctx = &ctx,
                    .ops = &ops,
                    .seed = seed,
                    .total_ops = dry.total_ops,
                    .snapshots = &snapshots,
                    .writes = &recorder.writes};
  json state = ctx.resume_state.is_object() ? ctx.resume_state : json{{"outcomes", json::object()}};
  bool interrupted = false;
  const Status device = RunSweep(
      sweep, rig, cuts, OwnedItems(ctx.shard, RoundCosts(cuts, snapshots, config_, *rig.flash)),
      &state, &interrupted);
  ctx.Checkpoint(state, /*force=*/true);

  const json outcomes = OrderedOutcomes(cuts, state);
  const uint64_t failures = AddPowerLossCutChecks(outcomes, report);
  report.figures["power_loss"] = {{"mutating_ops", dry.total_ops},
                                  {"kv_ops", ops.size()},
                                  {"schedule", CutScheduleName(config_.schedule)},
                                  {"method", power.method()},
                                  {"snapshot_every_ops", config_.snapshot_every_ops},
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
