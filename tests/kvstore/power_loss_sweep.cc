// The power-loss sweep: seeded workload, reference model, per-cut recovery checks.
#include "kvstore/power_loss_sweep.h"

#include <map>
#include <optional>
#include <sstream>

#include "flashrig/driver/flash/counting_flash.h"
#include "flashrig/driver/flash/random.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/region_scan.h"
#include "flashrig/kvstore/siphash.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace flashrig::kv::testing {

void PowerLossTarget::LoadImage(std::span<const std::byte> image) {
  driver::Flash& f = flash();
  const auto& g = f.geometry();
  f.Erase(0, g.size_bytes).IgnoreError();
  f.Program(0, image.first(g.size_bytes)).IgnoreError();
}

namespace {

using Value = std::vector<std::byte>;
using Model = std::map<uint32_t, Value>;

const char* EffectName(driver::PowerCutEffect e) {
  switch (e) {
    case driver::PowerCutEffect::kNotApplied:
      return "kNotApplied";
    case driver::PowerCutEffect::kApplied:
      return "kApplied";
    case driver::PowerCutEffect::kTorn:
      return "kTorn";
  }
  return "?";
}

HashedKey KeyOf(uint32_t id) { return GenerateKey("plk-" + std::to_string(id)); }

Value MakeValue(SeededRandom& rng, size_t n) {
  Value v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng.Byte());
  return v;
}

// The operation in flight when power failed: the key may read old or new afterwards.
struct InFlight {
  bool active = false;
  uint32_t id = 0;
  std::optional<Value> old_value;
  std::optional<Value> new_value;
};

uint64_t LiveBytes(const Model& model) {
  uint64_t total = 15;  // Super key.
  for (const auto& [id, v] : model) total += v.size() + 15;
  return total;
}

// Runs one workload step. Returns "" on success (including expected refusals), "cut" if
// an operation failed because the power cut fired (in_flight filled), else a failure.
class Workload {
 public:
  Workload(const PowerLossConfig& c, uint32_t size_bytes) : c_(c), size_bytes_(size_bytes) {}

  std::string Step(TicKvEngine& engine, SeededRandom& rng, Model& model, PowerLossTarget& target,
                   InFlight* in_flight) const {
    const uint64_t cuts = target.power_cuts();
    const uint64_t util = LiveBytes(model) * 100 / size_bytes_;
    const uint32_t roll = static_cast<uint32_t>(rng.Below(100));
    const Kind kind = PickKind(util, roll);
    const auto id = static_cast<uint32_t>(rng.Below(c_.keys));
    const HashedKey key = KeyOf(id);
    const auto it = model.find(id);
    const std::optional<Value> old = it == model.end() ? std::nullopt : std::optional(it->second);
    auto cut_fired = [&] { return target.power_cuts() != cuts; };
    auto fail = [&](const char* what, Status s) {
      std::ostringstream os;
      os << what << " of key " << id << " returned " << s;
      return os.str();
    };
    if (kind == kAppend || kind == kSet) {
      // Near the top of the band, keep new values small so the band holds.
      const uint32_t max_bytes = util > c_.max_utilisation_percent ? 64 : c_.max_value_bytes;
      Value v = MakeValue(rng, rng.Below(max_bytes + 1));
      const Status s = kind == kAppend ? engine.Append(key, v) : engine.Set(key, v);
      if (s.ok()) {
        if (kind == kAppend && old) return fail("append of a live key succeeded:", s);
        model[id] = std::move(v);
        return "";
      }
      if (cut_fired()) {
        *in_flight = {true, id, old, std::move(v)};
        return "cut";
      }
      if (s == Status::AlreadyExists() && kind == kAppend && old) return "";
      if (s == Status::ResourceExhausted()) return "";
      return fail(kind == kAppend ? "append" : "set", s);
    }
    if (kind == kInvalidate) {
      const Status s = engine.Invalidate(key);
      if (s.ok()) {
        if (!old) return fail("invalidate of an absent key succeeded:", s);
        model.erase(id);
        return "";
      }
      if (cut_fired()) {
        *in_flight = {true, id, old, std::nullopt};
        return "cut";
      }
      if (s == Status::NotFound() && !old) return "";
      return fail("invalidate", s);
    }
    if (kind == kGet) {
      Value out(4096);
      size_t n = 0;
      const Status s = engine.Get(key, out, &n);
      out.resize(n);
      if (s.ok() && old && out == *old) return "";
      if (s == Status::NotFound() && !old) return "";
      return fail("get (wrong value or status)", s);
    }
    const Result<size_t> r =
        kind == kGc ? engine.GarbageCollect() : engine.Compact(size_bytes_ / 64);
    if (r.ok()) return "";
    if (cut_fired()) {
      *in_flight = {true, 0xFFFFFFFF, std::nullopt, std::nullopt};
      return "cut";
    }
    return fail(kind == kGc ? "gc" : "compact", r.status());
  }

