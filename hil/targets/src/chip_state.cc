// ChipState files: the partition image (binary) and the wear (sparse JSON), written
// atomically under generation-numbered names so checkpoint.json always names a complete pair.
#include "flashrig/hil/targets/chip_state.h"

#include <fmt/format.h>

#include <filesystem>

#include "flashrig/driver/flash/image_file.h"
#include "flashrig/hil/config/config.h"
#include "flashrig/hil/config/config_reader.h"
#include "flashrig/hil/report/report.h"

namespace flashrig::hil {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Rig names become part of file names: keep them to a safe alphabet.
std::string SafeName(const std::string& rig) {
  std::string s = rig;
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return s;
}

std::string Prefix(const std::string& rig) { return "chip-" + SafeName(rig) + "-"; }

// Bounds on what a descriptor may claim, checked before anything is allocated: the
// largest device flashrig drives (4 GiB) and one wear unit per 256 bytes of it.
constexpr uint64_t kMaxImageBytes = uint64_t{1} << 32;
constexpr uint64_t kMaxWearUnits = kMaxImageBytes / 256;

}  // namespace

std::optional<json> SaveChipState(const std::string& dir, const std::string& rig,
                                  uint64_t generation, const ChipState& state, std::string* error) {
  const std::string base = fmt::format("{}{}", Prefix(rig), generation);
  const std::string image = base + ".bin";
  const std::string wear = base + ".wear.json";
  if (!driver::WriteImageFileAtomically(dir + "/" + image, state.partition_image).ok()) {
    *error = fmt::format("cannot write {}/{}", dir, image);
    return std::nullopt;
  }
  // Sparse: a long run touches a few sectors of a large chip.
  json counts = json::object();
  for (size_t i = 0; i < state.erase_counts.size(); ++i) {
    if (state.erase_counts[i] != 0) counts[std::to_string(i)] = state.erase_counts[i];
  }
  const json w = {
      {"format", "flashrig-wear"}, {"units", state.erase_counts.size()}, {"erase_counts", counts}};
  if (!WriteFileAtomic(dir + "/" + wear,
                       w.dump(-1, ' ', false, json::error_handler_t::replace) + "\n")
           .ok()) {
    *error = fmt::format("cannot write {}/{}", dir, wear);
    return std::nullopt;
  }
  return json{{"generation", generation},
              {"image", image},
              {"wear", wear},
              {"image_bytes", state.partition_image.size()},
              {"wear_units", state.erase_counts.size()}};
}

std::optional<ChipState> LoadChipState(const std::string& dir, const json& descriptor,
                                       std::string* error) {
  ChipState state;
  std::string image, wear;
  uint64_t image_bytes = 0, units = 0;
  try {
    image = descriptor.at("image").get<std::string>();
    wear = descriptor.at("wear").get<std::string>();
    image_bytes = JsonUint(descriptor.at("image_bytes"), kMaxImageBytes);
    units = JsonUint(descriptor.at("wear_units"), kMaxWearUnits);
  } catch (const std::exception& e) {
    *error = fmt::format("{}/checkpoint.json: chip_state: {}", dir, e.what());
    return std::nullopt;
  }
  auto bytes = driver::ReadImageFile(dir + "/" + image, image_bytes);
  if (!bytes.ok()) {
    *error = fmt::format("{}/{}: cannot read the saved chip image ({}; expected {} bytes)", dir,
                         image, bytes.status().str(), image_bytes);
    return std::nullopt;
  }
  state.partition_image = std::move(bytes).value();
  ConfigErrors errors;
  auto w = ReadJsonFile(dir + "/" + wear, &errors);
  if (!w) {
    *error = FormatConfigErrors(errors);
    return std::nullopt;
  }
  try {
    if (w->at("format").get<std::string>() != "flashrig-wear" ||
        JsonUint(w->at("units")) != units) {
      throw std::runtime_error("format or unit count does not match the checkpoint");
    }
    state.erase_counts.assign(units, 0);
    for (const auto& [key, value] : w->at("erase_counts").items()) {
      const uint64_t index = std::stoull(key);
      if (index >= units) throw std::runtime_error("unit " + key + " out of range");
      state.erase_counts[index] = JsonUint(value);
    }
  } catch (const std::exception& e) {
    *error = fmt::format("{}/{}: not a valid wear file ({})", dir, wear, e.what());
    return std::nullopt;
  }
  return state;
}

void PruneChipStates(const std::string& dir, const std::string& rig, uint64_t keep_from) {
  const std::string prefix = Prefix(rig);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos) continue;
    const std::string gen = rest.substr(0, dot);
    if (gen.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoull(gen) < keep_from) fs::remove(entry.path(), ec);
  }
}

}  // namespace flashrig::hil
