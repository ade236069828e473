// Qualify campaign: runs the part through identity, protection, timing, integrity,
// endurance and power-loss checks and compares against the part's datasheet values.
#include "flashrig/hil/campaigns/qualify_campaign.h"

#include <fmt/format.h>

#include "flashrig/hil/campaigns/endurance_campaign.h"
#include "flashrig/hil/campaigns/power_loss_campaign.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/report/latency_histogram.h"
#include "qualify_sfdp.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

// JESD216 stores a typical time as count (1..32) x unit; an encoder must use the smallest
// unit that reaches the value, so the BFPT cannot say it more finely than that unit.
uint64_t SfdpStepUs(uint64_t us, std::span<const uint64_t> units_us) {
  for (uint64_t unit : units_us) {
    if (us <= 32 * unit) return unit;
  }
  return units_us.back();
}

// Compares one SFDP time pair with the datasheet's. Typical: within one encoding step
// (the BFPT's resolution at that magnitude; our generator rounds up, vendors may round to
// nearest). Maximum: SFDP max = typical x a multiplier shared by all erase types (DWORD
// 10) or by page/chip program (DWORD 11), so it may exceed the datasheet's; it must not
// fall below it beyond the typical's step scaled by that multiplier, or a driver timing
// out on SFDP values would abort operations the datasheet allows.
void CheckSfdpTime(RigReport& report, json& table, const std::string& op, uint64_t sfdp_typ,
                   uint64_t sfdp_max, const driver::OpTiming& datasheet,
                   std::span<const uint64_t> units_us) {
  const uint64_t step = SfdpStepUs(datasheet.typical_us, units_us);
  const uint64_t multiplier = sfdp_typ > 0 ? sfdp_max / sfdp_typ : 0;
  const uint64_t diff = sfdp_typ > datasheet.typical_us ? sfdp_typ - datasheet.typical_us
                                                        : datasheet.typical_us - sfdp_typ;
  const bool typical_ok = sfdp_typ > 0 && diff <= step;
  const bool max_ok = sfdp_max + multiplier * step >= datasheet.max_us;
  const bool ok = typical_ok && max_ok;
  table.push_back({{"op", op},
                   {"sfdp_typical_us", sfdp_typ},
                   {"sfdp_max_us", sfdp_max},
                   {"datasheet_typical_us", datasheet.typical_us},
                   {"datasheet_max_us", datasheet.max_us},
                   {"tolerance_us", step},
                   {"passed", ok}});
  report.AddCheck(
      "qualify/identity/sfdp_timing/" + op, ok,
      fmt::format("SFDP typ {} us, max {} us; datasheet typ {} us, max {} us; typical must be "
                  "within {} us (one BFPT step), SFDP max not below the datasheet max{}",
                  sfdp_typ, sfdp_max, datasheet.typical_us, datasheet.max_us, step,
                  ok            ? ""
                  : !typical_ok ? " - typical differs"
                                : " - SFDP max is below the datasheet max"));
}

void CheckSfdpTimes(const driver::ChipModel& part, const json& s, RigReport& report, json& table,
                    json& not_run) {
  static constexpr uint64_t kEraseUnitsUs[] = {1000, 16000, 128000, 1000000};
  static constexpr uint64_t kProgramUnitsUs[] = {8, 64};
  static constexpr uint64_t kChipUnitsUs[] = {16000, 256000, 4000000, 64000000};
  const json times = s.value("erase_times", json::array());
  for (const auto& e : part.erase_types) {
    const std::string op = fmt::format("erase_{}", e.size_bytes);
    const json* found = nullptr;
    for (const auto& t : times) {
      if (t.value("size_bytes", 0u) == e.size_bytes) found = &t;
    }
    if (found == nullptr) {
      not_run.push_back("identity/sfdp_timing/" + op + ": SFDP gives no time for this size");
      continue;
    }
    CheckSfdpTime(report, table, op, found->value("typical_us", uint64_t{0}),
                  found->value("max_us", uint64_t{0}), e.time, kEraseUnitsUs);
  }
  if (s.value("page_program_typical_us", uint64_t{0}) > 0) {
    CheckSfdpTime(report, table, "page_program", s.value("page_program_typical_us", uint64_t{0}),
                  s.value("page_program_max_us", uint64_t{0}), part.page_program, kProgramUnitsUs);
  } else {
    not_run.push_back("identity/sfdp_timing/page_program: the BFPT has no DWORD 11");
  }
  if (s.value("chip_erase_typical_us", uint64_t{0}) > 0 && part.chip_erase.typical_us > 0) {
    CheckSfdpTime(report, table, "chip_erase", s.value("chip_erase_typical_us", uint64_t{0}),
                  s.value("chip_erase_max_us", uint64_t{0}), part.chip_erase, kChipUnitsUs);
  }
}