 private:
  enum Kind { kAppend, kSet, kGet, kInvalidate, kGc, kCompact };

  // The operation mix for `roll` (0..99) steers utilisation into the configured band.
  Kind PickKind(uint64_t util, uint32_t roll) const {
    if (util < c_.min_utilisation_percent) {
      return roll < 50   ? kAppend
             : roll < 80 ? kSet
             : roll < 92 ? kGet
             : roll < 96 ? kInvalidate
                         : kGc;
    }
    if (util > c_.max_utilisation_percent) {
      return roll < 55 ? kInvalidate : roll < 75 ? kGet : roll < 92 ? kSet : kGc;
    }
    return roll < 20   ? kAppend
           : roll < 50 ? kSet
           : roll < 70 ? kGet
           : roll < 92 ? kInvalidate
           : roll < 97 ? kGc
                       : kCompact;
  }

  const PowerLossConfig& c_;
  uint32_t size_bytes_;
};

std::vector<std::byte> ReadAll(driver::Flash& flash) {
  std::vector<std::byte> image(flash.geometry().size_bytes);
  flash.Read(0, image).IgnoreError();
  return image;
}

// No two live copies of a key on flash (mount resolved any duplicate).
std::string CheckNoDuplicateLiveKeys(driver::Flash& flash) {
  const auto& g = flash.geometry();
  const auto image = ReadAll(flash);
  std::map<HashedKey, int> live;
  for (uint32_t r = 0; r < g.sector_count(); ++r) {
    ScanRegion(
        std::span<const std::byte>(image).subspan(r * g.erase_size_bytes, g.erase_size_bytes),
        [&](const ScanEvent& e) {
          if (e.kind == ScanEvent::Kind::kObject && e.header.valid) ++live[e.header.key];
        });
  }
  for (const auto& [key, n] : live) {
    if (n > 1) return "two live copies of one key on flash after mount";
  }
  return "";
}

// Every key reads as the model says (the interrupted one as its old or new value), and
// nothing else is live. `when` prefixes the failure.
std::string CheckValues(const PowerLossConfig& c, TicKvEngine& engine, const Model& model,
                        const InFlight& in_flight, const char* when) {
  uint32_t present = 0;
  for (uint32_t id = 0; id < c.keys; ++id) {
    Value out(4096);
    size_t n = 0;
    const Status s = engine.Get(KeyOf(id), out, &n);
    out.resize(n);
    std::optional<Value> got;
    if (s.ok()) {
      got = out;
      ++present;
    } else if (s != Status::NotFound()) {
      return std::string(when) + ": get of key " + std::to_string(id) + " returned " + s.str();
    }
    const auto it = model.find(id);
    const std::optional<Value> want = it == model.end() ? std::nullopt : std::optional(it->second);
    if (in_flight.active && in_flight.id == id) {
      if (got != in_flight.old_value && got != in_flight.new_value) {
        return std::string(when) + ": interrupted key " + std::to_string(id) +
               " is neither its old nor its new value";
      }
      continue;
    }
    if (got != want) {
      return std::string(when) + ": key " + std::to_string(id) +
             (want ? (got ? " has a wrong value" : " (acknowledged) is missing")
                   : " (deleted or never written) is present");
    }
  }
  if (engine.stats().live_keys != present + 1) {
    return std::string(when) + ": unexpected extra live keys";
  }
  return "";
}

