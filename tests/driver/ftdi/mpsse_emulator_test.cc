// MpsseEmulator: MPSSE interpretation (sync, GPIO, shifts, clocks, bad opcodes, commands
// split across writes), the time model, and FtdiSpiBus over it driving a small NOR chip,
// including unplug at every USB transfer of a page program.
#include "flashrig/driver/ftdi/mpsse_emulator.h"

#include <gtest/gtest.h>

#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "flashrig/driver/ftdi/ftdi_spi_bus.h"
#include "testing/bytes.h"

namespace flashrig::driver {
namespace {

using flashrig::testing::Bytes;
using flashrig::testing::Filled;

// A tiny SPI NOR chip at the pins: RDID, READ, FAST_READ, RDSR, WREN, PP (in-page wrap),
// SE 4K, with busy time on a VirtualClock. Records frames and control-line events.
class TinyNor final : public SpiDevice {
 public:
  static constexpr size_t kSize = 16 * 1024;
  static constexpr auto kProgramTime = std::chrono::microseconds(400);
  static constexpr auto kEraseTime = std::chrono::milliseconds(45);

  explicit TinyNor(VirtualClock& clock) : clock_(clock), memory_(kSize, std::byte{0xFF}) {}

  void Select() override {
    frame_.clear();
    dummy_ = 0;
  }
  void Deselect() override {
    frames.push_back(frame_);
    if (frame_.empty() || !powered) return;
    const uint8_t op = static_cast<uint8_t>(frame_[0]);
    if (busy()) return;
    if (op == 0x06) wel_ = true;
    if ((op == 0x02 || op == 0x20) && wel_ && frame_.size() >= 4) {
      const size_t addr = Address() % kSize;
      if (op == 0x02) {
        for (size_t i = 4; i < frame_.size(); ++i) {
          const size_t a = (addr & ~size_t{0xFF}) | ((addr + i - 4) & 0xFF);
          memory_[a] &= frame_[i];
        }
        busy_until_ = clock_.Now() + kProgramTime;
      } else {
        std::fill_n(memory_.begin() + static_cast<ptrdiff_t>(addr & ~size_t{0xFFF}), 4096,
                    std::byte{0xFF});
        busy_until_ = clock_.Now() + kEraseTime;
      }
      wel_ = false;
    }
  }
  void Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) override {
    for (size_t i = 0; i < mosi.size(); ++i) {
      frame_.push_back(mosi[i]);
      const std::byte out = powered ? Out(frame_.size() - 1) : std::byte{0xFF};
      if (!miso.empty()) miso[i] = out;
    }
  }
  void DummyClocks(uint32_t cycles) override { dummy_ += cycles; }
  Status SetControlLine(SpiControlLine line, bool high) override {
    events.push_back({line, high});
    if (line == SpiControlLine::kChipPower) powered = high;
    return Status::Ok();
  }

  bool busy() const { return clock_.Now() < busy_until_; }
  std::span<const std::byte> memory() const { return memory_; }

  std::vector<std::vector<std::byte>> frames;
  std::vector<std::pair<SpiControlLine, bool>> events;
  bool powered = true;

 private:
  size_t Address() const {
    return (static_cast<size_t>(frame_[1]) << 16) | (static_cast<size_t>(frame_[2]) << 8) |
           static_cast<size_t>(frame_[3]);
  }
  std::byte Out(size_t index) const {
    const uint8_t op = static_cast<uint8_t>(frame_[0]);
    if (op == 0x05 && index >= 1) {
      return std::byte((busy() ? 0x01 : 0x00) | (wel_ ? 0x02 : 0x00));
    }
    if (op == 0x9F && index >= 1 && index <= 3) {
      constexpr uint8_t kId[] = {0xEF, 0x40, 0x15};
      return std::byte{kId[index - 1]};
    }
    if (busy()) return std::byte{0xFF};
    if (op == 0x03 && index >= 4) return memory_[(Address() + index - 4) % kSize];
    if (op == 0x0B && index >= 4 && dummy_ == 8) return memory_[(Address() + index - 4) % kSize];
    return std::byte{0xFF};
  }

