// The usbfs-level FT232H: descriptors derived from the USB 2.0 spec (chapter 9) and the
// FT232H's facts (0403:6014, bcdDevice 9.00, one vendor-class interface with bulk
// endpoints 81h/02h of 512 bytes), and the usbdevfs ioctls libusb issues on Linux.
#include "ft232h_usb_device.h"

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <span>

namespace flashrig::umock {
namespace {

constexpr uint16_t kFtdiVendor = 0x0403;
constexpr uint16_t kFt232hProduct = 0x6014;
constexpr uint16_t kFt232hBcdDevice = 0x0900;
constexpr int kMaxPacketBytes = 512;  // High-speed bulk.
constexpr uint8_t kBulkInEndpoint = 0x81;
constexpr uint8_t kBulkOutEndpoint = 0x02;
// FTDI modem status (CTS/DSR idle) and line status (THRE | TEMT): the two bytes that
// open every bulk IN packet.
constexpr uint8_t kModemStatus = 0x32;
constexpr uint8_t kLineStatus = 0x60;

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

void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x & 0xFF));
  v.push_back(static_cast<uint8_t>(x >> 8));
}

std::vector<uint8_t> DeviceDescriptor(uint16_t vendor, uint16_t product, uint16_t bcd_device,
                                      uint8_t device_class, uint8_t max_packet0,
                                      uint8_t string_indexes) {
  std::vector<uint8_t> d = {18, 0x01};  // bLength, DEVICE.
  Put16(d, 0x0200);                     // bcdUSB 2.00.
  d.insert(d.end(), {device_class, 0, device_class == 9 ? uint8_t{1} : uint8_t{0}, max_packet0});
  Put16(d, vendor);
  Put16(d, product);
  Put16(d, bcd_device);
  const uint8_t s = string_indexes;  // iManufacturer, iProduct, iSerialNumber = 1, 2, 3.
  d.insert(d.end(), {s ? uint8_t{1} : uint8_t{0}, s ? uint8_t{2} : uint8_t{0},
                     s ? uint8_t{3} : uint8_t{0}, 1});  // bNumConfigurations.
  return d;
}

// Configuration 1: one interface, vendor class, bulk IN 81h and bulk OUT 02h of 512 bytes.
std::vector<uint8_t> Ft232hConfiguration() {
  std::vector<uint8_t> c = {9, 0x02};      // CONFIGURATION.
  Put16(c, 9 + 9 + 7 + 7);                 // wTotalLength.
  c.insert(c.end(), {1, 1, 0, 0x80, 45});  // 1 interface, value 1, bus powered, 90 mA.
  c.insert(c.end(), {9, 0x04, 0, 0, 2, 0xFF, 0xFF, 0xFF, 2});  // INTERFACE 0, 2 endpoints.
  c.insert(c.end(), {7, 0x05, kBulkInEndpoint, 0x02});         // ENDPOINT, bulk.
  Put16(c, kMaxPacketBytes);
  c.push_back(0);
  c.insert(c.end(), {7, 0x05, kBulkOutEndpoint, 0x02});
  Put16(c, kMaxPacketBytes);
  c.push_back(0);
  return c;
}

std::vector<uint8_t> StringDescriptor(const std::string& ascii) {
  std::vector<uint8_t> d = {static_cast<uint8_t>(2 + 2 * ascii.size()), 0x03};
  for (char ch : ascii) Put16(d, static_cast<uint8_t>(ch));  // UTF-16LE.
  return d;
}

std::string Dev(uint8_t bus, uint8_t dev) {
  char path[32];
  std::snprintf(path, sizeof path, "/dev/bus/usb/%03u/%03u", bus, dev);
  return path;
}

std::string Hex4(uint16_t v) {
  char text[8];
  std::snprintf(text, sizeof text, "%04x", v);
  return text;
}