// The failure message when full compaction left garbage: the engine's totals and every
// region's state, to see which region kept it.
std::string DescribeGarbageLeft(const TicKvEngine& engine, const driver::FlashGeometry& g) {
  const EngineStats st = engine.stats();
  std::ostringstream os;
  os << "compaction left " << st.garbage_bytes << " garbage bytes (live " << st.live_bytes
     << ", free " << st.free_bytes << ", empty regions " << st.empty_regions << ", torn "
     << st.torn_regions << "; regions free/live/objects/torn:";
  for (uint32_t r = 0; r < g.sector_count(); ++r) {
    const RegionState& rs = engine.region(r);
    os << " " << rs.free_offset_bytes << "/" << rs.live_bytes << "/" << rs.live_objects << "/"
       << int{rs.torn};
  }
  os << ")";
  return os.str();
}

// Mounts a new engine from the flash alone and checks it against the model.
std::string CheckRecovery(const PowerLossConfig& c, PowerLossTarget& target, const Model& model,
                          const InFlight& in_flight, bool full_compaction, bool external_check) {
  driver::Flash& flash = target.flash();
  const auto& g = flash.geometry();
  EngineStorage storage(g, c.max_keys);
  TicKvEngine engine(flash, storage.buffers(), c.engine_options);
  if (Status s = engine.Mount(); !s.ok()) return std::string("mount failed: ") + s.str();
  if (auto e = CheckNoDuplicateLiveKeys(flash); !e.empty()) return e;
  if (auto e = CheckValues(c, engine, model, in_flight, "after mount"); !e.empty()) return e;
  if (external_check && c.after_mount_check) {
    if (auto e = c.after_mount_check(engine, flash); !e.empty()) return "after mount: " + e;
  }
  // GC still frees space: TicKV GC works, compaction reclaims all garbage (on a sample of
  // the cuts: it is the expensive part) and the store takes writes.
  const Result<size_t> gc = engine.GarbageCollect();
  if (!gc.ok()) return std::string("gc after recovery failed: ") + gc.status().str();
  const Result<size_t> freed = engine.Compact(full_compaction ? 1 : g.erase_size_bytes / 2);
  if (!freed.ok()) return std::string("compaction after recovery failed: ") + freed.status().str();
  if (full_compaction && engine.stats().garbage_bytes >= g.erase_size_bytes) {
    return DescribeGarbageLeft(engine, g);
  }
  if (full_compaction) {
    if (auto e = CheckValues(c, engine, model, in_flight, "after compaction"); !e.empty()) {
      return e;
    }
  }
  const HashedKey probe = GenerateKey("plk-probe");
  if (Status s = engine.Set(probe, Value(100, std::byte{0x5A})); !s.ok()) {
    return std::string("store refuses a 100-byte write after recovery: ") + s.str();
  }
  return "";
}

// What a workload step starts from, to replay it on the scratch target.
struct StepStart {
  std::vector<std::byte> image;
  Model model;
  SeededRandom rng;
};

