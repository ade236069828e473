// HTML rendering of a Report. Figures are read defensively: a report from an older or
// partial run may lack any of them, and the page must still render.
#include "flashrig/hil/report/html_report.h"

#include <fmt/format.h>

#include "flashrig/hil/report/junit.h"  // XmlEscape
#include "svg_charts.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

std::string Esc(const std::string& s) { return XmlEscape(s); }

std::string Str(const json& j, const char* key) {
  if (!j.contains(key)) return "";
  return j[key].is_string() ? j[key].get<std::string>()
                            : j[key].dump(-1, ' ', false, json::error_handler_t::replace);
}

double Num(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

std::string LatencyCells(const json& lat) {
  return fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", Num(lat, "count"),
                     svg::FormatNs(Num(lat, "p50_ns")), svg::FormatNs(Num(lat, "p90_ns")),
                     svg::FormatNs(Num(lat, "p99_ns")), svg::FormatNs(Num(lat, "max_ns")));
}

std::string HistogramOf(const std::string& title, const json& lat) {
  if (!lat.contains("histogram")) return "";
  const json& h = lat["histogram"];
  const auto edges = h.value("edges_ns", std::vector<uint64_t>{});
  const auto counts = h.value("counts", std::vector<uint64_t>{});
  if (counts.empty() || edges.size() != counts.size() + 1) return "";
  return "<figure>" + svg::Histogram(title, edges, counts) + "</figure>";
}

std::string Throughput(const json& t) {
  std::string s = fmt::format("<h3>Throughput ({} times)</h3>", Esc(Str(t, "timing")));
  s += "<table><tr><th>operation</th><th>size</th><th>ops/s</th><th>MB/s</th><th>samples</th>"
       "<th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>";
  std::string charts;
  for (const auto& r : t.value("raw", json::array())) {
    const json lat = r.value("latency", json::object());
    s += fmt::format("<tr><td>{}</td><td>{} B</td><td>{:.1f}</td><td>{:.3f}</td>{}</tr>",
                     Esc(Str(r, "op")), Num(r, "size_bytes"), Num(r, "ops_per_s"),
                     Num(r, "mb_per_s"), LatencyCells(lat));
    charts += HistogramOf(fmt::format("{} {} B latency", Str(r, "op"), Num(r, "size_bytes")), lat);
  }
  s += "</table>";
  for (const auto& mix : t.value("kv", json::array())) {
    s += fmt::format(
        "<h4>KV mix {}</h4><p>{}</p><table><tr><th>operation</th><th>ops/s</th>"
        "<th>flash bytes/op</th><th>SPI "
        "transactions/op</th><th>samples</th><th>p50</th><th>p90</th><th>p99</th>"
        "<th>max</th></tr>",
        Esc(Str(mix, "name")), Esc(Str(mix, "summary")));
    const json ops = mix.value("ops", json::object());  // items() must not outlive it.
    for (const auto& [op, r] : ops.items()) {
      const json lat = r.value("latency", json::object());
      s += fmt::format("<tr><td>{}</td><td>{:.1f}</td><td>{:.1f}</td><td>{}</td>{}</tr>", Esc(op),
                       Num(r, "ops_per_s"), Num(r, "flash_bytes_per_op"),
                       r.contains("spi_transactions_per_op")
                           ? fmt::format("{:.1f}", Num(r, "spi_transactions_per_op"))
                           : std::string("-"),
                       LatencyCells(lat));
      charts += HistogramOf(fmt::format("KV {} {} latency", Str(mix, "name"), op), lat);
    }
    s += "</table>";
  }
  return s + "<div class=charts>" + charts + "</div>";
}

