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

json ToJson(const CurveBucket& b) {
  const double n = b.samples ? double(b.samples) : 1.0;
  return {{"cycle", b.cycle_end},
          {"erase_us_mean", b.erase_us_sum / n},
          {"erase_us_max", b.erase_us_max},
          {"program_us_mean", b.program_us_sum / n},
          {"program_us_max", b.program_us_max},
          {"bit_errors", b.bit_errors}};
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

}  // namespace

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
  Rig& rig = *ctx.rig;
  driver::Flash& flash = *rig.flash;
  const auto& g = flash.geometry();
  const uint32_t sector_bytes = g.erase_size_bytes;
  const uint32_t page = std::min(g.program_page_bytes, sector_bytes);
  const uint64_t seed = ctx.config ? ctx.config->seed : 1;

  // Datasheet maxima: explicit config wins, else the part's, else no limit.
  uint64_t erase_max_us = config_.erase_max_us;
  uint64_t program_max_us = config_.program_max_us;
  if (rig.part) {
    for (const auto& e : rig.part->erase_types) {
      if (e.size_bytes == sector_bytes && erase_max_us == 0) erase_max_us = e.time.max_us;
    }
    if (program_max_us == 0) program_max_us = rig.part->page_program.max_us;
  }

  std::vector<SectorWear> wear;
  for (size_t i = 0; i < config_.sectors.size(); ++i) {
    if (ctx.shard.Owns(i)) wear.push_back({.index = config_.sectors[i]});
  }
  const uint64_t bucket_cycles =
      std::max<uint64_t>(1, (config_.cycles + config_.curve_points - 1) / config_.curve_points);
  std::vector<CurveBucket> curve;
  uint64_t cycle = 0, total_bit_errors = 0;
  uint64_t over_max_events = 0;
  std::string stop_reason;

  if (ctx.resume_state.is_object()) {
    // Continue where the checkpoint left off: counters and curve; the chip kept its wear.
    const json& s = ctx.resume_state;
    cycle = s.at("cycle");
    total_bit_errors = s.at("bit_errors");
    over_max_events = s.value("over_max_events", 0);
    for (const auto& b : s.at("curve")) curve.push_back(BucketFromJson(b));
    for (auto& w : wear) {
      const std::string key = std::to_string(w.index);
      if (!s.at("sectors").contains(key)) continue;
      const json& x = s.at("sectors").at(key);
      w.cycles = x.at("cycles");
      w.bit_errors = x.at("bit_errors");
      w.erase_us_last = x.at("erase_us_last");
      w.erase_us_max = x.at("erase_us_max");
    }
  }
  const auto save_state = [&](bool force) {
    json sectors = json::object();
    for (const auto& w : wear) {
      sectors[std::to_string(w.index)] = {{"cycles", w.cycles},
                                          {"bit_errors", w.bit_errors},
                                          {"erase_us_last", w.erase_us_last},
                                          {"erase_us_max", w.erase_us_max}};
    }
    json buckets = json::array();
    for (const auto& b : curve) buckets.push_back(BucketState(b));
    ctx.Checkpoint({{"cycle", cycle},
                    {"bit_errors", total_bit_errors},
                    {"over_max_events", over_max_events},
                    {"sectors", sectors},
                    {"curve", buckets}},
                   force);
  };

  std::vector<std::byte> data(sector_bytes), back(sector_bytes);
  Status device = Status::Ok();
  bool interrupted = false;
  while (cycle < config_.cycles && stop_reason.empty() && !wear.empty()) {
    if (ctx.StopRequested()) {
      interrupted = true;
      break;
    }
    const uint64_t c = cycle + 1;
    const bool verify = c % config_.verify_every == 0;
    const DataPattern pattern = config_.patterns[cycle % config_.patterns.size()];
    if (curve.empty() || curve.back().cycle_end < c) {
      curve.push_back(
          {.cycle_end = std::min(config_.cycles, (cycle / bucket_cycles + 1) * bucket_cycles)});
    }
    CurveBucket& bucket = curve.back();
    uint64_t cycle_errors = 0;
    for (auto& w : wear) {
      const uint32_t base = w.index * sector_bytes;
      uint64_t op_ns = 0, busy_ns = 0;
      device = TimeOp(
          rig, driver::BusyKind::kErase, [&] { return flash.Erase(base, sector_bytes); }, &op_ns,
          &busy_ns);
      const uint64_t erase_us = busy_ns / 1000;
      if (!device.ok()) break;
      uint64_t errors = 0;
      if (verify) {
        device = flash.Read(base, back);
        if (!device.ok()) break;
        std::fill(data.begin(), data.end(), g.erased_value);
        errors += BitErrors(data, back);  // Bits an erase failed to set.
      }
      FillPattern(pattern, seed, (uint64_t{w.index} << 40) ^ c, data);
      uint64_t program_us = 0, page_us_max = 0;
      for (uint32_t off = 0; off < sector_bytes && device.ok(); off += page) {
        device = TimeOp(
            rig, driver::BusyKind::kProgram,
            [&] { return flash.Program(base + off, std::span(data).subspan(off, page)); }, &op_ns,
            &busy_ns);
        program_us += busy_ns / 1000;
        page_us_max = std::max(page_us_max, busy_ns / 1000);
      }
      if (!device.ok()) break;
      if (verify) {
        device = flash.Read(base, back);
        if (!device.ok()) break;
        errors += BitErrors(data, back);
      }
      ++w.cycles;
      w.bit_errors += errors;
      w.erase_us_last = erase_us;
      w.erase_us_max = std::max(w.erase_us_max, erase_us);
      cycle_errors += errors;
      ++bucket.samples;
      bucket.erase_us_sum += double(erase_us);
      bucket.program_us_sum += double(program_us);
      bucket.erase_us_max = std::max(bucket.erase_us_max, erase_us);
      bucket.program_us_max = std::max(bucket.program_us_max, program_us);
      if ((erase_max_us && erase_us > WithTolerance(erase_max_us)) ||
          (program_max_us && page_us_max > WithTolerance(program_max_us))) {
        ++over_max_events;
        if (config_.stop_on_busy_over_max && stop_reason.empty()) {
          stop_reason = fmt::format(
              "cycle {}: sector {} busy time over the datasheet maximum (erase {} us / max {}, "
              "page program {} us / max {})",
              c, w.index, erase_us, erase_max_us, page_us_max, program_max_us);
        }
      }
    }
    if (!device.ok()) break;
    cycle = c;
    bucket.bit_errors += cycle_errors;
    total_bit_errors += cycle_errors;
    if (cycle_errors > 0 && config_.stop_on_first_bit_error && stop_reason.empty()) {
      stop_reason = fmt::format("cycle {}: first bit errors ({})", c, cycle_errors);
    }
    if (config_.stop_after_bit_errors && total_bit_errors >= config_.stop_after_bit_errors &&
        stop_reason.empty()) {
      stop_reason = fmt::format("cycle {}: {} bit errors reached the limit of {}", c,
                                total_bit_errors, config_.stop_after_bit_errors);
    }
    ctx.Progress(
        double(cycle) / double(config_.cycles),
        fmt::format("cycle {}/{}, {} bit errors", cycle, config_.cycles, total_bit_errors));
    save_state(false);
  }
  save_state(true);

  json curve_json = json::array(), sectors_json = json::array();
  for (const auto& b : curve) {
    if (b.samples > 0) curve_json.push_back(ToJson(b));
  }
  for (const auto& w : wear) {
    sectors_json.push_back({{"index", w.index},
                            {"cycles", w.cycles},
                            {"bit_errors", w.bit_errors},
                            {"erase_us_last", w.erase_us_last},
                            {"erase_us_max", w.erase_us_max}});
  }
  if (!device.ok()) stop_reason = fmt::format("device error: {}", device.str());
  if (stop_reason.empty()) stop_reason = interrupted ? "interrupted" : "target cycles reached";
  report.figures["endurance"] = {
      {"timing", TimingSourceName(rig.timing)},
      {"busy_source", rig.busy_total ? "driver WIP polling" : "operation time"},
      {"cycles_done", cycle},
      {"target_cycles", config_.cycles},
      {"stop_reason", stop_reason},
      {"bit_errors", total_bit_errors},
      {"erase_max_us", erase_max_us},
      {"program_max_us", program_max_us},
      {"over_max_events", over_max_events},
      {"sector_count", flash.geometry().sector_count()},
      {"sector_bytes", sector_bytes},
      {"curve", curve_json},
      {"sectors", sectors_json}};
  if (!interrupted) {  // An interrupted run has not failed its target; --resume continues.
    report.AddCheck("endurance/cycles", cycle >= config_.cycles,
                    fmt::format("{} of {} cycles on {} sectors; {}", cycle, config_.cycles,
                                wear.size(), stop_reason));
  }
  const uint64_t allowed = config_.stop_after_bit_errors ? config_.stop_after_bit_errors - 1 : 0;
  report.AddCheck("endurance/bit_errors", total_bit_errors <= allowed,
                  fmt::format("{} bit errors (allowed {})", total_bit_errors, allowed));
  if (erase_max_us || program_max_us) {
    report.AddCheck("endurance/busy_within_max", over_max_events == 0,
                    fmt::format("{} operations over the datasheet maximum (erase {} us, page "
                                "program {} us)",
                                over_max_events, erase_max_us, program_max_us));
  }
  if (!device.ok()) report.error = stop_reason;
  report.status = report.EndStatus(device.ok(), interrupted);
  return device;
}

}  // namespace flashrig::hil
