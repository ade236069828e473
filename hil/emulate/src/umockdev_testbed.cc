// The one file that includes <umockdev.h>: testbed, device records, and the glue from
// umockdev's ioctl socket (UMockdevIoctlBase signals on umockdev's worker thread) to
// FtdiUsbDevice: it copies the client's ioctl arguments and URB buffers in
// (umockdev_ioctl_data_resolve), and umockdev writes what changed back on completion.
#include "flashrig/hil/emulate/umockdev_testbed.h"

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>
#include <umockdev.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_url.h"
#include "usb_sysfs_record.h"

namespace flashrig::hil {
namespace {

// One attached device node and the handler that answers it.
struct Attached {
  FtdiUsbDevice* device = nullptr;
  std::string devnode;
  std::string sysfs_path;
  UMockdevIoctlBase* handler = nullptr;
};

void Unref(const std::vector<void*>& tokens) {
  for (void* t : tokens) g_object_unref(static_cast<UMockdevIoctlData*>(t));
}

std::string GErrorText(GError* error, const char* fallback) {
  std::string text = error != nullptr ? error->message : fallback;
  g_clear_error(&error);
  return text;
}

// SUBMITURB: the URB struct and its buffer are resolved (copied from the client) and kept
// referenced until the URB is reaped or dropped.
int Submit(FtdiUsbDevice& device, UMockdevIoctlClient* client, UMockdevIoctlData* arg) {
  GError* error = nullptr;
  UMockdevIoctlData* urb = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), &error);
  if (urb == nullptr) {
    g_clear_error(&error);
    return EFAULT;
  }
  auto* u = reinterpret_cast<usbdevfs_urb*>(urb->data);
  uint8_t* buffer = nullptr;
  if (u->buffer_length > 0) {
    UMockdevIoctlData* b = umockdev_ioctl_data_resolve(
        urb, offsetof(usbdevfs_urb, buffer), static_cast<gsize>(u->buffer_length), &error);
    if (b == nullptr) {
      g_clear_error(&error);
      g_object_unref(urb);
      return EFAULT;
    }
    buffer = b->data;
    g_object_unref(b);  // `urb` keeps it (resolved children are owned by their parent).
  }
  uint64_t address = 0;
  std::memcpy(&address, arg->data, sizeof(gulong));
  const int err = device.SubmitUrb(client, u, buffer, address, urb);
  if (err != 0) g_object_unref(urb);
  return err;
}

// REAPURB: *arg = the client's URB, which umockdev writes back with the reap.
int Reap(FtdiUsbDevice& device, UMockdevIoctlClient* client, UMockdevIoctlData* arg) {
  if (!device.ReapReady(client)) return EAGAIN;  // Without fetching the argument.
  GError* error = nullptr;
  UMockdevIoctlData* ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), &error);
  if (ptr == nullptr) {
    g_clear_error(&error);
    return EFAULT;
  }
  void* token = nullptr;
  const int err = device.ReapUrb(client, &token);
  if (err == 0) {
    auto* urb = static_cast<UMockdevIoctlData*>(token);
    umockdev_ioctl_data_set_ptr(ptr, 0, urb);
    g_object_unref(urb);
  }
  g_object_unref(ptr);
  return err;
}

int Handle(FtdiUsbDevice& device, UMockdevIoctlClient* client) {
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  switch (request) {
    case USBDEVFS_SUBMITURB:
      return Submit(device, client, arg);
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
      return Reap(device, client, arg);
    case USBDEVFS_DISCARDURB: {  // The argument is the client's URB pointer itself.
      uint64_t address = 0;
      std::memcpy(&address, arg->data, sizeof(gulong));
      return device.DiscardUrb(client, address);
    }
    default:
      break;
  }
  const size_t size = _IOC_SIZE(request);
  if (size == 0 || request == USBDEVFS_RESET) return device.Ioctl(client, request, nullptr);
  GError* error = nullptr;
  UMockdevIoctlData* data = umockdev_ioctl_data_resolve(arg, 0, size, &error);
  if (data == nullptr) {
    g_clear_error(&error);
    return EFAULT;
  }
  const int err = device.Ioctl(client, request, data->data);
  g_object_unref(data);
  return err;
}

gboolean OnIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
  const int err = Handle(*static_cast<FtdiUsbDevice*>(self), client);
  umockdev_ioctl_client_complete(client, err != 0 ? -1 : 0, err);
  return TRUE;
}

void OnClientVanished(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
  Unref(static_cast<FtdiUsbDevice*>(self)->DropClient(client));
}

}  // namespace

struct UmockdevTestbed::Impl {
  UMockdevTestbed* testbed = nullptr;
  std::map<FtdiUsbDevice*, Attached> attached;

