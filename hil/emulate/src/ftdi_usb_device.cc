// FtdiUsbDevice, the usbfs side: capabilities, kernel driver, claims, URB submit / reap /
// discard per client, bulk endpoints to the channels, unplug. Control requests are in
// ftdi_usb_control.cc.
#include "flashrig/hil/emulate/ftdi_usb_device.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

namespace flashrig::hil {
namespace {

// FTDI modem status (CTS/DSR idle) and line status (THRE | TEMT): the two bytes that
// open every bulk IN packet (pyftdi's virtual FTDI and real FT2232H/FT232H report these).
constexpr uint8_t kModemStatus = 0x32;
constexpr uint8_t kLineStatus = 0x60;
constexpr int kPacketData = kHighSpeedBulkPacketBytes - 2;

// Adds the time an ioctl spends in this device (its share of the emulation's cost) to a
// counter.
class HandlerTimer {
 public:
  explicit HandlerTimer(uint64_t& total_ns)
      : total_ns_(total_ns), start_(std::chrono::steady_clock::now()) {}
  ~HandlerTimer() {
    total_ns_ += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::steady_clock::now() - start_)
                                           .count());
  }
  HandlerTimer(const HandlerTimer&) = delete;
  HandlerTimer& operator=(const HandlerTimer&) = delete;

 private:
  uint64_t& total_ns_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

FtdiUsbDevice::FtdiUsbDevice(const FtdiChipShape& shape,
                             std::vector<driver::MpsseEmulator*> channels,
                             const FtdiUsbDeviceOptions& options)
    : shape_(shape), channels_(std::move(channels)), options_(options) {
  strings_ = options_.strings;
  if (strings_.product.empty()) strings_.product = shape_.product;
  eeprom_ = FtdiEeprom::Programmed(shape_, strings_);
  driver_bound_.assign(shape_.interfaces, options_.kernel_driver_bound);
  claimed_by_.assign(shape_.interfaces, nullptr);
  for (size_t i = 0; i < channels_.size(); ++i) {
    driver::MpsseEmulator& ch = *channels_[i];
    auto listed = ch.ListDevices();
    const bool opened = listed.ok() && !listed->empty() &&
                        ch.Open({.vendor_id = listed->front().vendor_id,
                                 .product_id = listed->front().product_id,
                                 .bus = listed->front().bus,
                                 .address = listed->front().address,
                                 .interface = static_cast<uint8_t>(i + 1)})
                            .ok();
    if (!opened)
      Complain("channel " + std::string(1, static_cast<char>('A' + i)) + " did not open");
  }
}

std::vector<uint8_t> FtdiUsbDevice::descriptors() const {
  std::vector<uint8_t> d = DeviceDescriptor(shape_, !strings_.serial.empty());
  const std::vector<uint8_t> c = ConfigurationDescriptor(shape_);
  d.insert(d.end(), c.begin(), c.end());
  return d;
}

void FtdiUsbDevice::Unplug() {
  std::lock_guard<std::mutex> lock(mu_);
  unplugged_ = true;
}

void FtdiUsbDevice::UnplugAtBulkUrb(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  unplug_at_bulk_ = bulk_urbs_ + n;
}

UsbCounters FtdiUsbDevice::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

std::vector<std::string> FtdiUsbDevice::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::vector<unsigned long> FtdiUsbDevice::requests_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::array<uint8_t, FtdiEeprom::kBytes> FtdiUsbDevice::eeprom() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::array<uint8_t, FtdiEeprom::kBytes> out{};
  std::copy(eeprom_.bytes().begin(), eeprom_.bytes().end(), out.begin());
  return out;
}

void FtdiUsbDevice::Complain(std::string message) {
  if (options_.on_complaint) options_.on_complaint(message);
  if (errors_.size() < driver::MpsseEmulator::kMaxKeptErrors) errors_.push_back(std::move(message));
}

void FtdiUsbDevice::NoteClient(ClientId client) {
  if (std::find(known_clients_.begin(), known_clients_.end(), client) == known_clients_.end()) {
    known_clients_.push_back(client);
    ++counters_.clients;
  }
}

