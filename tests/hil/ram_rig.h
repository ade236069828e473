// Test rigs: a RamFlash (optionally timed by a VirtualClock through TimedFlash) wrapped in
// the hil::Rig a campaign runs against, with an exact power switch.
#pragma once

#include <memory>

#include "flashrig/driver/flash/flash_wrapper.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/hil/targets/rig.h"
#include "flashrig/hil/targets/rig_power_switches.h"

namespace flashrig::hil::testing {

// Charges fixed modelled times to a VirtualClock per operation, like a datasheet-typical
// chip: read 10 ns/byte, program 400 us, erase 45 ms per 4 KiB sector.
class TimedFlash final : public driver::FlashWrapper {
 public:
  TimedFlash(driver::Flash& target, VirtualClock& clock) : FlashWrapper(target), clock_(clock) {}
  uint64_t program_ns = 400'000;
  uint64_t erase_ns_per_sector = 45'000'000;
  uint64_t read_ns_per_byte = 10;

 private:
  Status DoRead(uint32_t address, std::span<std::byte> out) override {
    clock_.Advance(std::chrono::nanoseconds(read_ns_per_byte * out.size()));
    return FlashWrapper::DoRead(address, out);
  }
  Status DoProgram(uint32_t address, std::span<const std::byte> data) override {
    clock_.Advance(std::chrono::nanoseconds(program_ns));
    return FlashWrapper::DoProgram(address, data);
  }
  Status DoErase(uint32_t address, uint32_t size_bytes) override {
    clock_.Advance(std::chrono::nanoseconds(erase_ns_per_sector * (size_bytes / 4096)));
    return FlashWrapper::DoErase(address, size_bytes);
  }
  VirtualClock& clock_;
};

struct RamRig {
  explicit RamRig(const driver::RamFlashOptions& options)
      : ram(options), timed(ram, clock), power(ram) {
    rig.name = "ram";
    rig.target = "test:ram";
    rig.flash = &timed;
    rig.clock = &clock;
    rig.timing = TimingSource::kModelled;
    rig.power = &power;
    rig.save_image = [this](const std::string& path) { return ram.SaveImage(path); };
  }
  RamRig(uint32_t sector_bytes, uint32_t sectors)
      : RamRig(driver::RamFlashOptions{.geometry = {.size_bytes = sector_bytes * sectors,
                                                    .erase_size_bytes = sector_bytes}}) {}

  driver::RamFlash ram;
  VirtualClock clock;
  TimedFlash timed;
  RamPowerSwitch power;
  Rig rig;
};

}  // namespace flashrig::hil::testing
