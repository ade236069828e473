// Qualify campaign: runs the part through identity, protection, timing, integrity,
// endurance and power-loss checks and compares against the part's datasheet values.
#include "flashrig/hil/qualify_campaign.h"

#include <fmt/format.h>

#include "flashrig/hil/endurance_campaign.h"
#include "flashrig/hil/latency_histogram.h"
#include "flashrig/hil/power_loss_campaign.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

void CheckIdentity(const Rig& rig, RigReport& report, json& not_run) {
  const driver::ChipModel& part = *rig.part;
  if (rig.identity.contains("jedec_id")) {
    const auto id = rig.identity["jedec_id"].get<std::vector<int>>();
    const std::vector<int> want(part.jedec_id.begin(), part.jedec_id.end());
    report.AddCheck("qualify/identity/jedec", id == want,
                    fmt::format("read {:02X}, part {} expects {:02X}", fmt::join(id, " "),
                                part.name, fmt::join(want, " ")));
  } else {
    not_run.push_back("identity/jedec: the target does not report a JEDEC ID");
  }
  if (rig.identity.contains("sfdp")) {
    const json& s = rig.identity["sfdp"];
    std::vector<uint32_t> want_erase;
    for (const auto& e : part.erase_types) want_erase.push_back(e.size_bytes);
    const auto got_erase = s.value("erase_sizes_bytes", std::vector<uint32_t>{});
    const bool ok = s.value("size_bytes", 0u) == part.size_bytes &&
                    s.value("page_bytes", 0u) == part.page_bytes && got_erase == want_erase;
    report.AddCheck(
        "qualify/identity/sfdp", ok,
        fmt::format("SFDP: {} bytes, {}-byte pages, erase sizes {}; part JSON: {} "
                    "bytes, {}-byte pages, erase sizes {}",
                    s.value("size_bytes", 0u), s.value("page_bytes", 0u), fmt::join(got_erase, "/"),
                    part.size_bytes, part.page_bytes, fmt::join(want_erase, "/")));
  } else {
    not_run.push_back("identity/sfdp: the target does not report SFDP parameters");
  }
}

// Samples one timed operation kind; returns its latency figure and adds the check.
Status SampleTiming(Rig& rig, RigReport& report, const char* op, uint32_t size,
                    const driver::OpTiming& datasheet, uint32_t samples, json& timing) {
  driver::Flash& flash = *rig.flash;
  const uint32_t sector = flash.geometry().erase_size_bytes;
  const uint32_t region = std::max(size, sector);
  const uint32_t slots = flash.geometry().size_bytes / region;
  LatencyStats stats;
  std::vector<std::byte> data(size, std::byte{0x3C});
  uint64_t op_ns = 0, busy_ns = 0;
  for (uint32_t i = 0; i < samples; ++i) {
    const uint32_t address = (i % slots) * region;
    if (std::string_view(op) == "program") {
      FLASHRIG_TRY(flash.Erase(address, region));  // Untimed: program needs erased cells.
      FLASHRIG_TRY(TimeOp(
          rig, driver::BusyKind::kProgram, [&] { return flash.Program(address, data); }, &op_ns,
          &busy_ns));
    } else {
      FLASHRIG_TRY(TimeOp(
          rig, driver::BusyKind::kErase, [&] { return flash.Erase(address, size); }, &op_ns,
          &busy_ns));
    }
    stats.Add(busy_ns);  // tPP / tSE / tBE are busy times: the datasheet's definition.
  }
  const double max_us = double(stats.max_ns()) / 1000.0;
  timing.push_back({{"op", op},
                    {"busy_source", rig.busy_total ? "driver WIP polling" : "operation time"},
                    {"size_bytes", size},
                    {"typical_us", datasheet.typical_us},
                    {"max_us", datasheet.max_us},
                    {"latency", stats.ToJson()}});
  report.AddCheck(fmt::format("qualify/timing/{}_{}", op, size),
                  datasheet.max_us == 0 || max_us <= double(WithTolerance(datasheet.max_us)),
                  fmt::format("p50 {:.1f} us, max {:.1f} us; datasheet typical {} us, max {} us",
                              double(stats.Percentile(50)) / 1000.0, max_us, datasheet.typical_us,
                              datasheet.max_us));
  return Status::Ok();
}

