// EmulatedBoard: the chip, its channels and the USB device, wired and clocked together.
#include "flashrig/hil/emulate/emulated_board.h"

#include "polled_chip.h"

namespace flashrig::hil {

EmulatedBoard::EmulatedBoard(const EmulatedBoardOptions& options)
    : shape_(options.shape != nullptr ? *options.shape : FtdiChipShapes().front()),
      serial_(options.serial) {
  driver::SimulatedChipOptions chip_options = options.chip;
  chip_options.sck_hz = 0;  // The channel charges wire time itself.
  chip_ = std::make_unique<driver::SimulatedSpiNorChip>(options.part, clock_, chip_options);
  polled_ = std::make_unique<internal::PolledChip>(*chip_, clock_, options.fast_forward);
  nothing_ = std::make_unique<internal::NoChip>();
  std::vector<driver::MpsseEmulator*> engines;
  for (uint8_t i = 0; i < shape_.interfaces; ++i) {
    driver::MpsseEmulatorOptions o{.chip_type = shape_.type,
                                   .serial = serial_,
                                   .clock = &clock_,
                                   .has_mpsse = driver::FtdiInterfaceHasMpsse(shape_.type, i + 1)};
    driver::SpiDevice& wired = i == 0 ? static_cast<driver::SpiDevice&>(*polled_) : *nothing_;
    channels_.push_back(std::make_unique<driver::MpsseEmulator>(wired, o));
    if (options.on_complaint) {
      const std::string prefix = std::string("channel ") + static_cast<char>('A' + i) + ": ";
      channels_.back()->set_on_error(
          [prefix, sink = options.on_complaint](const std::string& m) { sink(prefix + m); });
    }
    engines.push_back(channels_.back().get());
  }
  FtdiUsbDeviceOptions usb_options{.strings = {.serial = serial_},
                                   .kernel_driver_bound = options.kernel_driver_bound,
                                   .detach_denied = options.detach_denied,
                                   .chip_clock = &clock_,
                                   .speedup = options.speedup,
                                   .on_complaint = options.on_complaint};
  if (options.on_channel_a_stream) {
    usb_options.on_bulk_out = [sink = options.on_channel_a_stream](uint8_t interface,
                                                                   std::span<const uint8_t> bytes) {
      if (interface == 0) sink(bytes);
    };
  }
  usb_ = std::make_unique<FtdiUsbDevice>(shape_, std::move(engines), usb_options);
}

EmulatedBoard::~EmulatedBoard() = default;

std::string EmulatedBoard::url() const {
  return std::string("ftdi://ftdi:") + shape_.name + (serial_.empty() ? "" : ":" + serial_) + "/1";
}

std::string EmulatedBoard::flashrom_programmer() const {
  return std::string("ft2232_spi:type=") + shape_.flashrom_type + ",port=A" +
         (serial_.empty() ? "" : ",serial=" + serial_);
}

Status EmulatedBoard::LoadImage(const std::string& path) {
  auto lock = usb_->Lock();
  return chip_->LoadImage(path);
}

Status EmulatedBoard::SaveImage(const std::string& path) {
  auto lock = usb_->Lock();
  return chip_->SaveImage(path);
}

EmulatedBoardStats EmulatedBoard::stats() const {
  EmulatedBoardStats s;
  s.usb = usb_->counters();
  auto lock = usb_->Lock();
  s.channel_a = channels_.front()->stats();
  s.chip = chip_->counters();
  s.fast_forwards = polled_->fast_forwards();
  s.fast_forwarded = polled_->fast_forwarded();
  s.virtual_time = clock_.Now();
  return s;
}

}  // namespace flashrig::hil