// Wall time passes for the chip too (x speedup), on top of the USB and wire time the
// channels model: a client waiting out a busy chip with wall-clock deadlines must see it
// progress at least at that rate, however far ahead the modelled time already runs.
void FtdiUsbDevice::KeepChipClockUp() {
  if (options_.chip_clock == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double, std::nano>(now - last_wall_).count();
  last_wall_ = now;
  options_.chip_clock->Advance(Clock::Duration(static_cast<int64_t>(elapsed * options_.speedup)));
}

int FtdiUsbDevice::Ioctl(ClientId client, unsigned long request, void* arg) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandlerTimer timer(counters_.handler_ns);
  KeepChipClockUp();
  ++counters_.ioctls;
  if (std::find(requests_.begin(), requests_.end(), request) == requests_.end()) {
    requests_.push_back(request);
  }
  NoteClient(client);
  if (unplugged_) {
    ++counters_.enodev_answers;
    return ENODEV;
  }
  return RunIoctl(client, request, arg);
}

// Returns 0, or the errno the ioctl fails with.
int FtdiUsbDevice::RunIoctl(ClientId client, unsigned long request, void* arg) {
  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      // What an xHCI host reports: one URB per transfer, however long.
      const uint32_t caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                            USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
                            USBDEVFS_CAP_BULK_SCATTER_GATHER;
      std::memcpy(arg, &caps, sizeof caps);
      return 0;
    }
    case USBDEVFS_GETDRIVER: {
      auto* gd = static_cast<usbdevfs_getdriver*>(arg);
      if (gd->interface >= shape_.interfaces) return EINVAL;
      if (!driver_bound_[gd->interface]) return ENODATA;
      std::snprintf(gd->driver, sizeof gd->driver, "ftdi_sio");
      return 0;
    }
    case USBDEVFS_IOCTL:
      return RunDriverIoctl(static_cast<const usbdevfs_ioctl*>(arg));
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE: {
      uint32_t interface = 0;
      std::memcpy(&interface, arg, sizeof interface);
      return request == USBDEVFS_CLAIMINTERFACE ? ClaimInterface(client, interface)
                                                : ReleaseInterface(client, interface);
    }
    case USBDEVFS_SETCONFIGURATION: {
      int32_t value = 0;
      std::memcpy(&value, arg, sizeof value);
      if (value != 1 && value != -1) return EINVAL;
      // usbfs refuses while a kernel driver holds an interface.
      return std::find(driver_bound_.begin(), driver_bound_.end(), true) != driver_bound_.end()
                 ? EBUSY
                 : 0;
    }
    case USBDEVFS_RESET:  // A port reset resets the chip (pyftdi reset(usb_reset=True)).
      for (driver::MpsseEmulator* ch : channels_) ch->PowerOnReset();
      return 0;
    case USBDEVFS_CLEAR_HALT:
      return 0;
    default:
      Complain("unhandled usbdevfs ioctl " + std::to_string(request));
      return ENOTTY;
  }
}

// USBDEVFS_IOCTL: libusb detaching (DISCONNECT) or re-attaching (CONNECT) the kernel driver.
int FtdiUsbDevice::RunDriverIoctl(const usbdevfs_ioctl* io) {
  if (io->ifno < 0 || io->ifno >= shape_.interfaces) return EINVAL;
  const size_t i = static_cast<size_t>(io->ifno);
  if (io->ioctl_code == static_cast<int>(USBDEVFS_DISCONNECT)) {
    if (!driver_bound_[i]) return ENODATA;
    if (options_.detach_denied) return EPERM;
    driver_bound_[i] = false;
    return 0;
  }
  if (io->ioctl_code == static_cast<int>(USBDEVFS_CONNECT)) {
    // The driver binds again if there is one (and the interface is free).
    if (options_.kernel_driver_bound && claimed_by_[i] == nullptr) driver_bound_[i] = true;
    return 0;
  }
  return ENOTTY;
}

int FtdiUsbDevice::ClaimInterface(ClientId client, uint32_t interface) {
  ++counters_.claims;
  if (interface >= shape_.interfaces) return ENOENT;  // Not in the active configuration.
  if (driver_bound_[interface]) return EBUSY;
  if (claimed_by_[interface] != nullptr && claimed_by_[interface] != client) return EBUSY;
  claimed_by_[interface] = client;
  return 0;
}

int FtdiUsbDevice::ReleaseInterface(ClientId client, uint32_t interface) {
  if (interface >= shape_.interfaces || claimed_by_[interface] != client) return EINVAL;
  claimed_by_[interface] = nullptr;
  return 0;
}

int FtdiUsbDevice::InterfaceOf(uint8_t endpoint) const {
  for (uint8_t i = 0; i < shape_.interfaces; ++i) {
    if (endpoint == BulkInEndpoint(i) || endpoint == BulkOutEndpoint(i)) return i;
  }
  return -1;
}

