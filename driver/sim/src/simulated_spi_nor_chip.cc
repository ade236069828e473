// SimulatedSpiNorChip: the per-byte command state machine, operation timing in virtual
// time, and the power/reset paths that tear operations. The cell array is ChipArray.
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "chip_array.h"
#include "flashrig/driver/flash/image_file.h"
#include "flashrig/driver/sim/sfdp_builder.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {

namespace op = spi_nor;

SimulatedSpiNorChip::SimulatedSpiNorChip(const ChipModel& model, VirtualClock& clock,
                                         const SimulatedChipOptions& options)
    : model_(model),
      clock_(clock),
      options_(options),
      array_(std::make_unique<internal::ChipArray>(model.size_bytes, model.smallest_erase_bytes(),
                                                   options.seed ^ 0xA11CE5ull)),
      rng_(options.seed),
      page_buffer_(model.page_bytes, std::byte{0xFF}) {
  array_->set_unstable_cells(options.unstable_torn_cells);
  // A part made from a real chip's table answers with those bytes; others with a table
  // generated from the model.
  if (model_.has_sfdp) sfdp_ = model_.sfdp_image.empty() ? BuildSfdp(model_) : model_.sfdp_image;
  SeededRandom id_rng(options.seed * 0x9E3779B97F4A7C15ull + 7);
  for (auto& b : unique_id_) b = static_cast<std::byte>(id_rng.Byte());
}

SimulatedSpiNorChip::~SimulatedSpiNorChip() = default;

// --- Power, pins, time -------------------------------------------------------------

void SimulatedSpiNorChip::SchedulePowerCut(const ChipPowerCut& plan) {
  cut_ = plan;
  cut_armed_ = plan.at_time.has_value() || plan.after_wire_bytes != 0 || plan.at_mutating_op != 0;
  cut_wire_bytes_seen_ = 0;
  cut_ops_seen_ = 0;
}

void SimulatedSpiNorChip::AdvanceTo(Clock::TimePoint now) {
  if (cut_armed_ && cut_.at_time && *cut_.at_time <= now) {
    const Clock::TimePoint at = *cut_.at_time;
    if (op_active() && !suspended_ && !stuck_busy_ && !ops_hang_ && op_.end <= at) CompleteOp();
    CutPower(at, cut_.effect, cut_.seed);
    return;
  }
  if (op_active() && !suspended_ && !stuck_busy_ && !ops_hang_ && op_.end <= now) CompleteOp();
}

void SimulatedSpiNorChip::Sync() { AdvanceTo(clock_.Now()); }

void SimulatedSpiNorChip::CutPower(Clock::TimePoint at, PowerCutEffect effect, uint64_t seed) {
  cut_armed_ = false;
  if (!powered_) return;
  if (op_active()) {
    DamageOp(effect, at, seed);
    ++counters_.torn_ops;
  }
  powered_ = false;
  ++counters_.power_cuts;
  ResetVolatileState();
  phase_ = Phase::kDeselected;
}

void SimulatedSpiNorChip::PowerOff(PowerCutEffect effect) {
  Sync();
  CutPower(clock_.Now(), effect, cut_armed_ ? cut_.seed : rng_.Next());
}

void SimulatedSpiNorChip::PowerOn() {
  Sync();  // A cut scheduled for the past fires first.
  if (powered_) return;
  powered_ = true;
  ResetVolatileState();
}

void SimulatedSpiNorChip::ResetVolatileState() {
  op_ = {};
  sr_[0] &= static_cast<uint8_t>(~(op::kStatusWip | op::kStatusWel));
  in_4byte_mode_ = false;
  deep_power_down_ = false;
  reset_enabled_ = false;
  volatile_sr_enable_ = false;
  suspended_ = false;
  std::fill(page_buffer_.begin(), page_buffer_.end(), std::byte{0xFF});
}

void SimulatedSpiNorChip::SoftwareReset() {
  if (op_active()) {
    DamageOp(PowerCutEffect::kTorn, clock_.Now(), rng_.Next());
    ++counters_.aborted_ops;
  }
  ResetVolatileState();
}

Status SimulatedSpiNorChip::SetControlLine(SpiControlLine line, bool high) {
  switch (line) {
    case SpiControlLine::kChipPower:
      if (high) {
        PowerOn();
      } else {
        PowerOff(cut_armed_ ? cut_.effect : PowerCutEffect::kTorn);
      }
      break;
    case SpiControlLine::kWriteProtect:
      wp_high_ = high;
      break;
    case SpiControlLine::kHold:
      hold_low_ = !high;
      break;
    case SpiControlLine::kReset:
      if (!high && !reset_low_) {
        Sync();
        if (powered_) SoftwareReset();
        phase_ = Phase::kDeselected;
      }
      reset_low_ = !high;
      break;
  }
  return Status::Ok();
}

