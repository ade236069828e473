// Throughput campaign: timed raw operations over the rig's partition.
#include "flashrig/hil/campaigns/throughput_campaign.h"

#include <fmt/format.h>

#include <vector>

#include "flashrig/hil/campaigns/kv_mix.h"
#include "flashrig/hil/report/latency_histogram.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

uint32_t RoundUp(uint32_t n, uint32_t unit) { return (n + unit - 1) / unit * unit; }

// Runs `iterations` timed operations of one kind and size. Program targets are erased
// (untimed) just before they are needed, walking the partition so no sector is reused
// until a pass wraps around.
struct RawBench {
  Rig& rig;
  driver::Flash& flash;
  Clock& clock;
  uint64_t seed;
  // Sector must be erased before the program pass reaches it (unknown content at start,
  // and again after each wrap of the program cursor).
  std::vector<bool> needs_erase;
  uint64_t busy_max_ns = 0;  // Largest chip busy time of the current item.
  uint32_t program_cursor = 0;
  uint64_t verify_errors = 0;

  Status EnsureErased(uint32_t address, uint32_t size) {
    const uint32_t sector = flash.geometry().erase_size_bytes;
    for (uint32_t s = address / sector; s <= (address + size - 1) / sector; ++s) {
      if (needs_erase[s]) {
        FLASHRIG_TRY(flash.Erase(s * sector, sector));
        needs_erase[s] = false;
      }
    }
    return Status::Ok();
  }

  Status Run(RawOp op, uint32_t size, uint32_t iterations, LatencyStats& stats,
             const std::function<bool()>& stop) {
    const uint32_t part = flash.geometry().size_bytes;
    const uint32_t sector = flash.geometry().erase_size_bytes;
    std::vector<std::byte> buf(size), back(size);
    uint32_t cursor = 0;
    for (uint32_t i = 0; i < iterations && !stop(); ++i) {
      if (op == RawOp::kRead) {
        if (cursor + size > part) cursor = 0;
        const auto t0 = clock.Now();
        FLASHRIG_TRY(flash.Read(cursor, buf));
        stats.Add(ElapsedNs(clock, t0));
        cursor += size;
      } else if (op == RawOp::kErase) {
        const uint32_t n = RoundUp(size, sector);
        if (cursor + n > part) cursor = 0;
        uint64_t op_ns = 0, busy_ns = 0;
        FLASHRIG_TRY(TimeOp(
            rig, driver::BusyKind::kErase, [&] { return flash.Erase(cursor, n); }, &op_ns,
            &busy_ns));
        stats.Add(op_ns);
        busy_max_ns = std::max(busy_max_ns, busy_ns);
        for (uint32_t s = cursor / sector; s < (cursor + n) / sector; ++s) needs_erase[s] = false;
        cursor += n;
      } else {
        if (program_cursor + size > part) {
          program_cursor = 0;
          std::fill(needs_erase.begin(), needs_erase.end(), true);
        }
        FLASHRIG_TRY(EnsureErased(program_cursor, size));
        FillPattern(DataPattern::kRandom, seed, (uint64_t{size} << 32) | i, buf);
        uint64_t op_ns = 0, busy_ns = 0;
        FLASHRIG_TRY(TimeOp(
            rig, driver::BusyKind::kProgram, [&] { return flash.Program(program_cursor, buf); },
            &op_ns, &busy_ns));
        stats.Add(op_ns);
        busy_max_ns = std::max(busy_max_ns, busy_ns);
        // Read-back (untimed) proves the bytes we timed really landed.
        FLASHRIG_TRY(flash.Read(program_cursor, back));
        verify_errors += BitErrors(buf, back);
        program_cursor += size;
      }
    }
    return Status::Ok();
  }
};

// The datasheet maximum that applies to one raw operation, in ns; 0 = unknown.
uint64_t DatasheetMaxNs(const Rig& rig, RawOp op, uint32_t size) {
  if (!rig.part) return 0;
  const auto& part = *rig.part;
  if (op == RawOp::kProgram && size <= part.page_bytes) return part.page_program.max_us * 1000;
  if (op == RawOp::kErase) {
    for (const auto& e : part.erase_types) {
      if (e.size_bytes == size) return e.time.max_us * 1000;
    }
  }
  return 0;
}

