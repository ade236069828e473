// `flashrig parts` (list the part database) and `flashrig parts new --from-sfdp FILE`
// (start a part file from an SFDP image: the table gives the geometry, the file lists what
// a person still has to fill in from the datasheet).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli.h"
#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/sfdp/part_writer.h"

namespace flashrig::cli {
namespace {

struct PartsArgs {
  std::string parts_dir;
  std::string from_sfdp;
  std::string jedec;
  std::string name;
  std::string vendor;
  std::string source;
  std::string out;
  bool force = false;
};

PartsArgs& Args() {
  static PartsArgs args;  // CLI11 binds options by pointer; lives for the process.
  return args;
}

void Error(Context& ctx, int code, const std::string& message) {
  fmt::print(stderr, "flashrig: {}\n", message);
  ctx.exit_code = code;
}

// "SFDP image, overrides: address_mode" / "datasheet".
std::string Origin(const driver::ChipModel& p) {
  if (!p.sfdp_origin) return "datasheet";
  std::string overrides;
  for (size_t i = 0; i < driver::kPartFieldCount; ++i) {
    if (p.sfdp_origin->overrides.test(i)) {
      overrides += fmt::format("{}{}", overrides.empty() ? "" : ", ",
                               driver::PartFieldName(static_cast<driver::PartField>(i)));
    }
  }
  std::string out = "SFDP image" + (overrides.empty() ? "" : "; overrides: " + overrides);
  if (!p.todo.empty()) out += fmt::format("; {} to fill in", p.todo.size());
  return out;
}

void RunParts(Context& ctx) {
  driver::PartDatabase parts;
  hil::ConfigErrors errors;
  const std::string dir =
      Args().parts_dir.empty() ? hil::DefaultPartsDirectory() : Args().parts_dir;
  const bool ok = hil::LoadPartDirectory(dir, &parts, &errors);
  fmt::print("{:<13} {:<11} {:<9} {:>9}  {:<20} {}\n", "part", "vendor", "jedec_id", "size",
             "erase sizes", "from");
  for (const auto& p : parts.parts()) {
    std::string erases;
    for (const auto& e : p.erase_types) {
      erases += fmt::format("{}{}K", erases.empty() ? "" : " ", e.size_bytes / 1024);
    }
    fmt::print("{:<13} {:<11} {:02X} {:02X} {:02X} {:>6} MiB  {:<20} {}\n", p.name, p.vendor,
               p.jedec_id[0], p.jedec_id[1], p.jedec_id[2], p.size_bytes / (1024 * 1024), erases,
               Origin(p));
  }
  // Where they came from: an installed tree, the source tree, or --parts-dir.
  fmt::print("{} part(s) from {}\n", parts.parts().size(), dir);
  if (!ok) Error(ctx, kExitBadInput, hil::FormatConfigErrors(errors));
}

bool ValidJedec(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ' ') hex += c;
  }
  if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
  return hex.size() == 6 &&
         std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(c) != 0; });
}

bool Checked(Context& ctx, const PartsArgs& a, std::vector<std::byte>* image) {
  if (!ValidJedec(a.jedec)) {
    Error(ctx, kExitBadInput,
          "--jedec: expected 3 hex bytes like \"EF 40 18\", got \"" + a.jedec + "\"");
    return false;
  }
  if (std::filesystem::exists(a.out) && !a.force) {
    Error(ctx, kExitBadInput, a.out + ": exists; not overwritten (use --force)");
    return false;
  }
  std::ifstream in(a.from_sfdp, std::ios::binary);
  if (!in) {
    Error(ctx, kExitBadInput, a.from_sfdp + ": cannot open the SFDP image");
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char c : bytes) image->push_back(static_cast<std::byte>(c));
  return true;
}

void RunPartsNew(Context& ctx) {
  const PartsArgs& a = Args();
  std::vector<std::byte> image;
  if (!Checked(ctx, a, &image)) return;
  driver::SfdpError error;
  const Result<driver::Sfdp> decoded = driver::DecodeSfdp(image, &error);
  if (!decoded.ok()) {
    Error(ctx, kExitBadInput, a.from_sfdp + ": " + error.message);
    return;
  }
  namespace fs = std::filesystem;
  const fs::path out_dir = fs::absolute(a.out).parent_path();
  const std::string relative = fs::relative(fs::absolute(a.from_sfdp), out_dir).generic_string();
  std::vector<std::string> todo;
  const nlohmann::ordered_json doc = hil::NewPartJson(*decoded,
                                                      {.name = a.name,
                                                       .vendor = a.vendor,
                                                       .jedec_id = a.jedec,
                                                       .image_path = relative,
                                                       .source = a.source},
                                                      &todo);
  std::ofstream out(a.out, std::ios::trunc);
  out << doc.dump(2) << "\n";
  out.close();
  if (!out) {
    Error(ctx, kExitBadInput, a.out + ": cannot write the part file");
    return;
  }
  fmt::print("wrote {} (SFDP image {})\nstill to fill in from the datasheet:\n", a.out, relative);
  for (const auto& t : todo) fmt::print("  - {}\n", t);
  hil::ConfigErrors errors;
  if (hil::LoadPartFile(a.out, &errors)) {
    fmt::print("{} loads: `flashrig probe --target sim:{}` simulates it\n", a.out, a.out);
  } else {
    fmt::print("{} does not load yet:\n{}\n", a.out, hil::FormatConfigErrors(errors));
    ctx.exit_code = kExitCheckFailed;
  }
}

}  // namespace

void AddPartsCommand(CLI::App& app, Context& ctx) {
  PartsArgs& a = Args();
  auto* parts = app.add_subcommand("parts", "List the part database; `parts new` starts a part");
  parts->add_option("--parts-dir", a.parts_dir, "Part database directory (default configs/parts)");
  auto* make = parts->add_subcommand("new", "Write a part file from an SFDP image");
  make->add_option("--from-sfdp", a.from_sfdp, "Raw SFDP image (from address 0)")->required();
  make->add_option("--jedec", a.jedec, "JEDEC ID (RDID), e.g. \"EF 40 18\"")->required();
  make->add_option("--name", a.name, "Part number, e.g. W25Q128JV")->required();
  make->add_option("--vendor", a.vendor, "Vendor, e.g. Winbond")->required();
  make->add_option("--source", a.source, "Where the image comes from (default: a placeholder)");
  make->add_option("-o,--out", a.out, "Part file to write")->required();
  make->add_flag("--force", a.force, "Overwrite an existing part file");
  make->callback([&ctx] { RunPartsNew(ctx); });
  parts->callback([&ctx, make] {
    if (!make->parsed()) RunParts(ctx);
  });
}

}  // namespace flashrig::cli