void SimulatedSpiNorChip::ChargeWire(uint64_t bits) {
  if (options_.sck_hz == 0) return;
  wire_ps_ += bits * (1'000'000'000'000ull / options_.sck_hz);
  clock_.Advance(std::chrono::nanoseconds(wire_ps_ / 1000));
  wire_ps_ %= 1000;
}

bool SimulatedSpiNorChip::busy() {
  Sync();
  return powered_ && (stuck_busy_ || (op_active() && !suspended_));
}

std::optional<Clock::Duration> SimulatedSpiNorChip::time_to_ready() {
  if (!busy()) return Clock::Duration{0};
  if (stuck_busy_ || ops_hang_) return std::nullopt;
  return op_.end - clock_.Now();
}

uint8_t SimulatedSpiNorChip::status_register(size_t index) {
  Sync();
  if (index >= model_.status_read_opcodes.size()) return 0xFF;
  uint8_t v = sr_[index];
  if (index == 0 && stuck_busy_) v |= op::kStatusWip;
  // Winbond reports a suspended operation in SR2 bit 7 (SUS).
  if (index == 1 && suspended_ && model_.suspend_opcode == op::kSuspendWinbond) v |= 0x80;
  return v;
}

void SimulatedSpiNorChip::SetStatusRegister(size_t index, uint8_t value) {
  if (index >= sr_.size()) return;
  if (index == 0) {
    sr_[0] = static_cast<uint8_t>((sr_[0] & 0x03) | (value & 0xFC));
  } else {
    sr_[index] = value;
  }
}

void SimulatedSpiNorChip::ResetCounters() {
  counters_ = {};
  array_->ResetEraseCounts();
}

void SimulatedSpiNorChip::Reseed(uint64_t seed) {
  rng_ = SeededRandom(seed);
  array_->ReseedNoise(seed ^ 0x5EEDC0FFEEull);
}

Status SimulatedSpiNorChip::RestoreEraseCounts(std::span<const uint64_t> counts) {
  return array_->RestoreEraseCounts(counts);
}

const std::vector<uint64_t>& SimulatedSpiNorChip::erase_counts() const {
  return array_->erase_counts();
}

// --- Operations ----------------------------------------------------------------------

Clock::Duration SimulatedSpiNorChip::OpDuration(const OpTiming& timing, double scale,
                                                uint32_t address, uint32_t size_bytes) {
  double us = static_cast<double>(timing.typical_us);
  switch (options_.timing) {
    case SimulatedChipOptions::Timing::kTypical:
      break;
    case SimulatedChipOptions::Timing::kMaximum:
      us = static_cast<double>(timing.max_us);
      break;
    case SimulatedChipOptions::Timing::kSampled: {
      // Most operations land near typical; a few approach the maximum.
      const double u = static_cast<double>(rng_.Below(1u << 20)) / (1u << 20);
      us += static_cast<double>(timing.max_us - timing.typical_us) * u * u * u * u;
      break;
    }
  }
  const uint64_t rated = model_.wear.rated_erase_cycles;
  if (rated != 0 && model_.wear.time_growth > 0) {
    const uint64_t count = array_->MaxEraseCount(address, size_bytes);
    if (count > rated) {
      us *= 1.0 + model_.wear.time_growth * static_cast<double>(count - rated) /
                      static_cast<double>(rated);
    }
  }
  return std::chrono::nanoseconds(std::llround(us * scale * 1000.0));
}

void SimulatedSpiNorChip::StartOp(const Op& new_op, Clock::Duration duration) {
  op_ = new_op;
  op_.start = clock_.Now();
  op_.end = op_.start + duration;
  last_op_duration_ = duration;
  sr_[0] |= op::kStatusWip;
  if (cut_armed_ && cut_.at_mutating_op != 0 && ++cut_ops_seen_ == cut_.at_mutating_op) {
    cut_.at_time =
        op_.start + duration * std::min<uint32_t>(cut_.op_progress_permille, 1000) / 1000;
  }
}