std::string Endurance(const json& e) {
  std::string s = fmt::format(
      "<h3>Endurance ({} times)</h3><p>{} of {} cycles; stop: {}; {} bit errors; {} operations "
      "over the datasheet maximum.</p>",
      Esc(Str(e, "timing")), Num(e, "cycles_done"), Num(e, "target_cycles"),
      Esc(Str(e, "stop_reason")), Num(e, "bit_errors"), Num(e, "over_max_events"));
  std::vector<double> x, erase_mean, erase_max, program_mean, errors;
  for (const auto& p : e.value("curve", json::array())) {
    x.push_back(Num(p, "cycle"));
    erase_mean.push_back(Num(p, "erase_us_mean"));
    erase_max.push_back(Num(p, "erase_us_max"));
    program_mean.push_back(Num(p, "program_us_mean"));
    errors.push_back(Num(p, "bit_errors"));
  }
  s += "<div class=charts><figure>" +
       svg::LineChart(
           "Erase busy time vs cycle", "cycle", "us", x,
           {{"erase mean (us)", "#4a7ebb", erase_mean}, {"erase max (us)", "#e08a1e", erase_max}},
           Num(e, "erase_max_us"), "datasheet max") +
       "</figure><figure>" +
       svg::LineChart("Program busy time per sector vs cycle", "cycle", "us", x,
                      {{"program mean (us)", "#2f8f4e", program_mean}}) +
       "</figure><figure>" +
       svg::LineChart("Bit errors vs cycle", "cycle", "bit errors", x,
                      {{"bit errors", "#c0392b", errors}}) +
       "</figure>";
  const uint32_t sectors = static_cast<uint32_t>(Num(e, "sector_count"));
  if (sectors > 0 && sectors <= (1u << 16)) {
    std::vector<double> wear(sectors, -1);
    for (const auto& w : e.value("sectors", json::array())) {
      const auto index = static_cast<uint32_t>(Num(w, "index"));
      if (index < sectors) wear[index] = Num(w, "cycles");
    }
    uint32_t columns = 1;
    while (columns * columns < sectors) columns *= 2;
    s += "<figure>" +
         svg::HeatMap("Wear per sector (P/E cycles this run)", wear, columns, "cycles") +
         "</figure>";
  }
  s += "</div><table><tr><th>sector</th><th>cycles</th><th>bit errors</th><th>last erase</th>"
       "<th>max erase</th></tr>";
  for (const auto& w : e.value("sectors", json::array())) {
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{} us</td><td>{} us</td></tr>",
                     Num(w, "index"), Num(w, "cycles"), Num(w, "bit_errors"),
                     Num(w, "erase_us_last"), Num(w, "erase_us_max"));
  }
  return s + "</table>";
}

// "123 us of erase 4096 (typ 45000 us)" when the cut's place in the op is known.
std::string CutInto(const json& o) {
  if (!o.contains("offset_us") || !o["offset_us"].is_number()) return "";
  std::string op = Str(o, "cut_op");
  if (o.value("erase_size_bytes", 0) > 0) op += fmt::format(" {}", Num(o, "erase_size_bytes"));
  return Esc(
      fmt::format("{} us into {} (typ {} us)", Num(o, "offset_us"), op, Num(o, "typical_us")));
}

std::string PowerLoss(const json& p) {
  std::string s = fmt::format(
      "<h3>Power loss</h3><p>{} KV operations ({} mutating flash operations); schedule {}; {} "
      "cut points by {}; <b>{} "
      "failed</b>.</p><table><tr><th>cut</th><th>effect</th><th>interrupted "
      "op</th><th>cut into op</th><th>outcome</th><th>detail</th><th>replay</th></tr>",
      Num(p, "kv_ops"), Num(p, "mutating_ops"), Esc(Str(p, "schedule")), Num(p, "cut_points"),
      Esc(p.value("method", std::string("exact"))), Num(p, "failures"));
  std::vector<svg::Outcome> strip;
  for (const auto& o : p.value("outcomes", json::array())) {
    strip.push_back({static_cast<uint64_t>(Num(o, "cut")), Str(o, "outcome") == "ok",
                     Str(o, "op") + ", " + Str(o, "effect")});
  }
  if (!strip.empty()) {
    // The strip goes between the summary and the table.
    const size_t table = s.find("<table>");
    s.insert(table, "<figure>" + svg::OutcomeStrip("Power-loss outcomes", strip) + "</figure>");
  }
  for (const auto& o : p.value("outcomes", json::array())) {
    const bool ok = Str(o, "outcome") == "ok";
    s += fmt::format(
        "<tr class={}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td><code>{}</code>{}</td></tr>",
        ok ? "pass" : "fail", Num(o, "cut"), Esc(Str(o, "effect")), Esc(Str(o, "op")), CutInto(o),
        Esc(Str(o, "outcome")), Esc(Str(o, "detail")), Esc(Str(o, "replay")),
        Str(o, "image").empty() ? "" : "<br>image: " + Esc(Str(o, "image")));
  }
  return s + "</table>";
}

