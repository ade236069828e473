// SpiNorFlash: Flash operations as SPI NOR command sequences. Every mutating operation is
// EnterAddressMode -> WriteEnable (-> confirm WEL) -> command -> WaitReady, and every wait
// has a deadline from the part's maximum time.
#include "flashrig/driver/spinor/spi_nor_flash.h"

#include <algorithm>
#include <vector>

#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {

namespace op = spi_nor;

namespace {

Clock::Duration Us(uint64_t us) { return std::chrono::microseconds(us); }

}  // namespace

SpiNorFlash::SpiNorFlash(const FlashGeometry& geometry, SpiBus& bus, Clock& clock,
                         const SpiNorOptions& options, ProbeInfo info)
    : Flash(geometry),
      bus_(bus),
      clock_(clock),
      options_(options),
      info_(std::move(info)),
      busy_log_(options.busy_log_capacity) {
  first_poll_scale_.fill(kFirstPollUnity);
}

uint8_t SpiNorFlash::ReadOpcode() const {
  return params().addressing == Addressing::k4ByteOpcodes ? op::kFastRead4B : op::kFastRead;
}

uint8_t SpiNorFlash::ProgramOpcode() const {
  return params().addressing == Addressing::k4ByteOpcodes ? op::kPageProgram4B : op::kPageProgram;
}

Result<std::array<uint8_t, 3>> SpiNorFlash::ReadJedecId() {
  const std::byte cmd[1] = {std::byte{op::kReadJedecId}};
  std::array<std::byte, 3> id{};
  const SpiSegment segments[] = {SpiSegment::Write(cmd), SpiSegment::Read(id)};
  FLASHRIG_TRY(bus_.Transfer(segments));
  return std::array<uint8_t, 3>{static_cast<uint8_t>(id[0]), static_cast<uint8_t>(id[1]),
                                static_cast<uint8_t>(id[2])};
}

Result<uint8_t> SpiNorFlash::ReadStatus(int index) {
  static constexpr uint8_t kOpcodes[3] = {op::kReadStatus1, op::kReadStatus2, op::kReadStatus3};
  if (index < 0 || index > 2) return Status::InvalidArgument();
  const std::byte cmd[1] = {std::byte{kOpcodes[index]}};
  std::byte value[1] = {};
  const SpiSegment segments[] = {SpiSegment::Write(cmd), SpiSegment::Read(value)};
  FLASHRIG_TRY(bus_.Transfer(segments));
  return static_cast<uint8_t>(value[0]);
}

Status SpiNorFlash::ReadSfdp(uint32_t address, std::span<std::byte> out) {
  const std::byte cmd[4] = {std::byte{op::kReadSfdp}, std::byte(address >> 16),
                            std::byte(address >> 8), std::byte(address)};
  const SpiSegment segments[] = {
      SpiSegment::Write(cmd), SpiSegment::Dummy(op::kFastReadDummyClocks), SpiSegment::Read(out)};
  return bus_.Transfer(segments);
}

Status SpiNorFlash::EnterAddressMode() {
  // Entering 4-byte mode before every operation costs one short frame and survives a
  // power cycle or reset of the chip behind our back.
  if (params().addressing == Addressing::kEnter4ByteWithWren) {
    FLASHRIG_TRY(WriteEnable());
  }
  if (params().addressing == Addressing::kEnter4Byte ||
      params().addressing == Addressing::kEnter4ByteWithWren) {
    const std::byte cmd[1] = {std::byte{op::kEnter4ByteMode}};
    const SpiSegment segments[] = {SpiSegment::Write(cmd)};
    return bus_.Transfer(segments);
  }
  return Status::Ok();
}

Status SpiNorFlash::WriteEnable() {
  const std::byte cmd[1] = {std::byte{op::kWriteEnable}};
  const SpiSegment segments[] = {SpiSegment::Write(cmd)};
  FLASHRIG_TRY(bus_.Transfer(segments));
  if (!options_.confirm_write_enable) return Status::Ok();
  FLASHRIG_TRY_ASSIGN(uint8_t sr1, ReadStatus(0));
  if ((sr1 & (op::kStatusWel | op::kStatusWip)) == op::kStatusWip) {
    // Busy with something we did not start (a busy chip ignores WREN): wait it out,
    // bounded by the longest operation the part has, then try once more.
    FLASHRIG_TRY(WaitReady(BusyKind::kChipErase, 0, 0, params().chip_erase_typical_us,
                           params().chip_erase_max_us, /*record=*/false,
                           /*just_started=*/false));
    FLASHRIG_TRY(bus_.Transfer(segments));
    FLASHRIG_TRY_ASSIGN(sr1, ReadStatus(0));
  }
  // WEL not set: nobody answered (bus reads 00h) or the chip is asleep / gone. A chip
  // reading FFh shows WEL and is caught by the WIP deadline instead.
  if ((sr1 & op::kStatusWel) == 0) return Status::Unavailable();
  return Status::Ok();
}

