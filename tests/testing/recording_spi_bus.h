// RecordingSpiBus: an SpiBus that records every transaction (bytes written, bytes read,
// dummy clocks) and forwards it to an inner bus, or answers reads with a fill byte when
// there is none (an empty bus). Tests compare Summary() with the exact command sequence.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "flashrig/driver/spinor/spi_bus.h"

namespace flashrig::testing {

class RecordingSpiBus final : public driver::SpiBus {
 public:
  struct Segment {
    driver::SpiSegment::Kind kind = driver::SpiSegment::Kind::kWrite;
    std::vector<std::byte> bytes;  // Written, or read back.
    uint32_t dummy_clocks = 0;
  };
  struct Transaction {
    std::vector<Segment> segments;
    Status result;
  };

  // `inner` (may be null) must outlive this bus. Without it reads return `fill`.
  explicit RecordingSpiBus(driver::SpiBus* inner, std::byte fill = std::byte{0xFF})
      : inner_(inner), fill_(fill) {}

  const std::vector<Transaction>& log() const { return log_; }
  void Clear() { log_.clear(); }

  // One line per transaction: written bytes in hex, "<N" for N bytes read, "~N" for N
  // dummy clocks, segments separated by " | ". E.g. "02 00 10 00 | AA BB" or "05 | <1".
  std::vector<std::string> Summary() const {
    std::vector<std::string> out;
    for (const Transaction& t : log_) out.push_back(Format(t));
    return out;
  }
  static std::string Format(const Transaction& t) {
    std::string s;
    for (const Segment& seg : t.segments) {
      if (!s.empty()) s += " | ";
      switch (seg.kind) {
        case driver::SpiSegment::Kind::kWrite:
          for (size_t i = 0; i < seg.bytes.size(); ++i) {
            char hex[4];
            std::snprintf(hex, sizeof(hex), "%02X", static_cast<unsigned>(seg.bytes[i]));
            if (i != 0) s += ' ';  // Not (" ") + std::string: GCC 12 -O3 -Wrestrict.
            s += hex;
          }
          break;
        case driver::SpiSegment::Kind::kRead:
          s += "<" + std::to_string(seg.bytes.size());
          break;
        case driver::SpiSegment::Kind::kDummyClocks:
          s += "~" + std::to_string(seg.dummy_clocks);
          break;
      }
    }
    return s;
  }

 private:
  Status DoTransfer(std::span<const driver::SpiSegment> segments) override {
    Status result = Status::Ok();
    if (inner_ != nullptr) {
      result = inner_->Transfer(segments);
    } else {
      for (const auto& seg : segments) {
        if (seg.kind == driver::SpiSegment::Kind::kRead) {
          std::fill(seg.read.begin(), seg.read.end(), fill_);
        }
      }
    }
    Transaction t{.segments = {}, .result = result};
    for (const auto& seg : segments) {
      Segment r{.kind = seg.kind, .bytes = {}, .dummy_clocks = seg.dummy_clocks};
      if (seg.kind == driver::SpiSegment::Kind::kWrite)
        r.bytes.assign(seg.write.begin(), seg.write.end());
      if (seg.kind == driver::SpiSegment::Kind::kRead)
        r.bytes.assign(seg.read.begin(), seg.read.end());
      t.segments.push_back(std::move(r));
    }
    log_.push_back(std::move(t));
    return result;
  }
  Status DoSetControlLine(driver::SpiControlLine line, bool high) override {
    return inner_ != nullptr ? inner_->SetControlLine(line, high) : Status::Unimplemented();
  }

  driver::SpiBus* inner_;
  std::byte fill_;
  std::vector<Transaction> log_;
};

}  // namespace flashrig::testing
