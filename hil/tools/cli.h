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
// probe, read, write, erase, verify (flash_commands.cc).
void AddFlashCommands(CLI::App& app, Context& ctx);
// parts, parts new (parts_command.cc).
void AddPartsCommand(CLI::App& app, Context& ctx);
// sfdp decode, sfdp dump (sfdp_command.cc).
void AddSfdpCommand(CLI::App& app, Context& ctx);
void AddServeCommand(CLI::App& app, Context& ctx);
// `flashrig devices` (devices_command.cc).
void AddDevicesCommand(CLI::App& app, Context& ctx);
// Campaigns and reports: `run`, `validate`, `report`, `merge` (one file each).
void AddRunCommand(CLI::App& app, Context& ctx);
void AddValidateCommand(CLI::App& app, Context& ctx);
void AddReportCommand(CLI::App& app, Context& ctx);
void AddMergeCommand(CLI::App& app, Context& ctx);
// kv: the KV engine on an image file (kv_command.cc).
void AddKvCommand(CLI::App& app, Context& ctx);
// emulate: COMMAND with an emulated FTDI board on its USB (emulate_command.cc).
void AddEmulateCommand(CLI::App& app, Context& ctx);
// slurm submit|resubmit|status|merge (slurm_command.cc).
void AddSlurmCommand(CLI::App& app, Context& ctx);

}  // namespace flashrig::cli
