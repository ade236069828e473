// NewPartJson: a part document for an SFDP image. The table gives geometry, times and
// addressing (the loader reads them from the image); what it cannot give is listed in
// "todo" for the person who has the datasheet.
#include "flashrig/hil/sfdp/part_writer.h"

#include <fmt/format.h>

#include "flashrig/driver/spinor/sfdp_model.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::ordered_json;

// What SFDP never says about a part, and where in a datasheet it is.
void AddDatasheetTodo(const driver::SfdpBfpt& b, std::vector<std::string>& todo) {
  todo.push_back(
      "block_protect: the status register 1 BP/TB bit positions and the size BP = 1 protects "
      "(the datasheet's block protection table); without it qualify does not check protection");
  std::string suspend =
      "suspend: the erase/program suspend and resume opcodes (the datasheet's command table)";
  if (b.has_suspend_fields && b.suspend_supported) {
    suspend += fmt::format("; the table says suspend {:02X}h, resume {:02X}h", b.suspend_opcode,
                           b.resume_opcode);
  } else if (b.has_suspend_fields) {
    suspend += "; the table says the part has none";
  }
  todo.push_back(suspend);
  todo.push_back(
      "status_registers: the read/write opcodes of status registers 2 and 3, if any (e.g. 35h/31h, "
      "15h/11h)");
  todo.push_back("write_status: the status register write time tW (typical/max)");
  todo.push_back(
      "wear: the rated erase cycles per sector (endurance) from the datasheet's reliability "
      "table (default 100000)");
}

}  // namespace

json NewPartJson(const driver::Sfdp& sfdp, const NewPartRequest& request,
                 std::vector<std::string>* todo) {
  todo->clear();
  json doc = json::object();
  doc["name"] = request.name;
  doc["vendor"] = request.vendor;
  doc["source"] = request.source.empty()
                      ? "SFDP image " + request.image_path +
                            " (flashrig parts new); add the datasheet the other values come from"
                      : request.source;
  doc["jedec_id"] = request.jedec_id;
  doc["sfdp_image"] = request.image_path;
  const driver::SfdpDerivedPart derived = driver::PartFromSfdp(sfdp);
  for (const driver::PartNote& n : derived.notes) {
    if (n.kind == driver::PartNote::Kind::kMissing) {
      todo->push_back(n.text + "; give " + driver::PartFieldName(n.field) +
                      " from the datasheet (the part does not load until then)");
    } else if (n.kind == driver::PartNote::Kind::kDefault) {
      todo->push_back(n.text + "; give the datasheet value to replace the default");
    } else if (n.kind == driver::PartNote::Kind::kIgnored) {
      todo->push_back("the table's " + n.text);
    }
  }
  for (const std::string& w : sfdp.warnings) {
    todo->push_back("the table has a warning, check it against the datasheet: " + w);
  }
  if (request.source.empty()) {
    todo->push_back("source: name the datasheet (title, revision) the filled-in values come from");
  }
  AddDatasheetTodo(sfdp.bfpt, *todo);
  doc["todo"] = *todo;
  return doc;
}

}  // namespace flashrig::hil
