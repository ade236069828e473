// ftdi:// and ftdi-emu: targets: SpiNorFlash over FtdiSpiBus, on a real device or on the
// MPSSE emulator in front of a simulated chip (the same byte streams either way).
#include "flashrig/hil/targets/ftdi_target.h"

#include <map>
#include <memory>
#include <optional>

#include "flashrig/driver/ftdi/ftdi_url.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/hil/config/part_config.h"

namespace flashrig::hil {
namespace {

TargetOpenResult Fail(std::string error, bool bad_input) {
  return {.target = nullptr, .error = std::move(error), .bad_input = bad_input};
}

bool ParseUint(const std::string& text, uint64_t max, uint64_t* out) {
  if (text.empty()) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;
  }
  *out = v;
  return true;
}

// "a=1&b=2" -> map; "" on success, else the offending item.
std::string SplitQuery(const std::string& query, std::map<std::string, std::string>* out) {
  size_t i = 0;
  while (i < query.size()) {
    const size_t amp = query.find('&', i);
    const std::string item = query.substr(i, amp == std::string::npos ? amp : amp - i);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return "bad query item \"" + item + "\" (key=value)";
    (*out)[item.substr(0, eq)] = item.substr(eq + 1);
    if (amp == std::string::npos) break;
    i = amp + 1;
  }
  return "";
}

class FtdiTarget final : public Target {
 public:
  FtdiTarget(std::string url, std::unique_ptr<Clock> clock)
      : url_(std::move(url)), clock_(std::move(clock)) {}

  driver::Flash& flash() override { return *flash_; }
  Clock& clock() override { return *clock_; }
  const std::string& url() const override { return url_; }
  driver::SpiNorFlash* spi_nor() override { return flash_.get(); }
  driver::SimulatedSpiNorChip* chip() override { return chip_.get(); }
  VirtualClock* virtual_clock() override { return virtual_clock_; }
  CutSpiBus* cut_bus() override { return cut_bus_.get(); }
  driver::SpiBus* OpenSupplyChannel(const std::string& ftdi_url, uint32_t pin, bool active_low,
                                    std::string* error, bool* bad_input) override;

