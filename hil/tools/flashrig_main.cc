// The flashrig command-line tool: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"flashrig: SPI NOR flash benchmarks, qualification and KV storage tests"};
  app.require_subcommand(1);
  flashrig::cli::Context ctx;
  flashrig::cli::AddSelfcheckCommand(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // Prints help or the parse error.
    return code == 0 ? 0 : flashrig::cli::kExitBadInput;
  }
  return ctx.exit_code;
}
