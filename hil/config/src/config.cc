// Loading of campaign configs: the common keys, the rig list and each kind's section.
#include "flashrig/hil/config/config.h"

#include <filesystem>

#include "flashrig/hil/config/config_reader.h"
#include "rig_config_internal.h"

namespace flashrig::hil {
namespace {

using json = nlohmann::json;

const std::vector<std::pair<std::string, CampaignKind>> kKinds = {
    {"throughput", CampaignKind::kThroughput},
    {"endurance", CampaignKind::kEndurance},
    {"power_loss", CampaignKind::kPowerLoss},
    {"qualify", CampaignKind::kQualify}};
const std::vector<std::pair<std::string, RawOp>> kRawOps = {
    {"read", RawOp::kRead}, {"program", RawOp::kProgram}, {"erase", RawOp::kErase}};
const std::vector<std::pair<std::string, DataPattern>> kPatterns = {
    {"0x00", DataPattern::kZeros},
    {"0x55aa", DataPattern::k55AA},
    {"random", DataPattern::kRandom},
    {"incrementing", DataPattern::kIncrementing}};
const std::vector<std::pair<std::string, CutSchedule>> kSchedules = {
    {"every_op", CutSchedule::kEveryOp},
    {"log_spaced", CutSchedule::kLogSpaced},
    {"random", CutSchedule::kRandom},
    {"hazards", CutSchedule::kHazards},
    {"random_offset_us", CutSchedule::kRandomOffsetUs}};
const std::vector<std::pair<std::string, CutEffect>> kEffects = {
    {"torn", CutEffect::kTorn},
    {"not_applied", CutEffect::kNotApplied},
    {"applied", CutEffect::kApplied},
    {"mixed", CutEffect::kMixed}};

template <typename E>
const char* NameOf(const std::vector<std::pair<std::string, E>>& names, E value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name.c_str();
  }
  return "?";
}

// Reads an array under `key` whose elements are read by `element(json, pointer)`.
// Returns false (with an error) if present but not a non-empty array.
template <typename F>
bool ReadArray(ObjectReader& obj, std::string_view key, F element) {
  const json* v = obj.Child(key);
  if (v == nullptr) return false;
  if (!v->is_array() || v->empty()) {
    obj.reader().Error(obj.PointerOf(key), "expected a non-empty array, got " + DescribeJson(*v));
    return false;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    element((*v)[i], obj.PointerOf(key) + "/" + std::to_string(i));
  }
  return true;
}

// Wraps a scalar array element in a one-key object so the typed getters can read it.
template <typename T, typename Getter>
bool ReadElement(ConfigReader& reader, const json& value, const std::string& pointer, T* out,
                 Getter getter) {
  // The getters address members by key; give them a parent whose pointer is the array's.
  const size_t slash = pointer.rfind('/');
  json holder = json::object({{pointer.substr(slash + 1), value}});
  ObjectReader o(reader, holder, pointer.substr(0, slash));
  return getter(o, pointer.substr(slash + 1), out);
}

void ReadThroughput(ObjectReader& o, ThroughputConfig* t) {
  ConfigReader& r = o.reader();
  std::vector<RawOp> ops;
  if (ReadArray(o, "operations", [&](const json& v, const std::string& p) {
        RawOp op{};
        if (ReadElement(r, v, p, &op, [](ObjectReader& h, const std::string& k, RawOp* x) {
              return h.Enum(k, x, kRawOps);
            })) {
          ops.push_back(op);
        }
      })) {
    t->operations = ops;
  }
  std::vector<uint32_t> sizes;
  if (ReadArray(o, "sizes_bytes", [&](const json& v, const std::string& p) {
        uint32_t n = 0;
        if (ReadElement(r, v, p, &n, [](ObjectReader& h, const std::string& k, uint32_t* x) {
              return h.Uint32(k, x, {.min = 1, .max = 16u << 20});
            })) {
          sizes.push_back(n);
        }
      })) {
    t->sizes_bytes = sizes;
  }
  o.Uint32("iterations", &t->iterations, {.min = 1, .max = 1'000'000});
  ReadArray(o, "kv_mixes", [&](const json& v, const std::string& p) {
    ObjectReader m(r, v, p);
    KvMixConfig mix;
    mix.name = "mix" + std::to_string(t->kv_mixes.size());
    m.String("name", &mix.name);
    m.Uint32("operations", &mix.operations, {.min = 1, .max = 10'000'000});
    m.Uint32("key_count", &mix.key_count, {.min = 1, .max = 1'000'000});
    m.Uint32("value_min_bytes", &mix.value_min_bytes, {.max = 65536});
    m.Uint32("value_max_bytes", &mix.value_max_bytes, {.min = 1, .max = 65536});
    if (mix.value_max_bytes < mix.value_min_bytes) {
      r.Error(m.PointerOf("value_max_bytes"),
              "must be >= value_min_bytes (" + std::to_string(mix.value_min_bytes) + ")");
    }
    if (const json* w = m.Child("weights")) {
      ObjectReader wr(r, *w, m.PointerOf("weights"));
      wr.Uint32("append", &mix.append_weight, {.max = 1000});
      wr.Uint32("get", &mix.get_weight, {.max = 1000});
      wr.Uint32("invalidate", &mix.invalidate_weight, {.max = 1000});
      wr.Uint32("set", &mix.set_weight, {.max = 1000});
      wr.Uint32("gc", &mix.gc_weight, {.max = 1000});
      wr.Finish();
      if (mix.append_weight + mix.get_weight + mix.invalidate_weight + mix.set_weight +
              mix.gc_weight ==
          0) {
        r.Error(m.PointerOf("weights"), "expected at least one non-zero weight");
      }
    }
    m.Finish();
    t->kv_mixes.push_back(mix);
  });
}

void ReadEndurance(ObjectReader& o, EnduranceConfig* e) {
  ConfigReader& r = o.reader();
  if (const json* s = o.Child("sectors")) {
    if (s->is_object()) {
      ObjectReader so(r, *s, o.PointerOf("sectors"));
      uint32_t first = 0, count = 1;
      so.Uint32("first", &first);
      so.Uint32("count", &count, {.min = 1, .max = 1 << 20});
      so.Finish();
      e->sectors.clear();
      for (uint32_t i = 0; i < count; ++i) e->sectors.push_back(first + i);
    } else {
      std::vector<uint32_t> sectors;
      if (ReadArray(o, "sectors", [&](const json& v, const std::string& p) {
            uint32_t n = 0;
            if (ReadElement(r, v, p, &n, [](ObjectReader& h, const std::string& k, uint32_t* x) {
                  return h.Uint32(k, x);
                })) {
              sectors.push_back(n);
            }
          })) {
        e->sectors = sectors;
      }
    }
  }
  o.Uint("cycles", &e->cycles, {.min = 1});
  std::vector<DataPattern> patterns;
  if (ReadArray(o, "patterns", [&](const json& v, const std::string& p) {
        DataPattern d{};
        if (ReadElement(r, v, p, &d, [](ObjectReader& h, const std::string& k, DataPattern* x) {
              return h.Enum(k, x, kPatterns);
            })) {
          patterns.push_back(d);
        }
      })) {
    e->patterns = patterns;
  }
  o.Uint32("verify_every", &e->verify_every, {.min = 1});
  if (const json* s = o.Child("stop_on")) {
    ObjectReader so(r, *s, o.PointerOf("stop_on"));
    so.Bool("first_bit_error", &e->stop_on_first_bit_error);
    so.Uint("bit_errors", &e->stop_after_bit_errors);
    so.Bool("busy_over_max", &e->stop_on_busy_over_max);
    so.Finish();
  }
  o.Uint32("erase_max_us", &e->erase_max_us);
  o.Uint32("program_max_us", &e->program_max_us);
  o.Uint32("curve_points", &e->curve_points, {.min = 2, .max = 100000});
}

void ReadPowerLoss(ObjectReader& o, PowerLossConfig* p) {
  o.Uint32("operations", &p->operations, {.min = 1, .max = 1'000'000});
  o.Uint32("key_count", &p->key_count, {.min = 1, .max = 100000});
  o.Uint32("value_min_bytes", &p->value_min_bytes, {.min = 1, .max = 4000});
  o.Uint32("value_max_bytes", &p->value_max_bytes, {.min = 1, .max = 4000});
  if (p->value_max_bytes < p->value_min_bytes) {
    o.reader().Error(o.PointerOf("value_max_bytes"),
                     "must be >= value_min_bytes (" + std::to_string(p->value_min_bytes) + ")");
  }
  o.Enum("schedule", &p->schedule, kSchedules);
  o.Uint32("cut_count", &p->cut_count, {.min = 1, .max = 1'000'000});
  o.Enum("effect", &p->effect, kEffects);
  o.Bool("save_failing_images", &p->save_failing_images);
  o.Uint32("snapshot_every_ops", &p->snapshot_every_ops, {.max = 1'000'000});
}

void ReadQualify(ObjectReader& o, QualifyConfig* q) {
  o.Uint32("timing_samples", &q->timing_samples, {.min = 1, .max = 100000});
  o.Uint("endurance_cycles", &q->endurance_cycles);
  o.Uint32("power_loss_operations", &q->power_loss_operations, {.max = 100000});
}

bool ValidName(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == std::string::npos;
}

// Loads one rig entry (a path or an inline object); returns its resolved JSON.
json ReadRigEntry(ConfigReader& reader, const json& entry, const std::string& pointer, size_t index,
                  ConfigErrors* errors, std::set<std::string>* accepted_keys, CampaignConfig* out) {
  RigConfig rig;
  if (entry.is_string()) {
    const std::string path = entry.get<std::string>();
    if (!std::filesystem::is_regular_file(path)) {
      reader.Error(pointer, "rig file \"" + path +
                                "\" not found (relative paths are "
                                "resolved against the working directory)");
      return json();
    }
    // Keys of a rig file belong to the rig schema, not the campaign's: not recorded here.
    (void)accepted_keys;
    auto loaded = LoadRigFile(path, errors);
    if (!loaded) return json();
    rig = *loaded;
    std::optional<json> reread = ReadJsonFile(path, errors);
    if (!reread) return json();  // The file changed since LoadRigFile read it.
    json resolved = std::move(*reread);
    resolved.erase("$schema");
    resolved.erase("$comment");  // Inlined into config.json, where only the root may have one.
    resolved["name"] = rig.name;
    out->rigs.push_back(rig);
    return resolved;
  }
  if (!entry.is_object()) {
    reader.Error(pointer, "expected a rig file path or a rig object, got " + DescribeJson(entry));
    return json();
  }
  ParseRigObject(reader, entry, pointer, "rig" + std::to_string(index), &rig);
  rig.source = reader.file();
  json resolved = entry;
  resolved["name"] = rig.name;
  out->rigs.push_back(rig);
  return resolved;
}

// The keys every campaign has (name, kind, seed, output, checkpoint, stop). Returns
// whether a valid kind was given.
bool ReadCommonKeys(ConfigReader& reader, ObjectReader& root, CampaignConfig* c) {
  if (root.String("name", &c->name, /*required=*/true) && !ValidName(c->name)) {
    reader.Error("/name",
                 "expected letters, digits, '.', '_' or '-' only, got \"" + c->name + "\"");
  }
  const bool has_kind = root.Enum("kind", &c->kind, kKinds, /*required=*/true);
  root.Uint("seed", &c->seed);
  c->output_dir = "out/" + c->name;
  root.String("output_dir", &c->output_dir);
  root.Uint32("checkpoint_every_s", &c->checkpoint_every_s, {.min = 1, .max = 86400});
  if (const json* stop = root.Child("stop")) {
    ObjectReader s(reader, *stop, "/stop");
    s.Uint("max_duration_s", &c->max_duration_s);
    s.Finish();
  }
  return has_kind;
}

// Reads "rig" (one) or "rigs" (a list) into c->rigs and (*resolved)["rigs"]. Returns
// whether the list form was used.
bool ReadRigs(ConfigReader& reader, ObjectReader& root, ConfigErrors* errors,
              std::set<std::string>* accepted_keys, CampaignConfig* c, json* resolved) {
  const json* one = root.Child("rig");
  const json* many = root.Child("rigs");
  if ((one == nullptr) == (many == nullptr)) {
    reader.Error("", one ? "give either \"rig\" or \"rigs\", not both"
                         : "required key is missing: \"rig\" (one rig) or \"rigs\" (a list)");
  } else if (one != nullptr) {
    (*resolved)["rigs"] =
        json::array({ReadRigEntry(reader, *one, "/rig", 0, errors, accepted_keys, c)});
  } else if (!many->is_array() || many->empty()) {
    reader.Error("/rigs",
                 "expected a non-empty array of rig paths or objects, got " + DescribeJson(*many));
  } else {
    (*resolved)["rigs"] = json::array();
    for (size_t i = 0; i < many->size(); ++i) {
      (*resolved)["rigs"].push_back(ReadRigEntry(reader, (*many)[i], "/rigs/" + std::to_string(i),
                                                 i, errors, accepted_keys, c));
    }
  }
  return many != nullptr;
}

// Rig names must be unique, and so must targets. `listed`: the rigs came as "rigs".
void CheckRigsDistinct(ConfigReader& reader, const CampaignConfig& c, bool listed) {
  for (size_t i = 0; i < c.rigs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.rigs[i].name == c.rigs[j].name) {
        reader.Error(listed ? "/rigs/" + std::to_string(i) : "/rig",
                     "rig name \"" + c.rigs[i].name + "\" is used twice");
      }
      // Rigs run in parallel threads; two of them on one device would race.
      if (c.rigs[i].target == c.rigs[j].target) {
        reader.Error(
            "/rigs/" + std::to_string(i),
            "rig target \"" + c.rigs[i].target + "\" is also used by /rigs/" + std::to_string(j));
      }
    }
  }
}

