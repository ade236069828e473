// `flashrig devices`: lists attached FTDI devices (FT232H, FT2232H, FT4232H...) with the
// ftdi:// URLs to pass as --target. With none attached it says so and exits 0.
#include <fmt/format.h>

#include "cli.h"
#include "flashrig/driver/ftdi/ftdi_port.h"
#include "flashrig/driver/ftdi/ftdi_url.h"

namespace flashrig::cli {
namespace {

// Index of devices[i] among the devices with the same vendor and product (URL index).
uint32_t SameIdIndex(const std::vector<driver::FtdiDeviceInfo>& devices, size_t i) {
  uint32_t index = 0;
  for (size_t j = 0; j < i; ++j) {
    index += devices[j].vendor_id == devices[i].vendor_id &&
             devices[j].product_id == devices[i].product_id;
  }
  return index;
}

int ListDevices() {
  auto port = driver::NewLibftdiPort();
  auto devices = port->ListDevices();
  if (!devices.ok()) {
    fmt::print(stderr, "flashrig: cannot list USB devices: {} ({})\n", port->last_error(),
               devices.status().str());
    return kExitDeviceError;
  }
  if (devices->empty()) {
    fmt::print("no FTDI devices attached (looked for 0403:6001/6010/6011/6014/6015)\n");
    return kExitOk;
  }
  bool unreadable = false;
  for (size_t i = 0; i < devices->size(); ++i) {
    const driver::FtdiDeviceInfo& d = (*devices)[i];
    fmt::print("{:04x}:{:04x} {} on bus {} address {}", d.vendor_id, d.product_id,
               driver::FtdiChipTypeName(d.chip_type), d.bus, d.address);
    if (d.strings_readable) {
      fmt::print(": \"{}\" serial {}\n", d.description, d.serial.empty() ? "(none)" : d.serial);
    } else {
      fmt::print(": strings unreadable (no permission)\n");
      unreadable = true;
    }
    const uint8_t interfaces = driver::FtdiInterfaceCount(d.chip_type);
    if (interfaces == 0) fmt::print("  no MPSSE engine: cannot drive SPI\n");
    for (uint8_t iface = 1; iface <= interfaces; ++iface) {
      if (!driver::FtdiInterfaceHasMpsse(d.chip_type, iface)) continue;
      fmt::print("  {}\n", driver::FormatFtdiUrl(d, SameIdIndex(*devices, i), iface));
    }
  }
  if (unreadable) {
    fmt::print(
        "some devices could not be opened: install configs/udev/99-flashrig-ftdi.rules "
        "(see docs/FTDI.md) and replug\n");
  }
  return kExitOk;
}

}  // namespace

void AddDevicesCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("devices", "List attached FTDI devices and their ftdi:// URLs");
  cmd->callback([&ctx] { ctx.exit_code = ListDevices(); });
}

}  // namespace flashrig::cli
