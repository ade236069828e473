// Loading of rig configs (configs/rigs/*.json or inline in a campaign) and of JSON files.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/config/part_config.h"
#include "rig_config_internal.h"

namespace flashrig::hil {
namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void CheckTarget(ObjectReader& obj, const std::string& target) {
  ConfigReader& r = obj.reader();
  const std::string ptr = obj.PointerOf("target");
  // Options after '?' (sim:x.json?seed=3) are checked by the target opener.
  const std::string base = target.substr(0, target.find('?'));
  if (StartsWith(base, "ram:")) {
    unsigned long long sector = 0, count = 0;
    char x = 0;
    std::istringstream in(base.substr(4));
    if (!(in >> sector >> x >> count) || x != 'x' || !in.eof() || sector == 0 ||
        (sector & (sector - 1)) != 0 || count == 0 || sector * count > (1ull << 32) - 1) {
      r.Error(ptr,
              "expected \"ram:SECTOR_BYTESxSECTORS\" with a power-of-two sector size "
              "and under 4 GiB in total (e.g. \"ram:4096x32\"), got \"" +
                  target + "\"");
    }
  } else if (StartsWith(base, "sim:")) {
    const std::string part = base.substr(4);
    // A path must exist; a bare part name ("sim:W25Q128JV") is looked up when opened.
    const bool is_path = part.find('/') != std::string::npos ||
                         (part.size() > 5 && part.compare(part.size() - 5, 5, ".json") == 0);
    if (part.empty()) {
      r.Error(ptr, "expected \"sim:PART.json\" or \"sim:PARTNAME\", got \"" + target + "\"");
    } else if (is_path && !std::filesystem::is_regular_file(part)) {
      r.Error(ptr, "part file \"" + part +
                       "\" not found (relative paths are resolved against "
                       "the working directory)");
    }
  } else if (StartsWith(base, "image:")) {
    if (base.size() == 6) r.Error(ptr, "expected \"image:FILE\", got \"" + target + "\"");
  } else if (!StartsWith(base, "ftdi://") && !StartsWith(base, "ftdi-emu:") &&
             !StartsWith(base, "serprog:")) {
    // ftdi-emu: (the MPSSE emulator in front of the simulated chip) is checked when opened.
    r.Error(ptr,
            "expected a target URL starting with sim:, ram:, image:, ftdi://, ftdi-emu: or "
            "serprog:, "
            "got \"" +
                target + "\"");
  }
}

void ReadPins(ObjectReader& rig, RigConfig* out) {
  const nlohmann::json* pins = rig.Child("pins");
  if (pins == nullptr) return;
  ObjectReader p(rig.reader(), *pins, rig.PointerOf("pins"));
  uint32_t wp = 0, hold = 0;
  if (p.Uint32("wp", &wp, {.max = 15})) out->wp_pin = static_cast<int32_t>(wp);
  if (p.Uint32("hold", &hold, {.max = 15})) out->hold_pin = static_cast<int32_t>(hold);
  p.Finish();
}

void ReadPower(ObjectReader& rig, RigConfig* out) {
  const nlohmann::json* power = rig.Child("power_control");
  if (power == nullptr) return;
  ObjectReader p(rig.reader(), *power, rig.PointerOf("power_control"));
  PowerControlConfig& pc = out->power;
  p.Enum("method", &pc.method,
         {{"none", PowerControlMethod::kNone},
          {"gpio", PowerControlMethod::kGpio},
          {"soft_reset", PowerControlMethod::kSoftReset}},
         /*required=*/true);
  if (p.String("ftdi", &pc.ftdi_url) && !StartsWith(pc.ftdi_url, "ftdi://")) {
    p.reader().Error(p.PointerOf("ftdi"), "expected an ftdi:// URL, got \"" + pc.ftdi_url + "\"");
  }
  const bool has_pin = p.Uint32("pin", &pc.pin, {.max = 15});
  p.Bool("active_low", &pc.active_low);
  p.Uint32("off_ms", &pc.off_ms, {.min = 1, .max = 60000});
  p.Uint32("settle_ms", &pc.settle_ms, {.max = 60000});
  if (pc.method == PowerControlMethod::kGpio && !has_pin && !p.Has("pin")) {
    p.reader().Error(p.PointerOf("pin"), "required when method is \"gpio\"");
  }
  p.Finish();
}

void ReadKv(ObjectReader& rig, RigConfig* out) {
  const nlohmann::json* kv = rig.Child("kv");
  if (kv == nullptr) return;
  ObjectReader k(rig.reader(), *kv, rig.PointerOf("kv"));
  bool refresh = false;
  if (k.Bool("refresh_on_mount", &refresh)) out->kv.refresh_on_mount = refresh;
  k.Bool("wear_record", &out->kv.wear_record);
  k.Finish();
}

}  // namespace

std::optional<nlohmann::json> ReadJsonFile(const std::string& path, ConfigErrors* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back({path, "", "cannot open file"});
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseJsonText(path, buffer.str(), errors);
}

void ParseRigObject(ConfigReader& reader, const nlohmann::json& json, const std::string& pointer,
                    const std::string& default_name, RigConfig* out) {
  ObjectReader rig(reader, json, pointer);
  out->name = default_name;
  rig.String("name", &out->name);
  if (rig.String("target", &out->target, /*required=*/true)) CheckTarget(rig, out->target);
  rig.Uint("bus_hz", &out->bus_hz, {.max = 200'000'000});
  if (const nlohmann::json* part = rig.Child("partition")) {
    ObjectReader p(reader, *part, rig.PointerOf("partition"));
    p.Uint("offset_bytes", &out->partition_offset_bytes, {.max = 0xFFFFFFFFull});
    p.Uint("size_bytes", &out->partition_size_bytes, {.max = 0xFFFFFFFFull});
    p.Finish();
  }
  ReadPins(rig, out);
  ReadPower(rig, out);
  ReadKv(rig, out);
  rig.Finish();
}

std::optional<RigConfig> LoadRigFile(const std::string& path, ConfigErrors* errors,
                                     std::set<std::string>* accepted_keys) {
  const size_t before = errors->size();
  auto json = ReadJsonFile(path, errors);
  if (!json) return std::nullopt;
  ConfigReader reader(path, errors, accepted_keys);
  RigConfig rig;
  ParseRigObject(reader, *json, "", std::filesystem::path(path).stem().string(), &rig);
  rig.source = path;
  if (errors->size() != before) return std::nullopt;
  return rig;
}

bool ValidateConfigFile(const std::string& path, ConfigErrors* errors, ConfigFileKind* kind) {
  const size_t before = errors->size();
  auto json = ReadJsonFile(path, errors);
  if (!json) return false;
  if (json->is_object() && json->contains("kind")) {
    *kind = ConfigFileKind::kCampaign;
    return ParseCampaign(*json, path, errors).has_value();
  }
  if (json->is_object() && json->contains("jedec_id")) {
    *kind = ConfigFileKind::kPart;
    return LoadPartFile(path, errors).has_value();
  }
  *kind = ConfigFileKind::kRig;
  ConfigReader reader(path, errors);
  RigConfig rig;
  ParseRigObject(reader, *json, "", std::filesystem::path(path).stem().string(), &rig);
  return errors->size() == before;
}

}  // namespace flashrig::hil
