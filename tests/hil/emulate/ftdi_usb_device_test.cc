// FtdiUsbDevice and EmulatedBoard driven directly at the usbfs level (no umockdev): SIO
// requests in any order before a claim, port routing, the EEPROM as libftdi/pyftdi decode
// it, bulk IN packets with their status bytes, claims and URBs per client, the NAKed
// OUT of a stalled channel, USB reset, kernel driver, unplug, the shapes' descriptors, and
// the fast-forward on status polls.
#include "flashrig/hil/emulate/ftdi_usb_device.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "flashrig/hil/emulate/emulated_board.h"
#include "testing/test_chip_models.h"

namespace flashrig::hil {
namespace {

// One URB of a client, with its buffer, as the umockdev glue would hold them.
struct TestUrb {
  std::vector<uint8_t> buffer;
  // Its own allocation: the struct ends in a flexible array.
  std::unique_ptr<usbdevfs_urb> urb = std::make_unique<usbdevfs_urb>();
};

class Host {
 public:
  Host(FtdiUsbDevice& device, int id)
      : device_(device), id_(reinterpret_cast<const void*>(static_cast<uintptr_t>(id))) {}

  // Submits and reaps one URB; returns the URB status (0 or -errno) and fills *data.
  int Transfer(uint8_t type, uint8_t endpoint, std::vector<uint8_t>* data) {
    TestUrb* u = Submit(type, endpoint, *data);
    if (u == nullptr) return -submit_error_;
    void* token = nullptr;
    const int err = device_.ReapUrb(id_, &token);
    if (err != 0) return -err;
    EXPECT_EQ(token, u);
    *data = u->buffer;
    data->resize(static_cast<size_t>(u->urb->actual_length));
    return u->urb->status;
  }
  TestUrb* Submit(uint8_t type, uint8_t endpoint, const std::vector<uint8_t>& data) {
    urbs_.push_back(std::make_unique<TestUrb>());
    TestUrb* u = urbs_.back().get();
    u->buffer = data;
    u->urb->type = type;
    u->urb->endpoint = endpoint;
    u->urb->buffer_length = static_cast<int>(u->buffer.size());
    submit_error_ =
        device_.SubmitUrb(id_, u->urb.get(), u->buffer.data(), reinterpret_cast<uint64_t>(u), u);
    return submit_error_ == 0 ? u : nullptr;
  }
  int Reap(void** token) { return device_.ReapUrb(id_, token); }
  // A control transfer: setup packet, then wLength bytes of data (in or out).
  int Control(uint8_t type, uint8_t request, uint16_t value, uint16_t index, uint16_t length,
              std::vector<uint8_t>* reply = nullptr) {
    std::vector<uint8_t> b = {type,
                              request,
                              static_cast<uint8_t>(value),
                              static_cast<uint8_t>(value >> 8),
                              static_cast<uint8_t>(index),
                              static_cast<uint8_t>(index >> 8),
                              static_cast<uint8_t>(length),
                              static_cast<uint8_t>(length >> 8)};
    b.resize(8 + length);
    TestUrb* u = Submit(USBDEVFS_URB_TYPE_CONTROL, 0, b);
    if (u == nullptr) return -submit_error_;
    void* token = nullptr;
    if (const int err = device_.ReapUrb(id_, &token); err != 0) return -err;
    // The data stage follows the setup packet; actual_length counts only it.
    if (reply != nullptr) {
      *reply = std::vector<uint8_t>(u->buffer.begin() + 8,
                                    u->buffer.begin() + 8 + u->urb->actual_length);
    }
    return u->urb->status;
  }
  int Sio(uint8_t request, uint16_t value, uint16_t index = 1) {
    return Control(0x40, request, value, index, 0);
  }
  int BulkOut(const std::vector<uint8_t>& bytes, uint8_t endpoint = 0x02) {
    std::vector<uint8_t> b = bytes;
    return Transfer(USBDEVFS_URB_TYPE_BULK, endpoint, &b);
  }
  std::vector<uint8_t> BulkIn(size_t length, uint8_t endpoint = 0x81, int* status = nullptr) {
    std::vector<uint8_t> b(length);
    const int s = Transfer(USBDEVFS_URB_TYPE_BULK, endpoint, &b);
    if (status != nullptr) *status = s;
    return b;
  }
  int Ioctl(unsigned long request, void* arg) { return device_.Ioctl(id_, request, arg); }
  int Claim(uint32_t interface) { return Ioctl(USBDEVFS_CLAIMINTERFACE, &interface); }
  FtdiUsbDevice::ClientId id() const { return id_; }

