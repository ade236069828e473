// Target URLs -> an opened flash device that owns everything behind it (clock, simulated
// chip, bus, driver). Built in: sim:PART.json[?image=FILE&seed=N&timing=typical|sampled|max],
// sim:PARTNAME, ram:SECTORxCOUNT, image:FILE[?sector=BYTES]. Other schemes (ftdi://,
// serprog:) plug in through RegisterTargetScheme().
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/flash.h"
#include "flashrig/driver/spinor/part_database.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/targets/cut_spi_bus.h"
#include "flashrig/driver/flash/status.h"

namespace flashrig::hil {

// An opened device. Not thread-safe. Destroying it flushes (best effort) and closes.
class Target {
 public:
  virtual ~Target() = default;
  virtual driver::Flash& flash() = 0;
  virtual Clock& clock() = 0;
  // The URL it was opened from.
  virtual const std::string& url() const = 0;
  // Facets; nullptr where they do not apply.
  virtual driver::SpiNorFlash* spi_nor() { return nullptr; }
  virtual driver::SimulatedSpiNorChip* chip() { return nullptr; }
  virtual driver::RamFlash* ram() { return nullptr; }
  virtual VirtualClock* virtual_clock() { return nullptr; }
  // The bus decorator between the SPI NOR driver and the bus (sim:, ftdi-emu:, ftdi://):
  // power-loss campaigns cut mid-operation through it.
  virtual CutSpiBus* cut_bus() { return nullptr; }
  // Opens another FTDI channel (`ftdi_url`) whose GPIO `pin` switches this chip's supply
  // (a load switch wired to e.g. channel B of an FT2232H), and returns it as a bus whose
  // kChipPower line is that switch. The target owns it. On failure returns nullptr and
  // sets *error, and *bad_input when the URL or pin is wrong rather than the device.
  virtual driver::SpiBus* OpenSupplyChannel(const std::string& ftdi_url, uint32_t /*pin*/,
                                            bool /*active_low*/, std::string* error,
                                            bool* bad_input) {
    *error = "a supply switch on another FTDI channel needs an ftdi:// or ftdi-emu: target, "
             "not " + ftdi_url + " beside " + url();
    *bad_input = true;
    return nullptr;
  }
  // Writes the contents back where the URL keeps them (image files). kOk if the target
  // keeps nothing; kUnavailable on I/O errors.
  virtual Status Flush() { return Status::Ok(); }
};

struct TargetOptions {
  // Parts for SPI NOR probing; nullptr = load DefaultPartsDirectory() on demand.
  const driver::PartDatabase* parts = nullptr;
  driver::SpiNorOptions spi_nor{};
};

struct TargetOpenResult {
  std::unique_ptr<Target> target{};
  std::string error{};     // Set when target is null: what failed, naming the URL/file.
  bool bad_input = false;  // The URL/config was wrong (exit 2), not the device (exit 3).
};

// Opens `url`. Never throws.
TargetOpenResult OpenTarget(const std::string& url, const TargetOptions& options = {});

// Adds a scheme: URLs starting with `prefix` ("ftdi://", "serprog:") go to `opener`.
// Call before OpenTarget (e.g. from main, or a RegisterFtdiTargets() the scheme's owner
// provides); a later registration of the same prefix replaces the earlier one.
using TargetOpener = std::function<TargetOpenResult(const std::string& url, const TargetOptions&)>;
void RegisterTargetScheme(const std::string& prefix, TargetOpener opener);

// Process-wide state of sim: targets: a simulated chip keeps its contents for the life of
// the process, so opening the same sim: URL twice sees the same chip. This drops them
// (tests).
void ForgetSimulatedChips();

}  // namespace flashrig::hil