// Queues the URB until the client reaps it. A bulk URB claims its interface, as usbfs
// does, unless a driver or another client holds it.
int FtdiUsbDevice::SubmitUrb(ClientId client, usbdevfs_urb* urb, uint8_t* buffer,
                             uint64_t client_address, void* token) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandlerTimer timer(counters_.handler_ns);
  KeepChipClockUp();
  ++counters_.ioctls;
  NoteClient(client);
  if (unplugged_) {
    ++counters_.enodev_answers;
    return ENODEV;
  }
  if (urb->type == USBDEVFS_URB_TYPE_BULK) {
    const int interface = InterfaceOf(urb->endpoint);
    if (interface < 0) {
      Complain("bulk URB on endpoint " + std::to_string(urb->endpoint) + ", which the " +
               driver::FtdiChipTypeName(shape_.type) + " does not have");
      return ENOENT;
    }
    const auto i = static_cast<size_t>(interface);
    if (driver_bound_[i] || (claimed_by_[i] != nullptr && claimed_by_[i] != client)) return EBUSY;
    claimed_by_[i] = client;
  } else if (urb->type != USBDEVFS_URB_TYPE_CONTROL) {
    Complain("URB type " + std::to_string(urb->type) + ": the FTDI chip has bulk endpoints only");
    return EINVAL;
  }
  if (urb->buffer_length < 0 || (urb->buffer_length > 0 && buffer == nullptr)) return EFAULT;
  pending_.push_back({.client = client,
                      .urb = urb,
                      .buffer = buffer,
                      .client_address = client_address,
                      .token = token});
  return 0;
}

// Whether a pending URB can complete now: a bulk OUT waits while its channel NAKs.
bool FtdiUsbDevice::CanComplete(const Urb& urb) const {
  if (unplugged_ || urb.discarded_status != 0) return true;
  if (urb.urb->type != USBDEVFS_URB_TYPE_BULK || (urb.urb->endpoint & 0x80) != 0) return true;
  const int interface = InterfaceOf(urb.urb->endpoint);
  return !channels_[static_cast<size_t>(interface)]->WriteWouldBlock(
      static_cast<size_t>(urb.urb->buffer_length));
}

// The client's oldest URB that can complete. An endpoint's URBs complete in order: those
// behind a NAKed bulk OUT wait with it (the other endpoints go on).
std::deque<FtdiUsbDevice::Urb>::iterator FtdiUsbDevice::FindReapable(ClientId client) {
  uint32_t blocked = 0;  // Bit per OUT endpoint number.
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->client != client) continue;
    const uint32_t bit = 1u << (it->urb->endpoint & 0x0F);
    const bool out = it->urb->type == USBDEVFS_URB_TYPE_BULK && (it->urb->endpoint & 0x80) == 0;
    if (out && (blocked & bit) != 0) continue;
    if (CanComplete(*it)) return it;
    if (out) blocked |= bit;
  }
  return pending_.end();
}

// Completes the client's oldest URB that can complete (the device runs it only now).
int FtdiUsbDevice::ReapUrb(ClientId client, void** token) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandlerTimer timer(counters_.handler_ns);
  KeepChipClockUp();
  ++counters_.ioctls;
  const auto it = FindReapable(client);
  if (it == pending_.end()) {
    if (unplugged_) {
      ++counters_.enodev_answers;
      return ENODEV;
    }
    return EAGAIN;  // REAPURB would block; libusb only reaps after poll says so.
  }
  Urb urb = *it;
  pending_.erase(it);
  const bool bulk = urb.urb->type == USBDEVFS_URB_TYPE_BULK;
  if (bulk && unplug_at_bulk_ && *unplug_at_bulk_ == bulk_urbs_) unplugged_ = true;
  if (bulk) ++bulk_urbs_;
  if (unplugged_) {
    urb.urb->status = -ESHUTDOWN;  // Killed by the host controller at disconnect.
    urb.urb->actual_length = 0;
  } else if (urb.discarded_status != 0) {
    urb.urb->status = urb.discarded_status;
    urb.urb->actual_length = 0;
  } else {
    RunUrb(urb);
  }
  *token = urb.token;
  return 0;
}

bool FtdiUsbDevice::ReapReady(ClientId client) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandlerTimer timer(counters_.handler_ns);
  KeepChipClockUp();
  const bool ready = unplugged_ || FindReapable(client) != pending_.end();
  if (!ready) ++counters_.ioctls;
  return ready;
}

