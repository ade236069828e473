// Writes serprog_fuzz's seed corpus: the byte streams a serprog client really sends,
// recorded from flashrig's SerprogSpiBus (whose handshake follows flashrom's serprog
// driver: SYNCNOP, Q_IFACE, Q_CMDMAP, Q_PGMNAME, Q_SERBUF, Q_BUSTYPE, S_BUSTYPE, limits,
// S_SPI_FREQ, S_PIN_STATE) talking to a SerprogServer, then RDID, reads, a page program
// and a sector erase as O_SPIOP.
//   serprog_fuzz_seeds OUT_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "flashrig/driver/serprog/serprog_loopback_transport.h"
#include "flashrig/driver/serprog/serprog_spi_bus.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "testing/serprog_test_chip.h"

namespace {

namespace fs = std::filesystem;
using flashrig::driver::SpiSegment;

// Forwards to the loopback transport and keeps every byte the client sends.
class RecordingTransport final : public flashrig::driver::SerprogTransport {
 public:
  RecordingTransport(flashrig::driver::SerprogServer& server, std::vector<std::byte>* sent)
      : inner_(server), sent_(sent) {}
  flashrig::Status Write(std::span<const std::byte> data) override {
    sent_->insert(sent_->end(), data.begin(), data.end());
    return inner_.Write(data);
  }
  flashrig::Status Read(std::span<std::byte> out, std::chrono::milliseconds t) override {
    return inner_.Read(out, t);
  }
  void DiscardInput(std::chrono::milliseconds quiet) override { inner_.DiscardInput(quiet); }

 private:
  flashrig::driver::SerprogLoopbackTransport inner_;
  std::vector<std::byte>* sent_;
};

// Runs a session; `ops` drives the connected bus. Returns the client's bytes.
template <typename Ops>
std::vector<std::byte> Session(uint32_t limit, Ops ops) {
  flashrig::testing::SerprogTestChip chip;
  flashrig::driver::SpiDeviceBus bus(chip);
  flashrig::driver::SerprogServer server(bus, {.max_write_bytes = limit, .max_read_bytes = limit});
  std::vector<std::byte> sent;
  {
    auto client = flashrig::driver::SerprogSpiBus::Connect(
        std::make_unique<RecordingTransport>(server, &sent), {.spi_frequency_hz = 8000000});
    if (client.ok()) ops(**client);
  }
  return sent;
}

void Write(const fs::path& path, uint8_t limit_code, const std::vector<std::byte>& stream) {
  std::ofstream out(path, std::ios::binary);
  const char head[3] = {static_cast<char>(limit_code), static_cast<char>(limit_code), 7};
  out.write(head, 3);
  out.write(reinterpret_cast<const char*>(stream.data()),
            static_cast<std::streamsize>(stream.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: serprog_fuzz_seeds OUT_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  auto rdid = [](flashrig::driver::SpiBus& bus) {
    const std::byte op[1] = {std::byte{0x9F}};
    std::byte id[3];
    const SpiSegment s[2] = {SpiSegment::Write(op), SpiSegment::Read(id)};
    bus.Transfer(s).IgnoreError();
  };
  auto session = [&](flashrig::driver::SpiBus& bus) {
    rdid(bus);
    std::vector<std::byte> page(256, std::byte{0xA5}), back(512);
    const std::byte wren[1] = {std::byte{0x06}}, erase[4] = {std::byte{0x20}, {}, {}, {}},
                    pp[4] = {std::byte{0x02}, {}, {}, {}}, read[4] = {std::byte{0x03}, {}, {}, {}};
    const SpiSegment w[1] = {SpiSegment::Write(wren)};
    const SpiSegment e[1] = {SpiSegment::Write(erase)};
    const SpiSegment p[2] = {SpiSegment::Write(pp), SpiSegment::Write(page)};
    const SpiSegment r[2] = {SpiSegment::Write(read), SpiSegment::Read(back)};
    for (const auto* t : {w, e, w}) bus.Transfer(std::span(t, 1)).IgnoreError();
    bus.Transfer(p).IgnoreError();
    bus.Transfer(r).IgnoreError();
  };
  int n = 0;
  Write(out / "handshake-rdid.bin", 255, Session(64 * 1024, rdid)), ++n;
  Write(out / "program-erase-read.bin", 255, Session(64 * 1024, session)), ++n;
  // Limits as small as the fuzzer's: the client splits its transfers to fit them.
  Write(out / "small-limits.bin", 40, Session(161, session)), ++n;
  std::printf("serprog_fuzz_seeds: %d recorded client sessions\n", n);
  return 0;
}