std::string HexBytes(const std::vector<uint8_t>& bytes) {
  std::string out;
  char two[3];
  for (uint8_t b : bytes) {
    std::snprintf(two, sizeof two, "%02X", b);
    out += two;
  }
  return out;
}

// Adds a usb_device with the attributes libusb and libudev read, and its usbfs node (whose
// contents are the descriptors, as a read() of a real usbfs node returns). Uses umockdev's
// record format because only that creates /dev nodes. Returns the sysfs path ("" on error).
std::string AddUsbDevice(UMockdevTestbed* testbed, const std::string& devpath, uint8_t bus,
                         uint8_t dev, uint16_t vendor, uint16_t product, uint16_t bcd,
                         const std::vector<uint8_t>& descriptors, bool hub) {
  const std::string node = Dev(bus, dev);
  char product_prop[32];
  std::snprintf(product_prop, sizeof product_prop, "%x/%x/%x", vendor, product, bcd);
  char bus3[4], dev3[4];
  std::snprintf(bus3, sizeof bus3, "%03u", bus);
  std::snprintf(dev3, sizeof dev3, "%03u", dev);
  const std::string name = devpath.substr(devpath.rfind('/') + 1);
  std::string record;
  record += "P: " + devpath + "\n";
  record += "N: " + node.substr(5) + "=" + HexBytes(descriptors) + "\n";
  record += "E: DEVNAME=" + node + "\n";
  record += "E: DEVTYPE=usb_device\n";
  record += "E: SUBSYSTEM=usb\n";
  record += std::string("E: BUSNUM=") + bus3 + "\nE: DEVNUM=" + dev3 + "\n";
  record += std::string("E: PRODUCT=") + product_prop + "\n";
  record += std::string("E: TYPE=") + (hub ? "9/0/1" : "0/0/0") + "\n";
  record += "E: ID_VENDOR_ID=" + Hex4(vendor) + "\nE: ID_MODEL_ID=" + Hex4(product) + "\n";
  record += "A: busnum=" + std::to_string(bus) + "\nA: devnum=" + std::to_string(dev) + "\n";
  record += "A: devpath=" + (hub ? std::string("0") : name.substr(name.find('-') + 1)) + "\n";
  record += "A: idVendor=" + Hex4(vendor) + "\nA: idProduct=" + Hex4(product) + "\n";
  record += "A: bcdDevice=" + Hex4(bcd) + "\nA: speed=480\nA: bConfigurationValue=1\n";
  record += "A: bNumConfigurations=1\nA: bNumInterfaces= 1\nA: bMaxPacketSize0=64\n";
  record += std::string("A: bDeviceClass=") + (hub ? "09" : "00") + "\n";
  record += "H: descriptors=" + HexBytes(descriptors) + "\n";
  GError* error = nullptr;
  if (!umockdev_testbed_add_from_string(testbed, record.c_str(), &error)) {
    g_clear_error(&error);
    return "";
  }
  return "/sys" + devpath;
}

}  // namespace

std::string AddRootHub(UMockdevTestbed* testbed) {
  std::vector<uint8_t> d = DeviceDescriptor(0x1d6b, 0x0002, 0x0601, 9, 64, 0);
  // One interface (hub class), one interrupt IN endpoint of 4 bytes.
  const std::vector<uint8_t> config = {9, 0x02, 25, 0, 1, 1, 0,    0xE0, 0,    9, 0x04, 0, 0,
                                       1, 9,    0,  0, 0, 7, 0x05, 0x81, 0x03, 4, 0,    12};
  d.insert(d.end(), config.begin(), config.end());
  return AddUsbDevice(testbed, "/devices/usb1", 1, 1, 0x1d6b, 0x0002, 0x0601, d, true);
}

