// libFuzzer target for the config loaders: any bytes as a campaign, a rig (inline in a
// campaign, as the loader reads rig files) and a part description. Checks: nothing throws
// (nlohmann's exceptions are all caught where the library is called); every refusal is
// at least one error naming the file and an RFC 6901 pointer; every accepted document
// dumps as valid JSON; an accepted campaign's resolved form (what config.json keeps for
// replays and --resume) loads again to the same rigs; the file entry points (`flashrig
// validate`, the parts directory) agree with the in-memory parsers.
// Run from the repository root: the shipped configs name rig and part files by path.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/config/part_config.h"

namespace {

using flashrig::hil::ConfigErrors;
using json = nlohmann::json;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckErrors(const ConfigErrors& errors, size_t from, const std::string& file) {
  Check(errors.size() > from);
  for (size_t i = from; i < errors.size(); ++i) {
    // Errors inside a rig file a campaign names carry that file's path.
    Check(errors[i].file == file || !errors[i].file.empty());
    Check(errors[i].json_pointer.empty() || errors[i].json_pointer[0] == '/');
    Check(!errors[i].message.empty());
  }
}

void Campaign(const json& doc) {
  ConfigErrors errors;
  std::set<std::string> keys;  // What the schema test collects: every accepted key's pattern.
  auto campaign = flashrig::hil::ParseCampaign(doc, "c.json", &errors, &keys);
  if (!campaign) {
    CheckErrors(errors, 0, "c.json");
    return;
  }
  Check(errors.empty());
  (void)campaign->resolved.dump();
  auto again = flashrig::hil::ParseCampaign(campaign->resolved, "config.json", &errors);
  Check(again.has_value() && again->rigs.size() == campaign->rigs.size());
  for (size_t i = 0; i < again->rigs.size(); ++i) {
    Check(again->rigs[i].target == campaign->rigs[i].target);
    Check(again->rigs[i].name == campaign->rigs[i].name);
  }
}

// One scratch directory per fuzzer process; the input is written to it as f.json.
const std::string& ScratchDir() {
  static const std::string dir = [] {
    std::string d =
        (std::filesystem::temp_directory_path() / "flashrig-config-fuzz-XXXXXX").string();
    Check(::mkdtemp(d.data()) != nullptr);
    return d;
  }();
  return dir;
}

// The file entry points (`flashrig validate`, `flashrig parts --dir`) agree with the
// in-memory parsers on the same text.
void Files(const std::string& text, const std::optional<json>& doc, bool part_ok) {
  const std::string path = ScratchDir() + "/f.json";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ConfigErrors errors;
  flashrig::hil::ConfigFileKind kind = flashrig::hil::ConfigFileKind::kRig;
  const bool valid = flashrig::hil::ValidateConfigFile(path, &errors, &kind);
  Check(valid == errors.empty());
  if (!valid) (void)flashrig::hil::FormatConfigErrors(errors);
  if (kind == flashrig::hil::ConfigFileKind::kPart) Check(valid == part_ok);
  if (kind == flashrig::hil::ConfigFileKind::kCampaign) {
    ConfigErrors again;
    Check(doc && valid == flashrig::hil::ParseCampaign(*doc, path, &again).has_value());
  }
  flashrig::driver::PartDatabase parts;
  ConfigErrors part_errors;
  Check(flashrig::hil::LoadPartDirectory(ScratchDir(), &parts, &part_errors) == part_ok);
  Check(parts.parts().size() == (part_ok ? 1u : 0u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ConfigErrors errors;
  auto doc = flashrig::hil::ParseJsonText("f.json", text, &errors);
  if (!doc) {
    CheckErrors(errors, 0, "f.json");
  } else {
    (void)doc->dump();
    Campaign(*doc);
    // The document as a rig: inline in a minimal campaign, the way a rig file is read.
    Campaign(json{{"name", "fuzz"}, {"kind", "throughput"}, {"rig", *doc}});
    if (doc->is_number()) {  // The range-checked reader of checkpoints and chip states.
      try {
        const uint64_t n = flashrig::hil::JsonUint(*doc);
        Check(doc->get<double>() == static_cast<double>(n));
      } catch (const std::out_of_range&) {
      }
    }
  }
  ConfigErrors part_errors;
  std::set<std::string> part_keys;
  const bool part_ok =
      flashrig::hil::ParsePartJson("p.json", text, &part_errors, &part_keys).has_value();
  if (!part_ok) CheckErrors(part_errors, 0, "p.json");
  Files(text, doc, part_ok);
  return 0;
}