// Replays the step from `start` on `scratch` with power cut at its k-th mutating op (the
// sweep's cut number `cut`), then checks what a fresh mount recovers. Counts the cuts that
// fired in `cuts_tested`. Returns "" or what failed.
std::string ReplayWithCut(const PowerLossConfig& c, const Workload& workload,
                          const driver::FlashGeometry& g, const StepStart& start, uint64_t k,
                          uint64_t cut, driver::PowerCutEffect effect, PowerLossTarget& scratch,
                          uint64_t* cuts_tested) {
  scratch.CancelPowerCut();
  scratch.PowerOn();
  scratch.LoadImage(start.image);
  EngineStorage storage(g, c.max_keys);
  TicKvEngine replay(scratch.flash(), storage.buffers(), c.engine_options);
  if (Status s = replay.Mount(); !s.ok()) return std::string("mount before op: ") + s.str();
  Model m = start.model;
  SeededRandom r = start.rng;
  InFlight in_flight;
  scratch.SchedulePowerCut(
      {.at_mutating_op = k, .effect = effect, .seed = c.seed ^ (cut * 0x9E37)});
  const std::string step = workload.Step(replay, r, m, scratch, &in_flight);
  if (!step.empty() && step != "cut") return step;
  scratch.CancelPowerCut();
  scratch.PowerOn();
  if (step == "cut") ++*cuts_tested;
  if (step == "cut" && c.on_cut_image) c.on_cut_image(cut, ReadAll(scratch.flash()));
  const bool full = (cut + static_cast<uint64_t>(effect)) % c.full_compaction_every == 0;
  const bool external =
      c.after_mount_check_every != 0 && (cut - 1) % c.after_mount_check_every == 0;
  return CheckRecovery(c, scratch, m, in_flight, full, external);
}

}  // namespace

PowerLossResult RunPowerLossSweep(const PowerLossConfig& c, const PowerLossTargetFactory& make) {
  PowerLossResult result;
  auto main_target = make();
  auto scratch = make();
  const auto& g = main_target->flash().geometry();
  driver::CountingFlash counted(main_target->flash());
  EngineStorage storage(g, c.max_keys);
  TicKvEngine engine(counted, storage.buffers(), c.engine_options);
  if (!engine.Format().ok()) {
    result.failure = "format failed";
    return result;
  }
  Workload workload(c, g.size_bytes);
  Model model;
  SeededRandom rng(c.seed);
  uint64_t cut_base = 0;  // Global index of the first mutating op of the current step.
  auto describe = [&](uint64_t cut, driver::PowerCutEffect e, uint32_t op,
                      const std::string& what) {
    std::ostringstream os;
    os << "seed " << c.seed << ", cut at mutating op " << cut << " (op " << op << "), effect "
       << EffectName(e) << ": " << what << "  [replay: FLASHRIG_SEED=" << c.seed
       << " FLASHRIG_CUT=" << cut << "]";
    return os.str();
  };
  for (uint32_t op = 0; op < c.ops; ++op) {
    const StepStart start{ReadAll(main_target->flash()), model, rng};
    const uint64_t before = counted.counters().program_ops + counted.counters().erase_ops;
    InFlight none;
    if (auto e = workload.Step(engine, rng, model, *main_target, &none); !e.empty()) {
      result.failure = describe(0, driver::PowerCutEffect::kNotApplied, op, "uncut run: " + e);
      return result;
    }
    result.peak_utilisation_percent =
        std::max(result.peak_utilisation_percent, LiveBytes(model) * 100 / g.size_bytes);
    const uint64_t n = counted.counters().program_ops + counted.counters().erase_ops - before;
    result.acked_ops += n > 0 ? 1 : 0;
    for (uint64_t k = 1; k <= n; ++k) {
      const uint64_t cut = cut_base + k;
      if (c.only_cut != 0 ? cut != c.only_cut : (cut - 1) % c.stride != 0) continue;
      for (const driver::PowerCutEffect effect : c.effects) {
        if (auto e =
                ReplayWithCut(c, workload, g, start, k, cut, effect, *scratch, &result.cuts_tested);
            !e.empty()) {
          result.failure = describe(cut, effect, op, e);
          return result;
        }
      }
    }
    cut_base += n;
  }
  result.mutating_ops = cut_base;
  // The uncut engine, remounted, agrees with the model.
  main_target->CancelPowerCut();
  if (auto e = CheckRecovery(c, *main_target, model, InFlight{}, true, true); !e.empty()) {
    result.failure = describe(0, driver::PowerCutEffect::kNotApplied, c.ops, "end of run: " + e);
  }
  return result;
}

}  // namespace flashrig::kv::testing
