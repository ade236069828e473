// Endurance campaign: P/E cycling with verify, stop criteria and checkpointing.
#include "flashrig/hil/campaigns/endurance_campaign.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

struct SectorWear {
  uint32_t index = 0;
  uint64_t cycles = 0;
  uint64_t bit_errors = 0;
  uint64_t erase_us_last = 0;
  uint64_t erase_us_max = 0;
};

// Curve accumulator: cycles are grouped into buckets of `bucket_cycles` so a
// million-cycle run still renders as a few hundred points.
struct CurveBucket {
  uint64_t cycle_end = 0;
  uint64_t samples = 0;
  double erase_us_sum = 0, program_us_sum = 0;
  uint64_t erase_us_max = 0, program_us_max = 0;
  uint64_t bit_errors = 0;
};

}  // namespace

// The sums travel with the means so shard reports merge exactly (EnduranceCurvePoint).
json EnduranceCurvePoint(uint64_t cycle, uint64_t samples, double erase_us_sum,
                         double program_us_sum, uint64_t erase_us_max, uint64_t program_us_max,
                         uint64_t bit_errors) {
  const double n = samples ? double(samples) : 1.0;
  return {{"cycle", cycle},
          {"samples", samples},
          {"erase_us_sum", erase_us_sum},
          {"program_us_sum", program_us_sum},
          {"erase_us_mean", erase_us_sum / n},
          {"erase_us_max", erase_us_max},
          {"program_us_mean", program_us_sum / n},
          {"program_us_max", program_us_max},
          {"bit_errors", bit_errors}};
}