Ft232hUsbDevice::Ft232hUsbDevice(UMockdevTestbed* testbed, driver::FtdiPort& engine,
                                 const Ft232hUsbOptions& options)
    : testbed_(testbed), engine_(engine), options_(options) {
  driver_bound_ = options_.kernel_driver_bound;
  if (options_.chip_clock != nullptr) chip_start_ = options_.chip_clock->Now();
  std::vector<uint8_t> d =
      DeviceDescriptor(kFtdiVendor, kFt232hProduct, kFt232hBcdDevice, 0, 64, 1);
  const std::vector<uint8_t> config = Ft232hConfiguration();
  d.insert(d.end(), config.begin(), config.end());
  sysfs_path_ =
      AddUsbDevice(testbed_, "/devices/usb1/" + options_.sysfs_name, options_.busnum,
                   options_.devnum, kFtdiVendor, kFt232hProduct, kFt232hBcdDevice, d, false);
  if (sysfs_path_.empty()) {
    setup_error_ = "umockdev_testbed_add_from_string failed";
    return;
  }
  umockdev_testbed_set_attribute(testbed_, sysfs_path_.c_str(), "manufacturer",
                                 options_.manufacturer.c_str());
  umockdev_testbed_set_attribute(testbed_, sysfs_path_.c_str(), "product",
                                 options_.product.c_str());
  umockdev_testbed_set_attribute(testbed_, sysfs_path_.c_str(), "serial", options_.serial.c_str());
  devnode_ = Dev(options_.busnum, options_.devnum);
  handler_ = umockdev_ioctl_base_new();
  g_signal_connect(handler_, "handle-ioctl", G_CALLBACK(&Ft232hUsbDevice::OnIoctl), this);
  GError* error = nullptr;
  if (!umockdev_testbed_attach_ioctl(testbed_, devnode_.c_str(), handler_, &error)) {
    setup_error_ = std::string("umockdev_testbed_attach_ioctl: ") +
                   (error != nullptr ? error->message : "failed");
    g_clear_error(&error);
  }
}

Ft232hUsbDevice::~Ft232hUsbDevice() {
  if (handler_ != nullptr) {
    GError* error = nullptr;
    umockdev_testbed_detach_ioctl(testbed_, devnode_.c_str(), &error);
    g_clear_error(&error);
    g_signal_handlers_disconnect_by_data(handler_, this);
    g_object_unref(handler_);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Urb& urb : pending_) g_object_unref(urb.data);
  pending_.clear();
}

void Ft232hUsbDevice::Unplug(bool remove_from_sysfs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    unplugged_ = true;
  }
  if (remove_from_sysfs && !sysfs_path_.empty()) {
    umockdev_testbed_uevent(testbed_, sysfs_path_.c_str(), "remove");
    umockdev_testbed_remove_device(testbed_, sysfs_path_.c_str());
  }
}

void Ft232hUsbDevice::UnplugAtBulkUrb(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  unplug_at_bulk_ = bulk_urbs_ + n;
}

UsbCounters Ft232hUsbDevice::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

std::vector<std::string> Ft232hUsbDevice::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::vector<unsigned long> Ft232hUsbDevice::requests_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

gboolean Ft232hUsbDevice::OnIoctl(UMockdevIoctlBase* /*base*/, UMockdevIoctlClient* client,
                                  gpointer self) {
  static_cast<Ft232hUsbDevice*>(self)->HandleIoctl(client);
  return TRUE;
}

void Ft232hUsbDevice::Error(std::string message) { errors_.push_back(std::move(message)); }

void Ft232hUsbDevice::KeepChipClockUp() {
  if (options_.chip_clock == nullptr) return;
  const Clock::TimePoint wall = chip_start_ + std::chrono::duration_cast<Clock::Duration>(
                                                  std::chrono::steady_clock::now() - wall_start_);
  const Clock::TimePoint now = options_.chip_clock->Now();
  if (wall > now) options_.chip_clock->Advance(wall - now);
}

void Ft232hUsbDevice::Complete(UMockdevIoctlClient* client, long result, int error) {
  umockdev_ioctl_client_complete(client, result, result < 0 ? error : 0);
}