std::string Qualify(const json& q) {
  std::string s = fmt::format("<h3>Qualification of {} {} ({} times)</h3>", Esc(Str(q, "vendor")),
                              Esc(Str(q, "part")), Esc(Str(q, "timing_source")));
  s += "<table><tr><th>operation</th><th>size</th><th>datasheet typ</th><th>datasheet max</th>"
       "<th>samples</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>";
  std::string charts;
  for (const auto& t : q.value("timing", json::array())) {
    const json lat = t.value("latency", json::object());
    s += fmt::format("<tr><td>{}</td><td>{} B</td><td>{} us</td><td>{} us</td>{}</tr>",
                     Esc(Str(t, "op")), Num(t, "size_bytes"), Num(t, "typical_us"),
                     Num(t, "max_us"), LatencyCells(lat));
    charts += HistogramOf(fmt::format("{} {} B", Str(t, "op"), Num(t, "size_bytes")), lat);
  }
  s += "</table><div class=charts>" + charts + "</div>";
  const json sfdp = q.value("sfdp_timing", json::array());
  if (!sfdp.empty()) {
    s += "<p>SFDP (BFPT DWORDs 10-11) vs datasheet:</p><table><tr><th>operation</th>"
         "<th>SFDP typ</th><th>SFDP max</th><th>datasheet typ</th><th>datasheet max</th>"
         "<th>typ tolerance</th><th>result</th></tr>";
    for (const auto& t : sfdp) {
      const bool ok = t.value("passed", false);
      s += fmt::format(
          "<tr class={}><td>{}</td><td>{} us</td><td>{} us</td><td>{} us</td><td>{} us</td>"
          "<td>&plusmn;{} us</td><td>{}</td></tr>",
          ok ? "pass" : "fail", Esc(Str(t, "op")), Num(t, "sfdp_typical_us"), Num(t, "sfdp_max_us"),
          Num(t, "datasheet_typical_us"), Num(t, "datasheet_max_us"), Num(t, "tolerance_us"),
          ok ? "pass" : "FAIL");
    }
    s += "</table>";
  }
  const json not_run = q.value("not_run", json::array());
  if (!not_run.empty()) {
    s += "<p>Not run:</p><ul>";
    for (const auto& n : not_run)
      s += "<li>" +
           Esc(n.is_string() ? n.get<std::string>()
                             : n.dump(-1, ' ', false, json::error_handler_t::replace)) +
           "</li>";
    s += "</ul>";
  }
  return s;
}

