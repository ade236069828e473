// OpenTarget: the scheme registry and the built-in sim:, ram: and image: targets.
#include "flashrig/hil/targets/target.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/hil/config/part_config.h"

namespace flashrig::hil {
namespace {

using driver::SimulatedChipOptions;

TargetOpenResult Fail(std::string error, bool bad_input) {
  return {.target = nullptr, .error = std::move(error), .bad_input = bad_input};
}

// "a=1&b=2" -> {{"a","1"},{"b","2"}}; false on an entry without '='.
bool ParseQuery(const std::string& query, std::map<std::string, std::string>* out) {
  size_t i = 0;
  while (i < query.size()) {
    const size_t amp = query.find('&', i);
    const std::string item =
        query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    (*out)[item.substr(0, eq)] = item.substr(eq + 1);
    if (amp == std::string::npos) break;
    i = amp + 1;
  }
  return true;
}

bool ParseUint(const std::string& text, uint64_t* out) {
  if (text.empty()) return false;
  size_t used = 0;
  try {
    *out = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

std::string StatusText(Status s) { return s.str(); }

// --- sim: ---------------------------------------------------------------------------

// One simulated chip and its clock, kept for the life of the process.
struct SimState {
  VirtualClock clock;
  std::unique_ptr<driver::SimulatedSpiNorChip> chip;
  std::string image_path;
};

std::mutex& SimMutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::shared_ptr<SimState>>& SimChips() {
  static std::map<std::string, std::shared_ptr<SimState>> chips;
  return chips;
}

class SimTarget final : public Target {
 public:
  SimTarget(std::string url, std::shared_ptr<SimState> state)
      : url_(std::move(url)),
        state_(std::move(state)),
        bus_(*state_->chip),
        cut_bus_(bus_, &state_->chip->model()) {}
  ~SimTarget() override { Flush().IgnoreError(); }

  Status Probe(const driver::PartDatabase& parts, const driver::SpiNorOptions& options,
               driver::ProbeInfo* info) {
    auto flash = driver::SpiNorFlash::Probe(cut_bus_, state_->clock, &parts, options, info);
    if (!flash.ok()) return flash.status();
    flash_ = std::move(*flash);
    return Status::Ok();
  }

  driver::Flash& flash() override { return *flash_; }
  Clock& clock() override { return state_->clock; }
  const std::string& url() const override { return url_; }
  driver::SpiNorFlash* spi_nor() override { return flash_.get(); }
  driver::SimulatedSpiNorChip* chip() override { return state_->chip.get(); }
  VirtualClock* virtual_clock() override { return &state_->clock; }
  CutSpiBus* cut_bus() override { return &cut_bus_; }
  Status Flush() override {
    if (state_->image_path.empty()) return Status::Ok();
    return state_->chip->SaveImage(state_->image_path);
  }

 private:
  std::string url_;
  std::shared_ptr<SimState> state_;
  driver::SpiDeviceBus bus_;
  CutSpiBus cut_bus_;  // The driver talks through it.
  std::unique_ptr<driver::SpiNorFlash> flash_;
};

// The part a sim: URL names: a part file, or a name in `parts`. "" and *model set, or why
// not.
std::string ResolveSimPart(const std::string& url, const std::string& part_ref,
                           const driver::PartDatabase& parts,
                           std::optional<driver::ChipModel>* model) {
  if (part_ref.size() > 5 && part_ref.ends_with(".json")) {
    ConfigErrors errors;
    *model = LoadPartFile(part_ref, &errors);
    if (!*model) return FormatConfigErrors(errors);
  } else if (const driver::ChipModel* known = parts.FindByName(part_ref)) {
    *model = *known;
  } else {
    return url + ": unknown part \"" + part_ref +
           "\" (give a .json file or a name from "
           "`flashrig parts`)";
  }
  return "";
}

// The chip options of a sim: URL's query. "" and *out set, or what is wrong.
std::string ParseSimOptions(const std::string& url, const std::map<std::string, std::string>& query,
                            SimulatedChipOptions* out) {
  for (const auto& [key, value] : query) {
    uint64_t n = 0;
    if (key == "image") {
      if (value.empty()) return url + ": image= needs a file name";
    } else if (key == "seed") {
      if (!ParseUint(value, &n)) return url + ": seed: expected an integer, got \"" + value + "\"";
      out->seed = n;
    } else if (key == "timing") {
      if (value == "typical")
        out->timing = SimulatedChipOptions::Timing::kTypical;
      else if (value == "sampled")
        out->timing = SimulatedChipOptions::Timing::kSampled;
      else if (value == "max")
        out->timing = SimulatedChipOptions::Timing::kMaximum;
      else
        return url + ": timing: expected typical, sampled or max, got \"" + value + "\"";
    } else if (key == "sck_hz") {
      if (!ParseUint(value, &n) || n == 0 || n > 1'000'000'000) {
        return url + ": sck_hz: expected a frequency in Hz, got \"" + value + "\"";
      }
      out->sck_hz = static_cast<uint32_t>(n);
    } else {
      return url + ": unknown option \"" + key + "\" (image, seed, timing, sck_hz)";
    }
  }
  return "";
}

// The process-wide chip of `url`, created (and loaded from image=) on first use. "" and
// *state set, or why the image cannot be used.
std::string SharedSimState(const std::string& url, const driver::ChipModel& model,
                           const SimulatedChipOptions& chip_options,
                           const std::map<std::string, std::string>& query,
                           std::shared_ptr<SimState>* state) {
  std::lock_guard<std::mutex> lock(SimMutex());
  auto& slot = SimChips()[url];
  if (!slot) {
    auto fresh = std::make_shared<SimState>();
    fresh->chip = std::make_unique<driver::SimulatedSpiNorChip>(model, fresh->clock, chip_options);
    if (auto it = query.find("image"); it != query.end()) {
      fresh->image_path = it->second;
      if (std::filesystem::exists(it->second)) {
        const Status s = fresh->chip->LoadImage(it->second);
        if (s == Status::InvalidArgument()) {
          SimChips().erase(url);
          return it->second + ": image size is not the part's " + std::to_string(model.size_bytes) +
                 " bytes";
        }
        if (!s.ok()) {
          SimChips().erase(url);
          return it->second + ": cannot read the image (" + StatusText(s) + ")";
        }
      }
    }
    slot = std::move(fresh);
  }
  *state = slot;
  return "";
}

TargetOpenResult OpenSim(const std::string& url, const TargetOptions& options) {
  const std::string rest = url.substr(4);
  const size_t q = rest.find('?');
  const std::string part_ref = rest.substr(0, q);
  std::map<std::string, std::string> query;
  if (q != std::string::npos && !ParseQuery(rest.substr(q + 1), &query)) {
    return Fail(url + ": bad query (expected key=value&...)", true);
  }
  if (part_ref.empty()) return Fail(url + ": missing part (sim:PART.json or sim:PARTNAME)", true);

  driver::PartDatabase loaded;
  const driver::PartDatabase* parts = options.parts;
  if (parts == nullptr) {
    ConfigErrors ignored;  // Broken files in the parts dir do not stop a sim: target.
    LoadPartDirectory(DefaultPartsDirectory(), &loaded, &ignored);
    parts = &loaded;
  }
  std::optional<driver::ChipModel> model;
  if (std::string why = ResolveSimPart(url, part_ref, *parts, &model); !why.empty()) {
    return Fail(why, true);
  }
  SimulatedChipOptions chip_options;
  if (std::string why = ParseSimOptions(url, query, &chip_options); !why.empty()) {
    return Fail(why, true);
  }
  std::shared_ptr<SimState> state;
  if (std::string why = SharedSimState(url, *model, chip_options, query, &state); !why.empty()) {
    return Fail(why, true);
  }
  // The simulated part is always known to its own database, ahead of entries that share
  // its name or JEDEC ID (the probe picks among those by the SFDP it returns).
  driver::PartDatabase with_self({*model});
  for (const driver::ChipModel& p : parts->parts()) {
    if (p.name != model->name) with_self.Add(p);
  }
  auto target = std::make_unique<SimTarget>(url, state);
  driver::ProbeInfo info;
  if (const Status s = target->Probe(with_self, options.spi_nor, &info); !s.ok()) {
    return Fail(url + ": probe failed: " + StatusText(s), false);
  }
  return {.target = std::move(target)};
}

// --- ram: and image: ---------------------------------------------------------------

class RamTarget final : public Target {
 public:
  RamTarget(std::string url, const driver::RamFlashOptions& options, std::string image_path)
      : url_(std::move(url)), flash_(options), image_path_(std::move(image_path)) {}
  ~RamTarget() override { Flush().IgnoreError(); }

  driver::Flash& flash() override { return flash_; }
  Clock& clock() override { return clock_; }
  const std::string& url() const override { return url_; }
  driver::RamFlash* ram() override { return &flash_; }
  Status Flush() override {
    return image_path_.empty() ? Status::Ok() : flash_.SaveImage(image_path_);
  }

 private:
  std::string url_;
  SystemClock clock_;
  driver::RamFlash flash_;
  std::string image_path_;
};

TargetOpenResult OpenRam(const std::string& url, const TargetOptions&) {
  const std::string spec = url.substr(4);
  const size_t x = spec.find('x');
  uint64_t sector = 0;
  uint64_t count = 0;
  if (x == std::string::npos || !ParseUint(spec.substr(0, x), &sector) ||
      !ParseUint(spec.substr(x + 1), &count)) {
    return Fail(url + ": expected ram:SECTOR_BYTESxCOUNT, e.g. ram:4096x32", true);
  }
  const driver::FlashGeometry g{
      .size_bytes = static_cast<uint32_t>(sector * count),
      .erase_size_bytes = static_cast<uint32_t>(sector),
      .program_page_bytes = static_cast<uint32_t>(std::min<uint64_t>(256, sector))};
  if (sector * count > (1ull << 31) || !g.IsValid()) {
    return Fail(url + ": sector size must be a power of two >= 256 and the total <= 2 GiB", true);
  }
  return {.target = std::make_unique<RamTarget>(url, driver::RamFlashOptions{.geometry = g}, "")};
}

TargetOpenResult OpenImage(const std::string& url, const TargetOptions&) {
  const std::string rest = url.substr(6);
  const size_t q = rest.find('?');
  const std::string path = rest.substr(0, q);
  std::map<std::string, std::string> query;
  if (q != std::string::npos && !ParseQuery(rest.substr(q + 1), &query)) {
    return Fail(url + ": bad query (expected sector=BYTES)", true);
  }
  uint64_t sector = 4096;
  for (const auto& [key, value] : query) {
    if (key != "sector" || !ParseUint(value, &sector)) {
      return Fail(url + ": unknown or bad option \"" + key + "\" (sector=BYTES)", true);
    }
  }
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Fail(path + ": cannot open the image file", true);
  const driver::FlashGeometry g{
      .size_bytes = static_cast<uint32_t>(size),
      .erase_size_bytes = static_cast<uint32_t>(sector),
      .program_page_bytes = static_cast<uint32_t>(std::min<uint64_t>(256, sector))};
  if (size > (1ull << 31) || !g.IsValid()) {
    return Fail(path + ": image size " + std::to_string(size) +
                    " is not a non-zero multiple of the sector size " + std::to_string(sector),
                true);
  }
  auto target = std::make_unique<RamTarget>(url, driver::RamFlashOptions{.geometry = g}, path);
  if (const Status s = target->ram()->LoadImage(path); !s.ok()) {
    return Fail(path + ": cannot read the image (" + StatusText(s) + ")", true);
  }
  return {.target = std::move(target)};
}

// --- Registry ----------------------------------------------------------------------

std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
std::vector<std::pair<std::string, TargetOpener>>& Registry() {
  static std::vector<std::pair<std::string, TargetOpener>> schemes = {
      {"sim:", OpenSim}, {"ram:", OpenRam}, {"image:", OpenImage}};
  return schemes;
}

}  // namespace

void RegisterTargetScheme(const std::string& prefix, TargetOpener opener) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  for (auto& [p, o] : Registry()) {
    if (p == prefix) {
      o = std::move(opener);
      return;
    }
  }
  Registry().emplace_back(prefix, std::move(opener));
}

TargetOpenResult OpenTarget(const std::string& url, const TargetOptions& options) {
  TargetOpener opener;
  std::string known;
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    for (const auto& [prefix, o] : Registry()) {
      known += (known.empty() ? "" : ", ") + prefix;
      if (url.rfind(prefix, 0) == 0) opener = o;
    }
  }
  if (!opener) return Fail("target \"" + url + "\": unknown scheme (known: " + known + ")", true);
  try {
    return opener(url, options);
  } catch (const std::exception& e) {
    return Fail("target \"" + url + "\": " + e.what(), false);
  }
}

void ForgetSimulatedChips() {
  std::lock_guard<std::mutex> lock(SimMutex());
  SimChips().clear();
}

}  // namespace flashrig::hil