Status SpiNorFlash::SendAddressed(uint8_t opcode, uint32_t address,
                                  std::span<const std::byte> data) {
  std::array<std::byte, 5> header{};
  size_t n = 0;
  header[n++] = std::byte{opcode};
  if (four_byte_addresses()) header[n++] = std::byte(address >> 24);
  header[n++] = std::byte(address >> 16);
  header[n++] = std::byte(address >> 8);
  header[n++] = std::byte(address);
  const SpiSegment segments[] = {SpiSegment::Write(std::span(header).first(n)),
                                 SpiSegment::Write(data)};
  return bus_.Transfer(std::span(segments).first(data.empty() ? 1 : 2));
}

// The first-poll delay follows a quantile of this chip's busy times: a hit (ready at the
// first poll) shortens it a little, a miss lengthens it, in the ratio that settles where
// first_poll_hit_percent % of polls hit. Steps are 1/16 of the delay, split in that ratio
// (at 90 %: +5.6 % per miss, -0.6 % per hit), so a delay far too long halves in about
// 110 operations while the spread of real chips does not make it wander.
Clock::Duration SpiNorFlash::FirstPollDelay(BusyKind kind, Clock::Duration typical) const {
  using Mode = SpiNorOptions::FirstPoll;
  const bool learned =
      options_.first_poll == Mode::kLearned ||
      (options_.first_poll == Mode::kAuto && bus_.round_trip_cost() > Clock::Duration::zero());
  if (!learned) return Clock::Duration::zero();
  return typical * first_poll_scale_[static_cast<size_t>(kind)] / kFirstPollUnity;
}

void SpiNorFlash::LearnFirstPoll(BusyKind kind, bool hit) {
  const uint64_t hit_percent = std::clamp<uint32_t>(options_.first_poll_hit_percent, 1, 99);
  uint64_t scale = first_poll_scale_[static_cast<size_t>(kind)];
  // Steps in the ratio miss : hit = hit% : (100 - hit%).
  const uint64_t step = std::max<uint64_t>(1, scale / 16);
  if (hit) {
    scale -= std::min(scale - 1, std::max<uint64_t>(1, step * (100 - hit_percent) / 100));
  } else {
    scale += std::max<uint64_t>(1, step * hit_percent / 100);
  }
  // Never schedule past the part's worst case (the deadline logic owns that), nor to 0.
  first_poll_scale_[static_cast<size_t>(kind)] =
      static_cast<uint32_t>(std::clamp<uint64_t>(scale, 1, 64 * kFirstPollUnity));
}

Status SpiNorFlash::WaitReady(BusyKind kind, uint32_t address, uint32_t size_bytes,
                              uint64_t typical_us, uint64_t max_us, bool record,
                              bool just_started) {
  const Clock::TimePoint start = clock_.Now();
  const Clock::Duration deadline = std::min<Clock::Duration>(
      Us(max_us) * options_.timeout_margin_percent / 100 + options_.timeout_slack,
      options_.max_wait);
  const Clock::Duration interval =
      std::max<Clock::Duration>(Us(typical_us) / std::max<uint32_t>(1, options_.polls_per_typical),
                                options_.min_poll_interval);
  const Clock::Duration first_delay =
      just_started ? std::min(FirstPollDelay(kind, Us(typical_us)), Us(max_us))
                   : Clock::Duration::zero();
  if (first_delay > Clock::Duration::zero()) clock_.SleepFor(first_delay);
  BusyRecord busy{.kind = kind, .address = address, .size_bytes = size_bytes};
  while (true) {
    const Result<uint8_t> sr1 = ReadStatus(0);
    ++busy.polls;
    const Clock::Duration elapsed = clock_.Now() - start;
    busy.busy = elapsed;
    if (!sr1.ok()) {
      busy.result = sr1.status();
      if (record) busy_log_.Add(busy);
      return sr1.status();
    }
    const bool ready = (*sr1 & op::kStatusWip) == 0;
    if (first_delay > Clock::Duration::zero() && busy.polls == 1) LearnFirstPoll(kind, ready);
    if (ready) {
      if (record) busy_log_.Add(busy);
      return Status::Ok();
    }
    if (elapsed >= deadline) {
      busy.result = Status::DeadlineExceeded();
      if (record) busy_log_.Add(busy);
      return Status::DeadlineExceeded();
    }
    clock_.SleepFor(std::min(interval, deadline - elapsed));
  }
}

Status SpiNorFlash::DoRead(uint32_t address, std::span<std::byte> out) {
  FLASHRIG_TRY(EnterAddressMode());
  const size_t chunk = std::max<uint32_t>(1, options_.read_chunk_bytes);
  for (size_t done = 0; done < out.size();) {
    const size_t n = std::min(chunk, out.size() - done);
    const uint32_t a = address + static_cast<uint32_t>(done);
    std::array<std::byte, 5> header{};
    size_t h = 0;
    header[h++] = std::byte{ReadOpcode()};
    if (four_byte_addresses()) header[h++] = std::byte(a >> 24);
    header[h++] = std::byte(a >> 16);
    header[h++] = std::byte(a >> 8);
    header[h++] = std::byte(a);
    const SpiSegment segments[] = {SpiSegment::Write(std::span(header).first(h)),
                                   SpiSegment::Dummy(op::kFastReadDummyClocks),
                                   SpiSegment::Read(out.subspan(done, n))};
    FLASHRIG_TRY(bus_.Transfer(segments));
    done += n;
  }
  return Status::Ok();
}