  bool AddRecord(const internal::UsbSysfsDevice& d, std::string* error) {
    GError* e = nullptr;
    if (!umockdev_testbed_add_from_string(testbed, internal::UsbSysfsRecord(d).c_str(), &e)) {
      *error = "umockdev: adding " + d.devpath + " failed: " + GErrorText(e, "unknown error");
      return false;
    }
    return true;
  }

  void Detach(Attached& a) {
    GError* e = nullptr;
    umockdev_testbed_detach_ioctl(testbed, a.devnode.c_str(), &e);
    g_clear_error(&e);
    g_signal_handlers_disconnect_by_data(a.handler, a.device);
    g_object_unref(a.handler);
    Unref(a.device->DropAllUrbs());
  }
};

UmockdevTestbed::UmockdevTestbed(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<UmockdevTestbed> UmockdevTestbed::Create(std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->testbed = umockdev_testbed_new();
  if (impl->testbed == nullptr) {
    *error = "umockdev_testbed_new failed";
    return nullptr;
  }
  if (!impl->AddRecord(internal::RootHub(), error)) {
    g_object_unref(impl->testbed);
    return nullptr;
  }
  std::unique_ptr<UmockdevTestbed> t(new UmockdevTestbed(std::move(impl)));
  gchar* dir = umockdev_testbed_get_root_dir(t->impl_->testbed);
  t->directory_ = dir != nullptr ? dir : "";
  g_free(dir);
  return t;
}

UmockdevTestbed::~UmockdevTestbed() {
  for (auto& [device, a] : impl_->attached) impl_->Detach(a);
  impl_->attached.clear();
  g_object_unref(impl_->testbed);  // Removes the directory.
}

std::string UmockdevTestbed::Plug(FtdiUsbDevice& device, std::string* error) {
  const FtdiUsbDeviceOptions& o = device.options();
  internal::UsbSysfsDevice d{.devpath = "/devices/usb1/" + o.sysfs_name,
                             .busnum = o.busnum,
                             .devnum = o.devnum,
                             .vendor = driver::kFtdiVendorId,
                             .product = device.shape().product_id,
                             .bcd_device = device.shape().bcd_device,
                             .interfaces = device.shape().interfaces,
                             .descriptors = device.descriptors(),
                             .manufacturer = device.strings().manufacturer,
                             .product_name = device.strings().product,
                             .serial = device.strings().serial};
  if (!impl_->AddRecord(d, error)) return "";
  Attached a{.device = &device,
             .devnode = internal::UsbDevNode(o.busnum, o.devnum),
             .sysfs_path = "/sys" + d.devpath};
  a.handler = umockdev_ioctl_base_new();
  g_signal_connect(a.handler, "handle-ioctl", G_CALLBACK(&OnIoctl), &device);
  g_signal_connect(a.handler, "client-vanished", G_CALLBACK(&OnClientVanished), &device);
  GError* e = nullptr;
  if (!umockdev_testbed_attach_ioctl(impl_->testbed, a.devnode.c_str(), a.handler, &e)) {
    *error = "umockdev_testbed_attach_ioctl " + a.devnode + ": " + GErrorText(e, "failed");
    g_signal_handlers_disconnect_by_data(a.handler, &device);
    g_object_unref(a.handler);
    return "";
  }
  impl_->attached[&device] = a;
  return a.devnode;
}

// The node keeps its handler: a client that still has it open gets ENODEV (once the
// device is unplugged) rather than a closed socket, which makes the preload abort().
void UmockdevTestbed::Remove(FtdiUsbDevice& device) {
  auto it = impl_->attached.find(&device);
  if (it == impl_->attached.end()) return;
  umockdev_testbed_uevent(impl_->testbed, it->second.sysfs_path.c_str(), "remove");
  umockdev_testbed_remove_device(impl_->testbed, it->second.sysfs_path.c_str());
}

void UmockdevTestbed::Clear() {
  for (auto& [device, a] : impl_->attached) impl_->Detach(a);
  impl_->attached.clear();
  umockdev_testbed_clear(impl_->testbed);
}

bool UmockdevTestbed::InMockEnvironment() { return umockdev_in_mock_environment(); }

std::string UmockdevTestbed::FindPreload(std::string* error) {
  // Where pkg-config said umockdev lives at build time, then the usual library paths.
  const std::string dirs[] = {FLASHRIG_UMOCKDEV_LIBDIR,
                              "/usr/lib/x86_64-linux-gnu",
                              "/usr/lib/aarch64-linux-gnu",
                              "/usr/lib64",
                              "/usr/lib",
                              "/usr/local/lib"};
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + kUmockdevPreload;
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  *error = std::string(kUmockdevPreload) + " not found in " + FLASHRIG_UMOCKDEV_LIBDIR +
           " (apt-get install umockdev); COMMAND was not run, since it would see the real "
           "USB devices";
  return "";
}

}  // namespace flashrig::hil
