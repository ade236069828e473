// SimulatedSpiNorChip, the wire side: CS# framing, opcode decoding, address/dummy/data
// phases byte by byte (with bulk paths for array reads and page loads), and what each
// command does when CS# rises.
#include <algorithm>
#include <cstring>

#include "chip_array.h"
#include "flashrig/driver/sim/simulated_spi_nor_chip.h"
#include "flashrig/driver/spinor/spi_nor_opcodes.h"

namespace flashrig::driver {

namespace op = spi_nor;

void SimulatedSpiNorChip::Select() {
  Sync();
  if (!powered_ || reset_low_) return;
  phase_ = Phase::kOpcode;
  command_ = Command::kNone;
}

void SimulatedSpiNorChip::Deselect() {
  Sync();
  if (powered_ && phase_ != Phase::kDeselected && phase_ != Phase::kOpcode) Execute();
  phase_ = Phase::kDeselected;
  command_ = Command::kNone;
}

uint32_t SimulatedSpiNorChip::address_bytes_for(uint8_t opcode) const {
  switch (opcode) {
    case op::kReadSfdp:
      return 3;
    case op::kRead4B:
    case op::kFastRead4B:
    case op::kPageProgram4B:
      return 4;
    default:
      break;
  }
  for (const EraseType& e : model_.erase_types) {
    if (e.opcode_4b != 0 && e.opcode_4b == opcode) return 4;
  }
  return in_4byte_mode_ ? 4 : 3;
}

void SimulatedSpiNorChip::Decode(uint8_t opcode) {
  ++counters_.commands[opcode];
  opcode_ = opcode;
  address_ = 0;
  address_have_ = 0;
  address_needed_ = 0;
  dummy_clocks_left_ = 0;
  data_count_ = 0;
  frame_bytes_extra_ = false;
  const bool reset_was_enabled = reset_enabled_;
  reset_enabled_ = false;
  const bool volatile_sr_was_enabled = volatile_sr_enable_;
  volatile_sr_enable_ = false;

  Command c = DecodeAddressedOpcode(opcode);
  if (c == Command::kNone) c = DecodeUnaddressedOpcode(opcode, reset_was_enabled);
  if (c == Command::kNone) c = DecodeModelOpcode(opcode, volatile_sr_was_enabled);
  if (c == Command::kNone) {
    // 99h without 66h is a known opcode the chip simply refuses.
    if (opcode != op::kReset) ++counters_.unknown_opcodes;
    phase_ = Phase::kIgnore;
    return;
  }
  if (!TakesCommandNow(c)) {
    ++counters_.ignored_busy;
    phase_ = Phase::kIgnore;
    return;
  }
  command_ = c;
  const bool addressed = c == Command::kRead || c == Command::kProgram || c == Command::kReadSfdp ||
                         c == Command::kErase;
  if (addressed) {
    address_needed_ = address_bytes_for(opcode);
    phase_ = Phase::kAddress;
  } else if (c == Command::kUniqueId) {
    dummy_clocks_left_ = 32;  // Four dummy bytes.
    phase_ = Phase::kDummy;
  } else {
    phase_ = Phase::kData;
  }
}

// Fixed opcodes followed by an address (erase opcodes come from the model). Sets the
// dummy clocks the command takes. kNone if the opcode is not one of them or the part
// lacks it.
SimulatedSpiNorChip::Command SimulatedSpiNorChip::DecodeAddressedOpcode(uint8_t opcode) {
  const bool four_byte_ops = model_.has_4byte_opcodes;
  switch (opcode) {
    case op::kRead:
      return Command::kRead;
    case op::kFastRead:
      dummy_clocks_left_ = op::kFastReadDummyClocks;
      return Command::kRead;
    case op::kRead4B:
      return four_byte_ops ? Command::kRead : Command::kNone;
    case op::kFastRead4B:
      if (!four_byte_ops) return Command::kNone;
      dummy_clocks_left_ = op::kFastReadDummyClocks;
      return Command::kRead;
    case op::kPageProgram:
      return Command::kProgram;
    case op::kPageProgram4B:
      return four_byte_ops ? Command::kProgram : Command::kNone;
    case op::kReadSfdp:
      if (!model_.has_sfdp) return Command::kNone;
      dummy_clocks_left_ = op::kFastReadDummyClocks;
      return Command::kReadSfdp;
    default:
      return Command::kNone;
  }
}

// Fixed opcodes without an address. kNone if the opcode is not one of them, the part
// lacks it, or (99h) it was not armed by 66h.
SimulatedSpiNorChip::Command SimulatedSpiNorChip::DecodeUnaddressedOpcode(
    uint8_t opcode, bool reset_was_enabled) const {
  const bool four_byte_part = model_.address_mode == AddressMode::k3Or4Byte;
  switch (opcode) {
    case op::kChipEraseC7:
    case op::kChipErase60:
      return Command::kChipErase;
    case op::kWriteEnable:
      return Command::kWriteEnable;
    case op::kWriteDisable:
      return Command::kWriteDisable;
    case op::kVolatileSrWriteEnable:
      return Command::kVolatileSrEnable;
    case op::kReadJedecId:
      return Command::kReadId;
    case op::kUniqueId:
      return model_.has_unique_id ? Command::kUniqueId : Command::kNone;
    case op::kResetEnable:
      return Command::kResetEnable;
    case op::kReset:
      return reset_was_enabled ? Command::kReset : Command::kNone;
    case op::kDeepPowerDown:
      return Command::kDeepPowerDown;
    case op::kReleasePowerDown:
      return Command::kReleasePowerDown;
    case op::kEnter4ByteMode:
      return four_byte_part ? Command::kEnter4Byte : Command::kNone;
    case op::kExit4ByteMode:
      return four_byte_part ? Command::kExit4Byte : Command::kNone;
    default:
      return Command::kNone;
  }
}

// Opcodes the chip model lists: erase types (sets erase_index_), status registers (sets
// status_reg_index_) and suspend/resume. kNone if the model lists none of them.
SimulatedSpiNorChip::Command SimulatedSpiNorChip::DecodeModelOpcode(uint8_t opcode,
                                                                    bool volatile_sr_was_enabled) {
  const bool four_byte_ops = model_.has_4byte_opcodes;
  for (size_t i = 0; i < model_.erase_types.size(); ++i) {
    const EraseType& e = model_.erase_types[i];
    if (opcode == e.opcode || (four_byte_ops && e.opcode_4b != 0 && opcode == e.opcode_4b)) {
      erase_index_ = i;
      return Command::kErase;
    }
  }
  Command c = Command::kNone;
  for (size_t i = 0; i < model_.status_read_opcodes.size(); ++i) {
    if (opcode == model_.status_read_opcodes[i]) {
      c = Command::kReadStatus;
      status_reg_index_ = static_cast<uint8_t>(i);
    }
  }
  for (size_t i = 0; i < model_.status_write_opcodes.size(); ++i) {
    if (opcode == model_.status_write_opcodes[i]) {
      c = Command::kWriteStatus;
      status_reg_index_ = static_cast<uint8_t>(i);
      volatile_sr_enable_ = volatile_sr_was_enabled;
    }
  }
  if (c == Command::kNone && model_.suspend_opcode != 0) {
    if (opcode == model_.suspend_opcode) c = Command::kSuspend;
    if (opcode == model_.resume_opcode) c = Command::kResume;
  }
  return c;
}

// Which commands a busy, suspended or sleeping chip still takes.
bool SimulatedSpiNorChip::TakesCommandNow(Command c) const {
  if (deep_power_down_) return c == Command::kReleasePowerDown;
  if (stuck_busy_ || (op_active() && !suspended_)) {
    return c == Command::kReadStatus || c == Command::kSuspend || c == Command::kResetEnable ||
           c == Command::kReset;
  }
  if (suspended_) {
    return c == Command::kRead || c == Command::kReadStatus || c == Command::kReadId ||
           c == Command::kReadSfdp || c == Command::kUniqueId || c == Command::kResume ||
           c == Command::kResetEnable || c == Command::kReset || c == Command::kWriteDisable;
  }
  return true;
}

uint8_t SimulatedSpiNorChip::OutputByte() {
  const uint32_t n = data_count_;
  switch (command_) {
    case Command::kRead: {
      std::byte b;
      array_->Read(address_ + n, std::span(&b, 1));
      return static_cast<uint8_t>(b);
    }
    case Command::kReadStatus:
      return status_register(status_reg_index_);
    case Command::kReadId:
      return n < 3 ? model_.jedec_id[n] : 0xFF;
    case Command::kReadSfdp: {
      const uint64_t a = uint64_t{address_} + n;
      return a < sfdp_.size() ? static_cast<uint8_t>(sfdp_[a]) : 0xFF;
    }
    case Command::kUniqueId:
      return n < unique_id_.size() ? static_cast<uint8_t>(unique_id_[n]) : 0xFF;
    case Command::kReleasePowerDown:
      // ABh + 3 dummy bytes answers the legacy device ID (where the part has one).
      return n >= 3 && model_.legacy_device_id != 0 ? model_.legacy_device_id : 0xFF;
    default:
      return 0xFF;
  }
}

void SimulatedSpiNorChip::FeedByte(uint8_t mosi, std::byte* miso) {
  uint8_t out = 0xFF;
  switch (phase_) {
    case Phase::kDeselected:
    case Phase::kIgnore:
      break;
    case Phase::kOpcode:
      Decode(mosi);
      break;
    case Phase::kAddress:
      address_ = address_ << 8 | mosi;
      if (++address_have_ == address_needed_) {
        address_ %= model_.size_bytes;  // Upper address bits beyond the array are ignored.
        phase_ = dummy_clocks_left_ > 0 ? Phase::kDummy : Phase::kData;
      }
      break;
    case Phase::kDummy:
      dummy_clocks_left_ -= std::min<uint32_t>(dummy_clocks_left_, 8);
      if (dummy_clocks_left_ == 0) phase_ = Phase::kData;
      break;
    case Phase::kData:
      switch (command_) {
        case Command::kProgram:
          page_buffer_[(address_ + data_count_) % model_.page_bytes] = std::byte{mosi};
          break;
        case Command::kWriteStatus:
          if (data_count_ < status_in_.size()) status_in_[data_count_] = mosi;
          break;
        case Command::kRead:
        case Command::kReadStatus:
        case Command::kReadId:
        case Command::kReadSfdp:
        case Command::kUniqueId:
        case Command::kReleasePowerDown:
          out = OutputByte();
          break;
        default:
          frame_bytes_extra_ = true;
          break;
      }
      ++data_count_;
      break;
  }
  if (miso != nullptr) *miso = std::byte{out};
}

size_t SimulatedSpiNorChip::FeedBulk(std::span<const std::byte> mosi, std::span<std::byte> miso) {
  const size_t n = mosi.size();
  switch (command_) {
    case Command::kRead:
      if (!miso.empty()) array_->Read(address_ + data_count_, miso.first(n));
      data_count_ += static_cast<uint32_t>(n);
      return n;
    case Command::kProgram: {
      const uint32_t page = model_.page_bytes;
      size_t done = 0;
      // The latch keeps the last `page` bytes, wrapping inside the page as real parts do.
      if (n > page) done = n - page - (n - page) % page;
      data_count_ += static_cast<uint32_t>(done);
      while (done < n) {
        const uint32_t offset = (address_ + data_count_) % page;
        const size_t chunk = std::min<size_t>(n - done, page - offset);
        std::memcpy(page_buffer_.data() + offset, mosi.data() + done, chunk);
        done += chunk;
        data_count_ += static_cast<uint32_t>(chunk);
      }
      if (!miso.empty()) std::fill(miso.begin(), miso.begin() + n, std::byte{0xFF});
      return n;
    }
    case Command::kReadStatus:
      if (!miso.empty()) {
        std::fill(miso.begin(), miso.begin() + n, std::byte{status_register(status_reg_index_)});
      }
      data_count_ += static_cast<uint32_t>(n);
      return n;
    default: {
      for (size_t i = 0; i < n; ++i) {
        FeedByte(static_cast<uint8_t>(mosi[i]), miso.empty() ? nullptr : &miso[i]);
      }
      return n;
    }
  }
}

void SimulatedSpiNorChip::Exchange(std::span<const std::byte> mosi, std::span<std::byte> miso) {
  Sync();
  size_t usable = mosi.size();
  bool cut_after = false;
  if (cut_armed_ && cut_.after_wire_bytes != 0) {
    const uint64_t left = cut_.after_wire_bytes - cut_wire_bytes_seen_;
    if (usable >= left) {
      usable = static_cast<size_t>(left);
      cut_after = true;
    }
    cut_wire_bytes_seen_ += usable;
  }
  counters_.wire_bytes += mosi.size();
  const bool listening = powered_ && !hold_low_ && !reset_low_ && phase_ != Phase::kDeselected;
  size_t i = 0;
  if (listening) {
    while (i < usable && phase_ != Phase::kData && phase_ != Phase::kIgnore) {
      FeedByte(static_cast<uint8_t>(mosi[i]), miso.empty() ? nullptr : &miso[i]);
      ++i;
    }
    if (i < usable && phase_ == Phase::kData) {
      i += FeedBulk(mosi.subspan(i, usable - i),
                    miso.empty() ? std::span<std::byte>() : miso.subspan(i, usable - i));
    }
  }
  if (!miso.empty()) {
    // Ignored bytes read FFh (MISO high-Z with a pull-up); an unpowered chip reads as the
    // bus idles.
    const std::byte idle = powered_ ? std::byte{0xFF} : options_.unpowered_miso;
    std::fill(miso.begin() + i, miso.end(), idle);
  }
  ChargeWire(uint64_t{mosi.size()} * 8);
  if (cut_after) {
    CutPower(clock_.Now(), cut_.effect, cut_.seed);
    if (!miso.empty()) std::fill(miso.begin() + usable, miso.end(), options_.unpowered_miso);
  }
}

void SimulatedSpiNorChip::DummyClocks(uint32_t cycles) {
  Sync();
  const uint64_t bytes = (uint64_t{cycles} + 7) / 8;
  counters_.wire_bytes += bytes;
  bool cut_after = false;
  if (cut_armed_ && cut_.after_wire_bytes != 0) {
    cut_wire_bytes_seen_ += bytes;
    cut_after = cut_wire_bytes_seen_ >= cut_.after_wire_bytes;
  }
  if (powered_ && !hold_low_ && !reset_low_ && phase_ != Phase::kDeselected) {
    if (phase_ == Phase::kDummy) {
      const uint32_t take = std::min(cycles, dummy_clocks_left_);
      dummy_clocks_left_ -= take;
      cycles -= take;
      if (dummy_clocks_left_ == 0) phase_ = Phase::kData;
    }
    if (cycles % 8 != 0) {
      // The frame is no longer byte-aligned: a real chip mis-decodes the rest.
      if (phase_ != Phase::kIgnore) ++counters_.ignored_malformed;
      phase_ = Phase::kIgnore;
    } else {
      for (uint32_t k = 0; k < cycles / 8; ++k) FeedByte(0xFF, nullptr);
    }
  }
  ChargeWire(cycles);
  if (cut_after) CutPower(clock_.Now(), cut_.effect, cut_.seed);
}

void SimulatedSpiNorChip::Execute() {
  const bool complete = phase_ == Phase::kData;  // Opcode, address and dummies all seen.
  const bool exact = complete && data_count_ == 0;
  const bool wel = (sr_[0] & op::kStatusWel) != 0;
  switch (command_) {
    case Command::kNone:
    case Command::kRead:
    case Command::kReadStatus:
    case Command::kReadId:
    case Command::kReadSfdp:
    case Command::kUniqueId:
      break;
    case Command::kWriteEnable:
    case Command::kWriteDisable:
    case Command::kVolatileSrEnable:
    case Command::kResetEnable:
    case Command::kReset:
    case Command::kDeepPowerDown:
      ExecuteControl(exact);
      break;
    case Command::kProgram:
      ExecuteProgram(complete, wel);
      break;
    case Command::kErase:
      ExecuteErase(exact, wel);
      break;
    case Command::kChipErase:
      ExecuteChipErase(exact, wel);
      break;
    case Command::kWriteStatus:
      ExecuteWriteStatus(complete, wel);
      break;
    case Command::kReleasePowerDown:
      deep_power_down_ = false;
      break;
    case Command::kEnter4Byte:
    case Command::kExit4Byte:
      ExecuteAddressMode(exact, wel);
      break;
    case Command::kSuspend:
      if (exact && op_active() && !suspended_ && op_.kind != OpKind::kWriteStatus) {
        op_.remaining = std::max(Clock::Duration{0}, op_.end - clock_.Now());
        suspended_ = true;
        sr_[0] &= static_cast<uint8_t>(~op::kStatusWip);
      }
      break;
    case Command::kResume:
      if (exact && suspended_) {
        suspended_ = false;
        const auto elapsed = (op_.end - op_.start) - op_.remaining;
        op_.end = clock_.Now() + op_.remaining;
        op_.start = op_.end - (elapsed + op_.remaining);
        sr_[0] |= op::kStatusWip;
      }
      break;
  }
}

// Commands that are the opcode alone: any address or data byte makes the frame malformed.
void SimulatedSpiNorChip::ExecuteControl(bool exact) {
  if (!exact) {
    ++counters_.ignored_malformed;
    return;
  }
  switch (command_) {
    case Command::kWriteEnable:
      sr_[0] |= op::kStatusWel;
      break;
    case Command::kWriteDisable:
      sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
      break;
    case Command::kVolatileSrEnable:
      volatile_sr_enable_ = true;
      break;
    case Command::kResetEnable:
      reset_enabled_ = true;
      break;
    case Command::kReset:
      SoftwareReset();
      break;
    case Command::kDeepPowerDown:
      deep_power_down_ = true;
      break;
    default:
      break;  // Execute() sends only the commands above here.
  }
}

void SimulatedSpiNorChip::ExecuteProgram(bool complete, bool wel) {
  if (!complete || data_count_ == 0) {
    ++counters_.ignored_malformed;
    std::fill(page_buffer_.begin(), page_buffer_.end(), std::byte{0xFF});
    return;
  }
  const uint32_t page = model_.page_bytes;
  const uint32_t base = address_ & ~(page - 1);
  if (!wel) {
    ++counters_.ignored_no_wel;
  } else if (ProtectedOverlap(base, page)) {
    ++counters_.ignored_protected;
    sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
  } else {
    const uint32_t bytes = std::min(data_count_, page);
    const double scale = static_cast<double>(std::max(bytes, page / 16)) / page;
    StartOp({.kind = OpKind::kProgram, .address = base, .size_bytes = page},
            OpDuration(model_.page_program, scale, base, page));
    return;  // The latch holds the data until the program completes.
  }
  std::fill(page_buffer_.begin(), page_buffer_.end(), std::byte{0xFF});
}

void SimulatedSpiNorChip::ExecuteErase(bool exact, bool wel) {
  const EraseType& e = model_.erase_types[erase_index_];
  const uint32_t base = address_ & ~(e.size_bytes - 1);
  if (!exact) {
    ++counters_.ignored_malformed;
  } else if (!wel) {
    ++counters_.ignored_no_wel;
  } else if (ProtectedOverlap(base, e.size_bytes)) {
    ++counters_.ignored_protected;
    sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
  } else {
    StartOp({.kind = OpKind::kErase, .address = base, .size_bytes = e.size_bytes},
            OpDuration(e.time, 1.0, base, e.size_bytes));
  }
}

void SimulatedSpiNorChip::ExecuteChipErase(bool exact, bool wel) {
  if (!exact) {
    ++counters_.ignored_malformed;
  } else if (!wel) {
    ++counters_.ignored_no_wel;
  } else if (!ComputeProtectedRange(model_, sr_[0]).empty()) {
    // Chip erase is refused if any block is protected.
    ++counters_.ignored_protected;
    sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
  } else {
    StartOp({.kind = OpKind::kChipErase, .address = 0, .size_bytes = model_.size_bytes},
            OpDuration(model_.chip_erase, 1.0, 0, model_.size_bytes));
  }
}

void SimulatedSpiNorChip::ExecuteWriteStatus(bool complete, bool wel) {
  const bool via_volatile = volatile_sr_enable_;
  volatile_sr_enable_ = false;
  if (!complete || data_count_ == 0) {
    ++counters_.ignored_malformed;
    return;
  }
  if (!wel && !via_volatile) {
    ++counters_.ignored_no_wel;
    return;
  }
  if ((sr_[0] & op::kStatusSrp) != 0 && !wp_high_) {
    // SRP = 1 with WP# low: the status register is hardware-protected.
    ++counters_.ignored_protected;
    sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
    return;
  }
  Op w{.kind = OpKind::kWriteStatus};
  w.status_first = status_reg_index_;
  // 01h takes the following registers as extra bytes; 31h/11h take one.
  const size_t registers = model_.status_read_opcodes.size();
  const size_t max_bytes = status_reg_index_ == 0 ? registers : 1;
  w.status_count = static_cast<uint8_t>(std::min<size_t>(data_count_, max_bytes));
  w.status = status_in_;
  if (via_volatile) {
    for (uint8_t i = 0; i < w.status_count; ++i) {
      SetStatusRegister(w.status_first + i, w.status[i]);
    }
    ++counters_.status_writes;
  } else {
    StartOp(w, OpDuration(model_.write_status, 1.0, 0, 0));
  }
}

// B7h / E9h.
void SimulatedSpiNorChip::ExecuteAddressMode(bool exact, bool wel) {
  if (!exact) {
    ++counters_.ignored_malformed;
  } else if (model_.enter_4byte_needs_wren && !wel) {
    ++counters_.ignored_no_wel;
  } else {
    in_4byte_mode_ = command_ == Command::kEnter4Byte;
    if (model_.enter_4byte_needs_wren) sr_[0] &= static_cast<uint8_t>(~op::kStatusWel);
  }
}

}  // namespace flashrig::driver
