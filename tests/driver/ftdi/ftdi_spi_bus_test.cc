// FtdiSpiBus through the FakeFtdiPort: byte-exact MPSSE streams for init, read, page
// program, erase and status poll; clock and pin setup; every open error and transfer
// failure mapped to the right Status and message, with no hang (virtual time).
#include "flashrig/driver/ftdi/ftdi_spi_bus.h"

#include <gtest/gtest.h>

#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "testing/bytes.h"
#include "testing/fake_ftdi_port.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::FakeFtdiPort;
using Op = FakeFtdiPort::Op;

// A write segment whose bytes live until the end of the test program (segments only
// hold spans, so a temporary vector would dangle).
SpiSegment W(std::initializer_list<int> values) {
  static std::deque<std::vector<std::byte>> keep;
  keep.push_back(Bytes(values));
  return SpiSegment::Write(keep.back());
}

// Replies the bus needs to get through Init: the sync echo and the pin read-back.
void QueueInitReplies(FakeFtdiPort& port, uint8_t low_pins = 0x08) {
  port.QueueReply(Bytes({0xFA, 0xAA}));
  port.QueueReply(Bytes({low_pins}));
}

struct Opened {
  FakeFtdiPort* port = nullptr;  // Owned by the bus; dangling if opening failed.
  std::unique_ptr<FtdiSpiBus> bus;
  Status status;
  std::string message;
};

Opened Open(std::unique_ptr<FakeFtdiPort> port, const FtdiOptions& options, Clock& clock) {
  Opened o;
  o.port = port.get();
  auto bus = OpenFtdiSpiBus(std::move(port), options, clock, &o.message);
  o.status = bus.status();
  if (bus.ok()) o.bus = std::move(bus).value();
  return o;
}

Opened OpenDefault(VirtualClock& clock, FtdiOptions options = {}) {
  auto port = std::make_unique<FakeFtdiPort>();
  QueueInitReplies(*port);
  return Open(std::move(port), options, clock);
}

TEST(FtdiSpiBusTest, Init_Ft232H_SendsExactSequence) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok()) << o.message;
  const auto& calls = o.port->calls();
  std::vector<Op> ops;
  for (const auto& c : calls) ops.push_back(c.op);
  EXPECT_EQ(ops, (std::vector<Op>{Op::kList, Op::kOpen, Op::kReset, Op::kLatency, Op::kBitMode,
                                  Op::kBitMode, Op::kWrite, Op::kRead, Op::kWrite, Op::kRead}));
  EXPECT_EQ(calls[1].arg, 1);  // Interface A.
  EXPECT_EQ(calls[3].arg, 1);  // Latency timer 1 ms.
  EXPECT_EQ(calls[4].arg, 0x00);
  EXPECT_EQ(calls[5].arg, 0x02);  // MPSSE.
  const auto writes = o.port->Writes();
  EXPECT_EQ(writes[0], Bytes({0xAA, 0x87}));           // Sync: bad opcode, send immediate.
  EXPECT_EQ(writes[1], Bytes({0x8A, 0x97, 0x8D, 0x85,  // div5, adaptive, 3-phase, loopback off
                              0x86, 0x00, 0x00,        // divisor 0: 30 MHz
                              0x80, 0x08, 0x0B,        // CS# high; SCK, MOSI, CS outputs
                              0x81, 0x87}));           // read pins back
  EXPECT_EQ(o.bus->clock_hz(), 30'000'000u);
  EXPECT_EQ(o.bus->device().serial, "FT1ABCDE");
}

TEST(FtdiSpiBusTest, Init_ClockDivisorIsFastestNotAboveRequest) {
  struct Case {
    uint32_t requested_hz;
    uint16_t divisor;
    uint32_t actual_hz;
  };
  for (const Case& c : {Case{30'000'000, 0, 30'000'000}, Case{50'000'000, 0, 30'000'000},
                        Case{20'000'000, 1, 15'000'000}, Case{12'000'000, 2, 10'000'000},
                        Case{1'000'000, 29, 1'000'000}, Case{1, 65535, 457}}) {
    VirtualClock clock;
    Opened o = OpenDefault(clock, {.clock_hz = c.requested_hz});
    ASSERT_EQ(o.status, Status::Ok()) << o.message;
    const auto init = o.port->Writes()[1];
    EXPECT_EQ(init[4], std::byte{0x86});
    EXPECT_EQ(static_cast<int>(init[5]) | (static_cast<int>(init[6]) << 8), c.divisor)
        << c.requested_hz;
    EXPECT_EQ(o.bus->clock_hz(), c.actual_hz) << c.requested_hz;
  }
}