void Ft232hUsbDevice::HandleIoctl(UMockdevIoctlClient* client) {
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  const size_t size = _IOC_SIZE(request);
  std::lock_guard<std::mutex> lock(mu_);
  KeepChipClockUp();
  ++counters_.ioctls;
  if (std::find(requests_.begin(), requests_.end(), request) == requests_.end()) {
    requests_.push_back(request);
  }
  // After a disconnect usbfs answers ENODEV to everything except reaping the URBs that
  // were in flight (USBDEVFS_CAP_REAP_AFTER_DISCONNECT): those complete with -ESHUTDOWN.
  const bool reap = request == USBDEVFS_REAPURB || request == USBDEVFS_REAPURBNDELAY;
  if (unplugged_ && !(reap && !pending_.empty())) {
    ++counters_.enodev_answers;
    return Complete(client, -1, ENODEV);
  }
  // The argument points to a `size`-byte struct in the client (resolved = copied here and
  // written back on completion if changed). DISCARDURB/RESET carry no struct.
  GError* error = nullptr;
  UMockdevIoctlData* data = nullptr;
  if (size > 0 && request != USBDEVFS_DISCARDURB) {
    data = umockdev_ioctl_data_resolve(arg, 0, size, &error);
    if (data == nullptr) {
      Error("cannot read the ioctl argument: " +
            std::string(error != nullptr ? error->message : "null pointer"));
      g_clear_error(&error);
      return Complete(client, -1, EFAULT);
    }
  }
  const int err = RunIoctl(request, arg, data);
  if (data != nullptr) g_object_unref(data);
  Complete(client, err != 0 ? -1 : 0, err);
}

// Returns 0, or the errno the ioctl fails with.
int Ft232hUsbDevice::RunIoctl(unsigned long request, UMockdevIoctlData* arg,
                              UMockdevIoctlData* data) {
  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      // What an xHCI host reports: one URB per transfer, however long.
      const uint32_t caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                            USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
                            USBDEVFS_CAP_BULK_SCATTER_GATHER;
      std::memcpy(data->data, &caps, sizeof caps);
      return 0;
    }
    case USBDEVFS_GETDRIVER: {
      auto* gd = reinterpret_cast<usbdevfs_getdriver*>(data->data);
      if (gd->interface != 0 || !driver_bound_) return ENODATA;
      std::snprintf(gd->driver, sizeof gd->driver, "ftdi_sio");
      return 0;
    }
    case USBDEVFS_IOCTL:
      return RunDriverIoctl(data);
    case USBDEVFS_CLAIMINTERFACE:
      return ClaimInterface(data);
    case USBDEVFS_RELEASEINTERFACE:
      claimed_ = false;
      return 0;
    case USBDEVFS_SETCONFIGURATION: {
      int32_t value = 0;
      std::memcpy(&value, data->data, sizeof value);
      return value != 1 && value != -1 ? EINVAL : 0;
    }
    case USBDEVFS_RESET:
    case USBDEVFS_CLEAR_HALT:
      return 0;
    case USBDEVFS_SUBMITURB:
      return SubmitUrb(data);
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
      return ReapUrb(data);
    case USBDEVFS_DISCARDURB:
      return DiscardUrb(arg);
    default:
      Error("unhandled usbdevfs ioctl " + std::to_string(request));
      return ENOTTY;
  }
}

// USBDEVFS_IOCTL: libusb detaching (DISCONNECT) or re-attaching (CONNECT) the kernel driver.
int Ft232hUsbDevice::RunDriverIoctl(UMockdevIoctlData* data) {
  const auto* io = reinterpret_cast<const usbdevfs_ioctl*>(data->data);
  if (io->ioctl_code == static_cast<int>(USBDEVFS_DISCONNECT)) {
    if (!driver_bound_) return ENODATA;
    if (options_.detach_denied) return EPERM;
    driver_bound_ = false;
    return 0;
  }
  return io->ioctl_code != static_cast<int>(USBDEVFS_CONNECT) ? ENOTTY : 0;
}