// Every kind's section is known; only the campaign's own kind may be present.
void ReadKindSections(ConfigReader& reader, ObjectReader& root, bool has_kind, CampaignConfig* c) {
  struct Section {
    const char* key;
    CampaignKind kind;
  };
  for (const Section s : {Section{"throughput", CampaignKind::kThroughput},
                          Section{"endurance", CampaignKind::kEndurance},
                          Section{"power_loss", CampaignKind::kPowerLoss},
                          Section{"qualify", CampaignKind::kQualify}}) {
    const json* v = root.Child(s.key);
    if (has_kind && v != nullptr && s.kind != c->kind) {
      reader.Error(std::string("/") + s.key, std::string("section does not apply to kind \"") +
                                                 CampaignKindName(c->kind) + "\"");
      continue;
    }
    // Absent sections read as {} so accepted keys are recorded and defaults apply.
    const json empty = json::object();
    ObjectReader o(reader, v ? *v : empty, std::string("/") + s.key);
    switch (s.kind) {
      case CampaignKind::kThroughput:
        ReadThroughput(o, &c->throughput);
        break;
      case CampaignKind::kEndurance:
        ReadEndurance(o, &c->endurance);
        break;
      case CampaignKind::kPowerLoss:
        ReadPowerLoss(o, &c->power_loss);
        break;
      case CampaignKind::kQualify:
        ReadQualify(o, &c->qualify);
        break;
    }
    o.Finish();
  }
}

}  // namespace