std::string RigSection(const RigReport& r) {
  size_t failed = 0;
  for (const auto& c : r.checks) failed += c.passed ? 0 : 1;
  std::string s = fmt::format(
      "<section><h2>Rig {} <span class=\"badge {}\">{}</span></h2><p>target <code>{}</code>, "
      "{} times, shard {}/{}, {:.1f} s, {} checks, {} failed{}</p>",
      Esc(r.rig), RunStatusName(r.status), RunStatusName(r.status), Esc(r.target), Esc(r.timing),
      r.shard_index + 1, r.shard_count, r.duration_s, r.checks.size(), failed,
      r.error.empty() ? "" : ". <b>" + Esc(r.error) + "</b>");
  // Failed checks first: they are what a reader opened the page for.
  s += "<details open><summary>Checks</summary><table><tr><th>check</th><th>result</th>"
       "<th>detail</th></tr>";
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& c : r.checks) {
      if (c.passed != (pass == 1)) continue;
      s += fmt::format("<tr class={0}><td>{1}</td><td>{0}</td><td>{2}</td></tr>",
                       c.passed ? "pass" : "fail", Esc(c.name), Esc(c.message));
    }
  }
  s += "</table></details>";
  // The figures of a hand-edited or foreign report.json may have any shape; nlohmann
  // throws on the wrong one. The page still renders, saying which figures it skipped.
  try {
    std::string figures;
    if (r.figures.contains("throughput")) figures += Throughput(r.figures["throughput"]);
    if (r.figures.contains("qualify")) figures += Qualify(r.figures["qualify"]);
    if (r.figures.contains("endurance")) figures += Endurance(r.figures["endurance"]);
    if (r.figures.contains("power_loss")) figures += PowerLoss(r.figures["power_loss"]);
    s += figures;
  } catch (const json::exception& e) {
    s += "<p><b>figures not shown: malformed in report.json (" + Esc(e.what()) + ")</b></p>";
  }
  return s + "</section>";
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
    "font-size:13px;text-align:left}tr.fail td{background:#fde2e2}tr.pass td:nth-child(2)"
    "{color:#1a7f37}.badge{padding:2px 8px;border-radius:4px;font-size:14px;color:#fff}"
    ".passed{background:#1a7f37}.failed{background:#c0392b}.interrupted{background:#b7791f}"
    ".device_error{background:#6b21a8}.charts{display:flex;flex-wrap:wrap;gap:12px}"
    "figure{margin:0}pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}"
    "section{border-top:2px solid #ddd;margin-top:1.5em}";

// Which shard ran where and how it ended (merged reports only): the first place to look
// when a scheduled run failed.
std::string ShardTable(const Report& report) {
  std::string s =
      "<section><h2>Shards</h2><table><tr><th>shard</th><th>status</th><th>directory</th>"
      "<th>note</th></tr>";
  for (const auto& sh : report.shards) {
    const bool ok = sh.status == "passed";
    s += fmt::format(
        "<tr><td>{}/{}</td><td><span class=\"badge {}\">{}</span></td><td><code>{}</code></td>"
        "<td>{}</td></tr>",
        sh.index + 1, sh.count, ok ? "passed" : "failed", Esc(sh.status), Esc(sh.dir),
        Esc(sh.message));
  }
  return s + "</table></section>";
}

}  // namespace

std::string RenderHtml(const Report& report) {
  const RunStatus status = report.OverallStatus();
  std::string s = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>flashrig {} {}: "
      "{}</title><style>{}</style></head><body><h1>{} <small>({})</small> <span class=\"badge "
      "{}\">{}</span></h1><p>seed {} &middot; {} &middot; started {} &middot; finished {}</p>",
      Esc(report.kind), Esc(report.campaign), RunStatusName(status), kStyle, Esc(report.campaign),
      Esc(report.kind), RunStatusName(status), RunStatusName(status), report.seed,
      Esc(report.tool_version), Esc(report.started_utc), Esc(report.finished_utc));
  if (!report.merged_from.empty()) {
    s += "<p>Merged from:";
    for (const auto& d : report.merged_from) s += " <code>" + Esc(d) + "</code>";
    s += "</p>";
  }
  if (!report.shards.empty()) s += ShardTable(report);
  for (const auto& r : report.rigs) s += RigSection(r);
  s += "<section><h2>Configuration</h2><pre>" +
       Esc(report.config.dump(2, ' ', false, json::error_handler_t::replace)) +
       "</pre></section></body></html>\n";
  return s;
}

}  // namespace flashrig::hil