TEST(FtdiSpiBusTest, Init_Ft2232D_NoHighSpeedOpcodesAnd6MHzMax) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  port->devices[0].chip_type = FtdiChipType::kFt2232C;
  port->devices[0].product_id = kFt2232ProductId;
  QueueInitReplies(*port);
  Opened o = Open(std::move(port), {.url = "ftdi://ftdi:2232/1"}, clock);
  ASSERT_EQ(o.status, Status::Ok()) << o.message;
  EXPECT_EQ(o.port->Writes()[1], Bytes({0x85, 0x86, 0x00, 0x00, 0x80, 0x08, 0x0B, 0x81, 0x87}));
  EXPECT_EQ(o.bus->clock_hz(), 6'000'000u);
  // Dummy clocks become 0xFF bytes; a count that is not a multiple of 8 cannot be made.
  std::vector<std::byte> rx(1);
  const SpiSegment ok[] = {W({0x0B}), SpiSegment::Dummy(8), SpiSegment::Read(rx)};
  o.port->QueueReply(Bytes({0x42}));
  ASSERT_EQ(o.bus->Transfer(ok), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(), Bytes({0x80, 0x00, 0x0B, 0x11, 0x00, 0x00, 0x0B, 0x11, 0x00,
                                            0x00, 0xFF, 0x20, 0x00, 0x00, 0x80, 0x08, 0x0B, 0x87}));
  const SpiSegment odd[] = {W({0x0B}), SpiSegment::Dummy(4)};
  EXPECT_EQ(o.bus->Transfer(odd), Status::InvalidArgument());
}

TEST(FtdiSpiBusTest, Read_OneStreamOneReply) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  const size_t writes_before = o.port->CountOf(Op::kWrite);
  const auto cmd = Bytes({0x03, 0x12, 0x34, 0x56});
  std::vector<std::byte> data(4);
  const SpiSegment segs[] = {SpiSegment::Write(cmd), SpiSegment::Read(data)};
  o.port->QueueReply(Bytes({0xDE, 0xAD, 0xBE, 0xEF}));
  ASSERT_EQ(o.bus->Transfer(segs), Status::Ok());
  EXPECT_EQ(data, Bytes({0xDE, 0xAD, 0xBE, 0xEF}));
  EXPECT_EQ(o.port->CountOf(Op::kWrite), writes_before + 1);
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x80, 0x00, 0x0B,                          // CS# low
                   0x11, 0x03, 0x00, 0x03, 0x12, 0x34, 0x56,  // READ + address
                   0x20, 0x03, 0x00,                          // 4 bytes in
                   0x80, 0x08, 0x0B,                          // CS# high
                   0x87}));                                   // send immediate
  EXPECT_EQ(o.bus->stats().round_trips, 3u);                  // Sync, init read-back, this read.
}

TEST(FtdiSpiBusTest, PageProgram_WriteOnlyStreamsNeedNoRead) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  const size_t reads_before = o.port->CountOf(Op::kRead);
  const SpiSegment wren[] = {W({0x06})};
  ASSERT_EQ(o.bus->Transfer(wren), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x80, 0x00, 0x0B, 0x11, 0x00, 0x00, 0x06, 0x80, 0x08, 0x0B}));
  std::vector<std::byte> page(256);
  for (size_t i = 0; i < page.size(); ++i) page[i] = std::byte(i);
  const auto header = Bytes({0x02, 0x00, 0x01, 0x00});
  const SpiSegment pp[] = {SpiSegment::Write(header), SpiSegment::Write(page)};
  ASSERT_EQ(o.bus->Transfer(pp), Status::Ok());
  auto expected =
      Bytes({0x80, 0x00, 0x0B, 0x11, 0x03, 0x00, 0x02, 0x00, 0x01, 0x00, 0x11, 0xFF, 0x00});
  expected.insert(expected.end(), page.begin(), page.end());
  for (int b : {0x80, 0x08, 0x0B}) expected.push_back(std::byte(b));
  EXPECT_EQ(o.port->Writes().back(), expected);
  EXPECT_EQ(o.port->CountOf(Op::kRead), reads_before);
}