const char* CampaignKindName(CampaignKind kind) { return NameOf(kKinds, kind); }
const char* RawOpName(RawOp op) { return NameOf(kRawOps, op); }
const char* DataPatternName(DataPattern p) { return NameOf(kPatterns, p); }
const char* CutScheduleName(CutSchedule s) { return NameOf(kSchedules, s); }
const char* CutEffectName(CutEffect e) { return NameOf(kEffects, e); }

std::optional<CampaignConfig> ParseCampaign(const json& input, const std::string& file,
                                            ConfigErrors* errors,
                                            std::set<std::string>* accepted_keys) {
  const size_t before = errors->size();
  ConfigReader reader(file, errors, accepted_keys);
  ObjectReader root(reader, input, "");
  CampaignConfig c;
  c.source = file;
  if (!root.valid()) return std::nullopt;
  const bool has_kind = ReadCommonKeys(reader, root, &c);

  json resolved = input;
  resolved.erase("$schema");
  resolved.erase("rig");
  const bool listed = ReadRigs(reader, root, errors, accepted_keys, &c, &resolved);
  CheckRigsDistinct(reader, c, listed);

  ReadKindSections(reader, root, has_kind, &c);
  root.Finish();
  if (errors->size() != before) return std::nullopt;
  c.resolved = std::move(resolved);
  return c;
}

std::optional<CampaignConfig> LoadCampaignFile(const std::string& path, ConfigErrors* errors,
                                               std::set<std::string>* accepted_keys) {
  auto json = ReadJsonFile(path, errors);
  if (!json) return std::nullopt;
  return ParseCampaign(*json, path, errors, accepted_keys);
}

}  // namespace flashrig::hil
