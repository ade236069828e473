// SerprogSpiBus against SerprogServer over the in-memory transport: handshake, transfers
// of every segment shape, limits, NAKs, broken replies and resynchronisation.
#include "flashrig/driver/serprog/serprog_spi_bus.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "flashrig/driver/serprog/serprog_loopback_transport.h"
#include "testing/bytes.h"
#include "testing/serprog_test_chip.h"
#include "testing/test_seed.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::FailableSpiBus;
using flashrig::testing::SerprogTestChip;

// Loopback with knobs: corrupt the next reply byte, or go silent / closed.
class FaultyTransport final : public SerprogTransport {
 public:
  explicit FaultyTransport(SerprogServer& server) : inner_(server) {}
  Status Write(std::span<const std::byte> data) override {
    if (closed_) return Status::Unavailable();
    ++writes_;
    if (silent_) return Status::Ok();
    return inner_.Write(data);
  }
  Status Read(std::span<std::byte> out, std::chrono::milliseconds timeout) override {
    if (closed_) return Status::Unavailable();
    if (silent_) return Status::DeadlineExceeded();
    FLASHRIG_TRY(inner_.Read(out, timeout));
    if (corrupt_next_ && !out.empty()) {
      out[0] = std::byte{0x42};
      corrupt_next_ = false;
    }
    return Status::Ok();
  }
  void DiscardInput(std::chrono::milliseconds quiet) override { inner_.DiscardInput(quiet); }

  bool silent_ = false;
  bool closed_ = false;
  bool corrupt_next_ = false;
  int writes_ = 0;

 private:
  SerprogLoopbackTransport inner_;
};

class SerprogSpiBusTest : public ::testing::Test {
 protected:
  std::unique_ptr<SerprogSpiBus> Connect(SerprogClientOptions options = {}) {
    auto transport = std::make_unique<FaultyTransport>(server_);
    transport_ = transport.get();
    auto bus = SerprogSpiBus::Connect(std::move(transport), options);
    EXPECT_TRUE(bus.ok()) << bus.status();
    return bus.ok() ? std::move(bus).value() : nullptr;
  }

  std::vector<std::byte> ReadJedec(SpiBus& bus, Status* status = nullptr) {
    const auto opcode = Bytes({0x9F});
    std::vector<std::byte> id(3);
    const SpiSegment segs[] = {SpiSegment::Write(opcode), SpiSegment::Read(id)};
    const Status s = bus.Transfer(segs);
    if (status != nullptr) *status = s;
    return id;
  }

  SerprogTestChip chip_;
  SpiDeviceBus chip_bus_{chip_};
  FailableSpiBus failable_{chip_bus_};
  SerprogServer server_{
      failable_, SerprogServerOptions{
                     .programmer_name = "rig-sim", .max_write_bytes = 260, .max_read_bytes = 1024}};
  FaultyTransport* transport_ = nullptr;
};

TEST_F(SerprogSpiBusTest, HandshakeLearnsTheProgrammer) {
  auto bus = Connect({.spi_frequency_hz = 12000000});
  ASSERT_NE(bus, nullptr);
  EXPECT_EQ(bus->programmer_name(), "rig-sim");
  EXPECT_EQ(bus->max_write_bytes(), 260u);
  EXPECT_EQ(bus->max_read_bytes(), 1024u);
  EXPECT_EQ(bus->clock_hz(), 12000000u);
  EXPECT_EQ(server_.spi_frequency_hz(), 12000000u);
  EXPECT_TRUE(bus->SupportsCommand(serprog::Command::kOSpiOp));
  EXPECT_FALSE(bus->SupportsCommand(serprog::Command::kRByte));
  EXPECT_TRUE(server_.idle());
  EXPECT_TRUE(chip_.frames().empty());  // The handshake never touches the chip.
}

TEST_F(SerprogSpiBusTest, TransfersReachTheChipAndReadBack) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  EXPECT_EQ(ReadJedec(*bus), Bytes({0xEF, 0x40, 0x15}));

  const auto wren = Bytes({0x06});
  const auto program = Bytes({0x02, 0x00, 0x02, 0xFE, 1, 2, 3, 4});  // Wraps in the page.
  ASSERT_EQ(bus->Transfer(std::vector{SpiSegment::Write(wren)}), Status::Ok());
  ASSERT_EQ(bus->Transfer(std::vector{SpiSegment::Write(program)}), Status::Ok());

  // Read split over two read segments: one O_SPIOP, bytes land in order.
  const auto read_cmd = Bytes({0x03, 0x00, 0x02, 0xFE});
  std::vector<std::byte> a(1), b(1);
  ASSERT_EQ(bus->Transfer(
                std::vector{SpiSegment::Write(read_cmd), SpiSegment::Read(a), SpiSegment::Read(b)}),
            Status::Ok());
  EXPECT_EQ(a, Bytes({1}));
  EXPECT_EQ(b, Bytes({2}));
  std::vector<std::byte> start(2);
  const auto read0 = Bytes({0x03, 0x00, 0x02, 0x00});
  ASSERT_EQ(bus->Transfer(std::vector{SpiSegment::Write(read0), SpiSegment::Read(start)}),
            Status::Ok());
  EXPECT_EQ(start, Bytes({3, 4}));
}

TEST_F(SerprogSpiBusTest, DummyClocksBecomeOnesBytes) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  const auto fast_read = Bytes({0x0B, 0x00, 0x00, 0x00});
  std::vector<std::byte> out(2);
  ASSERT_EQ(bus->Transfer(std::vector{SpiSegment::Write(fast_read), SpiSegment::Dummy(8),
                                      SpiSegment::Read(out)}),
            Status::Ok());
  EXPECT_EQ(chip_.frames().back(), Bytes({0x0B, 0, 0, 0, 0xFF, 0xFF, 0xFF}));
}

