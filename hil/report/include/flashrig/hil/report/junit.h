// JUnit XML for CI systems: one <testsuite> per rig, one <testcase> per check; a device
// error or an interruption becomes an <error> test case so CI never reads it as green.
#pragma once

#include <string>
#include <string_view>

#include "flashrig/hil/report/report.h"

namespace flashrig::hil {

// Escapes text for XML content and attribute values (&, <, >, ", ' and control bytes).
std::string XmlEscape(std::string_view text);

std::string RenderJunit(const Report& report);

}  // namespace flashrig::hil
