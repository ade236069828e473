// CRC-32/CKSUM, TicKV's object checksum: poly 0x04C11DB7, init 0, no reflection,
// xorout 0xFFFFFFFF; "123456789" -> 0x765E7680.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace flashrig::kv {

// Incremental form, so a header and a value in separate buffers hash as one message.
class Crc32Cksum {
 public:
  void Update(std::span<const std::byte> data);
  void Update(std::byte b) { Update(std::span<const std::byte>(&b, 1)); }
  uint32_t Finish() const { return register_ ^ 0xFFFFFFFFu; }

 private:
  uint32_t register_ = 0;
};

inline uint32_t Crc32CksumOf(std::span<const std::byte> data) {
  Crc32Cksum crc;
  crc.Update(data);
  return crc.Finish();
}

}  // namespace flashrig::kv
