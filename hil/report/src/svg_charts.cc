// SVG chart rendering. Coordinates are computed here; styling stays minimal and inline.
#include "svg_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flashrig/hil/report/junit.h"  // XmlEscape

namespace flashrig::hil::svg {
namespace {

constexpr double kW = 640, kH = 240, kLeft = 64, kRight = 16, kTop = 28, kBottom = 40;

std::string Open(const std::string& title, double w = kW, double h = kH) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\"><title>{2}</title>"
      "<text x=\"{3}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{2}</text>",
      w, h, XmlEscape(title), kLeft);
}

// Axis numbers: "750", "31.5k", "1.2M".
std::string Compact(double v) {
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.4g}", v);
}

std::string Axes(double y_max, const std::string& y_label, bool y_is_ns) {
  std::string s = fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#333\"/>"
      "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#333\"/>",
      kLeft, kTop, kH - kBottom, kW - kRight);
  for (int i = 0; i <= 4; ++i) {
    const double v = y_max * i / 4;
    const double y = kH - kBottom - (kH - kTop - kBottom) * i / 4;
    s += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>",
        kLeft - 4, y + 3, y_is_ns ? FormatNs(v) : Compact(v), kLeft + 1, y, kW - kRight, y);
  }
  s += fmt::format(
      "<text x=\"12\" y=\"{}\" font-size=\"10\" transform=\"rotate(-90 12 {})\" "
      "text-anchor=\"middle\">{}</text>",
      kH / 2, kH / 2, XmlEscape(y_label));
  return s;
}

}  // namespace

std::string FormatNs(double ns) {
  if (ns < 1e3) return fmt::format("{:.0f} ns", ns);
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.1f} ms", ns / 1e6);
  return fmt::format("{:.2f} s", ns / 1e9);
}

std::string Histogram(const std::string& title, const std::vector<uint64_t>& edges_ns,
                      const std::vector<uint64_t>& counts) {
  std::string s = Open(title);
  const uint64_t max_count =
      counts.empty() ? 1 : std::max<uint64_t>(1, *std::max_element(counts.begin(), counts.end()));
  s += Axes(double(max_count), "operations", false);
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  const double bar_w = counts.empty() ? 0 : plot_w / double(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const double h = plot_h * double(counts[i]) / double(max_count);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#4a7ebb\">"
        "<title>{} - {}: {}</title></rect>",
        kLeft + i * bar_w + 1, kH - kBottom - h, std::max(1.0, bar_w - 2), h,
        FormatNs(double(edges_ns[i])), FormatNs(double(edges_ns[i + 1])), counts[i]);
  }
  // Label first, middle and last edge: log-spaced buckets make every label unique.
  for (size_t i : {size_t{0}, counts.size() / 2, counts.size()}) {
    if (i >= edges_ns.size()) continue;
    const char* anchor = i == 0 ? "start" : i == counts.size() ? "end" : "middle";
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" text-anchor=\"{}\">{}</text>",
                     kLeft + i * bar_w, kH - kBottom + 14, anchor, FormatNs(double(edges_ns[i])));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">latency "
      "(log-spaced buckets)</text></svg>",
      kLeft + plot_w / 2, kH - 6);
  return s;
}

