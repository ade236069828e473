// JUnit XML rendering of a Report.
#include "flashrig/hil/report/junit.h"

#include <fmt/format.h>

namespace flashrig::hil {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even as references.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string RenderJunit(const Report& report) {
  size_t tests = 0, failures = 0, errors = 0;
  std::string suites;
  for (const auto& rig : report.rigs) {
    const std::string suite = XmlEscape(
        report.campaign + "." + rig.rig +
        (rig.shard_count > 1 ? fmt::format(".shard{}of{}", rig.shard_index + 1, rig.shard_count)
                             : ""));
    std::string cases;
    size_t suite_failures = 0, suite_errors = 0;
    for (const auto& c : rig.checks) {
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", suite, XmlEscape(c.name));
      if (c.passed) {
        cases += fmt::format("><system-out>{}</system-out></testcase>\n", XmlEscape(c.message));
      } else {
        ++suite_failures;
        cases += fmt::format("><failure message=\"{}\">{}</failure></testcase>\n",
                             XmlEscape(c.message), XmlEscape(c.message));
      }
    }
    if (rig.status == RunStatus::kDeviceError || rig.status == RunStatus::kInterrupted) {
      ++suite_errors;
      const std::string what = rig.status == RunStatus::kDeviceError
                                   ? "device error: " + rig.error
                                   : "interrupted before the campaign finished";
      cases += fmt::format(
          "    <testcase classname=\"{}\" name=\"run\"><error message=\"{}\">{}</error>"
          "</testcase>\n",
          suite, XmlEscape(what), XmlEscape(what));
    }
    const size_t suite_tests = rig.checks.size() + (suite_errors ? 1 : 0);
    suites += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\" "
        "timestamp=\"{}\">\n{}  </testsuite>\n",
        suite, suite_tests, suite_failures, suite_errors, rig.duration_s,
        XmlEscape(report.started_utc), cases);
    tests += suite_tests;
    failures += suite_failures;
    errors += suite_errors;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{}</testsuites>\n",
      XmlEscape("flashrig " + report.kind + " " + report.campaign), tests, failures, errors,
      suites);
}

}  // namespace flashrig::hil
