// The real libftdi1 + libusb code (NewLibftdiPort, driver/ftdi/src/libftdi_port.cc) against an
// FT232H emulated at the usbfs level (hil/emulate FtdiUsbDevice in a umockdev testbed), with
// the MPSSE emulator and a simulated W25Q128JV behind it. Runs under umockdev-wrapper
// (LD_PRELOAD), since libftdi runs in this process; see docs/FTDI.md.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "child_process.h"
#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/part_database.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/emulate/ftdi_usb_device.h"
#include "flashrig/hil/emulate/umockdev_testbed.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::umock {
namespace {

using driver::FtdiOptions;
using driver::OpenFtdiSpiBus;

std::string SourceDir() {
  const char* dir = std::getenv("FLASHRIG_SOURCE_DIR");
  return dir != nullptr ? dir : FLASHRIG_TEST_SOURCE_DIR;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

class LibftdiUmockdevTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* preload = std::getenv("LD_PRELOAD");
    ASSERT_TRUE(preload != nullptr && std::strstr(preload, "libumockdev-preload") != nullptr)
        << "run this test under umockdev-wrapper (ctest does)";
    std::string error;
    testbed_ = hil::UmockdevTestbed::Create(&error);
    ASSERT_NE(testbed_, nullptr) << error;
    hil::ConfigErrors errors;
    auto model = hil::LoadPartFile(SourceDir() + "/configs/parts/w25q128jv.json", &errors);
    ASSERT_TRUE(model.has_value()) << hil::FormatConfigErrors(errors);
    model_ = *model;
    parts_ = driver::PartDatabase({model_});
  }

  void TearDown() override {
    testbed_.reset();  // Detaches the device's handler first.
    device_.reset();
  }

  // Plugs in the FT232H with the simulated chip on ADBUS0-3.
  void PlugFt232h(hil::FtdiUsbDeviceOptions options = {}) {
    options.chip_clock = &vclock_;
    if (options.strings.serial.empty()) options.strings.serial = "FT0UMOCK";
    chip_ = std::make_unique<driver::SimulatedSpiNorChip>(model_, vclock_);
    emu_ = std::make_unique<driver::MpsseEmulator>(
        *chip_, driver::MpsseEmulatorOptions{.serial = "UNUSED", .clock = &vclock_});
    device_ = std::make_unique<hil::FtdiUsbDevice>(*hil::FindFtdiChipShape("232h"),
                                                   std::vector{emu_.get()}, options);
    std::string error;
    ASSERT_NE(testbed_->Plug(*device_, &error), "") << error;
  }

  std::string Errors() const { return device_ ? Join(device_->errors()) : ""; }

  std::unique_ptr<hil::UmockdevTestbed> testbed_;
  driver::ChipModel model_;
  driver::PartDatabase parts_;
  VirtualClock vclock_;
  std::unique_ptr<driver::SimulatedSpiNorChip> chip_;
  std::unique_ptr<driver::MpsseEmulator> emu_;
  std::unique_ptr<hil::FtdiUsbDevice> device_;
};

TEST_F(LibftdiUmockdevTest, ListsTheDeviceWithItsStrings) {
  PlugFt232h();
  auto port = driver::NewLibftdiPort();
  auto devices = port->ListDevices();
  ASSERT_TRUE(devices.ok()) << port->last_error();
  ASSERT_EQ(devices->size(), 1u);  // The root hub is not an FTDI device.
  const driver::FtdiDeviceInfo& d = devices->front();
  EXPECT_EQ(d.vendor_id, 0x0403);
  EXPECT_EQ(d.product_id, 0x6014);
  EXPECT_EQ(d.chip_type, driver::FtdiChipType::kFt232H);
  EXPECT_EQ(d.bus, 1);
  EXPECT_EQ(d.address, 2);
  EXPECT_TRUE(d.strings_readable);
  EXPECT_EQ(d.manufacturer, "FTDI");
  EXPECT_EQ(d.serial, "FT0UMOCK");
  EXPECT_EQ(Errors(), "");
}