std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<double>& x,
                      const std::vector<Series>& series, double limit,
                      const std::string& limit_label) {
  std::string s = Open(title);
  double y_max = limit * 1.05;
  for (const auto& ser : series) {
    for (double v : ser.y) y_max = std::max(y_max, v);
  }
  if (y_max <= 0) y_max = 1;
  const double x_min = x.empty() ? 0 : x.front();
  const double x_max = x.empty() ? 1 : std::max(x.back(), x_min + 1);
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  const auto px = [&](double v) { return kLeft + plot_w * (v - x_min) / (x_max - x_min); };
  const auto py = [&](double v) { return kH - kBottom - plot_h * v / y_max; };
  s += Axes(y_max, y_label, false);
  if (limit > 0) {
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#c00\" "
        "stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1f}\" font-size=\"10\" "
        "fill=\"#c00\" text-anchor=\"end\">{}</text>",
        kLeft, py(limit), kW - kRight, py(limit), kW - kRight - 2, py(limit) - 3,
        XmlEscape(limit_label));
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& ser = series[k];
    std::string points;
    for (size_t i = 0; i < ser.y.size() && i < x.size(); ++i) {
      points += fmt::format("{:.1f},{:.1f} ", px(x[i]), py(ser.y[i]));
    }
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>",
                     ser.color, points);
    if (ser.y.size() == 1 && !x.empty()) {
      s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>", px(x[0]),
                       py(ser.y[0]), ser.color);
    }
    // Legend on the title row, right-aligned, so it never covers the data.
    const double lx = kW - kRight - 130.0 * double(series.size() - k);
    s += fmt::format(
        "<rect x=\"{}\" y=\"9\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"18\" font-size=\"10\">{}</text>",
        lx, ser.color, lx + 14, XmlEscape(ser.name));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"start\">{:.0f}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{:.0f}</text>"
      "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text></svg>",
      kLeft, kH - kBottom + 14, x_min, kW - kRight, kH - kBottom + 14, x_max, kLeft + plot_w / 2,
      kH - 6, XmlEscape(x_label));
  return s;
}

std::string HeatMap(const std::string& title, const std::vector<double>& values, uint32_t columns,
                    const std::string& unit) {
  columns = std::max<uint32_t>(1, columns);
  const uint32_t rows = static_cast<uint32_t>((values.size() + columns - 1) / columns);
  const double cell = std::clamp(560.0 / columns, 3.0, 24.0);
  const double w = std::max(kW, kLeft + columns * cell + kRight);
  const double h = kTop + rows * cell + 30;
  double v_max = 0;
  for (double v : values) v_max = std::max(v_max, v);
  std::string s = Open(title, w, h);
  // One grey backdrop for the untested sectors keeps a 4096-sector map small.
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#e8e8e8\"/>",
                   kLeft, kTop, columns * cell, rows * cell);
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (v < 0) continue;
    std::string color;
    {
      // White (no wear) to dark red (most worn in this run).
      const double t = v_max > 0 ? v / v_max : 0;
      color = fmt::format("rgb(255,{0},{0})", static_cast<int>(235 - 200 * t));
      if (t > 0.75)
        color = fmt::format("rgb({},20,20)", static_cast<int>(255 - 120 * (t - 0.75) * 4));
    }
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
        "fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>sector {}: {}</title></rect>",
        kLeft + (i % columns) * cell, kTop + double(i / columns) * cell, cell, cell, color, i,
        fmt::format("{:.0f} {}", v, unit));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{:.1f}\" font-size=\"10\">grey: not tested; white to dark "
      "red: 0 to {:.0f} {}</text></svg>",
      kLeft, h - 8, v_max, XmlEscape(unit));
  return s;
}

std::string OutcomeStrip(const std::string& title, const std::vector<Outcome>& outcomes) {
  constexpr uint32_t kColumns = 50;
  constexpr double kCell = 11;
  const size_t rows = (outcomes.size() + kColumns - 1) / kColumns;
  const double h = kTop + double(rows) * kCell + 28;
  std::string s = Open(title, kW, h);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const Outcome& o = outcomes[i];
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"{}\" "
        "stroke=\"#fff\"><title>cut {}: {} ({})</title></rect>",
        kLeft + double(i % kColumns) * kCell, kTop + double(i / kColumns) * kCell, kCell, kCell,
        o.ok ? "#2f8f4e" : "#c0392b", o.cut, o.ok ? "ok" : "FAILED", XmlEscape(o.label));
  }
  s += fmt::format(
      "<text x=\"{}\" y=\"{:.1f}\" font-size=\"10\">one cell per cut point in "
      "sweep order; green: invariants held, red: failed</text></svg>",
      kLeft, h - 8);
  return s;
}

}  // namespace flashrig::hil::svg