  VirtualClock& clock_;
  std::vector<std::byte> memory_;
  std::vector<std::byte> frame_;
  uint32_t dummy_ = 0;
  bool wel_ = false;
  Clock::TimePoint busy_until_{0};
};

// Keeps write segment bytes alive for the whole test program.
SpiSegment W(std::initializer_list<int> values) {
  static std::deque<std::vector<std::byte>> keep;
  keep.push_back(Bytes(values));
  return SpiSegment::Write(keep.back());
}

struct Rig {
  explicit Rig(MpsseEmulatorOptions options = {}, FtdiOptions bus_options = {}) : chip(clock) {
    options.clock = &clock;
    auto owned = std::make_unique<MpsseEmulator>(chip, options);
    emu = owned.get();
    auto bus_or = OpenFtdiSpiBus(std::move(owned), bus_options, clock, &message);
    status = bus_or.status();
    if (bus_or.ok()) bus = std::move(bus_or).value();
  }

  Status ReadStatus(uint8_t& sr) {
    std::byte b{};
    const SpiSegment segs[] = {W({0x05}), SpiSegment::Read(std::span(&b, 1))};
    FLASHRIG_TRY(bus->Transfer(segs));
    sr = static_cast<uint8_t>(b);
    return Status::Ok();
  }
  // WREN, PP, then RDSR polls (first one at the typical program time) until WIP clears.
  Status Program(uint32_t address, std::span<const std::byte> data) {
    const SpiSegment wren[] = {W({0x06})};
    FLASHRIG_TRY(bus->Transfer(wren));
    const auto header =
        Bytes({0x02, static_cast<int>(address >> 16), static_cast<int>((address >> 8) & 0xFF),
               static_cast<int>(address & 0xFF)});
    const SpiSegment pp[] = {SpiSegment::Write(header), SpiSegment::Write(data)};
    FLASHRIG_TRY(bus->Transfer(pp));
    clock.SleepFor(TinyNor::kProgramTime);
    const auto deadline = clock.Now() + std::chrono::milliseconds(10);
    for (;;) {
      uint8_t sr = 0;
      FLASHRIG_TRY(ReadStatus(sr));
      if ((sr & 1) == 0) return Status::Ok();
      if (clock.Now() > deadline) return Status::DeadlineExceeded();
      clock.SleepFor(std::chrono::microseconds(50));
    }
  }
  Status Read(uint32_t address, std::span<std::byte> out) {
    const auto header =
        Bytes({0x03, static_cast<int>(address >> 16), static_cast<int>((address >> 8) & 0xFF),
               static_cast<int>(address & 0xFF)});
    const SpiSegment segs[] = {SpiSegment::Write(header), SpiSegment::Read(out)};
    return bus->Transfer(segs);
  }

  VirtualClock clock;
  TinyNor chip;
  MpsseEmulator* emu = nullptr;  // Owned by the bus.
  std::unique_ptr<FtdiSpiBus> bus;
  Status status;
  std::string message;
};

TEST(MpsseEmulatorTest, BusInit_IsCleanAndSynchronised) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok()) << rig.message;
  EXPECT_TRUE(rig.emu->errors().empty()) << rig.emu->errors()[0];
  EXPECT_EQ(rig.emu->stats().bad_commands, 1u);  // The AAh sync, on purpose.
  EXPECT_EQ(rig.emu->pending_command_bytes(), 0u);
  EXPECT_TRUE(rig.emu->mpsse_enabled());
  EXPECT_EQ(rig.emu->latency_timer_ms(), 1);
  EXPECT_EQ(rig.emu->sck_hz(), 30'000'000u);
  EXPECT_EQ(rig.emu->pin_directions() & 0xFF, 0x0B);
  EXPECT_FALSE(rig.emu->chip_selected());
  EXPECT_EQ(rig.emu->stats().latency_timer_waits, 0u);
}

TEST(MpsseEmulatorTest, ProgramAndReadBack_ThroughTheBus) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok()) << rig.message;
  std::vector<std::byte> page(256);
  for (size_t i = 0; i < page.size(); ++i) page[i] = std::byte(i ^ 0x3C);
  ASSERT_EQ(rig.Program(0x100, page), Status::Ok());
  std::vector<std::byte> back(256);
  ASSERT_EQ(rig.Read(0x100, back), Status::Ok());
  EXPECT_EQ(back, page);
  EXPECT_TRUE(rig.emu->errors().empty());
  EXPECT_EQ(rig.emu->stats().latency_timer_waits, 0u);  // Every reply ended with 87h.
  // The chip saw exactly WREN, PP+address+256 bytes, then polls and the read.
  ASSERT_GE(rig.chip.frames.size(), 4u);
  EXPECT_EQ(rig.chip.frames[0], Bytes({0x06}));
  EXPECT_EQ(rig.chip.frames[1].size(), 4u + 256u);
}

