// The real FtdiPort over libftdi1 and libusb-1.0: the only file that includes their
// headers. Every libftdi/libusb return is mapped to a Status in MapReturn, with libftdi's
// error string kept for the user.
#include <ftdi.h>
#include <libusb.h>

#include <array>
#include <string>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_port.h"

namespace flashrig::driver {
namespace {

enum class Op { kList, kOpen, kControl, kBulkWrite, kBulkRead };

// After a failed transfer: how long the "is it still there?" request may take.
constexpr unsigned int kAliveCheckTimeoutMs = 250;

FtdiChipType ChipTypeFromBcd(uint16_t bcd_device) {
  switch (bcd_device >> 8) {
    case 0x05:
      return FtdiChipType::kFt2232C;
    case 0x07:
      return FtdiChipType::kFt2232H;
    case 0x08:
      return FtdiChipType::kFt4232H;
    case 0x09:
      return FtdiChipType::kFt232H;
    default:
      return FtdiChipType::kNoMpsse;  // AM, BM, R, X.
  }
}

class LibftdiPort final : public FtdiPort {
 public:
  explicit LibftdiPort(const LibftdiPortOptions& options) : options_(options), ftdi_(ftdi_new()) {
    if (ftdi_ == nullptr) {
      last_error_ = "ftdi_new failed: libusb could not be initialised";
      return;
    }
    ftdi_->usb_read_timeout = static_cast<int>(options_.usb_timeout_ms);
    ftdi_->usb_write_timeout = static_cast<int>(options_.usb_timeout_ms);
  }

  ~LibftdiPort() override {
    Close();
    if (ftdi_ != nullptr) ftdi_free(ftdi_);
  }

  Result<std::vector<FtdiDeviceInfo>> ListDevices() override {
    if (ftdi_ == nullptr) return Status::Unavailable();
    ftdi_device_list* list = nullptr;
    // 0/0: libftdi's default FTDI IDs (6001, 6010, 6011, 6014, 6015).
    const int n = ftdi_usb_find_all(ftdi_, &list, 0, 0);
    if (n < 0) return MapReturn(Op::kList, n);
    std::vector<FtdiDeviceInfo> out;
    for (ftdi_device_list* p = list; p != nullptr; p = p->next) out.push_back(Describe(p->dev));
    ftdi_list_free(&list);
    return out;
  }

  Status Open(const FtdiOpenRequest& request) override {
    if (ftdi_ == nullptr) return Status::Unavailable();
    Close();
    ftdi_device_list* list = nullptr;
    const int n = ftdi_usb_find_all(ftdi_, &list, request.vendor_id, request.product_id);
    if (n < 0) return MapReturn(Op::kList, n);
    libusb_device* dev = nullptr;
    for (ftdi_device_list* p = list; p != nullptr; p = p->next) {
      if (libusb_get_bus_number(p->dev) == request.bus &&
          libusb_get_device_address(p->dev) == request.address) {
        dev = p->dev;
      }
    }
    Status status = dev == nullptr ? Fail(Status::NotFound(), "no device at that bus/address")
                                   : OpenDevice(dev, request.interface);
    ftdi_list_free(&list);
    return status;
  }

  void Close() override {
    if (ftdi_ == nullptr || !open_) return;
    // Leave the pins tri-stated for whoever comes next; the device may already be gone.
    ftdi_set_bitmode(ftdi_, 0, BITMODE_RESET);
    ftdi_usb_close(ftdi_);
    open_ = false;
  }

  Status Reset() override {
    if (!open_) return NotOpen();
    return MapReturn(Op::kControl, ftdi_usb_reset(ftdi_));
  }
  Status SetLatencyTimer(uint8_t latency_ms) override {
    if (!open_) return NotOpen();
    return MapReturn(Op::kControl, ftdi_set_latency_timer(ftdi_, latency_ms));
  }
  Status SetBitMode(uint8_t pin_mask, uint8_t mode) override {
    if (!open_) return NotOpen();
    return MapReturn(Op::kControl, ftdi_set_bitmode(ftdi_, pin_mask, mode));
  }
  Status Flush() override {
    if (!open_) return NotOpen();
    return MapReturn(Op::kControl, ftdi_tcioflush(ftdi_));
  }

  Result<size_t> Write(std::span<const std::byte> data) override {
    if (!open_) return NotOpen();
    const int rc = ftdi_write_data(ftdi_, reinterpret_cast<const unsigned char*>(data.data()),
                                   static_cast<int>(data.size()));
    if (rc < 0) return MapReturn(Op::kBulkWrite, rc);
    return static_cast<size_t>(rc);
  }

  Result<size_t> Read(std::span<std::byte> out) override {
    if (!open_) return NotOpen();
    const int rc = ftdi_read_data(ftdi_, reinterpret_cast<unsigned char*>(out.data()),
                                  static_cast<int>(out.size()));
    if (rc < 0) return MapReturn(Op::kBulkRead, rc);
    return static_cast<size_t>(rc);
  }

  const std::string& last_error() const override { return last_error_; }

