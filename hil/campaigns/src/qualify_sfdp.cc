// Qualify: the chip's SFDP against the part file. The chip's table is decoded and turned
// into a part the same way the part loader and the probe do (driver/spinor sfdp_model.h),
// so a field-by-field comparison says exactly where the chip and the file disagree, and
// whether the file means to (an override with its reason) or not.
#include "qualify_sfdp.h"

#include <fmt/format.h>

#include "flashrig/driver/sfdp/sfdp.h"
#include "flashrig/driver/spinor/sfdp_model.h"

namespace flashrig::hil {
namespace {

using driver::PartField;
using json = nlohmann::json;

void CheckImageBytes(const Rig& rig, RigReport& report, json& not_run) {
  const driver::ChipModel& part = *rig.part;
  if (part.sfdp_image.empty()) {
    not_run.push_back("identity/sfdp_image: the part file has no sfdp_image to compare with");
    return;
  }
  const auto& chip = rig.sfdp_image;
  const auto& file = part.sfdp_image;
  size_t differ = 0, first = 0;
  for (size_t i = 0; i < std::max(chip.size(), file.size()); ++i) {
    const bool same = i < chip.size() && i < file.size() && chip[i] == file[i];
    if (!same && differ++ == 0) first = i;
  }
  const std::string where = part.sfdp_origin ? part.sfdp_origin->image_file : "sfdp_image";
  if (differ == 0) {
    report.AddCheck(
        "qualify/identity/sfdp_image", true,
        fmt::format("the chip's SFDP ({} bytes) equals the part file's {}", chip.size(), where));
    return;
  }
  auto byte_at = [](const std::vector<std::byte>& b, size_t i) {
    return i < b.size() ? fmt::format("{:02X}h", static_cast<uint8_t>(b[i])) : "nothing";
  };
  report.AddCheck("qualify/identity/sfdp_image", false,
                  fmt::format("the chip's SFDP ({} bytes) differs from the part file's {} ({} "
                              "bytes) in {} bytes, first at 0x{:X}: chip {}, part file {}",
                              chip.size(), where, file.size(), differ, first, byte_at(chip, first),
                              byte_at(file, first)));
}

// A field in words. Erase types are compared by size and opcode; their 4-byte opcodes
// belong to has_4byte_opcodes.
std::string Describe(const driver::ChipModel& m, PartField f) {
  if (f != PartField::kEraseTypes) return driver::DescribePartField(m, f);
  std::string out;
  for (const auto& e : m.erase_types) {
    out += fmt::format("{}{} KiB {:02X}h", out.empty() ? "" : ", ", e.size_bytes / 1024, e.opcode);
  }
  return out;
}

// One field: what the table says, what the part says, and what that means.
json CompareField(const driver::SfdpDerivedPart& table, const driver::ChipModel& part,
                  PartField f) {
  const size_t i = static_cast<size_t>(f);
  const std::string from_table =
      table.missing.test(i) ? "(the table cannot say)" : Describe(table.model, f);
  const std::string from_part = Describe(part, f);
  std::string status = from_table == from_part ? "same" : "differs";
  std::string reason;
  if (status == "differs" && part.sfdp_origin && part.sfdp_origin->overrides.test(i)) {
    status = "override";
    reason = part.sfdp_origin->override_reasons[i];
  } else if (status == "differs" && table.missing.test(i)) {
    status = "table silent";
  }
  return {{"field", driver::PartFieldName(f)},
          {"sfdp", from_table},
          {"part_file", from_part},
          {"status", status},
          {"reason", reason}};
}

}  // namespace

void CheckSfdpAgainstPart(const Rig& rig, RigReport& report, json& not_run, json& findings) {
  if (rig.sfdp_image.empty()) {
    not_run.push_back("identity/sfdp: the target returned no SFDP");
    return;
  }
  CheckImageBytes(rig, report, not_run);
  driver::SfdpError error;
  auto decoded = driver::DecodeSfdp(rig.sfdp_image, &error);
  if (!decoded.ok()) {
    report.AddCheck("qualify/identity/sfdp", false,
                    "the chip's SFDP does not decode: " + error.message);
    return;
  }
  const driver::SfdpDerivedPart table = driver::PartFromSfdp(*decoded);
  const driver::ChipModel& part = *rig.part;
  std::vector<std::string> lines;
  bool ok = true;
  size_t same = 0;
  for (PartField f :
       {PartField::kSizeBytes, PartField::kPageBytes, PartField::kEraseTypes,
        PartField::kAddressMode, PartField::kHas4ByteOpcodes, PartField::kEnter4ByteNeedsWren}) {
    json c = CompareField(table, part, f);
    const std::string status = c["status"];
    if (status == "same") {
      ++same;
    } else {
      ok = ok && status != "differs";
      lines.push_back(fmt::format(
          "{}: SFDP {}, part file {}{}", c["field"].get<std::string>(),
          c["sfdp"].get<std::string>(), c["part_file"].get<std::string>(),
          status == "differs" ? " - differs"
          : status == "override"
              ? " (the part file's override" + (c["reason"].get<std::string>().empty()
                                                    ? std::string(")")
                                                    : ": " + c["reason"].get<std::string>() + ")")
              : " (the table cannot say; the part file does)"));
    }
    findings.push_back(std::move(c));
  }
  report.AddCheck("qualify/identity/sfdp", ok,
                  fmt::format("{} of 6 table fields agree with the part file{}{}", same,
                              lines.empty() ? "" : "; ", fmt::join(lines, "; ")));
}

}  // namespace flashrig::hil
