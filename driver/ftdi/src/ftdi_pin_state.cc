// FtdiPinState and pin validation: which ADBUS/ACBUS bits are driven, and to what.
#include <string>

#include "ftdi_bus_setup.h"
#include "mpsse_commands.h"

namespace flashrig::driver {

int FtdiPinState::Pin(SpiControlLine line) const {
  switch (line) {
    case SpiControlLine::kChipPower:
      return pins_.chip_power;
    case SpiControlLine::kWriteProtect:
      return pins_.write_protect;
    case SpiControlLine::kHold:
      return pins_.hold;
    case SpiControlLine::kReset:
      return pins_.reset;
  }
  return -1;
}

uint16_t FtdiPinState::Direction() const {
  uint16_t dir = mpsse::kPinSck | mpsse::kPinMosi | static_cast<uint16_t>(1u << pins_.chip_select);
  for (auto line : {SpiControlLine::kChipPower, SpiControlLine::kWriteProtect,
                    SpiControlLine::kHold, SpiControlLine::kReset}) {
    if (IsWired(line)) dir = static_cast<uint16_t>(dir | (1u << Pin(line)));
  }
  return dir;
}

uint16_t FtdiPinState::Value() const {
  uint16_t value = 0;
  auto set = [&value](int pin, bool high) {
    if (pin >= 0 && high) value = static_cast<uint16_t>(value | (1u << pin));
  };
  const bool power_on = powered();
  if (IsWired(SpiControlLine::kChipPower)) {
    set(pins_.chip_power, power_on == pins_.chip_power_active_high);
  }
  if (!power_on || parked_) return value;  // Everything else low.
  set(pins_.chip_select, chip_select_high_);
  set(pins_.write_protect, LineHigh(SpiControlLine::kWriteProtect));
  set(pins_.hold, LineHigh(SpiControlLine::kHold));
  set(pins_.reset, LineHigh(SpiControlLine::kReset));
  return value;
}

Status ValidateFtdiPins(const FtdiPins& pins, FtdiChipType chip, std::string* error) {
  const int max_pin = chip == FtdiChipType::kFt4232H ? 7 : 15;  // FT4232H: no high byte.
  uint32_t used = mpsse::kPinSck | mpsse::kPinMosi | mpsse::kPinMiso;
  auto check = [&](const char* name, int pin) -> bool {
    if (pin < 0 && std::string(name) != "chip_select") return true;
    if (pin < 3 || pin > max_pin) {
      *error = std::string("pin ") + name + " = " + std::to_string(pin) + " is invalid on the " +
               FtdiChipTypeName(chip) + ": use 3-" + std::to_string(max_pin) +
               " (0-2 are SCK, MOSI, MISO; 8-15 are ACBUS0-7)";
      return false;
    }
    if (used & (1u << pin)) {
      *error = std::string("pin ") + name + " = " + std::to_string(pin) +
               " is already used by another signal";
      return false;
    }
    used |= 1u << pin;
    return true;
  };
  if (!check("chip_select", pins.chip_select) || !check("chip_power", pins.chip_power) ||
      !check("write_protect", pins.write_protect) || !check("hold", pins.hold) ||
      !check("reset", pins.reset)) {
    return Status::InvalidArgument();
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