 private:
  FtdiDeviceInfo Describe(libusb_device* dev) {
    FtdiDeviceInfo info;
    libusb_device_descriptor desc{};
    if (libusb_get_device_descriptor(dev, &desc) == 0) {
      info.vendor_id = desc.idVendor;
      info.product_id = desc.idProduct;
      info.chip_type = ChipTypeFromBcd(desc.bcdDevice);
    }
    info.bus = libusb_get_bus_number(dev);
    info.address = libusb_get_device_address(dev);
    std::array<char, 128> manufacturer{}, description{}, serial{};
    // Needs to open the device: fails without permission, which the caller reports.
    if (ftdi_usb_get_strings(ftdi_, dev, manufacturer.data(), manufacturer.size(),
                             description.data(), description.size(), serial.data(),
                             serial.size()) == 0) {
      info.strings_readable = true;
      info.manufacturer = manufacturer.data();
      info.description = description.data();
      info.serial = serial.data();
    }
    return info;
  }

  Status OpenDevice(libusb_device* dev, uint8_t interface) {
    libusb_config_descriptor* config = nullptr;
    if (libusb_get_config_descriptor(dev, 0, &config) == 0) {
      const uint8_t count = config->bNumInterfaces;
      libusb_free_config_descriptor(config);
      if (interface > count) {
        return Fail(Status::InvalidArgument(), "interface " + std::to_string(interface) +
                                                   " does not exist (the device has " +
                                                   std::to_string(count) + ")");
      }
    }
    // libftdi reports every libusb_open failure as -4; ask libusb first so "permission
    // denied" and "unplugged" are told apart.
    libusb_device_handle* probe = nullptr;
    if (const int rc = libusb_open(dev, &probe); rc != 0) {
      return MapReturn(Op::kOpen, rc, libusb_strerror(static_cast<libusb_error>(rc)));
    }
    libusb_close(probe);
    if (ftdi_set_interface(ftdi_, static_cast<ftdi_interface>(interface)) != 0) {
      return Fail(Status::InvalidArgument(), ftdi_get_error_string(ftdi_));
    }
    const int rc = ftdi_usb_open_dev(ftdi_, dev);
    if (rc != 0) {
      // -3 set configuration, -5 claim, -8 detach denied: the interface is held by a
      // kernel driver or another process.
      if (rc == -3 || rc == -5 || rc == -8 || rc == -11) {
        return Fail(Status::FailedPrecondition(), ftdi_get_error_string(ftdi_));
      }
      return Fail(Status::Unavailable(), ftdi_get_error_string(ftdi_));
    }
    open_ = true;
    ftdi_read_data_set_chunksize(ftdi_, options_.chunk_size_bytes);
    ftdi_write_data_set_chunksize(ftdi_, options_.chunk_size_bytes);
    return Status::Ok();
  }

  Status NotOpen() { return Fail(Status::Unavailable(), "device not open"); }

  Status Fail(Status status, std::string message) {
    last_error_ = std::move(message);
    return status;
  }

  // The one mapping from libftdi/libusb return codes to Status.
  Status MapReturn(Op op, int rc, const char* libusb_message = nullptr) {
    if (rc >= 0) return Status::Ok();
    if (ftdi_ == nullptr) return Fail(Status::Unavailable(), last_error_);
    std::string message = libusb_message != nullptr ? libusb_message : ftdi_get_error_string(ftdi_);
    if (op == Op::kOpen) {
      if (rc == LIBUSB_ERROR_ACCESS) return Fail(Status::PermissionDenied(), message);
      if (rc == LIBUSB_ERROR_NO_DEVICE) return Fail(Status::NotFound(), message);
      if (rc == LIBUSB_ERROR_BUSY) return Fail(Status::FailedPrecondition(), message);
      return Fail(Status::Unavailable(), message);
    }
    if (op == Op::kList) return Fail(Status::Unavailable(), message);
    if (rc == -666) return Fail(Status::Unavailable(), "device not open: " + message);
    // ftdi_read_data passes libusb's code through; the other calls flatten it, so ask
    // the device whether it is still there.
    if (op == Op::kBulkRead) {
      if (rc == LIBUSB_ERROR_TIMEOUT) return Fail(Status::DeadlineExceeded(), "USB read timed out");
      if (rc == LIBUSB_ERROR_NO_DEVICE) return Fail(Status::Unavailable(), "device unplugged");
    }
    // Ask the device itself (GET_STATUS on endpoint 0): libusb_get_configuration reads
    // sysfs on Linux, which still lists the device for a while after usbfs has started
    // answering ENODEV (found by tests/driver/ftdi/umockdev).
    std::array<unsigned char, 2> device_status{};
    if (ftdi_->usb_dev == nullptr ||
        libusb_control_transfer(ftdi_->usb_dev, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_STATUS, 0, 0,
                                device_status.data(), device_status.size(),
                                kAliveCheckTimeoutMs) == LIBUSB_ERROR_NO_DEVICE) {
      return Fail(Status::Unavailable(), "device unplugged (" + message + ")");
    }
    if (op == Op::kBulkWrite || op == Op::kBulkRead) {
      return Fail(Status::DeadlineExceeded(), "USB transfer failed or timed out (" + message + ")");
    }
    return Fail(Status::Unavailable(), message);
  }

  LibftdiPortOptions options_;
  ftdi_context* ftdi_;
  bool open_ = false;
  std::string last_error_;
};

}  // namespace

std::unique_ptr<FtdiPort> NewLibftdiPort(const LibftdiPortOptions& options) {
  return std::make_unique<LibftdiPort>(options);
}

}  // namespace flashrig::driver
