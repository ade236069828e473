// FtdiUsbDevice, endpoint 0: the standard requests (descriptors, status, features,
// configuration, interface) and the FTDI SIO vendor requests, routed by wIndex to a
// channel (port requests) or to the EEPROM (90h-92h, wIndex = word address).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>

#include "flashrig/hil/emulate/ftdi_usb_device.h"

namespace flashrig::hil {
namespace {

// FTDI SIO vendor requests (libftdi's SIO_* numbers).
constexpr uint8_t kSioReset = 0x00;
constexpr uint8_t kSioModemCtrl = 0x01;
constexpr uint8_t kSioSetFlowCtrl = 0x02;
constexpr uint8_t kSioSetBaudrate = 0x03;
constexpr uint8_t kSioSetData = 0x04;
constexpr uint8_t kSioPollModemStatus = 0x05;
constexpr uint8_t kSioSetEventChar = 0x06;
constexpr uint8_t kSioSetErrorChar = 0x07;
constexpr uint8_t kSioSetLatencyTimer = 0x09;
constexpr uint8_t kSioGetLatencyTimer = 0x0A;
constexpr uint8_t kSioSetBitmode = 0x0B;
constexpr uint8_t kSioReadPins = 0x0C;
constexpr uint8_t kSioReadEeprom = 0x90;
constexpr uint8_t kSioWriteEeprom = 0x91;
constexpr uint8_t kSioEraseEeprom = 0x92;

constexpr uint8_t kModemStatus = 0x32;
constexpr uint8_t kLineStatus = 0x60;

// Standard requests (USB 2.0 table 9-4).
constexpr uint8_t kGetStatus = 0x00;
constexpr uint8_t kClearFeature = 0x01;
constexpr uint8_t kSetFeature = 0x03;
constexpr uint8_t kGetDescriptor = 0x06;
constexpr uint8_t kGetConfiguration = 0x08;
constexpr uint8_t kSetConfiguration = 0x09;
constexpr uint8_t kGetInterface = 0x0A;
constexpr uint8_t kSetInterface = 0x0B;

std::string Hex2(unsigned v) {
  char text[8];
  std::snprintf(text, sizeof text, "%02Xh", v & 0xFF);
  return text;
}

}  // namespace

int FtdiUsbDevice::RunControl(const uint8_t* setup, uint8_t* data, int length, int* actual) {
  const uint8_t request_type = setup[0];
  const uint8_t request = setup[1];
  const uint16_t value = static_cast<uint16_t>(setup[2] | (setup[3] << 8));
  const uint16_t index = static_cast<uint16_t>(setup[4] | (setup[5] << 8));
  const uint16_t w_length = static_cast<uint16_t>(setup[6] | (setup[7] << 8));
  if (w_length > length) {
    Complain("control URB shorter than its wLength");
    return -EINVAL;
  }
  std::vector<uint8_t> reply;
  const uint8_t type = request_type & 0x60;
  int status = 0;
  if (type == 0x00) {
    status = RunStandardRequest(request_type, request, value, index, &reply);
  } else if (type == 0x40) {
    status = RunVendorRequest(request_type, request, value, index, &reply);
  } else {
    Complain("class request " + Hex2(request) + ": the FTDI chip has none");
    status = -EPIPE;
  }
  if (status != 0) return status;
  const int n = std::min<int>(static_cast<int>(reply.size()), w_length);
  std::copy_n(reply.begin(), n, data);
  *actual = n;
  return 0;
}

// Returns 0 or -EPIPE (a stall), as RunControl.
int FtdiUsbDevice::RunStandardRequest(uint8_t request_type, uint8_t request, uint16_t value,
                                      uint16_t index, std::vector<uint8_t>* reply) {
  const uint8_t recipient = request_type & 0x1F;
  const bool in = (request_type & 0x80) != 0;
  const bool endpoint_ok =
      recipient != 2 || InterfaceOf(static_cast<uint8_t>(index)) >= 0 || (index & 0x7F) == 0;
  const bool interface_ok = recipient != 1 || index < shape_.interfaces;
  if (!endpoint_ok || !interface_ok) return -EPIPE;
  if (in && request == kGetDescriptor && recipient == 0) return GetDescriptor(value, reply);
  if (in && request == kGetStatus) {
    *reply = {0, 0};  // Bus powered, no remote wakeup; endpoints not halted.
    return 0;
  }
  if (!in && (request == kClearFeature || request == kSetFeature)) return 0;  // HALT, wakeup.
  if (in && request == kGetConfiguration) {
    *reply = {1};
    return 0;
  }
  if (!in && request == kSetConfiguration) return value == 1 || value == 0 ? 0 : -EPIPE;
  if (in && request == kGetInterface) {
    *reply = {0};
    return 0;
  }
  if (!in && request == kSetInterface) return value == 0 ? 0 : -EPIPE;  // Alternate 0 only.
  Complain("standard request " + Hex2(request) + " (bmRequestType " + Hex2(request_type) +
           ") stalled");
  return -EPIPE;
}

// GET_DESCRIPTOR: device, configuration, other-speed configuration, qualifier, LANGID and
// the three strings; anything else stalls, as on the chip.
int FtdiUsbDevice::GetDescriptor(uint16_t value, std::vector<uint8_t>* reply) const {
  const uint8_t type = static_cast<uint8_t>(value >> 8), i = static_cast<uint8_t>(value);
  const bool has_serial = !strings_.serial.empty();
  if (type == 0x01) {
    *reply = DeviceDescriptor(shape_, has_serial);
  } else if ((type == 0x02 || type == 0x07) && i == 0) {
    *reply = ConfigurationDescriptor(shape_, type == 0x07);
  } else if (type == 0x06) {
    *reply = DeviceQualifierDescriptor();
  } else if (type == 0x03 && i == 0) {
    *reply = {4, 0x03, 0x09, 0x04};  // LANGID en-US.
  } else if (type == 0x03 && (i == 1 || i == 2 || (i == 3 && has_serial))) {
    *reply = StringDescriptor(i == 1   ? strings_.manufacturer
                              : i == 2 ? strings_.product
                                       : strings_.serial);
  } else {
    return -EPIPE;
  }
  return 0;
}

// The FTDI SIO vendor requests. They address the device, so need no claim. EEPROM
// requests take a word address in wIndex; the others name the port in its low byte (1 =
// A; 0 = A too, as the kernel's ftdi_sio sends to single-port chips); the high byte of
// SET_BAUDRATE carries divisor bits on H chips.
int FtdiUsbDevice::RunVendorRequest(uint8_t request_type, uint8_t request, uint16_t value,
                                    uint16_t index, std::vector<uint8_t>* reply) {
  ++counters_.vendor_requests;
  const bool in = (request_type & 0x80) != 0;
  if (in && request == kSioReadEeprom) {
    const uint16_t word = eeprom_.ReadWord(index);
    *reply = {static_cast<uint8_t>(word & 0xFF), static_cast<uint8_t>(word >> 8)};
    return 0;
  }
  if (!in && request == kSioWriteEeprom) {
    eeprom_.WriteWord(index, value);  // Takes effect at the next enumeration on a chip.
    return 0;
  }
  if (!in && request == kSioEraseEeprom) {
    eeprom_.Erase();
    return 0;
  }
  const unsigned port = (index & 0xFF) == 0 ? 1u : (index & 0xFF);
  if (port > shape_.interfaces) {
    Complain("SIO request " + Hex2(request) + " to port " + std::to_string(index & 0xFF) +
             ": the " + driver::FtdiChipTypeName(shape_.type) + " has ports 1-" +
             std::to_string(shape_.interfaces));
    return -EPIPE;
  }
  return RunChannelRequest(*channels_[port - 1], in, request, value, reply);
}

int FtdiUsbDevice::RunChannelRequest(driver::MpsseEmulator& channel, bool in, uint8_t request,
                                     uint16_t value, std::vector<uint8_t>* reply) {
  Status s = Status::Ok();
  if (!in && request == kSioReset) {
    // 0: reset SIO (both buffers); 1: purge the host-to-chip buffer; 2: chip-to-host.
    s = value == 0   ? channel.Reset()
        : value == 1 ? channel.PurgeCommands()
        : value == 2 ? channel.PurgeReplies()
                     : Status::InvalidArgument();
  } else if (!in && request == kSioSetLatencyTimer) {
    s = channel.SetLatencyTimer(static_cast<uint8_t>(value));
  } else if (!in && request == kSioSetBitmode) {
    s = channel.SetBitMode(static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8));
  } else if (!in && (request == kSioModemCtrl || request == kSioSetFlowCtrl ||
                     request == kSioSetBaudrate || request == kSioSetData ||
                     request == kSioSetEventChar || request == kSioSetErrorChar)) {
    // UART settings: taken, no effect on the MPSSE.
  } else if (in && request == kSioGetLatencyTimer) {
    *reply = {channel.latency_timer_ms()};
  } else if (in && request == kSioPollModemStatus) {
    *reply = {kModemStatus, kLineStatus};
  } else if (in && request == kSioReadPins) {
    auto pins = channel.ReadPins();
    s = pins.status();
    if (pins.ok()) *reply = {*pins};
  } else {
    Complain(std::string("unknown FTDI vendor request ") + Hex2(request) +
             (in ? " (device-to-host)" : " (host-to-device)"));
    return -EPIPE;
  }
  if (!s.ok()) {
    Complain("SIO request " + Hex2(request) + " value " + std::to_string(value) +
             " refused: " + (channel.last_error().empty() ? s.str() : channel.last_error()));
    return -EPIPE;
  }
  return 0;
}

}  // namespace flashrig::hil