  std::string url_;
  std::unique_ptr<Clock> clock_;
  VirtualClock* virtual_clock_ = nullptr;
  // Destruction order matters: the driver, then the bus (closes the port / emulator),
  // then the chip the emulator drives.
  std::unique_ptr<driver::SimulatedSpiNorChip> chip_;
  std::unique_ptr<driver::FtdiSpiBus> bus_;
  std::unique_ptr<CutSpiBus> cut_bus_;     // In front of bus_; the driver talks through it.
  std::optional<driver::ChipModel> part_;  // What cut_bus_ classifies erase opcodes by.
  std::unique_ptr<driver::SpiNorFlash> flash_;
  // The channel with the supply switch (OpenSupplyChannel); on the emulator it drives
  // chip_, so it is destroyed before it.
  std::unique_ptr<driver::FtdiSpiBus> supply_bus_;
};

driver::SpiBus* FtdiTarget::OpenSupplyChannel(const std::string& ftdi_url, uint32_t pin,
                                              bool active_low, std::string* error,
                                              bool* bad_input) {
  *bad_input = true;
  driver::FtdiOptions options;
  options.url = ftdi_url;
  if (pin > 15) {
    *error = "power_control.pin " + std::to_string(pin) + ": an FTDI channel has GPIO 0-15";
    return nullptr;
  }
  options.pins.chip_power = static_cast<int8_t>(pin);
  options.pins.chip_power_active_high = !active_low;
  // Nothing is selected on this channel: put its unused chip select on the power pin's
  // neighbour so the two never collide (CS is an output idling high).
  options.pins.chip_select = static_cast<uint8_t>(pin == 3 ? 4 : 3);
  std::string message;
  Result<std::unique_ptr<driver::FtdiSpiBus>> bus = Status::Unimplemented();
  if (chip_ != nullptr) {
    // Emulated: a second MPSSE engine on the same board, its GPIO wired to the simulated
    // chip's supply only. The emulated device is the multi-channel part the URL names.
    Result<driver::FtdiUrl> parsed = driver::ParseFtdiUrl(ftdi_url, &message);
    if (!parsed.ok()) {
      *error = ftdi_url + ": " + message;
      return nullptr;
    }
    driver::MpsseEmulatorOptions emu_options{.pins = options.pins, .clock = virtual_clock_};
    emu_options.chip_type = parsed->product_id == driver::kFt4232hProductId
                                ? driver::FtdiChipType::kFt4232H
                            : parsed->product_id == driver::kFt232hProductId
                                ? driver::FtdiChipType::kFt232H
                                : driver::FtdiChipType::kFt2232H;
    emu_options.serial = "FREMUPWR1";
    auto emu = std::make_unique<driver::MpsseEmulator>(*chip_, emu_options);
    bus = driver::OpenFtdiSpiBus(std::move(emu), options, *virtual_clock_, &message);
  } else {
    bus = driver::OpenFtdiSpiBus(driver::NewLibftdiPort(), options, *clock_, &message);
  }
  if (!bus.ok()) {
    *bad_input = bus.status() == Status::InvalidArgument();
    *error = "power_control.ftdi " + ftdi_url + ": " + message;
    return nullptr;
  }
  supply_bus_ = std::move(bus).value();
  return supply_bus_.get();
}

const driver::PartDatabase& Parts(const TargetOptions& options, driver::PartDatabase* loaded) {
  if (options.parts != nullptr) return *options.parts;
  ConfigErrors ignored;  // A broken file in the parts dir does not stop an FTDI target.
  LoadPartDirectory(DefaultPartsDirectory(), loaded, &ignored);
  return *loaded;
}

TargetOpenResult Probe(std::unique_ptr<FtdiTarget> target, const driver::PartDatabase& parts,
                       const TargetOptions& options) {
  target->cut_bus_ =
      std::make_unique<CutSpiBus>(*target->bus_, target->part_ ? &*target->part_ : nullptr);
  auto flash =
      driver::SpiNorFlash::Probe(*target->cut_bus_, *target->clock_, &parts, options.spi_nor);
  if (!flash.ok()) {
    std::string why = target->bus_->last_error();
    return Fail(target->url_ + ": probe failed: " + flash.status().str() +
                    (why.empty() ? "" : " (" + why + ")") +
                    (flash.status() == Status::NotFound()
                         ? "; check the wiring and the chip's 3.3 V supply (docs/FTDI.md)"
                         : ""),
                false);
  }
  target->flash_ = std::move(flash).value();
  if (!target->part_ && target->flash_->info().part) {
    target->part_ = *target->flash_->info().part;
    target->cut_bus_->set_model(&*target->part_);
  }
  return {.target = std::move(target)};
}

TargetOpenResult OpenFtdi(const std::string& url, const TargetOptions& options) {
  driver::FtdiOptions bus_options;
  if (std::string error = ParseFtdiTargetOptions(url, &bus_options); !error.empty()) {
    return Fail(url + ": " + error, true);
  }
  auto target = std::make_unique<FtdiTarget>(url, std::make_unique<SystemClock>());
  std::string message;
  auto bus =
      driver::OpenFtdiSpiBus(driver::NewLibftdiPort(), bus_options, *target->clock_, &message);
  if (!bus.ok()) {
    const bool bad_input = bus.status() == Status::InvalidArgument();
    return Fail(message, bad_input);
  }
  target->bus_ = std::move(bus).value();
  driver::PartDatabase loaded;
  return Probe(std::move(target), Parts(options, &loaded), options);
}

TargetOpenResult OpenFtdiEmu(const std::string& url, const TargetOptions& options) {
  const std::string rest = url.substr(std::string("ftdi-emu:").size());
  const size_t q = rest.find('?');
  const std::string part_ref = rest.substr(0, q);
  std::map<std::string, std::string> query;
  if (q != std::string::npos) {
    if (std::string e = SplitQuery(rest.substr(q + 1), &query); !e.empty())
      return Fail(url + ": " + e, true);
  }
  if (part_ref.empty())
    return Fail(url + ": missing part (ftdi-emu:PART.json or ftdi-emu:PARTNAME)", true);
  driver::PartDatabase loaded;
  const driver::PartDatabase& parts = Parts(options, &loaded);
  std::optional<driver::ChipModel> model;
  if (part_ref.ends_with(".json")) {
    ConfigErrors errors;
    model = LoadPartFile(part_ref, &errors);
    if (!model) return Fail(FormatConfigErrors(errors), true);
  } else if (const driver::ChipModel* known = parts.FindByName(part_ref)) {
    model = *known;
  } else {
    return Fail(
        url + ": unknown part \"" + part_ref + "\" (a .json file or a name from `flashrig parts`)",
        true);
  }
  driver::SimulatedChipOptions chip_options;
  driver::FtdiOptions bus_options;
  std::string bus_query;  // Wiring and clock options, parsed as for ftdi:// URLs.
  for (const auto& [key, value] : query) {
    uint64_t n = 0;
    if (key == "seed" && ParseUint(value, UINT64_MAX / 10, &n)) {
      chip_options.seed = n;
    } else if (key == "timing" && (value == "typical" || value == "sampled" || value == "max")) {
      chip_options.timing = value == "typical"   ? driver::SimulatedChipOptions::Timing::kTypical
                            : value == "sampled" ? driver::SimulatedChipOptions::Timing::kSampled
                                                 : driver::SimulatedChipOptions::Timing::kMaximum;
    } else if (key == "clock_hz" || key == "cs" || key == "power" || key == "power_active" ||
               key == "wp" || key == "hold" || key == "reset") {
      bus_query += (bus_query.empty() ? "?" : "&") + key + "=" + value;
    } else {
      return Fail(url + ": bad option \"" + key + "=" + value +
                      "\" (seed=N, timing=typical|sampled|max, clock_hz=N, "
                      "cs/power/wp/hold/reset=PIN, power_active=high|low)",
                  true);
    }
  }
  if (std::string e = ParseFtdiTargetOptions("ftdi:///1" + bus_query, &bus_options); !e.empty()) {
    return Fail(url + ": " + e, true);
  }
  auto clock = std::make_unique<VirtualClock>();
  VirtualClock* virtual_clock = clock.get();
  auto target = std::make_unique<FtdiTarget>(url, std::move(clock));
  target->virtual_clock_ = virtual_clock;
  // The emulator charges wire time itself, so the chip must not charge it again.
  chip_options.sck_hz = 0;
  target->chip_ =
      std::make_unique<driver::SimulatedSpiNorChip>(*model, *virtual_clock, chip_options);
  target->part_ = *model;
  // The emulated board is wired as the URL says (a chip-power pin drives the simulated
  // chip's supply, so GPIO power cuts run as on hardware).
  auto emu = std::make_unique<driver::MpsseEmulator>(
      *target->chip_,
      driver::MpsseEmulatorOptions{.pins = bus_options.pins, .clock = virtual_clock});
  std::string message;
  auto bus = driver::OpenFtdiSpiBus(std::move(emu), bus_options, *virtual_clock, &message);
  if (!bus.ok()) return Fail(url + ": " + message, false);
  target->bus_ = std::move(bus).value();
  driver::PartDatabase with_self(
      std::vector<driver::ChipModel>(parts.parts().begin(), parts.parts().end()));
  if (with_self.FindByJedecId(model->jedec_id) == nullptr) with_self.Add(*model);
  return Probe(std::move(target), with_self, options);
}

}  // namespace

