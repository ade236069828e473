// `flashrig sfdp decode FILE|--target URL [--json]` and `flashrig sfdp dump --target URL
// -o FILE`: decode an SFDP image (a file, or what a chip returns), or save a chip's SFDP
// space, through any target (sim:, ftdi://, ftdi-emu:, serprog:).
#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "cli.h"
#include "flashrig/driver/flash/image_file.h"
#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/sfdp/sfdp_json.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::cli {
namespace {

struct SfdpArgs {
  std::string file;
  std::string target;
  std::string out;
  std::string parts_dir;
  bool json = false;
};

SfdpArgs& Args() {
  static SfdpArgs args;  // CLI11 binds options by pointer; lives for the process.
  return args;
}

void Error(Context& ctx, int code, const std::string& message) {
  fmt::print(stderr, "flashrig: {}\n", message);
  ctx.exit_code = code;
}

// The chip's SFDP space through `url`; false (ctx.exit_code set) on failure. Chips the
// part database does not know still answer (accept_unknown_part).
bool ReadFromTarget(Context& ctx, const std::string& url, std::vector<std::byte>* image) {
  driver::PartDatabase parts;
  hil::ConfigErrors errors;
  const std::string dir =
      Args().parts_dir.empty() ? hil::DefaultPartsDirectory() : Args().parts_dir;
  if (!hil::LoadPartDirectory(dir, &parts, &errors) && !Args().parts_dir.empty()) {
    Error(ctx, kExitBadInput, hil::FormatConfigErrors(errors));
    return false;
  }
  hil::TargetOptions options{.parts = &parts};
  options.spi_nor.accept_unknown_part = true;
  hil::TargetOpenResult opened = hil::OpenTarget(url, options);
  if (!opened.target) {
    Error(ctx, opened.bad_input ? kExitBadInput : kExitDeviceError, opened.error);
    return false;
  }
  driver::SpiNorFlash* nor = opened.target->spi_nor();
  if (nor == nullptr) {
    Error(ctx, kExitBadInput, url + ": not an SPI NOR target (no SFDP to read)");
    return false;
  }
  Result<std::vector<std::byte>> read = nor->ReadSfdpSpace();
  if (!read.ok()) {
    Error(ctx, kExitDeviceError,
          fmt::format("{}: reading SFDP failed: {}", url, read.status().str()));
    return false;
  }
  *image = std::move(read).value();
  return true;
}

bool ReadFile(Context& ctx, const std::string& path, std::vector<std::byte>* image) {
  Result<std::vector<std::byte>> bytes = driver::ReadWholeFile(path);
  if (!bytes.ok()) {
    Error(ctx, kExitBadInput,
          path + (bytes.status() == Status::NotFound() ? ": cannot open the SFDP image"
                                                       : ": cannot read the SFDP image"));
    return false;
  }
  *image = std::move(*bytes);
  return true;
}

void RunDecode(Context& ctx) {
  const SfdpArgs& a = Args();
  if (a.file.empty() == a.target.empty()) {
    Error(ctx, kExitBadInput, "sfdp decode: give an image FILE or --target URL (one of them)");
    return;
  }
  std::vector<std::byte> image;
  if (!(a.file.empty() ? ReadFromTarget(ctx, a.target, &image) : ReadFile(ctx, a.file, &image))) {
    return;
  }
  const std::string what = a.file.empty() ? a.target : a.file;
  driver::SfdpError error;
  Result<driver::Sfdp> decoded = driver::DecodeSfdp(image, &error);
  if (!decoded.ok()) {
    Error(ctx, kExitBadInput, fmt::format("{}: {} ({} bytes)", what, error.message, image.size()));
    return;
  }
  if (a.json) {
    fmt::print("{}\n", hil::SfdpToJson(*decoded).dump(2));
  } else {
    fmt::print("{}", hil::SfdpToText(*decoded));
  }
}

void RunDump(Context& ctx) {
  std::vector<std::byte> image;
  if (!ReadFromTarget(ctx, Args().target, &image)) return;
  if (!driver::WriteImageFileAtomically(Args().out, image).ok()) {
    Error(ctx, kExitBadInput, Args().out + ": cannot write the SFDP image");
    return;
  }
  driver::SfdpError error;
  const Result<driver::Sfdp> decoded = driver::DecodeSfdp(image, &error);
  fmt::print("read {} bytes of SFDP space from {} into {}{}\n", image.size(), Args().target,
             Args().out, decoded.ok() ? "" : " (it does not decode: " + error.message + ")");
}

}  // namespace

void AddSfdpCommand(CLI::App& app, Context& ctx) {
  SfdpArgs& a = Args();
  auto* sfdp = app.add_subcommand("sfdp", "Decode or dump SFDP (JESD216) tables");
  sfdp->require_subcommand(1);
  auto* decode = sfdp->add_subcommand(
      "decode", "Decode an SFDP image (from address 0) or the SFDP of the chip on --target");
  decode->add_option("file", a.file, "Raw SFDP image file");
  decode->add_option("--target", a.target, "Read the SFDP from this target URL instead");
  decode->add_flag("--json", a.json, "Print one JSON object");
  decode->add_option("--parts-dir", a.parts_dir, "Part database directory (for --target)");
  decode->callback([&ctx] { RunDecode(ctx); });
  auto* dump = sfdp->add_subcommand(
      "dump", "Save the SFDP space a chip exposes (every table its headers point to)");
  dump->add_option("--target", a.target, "Target URL: sim:, ftdi://, ftdi-emu:, serprog:")
      ->required();
  dump->add_option("-o,--out", a.out, "Output file")->required();
  dump->add_option("--parts-dir", a.parts_dir, "Part database directory");
  dump->callback([&ctx] { RunDump(ctx); });
}

}  // namespace flashrig::cli