namespace {

json ToJson(const CurveBucket& b) {
  return EnduranceCurvePoint(b.cycle_end, b.samples, b.erase_us_sum, b.program_us_sum,
                             b.erase_us_max, b.program_us_max, b.bit_errors);
}

CurveBucket BucketFromJson(const json& j) {
  CurveBucket b;
  b.cycle_end = j.at("cycle");
  b.samples = j.at("samples");
  b.erase_us_sum = j.at("erase_us_sum");
  b.program_us_sum = j.at("program_us_sum");
  b.erase_us_max = j.at("erase_us_max");
  b.program_us_max = j.at("program_us_max");
  b.bit_errors = j.at("bit_errors");
  return b;
}

json BucketState(const CurveBucket& b) {
  return {{"cycle", b.cycle_end},           {"samples", b.samples},
          {"erase_us_sum", b.erase_us_sum}, {"program_us_sum", b.program_us_sum},
          {"erase_us_max", b.erase_us_max}, {"program_us_max", b.program_us_max},
          {"bit_errors", b.bit_errors}};
}

// What stays fixed for the whole run on one rig.
struct CycleSetup {
  Rig* rig = nullptr;
  const EnduranceConfig* config = nullptr;
  uint32_t sector_bytes = 0;
  uint32_t page = 0;
  uint64_t seed = 1;
  uint64_t erase_max_us = 0;  // Datasheet maxima; 0 = no limit.
  uint64_t program_max_us = 0;
  uint64_t bucket_cycles = 1;
};

CycleSetup MakeSetup(const EnduranceConfig& config, const CampaignContext& ctx) {
  CycleSetup s;
  s.rig = ctx.rig;
  s.config = &config;
  const auto& g = ctx.rig->flash->geometry();
  s.sector_bytes = g.erase_size_bytes;
  s.page = std::min(g.program_page_bytes, s.sector_bytes);
  s.seed = ctx.config ? ctx.config->seed : 1;
  // Datasheet maxima: explicit config wins, else the part's, else no limit.
  s.erase_max_us = config.erase_max_us;
  s.program_max_us = config.program_max_us;
  if (const auto& part = ctx.rig->part) {
    for (const auto& e : part->erase_types) {
      if (e.size_bytes == s.sector_bytes && s.erase_max_us == 0) s.erase_max_us = e.time.max_us;
    }
    if (s.program_max_us == 0) s.program_max_us = part->page_program.max_us;
  }
  s.bucket_cycles =
      std::max<uint64_t>(1, (config.cycles + config.curve_points - 1) / config.curve_points);
  return s;
}

// Everything the checkpoint saves: counters, curve and per-sector wear.
struct EnduranceState {
  std::vector<SectorWear> wear;  // The sectors this shard owns.
  std::vector<CurveBucket> curve;
  uint64_t cycle = 0, total_bit_errors = 0;
  uint64_t over_max_events = 0;
  std::string stop_reason;  // Non-empty once a stop criterion hit.
};

EnduranceState InitialState(const EnduranceConfig& config, const CampaignContext& ctx) {
  EnduranceState st;
  // Every sector runs the same cycles, so equal counts are equal costs.
  const std::vector<bool> owned =
      OwnedItems(ctx.shard, std::vector<uint64_t>(config.sectors.size(), 1));
  for (size_t i = 0; i < config.sectors.size(); ++i) {
    if (owned[i]) st.wear.push_back({.index = config.sectors[i]});
  }
  if (!ctx.resume_state.is_object()) return st;
  // Continue where the checkpoint left off: counters and curve; the chip kept its wear.
  const json& s = ctx.resume_state;
  st.cycle = s.at("cycle");
  st.total_bit_errors = s.at("bit_errors");
  st.over_max_events = s.value("over_max_events", 0);
  for (const auto& b : s.at("curve")) st.curve.push_back(BucketFromJson(b));
  for (auto& w : st.wear) {
    const std::string key = std::to_string(w.index);
    if (!s.at("sectors").contains(key)) continue;
    const json& x = s.at("sectors").at(key);
    w.cycles = x.at("cycles");
    w.bit_errors = x.at("bit_errors");
    w.erase_us_last = x.at("erase_us_last");
    w.erase_us_max = x.at("erase_us_max");
  }
  return st;
}

json CheckpointState(const EnduranceState& st) {
  json sectors = json::object();
  for (const auto& w : st.wear) {
    sectors[std::to_string(w.index)] = {{"cycles", w.cycles},
                                        {"bit_errors", w.bit_errors},
                                        {"erase_us_last", w.erase_us_last},
                                        {"erase_us_max", w.erase_us_max}};
  }
  json buckets = json::array();
  for (const auto& b : st.curve) buckets.push_back(BucketState(b));
  return {{"cycle", st.cycle},
          {"bit_errors", st.total_bit_errors},
          {"over_max_events", st.over_max_events},
          {"sectors", sectors},
          {"curve", buckets}};
}

// Scratch buffers of one sector each, reused across cycles.
struct SectorBuffers {
  std::vector<std::byte> data, back;
};

// What one sector's part of a cycle measured.
struct SectorCycle {
  uint64_t erase_us = 0;
  uint64_t program_us = 0;
  uint64_t page_us_max = 0;
  uint64_t errors = 0;
};

// One sector's part of cycle `c`: erase (timed), [verify erased], program the pattern page
// by page (timed), [read back and count bit errors].
Status CycleSector(const CycleSetup& s, uint32_t index, uint64_t c, bool verify,
                   DataPattern pattern, SectorBuffers& buf, SectorCycle* out) {
  Rig& rig = *s.rig;
  driver::Flash& flash = *rig.flash;
  const uint32_t base = index * s.sector_bytes;
  // An in-process device draws this sector's sampled times from a stream of its own, so a
  // sector measures the same whichever other sectors share its run (shards merge exactly).
  if (rig.reseed) rig.reseed(s.seed ^ (((uint64_t{index} << 40) ^ c) * 0x9E3779B97F4A7C15ull));
  uint64_t op_ns = 0, busy_ns = 0;
  Status device = TimeOp(
      rig, driver::BusyKind::kErase, [&] { return flash.Erase(base, s.sector_bytes); }, &op_ns,
      &busy_ns);
  out->erase_us = busy_ns / 1000;
  if (!device.ok()) return device;
  if (verify) {
    device = flash.Read(base, buf.back);
    if (!device.ok()) return device;
    std::fill(buf.data.begin(), buf.data.end(), flash.geometry().erased_value);
    out->errors += BitErrors(buf.data, buf.back);  // Bits an erase failed to set.
  }
  FillPattern(pattern, s.seed, (uint64_t{index} << 40) ^ c, buf.data);
  for (uint32_t off = 0; off < s.sector_bytes && device.ok(); off += s.page) {
    device = TimeOp(
        rig, driver::BusyKind::kProgram,
        [&] { return flash.Program(base + off, std::span(buf.data).subspan(off, s.page)); }, &op_ns,
        &busy_ns);
    out->program_us += busy_ns / 1000;
    out->page_us_max = std::max(out->page_us_max, busy_ns / 1000);
  }
  if (!device.ok()) return device;
  if (verify) {
    device = flash.Read(base, buf.back);
    if (!device.ok()) return device;
    out->errors += BitErrors(buf.data, buf.back);
  }
  return device;
}

// Adds one sector's cycle to its wear and the curve; notes a busy time over the maximum.
void RecordSectorCycle(const CycleSetup& s, uint64_t c, const SectorCycle& m, SectorWear& w,
                       CurveBucket& bucket, EnduranceState* st) {
  ++w.cycles;
  w.bit_errors += m.errors;
  w.erase_us_last = m.erase_us;
  w.erase_us_max = std::max(w.erase_us_max, m.erase_us);
  ++bucket.samples;
  bucket.erase_us_sum += double(m.erase_us);
  bucket.program_us_sum += double(m.program_us);
  bucket.erase_us_max = std::max(bucket.erase_us_max, m.erase_us);
  bucket.program_us_max = std::max(bucket.program_us_max, m.program_us);
  if ((s.erase_max_us && m.erase_us > WithTolerance(s.erase_max_us)) ||
      (s.program_max_us && m.page_us_max > WithTolerance(s.program_max_us))) {
    ++st->over_max_events;
    if (s.config->stop_on_busy_over_max && st->stop_reason.empty()) {
      st->stop_reason = fmt::format(
          "cycle {}: sector {} busy time over the datasheet maximum (erase {} us / max {}, "
          "page program {} us / max {})",
          c, w.index, m.erase_us, s.erase_max_us, m.page_us_max, s.program_max_us);
    }
  }
}

// The next cycle over every owned sector, then the cycle-level stop criteria. On a device
// error the cycle does not count.
Status RunCycle(const CycleSetup& s, SectorBuffers& buf, EnduranceState* st) {
  const EnduranceConfig& config = *s.config;
  const uint64_t c = st->cycle + 1;
  const bool verify = c % config.verify_every == 0;
  const DataPattern pattern = config.patterns[st->cycle % config.patterns.size()];
  if (st->curve.empty() || st->curve.back().cycle_end < c) {
    st->curve.push_back({.cycle_end = std::min(
                             config.cycles, (st->cycle / s.bucket_cycles + 1) * s.bucket_cycles)});
  }
  CurveBucket& bucket = st->curve.back();
  uint64_t cycle_errors = 0;
  for (auto& w : st->wear) {
    SectorCycle m;
    const Status device = CycleSector(s, w.index, c, verify, pattern, buf, &m);
    if (!device.ok()) return device;
    cycle_errors += m.errors;
    RecordSectorCycle(s, c, m, w, bucket, st);
  }
  st->cycle = c;
  bucket.bit_errors += cycle_errors;
  st->total_bit_errors += cycle_errors;
  if (cycle_errors > 0 && config.stop_on_first_bit_error && st->stop_reason.empty()) {
    st->stop_reason = fmt::format("cycle {}: first bit errors ({})", c, cycle_errors);
  }
  if (config.stop_after_bit_errors && st->total_bit_errors >= config.stop_after_bit_errors &&
      st->stop_reason.empty()) {
    st->stop_reason = fmt::format("cycle {}: {} bit errors reached the limit of {}", c,
                                  st->total_bit_errors, config.stop_after_bit_errors);
  }
  return Status::Ok();
}

// figures["endurance"] and the checks, from the final state; `stop_reason` is final too.
void ReportResults(const CycleSetup& s, const EnduranceState& st, const std::string& stop_reason,
                   bool interrupted, RigReport& report) {
  const EnduranceConfig& config = *s.config;
  const Rig& rig = *s.rig;
  json curve_json = json::array(), sectors_json = json::array();
  for (const auto& b : st.curve) {
    if (b.samples > 0) curve_json.push_back(ToJson(b));
  }
  for (const auto& w : st.wear) {
    sectors_json.push_back({{"index", w.index},
                            {"cycles", w.cycles},
                            {"bit_errors", w.bit_errors},
                            {"erase_us_last", w.erase_us_last},
                            {"erase_us_max", w.erase_us_max}});
  }
  report.figures["endurance"] = {
      {"timing", TimingSourceName(rig.timing)},
      {"busy_source", rig.busy_total ? "driver WIP polling" : "operation time"},
      {"cycles_done", st.cycle},
      {"target_cycles", config.cycles},
      {"stop_reason", stop_reason},
      {"bit_errors", st.total_bit_errors},
      {"erase_max_us", s.erase_max_us},
      {"program_max_us", s.program_max_us},
      {"over_max_events", st.over_max_events},
      {"sector_count", rig.flash->geometry().sector_count()},
      {"sector_bytes", s.sector_bytes},
      {"curve", curve_json},
      {"sectors", sectors_json}};
  AddEnduranceChecks(config, report.figures["endurance"], interrupted, report);
}

}  // namespace