// The first successful claim opens the MPSSE engine behind the device.
int Ft232hUsbDevice::ClaimInterface(UMockdevIoctlData* data) {
  uint32_t interface = 0;
  std::memcpy(&interface, data->data, sizeof interface);
  ++counters_.claims;
  if (interface != 0) return ENOENT;  // usbfs: no such interface in the active configuration.
  if (driver_bound_) return EBUSY;
  claimed_ = true;
  if (!engine_open_) {
    auto devices = engine_.ListDevices();
    if (devices.ok() && !devices->empty()) {
      const driver::FtdiDeviceInfo& d = devices->front();
      engine_open_ = engine_
                         .Open({.vendor_id = d.vendor_id,
                                .product_id = d.product_id,
                                .bus = d.bus,
                                .address = d.address,
                                .interface = 1})
                         .ok();
    }
    if (!engine_open_) Error("the MPSSE engine behind the USB device did not open");
  }
  return 0;
}

// Queues the URB (holding a ref to it) until the client reaps it.
int Ft232hUsbDevice::SubmitUrb(UMockdevIoctlData* data) {
  auto* u = reinterpret_cast<usbdevfs_urb*>(data->data);
  Urb urb;
  urb.data = data;
  g_object_ref(urb.data);
  if (u->buffer_length > 0) {
    const size_t offset = offsetof(usbdevfs_urb, buffer);
    GError* error = nullptr;
    urb.buffer = umockdev_ioctl_data_resolve(data, offset, u->buffer_length, &error);
    if (urb.buffer == nullptr) {
      g_clear_error(&error);
      g_object_unref(urb.data);
      Error("cannot read an URB buffer");
      return EFAULT;
    }
    g_object_unref(urb.buffer);  // `data` keeps it (resolved children are owned).
  }
  if (u->type == USBDEVFS_URB_TYPE_BULK) {
    if (u->endpoint != kBulkInEndpoint && u->endpoint != kBulkOutEndpoint) {
      Error("bulk URB on endpoint " + std::to_string(u->endpoint));
      g_object_unref(urb.data);
      return ENOENT;
    }
  } else if (u->type != USBDEVFS_URB_TYPE_CONTROL) {
    Error("URB type " + std::to_string(u->type) + " is not used by libftdi");
    g_object_unref(urb.data);
    return EINVAL;
  }
  pending_.push_back(urb);
  return 0;
}

// Completes the oldest pending URB (the device runs it only now) and hands it back.
int Ft232hUsbDevice::ReapUrb(UMockdevIoctlData* data) {
  if (pending_.empty()) {
    return EAGAIN;  // REAPURB would block; libusb only reaps after poll says so.
  }
  Urb urb = pending_.front();
  auto* u = reinterpret_cast<usbdevfs_urb*>(urb.data->data);
  if (u->type == USBDEVFS_URB_TYPE_BULK && unplug_at_bulk_ && *unplug_at_bulk_ == bulk_urbs_) {
    unplugged_ = true;  // Gone before this URB completed.
  }
  if (u->type == USBDEVFS_URB_TYPE_BULK) ++bulk_urbs_;
  pending_.pop_front();
  if (unplugged_) {
    u->status = -ESHUTDOWN;  // Killed by the host controller at disconnect.
    u->actual_length = 0;
  } else if (urb.discarded_status != 0) {
    u->status = urb.discarded_status;
    u->actual_length = 0;
  } else {
    RunUrb(urb);
  }
  umockdev_ioctl_data_set_ptr(data, 0, urb.data);  // *arg = the client's URB.
  g_object_unref(urb.data);
  return 0;
}

