// serprog: targets: URL parsing, link + handshake, then SpiNorFlash probing over it.
#include "flashrig/hil/serprog/serprog_target.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "flashrig/driver/serprog/serprog_spi_bus.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/hil/serprog/serprog_endpoint.h"
#include "flashrig/hil/serprog/serprog_fd_transport.h"

namespace flashrig::hil {
namespace {

constexpr std::string_view kScheme = "serprog:";

TargetOpenResult Fail(std::string error, bool bad_input) {
  return {.target = nullptr, .error = std::move(error), .bad_input = bad_input};
}

bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

class SerprogTarget final : public Target {
 public:
  SerprogTarget(std::string url, std::unique_ptr<driver::SerprogSpiBus> bus)
      : url_(std::move(url)), bus_(std::move(bus)) {}

  Status Probe(const driver::PartDatabase& parts, driver::SpiNorOptions options) {
    // One serprog operation carries at most max_read_bytes() of read data.
    options.read_chunk_bytes =
        std::clamp<uint32_t>(options.read_chunk_bytes, 1, bus_->max_read_bytes());
    auto flash = driver::SpiNorFlash::Probe(*bus_, clock_, &parts, options);
    if (!flash.ok()) return flash.status();
    flash_ = std::move(*flash);
    return Status::Ok();
  }

  driver::Flash& flash() override { return *flash_; }
  Clock& clock() override { return clock_; }
  const std::string& url() const override { return url_; }
  driver::SpiNorFlash* spi_nor() override { return flash_.get(); }

 private:
  std::string url_;
  SystemClock clock_;
  // Declared before flash_: the driver holds a reference to the bus.
  std::unique_ptr<driver::SerprogSpiBus> bus_;
  std::unique_ptr<driver::SpiNorFlash> flash_;
};

}  // namespace

TargetOpenResult OpenSerprogTarget(const std::string& url, const TargetOptions& options) {
  if (!url.starts_with(kScheme)) return Fail(url + ": not a serprog: URL", true);
  const std::string rest = url.substr(kScheme.size());
  const size_t q = rest.find('?');
  const std::string where = rest.substr(0, q);

  SerprogEndpoint endpoint;
  std::string error;
  if (!ParseSerprogEndpoint(where, &endpoint, &error)) {
    return Fail(url + ": " + error + " (serprog:/dev/ttyACM0[:BAUD] or serprog:tcp:HOST:PORT)",
                true);
  }
  if (endpoint.kind == SerprogEndpoint::Kind::kPty) {
    return Fail(url + ": pty is a server endpoint; give the pty's path (/dev/pts/N)", true);
  }
  driver::SerprogClientOptions client;
  if (q != std::string::npos) {
    std::string_view query = std::string_view(rest).substr(q + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      const size_t eq = item.find('=');
      const std::string_view key = item.substr(0, eq);
      uint64_t value = 0;
      if (eq == std::string_view::npos || !ParseU64(item.substr(eq + 1), &value)) {
        return Fail(fmt::format("{}: option '{}': expected key=NUMBER", url, item), true);
      }
      if (key == "spi_hz" && value > 0 && value <= 0xFFFFFFFFu) {
        client.spi_frequency_hz = static_cast<uint32_t>(value);
      } else if (key == "timeout_ms" && value > 0 && value <= 600000) {
        client.reply_timeout = std::chrono::milliseconds(value);
      } else {
        return Fail(fmt::format("{}: unknown or out-of-range option '{}' (spi_hz=1..4294967295, "
                                "timeout_ms=1..600000)",
                                url, item),
                    true);
      }
    }
  }

  auto transport = OpenSerprogClientTransport(endpoint, client.reply_timeout, &error);
  if (transport == nullptr) return Fail(url + ": " + error, false);
  auto bus = driver::SerprogSpiBus::Connect(std::move(transport), client);
  if (!bus.ok()) {
    const char* why = bus.status().code() == StatusCode::kFailedPrecondition
                          ? "not a usable serprog SPI programmer"
                      : bus.status().code() == StatusCode::kDeadlineExceeded
                          ? "no serprog answer (wrong port or baud rate, or not serprog firmware)"
                          : "serprog handshake failed";
    return Fail(fmt::format("{}: {} ({})", url, why, bus.status().str()), false);
  }

  driver::PartDatabase loaded;
  const driver::PartDatabase* parts = options.parts;
  if (parts == nullptr) {
    ConfigErrors ignored;  // A broken part file must not stop talking to a real chip.
    LoadPartDirectory(DefaultPartsDirectory(), &loaded, &ignored);
    parts = &loaded;
  }
  auto target = std::make_unique<SerprogTarget>(url, std::move(bus).value());
  if (const Status s = target->Probe(*parts, options.spi_nor); !s.ok()) {
    return Fail(fmt::format("{}: probe through the programmer failed: {}", url, s.str()), false);
  }
  return {.target = std::move(target)};
}

void RegisterSerprogTargets() { RegisterTargetScheme(std::string(kScheme), OpenSerprogTarget); }

}  // namespace flashrig::hil