TEST(FtdiSpiBusTest, EraseAndStatusPoll_ExactStreams) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  const SpiSegment erase[] = {W({0x20, 0x00, 0x10, 0x00})};
  ASSERT_EQ(o.bus->Transfer(erase), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x80, 0x00, 0x0B, 0x11, 0x03, 0x00, 0x20, 0x00, 0x10, 0x00, 0x80, 0x08, 0x0B}));
  std::vector<std::byte> sr(1);
  const SpiSegment poll[] = {W({0x05}), SpiSegment::Read(sr)};
  o.port->QueueReply(Bytes({0x03}));
  ASSERT_EQ(o.bus->Transfer(poll), Status::Ok());
  EXPECT_EQ(sr, Bytes({0x03}));
  EXPECT_EQ(o.port->Writes().back(), Bytes({0x80, 0x00, 0x0B, 0x11, 0x00, 0x00, 0x05, 0x20, 0x00,
                                            0x00, 0x80, 0x08, 0x0B, 0x87}));
}

TEST(FtdiSpiBusTest, LongTransfers_ChunkedAt64KiBInOneStream) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  const size_t n = 65536 * 2 + 10;
  std::vector<std::byte> data(n);
  const SpiSegment segs[] = {W({0x03, 0, 0, 0}), SpiSegment::Read(data)};
  std::vector<std::byte> reply(n);
  for (size_t i = 0; i < n; ++i) reply[i] = std::byte(i * 7);
  o.port->QueueReply(reply);
  const size_t writes_before = o.port->CountOf(Op::kWrite);
  ASSERT_EQ(o.bus->Transfer(segs), Status::Ok());
  EXPECT_EQ(data, reply);
  EXPECT_EQ(o.port->CountOf(Op::kWrite), writes_before + 1);
  const auto stream = o.port->Writes().back();
  const auto tail = std::vector<std::byte>(stream.begin() + 10, stream.end());
  EXPECT_EQ(tail,
            Bytes({0x20, 0xFF, 0xFF, 0x20, 0xFF, 0xFF, 0x20, 0x09, 0x00, 0x80, 0x08, 0x0B, 0x87}));
}

TEST(FtdiSpiBusTest, DummyClocks_UseClockOnlyOpcodes) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  std::vector<std::byte> rx(2);
  const SpiSegment segs[] = {W({0x5A, 0, 0, 0}), SpiSegment::Dummy(8), SpiSegment::Dummy(3),
                             SpiSegment::Read(rx)};
  o.port->QueueReply(Bytes({0x53, 0x46}));
  ASSERT_EQ(o.bus->Transfer(segs), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x80, 0x00, 0x0B, 0x11, 0x03, 0x00, 0x5A, 0,    0,    0,    0x8F,
                   0x00, 0x00, 0x8E, 0x02, 0x20, 0x01, 0x00, 0x80, 0x08, 0x0B, 0x87}));
}

TEST(FtdiSpiBusTest, ShortReads_AreReassembled) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  std::vector<std::byte> data(6);
  const SpiSegment segs[] = {W({0x03, 0, 0, 0}), SpiSegment::Read(data)};
  o.port->QueueReply(Bytes({1, 2}));
  o.port->QueueReply({});  // An empty read in between (status-only packet).
  o.port->QueueReply(Bytes({3}));
  o.port->QueueReply(Bytes({4, 5, 6}));
  ASSERT_EQ(o.bus->Transfer(segs), Status::Ok());
  EXPECT_EQ(data, Bytes({1, 2, 3, 4, 5, 6}));
}

TEST(FtdiSpiBusTest, NoReply_DeadlineExceededThenResync) {
  VirtualClock clock;
  Opened o = OpenDefault(clock, {.reply_timeout = std::chrono::milliseconds(50)});
  ASSERT_EQ(o.status, Status::Ok());
  std::vector<std::byte> sr(1);
  const SpiSegment poll[] = {W({0x05}), SpiSegment::Read(sr)};
  const auto start = clock.Now();
  EXPECT_EQ(o.bus->Transfer(poll), Status::DeadlineExceeded());
  EXPECT_GE(clock.Now() - start, std::chrono::milliseconds(50));
  EXPECT_LT(clock.Now() - start, std::chrono::milliseconds(60));
  EXPECT_NE(o.bus->last_error().find("no reply"), std::string::npos) << o.bus->last_error();
  // The next transfer flushes and re-synchronises first.
  o.port->QueueReply(Bytes({0xFA, 0xAA}));
  o.port->QueueReply(Bytes({0x00}));
  ASSERT_EQ(o.bus->Transfer(poll), Status::Ok());
  EXPECT_EQ(o.bus->stats().resyncs, 1u);
  EXPECT_EQ(o.port->CountOf(Op::kFlush), 1u);
}

