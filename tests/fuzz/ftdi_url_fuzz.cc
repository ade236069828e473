// libFuzzer target for the FTDI URL parser and resolver (`--target ftdi://...`,
// power_control.ftdi in rig files): any text against any list of attached devices. Checks:
// parsing and resolving never crash and explain every refusal; a resolved URL names an
// attached device that matches it; and every canonical URL `flashrig devices` prints
// (FtdiDeviceUrls) parses and resolves back to exactly its own device and interface,
// whatever the devices' serial strings hold.
//   input: [device count] (vid pid chip bus readable serial-len serial...)* url...
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_url.h"
#include "fuzz_input_reader.h"

namespace {

using flashrig::driver::FtdiChipType;
using flashrig::driver::FtdiDeviceInfo;

void Check(bool ok) {
  if (!ok) std::abort();
}

uint16_t ProductOf(uint8_t selector, fuzz::InputReader& in) {
  switch (selector % 4) {
    case 0:
      return flashrig::driver::kFt232hProductId;
    case 1:
      return flashrig::driver::kFt2232ProductId;
    case 2:
      return flashrig::driver::kFt4232hProductId;
    default:
      return in.Word();
  }
}

std::vector<FtdiDeviceInfo> Devices(fuzz::InputReader& in) {
  std::vector<FtdiDeviceInfo> devices(in.Byte() % 5);
  for (size_t i = 0; i < devices.size(); ++i) {
    FtdiDeviceInfo& d = devices[i];
    const uint8_t vid = in.Byte();
    d.vendor_id = vid & 0x80 ? in.Word() : flashrig::driver::kFtdiVendorId;
    d.product_id = ProductOf(vid, in);
    d.chip_type = static_cast<FtdiChipType>(in.Byte() % 6);
    d.bus = static_cast<uint8_t>(i + 1);  // Distinct (bus, address), as on a real USB tree.
    d.address = in.Byte();
    d.strings_readable = in.Byte() & 1;
    const auto serial = in.Take(in.Byte() % 12);
    if (d.strings_readable) d.serial.assign(serial.begin(), serial.end());
  }
  return devices;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::InputReader in(data, size);
  const std::vector<FtdiDeviceInfo> devices = Devices(in);
  const auto rest = in.Take(size);
  const std::string text(rest.begin(), rest.end());

  std::string error;
  auto url = flashrig::driver::ParseFtdiUrl(text, &error);
  if (!url.ok()) {
    Check(url.status() == flashrig::Status::InvalidArgument() && !error.empty());
  } else {
    Check(url->interface >= 1 && url->interface <= 4);
    auto request = flashrig::driver::ResolveFtdiUrl(*url, devices, &error);
    if (request.ok()) {
      bool found = false;
      for (const auto& d : devices) {
        found |= d.bus == request->bus && d.address == request->address &&
                 (!url->vendor_id || d.vendor_id == *url->vendor_id) &&
                 (!url->product_id || d.product_id == *url->product_id);
      }
      Check(found && request->interface == url->interface);
    } else {
      Check(!error.empty());
    }
  }
  // Canonical URLs round-trip to their own device.
  size_t k = 0;
  for (size_t i = 0; i < devices.size(); ++i) {
    const uint8_t interfaces = flashrig::driver::FtdiInterfaceCount(devices[i].chip_type);
    for (uint8_t iface = 1; iface <= interfaces; ++iface) {
      if (!flashrig::driver::FtdiInterfaceHasMpsse(devices[i].chip_type, iface)) continue;
      const std::vector<std::string> urls = flashrig::driver::FtdiDeviceUrls(devices);
      Check(k < urls.size());
      auto parsed = flashrig::driver::ParseFtdiUrl(urls[k], &error);
      Check(parsed.ok());
      auto back = flashrig::driver::ResolveFtdiUrl(*parsed, devices, &error);
      Check(back.ok() && back->bus == devices[i].bus && back->address == devices[i].address &&
            back->interface == iface);
      ++k;
    }
  }
  return 0;
}