void CheckIdentity(const Rig& rig, RigReport& report, json& not_run, json& sfdp_timing,
                   json& sfdp_findings) {
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
  CheckSfdpAgainstPart(rig, report, not_run, sfdp_findings);
  if (rig.identity.contains("sfdp")) {
    CheckSfdpTimes(part, rig.identity["sfdp"], report, sfdp_timing, not_run);
  } else {
    not_run.push_back("identity/sfdp_timing: the target does not report SFDP parameters");
  }
}

void CheckProtection(const Rig& rig, RigReport& report, json& not_run) {
  if (rig.part->block_protect.bp_bit_positions.empty()) {
    not_run.push_back("protection: the part file gives no block_protect layout");
  } else if (rig.check_protection) {
    const std::string why = rig.check_protection();
    report.AddCheck(
        "qualify/protection", why.empty(),
        why.empty() ? "block-protect bits refused a program in the protected range" : why);
  } else {
    not_run.push_back("protection: the target cannot drive status registers");
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

// The part file a target URL names ("sim:configs/parts/x.json?seed=1"), or "".
std::string PartFileOf(const std::string& target) {
  for (const char* scheme : {"sim:", "ftdi-emu:"}) {
    if (!target.starts_with(scheme)) continue;
    const std::string rest = target.substr(std::string_view(scheme).size());
    const std::string path = rest.substr(0, rest.find('?'));
    if (path.ends_with(".json")) return path;
  }
  return "";
}

}  // namespace

uint64_t QualifyRigCost(const QualifyConfig& config, const RigConfig& rig) {
  uint64_t tpp = 700, tse = 45000, erase_sum = 45000 + 120000 + 150000, sector = 4096, page = 256;
  if (const std::string file = PartFileOf(rig.target); !file.empty()) {
    ConfigErrors ignored;  // A broken part file is reported when the rig is opened.
    if (auto part = LoadPartFile(file, &ignored); part && !part->erase_types.empty()) {
      tpp = part->page_program.typical_us;
      tse = part->erase_types.front().time.typical_us;
      sector = part->erase_types.front().size_bytes;
      page = part->page_bytes;
      erase_sum = 0;
      for (const auto& e : part->erase_types) erase_sum += e.time.typical_us;
    }
  }
  const uint64_t timing = uint64_t{config.timing_samples} * (tpp + tse + erase_sum);
  const uint64_t endurance =
      config.endurance_cycles * (tse + sector / std::max<uint64_t>(page, 1) * tpp);
  const uint64_t power_loss = uint64_t{config.power_loss_operations} * 16 * (tpp + tse);
  return timing + endurance + power_loss + 1;
}

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
  json not_run = json::array(), timing = json::array(), sfdp_timing = json::array();
  json sfdp_findings = json::array();
  Status device = Status::Ok();
  const auto step = [&](double f, const char* what) { ctx.Progress(f, what); };
  // An in-process device starts from the campaign's seed, whatever ran before it in this
  // process: a rig qualifies the same in a shard as in a single run.
  if (rig.reseed) rig.reseed(seed ^ 0x9A11F7ull);

  step(0.0, "identity");
  CheckIdentity(rig, report, not_run, sfdp_timing, sfdp_findings);
  CheckProtection(rig, report, not_run);

  step(0.1, "timing");
  device = SampleTiming(rig, report, "program", part.page_bytes, part.page_program,
                        config_.timing_samples, timing);
  const std::vector<uint32_t> used = rig.identity.value("erase_ops_bytes", std::vector<uint32_t>{});
  for (const auto& e : part.erase_types) {
    if (!device.ok() || ctx.StopRequested()) break;
    if (e.size_bytes > rig.flash->geometry().size_bytes) {
      not_run.push_back(fmt::format("timing/erase_{}: larger than the partition", e.size_bytes));
      continue;
    }
    if (!used.empty() && std::find(used.begin(), used.end(), e.size_bytes) == used.end()) {
      not_run.push_back(
          fmt::format("timing/erase_{}: the driver does not use this erase type (no 4-byte opcode)",
                      e.size_bytes));
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
                               {"sfdp", sfdp_findings},
                               {"sfdp_timing", sfdp_timing},
                               {"timing", timing},
                               {"not_run", not_run}};
  if (!device.ok() && report.error.empty()) {
    report.error = fmt::format("device error: {}", device.str());
  }
  report.status = report.EndStatus(device.ok(), ctx.StopRequested());
  return device;
}

}  // namespace flashrig::hil