TEST(FtdiSpiBusTest, PartialReply_DataLoss) {
  VirtualClock clock;
  Opened o = OpenDefault(clock, {.reply_timeout = std::chrono::milliseconds(5)});
  ASSERT_EQ(o.status, Status::Ok());
  std::vector<std::byte> data(4);
  const SpiSegment segs[] = {W({0x03, 0, 0, 0}), SpiSegment::Read(data)};
  o.port->QueueReply(Bytes({1, 2}));
  EXPECT_EQ(o.bus->Transfer(segs), Status::DataLoss());
  EXPECT_NE(o.bus->last_error().find("2 of 4"), std::string::npos) << o.bus->last_error();
}

TEST(FtdiSpiBusTest, UnplugAtEveryTransferOfAProgram_UnavailableNoHang) {
  // WREN (write), PP (write), RDSR poll (write + read): unplug at each of them.
  for (size_t k = 0; k < 4; ++k) {
    SCOPED_TRACE(k);
    VirtualClock clock;
    auto port = std::make_unique<FakeFtdiPort>();
    QueueInitReplies(*port);
    Opened o = Open(std::move(port), {}, clock);
    ASSERT_EQ(o.status, Status::Ok());
    o.port->fail_call = o.port->calls().size() + k;
    o.port->sticky = true;
    o.port->QueueReply(Bytes({0x00}));
    std::vector<std::byte> sr(1);
    const SpiSegment wren[] = {W({0x06})};
    const SpiSegment pp[] = {W({0x02, 0, 0, 0, 0x55})};
    const SpiSegment poll[] = {W({0x05}), SpiSegment::Read(sr)};
    Status results[3] = {o.bus->Transfer(wren), o.bus->Transfer(pp), o.bus->Transfer(poll)};
    const size_t failed_at = std::min<size_t>(k, 2);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(results[i], i < failed_at ? Status::Ok() : Status::Unavailable()) << i;
    }
    EXPECT_NE(o.bus->last_error().find("NO_DEVICE"), std::string::npos) << o.bus->last_error();
  }
}

TEST(FtdiSpiBusTest, ControlLines_PowerSequencingAndPins) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  QueueInitReplies(*port, 0x38);
  FtdiOptions options;
  options.pins = {.chip_select = 3, .chip_power = 4, .write_protect = 5, .hold = 9};
  Opened o = Open(std::move(port), options, clock);
  ASSERT_EQ(o.status, Status::Ok()) << o.message;
  // Low byte: CS(3) high, power(4) on, WP(5) high; high byte: HOLD (ACBUS1) high.
  EXPECT_EQ(o.port->Writes()[1], Bytes({0x8A, 0x97, 0x8D, 0x85, 0x86, 0x00, 0x00, 0x80, 0x38, 0x3B,
                                        0x82, 0x02, 0x02, 0x81, 0x87}));
  ASSERT_EQ(o.bus->SetControlLine(SpiControlLine::kWriteProtect, false), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(), Bytes({0x80, 0x18, 0x3B, 0x82, 0x02, 0x02}));
  // Power off: every other output low, so the unpowered chip is not fed through its pins.
  ASSERT_EQ(o.bus->SetControlLine(SpiControlLine::kChipPower, false), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(), Bytes({0x80, 0x00, 0x3B, 0x82, 0x00, 0x02}));
  const SpiSegment wren[] = {W({0x06})};
  EXPECT_EQ(o.bus->Transfer(wren), Status::Unavailable());
  // Power on: VCC first with the rest low, then the idle levels (WP# still low).
  ASSERT_EQ(o.bus->SetControlLine(SpiControlLine::kChipPower, true), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x80, 0x10, 0x3B, 0x82, 0x00, 0x02, 0x80, 0x18, 0x3B, 0x82, 0x02, 0x02}));
  EXPECT_EQ(o.bus->SetControlLine(SpiControlLine::kReset, false), Status::Unimplemented());
}

TEST(FtdiSpiBusTest, ChipSelectOnHighByte) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  QueueInitReplies(*port, 0x00);
  FtdiOptions options;
  options.pins.chip_select = 8;  // ACBUS0
  Opened o = Open(std::move(port), options, clock);
  ASSERT_EQ(o.status, Status::Ok()) << o.message;
  const SpiSegment wren[] = {W({0x06})};
  ASSERT_EQ(o.bus->Transfer(wren), Status::Ok());
  EXPECT_EQ(o.port->Writes().back(),
            Bytes({0x82, 0x00, 0x01, 0x11, 0x00, 0x00, 0x06, 0x82, 0x01, 0x01}));
}