 private:
  FtdiUsbDevice& device_;
  FtdiUsbDevice::ClientId id_;
  int submit_error_ = 0;
  std::vector<std::unique_ptr<TestUrb>> urbs_;
};

EmulatedBoardOptions Options(const char* chip = "232h") {
  EmulatedBoardOptions o;
  o.shape = FindFtdiChipShape(chip);
  o.part = testing::SmallTestPart();
  return o;
}

TEST(FtdiUsbDeviceTest, SioRequestsWorkInAnyOrderBeforeAnyClaim) {
  EmulatedBoard board(Options());
  Host host(board.usb(), 1);
  // pyftdi's open: purge RX, purge TX, reset, bit mode reset, latency - all before pyusb
  // claims the interface at its first bulk transfer.
  EXPECT_EQ(host.Sio(0x00, 1), 0);
  EXPECT_EQ(host.Sio(0x00, 2), 0);
  EXPECT_EQ(host.Sio(0x00, 0), 0);
  EXPECT_EQ(host.Sio(0x0B, 0x0000), 0);
  EXPECT_EQ(host.Sio(0x09, 16), 0);
  EXPECT_EQ(host.Sio(0x06, 0), 0);               // Event char.
  EXPECT_EQ(host.Sio(0x07, 0), 0);               // Error char.
  EXPECT_EQ(host.Sio(0x03, 0x04E2, 0x0201), 0);  // 9600 baud, H-chip divisor bits in wIndex.
  EXPECT_EQ(host.Sio(0x02, 0, 0x0001), 0);       // Flow control.
  EXPECT_EQ(host.Sio(0x0B, 0x020B), 0);          // MPSSE, SPI directions.
  std::vector<uint8_t> reply;
  EXPECT_EQ(host.Control(0xC0, 0x05, 0, 1, 2, &reply), 0);
  EXPECT_EQ(reply, (std::vector<uint8_t>{0x32, 0x60}));
  EXPECT_EQ(host.Control(0xC0, 0x0A, 0, 1, 1, &reply), 0);
  EXPECT_EQ(reply, (std::vector<uint8_t>{16}));
  EXPECT_TRUE(board.channel(0).mpsse_enabled());
  EXPECT_EQ(board.usb().counters().claims, 0u);
  EXPECT_TRUE(board.usb().errors().empty()) << board.usb().errors()[0];
}

TEST(FtdiUsbDeviceTest, PortsRouteToChannelsAndAMissingPortStalls) {
  EmulatedBoard board(Options("2232h"));
  Host host(board.usb(), 1);
  EXPECT_EQ(host.Sio(0x09, 5, 2), 0);  // Port B.
  EXPECT_EQ(host.Sio(0x09, 7, 0), 0);  // 0 means A, as ftdi_sio sends it.
  EXPECT_EQ(board.channel(1).latency_timer_ms(), 5);
  EXPECT_EQ(board.channel(0).latency_timer_ms(), 7);
  EXPECT_EQ(host.Sio(0x09, 5, 3), -EPIPE);
  ASSERT_EQ(board.usb().errors().size(), 1u);
  EXPECT_NE(board.usb().errors()[0].find("ports 1-2"), std::string::npos);
  // Unknown vendor request: a stall and a complaint.
  EXPECT_EQ(host.Sio(0x42, 0), -EPIPE);
}

TEST(FtdiUsbDeviceTest, EepromReadsTheProgrammedLayout) {
  EmulatedBoard board(Options());
  Host host(board.usb(), 1);
  std::vector<uint8_t> bytes;
  for (uint16_t word = 0; word < 128; ++word) {
    std::vector<uint8_t> reply;
    ASSERT_EQ(host.Control(0xC0, 0x90, 0, word, 2, &reply), 0);  // wIndex = word address.
    bytes.insert(bytes.end(), reply.begin(), reply.end());
  }
  EXPECT_EQ(FtdiEeprom::Checksum(bytes), bytes[254] | (bytes[255] << 8));
  EXPECT_EQ(bytes[2] | (bytes[3] << 8), 0x0403);
  EXPECT_EQ(bytes[4] | (bytes[5] << 8), 0x6014);
  EXPECT_EQ(bytes[6] | (bytes[7] << 8), 0x0900);
  // String table at 0Eh: offset and length of each descriptor, as ftdi_eeprom_decode reads.
  auto text = [&](size_t entry) {
    const size_t at = bytes[0x0E + 2 * entry];
    const size_t len = bytes[0x0F + 2 * entry];
    std::string s;
    for (size_t i = 2; i < len; i += 2) s += static_cast<char>(bytes[at + i]);
    EXPECT_EQ(bytes[at + 1], 0x03);
    return s;
  };
  EXPECT_EQ(text(0), "FTDI");
  EXPECT_EQ(text(1), "Single RS232-HS");
  EXPECT_EQ(text(2), "FREMU0001");
  // Past the end it aliases (libftdi sizes EEPROMs that way); writes and erase work.
  std::vector<uint8_t> alias;
  ASSERT_EQ(host.Control(0xC0, 0x90, 0, 128 + 2, 2, &alias), 0);
  EXPECT_EQ(alias, (std::vector<uint8_t>{0x14, 0x60}));
  ASSERT_EQ(host.Control(0x40, 0x91, 0xBEEF, 0x70, 0), 0);
  EXPECT_EQ(board.usb().eeprom()[0xE0], 0xEF);
  ASSERT_EQ(host.Control(0x40, 0x92, 0, 0, 0), 0);
  ASSERT_EQ(host.Control(0xC0, 0x90, 0, 0, 2, &alias), 0);
  EXPECT_EQ(alias, (std::vector<uint8_t>{0xFF, 0xFF}));
}

TEST(FtdiUsbDeviceTest, BulkInPacketsOpenWithStatusBytesAndEndShort) {
  EmulatedBoard board(Options());
  Host host(board.usb(), 1);
  ASSERT_EQ(host.Sio(0x0B, 0x0200 | 0x0B), 0);
  // Nothing to read: a status-only packet.
  EXPECT_EQ(host.BulkIn(512), (std::vector<uint8_t>{0x32, 0x60}));
  // GPIO read: one data byte after the status bytes.
  ASSERT_EQ(host.BulkOut({0x85, 0x80, 0x08, 0x0B, 0x81, 0x87}), 0);
  EXPECT_EQ(host.BulkIn(512), (std::vector<uint8_t>{0x32, 0x60, 0xFC}));
  // 1000 bytes of the erased chip: 510 + 490 in two packets of one 4 KiB URB.
  ASSERT_EQ(host.BulkOut({0x80, 0x00, 0x0B, 0x11, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x20, 0xE7,
                          0x03, 0x80, 0x08, 0x0B, 0x87}),
            0);
  const std::vector<uint8_t> in = host.BulkIn(4096);
  ASSERT_EQ(in.size(), 2u + 510 + 2 + 490);
  EXPECT_EQ(in[512], 0x32);
  EXPECT_EQ(in[513], 0x60);
  EXPECT_EQ(in[2], 0xFF);
  // A buffer shorter than the packet the chip sends overflows, as on a host controller.
  ASSERT_EQ(host.BulkOut({0x80, 0x00, 0x0B, 0x20, 0xFF, 0x00, 0x80, 0x08, 0x0B, 0x87}), 0);
  int status = 0;
  host.BulkIn(64, 0x81, &status);
  EXPECT_EQ(status, -EOVERFLOW);
}

TEST(FtdiUsbDeviceTest, ClaimsAndUrbsBelongToTheirClient) {
  EmulatedBoard board(Options());
  Host first(board.usb(), 1);
  Host second(board.usb(), 2);
  EXPECT_EQ(first.Claim(0), 0);
  EXPECT_EQ(second.Claim(0), EBUSY);
  EXPECT_EQ(second.Submit(USBDEVFS_URB_TYPE_BULK, 0x81, std::vector<uint8_t>(512)), nullptr);
  EXPECT_EQ(first.Claim(1), ENOENT);  // The FT232H has one interface.
  // A URB of the first client is not the second's to reap; dropping the client frees it.
  TestUrb* pending = first.Submit(USBDEVFS_URB_TYPE_BULK, 0x81, std::vector<uint8_t>(512));
  ASSERT_NE(pending, nullptr);
  void* token = nullptr;
  EXPECT_EQ(second.Reap(&token), EAGAIN);
  const std::vector<void*> dropped = board.usb().DropClient(first.id());
  EXPECT_EQ(dropped, (std::vector<void*>{pending}));
  EXPECT_EQ(second.Claim(0), 0);
  // A bulk URB claims its interface implicitly, as usbfs does.
  board.usb().DropClient(second.id());
  Host third(board.usb(), 3);
  third.BulkIn(512);
  EXPECT_EQ(first.Claim(0), EBUSY);
  // Discarded URBs complete with -ENOENT.
  TestUrb* u = third.Submit(USBDEVFS_URB_TYPE_BULK, 0x81, std::vector<uint8_t>(512));
  ASSERT_EQ(board.usb().DiscardUrb(third.id(), reinterpret_cast<uint64_t>(u)), 0);
  ASSERT_EQ(third.Reap(&token), 0);
  EXPECT_EQ(u->urb->status, -ENOENT);
  // Endpoints the chip does not have.
  EXPECT_EQ(third.Submit(USBDEVFS_URB_TYPE_BULK, 0x83, std::vector<uint8_t>(512)), nullptr);
}

TEST(FtdiUsbDeviceTest, AStalledChannelNaksOutUntilTheHostReads) {
  EmulatedBoard board(Options());
  Host host(board.usb(), 1);
  ASSERT_EQ(host.Sio(0x0B, 0x0200), 0);
  std::vector<uint8_t> reads = {0x85, 0x80, 0x08, 0x0B};
  for (int i = 0; i < 20000; ++i) reads.insert(reads.end(), {0x20, 0xFF, 0xFF});  // 1.2 GiB.
  ASSERT_EQ(host.BulkOut(reads), 0);  // Accepted: the chip stalls on its full reply buffer.
  const std::vector<uint8_t> more(1024 * 1024, 0x87);
  TestUrb* out = host.Submit(USBDEVFS_URB_TYPE_BULK, 0x02, more);
  ASSERT_NE(out, nullptr);
  TestUrb* small = host.Submit(USBDEVFS_URB_TYPE_BULK, 0x02, std::vector<uint8_t>{0x87});
  TestUrb* in = host.Submit(USBDEVFS_URB_TYPE_BULK, 0x81, std::vector<uint8_t>(4096));
  void* token = nullptr;
  ASSERT_EQ(host.Reap(&token), 0);
  // The OUT waits (NAKed), and the OUT behind it on the same endpoint with it (stream
  // order); the IN completes.
  EXPECT_EQ(token, in);
  EXPECT_EQ(host.Reap(&token), EAGAIN);
  ASSERT_EQ(board.usb().DiscardUrb(host.id(), reinterpret_cast<uint64_t>(out)), 0);
  ASSERT_EQ(host.Reap(&token), 0);  // As libusb's timeout does.
  EXPECT_EQ(out->urb->status, -ENOENT);
  ASSERT_EQ(board.usb().DiscardUrb(host.id(), reinterpret_cast<uint64_t>(small)), 0);
  ASSERT_EQ(host.Reap(&token), 0);
  EXPECT_EQ(token, small);
  EXPECT_LE(board.channel(0).pending_reply_bytes(), 512u * 1024);
}

TEST(FtdiUsbDeviceTest, UsbResetKernelDriverAndUnplug) {
  EmulatedBoardOptions o = Options();
  o.kernel_driver_bound = true;
  EmulatedBoard board(o);
  Host host(board.usb(), 1);
  usbdevfs_getdriver gd{};
  EXPECT_EQ(host.Ioctl(USBDEVFS_GETDRIVER, &gd), 0);
  EXPECT_STREQ(gd.driver, "ftdi_sio");
  int32_t config = 1;
  EXPECT_EQ(host.Ioctl(USBDEVFS_SETCONFIGURATION, &config), EBUSY);
  EXPECT_EQ(host.Claim(0), EBUSY);
  usbdevfs_ioctl detach{
      .ifno = 0, .ioctl_code = static_cast<int>(USBDEVFS_DISCONNECT), .data = nullptr};
  EXPECT_EQ(host.Ioctl(USBDEVFS_IOCTL, &detach), 0);
  EXPECT_EQ(host.Claim(0), 0);
  // A port reset is a chip reset.
  ASSERT_EQ(host.Sio(0x09, 2), 0);
  ASSERT_EQ(host.Sio(0x0B, 0x0200), 0);
  EXPECT_EQ(host.Ioctl(USBDEVFS_RESET, nullptr), 0);
  EXPECT_EQ(board.channel(0).latency_timer_ms(), 16);
  EXPECT_FALSE(board.channel(0).mpsse_enabled());
  // Unplug: URBs in flight complete with -ESHUTDOWN, then everything is ENODEV.
  TestUrb* in = host.Submit(USBDEVFS_URB_TYPE_BULK, 0x81, std::vector<uint8_t>(512));
  board.usb().Unplug();
  void* token = nullptr;
  ASSERT_EQ(host.Reap(&token), 0);
  EXPECT_EQ(in->urb->status, -ESHUTDOWN);
  EXPECT_EQ(host.Reap(&token), ENODEV);
  EXPECT_EQ(host.Claim(0), ENODEV);
}

TEST(FtdiUsbDeviceTest, ShapesDescribeTheirInterfaces) {
  for (const FtdiChipShape& shape : FtdiChipShapes()) {
    const std::vector<uint8_t> d = DeviceDescriptor(shape, true);
    EXPECT_EQ(d[12] | (d[13] << 8), shape.bcd_device);
    const std::vector<uint8_t> c = ConfigurationDescriptor(shape);
    EXPECT_EQ(c.size(), 9u + shape.interfaces * 23u);
    EXPECT_EQ(c[4], shape.interfaces);
    // The last interface's endpoints: IN 81h + 2(n-1), OUT 02h + 2(n-1), 512 bytes.
    const size_t last = c.size() - 14;
    EXPECT_EQ(c[last + 2], BulkInEndpoint(static_cast<uint8_t>(shape.interfaces - 1)));
    EXPECT_EQ(c[last + 9], BulkOutEndpoint(static_cast<uint8_t>(shape.interfaces - 1)));
    EXPECT_EQ(c[last + 4] | (c[last + 5] << 8), 512);
  }
  EXPECT_EQ(FindFtdiChipShape("FT4232H")->bcd_device, 0x0800);
  EXPECT_EQ(FindFtdiChipShape("2232h")->bcd_device, 0x0700);
  EXPECT_EQ(FindFtdiChipShape("232r"), nullptr);
  // The FT4232H's C and D channels have no MPSSE.
  EmulatedBoard quad(Options("4232h"));
  Host host(quad.usb(), 1);
  ASSERT_EQ(host.Sio(0x0B, 0x0200, 3), 0);
  EXPECT_FALSE(quad.channel(2).mpsse_enabled());
  ASSERT_EQ(host.Sio(0x0B, 0x0200, 2), 0);
  EXPECT_TRUE(quad.channel(1).mpsse_enabled());
}

// WREN, sector erase, RDSR through channel A; returns SR1.
uint8_t EraseThenPoll(EmulatedBoard& board) {
  Host host(board.usb(), 1);
  EXPECT_EQ(host.Sio(0x0B, 0x0200), 0);
  EXPECT_EQ(host.BulkOut({0x85, 0x8A, 0x86, 0x00, 0x00, 0x80, 0x08, 0x0B, 0x80, 0x00, 0x0B, 0x11,
                          0x00, 0x00, 0x06, 0x80, 0x08, 0x0B, 0x80, 0x00, 0x0B, 0x11, 0x03, 0x00,
                          0x20, 0x00, 0x10, 0x00, 0x80, 0x08, 0x0B, 0x80, 0x00, 0x0B, 0x11, 0x00,
                          0x00, 0x05, 0x20, 0x00, 0x00, 0x80, 0x08, 0x0B, 0x87}),
            0);
  const std::vector<uint8_t> in = host.BulkIn(512);
  return in.size() == 3 ? in[2] : 0xEE;
}

TEST(FtdiUsbDeviceTest, StatusPollsFastForwardTheBusyChip) {
  EmulatedBoard board(Options());
  EXPECT_EQ(EraseThenPoll(board), 0x00);  // Done at the first poll.
  EXPECT_EQ(board.stats().fast_forwards, 1u);
  EXPECT_GE(board.stats().fast_forwarded, std::chrono::milliseconds(44));
  EmulatedBoardOptions o = Options();
  o.fast_forward = false;
  EmulatedBoard paced(o);
  EXPECT_EQ(EraseThenPoll(paced), 0x03);  // WIP and WEL: 45 ms have not passed.
  EXPECT_EQ(paced.stats().fast_forwards, 0u);
}

TEST(FtdiUsbDeviceTest, SpeedupRunsTheChipClockAheadOfTheWall) {
  EmulatedBoardOptions o = Options();
  o.speedup = 1000;
  EmulatedBoard board(o);
  Host host(board.usb(), 1);
  // Modelled USB time (latency-timer waits) may already run far ahead of the wall; wall
  // time must still pass for the chip from there, or a client polling it with wall-clock
  // deadlines would time out before a busy chip finishes.
  board.clock().Advance(std::chrono::seconds(100));
  const Clock::TimePoint before = board.clock().Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(host.Sio(0x09, 16), 0);  // Any request brings the chip's clock up to date.
  EXPECT_GE(board.clock().Now() - before, std::chrono::seconds(20));
}

}  // namespace
}  // namespace flashrig::hil
