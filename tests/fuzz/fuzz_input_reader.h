// The byte reader every fuzzer uses to take its input apart, front to back.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fuzz {

// Reads the input front to back; past the end every byte reads 0.
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t Word() {  // Little-endian; two statements, so the order of the reads is fixed.
    const uint8_t low = Byte();
    return static_cast<uint16_t>(low | (Byte() << 8));
  }
  // Up to n bytes (fewer at the end of the input).
  std::span<const uint8_t> Take(size_t n) {
    const size_t k = pos_ < size_ ? std::min(n, size_ - pos_) : 0;
    std::span<const uint8_t> out(data_ + pos_, k);
    pos_ += k;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace fuzz