// Marks the pending URB `arg` points to as discarded; EINVAL if there is none.
int Ft232hUsbDevice::DiscardUrb(UMockdevIoctlData* arg) {
  // The argument is the client's URB pointer itself.
  gulong addr = 0;
  std::memcpy(&addr, arg->data, sizeof addr);
  int err = EINVAL;
  for (Urb& urb : pending_) {
    if (urb.data->client_addr == addr && urb.discarded_status == 0) {
      urb.discarded_status = -ENOENT;
      err = 0;
    }
  }
  return err;
}

void Ft232hUsbDevice::RunUrb(Urb& urb) {
  auto* u = reinterpret_cast<usbdevfs_urb*>(urb.data->data);
  uint8_t* buffer = urb.buffer != nullptr ? urb.buffer->data : nullptr;
  const int length = urb.buffer != nullptr ? u->buffer_length : 0;
  int actual = 0;
  int status = 0;
  if (u->type == USBDEVFS_URB_TYPE_CONTROL) {
    ++counters_.control_urbs;
    if (length < 8) {
      Error("control URB without a setup packet");
      status = -EINVAL;
    } else {
      status = RunControl(buffer, buffer + 8, length - 8, &actual);
    }
  } else if (u->endpoint == kBulkOutEndpoint) {
    ++counters_.bulk_out_urbs;
    auto written = engine_.Write(std::as_bytes(std::span<const uint8_t>(buffer, length)));
    if (!written.ok()) {
      Error("MPSSE engine refused a write: " + engine_.last_error());
      status = -EPROTO;
    } else {
      actual = static_cast<int>(*written);
      counters_.bulk_out_bytes += *written;
    }
  } else {
    ++counters_.bulk_in_urbs;
    status = RunBulkIn(buffer, length, &actual);
  }
  u->status = status;
  u->actual_length = actual;
}

// A bulk IN URB completes at the first short packet or when its buffer is full. Each
// packet starts with the two status bytes; the chip sends a status-only packet when it
// has no data (after the latency timer, not modelled in wall time here).
int Ft232hUsbDevice::RunBulkIn(uint8_t* buffer, int length, int* actual) {
  int pos = 0;
  while (length - pos >= 2) {
    buffer[pos] = kModemStatus;
    buffer[pos + 1] = kLineStatus;
    const int room = std::min(kMaxPacketBytes - 2, length - pos - 2);
    size_t got = 0;
    if (room > 0) {
      auto r = engine_.Read(
          std::as_writable_bytes(std::span<uint8_t>(buffer + pos + 2, static_cast<size_t>(room))));
      if (!r.ok()) {
        Error("MPSSE engine refused a read: " + engine_.last_error());
        return -EPROTO;
      }
      got = *r;
    }
    counters_.bulk_in_bytes += got;
    pos += 2 + static_cast<int>(got);
    if (static_cast<int>(got) < kMaxPacketBytes - 2) break;  // Short packet ends the URB.
  }
  *actual = pos;
  return 0;
}

// Standard requests libusb/libftdi send (descriptors, status, configuration) and the FTDI
// SIO vendor requests, forwarded to the engine where it models them.
int Ft232hUsbDevice::RunControl(const uint8_t* setup, uint8_t* data, int length, int* actual) {
  const uint8_t request_type = setup[0];
  const uint8_t request = setup[1];
  const uint16_t value = static_cast<uint16_t>(setup[2] | (setup[3] << 8));
  const uint16_t index = static_cast<uint16_t>(setup[4] | (setup[5] << 8));
  const uint16_t w_length = static_cast<uint16_t>(setup[6] | (setup[7] << 8));
  if (w_length > length) {
    Error("control URB shorter than its wLength");
    return -EINVAL;
  }
  std::vector<uint8_t> reply;
  if (request_type == 0x80 && request == 0x06) {  // GET_DESCRIPTOR.
    if (const int status = GetDescriptor(value, &reply); status != 0) return status;
  } else if (request_type == 0x80 && request == 0x00) {  // GET_STATUS.
    reply = {0, 0};
  } else if (request_type == 0x80 && request == 0x08) {  // GET_CONFIGURATION.
    reply = {1};
  } else if (request_type == 0x00 && request == 0x09) {  // SET_CONFIGURATION.
    if (value != 1) return -EPIPE;
  } else if ((request_type & 0x60) == 0x40) {  // Vendor: FTDI SIO.
    const int status = RunVendorRequest(request_type, request, value, index, &reply);
    if (status != 0) return status;
  } else {
    Error("unhandled control request " + std::to_string(request_type) + "/" +
          std::to_string(request));
    return -EPIPE;
  }
  const int n = std::min<int>(static_cast<int>(reply.size()), w_length);
  std::copy_n(reply.begin(), n, data);
  *actual = n;
  return 0;
}

