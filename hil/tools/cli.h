// Shared pieces of the flashrig command-line tool: exit codes and command registration.
// Each subcommand lives in its own file and registers itself through one Add*Command().
#pragma once

#include <CLI/CLI.hpp>

namespace flashrig::cli {

// Documented exit codes (README "Exit codes").
enum ExitCode : int {
  kExitOk = 0,           // Everything passed.
  kExitCheckFailed = 1,  // A check or campaign failed.
  kExitBadInput = 2,     // Bad arguments, config or image; nothing was run or overwritten.
  kExitDeviceError = 3,  // The flash device or bus failed.
};

struct Context {
  int exit_code = kExitOk;
};

void AddSelfcheckCommand(CLI::App& app, Context& ctx);

}  // namespace flashrig::cli