void SimulatedSpiNorChip::CompleteOp() {
  const uint64_t rated = model_.wear.rated_erase_cycles;
  auto wear_failures = [&](uint32_t address, uint32_t size_bytes) {
    if (rated == 0 || model_.wear.stuck_bits_per_kcycle <= 0) return;
    const uint32_t unit = array_->wear_unit_bytes();
    for (uint32_t a = address; a < address + size_bytes; a += unit) {
      const uint64_t count = array_->erase_counts()[a / unit];
      if (count <= rated) continue;
      const double expected =
          model_.wear.stuck_bits_per_kcycle * static_cast<double>(count - rated) / 1000.0;
      uint64_t bits = static_cast<uint64_t>(expected);
      const double fraction = expected - static_cast<double>(bits);
      if (rng_.Below(1u << 20) < static_cast<uint64_t>(fraction * (1u << 20))) ++bits;
      if (bits != 0) array_->ClearRandomBits(a, unit, bits, rng_);
    }
  };
  switch (op_.kind) {
    case OpKind::kNone:
      return;
    case OpKind::kProgram:
      array_->Program(op_.address, page_buffer_);
      std::fill(page_buffer_.begin(), page_buffer_.end(), std::byte{0xFF});
      ++counters_.programs;
      break;
    case OpKind::kErase:
      array_->Erase(op_.address, op_.size_bytes);
      wear_failures(op_.address, op_.size_bytes);
      ++counters_.erases;
      break;
    case OpKind::kChipErase:
      array_->Erase(0, model_.size_bytes);
      wear_failures(0, model_.size_bytes);
      ++counters_.chip_erases;
      break;
    case OpKind::kWriteStatus:
      for (uint8_t i = 0; i < op_.status_count; ++i) {
        SetStatusRegister(op_.status_first + i, op_.status[i]);
      }
      ++counters_.status_writes;
      break;
  }
  counters_.busy_time += op_.end - op_.start;
  op_ = {};
  sr_[0] &= static_cast<uint8_t>(~(op::kStatusWip | op::kStatusWel));
}

void SimulatedSpiNorChip::DamageOp(PowerCutEffect effect, Clock::TimePoint at, uint64_t seed) {
  const auto total = op_.end - op_.start;
  double progress = 1.0;
  if (total.count() > 0) {
    const auto done = suspended_ ? total - op_.remaining : at - op_.start;
    progress = std::clamp(static_cast<double>(done.count()) / static_cast<double>(total.count()),
                          0.0, 1.0);
  }
  if (effect == PowerCutEffect::kApplied) {
    CompleteOp();
    return;
  }
  if (effect == PowerCutEffect::kTorn) {
    SeededRandom rng(seed);
    switch (op_.kind) {
      case OpKind::kNone:
        break;
      case OpKind::kProgram:
        array_->TearProgram(op_.address, page_buffer_, progress, rng);
        break;
      case OpKind::kErase:
        array_->TearErase(op_.address, op_.size_bytes, progress, rng);
        break;
      case OpKind::kChipErase:
        array_->TearErase(0, model_.size_bytes, progress, rng);
        break;
      case OpKind::kWriteStatus:
        // A status write is all or nothing: the new value lands past the midpoint.
        if (progress >= 0.5) {
          for (uint8_t i = 0; i < op_.status_count; ++i) {
            SetStatusRegister(op_.status_first + i, op_.status[i]);
          }
        }
        break;
    }
  }
  std::fill(page_buffer_.begin(), page_buffer_.end(), std::byte{0xFF});
  op_ = {};
  sr_[0] &= static_cast<uint8_t>(~(op::kStatusWip | op::kStatusWel));
}

bool SimulatedSpiNorChip::ProtectedOverlap(uint32_t address, uint64_t length) const {
  return ComputeProtectedRange(model_, sr_[0]).Overlaps(address, length);
}

// --- Contents ----------------------------------------------------------------------

std::span<const std::byte> SimulatedSpiNorChip::contents() const { return array_->contents(); }

Status SimulatedSpiNorChip::Restore(std::span<const std::byte> image) {
  return array_->Restore(image);
}

Status SimulatedSpiNorChip::RestoreRange(uint32_t address, std::span<const std::byte> bytes) {
  return array_->RestoreRange(address, bytes);
}

Status SimulatedSpiNorChip::LoadImage(const std::string& path) {
  FLASHRIG_TRY_ASSIGN(const std::vector<std::byte> image, ReadImageFile(path, model_.size_bytes));
  return Restore(image);
}

Status SimulatedSpiNorChip::SaveImage(const std::string& path) const {
  return WriteImageFileAtomically(path, contents());
}

}  // namespace flashrig::driver