TEST(MpsseEmulatorTest, PageProgram_CostsAtMostTwoRoundTripsWhenPolledAtTypicalTime) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok());
  const uint64_t reads_before = rig.bus->stats().round_trips;
  const uint64_t writes_before = rig.emu->stats().bulk_writes;
  ASSERT_EQ(rig.Program(0, Filled(256, 0x00)), Status::Ok());
  EXPECT_LE(rig.bus->stats().round_trips - reads_before, 2u);
  EXPECT_LE(rig.emu->stats().bulk_writes - writes_before, 4u);
}

TEST(MpsseEmulatorTest, FastReadDummyClocksReachTheChip) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok());
  ASSERT_EQ(rig.Program(0x20, Bytes({0x12, 0x34})), Status::Ok());
  std::vector<std::byte> out(2);
  const SpiSegment segs[] = {W({0x0B, 0x00, 0x00, 0x20}), SpiSegment::Dummy(8),
                             SpiSegment::Read(out)};
  ASSERT_EQ(rig.bus->Transfer(segs), Status::Ok());
  EXPECT_EQ(out, Bytes({0x12, 0x34}));
}

TEST(MpsseEmulatorTest, TimeModel_ReadCostsUsbLatencyPlusWireTime) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok());
  std::vector<std::byte> out(4096);
  const auto before = rig.emu->stats().modelled_time;
  ASSERT_EQ(rig.Read(0, out), Status::Ok());
  const auto spent = rig.emu->stats().modelled_time - before;
  // 4100 bytes at 30 MHz = 1093 us on the wire, plus two 125 us USB transfers, plus the
  // 23-byte stream and the last 512-byte reply packet at 40 MB/s (about 14 us).
  EXPECT_GE(spent, std::chrono::microseconds(1093 + 250 + 13));
  EXPECT_LE(spent, std::chrono::microseconds(1093 + 250 + 15));
}

TEST(MpsseEmulatorTest, ShortReads_BusLoopsUntilComplete) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok());
  ASSERT_EQ(rig.Program(0, Filled(256, 0xA5)), Status::Ok());
  rig.emu->set_max_read_bytes(7);
  const uint64_t reads_before = rig.emu->stats().bulk_reads;
  std::vector<std::byte> out(100);
  ASSERT_EQ(rig.Read(0, out), Status::Ok());
  EXPECT_EQ(out, Filled(100, 0xA5));
  EXPECT_EQ(rig.emu->stats().bulk_reads - reads_before, 15u);  // ceil(100 / 7)
}

TEST(MpsseEmulatorTest, LostReply_DeadlineExceededInBoundedTime) {
  Rig rig({}, {.reply_timeout = std::chrono::milliseconds(30)});
  ASSERT_EQ(rig.status, Status::Ok());
  rig.emu->set_drop_replies(true);
  std::vector<std::byte> out(16);
  const auto start = rig.clock.Now();
  EXPECT_EQ(rig.Read(0, out), Status::DeadlineExceeded());
  EXPECT_LT(rig.clock.Now() - start, std::chrono::milliseconds(40));
  // The bridge recovers: flush, resync, and the next read works.
  rig.emu->set_drop_replies(false);
  EXPECT_EQ(rig.Read(0, out), Status::Ok());
  EXPECT_EQ(rig.bus->stats().resyncs, 1u);
}

TEST(MpsseEmulatorTest, OneFailedTransfer_ThenRecovers) {
  Rig rig;
  ASSERT_EQ(rig.status, Status::Ok());
  rig.emu->FailTransferAt(rig.emu->stats().usb_transfers + 1, Status::DeadlineExceeded());
  std::vector<std::byte> out(16);
  EXPECT_EQ(rig.Read(0, out), Status::DeadlineExceeded());  // Its read timed out.
  EXPECT_EQ(rig.Read(0, out), Status::Ok());
  EXPECT_EQ(out, Filled(16, 0xFF));
}