TEST(FtdiSpiBusTest, BadPins_InvalidArgumentWithMessage) {
  for (FtdiPins pins : {FtdiPins{.chip_select = 1}, FtdiPins{.chip_select = 3, .chip_power = 3},
                        FtdiPins{.chip_select = 3, .hold = 16}}) {
    VirtualClock clock;
    Opened o = OpenDefault(clock, {.pins = pins});
    EXPECT_EQ(o.status, Status::InvalidArgument());
    EXPECT_NE(o.message.find("pin "), std::string::npos) << o.message;
  }
}

// --- Open errors ------------------------------------------------------------------------

TEST(FtdiSpiBusTest, Open_NoDevice_NotFoundSaysSoAndPointsToUdev) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  port->devices.clear();
  Opened o = Open(std::move(port), {.url = "ftdi://ftdi:232h/1"}, clock);
  EXPECT_EQ(o.status, Status::NotFound());
  EXPECT_NE(o.message.find("no FTDI device is attached"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_WrongSerial_ListsAttachedDevices) {
  VirtualClock clock;
  Opened o = OpenDefault(clock, {.url = "ftdi://ftdi:232h:NOPE/1"});
  EXPECT_EQ(o.status, Status::NotFound());
  EXPECT_NE(o.message.find("ftdi://ftdi:232h:FT1ABCDE/1"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_PermissionDenied_MentionsUdevRule) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  port->open_status = Status::PermissionDenied();
  port->open_error = "LIBUSB_ERROR_ACCESS";
  Opened o = Open(std::move(port), {}, clock);
  EXPECT_EQ(o.status, Status::PermissionDenied());
  EXPECT_NE(o.message.find("99-flashrig-ftdi.rules"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("LIBUSB_ERROR_ACCESS"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_Busy_SaysHowToDetach) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  port->open_status = Status::FailedPrecondition();
  port->open_error = "unable to claim usb device. Make sure the default FTDI driver is not in use";
  Opened o = Open(std::move(port), {}, clock);
  EXPECT_EQ(o.status, Status::FailedPrecondition());
  EXPECT_NE(o.message.find("ftdi_sio"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("unbind"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_InterfaceMissing_InvalidArgumentBeforeOpening) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  const auto calls = port->shared_calls();
  Opened o = Open(std::move(port), {.url = "ftdi://ftdi:232h/2"}, clock);
  EXPECT_EQ(o.status, Status::InvalidArgument());
  EXPECT_NE(o.message.find("interface 2 does not exist on the FT232H"), std::string::npos)
      << o.message;
  for (const auto& call : *calls) EXPECT_NE(call.op, Op::kOpen);
}

TEST(FtdiSpiBusTest, Open_BadUrl_InvalidArgument) {
  VirtualClock clock;
  Opened o = OpenDefault(clock, {.url = "usb://1"});
  EXPECT_EQ(o.status, Status::InvalidArgument());
  EXPECT_NE(o.message.find("ftdi://"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_EngineSilent_DeadlineExceededNoHang) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();  // No replies queued.
  Opened o = Open(std::move(port), {.reply_timeout = std::chrono::milliseconds(20)}, clock);
  EXPECT_EQ(o.status, Status::DeadlineExceeded());
  EXPECT_NE(o.message.find("MPSSE initialisation failed"), std::string::npos) << o.message;
}

TEST(FtdiSpiBusTest, Open_EngineAnswersGarbage_DataLoss) {
  VirtualClock clock;
  auto port = std::make_unique<FakeFtdiPort>();
  port->QueueReply(Bytes({0x12, 0x34}));
  Opened o = Open(std::move(port), {}, clock);
  EXPECT_EQ(o.status, Status::DataLoss());
}

TEST(FtdiSpiBusTest, Open_UnpluggedDuringInit_Unavailable) {
  for (size_t k = 2; k < 10; ++k) {  // Every call after Open during init.
    VirtualClock clock;
    auto port = std::make_unique<FakeFtdiPort>();
    QueueInitReplies(*port);
    port->fail_call = k;
    port->sticky = true;
    Opened o = Open(std::move(port), {}, clock);
    EXPECT_EQ(o.status, Status::Unavailable()) << k;
    EXPECT_FALSE(o.message.empty());
  }
}

TEST(FtdiSpiBusTest, Destructor_ClosesPort) {
  VirtualClock clock;
  Opened o = OpenDefault(clock);
  ASSERT_EQ(o.status, Status::Ok());
  const std::shared_ptr<bool> closed = o.port->closed;
  EXPECT_FALSE(*closed);
  o.bus.reset();
  EXPECT_TRUE(*closed);
}

}  // namespace
}  // namespace flashrig::driver
