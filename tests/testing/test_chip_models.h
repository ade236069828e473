// ChipModels built in code for driver tests (no JSON): a small Winbond-like 3-byte part
// (and its 64 KiB cut for fuzzers) and a 32 MiB Macronix-/Micron-like 4-byte part. The shipped parts are tested from
// configs/parts/*.json in spi_nor_parts_test.cc.
#pragma once

#include "flashrig/driver/spinor/chip_model.h"

namespace flashrig::testing {

// 1 MiB, 4K/32K/64K erases, W25Q-style status registers and block protection.
inline driver::ChipModel SmallTestPart() {
  driver::ChipModel m;
  m.name = "TEST1M";
  m.vendor = "Test";
  m.source = "tests";
  m.jedec_id = {0xEF, 0x40, 0x14};
  m.legacy_device_id = 0x13;
  m.size_bytes = 1 << 20;
  m.page_bytes = 256;
  m.erase_types = {
      {.size_bytes = 4096, .opcode = 0x20, .time = {.typical_us = 45000, .max_us = 400000}},
      {.size_bytes = 32768, .opcode = 0x52, .time = {.typical_us = 120000, .max_us = 1600000}},
      {.size_bytes = 65536, .opcode = 0xD8, .time = {.typical_us = 150000, .max_us = 2000000}}};
  m.page_program = {.typical_us = 400, .max_us = 3000};
  m.chip_erase = {.typical_us = 2500000, .max_us = 12000000};
  m.status_read_opcodes = {0x05, 0x35, 0x15};
  m.status_write_opcodes = {0x01, 0x31, 0x11};
  m.block_protect = {.bp_bit_positions = {2, 3, 4}, .tb_bit = 5, .first_protected_bytes = 16384};
  m.suspend_opcode = 0x75;
  m.resume_opcode = 0x7A;
  m.has_unique_id = true;
  return m;
}

// SmallTestPart shrunk to 64 KiB: a fresh chip per fuzz input stays cheap.
inline driver::ChipModel TinyTestPart() {
  driver::ChipModel m = SmallTestPart();
  m.size_bytes = 64 * 1024;
  return m;
}

// 32 MiB, 4-byte opcodes and EN4B; `needs_wren` makes B7h/E9h require WREN (Micron).
inline driver::ChipModel BigTestPart(bool needs_wren = false, bool opcodes = true) {
  driver::ChipModel m = SmallTestPart();
  m.name = "TEST32M";
  m.jedec_id = {0xC2, 0x20, 0x19};
  m.size_bytes = 32u << 20;
  m.erase_types[0].opcode_4b = 0x21;
  m.erase_types[1].opcode_4b = 0x5C;
  m.erase_types[2].opcode_4b = 0xDC;
  m.chip_erase = {.typical_us = 80000000, .max_us = 150000000};
  m.address_mode = driver::AddressMode::k3Or4Byte;
  m.has_4byte_opcodes = opcodes;
  m.enter_4byte_needs_wren = needs_wren;
  m.block_protect = {
      .bp_bit_positions = {2, 3, 4, 5}, .tb_bit = -1, .first_protected_bytes = 65536};
  return m;
}

}  // namespace flashrig::testing
