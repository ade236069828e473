// serprog: targets: OpenTarget("serprog:tcp:...") and ("serprog:/dev/pts/N") reach a
// simulated W25Q16JV served in-process, probe it, and program/read it faithfully; bad URLs
// are bad input naming the URL, dead links are device errors naming it.
#include "flashrig/hil/serprog/serprog_target.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "flashrig/driver/serprog/serprog_paced_bus.h"
#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"
#include "flashrig/hil/serprog/serprog_service.h"
#include "testing/bytes.h"
#include "testing/test_seed.h"

namespace flashrig::hil {
namespace {

using namespace std::chrono_literals;

std::string PartFile() {
  const char* env = std::getenv("FLASHRIG_SOURCE_DIR");
  return std::string(env != nullptr ? env : ".") + "/configs/parts/w25q16jv.json";
}

// A sim: chip served on `endpoint` from a background thread (paced so erases finish).
class ServedChip {
 public:
  explicit ServedChip(const std::string& endpoint) {
    ForgetSimulatedChips();
    sim_ = OpenTarget("sim:" + PartFile());
    if (sim_.target == nullptr) {
      ADD_FAILURE() << sim_.error;
      return;
    }
    chip_bus_ = std::make_unique<driver::SpiDeviceBus>(*sim_.target->chip());
    paced_ = std::make_unique<driver::SerprogPacedBus>(*chip_bus_, *sim_.target->virtual_clock(),
                                                       wall_, 100000.0);
    server_ = std::make_unique<driver::SerprogServer>(*paced_, driver::SerprogServerOptions{});
    SerprogEndpoint ep;
    std::string error;
    EXPECT_TRUE(ParseSerprogEndpoint(endpoint, &ep, &error)) << error;
    service_ = SerprogService::Open(ep, {.stop_poll = 20ms}, &error);
    if (service_ == nullptr) {
      ADD_FAILURE() << error;
      return;
    }
    thread_ = std::thread([this] { service_->Serve(*server_, stop_).IgnoreError(); });
  }
  ~ServedChip() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // The URL a client opens.
  std::string url() const {
    const std::string& a = service_->address();
    return "serprog:" + (a.starts_with("tcp:") ? a : a + ":115200");
  }
  // Only after Stop(): the serving thread no longer touches the chip.
  std::span<const std::byte> contents() { return sim_.target->chip()->contents(); }

 private:
  SystemClock wall_;
  TargetOpenResult sim_;
  std::unique_ptr<driver::SpiDeviceBus> chip_bus_;
  std::unique_ptr<driver::SerprogPacedBus> paced_;
  std::unique_ptr<driver::SerprogServer> server_;
  std::unique_ptr<SerprogService> service_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void ProgramAndCheck(const std::string& endpoint, uint64_t default_seed) {
  FLASHRIG_SEEDED(seed, default_seed);
  SeededRandom rng(seed);
  RegisterSerprogTargets();
  ServedChip served(endpoint);
  TargetOpenResult opened = OpenTarget(served.url());
  ASSERT_NE(opened.target, nullptr) << opened.error;
  driver::Flash& flash = opened.target->flash();
  EXPECT_EQ(flash.geometry().size_bytes, 2u * 1024 * 1024);
  ASSERT_NE(opened.target->spi_nor(), nullptr);
  EXPECT_EQ(opened.target->spi_nor()->info().jedec_id, (std::array<uint8_t, 3>{0xEF, 0x40, 0x15}));

  const uint32_t address = 0x10000;
  const auto data = flashrig::testing::RandomBytes(96 * 1024 + 17, rng);  // Crosses chunks.
  ASSERT_EQ(flash.Erase(address, 128 * 1024), Status::Ok());
  ASSERT_EQ(flash.Program(address, data), Status::Ok());
  std::vector<std::byte> back(data.size());
  ASSERT_EQ(flash.Read(address, back), Status::Ok());
  EXPECT_TRUE(back == data);
  opened.target.reset();  // Disconnect before stopping the server.
  served.Stop();
  const auto contents = served.contents();
  EXPECT_TRUE(std::equal(data.begin(), data.end(), contents.begin() + address));
}

TEST(SerprogTargetTest, TcpTargetProgramsAndReadsTheServedChip) { ProgramAndCheck("tcp:0", 0x7C9); }

TEST(SerprogTargetTest, SerialTargetWorksThroughAPty) { ProgramAndCheck("pty", 0x9E7); }

TEST(SerprogTargetTest, BadUrlsAreBadInputNamingTheUrl) {
  RegisterSerprogTargets();
  for (const std::string url :
       {"serprog:", "serprog:udp:1", "serprog:pty", "serprog:tcp:127.0.0.1:1?spi_hz=fast",
        "serprog:tcp:127.0.0.1:1?speed=1", "serprog:tcp:127.0.0.1:1?timeout_ms=0",
        "serprog:/dev/ttyACM0:0"}) {
    const TargetOpenResult r = OpenTarget(url);
    EXPECT_EQ(r.target, nullptr) << url;
    EXPECT_TRUE(r.bad_input) << url << ": " << r.error;
    EXPECT_NE(r.error.find(url), std::string::npos) << r.error;
  }
}

TEST(SerprogTargetTest, DeadLinksAreDeviceErrorsNamingTheUrl) {
  RegisterSerprogTargets();
  for (const std::string url : {"serprog:tcp:127.0.0.1:1", "serprog:/nonexistent/ttyACM9"}) {
    const TargetOpenResult r = OpenTarget(url);
    EXPECT_EQ(r.target, nullptr) << url;
    EXPECT_FALSE(r.bad_input) << url << ": " << r.error;
    EXPECT_NE(r.error.find(url), std::string::npos) << r.error;
  }
}

TEST(SerprogTargetTest, ATcpPeerThatIsNotSerprogIsReportedAsSuch) {
  // A listener that accepts and never answers: the handshake must time out, not hang.
  SerprogEndpoint ep;
  std::string error;
  ASSERT_TRUE(ParseSerprogEndpoint("tcp:0", &ep, &error));
  auto silent = SerprogService::Open(ep, {}, &error);  // Listening, but nobody serves it.
  ASSERT_NE(silent, nullptr) << error;
  RegisterSerprogTargets();
  const auto start = std::chrono::steady_clock::now();
  const TargetOpenResult r = OpenTarget("serprog:" + silent->address() + "?timeout_ms=50");
  EXPECT_EQ(r.target, nullptr);
  EXPECT_FALSE(r.bad_input);
  EXPECT_NE(r.error.find("no serprog answer"), std::string::npos) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace flashrig::hil
