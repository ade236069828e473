// MpsseStream: MPSSE command encoding (AN_108), chunked at the engine's length limit.
#include "mpsse_stream.h"

#include <algorithm>

#include "mpsse_commands.h"

namespace flashrig::driver {

void MpsseStream::Op(uint8_t opcode) { Put(opcode); }

void MpsseStream::SetLowByte(uint8_t value, uint8_t direction) {
  Put(mpsse::kSetLowByte);
  Put(value);
  Put(direction);
}

void MpsseStream::SetHighByte(uint8_t value, uint8_t direction) {
  Put(mpsse::kSetHighByte);
  Put(value);
  Put(direction);
}

void MpsseStream::SetDivisor(uint16_t divisor) {
  Put(mpsse::kSetDivisor);
  Put(static_cast<uint8_t>(divisor & 0xFF));
  Put(static_cast<uint8_t>(divisor >> 8));
}

void MpsseStream::PutLength(size_t n) {
  const size_t v = n - 1;
  Put(static_cast<uint8_t>(v & 0xFF));
  Put(static_cast<uint8_t>((v >> 8) & 0xFF));
}

void MpsseStream::Write(std::span<const std::byte> data) {
  for (size_t done = 0; done < data.size();) {
    const size_t n = std::min(mpsse::kMaxBytesPerCommand, data.size() - done);
    Put(mpsse::kWriteBytesFalling);
    PutLength(n);
    const auto chunk = data.subspan(done, n);
    bytes_.insert(bytes_.end(), chunk.begin(), chunk.end());
    done += n;
  }
}

void MpsseStream::Read(size_t n) {
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min(mpsse::kMaxBytesPerCommand, n - done);
    Put(mpsse::kReadBytesRising);
    PutLength(chunk);
    done += chunk;
  }
  reply_bytes_ += n;
}

Status MpsseStream::DummyClocks(uint32_t clocks) {
  if (!high_speed_) {
    // No 8Eh/8Fh before the H series: clock whole bytes of 0xFF out instead.
    if (clocks % 8 != 0) return Status::InvalidArgument();
    const size_t n = clocks / 8;
    for (size_t done = 0; done < n;) {
      const size_t chunk = std::min(mpsse::kMaxBytesPerCommand, n - done);
      Put(mpsse::kWriteBytesFalling);
      PutLength(chunk);
      bytes_.insert(bytes_.end(), chunk, std::byte{0xFF});
      done += chunk;
    }
    return Status::Ok();
  }
  for (uint32_t bytes = clocks / 8; bytes > 0;) {
    const uint32_t chunk = std::min<uint32_t>(mpsse::kMaxBytesPerCommand, bytes);
    Put(mpsse::kClockBytes);
    PutLength(chunk);
    bytes -= chunk;
  }
  if (const uint32_t bits = clocks % 8; bits != 0) {
    Put(mpsse::kClockBits);
    Put(static_cast<uint8_t>(bits - 1));
  }
  return Status::Ok();
}

}  // namespace flashrig::driver
