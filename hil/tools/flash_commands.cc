// `flashrig probe|read|write|erase|verify`: flashrom-style device commands over a
// target URL (sim:, ram:, image:, and schemes registered later such as ftdi://).
#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "cli.h"
#include "flashrig/driver/flash/image_file.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/targets/flash_image.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::cli {
namespace {

struct FlashArgs {
  std::string target;
  std::string image;
  std::string range;
  std::string parts_dir;
  bool verify = false;
  bool unlock = false;
};

FlashArgs& Args() {
  static FlashArgs args;  // CLI11 binds options by pointer; lives for the process.
  return args;
}

void Error(Context& ctx, int code, const std::string& message) {
  fmt::print(stderr, "flashrig: {}\n", message);
  ctx.exit_code = code;
}

// Opens the target and the part database; nullptr (with ctx.exit_code set) on failure.
std::unique_ptr<hil::Target> Open(Context& ctx, driver::PartDatabase* parts) {
  hil::ConfigErrors errors;
  const std::string dir =
      Args().parts_dir.empty() ? hil::DefaultPartsDirectory() : Args().parts_dir;
  if (!hil::LoadPartDirectory(dir, parts, &errors) && !Args().parts_dir.empty()) {
    Error(ctx, kExitBadInput, hil::FormatConfigErrors(errors));
    return nullptr;
  }
  hil::TargetOptions options{.parts = parts};
  options.spi_nor.verify_after_write = Args().verify;
  hil::TargetOpenResult opened = hil::OpenTarget(Args().target, options);
  if (!opened.target) {
    Error(ctx, opened.bad_input ? kExitBadInput : kExitDeviceError, opened.error);
    return nullptr;
  }
  return std::move(opened.target);
}

bool Range(Context& ctx, hil::Target& t, hil::ByteRange* range) {
  std::string error;
  if (!hil::ParseRange(Args().range, t.flash().geometry().size_bytes, range, &error)) {
    Error(ctx, kExitBadInput, error);
    return false;
  }
  return true;
}

bool DeviceOk(Context& ctx, Status s, const std::string& what) {
  if (s.ok()) return true;
  Error(ctx, kExitDeviceError,
        fmt::format(
            "{} failed: {}{}", what, s.str(),
            s == Status::PermissionDenied() ? " (range is block-protected; use --unlock)" : ""));
  return false;
}

bool ReadImageFile(Context& ctx, const std::string& path, size_t expected,
                   std::vector<std::byte>* out) {
  Result<std::vector<std::byte>> bytes = driver::ReadWholeFile(path);
  if (!bytes.ok()) {
    Error(ctx, kExitBadInput,
          path + (bytes.status() == Status::NotFound() ? ": cannot open the image file"
                                                       : ": cannot read the image file"));
    return false;
  }
  if (bytes->size() != expected) {
    Error(
        ctx, kExitBadInput,
        fmt::format("{}: image is {} bytes, the range is {} bytes", path, bytes->size(), expected));
    return false;
  }
  *out = std::move(*bytes);
  return true;
}

bool MaybeUnlock(Context& ctx, hil::Target& t) {
  if (!Args().unlock) return true;
  if (t.spi_nor() == nullptr) return true;
  return DeviceOk(ctx, t.spi_nor()->Unlock(), "unlock");
}

void RunProbe(Context& ctx) {
  driver::PartDatabase parts;
  auto t = Open(ctx, &parts);
  if (!t) return;
  const auto& g = t->flash().geometry();
  if (driver::SpiNorFlash* nor = t->spi_nor()) {
    const driver::ProbeInfo& info = nor->info();
    fmt::print("jedec_id:   {:02X} {:02X} {:02X}\n", info.jedec_id[0], info.jedec_id[1],
               info.jedec_id[2]);
    fmt::print("part:       {}\n", info.part ? info.part->vendor + " " + info.part->name
                                             : std::string("unknown (not in the database)"));
    fmt::print("source:     {}{}\n", driver::ParamSourceName(info.source),
               info.source == driver::ParamSource::kSfdp
                   ? ""
                   : fmt::format(" (SFDP not used: {})", info.sfdp_error));
    if (!info.part_match_why.empty()) fmt::print("match:      {}\n", info.part_match_why);
    // What the table said that was not used, and what the part database put in its place.
    for (const auto& n : info.notes) {
      fmt::print("{:<11} {}\n", std::string(driver::PartNoteKindName(n.kind)) + ":", n.text);
    }
    std::string erases;
    for (const auto& e : nor->params().erase_ops) {
      erases += fmt::format(
          "{}{} KiB ({:02X}h)", erases.empty() ? "" : ", ", e.size_bytes / 1024,
          nor->params().addressing == driver::Addressing::k4ByteOpcodes ? e.opcode_4b : e.opcode);
    }
    fmt::print("size:       {} bytes ({} MiB)\n", g.size_bytes, g.size_bytes / (1024 * 1024));
    fmt::print("page:       {} bytes\n", g.program_page_bytes);
    fmt::print("erase:      {}\n", erases);
    static constexpr const char* kAddressing[] = {"3-byte", "4-byte opcodes", "4-byte mode (B7h)",
                                                  "4-byte mode (06h B7h)"};
    fmt::print("addressing: {}\n", kAddressing[static_cast<int>(nor->params().addressing)]);
    auto protection = nor->ReadProtection();
    if (!DeviceOk(ctx, protection.status(), "read status")) return;
    if (protection->range.empty()) {
      fmt::print("protected:  none (SR1 {:02X}h)\n", protection->status1);
    } else {
      fmt::print("protected:  0x{:X}..0x{:X} (SR1 {:02X}h{})\n", protection->range.begin,
                 protection->range.end, protection->status1,
                 protection->layout_known ? "" : ", layout unknown: assuming all");
    }
  } else {
    fmt::print("target:     {} (no SPI NOR chip)\n", t->url());
    fmt::print("size:       {} bytes\n", g.size_bytes);
    fmt::print("erase:      {} bytes\n", g.erase_size_bytes);
  }
}

void RunRead(Context& ctx) {
  driver::PartDatabase parts;
  auto t = Open(ctx, &parts);
  hil::ByteRange r;
  if (!t || !Range(ctx, *t, &r)) return;
  std::vector<std::byte> data(r.length);
  if (!DeviceOk(ctx, t->flash().Read(r.start, data), "read")) return;
  if (!driver::WriteImageFileAtomically(Args().image, data).ok()) {
    Error(ctx, kExitBadInput, Args().image + ": cannot write the image file");
    return;
  }
  fmt::print("read {} bytes at 0x{:X} into {}\n", r.length, r.start, Args().image);
}

// Compares the device at `start` with `data`; a difference is a failed check (exit 1)
// naming how many bytes differ and where, a device error is exit 3. True if equal.
bool VerifyAndReport(Context& ctx, hil::Target& t, uint32_t start,
                     std::span<const std::byte> data) {
  uint64_t first = 0;
  uint64_t count = 0;
  const Status s = hil::VerifyRange(t.flash(), start, data, &first, &count);
  if (s == Status::DataLoss()) {
    Error(ctx, kExitCheckFailed,
          fmt::format("verify failed: {} bytes differ, first at 0x{:X}", count, first));
    return false;
  }
  return DeviceOk(ctx, s, "verify");
}

void RunWrite(Context& ctx) {
  driver::PartDatabase parts;
  auto t = Open(ctx, &parts);
  hil::ByteRange r;
  std::vector<std::byte> data;
  if (!t || !Range(ctx, *t, &r) || !ReadImageFile(ctx, Args().image, r.length, &data)) return;
  if (!MaybeUnlock(ctx, *t)) return;
  hil::WriteStats stats;
  if (!DeviceOk(ctx, hil::WriteRange(t->flash(), r.start, data, &stats), "write")) return;
  fmt::print(
      "wrote {} bytes at 0x{:X}: {} sectors erased, {} programmed without erase, "
      "{} unchanged, {} bytes programmed\n",
      r.length, r.start, stats.sectors_erased, stats.sectors_programmed_only,
      stats.sectors_unchanged, stats.bytes_programmed);
  if (Args().verify) {
    if (!VerifyAndReport(ctx, *t, r.start, data)) return;
    fmt::print("verified\n");
  }
  if (!DeviceOk(ctx, t->Flush(), "saving the target image")) return;
}

void RunErase(Context& ctx) {
  driver::PartDatabase parts;
  auto t = Open(ctx, &parts);
  hil::ByteRange r;
  if (!t || !Range(ctx, *t, &r)) return;
  const uint32_t sector = t->flash().geometry().erase_size_bytes;
  if (r.start % sector != 0 || r.length % sector != 0) {
    Error(ctx, kExitBadInput,
          fmt::format("range 0x{:X}+0x{:X} is not aligned to the {}-byte sector", r.start, r.length,
                      sector));
    return;
  }
  if (!MaybeUnlock(ctx, *t)) return;
  Status s;
  if (t->spi_nor() != nullptr && r.start == 0 && r.length == t->flash().geometry().size_bytes) {
    s = t->spi_nor()->EraseChip();
  } else {
    s = t->flash().Erase(r.start, r.length);
  }
  if (!DeviceOk(ctx, s, "erase")) return;
  if (!DeviceOk(ctx, t->Flush(), "saving the target image")) return;
  fmt::print("erased {} bytes at 0x{:X}\n", r.length, r.start);
}

void RunVerify(Context& ctx) {
  driver::PartDatabase parts;
  auto t = Open(ctx, &parts);
  hil::ByteRange r;
  std::vector<std::byte> data;
  if (!t || !Range(ctx, *t, &r) || !ReadImageFile(ctx, Args().image, r.length, &data)) return;
  if (!VerifyAndReport(ctx, *t, r.start, data)) return;
  fmt::print("verified {} bytes at 0x{:X}\n", r.length, r.start);
}

CLI::App* Command(CLI::App& app, const char* name, const char* help, bool image, bool range) {
  FlashArgs& a = Args();
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("--target", a.target,
                  "Target URL: sim:PART.json[?image=FILE], ram:4096x32, "
                  "image:FILE")
      ->required();
  if (image) cmd->add_option("--image", a.image, "Image file")->required();
  if (range) {
    cmd->add_option("--range", a.range,
                    "START:END or START+LEN (decimal or 0x hex); default "
                    "the whole device");
  }
  cmd->add_option("--parts-dir", a.parts_dir, "Part database directory (default configs/parts)");
  return cmd;
}

}  // namespace

void AddFlashCommands(CLI::App& app, Context& ctx) {
  FlashArgs& a = Args();
  Command(app, "probe", "Identify the chip: JEDEC ID, part, geometry, SFDP or database", false,
          false)
      ->callback([&ctx] { RunProbe(ctx); });
  Command(app, "read", "Read the device (or --range) into --image", true, true)->callback([&ctx] {
    RunRead(ctx);
  });
  auto* write = Command(app, "write",
                        "Write --image to the device (or --range), erasing only "
                        "what must be erased",
                        true, true);
  write->add_flag("--verify", a.verify, "Read back and compare after writing");
  write->add_flag("--unlock", a.unlock, "Clear block protection first");
  write->callback([&ctx] { RunWrite(ctx); });
  auto* erase =
      Command(app, "erase", "Erase the device (or a sector-aligned --range)", false, true);
  erase->add_flag("--unlock", a.unlock, "Clear block protection first");
  erase->callback([&ctx] { RunErase(ctx); });
  Command(app, "verify", "Compare the device (or --range) with --image", true, true)
      ->callback([&ctx] { RunVerify(ctx); });
}

}  // namespace flashrig::cli