void AddEnduranceChecks(const EnduranceConfig& config, const json& f, bool interrupted,
                        RigReport& report) {
  const uint64_t cycles = f.at("cycles_done").get<uint64_t>();
  const uint64_t bit_errors = f.at("bit_errors").get<uint64_t>();
  const uint64_t erase_max_us = f.at("erase_max_us").get<uint64_t>();
  const uint64_t program_max_us = f.at("program_max_us").get<uint64_t>();
  const uint64_t over_max = f.at("over_max_events").get<uint64_t>();
  if (!interrupted) {  // An interrupted run has not failed its target; --resume continues.
    // A shard that owns no sector (more shards than sectors) has nothing to reach.
    const bool reached = cycles >= config.cycles || f.at("sectors").empty();
    report.AddCheck("endurance/cycles", reached,
                    fmt::format("{} of {} cycles on {} sectors; {}", cycles, config.cycles,
                                f.at("sectors").size(), f.at("stop_reason").get<std::string>()));
  }
  const uint64_t allowed = config.stop_after_bit_errors ? config.stop_after_bit_errors - 1 : 0;
  report.AddCheck("endurance/bit_errors", bit_errors <= allowed,
                  fmt::format("{} bit errors (allowed {})", bit_errors, allowed));
  if (erase_max_us || program_max_us) {
    report.AddCheck("endurance/busy_within_max", over_max == 0,
                    fmt::format("{} operations over the datasheet maximum (erase {} us, page "
                                "program {} us)",
                                over_max, erase_max_us, program_max_us));
  }
}