Status CheckIntegrity(Rig& rig, RigReport& report, uint64_t seed) {
  driver::Flash& flash = *rig.flash;
  const uint32_t sector = flash.geometry().erase_size_bytes;
  std::vector<std::byte> data(sector), back(sector);
  uint64_t errors = 0;
  std::vector<std::string> names;
  for (DataPattern p : {DataPattern::kZeros, DataPattern::k55AA, DataPattern::kRandom,
                        DataPattern::kIncrementing}) {
    FillPattern(p, seed, 7, data);
    FLASHRIG_TRY(flash.Erase(0, sector));
    FLASHRIG_TRY(flash.Program(0, data));
    FLASHRIG_TRY(flash.Read(0, back));
    errors += BitErrors(data, back);
    names.push_back(DataPatternName(p));
  }
  report.AddCheck(
      "qualify/read_back", errors == 0,
      fmt::format("{} bit errors over one sector in patterns {}", errors, fmt::join(names, ", ")));
  return Status::Ok();
}

// Runs a nested campaign and folds its checks ("qualify/" prefix) and figures in.
Status RunNested(Campaign& campaign, CampaignContext& ctx, RigReport& report, const char* key) {
  RigReport sub;
  CampaignContext nested = ctx;
  nested.resume_state = nullptr;
  nested.checkpoint = nullptr;  // Qualify restarts nested runs; they are short by design.
  const Status s = campaign.Run(nested, sub);
  for (auto& c : sub.checks) report.AddCheck("qualify/" + c.name, c.passed, c.message);
  if (sub.figures.contains(key)) report.figures[key] = sub.figures[key];
  if (!s.ok()) report.error = sub.error;
  return s;
}

}  // namespace

std::string QualifyCampaign::CheckRig(const Rig& rig) const {
  if (!rig.part) {
    return "rig \"" + rig.name +
           "\" has no part description: qualify needs a sim: target or a "
           "chip found in the part database";
  }
  if (rig.flash->geometry().sector_count() < 2) return "qualify needs at least two sectors";
  return "";
}

Status QualifyCampaign::Run(CampaignContext& ctx, RigReport& report) {
  Rig& rig = *ctx.rig;
  const driver::ChipModel& part = *rig.part;
  const uint64_t seed = ctx.config ? ctx.config->seed : 1;
  json not_run = json::array(), timing = json::array();
  Status device = Status::Ok();
  const auto step = [&](double f, const char* what) { ctx.Progress(f, what); };

  step(0.0, "identity");
  CheckIdentity(rig, report, not_run);
  if (rig.check_protection) {
    const std::string why = rig.check_protection();
    report.AddCheck(
        "qualify/protection", why.empty(),
        why.empty() ? "block-protect bits refused a program in the protected range" : why);
  } else {
    not_run.push_back("protection: the target cannot drive status registers");
  }

  step(0.1, "timing");
  device = SampleTiming(rig, report, "program", part.page_bytes, part.page_program,
                        config_.timing_samples, timing);
  for (const auto& e : part.erase_types) {
    if (!device.ok() || ctx.StopRequested()) break;
    if (e.size_bytes > rig.flash->geometry().size_bytes) {
      not_run.push_back(fmt::format("timing/erase_{}: larger than the partition", e.size_bytes));
      continue;
    }
    device =
        SampleTiming(rig, report, "erase", e.size_bytes, e.time, config_.timing_samples, timing);
  }
  if (device.ok() && !ctx.StopRequested()) {
    step(0.4, "read-back integrity");
    device = CheckIntegrity(rig, report, seed);
  }
  if (device.ok() && !ctx.StopRequested() && config_.endurance_cycles > 0) {
    step(0.5, "sampled endurance");
    EnduranceConfig e;
    e.sectors = {rig.flash->geometry().sector_count() - 1};
    e.cycles = config_.endurance_cycles;
    e.curve_points = 100;
    EnduranceCampaign endurance(e);
    device = RunNested(endurance, ctx, report, "endurance");
  }
  if (device.ok() && !ctx.StopRequested() && config_.power_loss_operations > 0) {
    PowerLossConfig p;
    p.operations = config_.power_loss_operations;
    p.schedule = CutSchedule::kLogSpaced;
    p.cut_count = 16;
    PowerLossCampaign power_loss(p, kv_);
    const std::string why = power_loss.CheckRig(rig);
    if (why.empty()) {
      step(0.8, "power loss");
      device = RunNested(power_loss, ctx, report, "power_loss");
    } else {
      not_run.push_back("power_loss: " + why);
    }
  }
  report.figures["qualify"] = {{"part", part.name},
                               {"vendor", part.vendor},
                               {"timing_source", TimingSourceName(rig.timing)},
                               {"identity", rig.identity},
                               {"timing", timing},
                               {"not_run", not_run}};
  if (!device.ok() && report.error.empty()) {
    report.error = fmt::format("device error: {}", device.str());
  }
  report.status = report.EndStatus(device.ok(), ctx.StopRequested());
  return device;
}

}  // namespace flashrig::hil