TEST_F(LibftdiUmockdevTest, OpensInitialisesMpsseProbesAndRoundTrips) {
  PlugFt232h();
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_TRUE(bus.ok()) << bus.status().str() << ": " << message << "\n" << Errors();
  EXPECT_EQ((*bus)->device().chip_type, driver::FtdiChipType::kFt232H);
  EXPECT_EQ((*bus)->clock_hz(), 30'000'000u);
  // The init sequence went through real control transfers into the engine.
  EXPECT_TRUE(emu_->mpsse_enabled());
  EXPECT_EQ(emu_->latency_timer_ms(), 1);
  EXPECT_EQ(emu_->sck_hz(), 30'000'000u);
  EXPECT_TRUE(emu_->errors().empty()) << Join(emu_->errors());

  SystemClock clock;
  auto flash = driver::SpiNorFlash::Probe(**bus, clock, &parts_);
  ASSERT_TRUE(flash.ok()) << flash.status().str() << " " << (*bus)->last_error() << "\n"
                          << Errors();
  const driver::ProbeInfo& info = (*flash)->info();
  EXPECT_EQ(info.jedec_id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x18}));
  ASSERT_TRUE(info.part.has_value());
  EXPECT_EQ(info.part->name, "W25Q128JV");
  EXPECT_EQ((*flash)->geometry().size_bytes, 16u * 1024 * 1024);

  // Erase two sectors, program 5 KiB across a page and sector boundary, read it back.
  FLASHRIG_SEEDED(seed, 7);
  SeededRandom rng(seed);
  const uint32_t base = 0x20000;
  ASSERT_TRUE((*flash)->Erase(base, 8192).ok()) << (*bus)->last_error() << Errors();
  const std::vector<std::byte> data = testing::RandomBytes(5 * 1024, rng);
  ASSERT_TRUE((*flash)->Program(base + 100, data).ok()) << (*bus)->last_error() << Errors();
  std::vector<std::byte> back(data.size());
  ASSERT_TRUE((*flash)->Read(base + 100, back).ok()) << (*bus)->last_error();
  EXPECT_EQ(back, data);
  // Erased bytes around it read FFh; a long read (> one 512-byte packet) crosses packets.
  std::vector<std::byte> whole(8192);
  ASSERT_TRUE((*flash)->Read(base, whole).ok());
  EXPECT_EQ(whole[99], std::byte{0xFF});
  EXPECT_EQ(whole[100 + data.size()], std::byte{0xFF});
  EXPECT_TRUE(std::equal(data.begin(), data.end(), whole.begin() + 100));

  // One transaction, one bulk OUT + one bulk IN URB through real libusb, as docs/FTDI.md
  // promises: the 4 KiB reply (+ 2 status bytes per 512-byte packet) fits one URB.
  const hil::UsbCounters before = device_->counters();
  std::vector<std::byte> page(4096);
  ASSERT_TRUE((*flash)->Read(base, page).ok());
  const hil::UsbCounters after = device_->counters();
  EXPECT_EQ(after.bulk_out_urbs - before.bulk_out_urbs, 1u);
  EXPECT_EQ(after.bulk_in_urbs - before.bulk_in_urbs, 1u);
  EXPECT_EQ(after.bulk_in_bytes - before.bulk_in_bytes, 4096u);

  const hil::UsbCounters c = device_->counters();
  EXPECT_GE(c.vendor_requests, 4u);  // Reset, latency, bit mode reset, bit mode MPSSE.
  EXPECT_GT(c.bulk_out_urbs, 20u);   // 21 page programs alone.
  EXPECT_GT(c.bulk_in_bytes, 5u * 1024 + 8192);
  EXPECT_EQ(c.enodev_answers, 0u);
  EXPECT_EQ(Errors(), "");
  EXPECT_TRUE(emu_->errors().empty()) << Join(emu_->errors());
}

TEST_F(LibftdiUmockdevTest, OpensBySerial) {
  PlugFt232h({.strings = {.serial = "FTSER123"}});
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h:FTSER123/1"}, &message);
  ASSERT_TRUE(bus.ok()) << message << Errors();
  EXPECT_EQ((*bus)->device().serial, "FTSER123");
  SystemClock clock;
  EXPECT_TRUE(driver::SpiNorFlash::Probe(**bus, clock, &parts_).ok());
}

TEST_F(LibftdiUmockdevTest, WrongSerialListsWhatIsAttached) {
  PlugFt232h({.strings = {.serial = "FTSER123"}});
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h:NOPE9999/1"}, &message);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status(), Status::NotFound());
  EXPECT_NE(message.find("FTSER123"), std::string::npos) << message;
}

TEST_F(LibftdiUmockdevTest, NoFtdiDeviceIsNotFound) {
  // Only the root hub is on the bus.
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status(), Status::NotFound());
  EXPECT_NE(message.find("no FTDI device is attached"), std::string::npos) << message;
}

TEST_F(LibftdiUmockdevTest, MissingInterfaceIsInvalidArgument) {
  PlugFt232h();
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/2"}, &message);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.status(), Status::InvalidArgument());
  EXPECT_NE(message.find("interface 2"), std::string::npos) << message;
}

