// SerprogService + FdSerprogTransport on real sockets and ptys: the serprog client talks to
// the server over loopback TCP and over a pty, one client at a time, garbage and stalled
// clients never wedge the service, and a stop request ends Serve() promptly.
#include "flashrig/hil/serprog/serprog_service.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "flashrig/driver/serprog/serprog_spi_bus.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"
#include "flashrig/hil/serprog/serprog_fd_transport.h"
#include "testing/bytes.h"
#include "testing/serprog_test_chip.h"
#include "testing/test_seed.h"

namespace flashrig::hil {
namespace {

using namespace std::chrono_literals;
using flashrig::testing::Bytes;
using flashrig::testing::SerprogTestChip;

SerprogEndpoint Endpoint(std::string_view text) {
  SerprogEndpoint ep;
  std::string error;
  EXPECT_TRUE(ParseSerprogEndpoint(text, &ep, &error)) << error;
  return ep;
}

// A service on its own thread, stopped and joined by the destructor.
class RunningService {
 public:
  explicit RunningService(std::string_view endpoint, std::chrono::milliseconds idle_preempt = 10s) {
    std::string error;
    service_ = SerprogService::Open(
        Endpoint(endpoint),
        {.stop_poll = 20ms, .write_timeout = 500ms, .idle_preempt = idle_preempt}, &error);
    EXPECT_NE(service_, nullptr) << error;
    if (service_ == nullptr) return;
    thread_ = std::thread([this] { result_ = service_->Serve(server_, stop_); });
  }
  ~RunningService() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  SerprogService& service() { return *service_; }
  driver::SerprogServer& server() { return server_; }
  Status result() const { return result_; }