// GET_DESCRIPTOR: device, configuration 1, LANGID and the three strings; else a stall.
int Ft232hUsbDevice::GetDescriptor(uint16_t value, std::vector<uint8_t>* reply) const {
  const uint8_t type = static_cast<uint8_t>(value >> 8), i = static_cast<uint8_t>(value);
  if (type == 0x01) {
    *reply = DeviceDescriptor(kFtdiVendor, kFt232hProduct, kFt232hBcdDevice, 0, 64, 1);
  } else if (type == 0x02 && i == 0) {
    *reply = Ft232hConfiguration();
  } else if (type == 0x03 && i == 0) {
    *reply = {4, 0x03, 0x09, 0x04};  // LANGID en-US.
  } else if (type == 0x03 && i >= 1 && i <= 3) {
    *reply = StringDescriptor(i == 1   ? options_.manufacturer
                              : i == 2 ? options_.product
                                       : options_.serial);
  } else {
    return -EPIPE;  // Stall.
  }
  return 0;
}

// The FTDI SIO vendor requests: forwarded to the engine where it models them, answered
// here where they only read state. Returns 0 or a negative errno, as RunControl.
int Ft232hUsbDevice::RunVendorRequest(uint8_t request_type, uint8_t request, uint16_t value,
                                      uint16_t index, std::vector<uint8_t>* reply) {
  ++counters_.vendor_requests;
  // The low byte names the interface (A = 1); SET_BAUDRATE on H parts carries divisor
  // bits in the high byte.
  if ((index & 0xFF) != 1) {
    Error("SIO request " + std::to_string(request) + " to wIndex " + std::to_string(index) +
          " (interface A is 1)");
    return -EPIPE;
  }
  Status s = Status::Ok();
  const bool in = (request_type & 0x80) != 0;
  if (!in && request == kSioReset) {
    s = value == 0 ? engine_.Reset() : engine_.Flush();  // 1/2: purge RX/TX.
  } else if (!in && request == kSioSetLatencyTimer) {
    latency_ms_ = static_cast<uint8_t>(value);
    s = engine_.SetLatencyTimer(static_cast<uint8_t>(value));
  } else if (!in && request == kSioSetBitmode) {
    s = engine_.SetBitMode(static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8));
  } else if (!in && (request == kSioModemCtrl || request == kSioSetFlowCtrl ||
                     request == kSioSetBaudrate || request == kSioSetData ||
                     request == kSioSetEventChar || request == kSioSetErrorChar)) {
    // UART settings: accepted, no effect in MPSSE mode.
  } else if (in && request == kSioGetLatencyTimer) {
    *reply = {latency_ms_};
  } else if (in && request == kSioPollModemStatus) {
    *reply = {kModemStatus, kLineStatus};
  } else if (in && request == kSioReadPins) {
    *reply = {0xFF};
  } else if (in && request == kSioReadEeprom) {
    *reply = {0xFF, 0xFF};  // Blank EEPROM.
  } else {
    Error("unknown FTDI vendor request " + std::to_string(request));
    return -EPIPE;
  }
  if (!s.ok()) {
    Error("MPSSE engine refused SIO request " + std::to_string(request) + ": " +
          engine_.last_error());
    return -EPIPE;
  }
  return 0;
}

}  // namespace flashrig::umock