// One (operation, size) item: `iterations` timed operations on `bench`. *result: the
// item's figures, left null if a stop request cut the sample set short.
Status RunRawItem(RawBench& bench, RawOp op, uint32_t size, uint32_t iterations,
                  const std::function<bool()>& stop, json* result) {
  LatencyStats stats;
  const uint64_t errors_before = bench.verify_errors;
  bench.busy_max_ns = 0;
  FLASHRIG_TRY(bench.Run(op, size, iterations, stats, stop));
  // A partial sample set would skew percentiles; the item is left for --resume.
  if (stats.count() < iterations) return Status::Ok();
  const uint32_t flash_bytes =
      op == RawOp::kErase ? RoundUp(size, bench.flash.geometry().erase_size_bytes) : size;
  const double seconds = double(stats.total_ns()) / 1e9;
  *result = {
      {"op", RawOpName(op)},
      {"size_bytes", size},
      {"flash_bytes_per_op", flash_bytes},
      {"ops_per_s", seconds > 0 ? double(stats.count()) / seconds : 0.0},
      {"mb_per_s", seconds > 0 ? double(flash_bytes) * double(stats.count()) / seconds / 1e6 : 0.0},
      {"latency", stats.ToJson()},
      {"datasheet_max_ns", DatasheetMaxNs(bench.rig, op, size)},
      {"busy_max_ns", op == RawOp::kRead ? 0 : bench.busy_max_ns},
      {"verify_bit_errors", bench.verify_errors - errors_before}};
  return Status::Ok();
}

// The estimated cost of one item, for even shards. Modelled rigs cost host CPU, which
// goes with the bytes the simulator moves; measured rigs cost the chip's busy time, for
// which the part's typical times (or common NOR values) stand in.
uint64_t RawItemCost(const Rig& rig, RawOp op, uint32_t size, uint32_t iterations) {
  const auto& g = rig.flash->geometry();
  const uint32_t erase_bytes = RoundUp(size, g.erase_size_bytes);
  uint64_t per_op = 0;
  if (rig.timing == TimingSource::kModelled) {
    per_op = 64 + (op == RawOp::kErase ? erase_bytes / 16
                                       : uint64_t{size} * (op == RawOp::kProgram ? 2 : 1));
  } else {
    const uint64_t tpp = rig.part ? rig.part->page_program.typical_us : 700;
    const uint64_t tse = rig.part && !rig.part->erase_types.empty()
                             ? rig.part->erase_types.front().time.typical_us
                             : 45000;
    const uint64_t pages = (size + g.program_page_bytes - 1) / g.program_page_bytes;
    per_op = op == RawOp::kRead      ? 10 + size / 4
             : op == RawOp::kProgram ? pages * tpp + tse * size / g.erase_size_bytes
                                     : tse * (erase_bytes / g.erase_size_bytes);
  }
  return per_op * iterations;
}

uint64_t KvMixCost(const KvMixConfig& mix) {
  return uint64_t{mix.operations} * (200 + (mix.value_min_bytes + mix.value_max_bytes) / 2);
}

// The checks of one finished raw item (its figures `r`).
void AddRawChecks(const json& r, RigReport& report) {
  const std::string name = fmt::format("throughput/{}/{}", r.at("op").get<std::string>(),
                                       r.at("size_bytes").get<uint32_t>());
  const uint64_t max_ns = r.at("latency").at("max_ns").get<uint64_t>();
  const uint64_t busy_max_ns = r.at("busy_max_ns").get<uint64_t>();
  const uint64_t limit = r.at("datasheet_max_ns").get<uint64_t>();
  const uint64_t errors = r.at("verify_bit_errors").get<uint64_t>();
  report.AddCheck(name + "/completed", errors == 0,
                  errors == 0 ? fmt::format("{} ops, p50 {} ns, max {} ns",
                                            r.at("latency").at("count").get<uint64_t>(),
                                            r.at("latency").at("p50_ns").get<uint64_t>(), max_ns)
                              : fmt::format("{} bit errors reading back programmed data", errors));
  if (limit > 0) {
    // The datasheet bounds the chip's busy time, not the bus transfer around it.
    report.AddCheck(name + "/within_datasheet_max", busy_max_ns <= WithTolerance(limit),
                    fmt::format("busy max {} ns, datasheet max {} ns (+{}%)", busy_max_ns, limit,
                                kBusyMaxTolerancePercent));
  }
}

// Figures and checks from every finished item (this run's and resumed ones).
void ReportFinishedItems(json& state, size_t total, const Rig& rig, RigReport& report) {
  json raw = json::array(), kv = json::array();
  for (size_t item = 0; item < total; ++item) {
    const std::string key = std::to_string(item);
    if (state["raw"].contains(key)) {
      raw.push_back(state["raw"][key]);
      raw.back()["item"] = item;
    } else if (state["kv"].contains(key)) {
      kv.push_back(state["kv"][key]);
      kv.back()["item"] = item;
    }
  }
  report.figures["throughput"] = {
      {"timing", TimingSourceName(rig.timing)}, {"raw", raw}, {"kv", kv}};
  AddThroughputChecks(report.figures["throughput"], report);
}

}  // namespace