// Unplug at each USB transfer of WREN + PP + polls + read-back: the failing call reports
// kUnavailable, nothing hangs, and the chip holds exactly what was delivered before the
// unplug (all or nothing of the page: the PP stream is one transfer).
TEST(MpsseEmulatorTest, UnplugAtEveryTransferOfAProgram) {
  const auto page = Filled(256, 0x5A);
  uint64_t transfers_in_program = 0;
  {
    Rig rig;
    ASSERT_EQ(rig.status, Status::Ok());
    const uint64_t before = rig.emu->stats().usb_transfers;
    ASSERT_EQ(rig.Program(0x200, page), Status::Ok());
    transfers_in_program = rig.emu->stats().usb_transfers - before;
  }
  ASSERT_GE(transfers_in_program, 4u);
  for (uint64_t k = 0; k < transfers_in_program; ++k) {
    SCOPED_TRACE("unplug at transfer " + std::to_string(k));
    Rig rig;
    ASSERT_EQ(rig.status, Status::Ok());
    rig.emu->UnplugAtTransfer(rig.emu->stats().usb_transfers + k);
    EXPECT_EQ(rig.Program(0x200, page), Status::Unavailable());
    EXPECT_NE(rig.bus->last_error().find("unplugged"), std::string::npos) << rig.bus->last_error();
    std::vector<std::byte> out(16);
    EXPECT_EQ(rig.Read(0x200, out), Status::Unavailable());  // Still gone, no hang.
    // k = 0 is the WREN write, k = 1 the PP write: the page is programmed iff the PP
    // stream was delivered.
    const bool programmed = k >= 2;
    EXPECT_EQ(std::vector<std::byte>(rig.chip.memory().begin() + 0x200,
                                     rig.chip.memory().begin() + 0x300),
              programmed ? page : Filled(256, 0xFF));
    EXPECT_FALSE(rig.emu->chip_selected());
    // Replug: a fresh bus on the same emulator sees consistent contents.
    rig.emu->Replug();
  }
}

TEST(MpsseEmulatorTest, UnplugCutsPowerOnBusPoweredBoards) {
  Rig rig({.unplug_cuts_chip_power = true});
  ASSERT_EQ(rig.status, Status::Ok());
  rig.emu->Unplug();
  EXPECT_FALSE(rig.chip.powered);
  std::vector<std::byte> out(4);
  EXPECT_EQ(rig.Read(0, out), Status::Unavailable());
}

TEST(MpsseEmulatorTest, PowerPin_ChipOffUntilBusDrivesItAndBackPowerAvoided) {
  MpsseEmulatorOptions emu_options;
  emu_options.pins = {.chip_select = 3, .chip_power = 7, .chip_power_active_high = false};
  FtdiOptions bus_options;
  bus_options.pins = emu_options.pins;
  Rig rig(emu_options, bus_options);
  ASSERT_EQ(rig.status, Status::Ok()) << rig.message;
  // Off at construction (pin undriven), on once the bus initialised.
  ASSERT_GE(rig.chip.events.size(), 2u);
  EXPECT_EQ(rig.chip.events[0], std::make_pair(SpiControlLine::kChipPower, false));
  EXPECT_EQ(rig.chip.events.back(), std::make_pair(SpiControlLine::kChipPower, true));
  EXPECT_TRUE(rig.emu->chip_powered());
  ASSERT_EQ(rig.bus->SetControlLine(SpiControlLine::kChipPower, false), Status::Ok());
  EXPECT_FALSE(rig.chip.powered);
  EXPECT_EQ(rig.emu->pin_values() & 0x0B, 0);  // SCK, MOSI, CS# all low while off.
  ASSERT_EQ(rig.bus->SetControlLine(SpiControlLine::kChipPower, true), Status::Ok());
  EXPECT_TRUE(rig.chip.powered);
  EXPECT_EQ(rig.emu->pin_values() & 0x08, 0x08);  // CS# idle high again.
  EXPECT_TRUE(rig.emu->errors().empty());
}

// --- Raw MPSSE, no bus ----------------------------------------------------------------

