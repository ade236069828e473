// report.html: one self-contained page (inline CSS and SVG, no scripts, no network) with
// the verdict, every check, and charts — latency histograms, busy time vs cycle, wear heat
// map, power-loss outcome table — rendered from a Report alone.
#pragma once

#include <string>

#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

std::string RenderHtml(const Report& report);

}  // namespace flashrig::hil
