// SpiDeviceBus: one SpiBus transaction = Select, each segment's bytes, Deselect.
#include "flashrig/driver/spinor/spi_device.h"

#include <array>
#include <algorithm>

namespace flashrig::driver {

Status SpiDeviceBus::DoTransfer(std::span<const SpiSegment> segments) {
  if (!device_.powered()) return Status::Unavailable();
  device_.Select();
  for (const SpiSegment& seg : segments) {
    switch (seg.kind) {
      case SpiSegment::Kind::kWrite:
        device_.Exchange(seg.write, {});
        break;
      case SpiSegment::Kind::kRead: {
        // MOSI is held high while reading; feed 0xFF in chunks without allocating.
        static constexpr std::array<std::byte, 256> kOnes = [] {
          std::array<std::byte, 256> a{};
          a.fill(std::byte{0xFF});
          return a;
        }();
        for (size_t done = 0; done < seg.read.size();) {
          const size_t n = std::min(kOnes.size(), seg.read.size() - done);
          device_.Exchange(std::span(kOnes).first(n), seg.read.subspan(done, n));
          done += n;
        }
        break;
      }
      case SpiSegment::Kind::kDummyClocks:
        device_.DummyClocks(seg.dummy_clocks);
        break;
    }
  }
  device_.Deselect();
  // Power lost during the frame: what was read is not the chip's answer.
  if (!device_.powered()) return Status::Unavailable();
  return Status::Ok();
}

}  // namespace flashrig::driver
