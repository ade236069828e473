// libFuzzer target for the serprog server's command stream (SerprogServer, what `flashrig
// serve` runs for every TCP/pty client): any byte stream, split anywhere, with small
// length limits so the over-limit paths run too. Checks that the stream is parsed the
// same whatever the split (byte at a time, in fuzzer-chosen chunks, all at once: same
// replies, same counters, same SPI frames on the chip), that Reset() returns to idle, and
// that nothing crashes, hangs or trips a sanitizer.
//   input: [write limit] [read limit] [chunking seed] stream...
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "flashrig/driver/serprog/serprog_server.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "testing/serprog_test_chip.h"

namespace {

using flashrig::driver::SerprogServer;
using flashrig::driver::SerprogServerOptions;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Run {
  explicit Run(const SerprogServerOptions& options) : server(bus, options) {}
  flashrig::testing::SerprogTestChip chip;
  flashrig::driver::SpiDeviceBus bus{chip};
  SerprogServer server;
  std::vector<std::byte> out;
};

bool SameCounters(const SerprogServer& a, const SerprogServer& b) {
  const auto& x = a.counters();
  const auto& y = b.counters();
  return x.commands == y.commands && x.naks == y.naks && x.unknown_commands == y.unknown_commands &&
         x.rejected_commands == y.rejected_commands && x.spi_ops == y.spi_ops &&
         x.spi_bus_errors == y.spi_bus_errors && x.spi_bytes_written == y.spi_bytes_written &&
         x.spi_bytes_read == y.spi_bytes_read;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  // Limits of 1..1024 bytes (default 64 KiB would hide the over-limit paths).
  SerprogServerOptions options;
  options.max_write_bytes = 1 + data[0] * 4u;
  options.max_read_bytes = 1 + data[1] * 4u;
  options.programmer_name = "fuzz";
  uint32_t chunk_state = data[2] | 1u;
  const auto stream = std::as_bytes(std::span(data + 3, size - 3));

  Run whole(options), chunked(options), bytewise(options);
  whole.server.Receive(stream, whole.out);
  for (size_t pos = 0; pos < stream.size();) {
    chunk_state = chunk_state * 1103515245u + 12345u;
    const size_t n = std::min<size_t>(1 + (chunk_state >> 16) % 300, stream.size() - pos);
    chunked.server.Receive(stream.subspan(pos, n), chunked.out);
    pos += n;
  }
  for (size_t pos = 0; pos < stream.size(); ++pos) {
    bytewise.server.Receive(stream.subspan(pos, 1), bytewise.out);
  }
  for (Run* r : {&chunked, &bytewise}) {
    Check(r->out == whole.out);
    Check(SameCounters(r->server, whole.server));
    Check(r->server.idle() == whole.server.idle());
    Check(r->chip.frames() == whole.chip.frames());
  }
  Check(whole.server.counters().naks <= whole.server.counters().commands);
  whole.server.Reset();
  Check(whole.server.idle() && whole.server.pin_drivers_enabled() &&
        whole.server.spi_frequency_hz() == 0);
  return 0;
}
