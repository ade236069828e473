// Consumer of the installed flashrig package: stores and reads back keys through KvStore
// on a RamFlash, then probes a simulated W25Q128JV (part file from the installed
// database) through SpiNorFlash and round-trips a page. Exit 0 only if all of it worked.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "flashrig/driver/flash/clock.h"
#include "flashrig/driver/flash/ram_flash.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_device.h"
#include "flashrig/driver/spinor/spi_nor_flash.h"
#include "flashrig/hil/config/part_config.h"
#include "flashrig/kvstore/engine_storage.h"
#include "flashrig/kvstore/kv_store.h"
#include "flashrig/kvstore/tickv_engine.h"

namespace {

bool Fail(const char* what) {
  std::fprintf(stderr, "flashrig_consumer: %s\n", what);
  return false;
}

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

bool KvOnRamFlash() {
  flashrig::driver::RamFlash flash(4096, 16);
  flashrig::kv::EngineStorage storage(flash.geometry(), 64);
  flashrig::kv::TicKvEngine engine(flash, storage.buffers());
  if (!engine.Mount().ok()) return Fail("mount of a blank RamFlash failed");
  flashrig::kv::KvStore store(engine);
  if (!store.Set("greeting", Bytes("hello, flash")).ok()) return Fail("set failed");
  std::vector<std::byte> out(64);
  auto n = store.Get("greeting", out);
  if (!n.ok() || *n != 12 || std::memcmp(out.data(), "hello, flash", 12) != 0) {
    return Fail("get did not return what set stored");
  }
  // A second engine mounted from the same flash sees the key: it is on "flash".
  flashrig::kv::EngineStorage storage2(flash.geometry(), 64);
  flashrig::kv::TicKvEngine engine2(flash, storage2.buffers());
  flashrig::kv::KvStore store2(engine2);
  if (!engine2.Mount().ok() || !store2.Get("greeting", out).ok()) {
    return Fail("the key did not survive a remount");
  }
  std::printf("kv: set/get/remount on RamFlash 16 x 4 KiB ok\n");
  return true;
}

bool SimulatedChipThroughSpiNorFlash() {
  flashrig::hil::ConfigErrors errors;
  auto model =
      flashrig::hil::LoadPartFile(std::string(FLASHRIG_PARTS_DIR) + "/w25q128jv.json", &errors);
  if (!model) return Fail(flashrig::hil::FormatConfigErrors(errors).c_str());
  flashrig::VirtualClock clock;
  flashrig::driver::SimulatedSpiNorChip chip(*model, clock);
  flashrig::driver::SpiDeviceBus bus(chip);
  auto flash = flashrig::driver::SpiNorFlash::Probe(bus, clock, /*database=*/nullptr);
  if (!flash.ok()) return Fail("probe of the simulated chip failed");
  const auto id = (*flash)->info().jedec_id;
  if (id[0] != 0xEF || id[1] != 0x40 || id[2] != 0x18) return Fail("wrong JEDEC ID");
  std::vector<std::byte> page(256, std::byte{0x5A});
  std::vector<std::byte> back(256);
  if (!(*flash)->Erase(0, 4096).ok() || !(*flash)->Program(0, page).ok() ||
      !(*flash)->Read(0, back).ok() || back != page) {
    return Fail("erase/program/read round trip failed");
  }
  std::printf("spinor: probed %s %s (JEDEC %02X %02X %02X, %u KiB), page round trip ok\n",
              model->vendor.c_str(), model->name.c_str(), id[0], id[1], id[2],
              (*flash)->geometry().size_bytes / 1024);
  return true;
}

}  // namespace

int main() {
  const bool ok = KvOnRamFlash() && SimulatedChipThroughSpiNorFlash();
  return ok ? 0 : 1;
}