void AddThroughputChecks(const json& figures, RigReport& report) {
  for (const json& r : figures.at("raw")) AddRawChecks(r, report);
  for (const json& r : figures.at("kv")) {
    report.AddCheck("throughput/kv/" + r.at("name").get<std::string>(),
                    r.at("failures").get<uint64_t>() == 0, r.at("summary").get<std::string>());
  }
}

std::string ThroughputCampaign::CheckRig(const Rig& rig) const {
  const auto& g = rig.flash->geometry();
  for (uint32_t size : config_.sizes_bytes) {
    if (RoundUp(size, g.erase_size_bytes) > g.size_bytes) {
      return fmt::format("/throughput/sizes_bytes: {} bytes does not fit the {}-byte partition",
                         size, g.size_bytes);
    }
  }
  if (!config_.kv_mixes.empty()) return KvMixUnsupportedReason(rig, kv_);
  return "";
}

Status ThroughputCampaign::Run(CampaignContext& ctx, RigReport& report) {
  Rig& rig = *ctx.rig;
  RawBench bench{rig, *rig.flash, *rig.clock, seed_,
                 std::vector<bool>(rig.flash->geometry().sector_count(), true)};
  // Resume: results of finished items are kept in the checkpoint state.
  json state = ctx.resume_state.is_object() ? ctx.resume_state : json::object();
  if (!state.contains("raw")) state["raw"] = json::object();
  if (!state.contains("kv")) state["kv"] = json::object();
  const auto stop = [&ctx] { return ctx.StopRequested(); };

  const size_t raw_items = config_.operations.size() * config_.sizes_bytes.size();
  const size_t total = raw_items + config_.kv_mixes.size();
  std::vector<uint64_t> costs;
  for (size_t item = 0; item < total; ++item) {
    costs.push_back(item >= raw_items
                        ? KvMixCost(config_.kv_mixes[item - raw_items])
                        : RawItemCost(rig, config_.operations[item / config_.sizes_bytes.size()],
                                      config_.sizes_bytes[item % config_.sizes_bytes.size()],
                                      config_.iterations));
  }
  const std::vector<bool> owned = OwnedItems(ctx.shard, costs);
  Status device = Status::Ok();
  bool interrupted = false;
  for (size_t item = 0; item < total && device.ok(); ++item) {
    if (!owned[item]) continue;
    if (ctx.StopRequested()) {
      interrupted = true;
      break;
    }
    const std::string key = std::to_string(item);
    if (state["raw"].contains(key) || state["kv"].contains(key)) continue;
    ctx.Progress(double(item) / double(total), fmt::format("item {}/{}", item + 1, total));
    // Each item starts from its own seed and a fresh erase plan, so it measures the same
    // whichever items ran before it in this process (shards merge exactly).
    if (rig.reseed) rig.reseed(seed_ ^ ((item + 1) * 0xD6E8FEB86659FD93ull));
    bench.program_cursor = 0;
    std::fill(bench.needs_erase.begin(), bench.needs_erase.end(), true);
    if (item >= raw_items) {
      const KvMixConfig& mix = config_.kv_mixes[item - raw_items];
      json result;
      device = RunKvMix(rig, kv_, mix, seed_ + item, stop, &result);
      if (!device.ok()) {
        report.error = fmt::format("kv mix {}: {}", mix.name, device.str());
        break;
      }
      if (ctx.StopRequested()) {
        interrupted = true;
        break;
      }
      state["kv"][key] = result;
      ctx.Checkpoint(state);
      continue;
    }
    const RawOp op = config_.operations[item / config_.sizes_bytes.size()];
    const uint32_t size = config_.sizes_bytes[item % config_.sizes_bytes.size()];
    json result;
    device = RunRawItem(bench, op, size, config_.iterations, stop, &result);
    if (!device.ok()) {
      report.error = fmt::format("{} {} bytes: {}", RawOpName(op), size, device.str());
      break;
    }
    if (result.is_null()) {
      interrupted = true;
      break;
    }
    state["raw"][key] = result;
    ctx.Checkpoint(state);
  }

  ReportFinishedItems(state, total, rig, report);
  ctx.Checkpoint(state, /*force=*/true);
  report.status = report.EndStatus(device.ok(), interrupted);
  return device;
}

}  // namespace flashrig::hil