TEST_F(SerprogSpiBusTest, ShapesOneSpiOpCannotExpressAreInvalid) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  const auto cmd = Bytes({0x9F});
  std::vector<std::byte> in(1);
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Write(cmd), SpiSegment::Dummy(3)}),
            Status::InvalidArgument());
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Read(in), SpiSegment::Write(cmd)}),
            Status::InvalidArgument());
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Read(in), SpiSegment::Dummy(8)}),
            Status::InvalidArgument());
  std::vector<std::byte> too_long_write(261), too_long_read(1025);
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Write(too_long_write)}),
            Status::InvalidArgument());
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Write(cmd), SpiSegment::Read(too_long_read)}),
            Status::InvalidArgument());
  EXPECT_EQ(bus->Transfer({}), Status::InvalidArgument());
  EXPECT_TRUE(chip_.frames().empty());  // Nothing half-sent.
  // Exactly at the limits is fine.
  std::vector<std::byte> max_write(260, std::byte{0x00}), max_read(1024);
  max_write[0] = std::byte{0x03};
  EXPECT_EQ(bus->Transfer(std::vector{SpiSegment::Write(max_write), SpiSegment::Read(max_read)}),
            Status::Ok());
}

TEST_F(SerprogSpiBusTest, ProgrammerNakIsUnavailableAndTheNextTransferWorks) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  failable_.FailNext(Status::Unavailable(), 1);
  Status s;
  ReadJedec(*bus, &s);
  EXPECT_EQ(s, Status::Unavailable());
  EXPECT_EQ(ReadJedec(*bus, &s), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(s, Status::Ok());
}

TEST_F(SerprogSpiBusTest, CorruptReplyIsDataLossThenResynchronises) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  transport_->corrupt_next_ = true;
  Status s;
  ReadJedec(*bus, &s);
  EXPECT_EQ(s, Status::DataLoss());
  EXPECT_EQ(ReadJedec(*bus, &s), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(s, Status::Ok());
}

TEST_F(SerprogSpiBusTest, SilentProgrammerTimesOutAndClosedLinkIsUnavailable) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  transport_->silent_ = true;
  Status s;
  ReadJedec(*bus, &s);
  EXPECT_EQ(s, Status::DeadlineExceeded());
  // While silent, the resync before the next transfer fails the same way, in bounded tries.
  ReadJedec(*bus, &s);
  EXPECT_EQ(s, Status::DeadlineExceeded());
  transport_->silent_ = false;
  EXPECT_EQ(ReadJedec(*bus, &s), Bytes({0xEF, 0x40, 0x15}));
  transport_->closed_ = true;
  ReadJedec(*bus, &s);
  EXPECT_EQ(s, Status::Unavailable());
}

TEST_F(SerprogSpiBusTest, ConnectFailsCleanly) {
  auto silent = std::make_unique<FaultyTransport>(server_);
  silent->silent_ = true;
  auto r = SerprogSpiBus::Connect(std::move(silent), {.sync_attempts = 3});
  EXPECT_EQ(r.status(), Status::DeadlineExceeded());

  auto closed = std::make_unique<FaultyTransport>(server_);
  closed->closed_ = true;
  EXPECT_EQ(SerprogSpiBus::Connect(std::move(closed), {}).status(), Status::Unavailable());
  EXPECT_EQ(SerprogSpiBus::Connect(nullptr, {}).status(), Status::InvalidArgument());
  auto ok = std::make_unique<FaultyTransport>(server_);
  EXPECT_EQ(SerprogSpiBus::Connect(std::move(ok), {.reply_timeout = std::chrono::milliseconds(0)})
                .status(),
            Status::InvalidArgument());
}

TEST_F(SerprogSpiBusTest, ConnectResynchronisesAServerLeftMidCommand) {
  // A previous client died after sending half an S_SPI_FREQ.
  std::vector<std::byte> ignored;
  server_.Receive(Bytes({0x14, 0x01}), ignored);
  ASSERT_FALSE(server_.idle());
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  EXPECT_EQ(ReadJedec(*bus), Bytes({0xEF, 0x40, 0x15}));
}

TEST_F(SerprogSpiBusTest, DestructorReleasesThePinDrivers) {
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  EXPECT_TRUE(server_.pin_drivers_enabled());
  bus.reset();
  EXPECT_FALSE(server_.pin_drivers_enabled());
}

TEST_F(SerprogSpiBusTest, RandomTransfersMatchTheChipExactly) {
  FLASHRIG_SEEDED(seed, 0xC11E);
  SeededRandom rng(seed);
  auto bus = Connect();
  ASSERT_NE(bus, nullptr);
  for (auto& b : chip_.memory()) b = std::byte{rng.Byte()};
  for (int i = 0; i < 200; ++i) {
    const uint32_t address = static_cast<uint32_t>(rng.Below(SerprogTestChip::kSizeBytes));
    const size_t n = rng.Between(1, 1024);
    const auto cmd =
        Bytes({0x03, static_cast<int>(address >> 16), static_cast<int>((address >> 8) & 0xFF),
               static_cast<int>(address & 0xFF)});
    std::vector<std::byte> got(n);
    ASSERT_EQ(bus->Transfer(std::vector{SpiSegment::Write(cmd), SpiSegment::Read(got)}),
              Status::Ok());
    for (size_t k = 0; k < n; ++k) {
      ASSERT_EQ(got[k], chip_.memory()[(address + k) % SerprogTestChip::kSizeBytes]) << k;
    }
  }
}

}  // namespace
}  // namespace flashrig::driver