// Marks the client's pending URB at `client_address` as discarded; EINVAL if none.
int FtdiUsbDevice::DiscardUrb(ClientId client, uint64_t client_address) {
  std::lock_guard<std::mutex> lock(mu_);
  const HandlerTimer timer(counters_.handler_ns);
  ++counters_.ioctls;
  int err = EINVAL;
  for (Urb& urb : pending_) {
    if (urb.client == client && urb.client_address == client_address && urb.discarded_status == 0) {
      urb.discarded_status = -ENOENT;
      err = 0;
    }
  }
  return err;
}

std::vector<void*> FtdiUsbDevice::DropClient(ClientId client) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<void*> tokens;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->client == client) {
      tokens.push_back(it->token);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (ClientId& c : claimed_by_) {
    if (c == client) c = nullptr;
  }
  const auto known = std::find(known_clients_.begin(), known_clients_.end(), client);
  if (known != known_clients_.end()) known_clients_.erase(known);
  return tokens;
}

std::vector<void*> FtdiUsbDevice::DropAllUrbs() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<void*> tokens;
  for (const Urb& u : pending_) tokens.push_back(u.token);
  pending_.clear();
  return tokens;
}

void FtdiUsbDevice::RunUrb(Urb& urb) {
  usbdevfs_urb* u = urb.urb;
  const int length = u->buffer_length;
  int actual = 0;
  int status = 0;
  if (u->type == USBDEVFS_URB_TYPE_CONTROL) {
    ++counters_.control_urbs;
    if (length < 8) {
      Complain("control URB without a setup packet");
      status = -EINVAL;
    } else {
      status = RunControl(urb.buffer, urb.buffer + 8, length - 8, &actual);
    }
  } else {
    driver::MpsseEmulator& channel = *channels_[static_cast<size_t>(InterfaceOf(u->endpoint))];
    if ((u->endpoint & 0x80) == 0) {
      ++counters_.bulk_out_urbs;
      auto written = channel.Write(
          std::as_bytes(std::span<const uint8_t>(urb.buffer, static_cast<size_t>(length))));
      if (!written.ok()) {
        Complain("channel refused a bulk write: " + channel.last_error());
        status = -EPROTO;
      } else {
        actual = static_cast<int>(*written);
        counters_.bulk_out_bytes += *written;
        if (options_.on_bulk_out) {
          options_.on_bulk_out(static_cast<uint8_t>(InterfaceOf(u->endpoint)),
                               std::span<const uint8_t>(urb.buffer, *written));
        }
      }
    } else {
      ++counters_.bulk_in_urbs;
      status = RunBulkIn(channel, urb.buffer, length, &actual);
    }
  }
  u->status = status;
  u->actual_length = actual;
}

// A bulk IN URB completes at the first short packet or when its buffer is full. Each
// packet starts with the two status bytes; with no data the chip sends a status-only
// packet (after its latency timer, charged to the chip's clock, not to the wall). A
// packet that does not fit the rest of the buffer overflows, as on a host controller.
int FtdiUsbDevice::RunBulkIn(driver::MpsseEmulator& channel, uint8_t* buffer, int length,
                             int* actual) {
  int pos = 0;
  while (pos < length) {
    const int room = length - pos;
    const size_t packet_data = std::min<size_t>(kPacketData, std::max<int>(0, room - 2));
    uint8_t packet[kHighSpeedBulkPacketBytes] = {kModemStatus, kLineStatus};
    auto got = channel.Read(std::as_writable_bytes(std::span<uint8_t>(packet + 2, packet_data)));
    if (!got.ok()) {
      Complain("channel refused a bulk read: " + channel.last_error());
      return -EPROTO;
    }
    int packet_bytes = 2 + static_cast<int>(*got);
    // More was waiting than the buffer takes: the next packet would not fit.
    const bool overflow = room < kHighSpeedBulkPacketBytes && *got == packet_data &&
                          channel.pending_reply_bytes() > 0;
    if (packet_bytes > room) packet_bytes = room;  // A buffer under 2 bytes.
    std::memcpy(buffer + pos, packet, static_cast<size_t>(packet_bytes));
    counters_.bulk_in_bytes += *got;
    pos += packet_bytes;
    if (overflow || room < 2) {
      *actual = pos;
      return -EOVERFLOW;
    }
    if (static_cast<int>(*got) < kPacketData) break;  // Short packet ends the URB.
  }
  *actual = pos;
  return 0;
}

}  // namespace flashrig::hil
