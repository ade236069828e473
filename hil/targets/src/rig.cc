// OpenRig: opens the rig's target (target.h), restricts it to the partition and wires up
// what campaigns need: timing source, part facts, power switch, image saving, identity.
#include "flashrig/hil/targets/rig.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "flashrig/hil/targets/partition_flash.h"
#include "flashrig/hil/targets/rig_power_switches.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {
namespace {

class TargetRigHandle final : public RigHandle {
 public:
  explicit TargetRigHandle(std::unique_ptr<Target> target) : target_(std::move(target)) {}
  ~TargetRigHandle() override {
    // Image-backed targets write their contents back, as a real chip would keep them.
    target_->Flush().IgnoreError();
  }
  Rig& rig() override { return rig_; }
  Target& target() { return *target_; }

  Rig rig_;
  std::unique_ptr<PartitionFlash> partition;
  std::unique_ptr<PowerSwitch> power;

 private:
  std::unique_ptr<Target> target_;
};

RigOpenResult Fail(std::string error, bool bad_input) {
  RigOpenResult r;
  r.error = std::move(error);
  r.bad_input = bad_input;
  return r;
}

nlohmann::json Identity(driver::SpiNorFlash& nor) {
  const driver::ProbeInfo& info = nor.info();
  nlohmann::json id = {{"jedec_id", std::vector<int>(info.jedec_id.begin(), info.jedec_id.end())},
                       {"params_source", info.sfdp ? "sfdp" : "database"}};
  // The erase sizes the driver uses (a 4-byte-opcode part drops types without one).
  std::vector<uint32_t> erase_ops;
  for (const auto& e : nor.params().erase_ops) erase_ops.push_back(e.size_bytes);
  id["erase_ops_bytes"] = erase_ops;
  if (info.sfdp) {
    const driver::SfdpBfpt& b = info.sfdp->bfpt;
    std::vector<uint32_t> erase_sizes;
    for (const auto& e : b.erase_types) {
      if (e.size_bytes != 0) erase_sizes.push_back(static_cast<uint32_t>(e.size_bytes));
    }
    std::sort(erase_sizes.begin(), erase_sizes.end());
    // BFPT DWORD 10 (erase times) and 11 (page program, chip erase), as the chip encodes
    // them: qualify compares them with the datasheet values.
    nlohmann::json erase_times = nlohmann::json::array();
    for (const auto& e : b.erase_types) {
      if (e.size_bytes == 0 || e.typical_us == 0) continue;
      erase_times.push_back(
          {{"size_bytes", e.size_bytes}, {"typical_us", e.typical_us}, {"max_us", e.max_us}});
    }
    id["sfdp"] = {
        {"size_bytes", b.size_bytes},
        {"page_bytes", b.page_bytes},
        {"erase_sizes_bytes", erase_sizes},
        {"erase_times", erase_times},
        {"page_program_typical_us", b.program_typical_us},
        {"page_program_max_us", b.program_max_us},
        {"chip_erase_typical_us", b.chip_erase_typical_us},
        {"chip_erase_max_us", b.chip_erase_max_us},
        {"address_bytes", driver::SfdpAddressBytesName(b.address_bytes)},
        {"bfpt_revision", fmt::format("{}.{}", b.major, b.minor)},
        {"bfpt_dwords", b.dwords},
        {"version", fmt::format("{}.{}", info.sfdp->header.major, info.sfdp->header.minor)}};
  } else {
    id["sfdp_error"] = info.sfdp_error;
  }
  return id;
}

// Sets BP = 1 so a block inside the partition is protected, checks a program there is
// refused and leaves the cells erased, then unlocks. "" = behaved.
std::string CheckProtection(driver::SpiNorFlash& nor, const driver::ChipModel& model,
                            uint32_t part_offset, uint32_t part_size) {
  if (model.block_protect.bp_bit_positions.empty()) return "the part has no block protection";
  for (bool bottom : {true, false}) {
    if (bottom && model.block_protect.tb_bit < 0) continue;
    const uint8_t sr1 = driver::EncodeBpValue(model, 1, bottom);
    const driver::ProtectedRange range = driver::ComputeProtectedRange(model, sr1);
    if (range.empty() || range.begin < part_offset ||
        uint64_t{range.begin} + model.smallest_erase_bytes() > uint64_t{part_offset} + part_size) {
      continue;  // That block is outside the partition: never touch it.
    }
    const uint32_t sector = model.smallest_erase_bytes();
    if (!nor.Erase(range.begin, sector).ok()) return "could not erase the test sector";
    if (!nor.WriteStatus1(sr1).ok()) return "writing SR1 (BP bits) failed";
    const std::byte zero{0};
    const Status s = nor.Program(range.begin, std::span(&zero, 1));
    std::byte back{0};
    const Status r = nor.Read(range.begin, std::span(&back, 1));
    const Status u = nor.Unlock();
    if (!u.ok()) return fmt::format("unlock after the test failed: {}", u.str());
    if (!r.ok()) return fmt::format("read-back failed: {}", r.str());
    if (s.ok() || back != std::byte{0xFF}) {
      return fmt::format(
          "a program at 0x{:X} inside the protected range succeeded ({}), byte "
          "now {:02X}",
          range.begin, s.str(), static_cast<int>(back));
    }
    auto after = nor.ReadProtection();
    if (!after.ok() || !after->range.empty()) return "protection still set after unlock";
    return "";
  }
  return "no BP=1 protected block lies inside the partition";
}

bool HasOption(const std::string& url, const std::string& key) {
  return url.find("?" + key + "=") != std::string::npos ||
         url.find("&" + key + "=") != std::string::npos;
}

// The rig's pins (WP#, HOLD#, a same-channel power switch) become FTDI URL options unless
// the URL sets them itself.
std::string WithFtdiPins(const RigConfig& config, std::string url) {
  if (url.rfind("ftdi://", 0) != 0 && url.rfind("ftdi-emu:", 0) != 0) return url;
  const auto add = [&url](const std::string& key, const std::string& value) {
    if (HasOption(url, key)) return;
    url += (url.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
  };
  if (config.wp_pin >= 0) add("wp", std::to_string(config.wp_pin));
  if (config.hold_pin >= 0) add("hold", std::to_string(config.hold_pin));
  if (config.power.method == PowerControlMethod::kGpio && config.power.ftdi_url.empty()) {
    add("power", std::to_string(config.power.pin));
    add("power_active", config.power.active_low ? "low" : "high");
  }
  return url;
}

// The power switch power_control asks for: "" and *out set, or what is wrong.
std::string MakeBusPowerSwitch(const RigConfig& config, Target& t, bool* bad_input,
                               std::unique_ptr<PowerSwitch>* out) {
  const PowerControlConfig& pc = config.power;
  const char* method = pc.method == PowerControlMethod::kGpio ? "gpio" : "soft_reset";
  *bad_input = true;
  if (t.spi_nor() == nullptr || t.cut_bus() == nullptr) {
    return fmt::format(
        "power_control.method \"{}\" needs an SPI NOR target on a bus (sim:, ftdi-emu:, "
        "ftdi://), not {}",
        method, config.target);
  }
  driver::SpiBus* supply = nullptr;
  if (pc.method == PowerControlMethod::kGpio) {
    if (!pc.ftdi_url.empty()) {
      std::string error;
      supply = t.OpenSupplyChannel(pc.ftdi_url, pc.pin, pc.active_low, &error, bad_input);
      if (supply == nullptr) return error;
    }
    // Switch the supply on: proves the line is wired before a campaign relies on it.
    driver::SpiBus& supply_line = supply != nullptr ? *supply : *t.cut_bus();
    const Status s = supply_line.SetControlLine(driver::SpiControlLine::kChipPower, true);
    if (s == Status::Unimplemented()) {
      return fmt::format("power_control.pin {}: the target has no chip-power line wired", pc.pin);
    }
    if (!s.ok()) {
      *bad_input = false;
      return fmt::format("switching the chip's supply on failed: {}", s.str());
    }
  }
  driver::SpiNorFlash* nor = t.spi_nor();
  const std::array<uint8_t, 3> id = nor->info().jedec_id;
  // After power-up the chip must answer with its own ID again, or it did not come back.
  auto check_alive = [nor, id]() -> Status {
    auto got = nor->ReadJedecId();
    if (!got.ok()) return got.status();
    return *got == id ? Status::Ok() : Status::Unavailable();
  };
  *out =
      std::make_unique<BusPowerSwitch>(*t.cut_bus(), t.clock(), pc.method, pc, check_alive, supply);
  return "";
}

// The rig's target URL, with the options the rig config implies.
std::string TargetUrl(const RigConfig& config) {
  // The simulator charges wire time at its SCK rate: give it the rig's bus clock.
  std::string url = config.target;
  if (url.rfind("sim:", 0) == 0 && config.bus_hz > 0 && url.find("sck_hz=") == std::string::npos) {
    // Two appends, not "?" + std::string: GCC 12 warns a false -Wrestrict at -O3 there.
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += fmt::format("sck_hz={}", config.bus_hz);
  }
  return WithFtdiPins(config, url);
}

// Where the partition lies in the device, in bytes.
struct PartitionSpan {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// The configured partition; a size of 0 in the config means up to the end of the device.
PartitionSpan PartitionOf(const RigConfig& config, const driver::FlashGeometry& g) {
  const uint64_t offset = config.partition_offset_bytes;
  const uint64_t size = config.partition_size_bytes == 0
                            ? (offset < g.size_bytes ? g.size_bytes - offset : 0)
                            : config.partition_size_bytes;
  return {.offset = offset, .size = size};
}

// Whole sectors inside the device, and not empty.
bool FitsDevice(PartitionSpan p, const driver::FlashGeometry& g) {
  return p.size != 0 && p.offset % g.erase_size_bytes == 0 && p.size % g.erase_size_bytes == 0 &&
         p.offset + p.size <= g.size_bytes;
}

// The partition's bytes plus the device's wear; restored into the device around the
// untouched rest, which a fresh process recreates identically.
ChipState PartitionState(std::span<const std::byte> contents, const std::vector<uint64_t>& wear,
                         PartitionSpan p) {
  ChipState s;
  s.partition_image.assign(contents.begin() + static_cast<ptrdiff_t>(p.offset),
                           contents.begin() + static_cast<ptrdiff_t>(p.offset + p.size));
  s.erase_counts = wear;
  return s;
}

// get_chip_state / set_chip_state for an in-process device (simulated chip or RAM).
template <typename Device>
void AddChipStateHooks(Device* device, PartitionSpan p, Rig& rig) {
  rig.get_chip_state = [device, p] {
    return PartitionState(device->contents(), device->erase_counts(), p);
  };
  rig.set_chip_state = [device, p](const ChipState& s) {
    if (s.partition_image.size() != p.size) return Status::InvalidArgument();
    FLASHRIG_TRY(device->RestoreEraseCounts(s.erase_counts));
    return device->RestoreRange(static_cast<uint32_t>(p.offset), s.partition_image);
  };
  rig.write_partition = [device, p](std::span<const std::byte> image) {
    if (image.size() != p.size) return Status::InvalidArgument();
    return device->RestoreRange(static_cast<uint32_t>(p.offset), image);
  };
}

// What a simulated chip offers: part facts, an exact power switch, images, reseeding and
// command counts.
void WireSimulatedChip(driver::SimulatedSpiNorChip* chip, Target& t, bool in_process,
                       PartitionSpan p, TargetRigHandle& h) {
  Rig& rig = h.rig_;
  if (in_process) AddChipStateHooks(chip, p, rig);
  rig.part = chip->model();
  h.power = std::make_unique<ChipPowerSwitch>(*chip, t.cut_bus(), t.virtual_clock());
  rig.save_image = [chip](const std::string& path) { return chip->SaveImage(path); };
  rig.reseed = [chip](uint64_t seed) { chip->Reseed(seed); };
  rig.spi_transactions = [chip] {
    uint64_t n = 0;
    for (uint64_t c : chip->counters().commands) n += c;
    return n;
  };
}

// What a RAM flash offers: a power switch, images and read-noise reseeding.
void WireRam(driver::RamFlash* ram, bool in_process, PartitionSpan p, TargetRigHandle& h) {
  Rig& rig = h.rig_;
  h.power = std::make_unique<RamPowerSwitch>(*ram);
  if (in_process) AddChipStateHooks(ram, p, rig);
  rig.save_image = [ram](const std::string& path) { return ram->SaveImage(path); };
  rig.reseed = [ram](uint64_t seed) { ram->ReseedReadNoise(seed); };
}

// What an SPI NOR driver offers: part facts it probed, identity, busy times and the
// protection check.
void WireSpiNor(driver::SpiNorFlash* nor, PartitionSpan p, Rig& rig) {
  if (!rig.part && nor->info().part) rig.part = *nor->info().part;
  rig.identity = Identity(*nor);
  rig.sfdp_image = nor->info().sfdp_image;
  rig.busy_total = [nor](driver::BusyKind kind) { return nor->busy_log().stats(kind).total; };
  if (rig.part) {
    const driver::ChipModel model = *rig.part;
    rig.check_protection = [nor, model, p] {
      return CheckProtection(*nor, model, static_cast<uint32_t>(p.offset),
                             static_cast<uint32_t>(p.size));
    };
  }
}

}  // namespace

const char* TimingSourceName(TimingSource t) {
  return t == TimingSource::kModelled ? "modelled" : "measured";
}

RigOpenResult OpenRig(const RigConfig& config) {
  TargetOpenResult opened = OpenTarget(TargetUrl(config));
  if (!opened.target) {
    return Fail(fmt::format("rig {}: {}", config.name, opened.error), opened.bad_input);
  }
  auto handle = std::make_unique<TargetRigHandle>(std::move(opened.target));
  TargetRigHandle& h = *handle;
  Target& t = h.target();
  const driver::FlashGeometry& g = t.flash().geometry();
  const PartitionSpan p = PartitionOf(config, g);
  if (!FitsDevice(p, g)) {
    return Fail(
        fmt::format("rig {} ({}): partition offset {} size {} must be whole {}-byte "
                    "sectors inside the {}-byte device",
                    config.name, config.source, p.offset, p.size, g.erase_size_bytes, g.size_bytes),
        true);
  }
  h.partition = std::make_unique<PartitionFlash>(t.flash(), static_cast<uint32_t>(p.offset),
                                                 static_cast<uint32_t>(p.size));
  Rig& rig = h.rig_;
  rig.name = config.name;
  rig.target = config.target;
  rig.flash = h.partition.get();
  rig.clock = &t.clock();
  rig.timing = t.virtual_clock() != nullptr ? TimingSource::kModelled : TimingSource::kMeasured;
  const bool in_process = config.target.rfind("image:", 0) != 0;
  if (driver::SimulatedSpiNorChip* chip = t.chip()) {
    WireSimulatedChip(chip, t, in_process, p, h);
  } else if (driver::RamFlash* ram = t.ram()) {
    WireRam(ram, in_process, p, h);
  }
  if (driver::SpiNorFlash* nor = t.spi_nor()) WireSpiNor(nor, p, rig);
  if (config.power.method != PowerControlMethod::kNone) {
    // A rig with power control cuts as on hardware, also on emulated targets.
    bool bad_input = true;
    h.power.reset();
    if (std::string why = MakeBusPowerSwitch(config, t, &bad_input, &h.power); !why.empty()) {
      return Fail(fmt::format("rig {} ({}): {}", config.name, config.source, why), bad_input);
    }
  }
  rig.power = h.power.get();
  RigOpenResult r;
  r.handle = std::move(handle);
  return r;
}

}  // namespace flashrig::hil
