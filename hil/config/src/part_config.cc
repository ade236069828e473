// Part JSON loader: nlohmann-json (exceptions caught here) -> ChipModel, with errors that
// name the file and JSON pointer, then ValidateChipModel for the cross-field rules.
#include "flashrig/hil/config/part_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "flashrig/hil/config/config_reader.h"
#include "installed_data.h"
#include "part_sfdp.h"

namespace flashrig::hil {
namespace {

using driver::ChipModel;
using driver::EraseType;
using driver::OpTiming;
using nlohmann::json;

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Longest datasheet time a part file may give: one day, so _ms values times 1000 fit.
constexpr uint64_t kMaxTimeUs = 86'400'000'000;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "EF 40 15", "EF4015" or "0xEF4015" -> bytes. False if not exactly `count` hex bytes.
bool ParseHexBytes(std::string text, size_t count, uint8_t* out) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  if (text.size() != count * 2) return false;
  for (size_t i = 0; i < count; ++i) {
    const int hi = HexDigit(text[2 * i]);
    const int lo = HexDigit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool HexByte(ObjectReader& o, std::string_view key, uint8_t* out, bool required) {
  const json* v = o.Child(key, required);
  if (v == nullptr) return false;
  if (!v->is_string() || !ParseHexBytes(v->get<std::string>(), 1, out)) {
    o.reader().Error(o.PointerOf(key),
                     "expected a hex byte like \"0x20\", got " + DescribeJson(*v));
    return false;
  }
  return true;
}

bool HexByteValue(ConfigReader& r, const json& v, const std::string& pointer, uint8_t* out) {
  if (!v.is_string() || !ParseHexBytes(v.get<std::string>(), 1, out)) {
    r.Error(pointer, "expected a hex byte like \"0x05\", got " + DescribeJson(v));
    return false;
  }
  return true;
}

// {"typical_us", "max_us"} or {"typical_ms", "max_ms"}.
void ReadTiming(ObjectReader& parent, std::string_view key, OpTiming* out, bool required = true) {
  const json* v = parent.Child(key, required);
  if (v == nullptr) return;
  ObjectReader o(parent.reader(), *v, parent.PointerOf(key));
  if (!o.valid()) return;
  const bool us = o.Has("typical_us") || o.Has("max_us");
  const bool ms = o.Has("typical_ms") || o.Has("max_ms");
  if (us && ms) {
    o.reader().Error(o.pointer(), "give typical/max in one unit (_us or _ms), not both");
  } else {
    const uint64_t scale = ms ? 1000 : 1;
    uint64_t typical = 0;
    uint64_t max = 0;
    const std::string suffix = ms ? "_ms" : "_us";
    const UintRule rule = {.min = 1, .max = kMaxTimeUs / scale, .required = true};
    const bool ok_t = o.Uint("typical" + suffix, &typical, rule);
    const bool ok_m = o.Uint("max" + suffix, &max, rule);
    if (ok_t && ok_m) {
      if (max < typical) {
        o.reader().Error(o.PointerOf("max" + suffix), "expected max >= typical (" +
                                                          std::to_string(typical) + "), got " +
                                                          std::to_string(max));
      } else {
        *out = {.typical_us = typical * scale, .max_us = max * scale};
      }
    }
  }
  o.Finish();
}

// `times_optional`: a part with an SFDP image may leave an erase type's times (and
// opcode_4b) to the table's erase type of the same size; they stay 0 here.
void ReadEraseTypes(ObjectReader& root, ChipModel* m, bool times_optional) {
  const json* v = root.Child("erase_types", !times_optional);
  if (v == nullptr) return;
  ConfigReader& r = root.reader();
  const std::string pointer = root.PointerOf("erase_types");
  if (!v->is_array() || v->empty() || v->size() > 4) {
    r.Error(pointer, "expected an array of 1 to 4 erase types, got " + DescribeJson(*v));
    return;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    ObjectReader o(r, (*v)[i], pointer + "/" + std::to_string(i));
    if (!o.valid()) continue;
    EraseType e;
    if (o.Uint32("size_bytes", &e.size_bytes, {.min = 1, .required = true}) &&
        !IsPowerOfTwo(e.size_bytes)) {
      r.Error(o.PointerOf("size_bytes"),
              "expected a power of two, got " + std::to_string(e.size_bytes));
    }
    HexByte(o, "opcode", &e.opcode, true);
    HexByte(o, "opcode_4b", &e.opcode_4b, false);
    // Times: typical_ms/max_ms (or _us) directly in the erase type.
    const bool us = o.Has("typical_us");
    const std::string suffix = us ? "_us" : "_ms";
    const uint64_t scale = us ? 1 : 1000;
    uint64_t typical = 0;
    uint64_t max = 0;
    const UintRule rule = {.min = 1, .max = kMaxTimeUs / scale, .required = true};
    const bool timed = !times_optional || o.Has("typical" + suffix) || o.Has("max" + suffix);
    if (timed && o.Uint("typical" + suffix, &typical, rule) && o.Uint("max" + suffix, &max, rule)) {
      if (max < typical) {
        r.Error(o.PointerOf("max" + suffix), "expected max >= typical (" + std::to_string(typical) +
                                                 "), got " + std::to_string(max));
      }
      e.time = {.typical_us = typical * scale, .max_us = max * scale};
    }
    o.Finish();
    m->erase_types.push_back(e);
  }
}

void ReadOpcodeList(ObjectReader& o, std::string_view key, std::vector<uint8_t>* out,
                    bool required) {
  const json* v = o.Child(key, required);
  if (v == nullptr) return;
  const std::string pointer = o.PointerOf(key);
  if (!v->is_array() || v->empty() || v->size() > 3) {
    o.reader().Error(pointer, "expected an array of 1 to 3 hex opcodes, got " + DescribeJson(*v));
    return;
  }
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    uint8_t b = 0;
    if (HexByteValue(o.reader(), (*v)[i], pointer + "/" + std::to_string(i), &b)) out->push_back(b);
  }
}

void ReadBlockProtect(ObjectReader& root, ChipModel* m) {
  const json* v = root.Child("block_protect");
  if (v == nullptr) return;
  ObjectReader o(root.reader(), *v, root.PointerOf("block_protect"));
  if (!o.valid()) return;
  if (const json* bits = o.Child("bp_bits", true)) {
    const std::string pointer = o.PointerOf("bp_bits");
    if (!bits->is_array() || bits->size() > 5) {
      o.reader().Error(pointer,
                       "expected an array of up to 5 bit positions, got " + DescribeJson(*bits));
    } else {
      for (size_t i = 0; i < bits->size(); ++i) {
        const json& b = (*bits)[i];
        if (!b.is_number_unsigned() || b.get<uint64_t>() < 2 || b.get<uint64_t>() > 6) {
          o.reader().Error(
              pointer + "/" + std::to_string(i),
              "expected a status-register bit position in [2, 6], got " + DescribeJson(b));
        } else {
          m->block_protect.bp_bit_positions.push_back(static_cast<uint8_t>(b.get<uint64_t>()));
        }
      }
    }
  }
  uint32_t tb = 0;
  if (o.Uint32("tb_bit", &tb, {.min = 2, .max = 6}))
    m->block_protect.tb_bit = static_cast<int8_t>(tb);
  if (o.Uint32("first_protected_bytes", &m->block_protect.first_protected_bytes,
               {.min = 1, .required = true}) &&
      !IsPowerOfTwo(m->block_protect.first_protected_bytes)) {
    o.reader().Error(
        o.PointerOf("first_protected_bytes"),
        "expected a power of two, got " + std::to_string(m->block_protect.first_protected_bytes));
  }
  o.Finish();
}

void ReadModel(ObjectReader& root, ChipModel* m) {
  ConfigReader& r = root.reader();
  // With an SFDP image only the identity is required; the table gives the rest.
  const bool from_sfdp = ReadSfdpImageKeys(root, m);
  const bool req = !from_sfdp;
  root.String("name", &m->name, true);
  root.String("vendor", &m->vendor, true);
  root.String("source", &m->source, true);
  if (const json* id = root.Child("jedec_id", true)) {
    if (!id->is_string() || !ParseHexBytes(id->get<std::string>(), 3, m->jedec_id.data())) {
      r.Error(root.PointerOf("jedec_id"),
              "expected 3 hex bytes like \"EF 40 18\", got " + DescribeJson(*id));
    }
  }
  HexByte(root, "legacy_device_id", &m->legacy_device_id, false);
  if (root.Uint32("size_bytes", &m->size_bytes, {.min = 1, .required = req}) &&
      (!IsPowerOfTwo(m->size_bytes) || m->size_bytes > (1u << 31))) {
    r.Error(root.PointerOf("size_bytes"),
            "expected a power of two <= 2147483648, got " + std::to_string(m->size_bytes));
  }
  if (root.Uint32("page_bytes", &m->page_bytes, {.min = 1, .max = 4096}) &&
      !IsPowerOfTwo(m->page_bytes)) {
    r.Error(root.PointerOf("page_bytes"),
            "expected a power of two, got " + std::to_string(m->page_bytes));
  }
  ReadEraseTypes(root, m, from_sfdp);
  ReadTiming(root, "page_program", &m->page_program, req);
  ReadTiming(root, "chip_erase", &m->chip_erase, req);
  if (root.Has("write_status")) ReadTiming(root, "write_status", &m->write_status);
  root.Enum(
      "address_mode", &m->address_mode,
      {{"3-byte", driver::AddressMode::k3Byte}, {"3-or-4-byte", driver::AddressMode::k3Or4Byte}},
      req);
  root.Bool("has_4byte_opcodes", &m->has_4byte_opcodes);
  root.Bool("enter_4byte_needs_wren", &m->enter_4byte_needs_wren);
  if (const json* sr = root.Child("status_registers")) {
    ObjectReader o(r, *sr, root.PointerOf("status_registers"));
    if (o.valid()) {
      ReadOpcodeList(o, "read_opcodes", &m->status_read_opcodes, true);
      ReadOpcodeList(o, "write_opcodes", &m->status_write_opcodes, true);
      o.Finish();
    }
  }
  ReadBlockProtect(root, m);
  if (const json* s = root.Child("suspend")) {
    ObjectReader o(r, *s, root.PointerOf("suspend"));
    if (o.valid()) {
      HexByte(o, "suspend_opcode", &m->suspend_opcode, true);
      HexByte(o, "resume_opcode", &m->resume_opcode, true);
      o.Finish();
    }
  }
  root.Bool("unique_id", &m->has_unique_id);
  root.Bool("sfdp", &m->has_sfdp);
  if (const json* w = root.Child("wear")) {
    ObjectReader o(r, *w, root.PointerOf("wear"));
    if (o.valid()) {
      o.Uint("rated_erase_cycles", &m->wear.rated_erase_cycles);
      o.Number("time_growth", &m->wear.time_growth, 0.0, 1000.0);
      o.Number("stuck_bits_per_kcycle", &m->wear.stuck_bits_per_kcycle, 0.0, 1e6);
      o.Finish();
    }
  }
  root.Finish();
}

// ValidateChipModel names ChipModel fields; most are spelled as in the file, these not.
std::string PartFilePointer(const std::string& model_path) {
  static const std::pair<const char*, const char*> kRenamed[] = {
      {"status_read_opcodes", "/status_registers/read_opcodes"},
      {"status_write_opcodes", "/status_registers/write_opcodes"},
      {"suspend_opcode/resume_opcode", "/suspend"}};
  for (const auto& [field, pointer] : kRenamed) {
    if (model_path == field) return pointer;
  }
  // "erase_types/1/time": the times are members of the erase type itself.
  const size_t time = model_path.rfind("/time");
  if (time != std::string::npos && time + 5 == model_path.size()) {
    return "/" + model_path.substr(0, time);
  }
  return "/" + model_path;
}

}  // namespace

std::optional<ChipModel> ParsePartJson(const std::string& file, const std::string& text,
                                       ConfigErrors* errors, std::set<std::string>* accepted_keys) {
  ConfigReader reader(file, errors, accepted_keys);
  const size_t before = errors->size();
  const std::optional<json> doc = ParseJsonText(file, text, errors);
  if (!doc) return std::nullopt;
  ObjectReader root(reader, *doc, "");
  if (!root.valid()) return std::nullopt;
  ChipModel model;
  try {
    ReadModel(root, &model);
  } catch (const json::exception& e) {
    reader.Error("", std::string("unexpected JSON value: ") + e.what());
  }
  if (errors->size() == before && model.sfdp_origin) {
    CompleteFromSfdpImage(reader, file, *doc, &model);
  }
  if (errors->size() != before) return std::nullopt;
  std::string why;
  if (!driver::ValidateChipModel(model, &why).ok()) {
    // why is "path/inside: message" (or just a message); turn the path into a pointer.
    const size_t colon = why.find(": ");
    if (colon != std::string::npos && why.find(' ') > colon) {
      reader.Error(PartFilePointer(why.substr(0, colon)), why.substr(colon + 2));
    } else {
      reader.Error("", why);
    }
    return std::nullopt;
  }
  return model;
}

std::optional<ChipModel> LoadPartFile(const std::string& path, ConfigErrors* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back({path, "", "cannot open the file"});
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParsePartJson(path, text.str(), errors);
}

bool LoadPartDirectory(const std::string& directory, driver::PartDatabase* database,
                       ConfigErrors* errors) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) {
    errors->push_back({directory, "", "cannot list the parts directory: " + ec.message()});
    return false;
  }
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& f : files) {
    if (auto model = LoadPartFile(f.string(), errors)) {
      database->Add(std::move(*model));
    } else {
      ok = false;
    }
  }
  return ok;
}

std::string DefaultPartsDirectory() {
  if (const char* dir = std::getenv("FLASHRIG_PARTS_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* src = std::getenv("FLASHRIG_SOURCE_DIR"); src != nullptr && *src != '\0') {
    return std::string(src) + "/configs/parts";
  }
  if (std::string beside = PartsDirectoryBesideExecutable(); !beside.empty()) return beside;
#ifdef FLASHRIG_DEFAULT_PARTS_DIR
  if (std::filesystem::is_directory(FLASHRIG_DEFAULT_PARTS_DIR)) return FLASHRIG_DEFAULT_PARTS_DIR;
#endif
  if (std::string prefix = PartsDirectoryUnderPrefix(); !prefix.empty()) return prefix;
  return "configs/parts";
}

}  // namespace flashrig::hil
