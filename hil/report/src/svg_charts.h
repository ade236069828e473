// Inline SVG charts for report.html: histogram, line chart, heat map. Plain strings, no
// scripts, no external resources, so the page opens offline in any browser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flashrig::hil::svg {

// "850 ns", "12.3 us", "45.0 ms", "1.20 s".
std::string FormatNs(double ns);

// Bars for buckets [edges[i], edges[i+1]) with counts[i]; edges in ns.
std::string Histogram(const std::string& title, const std::vector<uint64_t>& edges_ns,
                      const std::vector<uint64_t>& counts);

struct Series {
  std::string name;
  std::string color;  // CSS colour.
  std::vector<double> y;
};
// Lines over shared x values; `limit` > 0 draws a dashed horizontal line (datasheet max).
std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<double>& x,
                      const std::vector<Series>& series, double limit = 0,
                      const std::string& limit_label = "");

// One cell per value, `columns` per row; value < 0 = not tested (grey). Darker = higher.
std::string HeatMap(const std::string& title, const std::vector<double>& values, uint32_t columns,
                    const std::string& unit);

// One cell per power-loss cut point in sweep order: green = invariants held, red = failed.
struct Outcome {
  uint64_t cut = 0;
  bool ok = false;
  std::string label;  // Tooltip: interrupted op and effect.
};
std::string OutcomeStrip(const std::string& title, const std::vector<Outcome>& outcomes);

}  // namespace flashrig::hil::svg
