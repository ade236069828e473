// The FTDI target schemes for OpenTarget:
//   ftdi://VENDOR:PRODUCT:SERIAL/IF[?clock_hz=N&cs=PIN&power=PIN&power_active=high|low
//                                   &wp=PIN&hold=PIN&reset=PIN]   a real FT232H/2232H/4232H
//   ftdi-emu:PART.json|PARTNAME[?seed=N&timing=typical|sampled|max&clock_hz=N
//                               &cs=PIN&power=PIN&power_active=high|low&wp=PIN&hold=PIN]
//       an FT232H emulated at the MPSSE level in front of the simulated chip (CI, demos),
//       wired like a real board: power=PIN switches the simulated chip's supply
#pragma once

#include <string>

#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "flashrig/hil/targets/target.h"

namespace flashrig::hil {

// Registers "ftdi://" and "ftdi-emu:" with RegisterTargetScheme. Idempotent.
void RegisterFtdiTargets();

// Splits "?key=value&..." off an ftdi:// target URL into bus options. Returns "" on
// success, else what is wrong (naming the key).
std::string ParseFtdiTargetOptions(const std::string& url, driver::FtdiOptions* options);

}  // namespace flashrig::hil