Status SpiNorFlash::ProgramPage(uint32_t address, std::span<const std::byte> data) {
  FLASHRIG_TRY(EnterAddressMode());
  FLASHRIG_TRY(WriteEnable());
  FLASHRIG_TRY(SendAddressed(ProgramOpcode(), address, data));
  FLASHRIG_TRY(WaitReady(BusyKind::kProgram, address, static_cast<uint32_t>(data.size()),
                         params().program_typical_us, params().program_max_us));
  if (!options_.verify_after_write) return Status::Ok();
  std::vector<std::byte> back(data.size());
  FLASHRIG_TRY(DoRead(address, back));
  for (size_t i = 0; i < data.size(); ++i) {
    // Every bit the program asked to be 0 must read 0.
    if ((back[i] & ~data[i]) != std::byte{0}) return Status::DataLoss();
  }
  return Status::Ok();
}

Status SpiNorFlash::DoProgram(uint32_t address, std::span<const std::byte> data) {
  if (protection_.range.Overlaps(address, data.size())) return Status::PermissionDenied();
  const uint32_t page = params().page_bytes;
  for (size_t done = 0; done < data.size();) {
    const uint32_t a = address + static_cast<uint32_t>(done);
    const size_t n = std::min<size_t>(data.size() - done, page - a % page);
    FLASHRIG_TRY(ProgramPage(a, data.subspan(done, n)));
    done += n;
  }
  return Status::Ok();
}

Status SpiNorFlash::VerifyErased(uint32_t address, uint32_t size_bytes) {
  std::vector<std::byte> back(std::min<uint32_t>(size_bytes, 64 * 1024));
  for (uint32_t done = 0; done < size_bytes;) {
    const uint32_t n = std::min<uint32_t>(size_bytes - done, static_cast<uint32_t>(back.size()));
    FLASHRIG_TRY(DoRead(address + done, std::span(back).first(n)));
    for (uint32_t i = 0; i < n; ++i) {
      if (back[i] != std::byte{0xFF}) return Status::DataLoss();
    }
    done += n;
  }
  return Status::Ok();
}

Status SpiNorFlash::EraseBlock(const SpiNorEraseOp& erase, uint32_t address) {
  FLASHRIG_TRY(EnterAddressMode());
  FLASHRIG_TRY(WriteEnable());
  const uint8_t opcode =
      params().addressing == Addressing::k4ByteOpcodes ? erase.opcode_4b : erase.opcode;
  FLASHRIG_TRY(SendAddressed(opcode, address, {}));
  FLASHRIG_TRY(
      WaitReady(BusyKind::kErase, address, erase.size_bytes, erase.typical_us, erase.max_us));
  if (options_.verify_after_erase) return VerifyErased(address, erase.size_bytes);
  return Status::Ok();
}

Status SpiNorFlash::DoErase(uint32_t address, uint32_t size_bytes) {
  if (protection_.range.Overlaps(address, size_bytes)) return Status::PermissionDenied();
  uint32_t a = address;
  const uint64_t end = uint64_t{address} + size_bytes;
  while (a < end) {
    // The largest erase type that is aligned here and fits in what is left.
    const SpiNorEraseOp* best = &params().erase_ops.front();
    for (const SpiNorEraseOp& e : params().erase_ops) {
      if (a % e.size_bytes == 0 && a + uint64_t{e.size_bytes} <= end) best = &e;
    }
    FLASHRIG_TRY(EraseBlock(*best, a));
    a += best->size_bytes;
  }
  return Status::Ok();
}

Status SpiNorFlash::EraseChip() {
  if (!protection_.range.empty()) return Status::PermissionDenied();
  FLASHRIG_TRY(WriteEnable());
  const std::byte cmd[1] = {std::byte{op::kChipEraseC7}};
  const SpiSegment segments[] = {SpiSegment::Write(cmd)};
  FLASHRIG_TRY(bus_.Transfer(segments));
  FLASHRIG_TRY(WaitReady(BusyKind::kChipErase, 0, params().size_bytes,
                         params().chip_erase_typical_us, params().chip_erase_max_us));
  if (options_.verify_after_erase) return VerifyErased(0, params().size_bytes);
  return Status::Ok();
}

Status SpiNorFlash::SoftwareReset() {
  const std::byte enable[1] = {std::byte{op::kResetEnable}};
  const std::byte reset[1] = {std::byte{op::kReset}};
  const SpiSegment first[] = {SpiSegment::Write(enable)};
  const SpiSegment second[] = {SpiSegment::Write(reset)};
  FLASHRIG_TRY(bus_.Transfer(first));
  FLASHRIG_TRY(bus_.Transfer(second));
  clock_.SleepFor(std::chrono::microseconds(30));  // tRST.
  return Status::Ok();
}

}  // namespace flashrig::driver