std::string ParseFtdiTargetOptions(const std::string& url, driver::FtdiOptions* options) {
  const size_t q = url.find('?');
  options->url = url.substr(0, q);
  if (q == std::string::npos) return "";
  std::map<std::string, std::string> query;
  if (std::string e = SplitQuery(url.substr(q + 1), &query); !e.empty()) return e;
  for (const auto& item : query) {
    const std::string& key = item.first;
    const std::string& value = item.second;
    uint64_t n = 0;
    auto pin = [&](int8_t* out) {
      if (!ParseUint(value, 15, &n)) return false;
      *out = static_cast<int8_t>(n);
      return true;
    };
    bool ok = false;
    if (key == "clock_hz") {
      ok = ParseUint(value, 1'000'000'000, &n) && n > 0;
      if (ok) options->clock_hz = static_cast<uint32_t>(n);
    } else if (key == "cs") {
      ok = ParseUint(value, 15, &n);
      if (ok) options->pins.chip_select = static_cast<uint8_t>(n);
    } else if (key == "power") {
      ok = pin(&options->pins.chip_power);
    } else if (key == "power_active") {
      ok = value == "high" || value == "low";
      options->pins.chip_power_active_high = value != "low";
    } else if (key == "wp") {
      ok = pin(&options->pins.write_protect);
    } else if (key == "hold") {
      ok = pin(&options->pins.hold);
    } else if (key == "reset") {
      ok = pin(&options->pins.reset);
    }
    if (!ok) {
      return "bad option \"" + key + "=" + value +
             "\" (clock_hz=HZ, cs/power/wp/hold/reset=PIN 3-15, power_active=high|low)";
    }
  }
  return "";
}

void RegisterFtdiTargets() {
  RegisterTargetScheme("ftdi://", OpenFtdi);
  RegisterTargetScheme("ftdi-emu:", OpenFtdiEmu);
}

}  // namespace flashrig::hil