std::string EnduranceCampaign::CheckRig(const Rig& rig) const {
  const uint32_t sectors = rig.flash->geometry().sector_count();
  for (size_t i = 0; i < config_.sectors.size(); ++i) {
    if (config_.sectors[i] >= sectors) {
      return fmt::format("/endurance/sectors/{}: sector {} is outside the partition ({} sectors)",
                         i, config_.sectors[i], sectors);
    }
  }
  return "";
}

Status EnduranceCampaign::Run(CampaignContext& ctx, RigReport& report) {
  const CycleSetup setup = MakeSetup(config_, ctx);
  EnduranceState st = InitialState(config_, ctx);
  SectorBuffers buf{std::vector<std::byte>(setup.sector_bytes),
                    std::vector<std::byte>(setup.sector_bytes)};
  Status device = Status::Ok();
  bool interrupted = false;
  if (st.cycle > 0) {
    ctx.Progress(double(st.cycle) / double(config_.cycles),
                 fmt::format("resumed at cycle {}/{}", st.cycle, config_.cycles));
  }
  while (st.cycle < config_.cycles && st.stop_reason.empty() && !st.wear.empty()) {
    if (ctx.StopRequested()) {
      interrupted = true;
      break;
    }
    device = RunCycle(setup, buf, &st);
    if (!device.ok()) break;
    ctx.Progress(
        double(st.cycle) / double(config_.cycles),
        fmt::format("cycle {}/{}, {} bit errors", st.cycle, config_.cycles, st.total_bit_errors));
    ctx.Checkpoint(CheckpointState(st), false);
  }
  ctx.Checkpoint(CheckpointState(st), true);

  std::string stop_reason = st.stop_reason;
  if (!device.ok()) stop_reason = fmt::format("device error: {}", device.str());
  if (stop_reason.empty()) {
    stop_reason = interrupted       ? "interrupted"
                  : st.wear.empty() ? "no sectors in this shard"
                                    : "target cycles reached";
  }
  ReportResults(setup, st, stop_reason, interrupted, report);
  if (!device.ok()) report.error = stop_reason;
  report.status = report.EndStatus(device.ok(), interrupted);
  return device;
}

}  // namespace flashrig::hil