TEST_F(LibftdiUmockdevTest, KernelDriverIsDetachedOrReportedBusy) {
  PlugFt232h({.kernel_driver_bound = true});
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_TRUE(bus.ok()) << message << Errors();  // libftdi detached ftdi_sio.
  bus->reset();
  testbed_.reset();
  device_.reset();
  std::string error;
  testbed_ = hil::UmockdevTestbed::Create(&error);
  ASSERT_NE(testbed_, nullptr) << error;
  PlugFt232h({.kernel_driver_bound = true, .detach_denied = true});
  auto busy = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status(), Status::FailedPrecondition()) << message;
  EXPECT_NE(message.find("busy"), std::string::npos) << message;
}

// The device vanishes while bulk URB `urb` of a 4 KiB read is in flight (0 = the MPSSE
// command write, 1 = the reply read) and is still in sysfs: the window before the kernel
// removes it. Expect kUnavailable and "unplugged", quickly, and for every later call.
void ExpectUnplugMidRead(hil::FtdiUsbDevice& device, uint64_t urb,
                         const driver::PartDatabase& parts) {
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_TRUE(bus.ok()) << message << Join(device.errors());
  SystemClock clock;
  auto flash = driver::SpiNorFlash::Probe(**bus, clock, &parts);
  ASSERT_TRUE(flash.ok());
  device.UnplugAtBulkUrb(urb);
  std::vector<std::byte> out(4096);
  const auto start = std::chrono::steady_clock::now();
  const Status s = (*flash)->Read(0, out);
  EXPECT_EQ(s, Status::Unavailable()) << (*bus)->last_error();
  EXPECT_NE((*bus)->last_error().find("unplugged"), std::string::npos) << (*bus)->last_error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ((*flash)->Read(0, out), Status::Unavailable()) << (*bus)->last_error();
  EXPECT_GT(device.counters().enodev_answers, 0u);
}

TEST_F(LibftdiUmockdevTest, UnplugDuringTheCommandWriteIsUnavailable) {
  PlugFt232h();
  ExpectUnplugMidRead(*device_, 0, parts_);
}

TEST_F(LibftdiUmockdevTest, UnplugDuringTheReplyReadIsUnavailable) {
  PlugFt232h();
  ExpectUnplugMidRead(*device_, 1, parts_);
}

TEST_F(LibftdiUmockdevTest, RemovedDeviceIsUnavailable) {
  PlugFt232h();
  std::string message;
  auto bus = OpenFtdiSpiBus(FtdiOptions{.url = "ftdi://ftdi:232h/1"}, &message);
  ASSERT_TRUE(bus.ok()) << message << Errors();
  SystemClock clock;
  auto flash = driver::SpiNorFlash::Probe(**bus, clock, &parts_);
  ASSERT_TRUE(flash.ok());
  device_->Unplug();
  testbed_->Remove(*device_);
  const auto start = std::chrono::steady_clock::now();
  const Status s = (*flash)->Program(0x1000, testing::Filled(256, 0x5A));
  EXPECT_EQ(s, Status::Unavailable()) << (*bus)->last_error();
  EXPECT_NE((*bus)->last_error().find("unplugged"), std::string::npos) << (*bus)->last_error();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// `flashrig probe` as a child process: its libusb enumerates the testbed (UMOCKDEV_DIR and
// LD_PRELOAD are inherited) and its usbfs ioctls reach this process's handler.
TEST_F(LibftdiUmockdevTest, FlashrigProbeFindsTheChip) {
  PlugFt232h();
  const ChildResult r = RunChild({FLASHRIG_CLI_PATH, "probe", "--target", "ftdi://ftdi:232h/1"},
                                 std::chrono::seconds(30));
  ASSERT_EQ(r.error, "");
  ASSERT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output << Errors();
  EXPECT_NE(r.output.find("W25Q128JV"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("EF 40 18"), std::string::npos) << r.output;
  EXPECT_EQ(Errors(), "");
}

// Nothing at all on USB (no root hub either, so no /dev/bus/usb), in a fresh process.
TEST_F(LibftdiUmockdevTest, FlashrigProbeWithoutDeviceExitsWithDeviceError) {
  testbed_->Clear();
  const ChildResult r = RunChild({FLASHRIG_CLI_PATH, "probe", "--target", "ftdi://ftdi:232h/1"},
                                 std::chrono::seconds(30));
  ASSERT_EQ(r.error, "");
  ASSERT_FALSE(r.timed_out) << r.output;
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("no FTDI device is attached"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace flashrig::umock
