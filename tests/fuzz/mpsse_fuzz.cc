// libFuzzer target for the MPSSE command stream: the bytes a USB host sends to an
// emulated channel (MpsseEmulator) with a simulated SPI NOR chip behind it. Any stream
// must be answered as the chip would (bad-command echo, complaints) without crashing,
// hanging or growing memory: the reply and command buffers stay within their limits,
// whatever lengths the commands claim and however little the host reads.
// Input: byte 0 picks the chip (bits 0-1: FT232H, FT2232H, FT4232H, FT2232D) and how
// much the host reads between writes (bits 2-4); the rest is the stream, written in
// chunks with SIO requests (purges, reset, bit mode, latency, pins) now and then. Seeds
// (tests/fuzz/seeds/mpsse) are real streams captured from flashrom, pyftdi and flashrig
// with `flashrig emulate --record-mpsse`, a 00h byte in front.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "flashrig/driver/ftdi/mpsse_emulator.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "testing/test_chip_models.h"

namespace {

using flashrig::driver::FtdiChipType;
using flashrig::driver::MpsseEmulator;

constexpr size_t kReplyLimit = 64 * 1024;
constexpr size_t kCommandLimit = 64 * 1024;
constexpr size_t kLongestCommand = 3 + 65536;

// A small deterministic generator for chunk sizes and SIO requests.
struct Lcg {
  uint64_t state;
  uint32_t Next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  }
};

void SioRequest(MpsseEmulator& emu, uint32_t r) {
  switch (r % 6) {
    case 0:
      emu.PurgeCommands().IgnoreError();
      break;
    case 1:
      emu.PurgeReplies().IgnoreError();
      break;
    case 2:
      emu.Reset().IgnoreError();
      break;
    case 3:
      emu.SetBitMode(0, (r >> 8) % 4 == 0 ? static_cast<uint8_t>(r >> 16)
                                          : flashrig::driver::kFtdiBitmodeMpsse)
          .IgnoreError();
      break;
    case 4:
      emu.SetLatencyTimer(static_cast<uint8_t>(r >> 8)).IgnoreError();
      break;
    default:
      (void)emu.ReadPins();
      break;
  }
}

void CheckBounded(const MpsseEmulator& emu) {
  if (emu.pending_reply_bytes() > kReplyLimit + 65536 + 2) std::abort();
  if (emu.pending_command_bytes() > kCommandLimit + kLongestCommand + 4096) std::abort();
  if (emu.errors().size() > MpsseEmulator::kMaxKeptErrors) std::abort();
}

const flashrig::driver::ChipModel& Part() {
  static const flashrig::driver::ChipModel part = flashrig::testing::TinyTestPart();
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const FtdiChipType kTypes[] = {FtdiChipType::kFt232H, FtdiChipType::kFt2232H,
                                        FtdiChipType::kFt4232H, FtdiChipType::kFt2232C};
  const FtdiChipType type = kTypes[data[0] & 3];
  const size_t read_size = size_t{64} << ((data[0] >> 2) & 7);  // 64 B .. 8 KiB.
  flashrig::VirtualClock clock;
  flashrig::driver::SimulatedSpiNorChip chip(Part(), clock);
  MpsseEmulator emu(chip, {.chip_type = type,
                           .clock = &clock,
                           .reply_buffer_limit = kReplyLimit,
                           .command_buffer_limit = kCommandLimit});
  if (!emu.Open({.bus = 1, .address = 7, .interface = 1}).ok()) std::abort();
  if (!emu.SetBitMode(0, flashrig::driver::kFtdiBitmodeMpsse).ok()) std::abort();
  Lcg rng{size};
  std::vector<std::byte> reply(read_size);
  const auto stream = std::as_bytes(std::span(data + 1, size - 1));
  for (size_t pos = 0; pos < stream.size();) {
    const uint32_t r = rng.Next();
    if (r % 16 == 0) SioRequest(emu, r >> 4);
    const size_t chunk = std::min<size_t>(stream.size() - pos, 1 + (r >> 8) % 4096);
    auto written = emu.Write(stream.subspan(pos, chunk));
    if (written.ok()) {
      pos += chunk;
    } else {
      // Refused only while stalled on unread replies (a NAKed OUT). A host times out
      // and flushes, as libftdi and pyftdi do.
      if (!emu.WriteWouldBlock(chunk)) std::abort();
      if (!emu.Flush().ok()) std::abort();
    }
    CheckBounded(emu);
    if (!emu.Read(reply).ok()) std::abort();
    CheckBounded(emu);
  }
  // Drain: a host that keeps reading gets everything, in bounded steps.
  for (int i = 0; i < 64 && emu.pending_reply_bytes() > 0; ++i) {
    if (!emu.Read(reply).ok()) std::abort();
  }
  return 0;
}
