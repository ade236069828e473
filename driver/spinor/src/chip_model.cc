// ChipModel helpers: the block-protect range table and model self-consistency checks.
#include "flashrig/driver/spinor/chip_model.h"

#include <algorithm>

namespace flashrig::driver {
namespace {

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

uint32_t BpValue(const ChipModel& model, uint8_t sr1) {
  uint32_t v = 0;
  const auto& bits = model.block_protect.bp_bit_positions;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (sr1 & (1u << bits[i])) v |= 1u << i;
  }
  return v;
}

bool Fail(std::string* why, const std::string& text) {
  if (why != nullptr) *why = text;
  return false;
}

bool CheckTiming(const OpTiming& t, const std::string& what, std::string* why) {
  if (t.typical_us == 0 || t.max_us < t.typical_us) {
    return Fail(why, what + ": need 0 < typical <= max");
  }
  return true;
}

}  // namespace

uint8_t ProtectBitsMask(const ChipModel& model) {
  uint8_t mask = 0;
  for (uint8_t bit : model.block_protect.bp_bit_positions) mask |= uint8_t(1u << bit);
  if (model.block_protect.tb_bit >= 0) mask |= uint8_t(1u << model.block_protect.tb_bit);
  return mask;
}

uint8_t EncodeBpValue(const ChipModel& model, uint32_t bp_value, bool bottom) {
  uint8_t sr1 = 0;
  const auto& bits = model.block_protect.bp_bit_positions;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bp_value & (1u << i)) sr1 |= uint8_t(1u << bits[i]);
  }
  if (bottom && model.block_protect.tb_bit >= 0) {
    sr1 |= uint8_t(1u << model.block_protect.tb_bit);
  }
  return sr1;
}

ProtectedRange ComputeProtectedRange(const ChipModel& model, uint8_t sr1) {
  const auto& bp = model.block_protect;
  const uint32_t v = BpValue(model, sr1);
  if (v == 0 || bp.bp_bit_positions.empty()) return {};
  const uint32_t all_ones = (1u << bp.bp_bit_positions.size()) - 1;
  uint64_t bytes = model.size_bytes;
  if (v != all_ones && v - 1 < 32) {
    bytes = std::min<uint64_t>(uint64_t{bp.first_protected_bytes} << (v - 1), model.size_bytes);
  }
  const bool bottom = bp.tb_bit >= 0 && (sr1 & (1u << bp.tb_bit)) != 0;
  if (bottom) return {0, static_cast<uint32_t>(bytes)};
  return {static_cast<uint32_t>(model.size_bytes - bytes), model.size_bytes};
}

Status ValidateChipModel(const ChipModel& m, std::string* why) {
  auto bad = [&](const std::string& text) {
    Fail(why, text);
    return Status::InvalidArgument();
  };
  if (m.name.empty()) return bad("name: empty");
  if (!IsPowerOfTwo(m.size_bytes) || m.size_bytes > (1u << 31)) {
    return bad("size_bytes: expected a power of two <= 2 GiB");
  }
  if (!IsPowerOfTwo(m.page_bytes) || m.page_bytes > 4096) {
    return bad("page_bytes: expected a power of two <= 4096");
  }
  if (m.erase_types.empty() || m.erase_types.size() > 4) {
    return bad("erase_types: expected 1 to 4 entries");
  }
  uint32_t previous = 0;
  for (size_t i = 0; i < m.erase_types.size(); ++i) {
    const EraseType& e = m.erase_types[i];
    const std::string where = "erase_types/" + std::to_string(i);
    if (!IsPowerOfTwo(e.size_bytes) || e.size_bytes < m.page_bytes || e.size_bytes > m.size_bytes) {
      return bad(where + "/size_bytes: expected a power of two between page and chip size");
    }
    if (e.size_bytes <= previous) return bad(where + "/size_bytes: not ascending");
    previous = e.size_bytes;
    if (e.opcode == 0) return bad(where + "/opcode: missing");
    if (!CheckTiming(e.time, where + "/time", why)) return Status::InvalidArgument();
  }
  if (!CheckTiming(m.page_program, "page_program", why) ||
      !CheckTiming(m.chip_erase, "chip_erase", why) ||
      !CheckTiming(m.write_status, "write_status", why)) {
    return Status::InvalidArgument();
  }
  if (m.size_bytes > (1u << 24) && m.address_mode == AddressMode::k3Byte) {
    return bad("address_mode: parts over 16 MiB need 4-byte addressing");
  }
  if (m.status_read_opcodes.empty() || m.status_read_opcodes.size() > 3 ||
      m.status_read_opcodes[0] != 0x05) {
    return bad("status_read_opcodes: expected 1 to 3 opcodes starting with 0x05");
  }
  if (m.status_write_opcodes.empty() || m.status_write_opcodes[0] != 0x01 ||
      m.status_write_opcodes.size() > m.status_read_opcodes.size()) {
    return bad("status_write_opcodes: expected 0x01 first, at most one per register");
  }
  const auto& bp = m.block_protect;
  if (bp.bp_bit_positions.size() > 5) return bad("block_protect: at most 5 BP bits");
  for (uint8_t bit : bp.bp_bit_positions) {
    if (bit < 2 || bit > 6) return bad("block_protect/bp_bits: positions must be 2..6");
  }
  if (!bp.bp_bit_positions.empty() &&
      (!IsPowerOfTwo(bp.first_protected_bytes) || bp.first_protected_bytes > m.size_bytes)) {
    return bad("block_protect/first_protected_bytes: expected a power of two <= size");
  }
  if ((m.suspend_opcode == 0) != (m.resume_opcode == 0)) {
    return bad("suspend_opcode/resume_opcode: give both or neither");
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
