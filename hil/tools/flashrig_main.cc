// The flashrig command-line tool: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include "cli.h"
#include "flashrig/hil/serprog/serprog_target.h"
#include "flashrig/hil/targets/ftdi_target.h"

int main(int argc, char** argv) {
  CLI::App app{"flashrig: SPI NOR flash benchmarks, qualification and KV storage tests"};
  app.require_subcommand(1);
  flashrig::cli::Context ctx;
  flashrig::cli::AddSelfcheckCommand(app, ctx);
  flashrig::cli::AddFlashCommands(app, ctx);
  flashrig::cli::AddPartsCommand(app, ctx);
  flashrig::cli::AddSfdpCommand(app, ctx);
  flashrig::cli::AddServeCommand(app, ctx);
  flashrig::cli::AddDevicesCommand(app, ctx);
  flashrig::cli::AddRunCommand(app, ctx);
  flashrig::cli::AddValidateCommand(app, ctx);
  flashrig::cli::AddReportCommand(app, ctx);
  flashrig::cli::AddMergeCommand(app, ctx);
  flashrig::cli::AddKvCommand(app, ctx);
  flashrig::cli::AddEmulateCommand(app, ctx);
  flashrig::cli::AddSlurmCommand(app, ctx);
  flashrig::hil::RegisterFtdiTargets();     // ftdi:// and ftdi-emu: targets.
  flashrig::hil::RegisterSerprogTargets();  // serprog:/dev/ttyACM0, serprog:tcp:HOST:PORT.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // Prints help or the parse error.
    return code == 0 ? 0 : flashrig::cli::kExitBadInput;
  }
  return ctx.exit_code;
}