struct RawRig {
  explicit RawRig(FtdiChipType type = FtdiChipType::kFt232H)
      : chip(clock), emu(chip, {.chip_type = type, .clock = &clock}) {
    auto devices = emu.ListDevices();
    EXPECT_TRUE(devices.ok());
    const FtdiDeviceInfo& d = (*devices)[0];
    EXPECT_EQ(emu.Open({.vendor_id = d.vendor_id,
                        .product_id = d.product_id,
                        .bus = d.bus,
                        .address = d.address,
                        .interface = 1}),
              Status::Ok());
    EXPECT_EQ(emu.SetBitMode(0, kFtdiBitmodeMpsse), Status::Ok());
  }
  std::vector<std::byte> Send(std::initializer_list<int> bytes) {
    const auto data = Bytes(bytes);
    EXPECT_TRUE(emu.Write(data).ok());
    return Drain();
  }
  std::vector<std::byte> Drain() {
    std::vector<std::byte> out(4096);
    auto n = emu.Read(out);
    EXPECT_TRUE(n.ok());
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  VirtualClock clock;
  TinyNor chip;
  MpsseEmulator emu;
};

TEST(MpsseEmulatorTest, Raw_BadOpcodeAnsweredAndReported) {
  RawRig r;
  EXPECT_EQ(r.Send({0xAB, 0x87}), Bytes({0xFA, 0xAB}));
  EXPECT_TRUE(r.emu.errors().empty());  // AAh/ABh are the documented sync opcodes.
  EXPECT_EQ(r.Send({0x85, 0xA5, 0x87}), Bytes({0xFA, 0xA5}));
  ASSERT_EQ(r.emu.errors().size(), 1u);
  EXPECT_NE(r.emu.errors()[0].find("A5h"), std::string::npos);
  // 90h-93h are MCU host bus commands, not MPSSE ones; 9Eh exists on the FT232H only.
  EXPECT_EQ(r.Send({0x90, 0x87}), Bytes({0xFA, 0x90}));
  RawRig dual(FtdiChipType::kFt2232H);
  EXPECT_EQ(dual.Send({0x9E, 0x87}), Bytes({0xFA, 0x9E}));
}

// A byte below 80h is never a bad command: the chip decodes it as a shift by its bit
// fields and consumes its length (and data) bytes.
TEST(MpsseEmulatorTest, Raw_EveryOpcodeBelow80hIsAShift) {
  RawRig r;
  const auto select = Bytes({0x85, 0x80, 0x00, 0x0B});
  ASSERT_TRUE(r.emu.Write(select).ok());
  // 24h: read bytes on the falling edge (pyftdi's mode 0 read), after 10h (write on the
  // rising edge) of RDID.
  EXPECT_EQ(r.Send({0x10, 0x00, 0x00, 0x9F, 0x24, 0x02, 0x00, 0x87}), Bytes({0xEF, 0x40, 0x15}));
  // 07h: a bit shift with neither DO nor DI: its length byte is consumed, nothing answers.
  EXPECT_EQ(r.Send({0x80, 0x08, 0x0B, 0x07, 0x05, 0x87}), Bytes({}));
  // 00h: byte clocks without data: the 2 length bytes go with it.
  EXPECT_EQ(r.Send({0x00, 0x01, 0x00, 0x87}), Bytes({}));
  EXPECT_EQ(r.emu.stats().bad_commands, 0u);
  EXPECT_TRUE(r.emu.errors().empty()) << r.emu.errors()[0];
}

TEST(MpsseEmulatorTest, Raw_LsbFirstShiftsAreBitReversedOnTheWire) {
  RawRig r;
  // 19h: write bytes LSB first, falling edge. F9h reversed is 9Fh (RDID); 2Ch reads LSB
  // first, so EFh 40h 15h arrive as F7h 02h A8h.
  EXPECT_EQ(r.Send({0x85, 0x80, 0x00, 0x0B, 0x19, 0x00, 0x00, 0xF9, 0x2C, 0x02, 0x00, 0x80, 0x08,
                    0x0B, 0x87}),
            Bytes({0xF7, 0x02, 0xA8}));
}

TEST(MpsseEmulatorTest, Raw_DuplexOnEitherEdgeAndModeThreeIdleHigh) {
  RawRig r;
  // Mode 3 as pyftdi runs it: 3-phase on, SCK idle high, 34h duplex. No complaint.
  EXPECT_EQ(r.Send({0x85, 0x8C, 0x80, 0x09, 0x0B, 0x80, 0x01, 0x0B, 0x34, 0x03, 0x00, 0x9F, 0xFF,
                    0xFF, 0xFF, 0x80, 0x09, 0x0B, 0x87}),
            Bytes({0xFF, 0xEF, 0x40, 0x15}));
  EXPECT_TRUE(r.emu.three_phase_clocking());
  EXPECT_TRUE(r.emu.errors().empty()) << r.emu.errors()[0];
}

TEST(MpsseEmulatorTest, Raw_ThreePhaseClockingTakesOneAndAHalfPeriods) {
  RawRig r;
  r.Send({0x85, 0x8A, 0x86, 0x00, 0x00, 0x80, 0x08, 0x0B});  // 30 MHz.
  const auto t0 = r.emu.stats().modelled_time;
  r.Send({0x8F, 0xFF, 0x00});  // 256 * 8 = 2048 clocks: 68.3 us.
  const auto two_phase = r.emu.stats().modelled_time - t0;
  r.Send({0x8C});
  const auto t1 = r.emu.stats().modelled_time;
  r.Send({0x8F, 0xFF, 0x00});
  const auto three_phase = r.emu.stats().modelled_time - t1;
  const auto wire = std::chrono::nanoseconds(2048 * 1000 / 30);
  EXPECT_NEAR(static_cast<double>((three_phase - two_phase).count()),
              static_cast<double>(wire.count()) / 2, 50.0);
}

TEST(MpsseEmulatorTest, Raw_BitAndTmsShiftsAreConsumedAndReported) {
  RawRig r;
  // Deselected: harmless, no complaint. 13h writes 3 bits; 22h reads 8 bits (MISO high).
  EXPECT_EQ(r.Send({0x85, 0x80, 0x08, 0x0B, 0x13, 0x02, 0xA0, 0x22, 0x07, 0x87}), Bytes({0xFF}));
  EXPECT_TRUE(r.emu.errors().empty()) << r.emu.errors()[0];
  // Selected: the byte-wide chip model cannot take them; said once per shift.
  r.Send({0x80, 0x00, 0x0B, 0x13, 0x06, 0x55});
  ASSERT_EQ(r.emu.errors().size(), 1u);
  EXPECT_NE(r.emu.errors()[0].find("7 bits"), std::string::npos) << r.emu.errors()[0];
  // 4Bh clocks TMS = ADBUS3 = CS#: the last bit (1) stays on the pin, so CS# goes high.
  EXPECT_TRUE(r.emu.chip_selected());
  r.Send({0x4B, 0x02, 0x04});
  EXPECT_FALSE(r.emu.chip_selected());
  EXPECT_EQ(r.emu.errors().size(), 2u);
  EXPECT_EQ(r.emu.stats().bad_commands, 0u);
}

TEST(MpsseEmulatorTest, Raw_LoopbackReturnsWhatWasSent) {
  RawRig r;
  // Loopback on (84h): 31h returns the DO bytes; the chip still sees them (RDID here).
  EXPECT_EQ(r.Send({0x84, 0x80, 0x00, 0x0B, 0x31, 0x03, 0x00, 0x9F, 0x12, 0x34, 0x56, 0x80, 0x08,
                    0x0B, 0x87}),
            Bytes({0x9F, 0x12, 0x34, 0x56}));
  ASSERT_EQ(r.emu.errors().size(), 1u);  // Reading the chip with loopback on is reported.
  EXPECT_NE(r.emu.errors()[0].find("loopback"), std::string::npos);
  ASSERT_FALSE(r.chip.frames.empty());
  EXPECT_EQ(r.chip.frames.back().front(), std::byte{0x9F});
  // Off again (85h): the chip's MISO.
  EXPECT_EQ(r.Send({0x85, 0x80, 0x00, 0x0B, 0x31, 0x03, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x80, 0x08,
                    0x0B, 0x87}),
            Bytes({0xFF, 0xEF, 0x40, 0x15}));
}

TEST(MpsseEmulatorTest, Raw_WaitOnGpiol1NeverHangs) {
  RawRig r;
  // ADBUS5 is an input, pulled up: 88h (wait high) and 9Ch (clock until high) end at once.
  r.Send({0x85, 0x80, 0x08, 0x0B, 0x88});
  const auto clocks = r.emu.stats().spi_clocks;
  r.Send({0x9C, 0x00, 0x01, 0x94});
  EXPECT_EQ(r.emu.stats().spi_clocks, clocks);
  EXPECT_TRUE(r.emu.errors().empty());
  // 9Dh (clock until low) clocks its full count; 89h/95h would wait forever on a chip:
  // reported, and the stream goes on (the GPIO read after them answers).
  r.Send({0x9D, 0x01, 0x00});
  EXPECT_EQ(r.emu.stats().spi_clocks, clocks + 16);
  EXPECT_EQ(r.Send({0x89, 0x95, 0x81, 0x87}).size(), 1u);
  EXPECT_EQ(r.emu.errors().size(), 2u);
  // Drive-zero (FT232H): accepted, 3 bytes.
  EXPECT_EQ(r.Send({0x9E, 0x0B, 0x00, 0x87}), Bytes({}));
  EXPECT_EQ(r.emu.drive_zero_mask(), 0x000B);
  EXPECT_EQ(r.emu.stats().bad_commands, 0u);
}

TEST(MpsseEmulatorTest, Raw_FullReplyBufferStallsAndBoundsMemory) {
  VirtualClock clock;
  TinyNor chip(clock);
  MpsseEmulator emu(
      chip, {.clock = &clock, .reply_buffer_limit = 64 * 1024, .command_buffer_limit = 4096});
  ASSERT_EQ(emu.Open({.bus = 1, .address = 7}), Status::Ok());
  ASSERT_EQ(emu.SetBitMode(0, kFtdiBitmodeMpsse), Status::Ok());
  // 1000 reads of 64 KiB (62.5 MiB) queued in one write: only what fits the buffer runs.
  std::vector<std::byte> stream = Bytes({0x85, 0x80, 0x08, 0x0B});
  for (int i = 0; i < 1000; ++i)
    stream.insert(stream.end(), {std::byte{0x20}, std::byte{0xFF}, std::byte{0xFF}});
  ASSERT_TRUE(emu.Write(stream).ok());
  EXPECT_EQ(emu.pending_reply_bytes(), 64u * 1024);
  EXPECT_EQ(emu.stats().reply_stalls, 1u);
  EXPECT_GT(emu.pending_command_bytes(), 2900u);
  // More writes beyond the command buffer are refused, as the chip NAKs them.
  EXPECT_TRUE(emu.WriteWouldBlock(2000));
  EXPECT_EQ(emu.Write(std::vector<std::byte>(2000, std::byte{0x87})).status(),
            Status::DeadlineExceeded());
  // Reading goes on: the engine resumes as room appears.
  std::vector<std::byte> out(128 * 1024);
  size_t total = 0;
  for (int i = 0; i < 16; ++i) {
    auto n = emu.Read(out);
    ASSERT_TRUE(n.ok());
    EXPECT_GT(*n, 0u);
    total += *n;
    EXPECT_LE(emu.pending_reply_bytes(), 2u * 64 * 1024);
  }
  EXPECT_GE(total, 16u * 64 * 1024);
  // Purging the replies lets it run further; purging the commands stops it.
  ASSERT_EQ(emu.PurgeCommands(), Status::Ok());
  EXPECT_EQ(emu.pending_command_bytes(), 0u);
  ASSERT_EQ(emu.PurgeReplies(), Status::Ok());
  EXPECT_EQ(emu.pending_reply_bytes(), 0u);
  EXPECT_FALSE(emu.WriteWouldBlock(2000));
}

TEST(MpsseEmulatorTest, Raw_SioRequests) {
  RawRig r;
  // Purge 1 drops unexecuted commands only; purge 2 drops unread replies only.
  ASSERT_TRUE(r.emu.Write(Bytes({0x81, 0x80})).ok());  // A reply and half a command.
  EXPECT_EQ(r.emu.pending_command_bytes(), 1u);
  EXPECT_EQ(r.emu.PurgeCommands(), Status::Ok());
  EXPECT_EQ(r.emu.pending_command_bytes(), 0u);
  EXPECT_EQ(r.emu.pending_reply_bytes(), 1u);
  EXPECT_EQ(r.emu.PurgeReplies(), Status::Ok());
  EXPECT_EQ(r.emu.pending_reply_bytes(), 0u);
  // Read pins: driven outputs as driven, inputs high.
  r.Send({0x80, 0x08, 0x0B});
  EXPECT_EQ(*r.emu.ReadPins(), 0xFC);
  // Other bit modes are real modes: accepted, reported, bytes dropped.
  EXPECT_EQ(r.emu.SetBitMode(0xFF, 0x01), Status::Ok());
  EXPECT_FALSE(r.emu.mpsse_enabled());
  EXPECT_EQ(r.emu.bit_mode(), 0x01);
  ASSERT_EQ(r.emu.errors().size(), 1u);
  EXPECT_NE(r.emu.errors()[0].find("01h"), std::string::npos);
  // Latency 0 is outside 1-255: accepted as 1, reported.
  EXPECT_EQ(r.emu.SetLatencyTimer(0), Status::Ok());
  EXPECT_EQ(r.emu.latency_timer_ms(), 1);
  // A USB reset: power-up state.
  r.emu.PowerOnReset();
  EXPECT_EQ(r.emu.bit_mode(), 0);
  EXPECT_EQ(r.emu.latency_timer_ms(), 16);
  EXPECT_EQ(r.emu.pin_directions(), 0);
}

TEST(MpsseEmulatorTest, Raw_ChannelWithoutMpsseDropsTheStream) {
  VirtualClock clock;
  TinyNor chip(clock);
  MpsseEmulator emu(chip,
                    {.chip_type = FtdiChipType::kFt4232H, .clock = &clock, .has_mpsse = false});
  ASSERT_EQ(emu.Open({.bus = 1, .address = 7, .interface = 3}), Status::Ok());
  EXPECT_EQ(emu.SetBitMode(0, kFtdiBitmodeMpsse), Status::Ok());
  EXPECT_FALSE(emu.mpsse_enabled());
  EXPECT_EQ(emu.errors().size(), 1u);
  ASSERT_TRUE(emu.Write(Bytes({0x81, 0x87})).ok());
  EXPECT_EQ(emu.pending_reply_bytes(), 0u);
}

TEST(MpsseEmulatorTest, Raw_HighSpeedOpcodesAreBadOnFt2232D) {
  RawRig r(FtdiChipType::kFt2232C);
  EXPECT_EQ(r.Send({0x8A, 0x87}), Bytes({0xFA, 0x8A}));
  EXPECT_EQ(r.emu.sck_hz(), 6'000'000u);
}

TEST(MpsseEmulatorTest, Raw_CommandsSplitAcrossWrites) {
  RawRig r;
  // RDID split mid-command: 80h | 00 0B, 85 11 | 00 00 9F 20 02 | 00 80 08 0B 87.
  EXPECT_TRUE(r.Send({0x80}).empty());
  EXPECT_EQ(r.emu.pending_command_bytes(), 1u);
  EXPECT_TRUE(r.Send({0x00, 0x0B, 0x85, 0x11}).empty());
  EXPECT_TRUE(r.emu.chip_selected());
  EXPECT_TRUE(r.Send({0x00, 0x00, 0x9F, 0x20, 0x02}).empty());
  EXPECT_EQ(r.Send({0x00, 0x80, 0x08, 0x0B, 0x87}), Bytes({0xEF, 0x40, 0x15}));
  EXPECT_EQ(r.emu.pending_command_bytes(), 0u);
  EXPECT_FALSE(r.emu.chip_selected());
  EXPECT_TRUE(r.emu.errors().empty());
}

TEST(MpsseEmulatorTest, Raw_ExchangeAndGpioReadBack) {
  RawRig r;
  // 31h clocks both ways: RDSR then one status byte.
  EXPECT_EQ(r.Send({0x85, 0x80, 0x00, 0x0B, 0x31, 0x01, 0x00, 0x05, 0xFF, 0x80, 0x08, 0x0B, 0x81,
                    0x83, 0x87}),
            Bytes({0xFF, 0x00, 0x08 | 0xF4, 0xFF}));
}

TEST(MpsseEmulatorTest, Raw_ReplyWithoutSendImmediateWaitsForLatencyTimer) {
  RawRig r;
  ASSERT_EQ(r.emu.SetLatencyTimer(16), Status::Ok());
  const auto before = r.emu.stats().modelled_time;
  EXPECT_EQ(r.Send({0x81}).size(), 1u);
  EXPECT_EQ(r.emu.stats().latency_timer_waits, 1u);
  EXPECT_GE(r.emu.stats().modelled_time - before, std::chrono::milliseconds(16));
}

TEST(MpsseEmulatorTest, Raw_NotAttached_ListsNothingAndOpenFails) {
  VirtualClock clock;
  TinyNor chip(clock);
  MpsseEmulator emu(chip);
  emu.Unplug();
  auto devices = emu.ListDevices();
  ASSERT_TRUE(devices.ok());
  EXPECT_TRUE(devices->empty());
  EXPECT_EQ(emu.Open({.bus = 1, .address = 7}), Status::NotFound());
  std::vector<std::byte> out(1);
  EXPECT_EQ(emu.Read(out).status(), Status::Unavailable());
}

TEST(MpsseEmulatorTest, FailNextOpen_PermissionDeniedReachesTheUser) {
  VirtualClock clock;
  TinyNor chip(clock);
  auto emu = std::make_unique<MpsseEmulator>(chip);
  emu->FailNextOpen(Status::PermissionDenied(), "LIBUSB_ERROR_ACCESS");
  std::string message;
  auto bus = OpenFtdiSpiBus(std::move(emu), {}, clock, &message);
  EXPECT_EQ(bus.status(), Status::PermissionDenied());
  EXPECT_NE(message.find("udev"), std::string::npos) << message;
}

}  // namespace
}  // namespace flashrig::driver