 private:
  SerprogTestChip chip_;
  driver::SpiDeviceBus bus_{chip_};
  driver::SerprogServer server_{bus_, {}};
  std::unique_ptr<SerprogService> service_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status result_ = Status::Internal();
};

Result<std::unique_ptr<driver::SerprogSpiBus>> ConnectClient(const std::string& address) {
  std::string error;
  auto transport = OpenSerprogClientTransport(Endpoint(address), 2s, &error);
  if (transport == nullptr) {
    ADD_FAILURE() << error;
    return Status::Unavailable();
  }
  return driver::SerprogSpiBus::Connect(std::move(transport),
                                        {.reply_timeout = 1000ms, .sync_attempts = 3});
}

std::vector<std::byte> ReadJedec(driver::SpiBus& bus) {
  const auto opcode = Bytes({0x9F});
  std::vector<std::byte> id(3);
  const driver::SpiSegment segs[] = {driver::SpiSegment::Write(opcode),
                                     driver::SpiSegment::Read(id)};
  EXPECT_EQ(bus.Transfer(segs), Status::Ok());
  return id;
}

// A raw TCP connection to poke bytes at the server.
int RawConnect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return fd;
}

TEST(SerprogEndpointTest, ParsesEveryFormAndNamesTheBadPart) {
  SerprogEndpoint ep;
  std::string error;
  ASSERT_TRUE(ParseSerprogEndpoint("tcp:4000", &ep, &error));
  EXPECT_EQ(ep.ToString(), "tcp:127.0.0.1:4000");  // Loopback by default.
  ASSERT_TRUE(ParseSerprogEndpoint("tcp:0.0.0.0:0", &ep, &error));
  EXPECT_EQ(ep.host, "0.0.0.0");
  ASSERT_TRUE(ParseSerprogEndpoint("tcp:[::1]:99", &ep, &error));
  EXPECT_EQ(ep.host, "::1");
  ASSERT_TRUE(ParseSerprogEndpoint("pty", &ep, &error));
  EXPECT_EQ(ep.kind, SerprogEndpoint::Kind::kPty);
  ASSERT_TRUE(ParseSerprogEndpoint("/dev/ttyACM0", &ep, &error));
  EXPECT_EQ(ep.device, "/dev/ttyACM0");
  EXPECT_EQ(ep.baud, 115200u);
  ASSERT_TRUE(ParseSerprogEndpoint("/dev/ttyUSB1:2000000", &ep, &error));
  EXPECT_EQ(ep.baud, 2000000u);

  EXPECT_FALSE(ParseSerprogEndpoint("tcp:99999", &ep, &error));
  EXPECT_NE(error.find("'tcp:99999'"), std::string::npos) << error;
  EXPECT_NE(error.find("port"), std::string::npos) << error;
  EXPECT_FALSE(ParseSerprogEndpoint("tcp:", &ep, &error));
  EXPECT_FALSE(ParseSerprogEndpoint("tcp::80", &ep, &error));
  EXPECT_FALSE(ParseSerprogEndpoint("/dev/ttyACM0:fast", &ep, &error));
  EXPECT_NE(error.find("baud"), std::string::npos) << error;
  EXPECT_FALSE(ParseSerprogEndpoint("udp:1", &ep, &error));
  EXPECT_FALSE(ParseSerprogEndpoint("", &ep, &error));
}

TEST(SerprogEndpointTest, TellsLoopbackAddressesFromReachableOnes) {
  for (const char* host : {"127.0.0.1", "127.200.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "::ffff:10.0.0.1",
                           "fe80::1", "128.0.0.1", "localhost", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(host)) << host;
  }
}

TEST(SerprogServiceTest, ReportsWhetherItListensOnLoopbackOnly) {
  {
    RunningService running("tcp:0");
    EXPECT_TRUE(running.service().loopback_only());
  }
  RunningService any("tcp:0.0.0.0:0");
  EXPECT_EQ(any.service().address(), "tcp:0.0.0.0:" + std::to_string(any.service().port()));
  EXPECT_FALSE(any.service().loopback_only());
}

TEST(SerprogServiceTest, ClientAndServerTalkOverLoopbackTcp) {
  RunningService running("tcp:0");
  ASSERT_NE(running.service().port(), 0);
  EXPECT_EQ(running.service().address(),
            "tcp:127.0.0.1:" + std::to_string(running.service().port()));
  auto bus = ConnectClient(running.service().address());
  ASSERT_TRUE(bus.ok()) << bus.status();
  EXPECT_EQ((*bus)->programmer_name(), "flashrig");
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ReadJedec(**bus), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(running.service().counters().clients_served.load(), 1u);
}

TEST(SerprogServiceTest, OneClientAtATimeTheNextWaitsInTheBacklog) {
  RunningService running("tcp:0");
  const std::string address = running.service().address();
  auto first = ConnectClient(address);
  ASSERT_TRUE(first.ok()) << first.status();
  // A second connection is accepted by the kernel but not served while the first is
  // active (and not idle): its handshake gets no answer.
  std::string error;
  auto transport = OpenSerprogClientTransport(Endpoint(address), 2s, &error);
  ASSERT_NE(transport, nullptr) << error;
  EXPECT_EQ(driver::SerprogSpiBus::Connect(std::move(transport),
                                           {.reply_timeout = 100ms, .sync_attempts = 2})
                .status(),
            Status::DeadlineExceeded());
  EXPECT_EQ(ReadJedec(**first), Bytes({0xEF, 0x40, 0x15}));  // Unaffected.
  first = Status::Unavailable();                             // The first client leaves...
  auto second = ConnectClient(address);                      // ...and the next one is served.
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ReadJedec(**second), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(running.service().counters().clients_preempted.load(), 0u);
}

TEST(SerprogServiceTest, IdleClientIsPreemptedByAWaitingOne) {
  RunningService running("tcp:0", 200ms);
  auto first = ConnectClient(running.service().address());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = ConnectClient(running.service().address());  // Waits ~200 ms, then served.
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(ReadJedec(**second), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(running.service().counters().clients_preempted.load(), 1u);
  const auto opcode = Bytes({0x9F});
  std::vector<std::byte> id(3);
  const driver::SpiSegment segs[] = {driver::SpiSegment::Write(opcode),
                                     driver::SpiSegment::Read(id)};
  EXPECT_EQ((*first)->Transfer(segs), Status::Unavailable());  // Its link was closed.
}

TEST(SerprogServiceTest, GarbageAndHalfCommandsFromAClientNeverWedgeTheService) {
  FLASHRIG_SEEDED(seed, 77);
  SeededRandom rng(seed);
  RunningService running("tcp:0");
  for (int round = 0; round < 5; ++round) {
    const int fd = RawConnect(running.service().port());
    std::vector<std::byte> junk(rng.Between(1, 4096));
    for (auto& b : junk) b = std::byte{rng.Byte()};
    junk.push_back(std::byte{0x13});  // End mid-command: O_SPIOP with no parameters.
    ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    ::close(fd);  // Never reads the replies.
  }
  auto bus = ConnectClient(running.service().address());
  ASSERT_TRUE(bus.ok()) << bus.status();
  EXPECT_EQ(ReadJedec(**bus), Bytes({0xEF, 0x40, 0x15}));
}

TEST(SerprogServiceTest, StopEndsServePromptlyEvenWithAStalledClient) {
  RunningService running("tcp:0");
  const int fd = RawConnect(running.service().port());
  const auto half = Bytes({0x13, 0x10, 0x00});  // Half an O_SPIOP header, then silence.
  ASSERT_EQ(::write(fd, half.data(), half.size()), 3);
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  running.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(running.result(), Status::Ok());
  ::close(fd);
}

TEST(SerprogServiceTest, ClientThatNeverReadsIsDroppedAfterTheWriteTimeout) {
  RunningService running("tcp:0");
  const int fd = RawConnect(running.service().port());
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  // Many Q_CMDMAP requests: 33 reply bytes each, far more than the socket buffers hold.
  const std::vector<std::byte> flood(200000, std::byte{0x02});
  size_t sent = 0;
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (sent < flood.size() && std::chrono::steady_clock::now() < give_up) {
    const ssize_t n = ::send(fd, flood.data() + sent, flood.size() - sent, MSG_DONTWAIT);
    if (n > 0)
      sent += static_cast<size_t>(n);
    else
      std::this_thread::sleep_for(5ms);
  }
  ::close(fd);
  // The service must still take a new, well-behaved client.
  auto bus = ConnectClient(running.service().address());
  ASSERT_TRUE(bus.ok()) << bus.status();
  EXPECT_EQ(ReadJedec(**bus), Bytes({0xEF, 0x40, 0x15}));
}

TEST(SerprogServiceTest, ClientAndServerTalkOverAPty) {
  RunningService running("pty");
  EXPECT_EQ(running.service().address().rfind("/dev/pts/", 0), 0u) << running.service().address();
  auto bus = ConnectClient(running.service().address());
  ASSERT_TRUE(bus.ok()) << bus.status();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ReadJedec(**bus), Bytes({0xEF, 0x40, 0x15}));
  // A 4 KiB read crosses the pty's buffers in pieces.
  const auto read_cmd = Bytes({0x03, 0, 0, 0});
  std::vector<std::byte> data(4096);
  const driver::SpiSegment segs[] = {driver::SpiSegment::Write(read_cmd),
                                     driver::SpiSegment::Read(data)};
  EXPECT_EQ((*bus)->Transfer(segs), Status::Ok());
  EXPECT_EQ(data, std::vector<std::byte>(4096, std::byte{0xFF}));
}

TEST(SerprogServiceTest, OpenFailuresNameTheEndpoint) {
  std::string error;
  RunningService running("tcp:0");
  // Port already taken.
  EXPECT_EQ(SerprogService::Open(Endpoint(running.service().address()), {}, &error), nullptr);
  EXPECT_NE(error.find(running.service().address().substr(4)), std::string::npos) << error;
  EXPECT_EQ(SerprogService::Open(Endpoint("/dev/ttyACM0"), {}, &error), nullptr);
  EXPECT_NE(error.find("/dev/ttyACM0"), std::string::npos) << error;
  // Nothing listening: the client reports the endpoint.
  running.Stop();
  const std::string gone = "tcp:127.0.0.1:1";
  EXPECT_EQ(OpenSerprogClientTransport(Endpoint(gone), 500ms, &error), nullptr);
  EXPECT_NE(error.find(gone), std::string::npos) << error;
  EXPECT_EQ(OpenSerprogClientTransport(Endpoint("/nonexistent/tty"), 500ms, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/tty"), std::string::npos) << error;
}

}  // namespace
}  // namespace flashrig::hil
