// serprog: targets: a real chip behind a serprog programmer (Pico/Arduino firmware on a
// serial port, or another `flashrig serve`), opened as SpiNorFlash over SerprogSpiBus.
//   serprog:/dev/ttyACM0[:BAUD][?spi_hz=N&timeout_ms=N]
//   serprog:tcp:HOST:PORT[?spi_hz=N&timeout_ms=N]
#pragma once

#include <string>

#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {

// Opens a serprog: URL: connects, runs the serprog handshake, probes the chip. The
// target's clock is the host clock (measured timing). Errors name the URL:
// bad_input for a malformed URL, otherwise the device/link failed. Never throws.
TargetOpenResult OpenSerprogTarget(const std::string& url, const TargetOptions& options);

// Registers the "serprog:" scheme with OpenTarget(). Idempotent; call from main().
void RegisterSerprogTargets();

}  // namespace flashrig::hil
