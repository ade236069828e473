// SCK divisor selection and the user-facing explanations of open failures.
#include "ftdi_bus_setup.h"

#include <algorithm>
#include <string>

#include "mpsse_commands.h"

namespace flashrig::driver {

Result<FtdiClockSetup> ChooseFtdiClock(FtdiChipType chip, uint32_t requested_hz,
                                       std::string* error) {
  if (requested_hz == 0) {
    *error = "clock_hz must be > 0";
    return Status::InvalidArgument();
  }
  if (FtdiInterfaceCount(chip) == 0) {
    *error = std::string(FtdiChipTypeName(chip)) + " has no MPSSE engine";
    return Status::InvalidArgument();
  }
  const uint32_t base =
      FtdiIsHighSpeed(chip) ? mpsse::kBaseClockHighSpeedHz : mpsse::kBaseClockFullSpeedHz;
  // Smallest divisor d with base / ((1 + d) * 2) <= requested.
  const uint64_t twice = 2ull * requested_hz;
  const uint64_t d = (base + twice - 1) / twice;  // ceil(base / (2 * requested)) = 1 + d.
  const uint16_t divisor = static_cast<uint16_t>(std::clamp<uint64_t>(d, 1, 65536) - 1);
  return FtdiClockSetup{.divisor = divisor, .sck_hz = mpsse::SckHz(base, divisor)};
}

std::string DescribeFtdiOpenError(Status status, const std::string& url,
                                  const FtdiDeviceInfo& device, const std::string& port_error) {
  const std::string where = url + " (" + FtdiChipTypeName(device.chip_type) + ", bus " +
                            std::to_string(device.bus) + " address " +
                            std::to_string(device.address) + ")";
  const std::string detail = port_error.empty() ? "" : " [libftdi: " + port_error + "]";
  switch (status.code()) {
    case StatusCode::kPermissionDenied:
      return "permission denied opening " + where +
             ": install configs/udev/99-flashrig-ftdi.rules into /etc/udev/rules.d, run "
             "`sudo udevadm control --reload && sudo udevadm trigger`, replug, and make "
             "sure you are in the plugdev group (docs/FTDI.md)" +
             detail;
    case StatusCode::kFailedPrecondition:
      return "device busy: " + where +
             " is claimed by the ftdi_sio kernel driver or another program (OpenOCD, "
             "flashrom, a serial terminal). Close other programs, or detach the driver: "
             "`sudo rmmod ftdi_sio`, or unbind just this interface via "
             "/sys/bus/usb/drivers/ftdi_sio/unbind (docs/FTDI.md)" +
             detail;
    case StatusCode::kNotFound:
      return "device " + where + " disappeared before it could be opened (unplugged?)" + detail;
    case StatusCode::kInvalidArgument:
      return "cannot open " + where + ": the chip has no such interface" + detail;
    default:
      break;
  }
  return "cannot open " + where + ": USB error" + detail;
}

}  // namespace flashrig::driver
